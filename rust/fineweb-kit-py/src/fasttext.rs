//! Python bindings of `fineweb_kit_core::fasttext`: `FastTextKernel(path)` with
//! `labels()` and `score(lines, positive)` over a whole batch, GIL released.

use std::path::PathBuf;

use fineweb_kit_core::fasttext::FastTextModel;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::{guard, to_py};

/// A fastText supervised model loaded for batched scoring.
#[pyclass(module = "fineweb_kit._core", frozen)]
pub struct FastTextKernel {
    model: FastTextModel,
}

#[pymethods]
impl FastTextKernel {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        guard(|| {
            let model = py.detach(|| FastTextModel::load(&path)).map_err(to_py)?;
            Ok(FastTextKernel { model })
        })
    }

    /// The model's labels in output order.
    fn labels(&self) -> Vec<String> {
        self.model.labels().to_vec()
    }

    /// DCLM's score of each prepared line (one line per document, no newline).
    fn score(&self, py: Python<'_>, lines: Vec<String>, positive: usize) -> PyResult<Vec<f64>> {
        guard(|| {
            if positive >= self.model.labels().len() {
                return Err(PyValueError::new_err(format!(
                    "positive label index {positive} out of range"
                )));
            }
            Ok(py.detach(|| {
                lines
                    .iter()
                    .map(|l| self.model.score(l.as_bytes(), positive))
                    .collect()
            }))
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FastTextKernel>()
}
