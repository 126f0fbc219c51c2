//! Text analysis shared by all quality filters and MinHash.
