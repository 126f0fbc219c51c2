//! Deduplication over files in bounded memory: FineWeb's MinHash ([`minhash`]), exact and
//! sentence dedup ([`keys`]), and the building blocks they share: the framed binary record
//! format, sorted runs, the external merge, union-find, and the first-stage writer trait
//! [`StageSink`].

pub mod format;
pub mod keys;
pub mod merge;
pub mod minhash;
pub mod runs;
pub mod sort;
pub mod stage_sink;
pub mod unionfind;

pub use format::{Kind, RecordReader, RecordWriter};
pub use merge::{merge_files, MergeSpec, MergeStats};
pub use runs::RunSink;
pub use sort::ExternalSorter;
pub use stage_sink::StageSink;
pub use unionfind::{Member, UnionFind};

/// A document's identity across stages: input file index (in the first dedup stage's fixed
/// input list) in the high 32 bits, document index within that file in the low 32 bits.
pub fn doc_id(file: u32, doc: u32) -> u64 {
    (u64::from(file) << 32) | u64::from(doc)
}

/// Splits a [`doc_id`] back into (file index, document index).
pub fn split_doc_id(id: u64) -> (u32, u32) {
    ((id >> 32) as u32, id as u32)
}
