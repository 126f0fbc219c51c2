//! Python binding of `fineweb_kit_extract`: a batch of pages in, one result per page out,
//! GIL released. Users go through `fineweb_kit.extract.main_content`, never `_core` directly.

use crate::error::guard;
use fineweb_kit_extract::{self as extract, Bias, ExtractOptions, Outcome};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::time::Duration;

/// Extracts the main content of each page. Returns one `(status, text)` per page: status
/// `"ok"` (text, possibly empty), `"too_large"` or `"timeout"` (text empty).
#[pyfunction]
#[pyo3(signature = (pages, bias, include_tables, include_title, min_text_chars, max_html_bytes,
    timeout_s, threads=1))]
#[allow(clippy::too_many_arguments)]
fn extract_main_content(
    py: Python<'_>,
    pages: Vec<String>,
    bias: &str,
    include_tables: bool,
    include_title: bool,
    min_text_chars: usize,
    max_html_bytes: usize,
    timeout_s: f64,
    threads: usize,
) -> PyResult<Vec<(&'static str, String)>> {
    guard(|| {
        let bias = Bias::parse(bias).ok_or_else(|| {
            PyValueError::new_err(format!(
                "bias: expected 'precision', 'balanced' or 'recall', got {bias:?}"
            ))
        })?;
        let opts = ExtractOptions {
            bias,
            include_tables,
            include_title,
            min_text_chars,
            max_html_bytes,
            timeout: (timeout_s > 0.0).then(|| Duration::from_secs_f64(timeout_s)),
            ..Default::default()
        };
        let outcomes = py.detach(|| extract::extract_batch(&pages, &opts, threads));
        Ok(outcomes
            .into_iter()
            .map(|o| match o {
                Outcome::Text(t) => ("ok", t),
                Outcome::TooLarge => ("too_large", String::new()),
                Outcome::Timeout => ("timeout", String::new()),
            })
            .collect())
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(extract_main_content, m)?)
}
