//! fineweb-kit-core: the pure-Rust hot paths of fineweb-kit.
//!
//! No PyO3 here: `cargo test` needs no Python. Each module is one concept; the
//! `fineweb-kit-py` crate is the only place that knows about Python.

pub mod bpe;
pub mod chat;
pub mod dedup;
pub mod error;
pub mod extract;
pub mod fasttext;
pub mod html_guard;
pub mod hugebuf;
pub mod minhash;
pub mod pool;
pub mod shards;
pub mod text;

pub use error::{CoreError, CoreResult};
