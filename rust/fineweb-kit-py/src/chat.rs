//! The Python side of `fineweb_kit_chat`: walks validated conversations (lists of
//! message dicts, `fineweb_kit/chat/messages.py`'s model) into a rendering plan, borrowing
//! every text (no copy), then renders (and packs) it with the GIL released.

use std::cell::RefCell;

use fineweb_kit_base::CoreResult;
use fineweb_kit_bpe::{Bpe, Rank};
use fineweb_kit_chat::packing::{self, Overlong};
use fineweb_kit_chat::{self as chat, Piece};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyList, PyString};

use crate::error::guard;

/// A plan step before the texts are borrowed: text pieces by index into the text list.
enum Proto {
    Special(Rank, u8),
    Text(usize, u8),
    TurnEnd,
    ConvEnd,
}

struct Walker {
    ids: [Rank; 11],
    texts: Vec<PyBackedStr>,
    plan: Vec<Proto>,
}

// Indices of the ids, in CHAT_SPECIALS order.
const BOS: usize = 0;
const SYSTEM: usize = 1;
const USER: usize = 3;
const ASSISTANT: usize = 5;
const TOOL_CALL: usize = 7;
const TOOL_OUTPUT: usize = 9;

impl Walker {
    fn text(&mut self, s: &Bound<'_, PyAny>, mask: u8) -> PyResult<()> {
        let s: PyBackedStr = s.extract()?;
        if !s.is_empty() {
            self.texts.push(s);
            self.plan.push(Proto::Text(self.texts.len() - 1, mask));
        }
        Ok(())
    }

    fn wrapped(&mut self, which: usize, s: &Bound<'_, PyAny>, mask: u8) -> PyResult<()> {
        self.plan.push(Proto::Special(self.ids[which], mask));
        self.text(s, mask)?;
        self.plan.push(Proto::Special(self.ids[which + 1], mask));
        Ok(())
    }

    fn message(&mut self, msg: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = msg.py();
        let msg = msg.cast::<PyDict>()?;
        let role = msg
            .get_item(intern!(py, "role"))?
            .ok_or_else(|| PyKeyError::new_err("message without role"))?;
        let role = role.cast::<PyString>()?.to_str()?;
        let content = msg
            .get_item(intern!(py, "content"))?
            .ok_or_else(|| PyKeyError::new_err("message without content"))?;
        match role {
            "system" => self.wrapped(SYSTEM, &content, 0),
            "user" => self.wrapped(USER, &content, 0),
            "tool" => self.wrapped(TOOL_OUTPUT, &content, 0),
            "assistant" => {
                self.plan.push(Proto::Special(self.ids[ASSISTANT], 0));
                if content.is_instance_of::<PyString>() {
                    self.text(&content, 1)?;
                } else {
                    for part in content.cast::<PyList>()?.iter() {
                        let part = part.cast::<PyDict>()?;
                        let kind = part
                            .get_item(intern!(py, "type"))?
                            .ok_or_else(|| PyKeyError::new_err("part without type"))?;
                        let text = part
                            .get_item(intern!(py, "text"))?
                            .ok_or_else(|| PyKeyError::new_err("part without text"))?;
                        match kind.cast::<PyString>()?.to_str()? {
                            "text" => self.text(&text, 1)?,
                            "tool_call" => self.wrapped(TOOL_CALL, &text, 1)?,
                            "tool_output" => self.wrapped(TOOL_OUTPUT, &text, 0)?,
                            other => {
                                return Err(PyValueError::new_err(format!(
                                    "unknown part type {other:?}: validate conversations first"
                                )))
                            }
                        }
                    }
                }
                self.plan.push(Proto::Special(self.ids[ASSISTANT + 1], 1));
                Ok(())
            }
            other => Err(PyValueError::new_err(format!(
                "unknown role {other:?}: validate conversations first"
            ))),
        }
    }
}

/// Buffers one thread's renders reuse (see [`with_scratch`]).
#[derive(Default)]
struct Scratch {
    texts: Vec<PyBackedStr>,
    plan: Vec<Proto>,
    rendered: chat::Rendered,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's [`Scratch`], emptied: the plan and the rendered conversations of
/// a packing call live there, so a batch after the first touches no fresh memory for them
/// (page faults on ~20 MB of fresh buffers cost about a tenth of a 12k-conversation render).
/// A nested call (from Python code run during the walk) gets a fresh one.
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => {
            let out = f(&mut s);
            s.texts.clear(); // drops the borrowed strings' references now, with the GIL held
            s.plan.clear();
            s.rendered.clear();
            out
        }
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Walks `conversations` into `scratch`'s plan (texts borrowed, not copied).
fn walk(scratch: &mut Scratch, conversations: &Bound<'_, PyList>, ids: [Rank; 11]) -> PyResult<()> {
    let mut w = Walker {
        ids,
        texts: std::mem::take(&mut scratch.texts),
        plan: std::mem::take(&mut scratch.plan),
    };
    w.plan.reserve(conversations.len() * 16);
    let walked = (|| {
        for conv in conversations.iter() {
            w.plan.push(Proto::Special(w.ids[BOS], 0));
            for msg in conv.cast::<PyList>()?.iter() {
                w.message(&msg)?;
                w.plan.push(Proto::TurnEnd);
            }
            w.plan.push(Proto::ConvEnd);
        }
        Ok(())
    })();
    scratch.texts = w.texts;
    scratch.plan = w.plan;
    walked
}

/// The plan's pieces, texts resolved.
fn pieces<'a>(plan: &'a [Proto], texts: &'a [PyBackedStr]) -> impl Iterator<Item = Piece<'a>> {
    plan.iter().map(move |p| match *p {
        Proto::Special(id, m) => Piece::Special(id, m),
        Proto::Text(k, m) => Piece::Text(&texts[k], m),
        Proto::TurnEnd => Piece::TurnEnd,
        Proto::ConvEnd => Piece::ConvEnd,
    })
}

/// Renders `scratch`'s plan into `scratch.rendered` (one thread: in place; more: in parallel).
fn render_scratch(bpe: &Bpe, scratch: &mut Scratch, threads: Option<usize>) -> CoreResult<()> {
    let Scratch {
        texts,
        plan,
        rendered,
    } = scratch;
    if threads == Some(1) {
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        rendered.ids.reserve(bytes / 3 + plan.len());
        rendered.mask.reserve(bytes / 3 + plan.len());
        return chat::render_into(bpe, pieces(plan, texts), rendered);
    }
    let all: Vec<Piece<'_>> = pieces(plan, texts).collect();
    *rendered = chat::render_parallel(bpe, &all, threads)?;
    Ok(())
}

/// Walks `conversations`, renders them and hands the result to `then`, all but the walk with
/// the GIL released (see the module doc).
pub(crate) fn render_then<T: Send>(
    py: Python<'_>,
    bpe: &Bpe,
    conversations: &Bound<'_, PyList>,
    ids: [Rank; 11],
    threads: Option<usize>,
    then: impl FnOnce(&mut chat::Rendered) -> CoreResult<T> + Send,
) -> PyResult<T> {
    with_scratch(|scratch| {
        walk(scratch, conversations, ids)?;
        py.detach(|| {
            render_scratch(bpe, scratch, threads)?;
            then(&mut scratch.rendered)
        })
        .map_err(crate::error::to_py)
    })
}

/// `overlong` of `render_pack_chat`: "truncate" or "drop".
pub(crate) fn overlong(name: &str) -> PyResult<Overlong> {
    match name {
        "truncate" => Ok(Overlong::Truncate),
        "drop" => Ok(Overlong::Drop),
        other => Err(PyValueError::new_err(format!(
            "overlong {other:?}: expected \"truncate\" or \"drop\""
        ))),
    }
}

/// Windows of `lengths` (each `<= window`) by best-fit decreasing (`best_fit`) or next-fit in
/// input order: `(members, ends)`, window `b` holding `members[ends[b-1]:ends[b]]`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn chat_bins<'py>(
    py: Python<'py>,
    lengths: PyReadonlyArray1<'py, u32>,
    window: u32,
    best_fit: bool,
) -> PyResult<(Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<u32>>)> {
    let lengths = lengths.as_slice()?;
    let bins = guard(|| {
        if best_fit {
            packing::best_fit(lengths, window)
        } else {
            packing::greedy(lengths, window)
        }
        .map_err(crate::error::to_py)
    })?;
    Ok((
        PyArray1::from_vec(py, bins.members),
        PyArray1::from_vec(py, bins.ends),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(chat_bins, m)?)?;
    Ok(())
}
