//! Text analysis shared by all quality filters and MinHash.
//!
//! One pass per document ([`analysis::analyse`]) measures everything the Gopher repetition,
//! Gopher quality and FineWeb quality filters compare with thresholds; [`c4::c4_filter`]
//! applies C4's line rules (which rewrite the text); [`normalize::normalized_words`] gives
//! MinHash its words. All of them share one word tokeniser ([`mod@words`]), a re-implementation
//! of spaCy's blank English tokeniser that datatrove uses, so the numbers match datatrove's.
//! Batch entry points run documents in parallel with rayon.

pub mod analysis;
pub mod c4;
pub mod chars;
pub mod ngrams;
pub mod normalize;
pub mod repetition;
pub mod sentences;
mod specials;
#[rustfmt::skip]
pub mod tables;
pub mod words;

pub use analysis::{analyse, analyse_batch, AnalysisConfig, Columns, DocStats};
pub use c4::{c4_batch, c4_filter, C4Config, C4Drop, C4Result};
pub use normalize::{normalized_words, simplify_text};
pub use words::{tokenize, words, Token};
