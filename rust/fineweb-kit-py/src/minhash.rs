//! Python bindings of `fineweb_kit_dedup` (MinHash, exact and sentence dedup): the Rust work
//! of the MinHash, exact and sentence dedup stages, one call per batch or per unit of work,
//! GIL released.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{guard, to_py};
use fineweb_kit_base::CoreError;
use fineweb_kit_dedup::keys::{self, KeyMode};
use fineweb_kit_dedup::minhash::{buckets, cluster, signature, sink, HashFn, MinhashConfig};
use fineweb_kit_dedup::{Kind, RecordReader};
use fineweb_kit_text::{simplify_text, words};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;

/// MinHash parameters (`a`, `b`: the permutations, drawn in Python like datatrove).
#[pyclass(module = "fineweb_kit._core", frozen)]
struct MinhashParams {
    cfg: Arc<MinhashConfig>,
}

#[pymethods]
impl MinhashParams {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n_grams: usize,
        num_buckets: usize,
        hashes_per_bucket: usize,
        hash_fn: &str,
        precision: u32,
        seed: u64,
        a: Vec<u64>,
        b: Vec<u64>,
    ) -> PyResult<Self> {
        guard(|| {
            let hf = HashFn::parse(hash_fn).map_err(to_py)?;
            let cfg = MinhashConfig::new(
                n_grams,
                num_buckets,
                hashes_per_bucket,
                hf,
                precision,
                seed,
                a,
                b,
            )
            .map_err(to_py)?;
            Ok(MinhashParams { cfg: Arc::new(cfg) })
        })
    }

    /// Hash of every parameter, written into each intermediate file.
    #[getter]
    fn fingerprint(&self) -> u64 {
        self.cfg.fingerprint()
    }

    /// Signatures of a batch: uint64 array (texts x hashes); rows of documents without any
    /// n-gram are all `2**64 - 1`, listed in the second return value (bool array).
    fn signatures<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyArray1<bool>>)> {
        guard(|| {
            let cfg = &*self.cfg;
            let n = cfg.num_hashes();
            let rows: Vec<(Vec<u64>, bool)> = py.detach(|| {
                texts
                    .par_iter()
                    .map_init(Vec::new, |scratch, t| {
                        let simple = simplify_text(t);
                        let ws = words(&simple);
                        let mut sig = vec![u64::MAX; n];
                        let ok = signature::signature(&ws, cfg, scratch, &mut sig);
                        (sig, ok)
                    })
                    .collect()
            });
            let ok: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let flat: Vec<u64> = rows.into_iter().flat_map(|r| r.0).collect();
            let arr = PyArray1::from_vec(py, flat).reshape([texts.len(), n])?;
            Ok((arr.into_any(), PyArray1::from_vec(py, ok)))
        })
    }
}

/// The first-stage writer of a dedup method (the Python base class of `SignatureSink` and
/// `KeySink`): add batches, then commit (counts) or abort (remove temporaries).
#[pyclass(module = "fineweb_kit._core", subclass)]
struct StageSink {
    inner: Option<Box<dyn fineweb_kit_dedup::StageSink>>,
}

impl StageSink {
    fn new(sink: impl fineweb_kit_dedup::StageSink + 'static) -> Self {
        StageSink {
            inner: Some(Box::new(sink)),
        }
    }
}

#[pymethods]
impl StageSink {
    /// Adds a batch of texts (GIL released).
    fn add(&mut self, py: Python<'_>, texts: Vec<String>) -> PyResult<()> {
        guard(|| {
            let s = self.inner.as_mut().ok_or_else(closed)?;
            py.detach(|| s.add_texts(&texts)).map_err(to_py)
        })
    }

    /// Writes the rest, renames every file into place and returns the counts.
    fn commit<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(|| {
            let s = self.inner.take().ok_or_else(closed)?;
            let counts = py.detach(|| s.commit_counts()).map_err(to_py)?;
            stats_dict(py, &counts)
        })
    }

    /// Removes the temporary files.
    fn abort(&mut self) {
        if let Some(s) = self.inner.take() {
            s.abort_files();
        }
    }
}

fn closed() -> PyErr {
    pyo3::exceptions::PyValueError::new_err("this sink was already committed or aborted")
}

fn stats_dict<'py>(py: Python<'py>, items: &[(&str, u64)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in items {
        d.set_item(*k, *v)?;
    }
    Ok(d)
}

/// MinHash stage 1 writer of one input file (see `fineweb_kit_dedup::minhash::sink`).
#[pyclass(module = "fineweb_kit._core", extends = StageSink)]
struct SignatureSink;

#[pymethods]
impl SignatureSink {
    #[new]
    fn new(
        params: &MinhashParams,
        root: PathBuf,
        part: &str,
        file_index: u32,
        input: &str,
        budget: usize,
    ) -> PyResult<PyClassInitializer<Self>> {
        guard(|| {
            let s = sink::SignatureSink::new(
                Arc::clone(&params.cfg),
                &root,
                part,
                file_index,
                input,
                budget,
            )
            .map_err(to_py)?;
            Ok(PyClassInitializer::from(StageSink::new(s)).add_subclass(SignatureSink))
        })
    }
}

/// Stage 2: merges one bucket's runs into the pair file `out`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn minhash_find_pairs<'py>(
    py: Python<'py>,
    inputs: Vec<PathBuf>,
    out: PathBuf,
    fingerprint: u64,
    hashes_per_bucket: usize,
    budget: usize,
    tmp_dir: PathBuf,
    meta: &str,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let st = py
            .detach(|| {
                buckets::find_pairs(
                    &inputs,
                    &out,
                    fingerprint,
                    hashes_per_bucket,
                    budget,
                    &tmp_dir,
                    meta,
                )
            })
            .map_err(to_py)?;
        stats_dict(
            py,
            &[
                ("signatures", st.signatures),
                ("pairs", st.pairs),
                ("runs", st.inputs as u64),
                ("extra_merge_passes", st.extra_passes as u64),
                ("intermediate_runs", st.intermediate_runs as u64),
            ],
        )
    })
}

/// Stage 3: clusters the pairs and writes one cluster file per input file with duplicates.
#[pyfunction]
fn minhash_cluster<'py>(
    py: Python<'py>,
    pair_files: Vec<PathBuf>,
    out_dir: PathBuf,
    fingerprint: u64,
    keep: &str,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let keep = cluster::KeepRule::parse(keep).map_err(to_py)?;
        let st = py
            .detach(|| cluster::cluster(&pair_files, &out_dir, fingerprint, keep))
            .map_err(to_py)?;
        stats_dict(
            py,
            &[
                ("pairs", st.pairs),
                ("clustered_documents", st.clustered_documents),
                ("clusters", st.clusters),
                ("removed", st.removed),
                ("files", st.files),
                ("union_find_bytes", st.memory_bytes),
            ],
        )
    })
}

fn kind_of(name: &str) -> PyResult<Kind> {
    Ok(match name {
        "signatures" => Kind::Signatures,
        "pairs" => Kind::Pairs,
        "clusters" => Kind::Clusters,
        "docs" => Kind::Docs,
        "keys" => Kind::Keys,
        _ => {
            return Err(to_py(CoreError::InvalidArgument(format!(
                "unknown record kind {name:?}"
            ))))
        }
    })
}

/// Reads and validates a whole record file: `(meta JSON, uint64 array (records x words))`.
#[pyfunction]
fn read_records<'py>(
    py: Python<'py>,
    path: PathBuf,
    kind: &str,
    fingerprint: u64,
    words: usize,
) -> PyResult<(String, Bound<'py, PyAny>)> {
    guard(|| {
        let kind = kind_of(kind)?;
        let (meta, flat) = py
            .detach(|| {
                let r = RecordReader::open(Path::new(&path), kind, fingerprint, words, 1 << 20)?;
                let meta = r.meta.clone();
                Ok::<_, CoreError>((meta, r.read_all()?))
            })
            .map_err(to_py)?;
        let n = flat.len() / words.max(1);
        let arr = PyArray1::from_vec(py, flat).reshape([n, words])?;
        Ok((meta, arr.into_any()))
    })
}

fn key_mode(mode: &str, n_sentences: usize) -> PyResult<KeyMode> {
    match mode {
        "exact" => Ok(KeyMode::Exact),
        "sentences" if n_sentences > 0 => Ok(KeyMode::Sentences(n_sentences)),
        _ => Err(to_py(CoreError::InvalidArgument(format!(
            "key mode {mode:?} (n_sentences {n_sentences}): expected \"exact\" or \"sentences\" with n >= 1"
        )))),
    }
}

/// First stage of exact / sentence dedup for one input file (see `fineweb_kit_dedup::keys`).
#[pyclass(module = "fineweb_kit._core", extends = StageSink)]
struct KeySink;

#[pymethods]
impl KeySink {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        mode: &str,
        n_sentences: usize,
        root: PathBuf,
        part: &str,
        file_index: u32,
        input: &str,
        fingerprint: u64,
        budget: usize,
    ) -> PyResult<PyClassInitializer<Self>> {
        guard(|| {
            let mode = key_mode(mode, n_sentences)?;
            let s = keys::KeySink::new(mode, &root, part, file_index, input, fingerprint, budget)
                .map_err(to_py)?;
            Ok(PyClassInitializer::from(StageSink::new(s)).add_subclass(KeySink))
        })
    }
}

/// Merges every key run and writes the duplicates per input file.
#[pyfunction]
fn dedup_find_duplicates<'py>(
    py: Python<'py>,
    inputs: Vec<PathBuf>,
    out_dir: PathBuf,
    fingerprint: u64,
    budget: usize,
    tmp_dir: PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let st = py
            .detach(|| keys::find_duplicates(&inputs, &out_dir, fingerprint, budget, &tmp_dir))
            .map_err(to_py)?;
        stats_dict(
            py,
            &[
                ("keys", st.keys),
                ("duplicate_groups", st.duplicate_groups),
                ("duplicates", st.duplicates),
                ("files", st.files),
            ],
        )
    })
}

/// Removes the sentences covered by duplicate windows: for each `(text, window starts)`,
/// returns `(new text, sentences removed)`.
#[pyfunction]
fn dedup_remove_sentences(
    py: Python<'_>,
    items: Vec<(String, Vec<u64>)>,
    n_sentences: usize,
) -> PyResult<Vec<(String, usize)>> {
    guard(|| {
        Ok(py.detach(|| {
            items
                .par_iter()
                .map(|(t, starts)| keys::remove_sentences(t, starts, n_sentences))
                .collect()
        }))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<StageSink>()?;
    m.add_class::<KeySink>()?;
    m.add_function(wrap_pyfunction!(dedup_find_duplicates, m)?)?;
    m.add_function(wrap_pyfunction!(dedup_remove_sentences, m)?)?;
    m.add_class::<MinhashParams>()?;
    m.add_class::<SignatureSink>()?;
    m.add_function(wrap_pyfunction!(minhash_find_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_cluster, m)?)?;
    m.add_function(wrap_pyfunction!(read_records, m)?)?;
    Ok(())
}
