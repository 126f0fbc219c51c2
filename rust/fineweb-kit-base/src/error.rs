//! One error type for the whole core, one variant per area.
//!
//! The Python glue maps each variant to an exception in `fineweb_kit.exceptions`.

use thiserror::Error;

/// Everything that can go wrong in the core. Messages say what to do.
#[derive(Debug, Error)]
pub enum CoreError {
    /// Invalid argument passed by the caller (bad threshold, vocab size, ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// A tokenizer file (rank file, tokenizer.json) or encoding problem.
    #[error("{0}")]
    Tokenizer(String),
    /// A binary file of ours (signatures, shards, ...) is damaged or of another version.
    #[error("{0}")]
    Format(String),
    /// Operating-system I/O error, with the path it concerns.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Result alias used across the core.
pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.into(),
            source,
        }
    }
}
