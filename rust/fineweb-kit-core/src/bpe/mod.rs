//! Byte-level BPE: pre-tokenisation, encoding, decoding, training.
