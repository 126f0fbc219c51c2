//! Core errors become Python exceptions here and nowhere else.
//!
//! The exception classes themselves live in `fineweb_kit/exceptions.py`; we look
//! them up at raise time so Python code can `except fineweb_kit.TokenizerError`.

use fineweb_kit_base::CoreError;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyModule;

/// An instance of `fineweb_kit.exceptions.<name>(msg)`; `fallback(msg)` if that cannot be made.
fn exception(py: Python<'_>, name: &str, msg: String, fallback: fn(String) -> PyErr) -> PyErr {
    let class = PyModule::import(py, "fineweb_kit.exceptions").and_then(|m| m.getattr(name));
    match class.and_then(|cls| cls.call1((msg.clone(),))) {
        Ok(inst) => PyErr::from_value(inst),
        Err(_) => fallback(msg),
    }
}

/// Converts a core error into the matching Python exception: `InvalidArgument` (a
/// `ValueError`), `TokenizerError`, `FormatError`, `CoreIOError` / `CoreFileNotFoundError` (an
/// `OSError` / `FileNotFoundError`), all `FinewebKitError`s the CLI reports.
pub fn to_py(err: CoreError) -> PyErr {
    Python::attach(|py| match err {
        CoreError::InvalidArgument(m) => exception(py, "InvalidArgument", m, PyValueError::new_err),
        CoreError::Tokenizer(m) => exception(py, "TokenizerError", m, PyValueError::new_err),
        CoreError::Format(m) => exception(py, "FormatError", m, PyValueError::new_err),
        CoreError::Io { path, source } => {
            let msg = format!("{path}: {source}");
            if source.kind() == std::io::ErrorKind::NotFound {
                exception(
                    py,
                    "CoreFileNotFoundError",
                    msg,
                    PyFileNotFoundError::new_err,
                )
            } else {
                exception(py, "CoreIOError", msg, PyOSError::new_err)
            }
        }
    })
}

/// Runs `f`, turning a panic into a Python `RuntimeError` instead of aborting.
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(PyRuntimeError::new_err(format!(
                "internal error in fineweb-kit's Rust core (please report): {msg}"
            )))
        }
    }
}

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
