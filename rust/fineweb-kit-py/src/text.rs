//! Python bindings of `fineweb_kit_text`: one call per batch, GIL released, columns
//! returned as numpy arrays. Users go through `fineweb_kit.text`, never `_core` directly.

use crate::error::{guard, to_py};
use fineweb_kit_text::{self as text, AnalysisConfig, C4Config};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Analyses a batch of texts; returns a dict of numpy uint64 arrays (one entry per text) plus
/// `top_ngram_chars` / `dup_ngram_chars` matrices (texts x n-gram sizes).
#[pyfunction]
#[pyo3(signature = (texts, top_ngrams, dup_ngrams, stop_words, line_stop_chars, short_line_length))]
fn analyse_texts<'py>(
    py: Python<'py>,
    texts: Vec<String>,
    top_ngrams: Vec<usize>,
    dup_ngrams: Vec<usize>,
    stop_words: Vec<String>,
    line_stop_chars: Option<Vec<String>>,
    short_line_length: usize,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let config = AnalysisConfig {
            top_ngrams,
            dup_ngrams,
            stop_words,
            line_stop_chars,
            short_line_length,
        };
        let cols = py
            .detach(|| text::analyse_batch(&texts, &config))
            .map_err(to_py)?;
        let out = PyDict::new(py);
        for (name, values) in cols.scalar_columns() {
            out.set_item(name, PyArray1::from_vec(py, values))?;
        }
        let n = texts.len();
        for (name, top, k) in [
            ("top_ngram_chars", true, config.top_ngrams.len()),
            ("dup_ngram_chars", false, config.dup_ngrams.len()),
        ] {
            let flat = PyArray1::from_vec(py, cols.ngram_matrix(top));
            out.set_item(name, flat.reshape([n, k])?)?;
        }
        Ok(out)
    })
}

/// A named per-document number of a C4 result.
type C4Column = (&'static str, fn(&text::C4Result) -> usize);

/// Applies C4's line rules to a batch. Returns a dict: `reason` (list of `str | None`),
/// `text` (the rewritten text, `None` when dropped), `num_sentences` and the per-line counters
/// `line_*` (numpy uint64 arrays).
#[pyfunction]
#[pyo3(signature = (texts, split_paragraph, remove_citations, filter_no_terminal_punct,
    min_num_sentences, min_words_per_line, max_word_length, filter_lorem_ipsum,
    filter_javascript, filter_curly_bracket, filter_policy))]
#[allow(clippy::too_many_arguments)]
fn c4_filter_texts<'py>(
    py: Python<'py>,
    texts: Vec<String>,
    split_paragraph: bool,
    remove_citations: bool,
    filter_no_terminal_punct: bool,
    min_num_sentences: i64,
    min_words_per_line: i64,
    max_word_length: i64,
    filter_lorem_ipsum: bool,
    filter_javascript: bool,
    filter_curly_bracket: bool,
    filter_policy: bool,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let cfg = C4Config {
            split_paragraph,
            remove_citations,
            filter_no_terminal_punct,
            min_num_sentences,
            min_words_per_line,
            max_word_length,
            filter_lorem_ipsum,
            filter_javascript,
            filter_curly_bracket,
            filter_policy,
        };
        let results = py.detach(|| text::c4_batch(&texts, &cfg));
        let out = PyDict::new(py);
        let reasons: Vec<Option<&str>> = results
            .iter()
            .map(|r| r.verdict.map(|v| v.reason()))
            .collect();
        out.set_item("reason", reasons)?;
        let new_texts: Vec<Option<&str>> = results
            .iter()
            .map(|r| r.verdict.is_none().then_some(r.text.as_str()))
            .collect();
        out.set_item("text", new_texts)?;
        let col = |f: fn(&text::C4Result) -> usize| -> Vec<u64> {
            results.iter().map(|r| f(r) as u64).collect()
        };
        let columns: [C4Column; 8] = [
            ("num_sentences", |r| r.num_sentences),
            ("line_total", |r| r.lines.total),
            ("line_too_long_word", |r| r.lines.too_long_word),
            ("line_no_terminal_punct", |r| r.lines.no_terminal_punct),
            ("line_too_few_words", |r| r.lines.too_few_words),
            ("line_javascript", |r| r.lines.javascript),
            ("line_policy", |r| r.lines.policy),
            ("line_kept", |r| r.lines.kept),
        ];
        for (name, f) in columns {
            out.set_item(name, PyArray1::from_vec(py, col(f)))?;
        }
        Ok(out)
    })
}

/// The words of each text (spaCy-blank-English-like tokens, whitespace dropped).
#[pyfunction]
fn split_words(py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<Vec<String>>> {
    guard(|| {
        Ok(py.detach(|| {
            texts
                .iter()
                .map(|t| text::words(t).into_iter().map(str::to_string).collect())
                .collect()
        }))
    })
}

/// Sentences per text as datatrove's `split_into_sentences` counts them.
#[pyfunction]
fn count_sentences(py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<usize>> {
    guard(|| {
        Ok(py.detach(|| {
            texts
                .iter()
                .map(|t| {
                    let mut toks = Vec::new();
                    text::tokenize(t, &mut toks);
                    text::sentences::count_sentences(t, &toks)
                })
                .collect()
        }))
    })
}

/// datatrove's `simplify_text` of each text.
#[pyfunction]
fn simplify_texts(py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<String>> {
    guard(|| Ok(py.detach(|| texts.iter().map(|t| text::simplify_text(t)).collect())))
}

/// The normalised words MinHash shingles: words of `simplify_text(text)`.
#[pyfunction]
fn normalized_words(py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<Vec<String>>> {
    guard(|| Ok(py.detach(|| texts.iter().map(|t| text::normalized_words(t)).collect())))
}

/// Hashes of every window of `n` words of each text (`text::ngrams`), concatenated, and the
/// index of the text each window comes from. GIL released.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn word_ngram_hashes<'py>(
    py: Python<'py>,
    texts: Vec<pyo3::pybacked::PyBackedStr>,
    n: usize,
) -> PyResult<(Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i64>>)> {
    if n == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err("n must be >= 1"));
    }
    let (hashes, owner) = guard(|| {
        Ok(py.detach(|| {
            let (mut words, mut hashes, mut owner) = (Vec::new(), Vec::new(), Vec::new());
            for (i, t) in texts.iter().enumerate() {
                text::ngrams::ngram_hashes(t, n, &mut words, &mut hashes);
                owner.resize(hashes.len(), i as i64);
            }
            (hashes, owner)
        }))
    })?;
    Ok((
        PyArray1::from_vec(py, hashes),
        PyArray1::from_vec(py, owner),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyse_texts, m)?)?;
    m.add_function(wrap_pyfunction!(c4_filter_texts, m)?)?;
    m.add_function(wrap_pyfunction!(split_words, m)?)?;
    m.add_function(wrap_pyfunction!(count_sentences, m)?)?;
    m.add_function(wrap_pyfunction!(simplify_texts, m)?)?;
    m.add_function(wrap_pyfunction!(normalized_words, m)?)?;
    m.add_function(wrap_pyfunction!(word_ngram_hashes, m)?)?;
    Ok(())
}
