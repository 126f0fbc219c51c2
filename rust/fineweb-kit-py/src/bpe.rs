//! Python bindings of `fineweb_kit_bpe`: the `Bpe` class and `train_bpe`.
//!
//! Texts are borrowed (`&str` / `PyBackedStr`, no copy); every encode, decode, load and train
//! runs with the GIL released; errors go through `error::to_py`; panics through `guard`.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use fineweb_kit_bpe::encoder::in_text;
use fineweb_kit_bpe::{io, train, Bpe, Rank, SpecialSet};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyInt, PyList};

use crate::error::{guard, to_py};

/// A byte-level BPE tokenizer (rank table + pre-tokeniser + special tokens).
#[pyclass(name = "Bpe", module = "fineweb_kit._core", frozen)]
pub struct PyBpe {
    inner: Arc<Bpe>,
    /// One Python int per id, made on first use: a returned list holds references to these
    /// instead of a fresh int object per token (allocating those cost as much as encoding).
    ints: PyOnceLock<Vec<Py<PyInt>>>,
}

fn set(names: Vec<String>) -> SpecialSet {
    if names.is_empty() {
        SpecialSet::None
    } else {
        SpecialSet::Some(names.into_iter().collect())
    }
}

fn wrap(b: Bpe) -> PyBpe {
    PyBpe {
        inner: Arc::new(b),
        ints: PyOnceLock::new(),
    }
}

impl PyBpe {
    /// `ids` as a Python list of the cached int objects.
    fn to_list<'py>(&self, py: Python<'py>, ids: &[Rank]) -> PyResult<Bound<'py, PyList>> {
        let ints = self.ints.get_or_init(py, || {
            (0..self.inner.n_vocab() as u64)
                .map(|i| PyInt::new(py, i).unbind())
                .collect()
        });
        PyList::new(
            py,
            ids.iter().map(|&id| match ints.get(id as usize) {
                Some(int) => int.bind(py).clone(),
                None => PyInt::new(py, id),
            }),
        )
    }

    /// Writes `render(tokenizer)` to `path` atomically, GIL released.
    fn write_file(
        &self,
        py: Python<'_>,
        path: PathBuf,
        render: fn(&Bpe) -> String,
    ) -> PyResult<()> {
        guard(|| {
            py.detach(|| io::write_atomic(&path, render(&self.inner).as_bytes()))
                .map_err(to_py)
        })
    }
}

#[pymethods]
impl PyBpe {
    /// Builds from (bytes, rank) pairs, a pattern (name or regex) and (string, id) specials.
    #[staticmethod]
    fn from_ranks(
        py: Python<'_>,
        ranks: Vec<(Vec<u8>, Rank)>,
        pattern: String,
        special_tokens: Vec<(String, Rank)>,
    ) -> PyResult<Self> {
        guard(|| {
            py.detach(|| Bpe::new(ranks, special_tokens, &pattern))
                .map(wrap)
                .map_err(to_py)
        })
    }

    /// Loads a tiktoken rank file.
    #[staticmethod]
    fn from_tiktoken(
        py: Python<'_>,
        path: PathBuf,
        pattern: String,
        special_tokens: Vec<(String, Rank)>,
    ) -> PyResult<Self> {
        guard(|| {
            py.detach(|| {
                let ranks = io::load_tiktoken(&path)?;
                Bpe::new(ranks, special_tokens, &pattern)
            })
            .map(wrap)
            .map_err(to_py)
        })
    }

    /// Loads a byte-level BPE HF `tokenizer.json`.
    #[staticmethod]
    fn from_hf(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        guard(|| py.detach(|| io::load_hf(&path)).map(wrap).map_err(to_py))
    }

    /// Loads fineweb-kit's own format.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        guard(|| py.detach(|| io::load_own(&path)).map(wrap).map_err(to_py))
    }

    /// Writes fineweb-kit's own format (atomically).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.write_file(py, path, |b| io::own_json(b).to_string())
    }

    /// Writes a HF `tokenizer.json` (atomically).
    fn save_hf(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.write_file(py, path, |b| io::hf_json(b).to_string())
    }

    /// Writes a tiktoken rank file of the mergeable tokens (atomically).
    fn save_tiktoken(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.write_file(py, path, io::tiktoken_text)
    }

    #[getter]
    fn n_vocab(&self) -> usize {
        self.inner.n_vocab()
    }

    #[getter]
    fn pattern(&self) -> String {
        self.inner.pretokenizer().pattern().to_string()
    }

    #[getter]
    fn special_tokens(&self) -> Vec<(String, Rank)> {
        self.inner.specials().to_vec()
    }

    /// The mergeable tokens as (bytes, rank), by rank.
    fn mergeable_ranks<'py>(&self, py: Python<'py>) -> Vec<(Bound<'py, PyBytes>, Rank)> {
        self.inner
            .ranks()
            .into_iter()
            .map(|(b, r)| (PyBytes::new(py, b), r))
            .collect()
    }

    /// Pieces of the pre-tokeniser (for inspection and tests).
    fn pretokenize(&self, py: Python<'_>, text: &str) -> PyResult<Vec<String>> {
        guard(|| {
            py.detach(|| {
                let pieces = self.inner.pretokenizer().pieces(text)?;
                Ok(pieces.into_iter().map(str::to_string).collect())
            })
            .map_err(to_py)
        })
    }

    fn encode_ordinary<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let ids = guard(|| {
            py.detach(|| self.inner.encode_ordinary(text))
                .map_err(to_py)
        })?;
        self.to_list(py, &ids)
    }

    /// `allowed` / `disallowed`: explicit lists of special-token strings.
    fn encode<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        allowed: Vec<String>,
        disallowed: Vec<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let (a, d) = (set(allowed), set(disallowed));
        let ids = guard(|| py.detach(|| self.inner.encode(text, &a, &d)).map_err(to_py))?;
        self.to_list(py, &ids)
    }

    /// Encodes on worker threads while this thread (holding the GIL) turns finished results
    /// into lists, so list building overlaps encoding instead of following it.
    #[pyo3(signature = (texts, allowed, disallowed, num_threads=None))]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        allowed: Vec<String>,
        disallowed: Vec<String>,
        num_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let (a, d) = (set(allowed), set(disallowed));
        let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
        if num_threads == Some(1) {
            // One thread: encode everything into one flat vector, then build the lists from
            // it in one pass (no channel, no per-text vectors).
            let (ids, offsets) = guard(|| {
                py.detach(|| self.inner.encode_flat(&refs, &a, &d, None, Some(1)))
                    .map_err(to_py)
            })?;
            let lists = offsets
                .windows(2)
                .map(|w| self.to_list(py, &ids[w[0] as usize..w[1] as usize]))
                .collect::<PyResult<Vec<_>>>()?;
            return PyList::new(py, lists);
        }
        let out = PyList::new(py, refs.iter().map(|_| py.None()))?;
        guard(|| {
            let (tx, rx) = mpsc::channel();
            let (inner, refs) = (&self.inner, &refs);
            std::thread::scope(|s| {
                let worker = s.spawn(move || {
                    inner.encode_each(refs, &a, &d, num_threads, |i, ids| {
                        // The receiver only goes away after this thread is joined.
                        let _ = tx.send((i, ids));
                    })
                });
                let mut first_err = None;
                let mut rx = rx;
                for _ in 0..refs.len() {
                    let (next, back) = next_result(py, rx);
                    rx = back;
                    let Some((i, ids)) = next else { break };
                    match ids {
                        Ok(ids) if first_err.is_none() => {
                            out.set_item(i, self.to_list(py, &ids)?)?
                        }
                        Ok(_) => {}
                        // Report the failing text with the lowest index, whatever the order.
                        Err(e) if first_err.as_ref().is_none_or(|(j, _)| i < *j) => {
                            first_err = Some((i, e))
                        }
                        Err(_) => {}
                    }
                }
                let done = py.detach(|| worker.join());
                let done = done.map_err(|_| {
                    pyo3::exceptions::PyRuntimeError::new_err("an encoding thread panicked")
                })?;
                done.map_err(to_py)?;
                first_err.map_or(Ok(()), |(i, e)| Err(to_py(in_text(i, e))))
            })
        })?;
        Ok(out)
    }

    /// All texts' ids in one uint32 array plus `len(texts) + 1` int64 offsets: text `i` is
    /// `ids[offsets[i]:offsets[i + 1]]` (with `eot` appended to each text if given).
    #[pyo3(signature = (texts, allowed, disallowed, eot=None, num_threads=None))]
    #[allow(clippy::type_complexity)]
    fn encode_flat<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        allowed: Vec<String>,
        disallowed: Vec<String>,
        eot: Option<Rank>,
        num_threads: Option<usize>,
    ) -> PyResult<(Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<i64>>)> {
        let (a, d) = (set(allowed), set(disallowed));
        let (ids, offsets) = guard(|| {
            py.detach(|| {
                let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
                self.inner.encode_flat(&refs, &a, &d, eot, num_threads)
            })
            .map_err(to_py)
        })?;
        Ok((PyArray1::from_vec(py, ids), PyArray1::from_vec(py, offsets)))
    }

    /// Caps each thread's piece cache at `bytes` (0: no cache) and empties the caches.
    fn set_cache_bytes(&self, bytes: usize) {
        self.inner.set_cache_bytes(bytes);
    }

    /// (cap per thread, idle caches, bytes they hold, pieces they hold).
    fn cache_info(&self) -> (usize, usize, usize, usize) {
        let (n, bytes, pieces) = self.inner.cache_stats();
        (self.inner.cache_bytes(), n, bytes, pieces)
    }

    /// All texts' ids concatenated into one uint32 array; `eot`: id appended after each text.
    #[pyo3(signature = (texts, allowed, disallowed, eot=None, num_threads=None))]
    fn encode_to_numpy<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        allowed: Vec<String>,
        disallowed: Vec<String>,
        eot: Option<Rank>,
        num_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let (a, d) = (set(allowed), set(disallowed));
        let ids = guard(|| {
            py.detach(|| {
                let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
                self.inner.encode_concat(&refs, &a, &d, eot, num_threads)
            })
            .map_err(to_py)
        })?;
        Ok(PyArray1::from_vec(py, ids))
    }

    /// Renders validated conversations through the chat template (`chat.rs`); `specials`:
    /// the ids of the 11 chat special tokens in `CHAT_SPECIALS` order; `num_threads`: encoder
    /// threads (None: all cores). Returns
    /// `(ids u32, mask u8, conv_ends i64, turn_ends i64, turn_counts i64)`.
    #[allow(clippy::type_complexity)]
    #[pyo3(signature = (conversations, specials, num_threads=None))]
    fn render_chat<'py>(
        &self,
        py: Python<'py>,
        conversations: &Bound<'py, PyList>,
        specials: [Rank; 11],
        num_threads: Option<usize>,
    ) -> PyResult<(
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u8>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<i64>>,
    )> {
        let r = guard(|| {
            crate::chat::render_then(py, &self.inner, conversations, specials, num_threads, |r| {
                Ok(std::mem::take(r)) // the arrays go to Python
            })
        })?;
        Ok((
            PyArray1::from_vec(py, r.ids),
            PyArray1::from_vec(py, r.mask),
            PyArray1::from_vec(py, r.conv_ends),
            PyArray1::from_vec(py, r.turn_ends),
            PyArray1::from_vec(py, r.turn_counts),
        ))
    }

    /// Renders validated conversations and packs them into documents of at most `window`
    /// tokens (`chat/packing.rs`): with `packed`, best-fit windows of exactly `window`
    /// tokens padded with `<|bos|>`; else one document per conversation. Longer ones are
    /// cut at a turn (`overlong="truncate"`) or dropped. Returns `(ids u32, mask u8,
    /// doc_ends u64, (conversations, tokens_conversation, truncated, dropped,
    /// windows_greedy))`.
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    #[pyo3(signature = (conversations, specials, window, overlong="truncate", packed=true, num_threads=None))]
    fn render_pack_chat<'py>(
        &self,
        py: Python<'py>,
        conversations: &Bound<'py, PyList>,
        specials: [Rank; 11],
        window: usize,
        overlong: &str,
        packed: bool,
        num_threads: Option<usize>,
    ) -> PyResult<(
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u8>>,
        Bound<'py, PyArray1<u64>>,
        (u64, u64, u64, u64, u64),
    )> {
        let overlong = crate::chat::overlong(overlong)?;
        let p = guard(|| {
            crate::chat::render_then(py, &self.inner, conversations, specials, num_threads, |r| {
                // padding: <|bos|>
                fineweb_kit_chat::packing::pack(r, window, overlong, packed, specials[0])
            })
        })?;
        let stats = (
            p.conversations,
            p.tokens_conversation,
            p.truncated,
            p.dropped,
            p.windows_greedy,
        );
        Ok((
            PyArray1::from_vec(py, p.ids),
            PyArray1::from_vec(py, p.mask),
            PyArray1::from_vec(py, p.doc_ends),
            stats,
        ))
    }

    fn decode_bytes<'py>(&self, py: Python<'py>, ids: Vec<Rank>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = guard(|| py.detach(|| self.inner.decode_bytes(&ids)).map_err(to_py))?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn decode(&self, py: Python<'_>, ids: Vec<Rank>) -> PyResult<String> {
        guard(|| py.detach(|| self.inner.decode(&ids)).map_err(to_py))
    }

    /// Decodes a uint32/int64 numpy array or any integer sequence.
    fn decode_array<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyArray1<u32>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let ro = ids.readonly();
        let slice = ro.as_slice()?;
        let bytes = guard(|| self.inner.decode_bytes(slice).map_err(to_py))?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn token_bytes<'py>(&self, py: Python<'py>, id: Rank) -> Option<Bound<'py, PyBytes>> {
        self.inner.token_bytes(id).map(|b| PyBytes::new(py, b))
    }

    fn rank_of(&self, token: &[u8]) -> Option<Rank> {
        self.inner.rank_of(token)
    }
}

/// The next finished result, waiting with the GIL released; the receiver moves in and back
/// out because a detached closure may only capture `Send` values. When none is ready the wait
/// starts with a short sleep, so that this thread (usually faster than the encoders) takes
/// the results that piled up meanwhile in one go instead of being woken for every text.
fn next_result<T: Send>(py: Python<'_>, rx: mpsc::Receiver<T>) -> (Option<T>, mpsc::Receiver<T>) {
    match rx.try_recv() {
        Ok(x) => (Some(x), rx),
        Err(_) => py.detach(move || {
            std::thread::sleep(std::time::Duration::from_micros(200));
            (rx.recv().ok(), rx)
        }),
    }
}

/// Pulls up to `max_bytes` / `max_texts` strings from a Python iterator (under the GIL).
fn refill(
    it: &Bound<'_, PyAny>,
    buf: &mut Vec<String>,
    max_bytes: usize,
    max_texts: usize,
) -> PyResult<bool> {
    buf.clear();
    let mut bytes = 0;
    while bytes < max_bytes && buf.len() < max_texts {
        match it.call_method0("__next__") {
            Ok(obj) => {
                let s: String = obj.extract()?;
                bytes += s.len();
                buf.push(s);
            }
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(it.py()) => {
                return Ok(true)
            }
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Trains a byte-level BPE vocabulary from an iterator of texts (see `train::Trainer`).
#[pyfunction]
#[pyo3(signature = (texts, vocab_size, pattern, special_tokens, num_threads=None, buffer_bytes=64<<20, progress=None))]
#[allow(clippy::too_many_arguments)]
fn train_bpe(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    vocab_size: usize,
    pattern: String,
    special_tokens: Vec<String>,
    num_threads: Option<usize>,
    buffer_bytes: usize,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyBpe> {
    guard(|| {
        let mut trainer =
            train::Trainer::new(&pattern, vocab_size, special_tokens.len()).map_err(to_py)?;
        let it = texts.try_iter()?;
        let it = it.as_any();
        let mut buf = Vec::new();
        loop {
            let done = refill(it, &mut buf, buffer_bytes, 1 << 16)?;
            py.detach(|| trainer.count(&buf, num_threads))
                .map_err(to_py)?;
            if let Some(cb) = &progress {
                let n: usize = buf.iter().map(String::len).sum();
                cb.call1(py, ("count", n))?;
            }
            if done {
                break;
            }
        }
        drop(buf);
        let bpe = py
            .detach(|| trainer.finish(&special_tokens, num_threads))
            .map_err(to_py)?;
        Ok(wrap(bpe))
    })
}

/// A streaming trainer for callers that see texts in batches (the pipeline step): counting
/// memory is bounded by the number of distinct pieces.
#[pyclass(name = "BpeTrainer", module = "fineweb_kit._core")]
pub struct PyTrainer {
    inner: Option<train::Trainer>,
}

#[pymethods]
impl PyTrainer {
    #[new]
    fn new(pattern: &str, vocab_size: usize, n_specials: usize) -> PyResult<Self> {
        guard(|| {
            let t = train::Trainer::new(pattern, vocab_size, n_specials).map_err(to_py)?;
            Ok(Self { inner: Some(t) })
        })
    }

    /// Pre-tokenises and counts a batch of texts (GIL released, parallel).
    #[pyo3(signature = (texts, num_threads=None))]
    fn count(
        &mut self,
        py: Python<'_>,
        texts: Vec<PyBackedStr>,
        num_threads: Option<usize>,
    ) -> PyResult<()> {
        let t = self.inner.as_mut().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err("this trainer has already finished")
        })?;
        guard(|| {
            py.detach(|| {
                let refs: Vec<&str> = texts.iter().map(|t| &**t).collect();
                t.count(&refs, num_threads)
            })
            .map_err(to_py)
        })
    }

    #[getter]
    fn distinct_pieces(&self) -> usize {
        self.inner.as_ref().map_or(0, |t| t.distinct_pieces())
    }

    /// Runs the merges; the trainer cannot be used afterwards.
    #[pyo3(signature = (special_tokens, num_threads=None))]
    fn finish(
        &mut self,
        py: Python<'_>,
        special_tokens: Vec<String>,
        num_threads: Option<usize>,
    ) -> PyResult<PyBpe> {
        let t = self.inner.take().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err("this trainer has already finished")
        })?;
        guard(|| {
            py.detach(|| t.finish(&special_tokens, num_threads))
                .map(wrap)
                .map_err(to_py)
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBpe>()?;
    m.add_class::<PyTrainer>()?;
    m.add_function(wrap_pyfunction!(train_bpe, m)?)?;
    Ok(())
}
