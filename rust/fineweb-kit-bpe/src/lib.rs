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

pub use encoder::{Bpe, Rank, SpecialSet};
pub use pretok::Pretokenizer;
