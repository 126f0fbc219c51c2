//! fineweb-kit-base: what the fineweb-kit domain crates share.
//!
//! - [`error`]: the one error type, [`CoreError`], one variant per kind of failure;
//! - [`pool`]: rayon pools of a requested size, kept between calls;
//! - [`hugebuf`]: buffers on transparent huge pages (the fastText matrix and dictionary);
//! - [`clock`]: this thread's CPU time, for the speed examples and benches.
//!
//! No PyO3 in any domain crate: `cargo test` needs no Python; `fineweb-kit-py` is the only
//! crate that knows about Python.

pub mod clock;
pub mod error;
pub mod hugebuf;
pub mod pool;

pub use error::{CoreError, CoreResult};
