//! Token shards: one memory-mappable file of token ids per shard.
//!
//! # File format (version 1, all integers little-endian)
//!
//! ```text
//! offset size  field
//!      0    8  magic  b"FWKSHRD\0"
//!      8    4  format version (u32) = 1
//!     12    4  token width in bytes (u32): 2 (u16 tokens) or 4 (u32 tokens)
//!     16    4  flags (u32): bit 0 = a loss-mask section is present
//!     20    4  boundary mode (u32): 0 none, 1 token appended after each document (EOT),
//!              2 token prepended before each document (BOS)
//!     24    4  boundary token id (u32), 0xFFFF_FFFF when the mode is 0
//!     28    4  reserved, 0
//!     32    8  vocabulary size (u64): every token id is < this
//!     40    8  token count (u64)
//!     48    8  document count (u64)
//!     56   32  tokenizer fingerprint (sha256 bytes; see `fineweb_kit.shards.fingerprint`)
//!     88    8  offset of the token array (u64) = 256
//!     96    8  offset of the document-end index (u64), 64-byte aligned
//!    104    8  offset of the loss-mask section (u64), 64-byte aligned; 0 when absent
//!    112    8  total file length (u64)
//!    120    8  xxh3-64 of the token array bytes
//!    128    8  xxh3-64 of the document-end index bytes
//!    136    8  xxh3-64 of the loss-mask bytes (0 when absent)
//!    144  104  reserved, 0
//!    248    8  xxh3-64 of header bytes [0, 248)
//!    256       token array: `token count` ids of the token width
//!              (zero padding to a multiple of 64 bytes)
//!              document-end index: `document count` u64, the exclusive end of each document
//!              in the token array (non-decreasing, the last equals the token count); a
//!              document's range includes its boundary token
//!              (zero padding to a multiple of 64 bytes)
//!              loss mask (optional): `token count` u8, 1 = the token counts in the loss
//! ```
//!
//! Why this shape: the fixed 256-byte header and aligned sections let `np.memmap` and
//! `torch.from_file` view each section in place with no copy; the document index makes
//! document-level shuffling and exact round trips possible (llm.c / nanoGPT files have no
//! document boundaries other than the EOT token); the fingerprint refuses a shard read with
//! another tokenizer; the checksums catch bit rot and partial copies (header always, sections
//! on [`reader::verify`]). The writer streams tokens to disk and holds only the document index
//! (8 bytes per document) and, when present, the mask (1 byte per token) in memory.

pub mod format;
pub mod reader;
pub mod writer;

pub use format::{Boundary, Dtype, Header, HEADER_LEN, MAGIC, VERSION};
pub use reader::{copy_docs, read_header, verify, ShardReader};
pub use writer::{ShardSpec, ShardWriter};
