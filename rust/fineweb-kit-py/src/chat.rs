//! The Python side of `fineweb_kit_chat`: walks validated conversations (lists of
//! message dicts, `fineweb_kit/chat/messages.py`'s model) into a rendering plan, borrowing
//! every text (no copy), then renders it with the GIL released.

use fineweb_kit_bpe::{Bpe, Rank};
use fineweb_kit_chat::{self as chat, Piece};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyList, PyString};

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
        let role: PyBackedStr = msg
            .get_item(intern!(py, "role"))?
            .ok_or_else(|| PyKeyError::new_err("message without role"))?
            .extract()?;
        let content = msg
            .get_item(intern!(py, "content"))?
            .ok_or_else(|| PyKeyError::new_err("message without content"))?;
        match &*role {
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
                        let kind: PyBackedStr = kind.extract()?;
                        match &*kind {
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

/// Walks `conversations` and renders them (see the module doc).
pub(crate) fn render(
    py: Python<'_>,
    bpe: &Bpe,
    conversations: &Bound<'_, PyList>,
    ids: [Rank; 11],
    threads: Option<usize>,
) -> PyResult<chat::Rendered> {
    let mut w = Walker {
        ids,
        texts: Vec::new(),
        plan: Vec::with_capacity(conversations.len() * 16),
    };
    for conv in conversations.iter() {
        w.plan.push(Proto::Special(w.ids[BOS], 0));
        for msg in conv.cast::<PyList>()?.iter() {
            w.message(&msg)?;
            w.plan.push(Proto::TurnEnd);
        }
        w.plan.push(Proto::ConvEnd);
    }
    let Walker { texts, plan, .. } = w;
    py.detach(|| {
        let pieces: Vec<Piece<'_>> = plan
            .iter()
            .map(|p| match *p {
                Proto::Special(id, m) => Piece::Special(id, m),
                Proto::Text(k, m) => Piece::Text(&texts[k], m),
                Proto::TurnEnd => Piece::TurnEnd,
                Proto::ConvEnd => Piece::ConvEnd,
            })
            .collect();
        chat::render_parallel(bpe, &pieces, threads)
    })
    .map_err(crate::error::to_py)
}
