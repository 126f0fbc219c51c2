//! `fineweb_kit._core`: thin PyO3 glue over the `fineweb-kit-*` domain crates.
//!
//! Rules: convert types, release the GIL (`py.detach`) around every call that
//! can take more than a millisecond, map every core error through `error.rs`,
//! and never let a panic cross into Python (`error::guard`).

use pyo3::prelude::*;

mod bpe;
mod chat;
mod error;
mod extract;
mod fasttext;
mod html_guard;
mod minhash;
mod shards;
mod text;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    error::register(m)?;
    fasttext::register(m)?;
    html_guard::register(m)?;
    extract::register(m)?;
    bpe::register(m)?;
    chat::register(m)?;
    text::register(m)?;
    shards::register(m)?;
    minhash::register(m)?;
    Ok(())
}
