//! Byte-level BPE: pre-tokenisation, encoding, decoding, training.
//!
//! - [`pretok`]: text -> pieces (hand-written scanners for r50k / cl100k / o200k, fancy-regex
//!   for user patterns), built on the Unicode classes of [`charclass`].
//! - [`encoder`]: a rank table + pre-tokeniser + special tokens = [`Bpe`]; encode / decode,
//!   with the merge loops of [`merge`] and, for very long pieces, the linear-time
//!   left-to-right encoder of [`linear`].
//! - [`io`]: tiktoken rank files, HF `tokenizer.json`, our own format.
//! - [`train`]: the trainer (parallel counting, incremental pair counts, priority queue).

pub mod cache;
pub mod charclass;
pub mod encoder;
pub mod io;
pub mod linear;
pub mod merge;
pub mod pretok;
pub mod table;
pub mod train;

pub use encoder::{Bpe, SpecialSet};
pub use pretok::Pretokenizer;
pub use table::Rank;

pub use fineweb_kit_base::{CoreError, CoreResult};

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
