//! Rendering conversations through the chat template: text pieces and special ids in, ids and
//! the loss mask out, in one pass (the layout is `fineweb_kit/chat/template.py`'s).
//!
//! A conversation arrives as a *plan*: a sequence of [`Piece`]s that the caller (the Python
//! glue, walking its message dicts) produced in template order. Text pieces are encoded as
//! ordinary text (a special-token string typed by a user stays text), special pieces are
//! single ids; every piece carries its mask bit. Turn and conversation ends are recorded as
//! token offsets, where packing ([`packing`]) may cut without splitting a turn.

pub mod packing;

use rayon::prelude::*;

use fineweb_kit_base::pool::run_in_pool;
use fineweb_kit_base::CoreResult;
use fineweb_kit_bpe::{Bpe, Rank};

/// Conversations are rendered in chunks of about this many text bytes, one chunk per task.
const CHUNK_BYTES: usize = 1 << 18;

/// One step of a rendering plan.
#[derive(Clone, Copy, Debug)]
pub enum Piece<'a> {
    /// A special token id with its mask bit.
    Special(Rank, u8),
    /// Ordinary text with its mask bit.
    Text(&'a str, u8),
    /// The end of a message.
    TurnEnd,
    /// The end of a conversation.
    ConvEnd,
}

/// Rendered conversations in flat arrays (offsets are exclusive token ends).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub ids: Vec<u32>,
    pub mask: Vec<u8>,
    pub conv_ends: Vec<i64>,
    pub turn_ends: Vec<i64>,
    pub turn_counts: Vec<i64>,
}

/// Executes a plan with `bpe`.
pub fn render(bpe: &Bpe, plan: &[Piece<'_>]) -> CoreResult<Rendered> {
    let text_bytes: usize = plan
        .iter()
        .map(|p| match p {
            Piece::Text(t, _) => t.len(),
            _ => 1,
        })
        .sum();
    let mut r = Rendered::default();
    r.ids.reserve(text_bytes / 3 + 16);
    r.mask.reserve(text_bytes / 3 + 16);
    render_into(bpe, plan.iter().copied(), &mut r)?;
    Ok(r)
}

/// Executes a plan with `bpe`, appending to `r` (whose buffers a caller may reuse: cleared,
/// they keep their capacity, so a repeated call touches no fresh memory).
pub fn render_into<'a>(
    bpe: &Bpe,
    plan: impl IntoIterator<Item = Piece<'a>>,
    r: &mut Rendered,
) -> CoreResult<()> {
    let mut turns_in_conv = 0i64;
    for piece in plan {
        match piece {
            Piece::Special(id, m) => {
                r.ids.push(id);
                r.mask.push(m);
            }
            Piece::Text(text, m) => {
                let before = r.ids.len();
                bpe.encode_ordinary_into(text, &mut r.ids)?;
                r.mask.resize(r.mask.len() + (r.ids.len() - before), m);
            }
            Piece::TurnEnd => {
                r.turn_ends.push(r.ids.len() as i64);
                turns_in_conv += 1;
            }
            Piece::ConvEnd => {
                r.conv_ends.push(r.ids.len() as i64);
                r.turn_counts.push(turns_in_conv);
                turns_in_conv = 0;
            }
        }
    }
    Ok(())
}

impl Rendered {
    /// Empties the arrays, keeping their capacity.
    pub fn clear(&mut self) {
        self.ids.clear();
        self.mask.clear();
        self.conv_ends.clear();
        self.turn_ends.clear();
        self.turn_counts.clear();
    }
}

/// [`render`] on `threads` threads (`None`: all cores): the plan is cut after conversation
/// ends into chunks of ~256 kB of text, rendered in parallel and joined in order, so the
/// result equals [`render`]'s. One thread renders on the calling thread.
pub fn render_parallel(
    bpe: &Bpe,
    plan: &[Piece<'_>],
    threads: Option<usize>,
) -> CoreResult<Rendered> {
    if threads == Some(1) {
        return render(bpe, plan); // on the calling thread: no pool hop, no joining copy
    }
    let mut chunks: Vec<&[Piece<'_>]> = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, p) in plan.iter().enumerate() {
        match p {
            Piece::Text(t, _) => size += t.len(),
            Piece::ConvEnd if size >= CHUNK_BYTES => {
                chunks.push(&plan[start..=i]);
                start = i + 1;
                size = 0;
            }
            _ => {}
        }
    }
    if start < plan.len() {
        chunks.push(&plan[start..]);
    }
    let parts = run_in_pool(threads, || {
        chunks
            .par_iter()
            .map(|c| render(bpe, c))
            .collect::<CoreResult<Vec<Rendered>>>()
    })?;
    let mut out = Rendered::default();
    out.ids.reserve(parts.iter().map(|p| p.ids.len()).sum());
    out.mask.reserve(out.ids.capacity());
    for p in parts {
        let off = out.ids.len() as i64;
        out.ids.extend_from_slice(&p.ids);
        out.mask.extend_from_slice(&p.mask);
        out.conv_ends.extend(p.conv_ends.iter().map(|e| e + off));
        out.turn_ends.extend(p.turn_ends.iter().map(|e| e + off));
        out.turn_counts.extend_from_slice(&p.turn_counts);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn byte_bpe() -> Bpe {
        let ranks: Vec<(Vec<u8>, Rank)> = (0u32..256).map(|b| (vec![b as u8], b)).collect();
        Bpe::new(ranks, vec![("<|bos|>".to_string(), 256)], "r50k_base").expect("bpe")
    }

    #[test]
    fn pieces_become_ids_mask_and_ends() {
        let bpe = byte_bpe();
        let plan = [
            Piece::Special(256, 0),
            Piece::Text("hi", 0),
            Piece::TurnEnd,
            Piece::Text("<|bos|>", 1),
            Piece::Special(256, 1),
            Piece::TurnEnd,
            Piece::ConvEnd,
        ];
        let r = render(&bpe, &plan).expect("render");
        let mut ids = vec![256, 104, 105];
        ids.extend("<|bos|>".bytes().map(u32::from));
        ids.push(256);
        assert_eq!(r.ids, ids);
        assert_eq!(r.mask, [vec![0u8; 3], vec![1u8; 8]].concat());
        assert_eq!(r.turn_ends, vec![3, 11]);
        assert_eq!(r.conv_ends, vec![11]);
        assert_eq!(r.turn_counts, vec![2]);
    }

    #[test]
    fn parallel_equals_serial() {
        let bpe = byte_bpe();
        let long = "x".repeat(100_000);
        let mut plan = Vec::new();
        for k in 0..20 {
            plan.push(Piece::Special(256, 0));
            plan.push(Piece::Text(
                if k % 3 == 0 { &long } else { "short" },
                (k % 2) as u8,
            ));
            plan.push(Piece::TurnEnd);
            plan.push(Piece::ConvEnd);
        }
        let serial = render(&bpe, &plan).expect("serial");
        for threads in [Some(1), Some(2), None] {
            assert_eq!(
                render_parallel(&bpe, &plan, threads).expect("parallel"),
                serial
            );
        }
    }
}
