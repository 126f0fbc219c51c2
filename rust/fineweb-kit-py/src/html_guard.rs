//! Python binding of `fineweb_kit_extract::html_guard`: nesting depth and tag count of a batch of
//! pages (UTF-8 `bytes` or `str`), GIL released, pages borrowed (no copy). Users go through
//! `fineweb_kit.steps.extractors.html_guard`, never `_core` directly.

use crate::error::guard;
use fineweb_kit_extract::html_guard::{html_shapes as shapes, ShapeLimits};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};

/// A page as given: UTF-8 bytes or text, borrowed either way (no copy; text is read through
/// its cached UTF-8 form).
#[derive(FromPyObject)]
enum Page {
    Bytes(PyBackedBytes),
    Text(PyBackedStr),
}

impl AsRef<[u8]> for Page {
    fn as_ref(&self) -> &[u8] {
        match self {
            Page::Bytes(b) => b,
            Page::Text(s) => s.as_bytes(),
        }
    }
}

type DepthColumn<'py> = Bound<'py, PyArray1<u64>>;
type TagsColumn<'py> = Bound<'py, PyArray1<u64>>;

/// `(max_depth, tags)`: two numpy uint64 arrays, one entry per page. A page's scan stops once
/// its depth exceeds `max_depth` or its tag count exceeds `max_tags` (the counts are then
/// partial, but over the limit).
#[pyfunction]
#[pyo3(signature = (pages, max_depth=u64::MAX, max_tags=u64::MAX))]
fn html_shapes<'py>(
    py: Python<'py>,
    pages: Vec<Page>,
    max_depth: u64,
    max_tags: u64,
) -> PyResult<(DepthColumn<'py>, TagsColumn<'py>)> {
    guard(|| {
        let limits = ShapeLimits {
            max_depth,
            max_tags,
        };
        let out = py.detach(|| shapes(&pages, limits));
        let depths = out.iter().map(|s| s.max_depth).collect::<Vec<_>>();
        let tags = out.iter().map(|s| s.tags).collect::<Vec<_>>();
        Ok((PyArray1::from_vec(py, depths), PyArray1::from_vec(py, tags)))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(html_shapes, m)?)?;
    Ok(())
}
