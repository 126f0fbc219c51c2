//! Python bindings of `fineweb_kit_fasttext`: `FastTextKernel(path)` with
//! `labels()`, `score(lines, positive)` and `score_texts(texts, positive)` over a whole batch,
//! GIL released.

use std::path::PathBuf;

use fineweb_kit_fasttext::{FastTextModel, Prep};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

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

    /// DCLM's score of each line as fastText's `predict` reads it (one line per document).
    fn score(
        &self,
        py: Python<'_>,
        lines: Vec<PyBackedStr>,
        positive: usize,
    ) -> PyResult<Vec<f64>> {
        self.run(py, &lines, positive, Prep::Line)
    }

    /// DCLM's score of each raw document text, read as its prepared line
    /// `" ".join(text.strip().splitlines())` (same tokens, without building the string).
    fn score_texts(
        &self,
        py: Python<'_>,
        texts: Vec<PyBackedStr>,
        positive: usize,
    ) -> PyResult<Vec<f64>> {
        self.run(py, &texts, positive, Prep::Dclm)
    }
}

impl FastTextKernel {
    fn run(
        &self,
        py: Python<'_>,
        texts: &[PyBackedStr],
        positive: usize,
        prep: Prep,
    ) -> PyResult<Vec<f64>> {
        guard(|| {
            if positive >= self.model.labels().len() {
                return Err(PyValueError::new_err(format!(
                    "positive label index {positive} out of range"
                )));
            }
            Ok(py.detach(|| self.model.score_batch(texts, positive, prep)))
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FastTextKernel>()
}
