//! Packing rendered conversations into windows of `window` tokens without splitting one (the
//! rules are documented in `fineweb_kit/chat/packing.py`, which calls these).
//!
//! - [`best_fit`]: best-fit decreasing: conversations longest first (ties in input order),
//!   each into the open window with the least room that still fits it (ties: the older
//!   window), else a new window; inside a window conversations keep their input order.
//! - [`greedy`]: next-fit in input order, the baseline of the fill rate.
//! - [`fit_to_window`]: how much of an over-long conversation to keep (a cut after a whole
//!   turn that keeps an assistant token, else nothing).
//! - [`pack`]: all of it for a batch of [`Rendered`] conversations: cut or drop the long ones,
//!   best-fit the rest and copy them into padded windows (or, unpacked, one after another).

use std::collections::BTreeSet;

use crate::Rendered;
use fineweb_kit_base::{CoreError, CoreResult};
use fineweb_kit_bpe::Rank;

/// Windows as a flat list: window `b` holds `members[ends[b - 1]..ends[b]]` (indices into
/// the lengths that were packed).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Bins {
    pub members: Vec<u32>,
    pub ends: Vec<u32>,
}

impl Bins {
    /// The number of windows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no window.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn from_lists(lists: Vec<Vec<u32>>) -> Self {
        let mut b = Bins {
            members: Vec::with_capacity(lists.iter().map(Vec::len).sum()),
            ends: Vec::with_capacity(lists.len()),
        };
        for list in lists {
            b.members.extend(list);
            b.ends.push(b.members.len() as u32);
        }
        b
    }
}

fn check_lengths(lengths: &[u32], window: u32) -> CoreResult<()> {
    match lengths.iter().max() {
        Some(&n) if n > window => Err(CoreError::InvalidArgument(format!(
            "a conversation of {n} tokens > window {window}: cut it first (fit_to_window)"
        ))),
        _ => Ok(()),
    }
}

/// Best-fit decreasing (see the module doc); every length must be `<= window`.
pub fn best_fit(lengths: &[u32], window: u32) -> CoreResult<Bins> {
    check_lengths(lengths, window)?;
    let mut order: Vec<u32> = (0..lengths.len() as u32).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lengths[i as usize])); // stable
    let mut bins: Vec<Vec<u32>> = Vec::new();
    let mut free: BTreeSet<(u32, u32)> = BTreeSet::new(); // (room left, window index)
    for i in order {
        let n = lengths[i as usize];
        let (b, room) = match free.range((n, 0)..).next().copied() {
            Some(slot) => {
                free.remove(&slot);
                bins[slot.1 as usize].push(i);
                (slot.1, slot.0 - n)
            }
            None => {
                bins.push(vec![i]);
                (bins.len() as u32 - 1, window - n)
            }
        };
        if room > 0 {
            free.insert((room, b));
        }
    }
    for b in &mut bins {
        b.sort_unstable();
    }
    Ok(Bins::from_lists(bins))
}

/// Next-fit in input order: a window is closed as soon as the next conversation misses it.
pub fn greedy(lengths: &[u32], window: u32) -> CoreResult<Bins> {
    check_lengths(lengths, window)?;
    let mut bins = Bins::default();
    let mut used = 0u32;
    for (i, &n) in lengths.iter().enumerate() {
        if i > 0 && used + n > window {
            bins.ends.push(i as u32);
            used = 0;
        }
        bins.members.push(i as u32);
        used += n;
    }
    if !lengths.is_empty() {
        bins.ends.push(lengths.len() as u32);
    }
    Ok(bins)
}

/// Tokens to keep of one conversation (its `mask`, its turns' exclusive ends `turn_ends`):
/// all if it fits `window`; else up to the end of its last whole turn within `window` when
/// that prefix has a masked-in token; else 0 (drop).
pub fn fit_to_window(mask: &[u8], turn_ends: &[i64], window: usize) -> usize {
    if mask.len() <= window {
        return mask.len();
    }
    let first_counted = mask.iter().position(|&m| m != 0);
    turn_ends
        .iter()
        .rev()
        .map(|&e| e as usize)
        .find(|&e| e <= window && first_counted.is_some_and(|f| f < e))
        .unwrap_or(0)
}

/// Conversations packed into token shards' documents (see [`pack`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Packed {
    pub ids: Vec<Rank>,
    pub mask: Vec<u8>,
    /// Exclusive end of each document (a window, or a conversation when not packed).
    pub doc_ends: Vec<u64>,
    /// Conversations written, whole or cut.
    pub conversations: u64,
    /// Their tokens (the rest of the windows is padding).
    pub tokens_conversation: u64,
    /// Conversations cut after a whole turn to fit.
    pub truncated: u64,
    /// Conversations longer than a window that were dropped.
    pub dropped: u64,
    /// Windows next-fit packing would have needed for the same conversations.
    pub windows_greedy: u64,
}

/// How [`pack`] treats a conversation longer than the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlong {
    /// Cut after its last whole turn that fits and keeps an assistant token, else drop.
    Truncate,
    /// Drop it.
    Drop,
}

/// Fits every conversation of `r` to `window` tokens (`overlong`), then, with `packed`,
/// best-fits them into windows padded with `pad` (mask 0), one document per window; without,
/// writes them one after another, one document each.
pub fn pack(
    r: &Rendered,
    window: usize,
    overlong: Overlong,
    packed: bool,
    pad: Rank,
) -> CoreResult<Packed> {
    let mut out = Packed::default();
    let (mut starts, mut keep) = (Vec::new(), Vec::new());
    let (mut start, mut turn) = (0usize, 0usize);
    for (&end, &count) in r.conv_ends.iter().zip(&r.turn_counts) {
        let (end, count) = (end as usize, count as usize);
        let mut n = end - start;
        if n > window {
            n = match overlong {
                Overlong::Drop => 0,
                Overlong::Truncate => {
                    let turns: Vec<i64> = r.turn_ends[turn..turn + count]
                        .iter()
                        .map(|&e| e - start as i64)
                        .collect();
                    fit_to_window(&r.mask[start..end], &turns, window)
                }
            };
            if n > 0 {
                out.truncated += 1;
            } else {
                out.dropped += 1;
            }
        }
        if n > 0 {
            starts.push(start);
            keep.push(n as u32);
        }
        start = end;
        turn += count;
    }
    out.conversations = keep.len() as u64;
    out.tokens_conversation = keep.iter().map(|&n| u64::from(n)).sum();
    if !packed {
        out.ids.reserve(out.tokens_conversation as usize);
        out.mask.reserve(out.tokens_conversation as usize);
        for (&s, &n) in starts.iter().zip(&keep) {
            out.ids.extend_from_slice(&r.ids[s..s + n as usize]);
            out.mask.extend_from_slice(&r.mask[s..s + n as usize]);
            out.doc_ends.push(out.ids.len() as u64);
        }
        return Ok(out);
    }
    let w = u32::try_from(window)
        .map_err(|_| CoreError::InvalidArgument(format!("window {window} > 2^32 - 1")))?;
    let bins = best_fit(&keep, w)?;
    out.windows_greedy = greedy(&keep, w)?.len() as u64;
    out.ids = vec![pad; bins.len() * window];
    out.mask = vec![0; bins.len() * window];
    let mut from = 0usize;
    for (b, &to) in bins.ends.iter().enumerate() {
        let mut at = b * window;
        for &i in &bins.members[from..to as usize] {
            let (s, n) = (starts[i as usize], keep[i as usize] as usize);
            out.ids[at..at + n].copy_from_slice(&r.ids[s..s + n]);
            out.mask[at..at + n].copy_from_slice(&r.mask[s..s + n]);
            at += n;
        }
        from = to as usize;
        out.doc_ends.push(((b + 1) * window) as u64);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(b: &Bins) -> Vec<Vec<u32>> {
        let mut from = 0;
        b.ends
            .iter()
            .map(|&e| {
                let l = b.members[from..e as usize].to_vec();
                from = e as usize;
                l
            })
            .collect()
    }

    #[test]
    fn best_fit_fills_the_tightest_window() {
        let b = best_fit(&[6, 5, 4, 3, 2], 8).expect("fits");
        // 6 opens w0 (room 2), 5 opens w1 (3), 4 opens w2 (4), 3 -> w1, 2 -> w0
        assert_eq!(lists(&b), vec![vec![0, 4], vec![1, 3], vec![2]]);
        assert!(best_fit(&[9], 8).is_err());
        assert!(best_fit(&[], 8).expect("empty").is_empty());
    }

    #[test]
    fn greedy_closes_a_window_when_the_next_misses() {
        let b = greedy(&[6, 5, 2, 1, 8], 8).expect("fits");
        assert_eq!(lists(&b), vec![vec![0], vec![1, 2, 3], vec![4]]);
    }

    #[test]
    fn fit_to_window_cuts_after_a_turn_with_an_assistant_token() {
        let mask = [0, 0, 0, 1, 1, 0, 0, 1, 1, 1];
        assert_eq!(fit_to_window(&mask, &[3, 5, 7, 10], 20), 10);
        assert_eq!(fit_to_window(&mask, &[3, 5, 7, 10], 8), 7);
        assert_eq!(fit_to_window(&mask, &[3, 5, 7, 10], 4), 0); // only the prompt fits
    }

    #[test]
    fn pack_pads_windows_and_keeps_conversations_whole() {
        let r = Rendered {
            ids: vec![9, 1, 2, 9, 3, 9, 4, 5, 6, 7],
            mask: vec![0, 1, 1, 0, 1, 0, 0, 1, 1, 1],
            conv_ends: vec![3, 5, 10],
            turn_ends: vec![2, 3, 5, 7, 10],
            turn_counts: vec![2, 1, 2],
        };
        let p = pack(&r, 4, Overlong::Truncate, true, 9).expect("pack");
        // the third (5 tokens) is cut after its first turn ([9, 4]: no assistant token) -> drop
        assert_eq!((p.conversations, p.truncated, p.dropped), (2, 0, 1));
        assert_eq!(p.ids, vec![9, 1, 2, 9, 9, 3, 9, 9]);
        assert_eq!(p.mask, vec![0, 1, 1, 0, 0, 1, 0, 0]);
        assert_eq!(p.doc_ends, vec![4, 8]);
        let loose = pack(&r, 8, Overlong::Drop, false, 9).expect("pack");
        assert_eq!(loose.ids, r.ids);
        assert_eq!(loose.doc_ends, vec![3, 5, 10]);
    }
}
