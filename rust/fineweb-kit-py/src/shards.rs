//! Python bindings of `fineweb_kit_shards`: the shard writer, header reading,
//! verification and document copying. Every call that touches the disk releases the GIL.

use std::path::{Path, PathBuf};

use fineweb_kit_base::CoreError;
use fineweb_kit_shards::{self as shards, Boundary, Dtype, Header, ShardSpec};
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::error::{guard, to_py};

fn header_dict<'py>(py: Python<'py>, h: &Header) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("version", shards::VERSION)?;
    d.set_item("dtype", h.dtype.name())?;
    d.set_item("boundary", h.boundary.name())?;
    d.set_item("boundary_token", h.boundary_token)?;
    d.set_item("vocab_size", h.vocab_size)?;
    d.set_item("n_tokens", h.n_tokens)?;
    d.set_item("n_docs", h.n_docs)?;
    d.set_item("fingerprint", h.fingerprint_hex())?;
    d.set_item("has_mask", h.has_mask)?;
    d.set_item("tokens_offset", h.tokens_offset)?;
    d.set_item("index_offset", h.index_offset)?;
    d.set_item("mask_offset", h.mask_offset)?;
    d.set_item("file_len", h.file_len)?;
    Ok(d)
}

fn slice<'a, T: numpy::Element>(a: &'a PyReadonlyArray1<'_, T>, what: &str) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err(format!("{what} must be a contiguous array")))
}

/// Writes one shard. Not thread-safe; one writer per file.
#[pyclass(module = "fineweb_kit._core")]
pub struct ShardWriter {
    inner: Option<shards::ShardWriter>,
    path: PathBuf,
}

#[pymethods]
impl ShardWriter {
    #[new]
    #[pyo3(signature = (path, vocab_size, fingerprint, boundary="append", boundary_token=None, dtype=None, with_mask=false))]
    fn new(
        path: PathBuf,
        vocab_size: u64,
        fingerprint: &[u8],
        boundary: &str,
        boundary_token: Option<u32>,
        dtype: Option<&str>,
        with_mask: bool,
    ) -> PyResult<Self> {
        guard(|| {
            let fingerprint: [u8; 32] = fingerprint.try_into().map_err(|_| {
                PyValueError::new_err(format!(
                    "fingerprint must be 32 bytes (sha256), got {}",
                    fingerprint.len()
                ))
            })?;
            let spec = ShardSpec {
                vocab_size,
                dtype: dtype.map(Dtype::parse).transpose().map_err(to_py)?,
                fingerprint,
                boundary: Boundary::parse(boundary).map_err(to_py)?,
                boundary_token,
                with_mask,
            };
            let inner = shards::ShardWriter::create(&path, spec).map_err(to_py)?;
            Ok(ShardWriter {
                inner: Some(inner),
                path,
            })
        })
    }

    /// Appends documents: `flat` (uint32 ids of all documents), `ends` (uint64 exclusive end
    /// of each document in `flat`), `mask` (uint8 per id, only for shards with a mask).
    /// `add_boundary` adds the boundary token to each document.
    #[pyo3(signature = (flat, ends, mask=None, add_boundary=true))]
    fn append(
        &mut self,
        py: Python<'_>,
        flat: PyReadonlyArray1<'_, u32>,
        ends: PyReadonlyArray1<'_, u64>,
        mask: Option<PyReadonlyArray1<'_, u8>>,
        add_boundary: bool,
    ) -> PyResult<()> {
        guard(|| {
            let w = self.writer()?;
            let flat = slice(&flat, "flat")?;
            let ends = slice(&ends, "ends")?;
            let mask = mask.as_ref().map(|m| slice(m, "mask")).transpose()?;
            py.detach(|| w.append_docs(flat, ends, mask, add_boundary))
                .map_err(to_py)
        })
    }

    /// Tokens written so far.
    #[getter]
    fn n_tokens(&self) -> u64 {
        self.inner.as_ref().map_or(0, |w| w.n_tokens())
    }

    /// Documents written so far.
    #[getter]
    fn n_docs(&self) -> u64 {
        self.inner.as_ref().map_or(0, |w| w.n_docs())
    }

    /// Completes the file and returns its header as a dict.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(|| {
            let w = self.inner.take().ok_or_else(|| closed(&self.path))?;
            let h = py.detach(|| w.finish()).map_err(to_py)?;
            header_dict(py, &h)
        })
    }

    /// Closes without completing (the file is left invalid; the caller deletes it).
    fn abort(&mut self) {
        self.inner = None;
    }
}

impl ShardWriter {
    fn writer(&mut self) -> PyResult<&mut shards::ShardWriter> {
        let path = self.path.clone();
        self.inner.as_mut().ok_or_else(|| closed(&path))
    }
}

fn closed(path: &Path) -> PyErr {
    PyValueError::new_err(format!("{}: shard writer already closed", path.display()))
}

/// The checked header of a shard (magic, version, checksum, file length) as a dict.
#[pyfunction]
fn shard_header<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let h = py.detach(|| shards::read_header(&path)).map_err(to_py)?;
        header_dict(py, &h)
    })
}

/// Raw 32 fingerprint bytes of a shard.
#[pyfunction]
fn shard_fingerprint<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyBytes>> {
    guard(|| {
        let h = py.detach(|| shards::read_header(&path)).map_err(to_py)?;
        Ok(PyBytes::new(py, &h.fingerprint))
    })
}

/// Full verification: section checksums and the document index. Returns the header.
#[pyfunction]
fn shard_verify<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let h = py.detach(|| shards::verify(&path)).map_err(to_py)?;
        header_dict(py, &h)
    })
}

/// Copies documents `(sources[i], docs[i])` from `inputs` into a new shard at `out`.
#[pyfunction]
fn shard_copy_docs<'py>(
    py: Python<'py>,
    inputs: Vec<PathBuf>,
    sources: PyReadonlyArray1<'_, u32>,
    docs: PyReadonlyArray1<'_, u64>,
    out: PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let sources = slice(&sources, "sources")?;
        let docs = slice(&docs, "docs")?;
        if sources.len() != docs.len() {
            return Err(to_py(CoreError::InvalidArgument(format!(
                "{} sources for {} documents",
                sources.len(),
                docs.len()
            ))));
        }
        let picks: Vec<(u32, u64)> = sources.iter().copied().zip(docs.iter().copied()).collect();
        let paths: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        let h = py
            .detach(|| shards::copy_docs(&paths, &picks, &out))
            .map_err(to_py)?;
        header_dict(py, &h)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ShardWriter>()?;
    m.add_function(wrap_pyfunction!(shard_header, m)?)?;
    m.add_function(wrap_pyfunction!(shard_fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(shard_verify, m)?)?;
    m.add_function(wrap_pyfunction!(shard_copy_docs, m)?)?;
    Ok(())
}
