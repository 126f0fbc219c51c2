//! The BPE merge itself, for one piece: given `rank(bytes)` (Rank::MAX if not a token),
//! repeatedly merge the adjacent pair whose concatenation has the lowest rank, leftmost first.
//!
//! - [`merge_small`]: tiktoken's array loop, quadratic in the piece length but with tiny
//!   constants: used for short pieces (almost all of them).
//! - [`merge_long`]: linked list + priority queue, O(n log n): a 900,000-letter piece costs
//!   a fraction of a second, not minutes. Very long pieces go to linear.rs instead (linear
//!   time and cache-friendly); this stays for medium pieces and for vocabularies linear.rs
//!   does not accept.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::table::Rank;

/// Longest piece [`merge_small`] handles in fixed arrays on the stack (longer: a vector).
const STACK_PARTS: usize = 64;

/// tiktoken's merge loop: repeatedly merge the adjacent pair of parts with the lowest rank
/// (leftmost on ties). Pieces of up to `STACK_PARTS` bytes run in arrays on the stack (no
/// allocation); the minimum is found with a branch-free scan, and each part's id is the rank
/// of the merge that made it (no lookups at the end).
pub fn merge_small(piece: &[u8], out: &mut Vec<Rank>, rank: &impl Fn(&[u8]) -> Rank) {
    let n = piece.len();
    if n < STACK_PARTS {
        let mut starts = [0u32; STACK_PARTS];
        let mut pair = [Rank::MAX; STACK_PARTS];
        let mut ids = [0 as Rank; STACK_PARTS];
        merge_in(piece, out, rank, &mut starts, &mut pair, &mut ids);
    } else {
        let (mut starts, mut pair, mut ids) = (
            vec![0u32; n + 1],
            vec![Rank::MAX; n + 1],
            vec![0 as Rank; n + 1],
        );
        merge_in(piece, out, rank, &mut starts, &mut pair, &mut ids);
    }
}

/// [`merge_small`] on caller-given arrays of at least `piece.len() + 1` entries:
/// `starts[k]`: first byte of part k (`starts[m] = n`); `pair[k]`: rank of parts k and k+1
/// together; `ids[k]`: id of part k.
#[inline(always)]
fn merge_in(
    piece: &[u8],
    out: &mut Vec<Rank>,
    rank: &impl Fn(&[u8]) -> Rank,
    starts: &mut [u32],
    pair: &mut [Rank],
    ids: &mut [Rank],
) {
    let n = piece.len();
    for i in 0..n {
        starts[i] = i as u32;
        ids[i] = rank(&piece[i..i + 1]);
    }
    starts[n] = n as u32;
    for i in 0..n - 1 {
        pair[i] = rank(&piece[i..i + 2]);
    }
    let mut m = n; // number of parts
    while m > 1 {
        let mut best = Rank::MAX;
        let mut at = 0;
        for (k, &r) in pair[..m - 1].iter().enumerate() {
            let lower = r < best;
            best = if lower { r } else { best };
            at = if lower { k } else { at };
        }
        if best == Rank::MAX {
            break;
        }
        // Parts `at` and `at + 1` become one part, made by the merge of rank `best`.
        ids[at] = best;
        starts.copy_within(at + 2..=m, at + 1);
        if at + 2 < m {
            pair.copy_within(at + 2..m - 1, at + 1);
            ids.copy_within(at + 2..m, at + 1);
        }
        m -= 1;
        let span = |k: usize| &piece[starts[k] as usize..starts[k + 2] as usize];
        if at + 1 < m {
            pair[at] = rank(span(at));
        }
        if at > 0 {
            pair[at - 1] = rank(span(at - 1));
        }
    }
    out.extend_from_slice(&ids[..m]);
}

/// Merge for long pieces: linked list + priority queue, O(n log n) at worst; same result
/// as `merge_small` because the queue pops the lowest (rank, start), i.e. the leftmost
/// lowest-rank pair. Queue entries are one `u64` (rank in the high 24 bits, start in the
/// low 40); an entry is current iff `cur[start]` (the rank of the pair now starting there)
/// still equals it.
///
/// In a vocabulary built by BPE training a new pair always outranks the merge that made it,
/// so popped keys only grow and a radix heap (O(1) amortised per operation, few cache
/// misses) can be used; if a vocabulary breaks that order, the piece is redone with a
/// binary heap. Either way the output is the same.
pub fn merge_long(piece: &[u8], out: &mut Vec<Rank>, rank: &impl Fn(&[u8]) -> Rank) {
    let mut radix = RadixHeap::default();
    if !merge_with_queue(piece, out, rank, &mut radix) {
        let mut heap: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(piece.len());
        let done = merge_with_queue(piece, out, rank, &mut heap);
        debug_assert!(done, "a binary heap accepts any order");
    }
}

/// Returns false (and appends nothing) if `queue` refused a key.
fn merge_with_queue(
    piece: &[u8],
    out: &mut Vec<Rank>,
    rank: &impl Fn(&[u8]) -> Rank,
    queue: &mut impl Queue,
) -> bool {
    const POS_BITS: u32 = 40;
    let n = piece.len();
    let key = |r: Rank, i: usize| ((r as u64) << POS_BITS) | i as u64;
    // next[i]: start of the part after the part starting at i (n at the end);
    // prev[i]: start of the part before; cur[i]: rank of the pair starting at i (MAX: none
    // or i is not a part start).
    let mut next: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
    let mut cur: Vec<Rank> = vec![Rank::MAX; n];
    for i in 0..n - 1 {
        let r = rank(&piece[i..i + 2]);
        cur[i] = r;
        if r != Rank::MAX && !queue.push(key(r, i)) {
            return false;
        }
    }
    while let Some(e) = queue.pop() {
        let (r, i) = (
            (e >> POS_BITS) as Rank,
            (e & ((1 << POS_BITS) - 1)) as usize,
        );
        if cur[i] != r {
            continue;
        }
        let j = next[i];
        let end = next[j];
        cur[j] = Rank::MAX;
        next[i] = end;
        cur[i] = Rank::MAX;
        if end < n {
            prev[end] = i;
            let r = rank(&piece[i..next[end]]);
            cur[i] = r;
            if r != Rank::MAX && !queue.push(key(r, i)) {
                return false;
            }
        }
        if i > 0 {
            let p = prev[i];
            let r = rank(&piece[p..end]);
            cur[p] = r;
            if r != Rank::MAX && !queue.push(key(r, p)) {
                return false;
            }
        }
    }
    let mut i = 0;
    while i < n {
        out.push(rank(&piece[i..next[i]]));
        i = next[i];
    }
    true
}

/// A min-priority queue of `u64` keys; `push` may refuse a key (returns false).
trait Queue {
    fn push(&mut self, key: u64) -> bool;
    fn pop(&mut self) -> Option<u64>;
}

impl Queue for BinaryHeap<Reverse<u64>> {
    #[inline]
    fn push(&mut self, key: u64) -> bool {
        BinaryHeap::push(self, Reverse(key));
        true
    }
    #[inline]
    fn pop(&mut self) -> Option<u64> {
        BinaryHeap::pop(self).map(|r| r.0)
    }
}

/// A monotone radix heap: keys pushed must be >= the last key popped (else `push` refuses).
/// Bucket `b` holds keys whose highest bit differing from `last` is bit `b - 1`.
struct RadixHeap {
    last: u64,
    buckets: [Vec<u64>; 65],
}

impl Default for RadixHeap {
    fn default() -> Self {
        Self {
            last: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }
}

impl RadixHeap {
    #[inline(always)]
    fn bucket(last: u64, key: u64) -> usize {
        64 - (key ^ last).leading_zeros() as usize
    }
}

impl Queue for RadixHeap {
    #[inline]
    fn push(&mut self, key: u64) -> bool {
        if key < self.last {
            return false;
        }
        self.buckets[Self::bucket(self.last, key)].push(key);
        true
    }

    #[inline]
    fn pop(&mut self) -> Option<u64> {
        if self.buckets[0].is_empty() {
            let b = (1..65).find(|&b| !self.buckets[b].is_empty())?;
            let moved = std::mem::take(&mut self.buckets[b]);
            // Every key of the bucket is present, so the minimum exists.
            self.last = moved.iter().copied().min().unwrap_or(self.last);
            for k in &moved {
                self.buckets[Self::bucket(self.last, *k)].push(*k);
            }
            let mut moved = moved;
            moved.clear();
            if self.buckets[b].is_empty() {
                self.buckets[b] = moved; // keep the allocation
            }
        }
        self.buckets[0].pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_heap_sorts_and_refuses_smaller_keys() {
        let mut h = RadixHeap::default();
        for k in [5u64, 3, 9, 3, 1 << 40, 7] {
            assert!(Queue::push(&mut h, k));
        }
        assert_eq!(Queue::pop(&mut h), Some(3));
        assert_eq!(Queue::pop(&mut h), Some(3));
        assert!(!Queue::push(&mut h, 2));
        assert!(Queue::push(&mut h, 4));
        let rest: Vec<u64> = std::iter::from_fn(|| Queue::pop(&mut h)).collect();
        assert_eq!(rest, vec![4, 5, 7, 9, 1 << 40]);
    }
}
