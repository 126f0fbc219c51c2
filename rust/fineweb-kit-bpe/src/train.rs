//! The BPE trainer: parallel pre-token counting, then merges with incremental pair counts and
//! a priority queue.
//!
//! Algorithm (and the tie-breaking rule, which makes it bit-identical to `rustbpe`):
//! 1. Texts arrive in bounded buffers; each buffer is pre-tokenised in parallel and counted
//!    into one map `piece -> count`. Memory is bounded by the number of *distinct* pieces.
//! 2. Each distinct piece becomes a "word" of byte ids (0..255) with its count. Pairs of
//!    adjacent ids are counted (overlapping occurrences count: `aaa` has two `(a, a)`), and
//!    for each pair we keep the list of words that contain it.
//! 3. Repeatedly take the pair with the highest count; **ties go to the smallest pair
//!    `(left id, right id)`**. It becomes token `256 + k`. It is merged left to right,
//!    non-overlapping, in every word of its list; the counts of the neighbouring pairs are
//!    updated in place (`(x, a)` and `(b, y)` lose, `(x, new)` and `(new, y)` gain), and the
//!    new pairs enter the queue. Queue entries are refreshed lazily: a popped entry whose count
//!    is stale is pushed back with the current count. Pairs with count 0 are dropped; if no
//!    pair is left, training stops early (a smaller vocabulary).
//! 4. Special tokens take the ids after the merges.
//!
//! Counts are sums, so the result does not depend on thread count or processing order.
//! Differences from `rustbpe` are in speed only: words live in one flat array and shrink in
//! place (no per-word allocation per merge), pair -> words lists are plain vectors, counting
//! uses the hand-written pre-tokenisers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::encoder::Bpe;
use super::pretok::Pretokenizer;
use super::table::Rank;
use fineweb_kit_base::pool::run_in_pool;
use fineweb_kit_base::{CoreError, CoreResult};

/// Largest vocabulary the trainer accepts.
pub const MAX_VOCAB: usize = 1 << 24;

/// Streaming BPE trainer: feed texts with [`Trainer::count`], then [`Trainer::finish`].
pub struct Trainer {
    pre: Pretokenizer,
    vocab_size: usize,
    counts: FxHashMap<Box<str>, i64>,
}

#[inline(always)]
fn key(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

impl Trainer {
    /// A trainer for `vocab_size` ids in total (256 bytes + merges + `n_specials` specials).
    pub fn new(pattern: &str, vocab_size: usize, n_specials: usize) -> CoreResult<Self> {
        if vocab_size < 256 + n_specials || vocab_size > MAX_VOCAB {
            return Err(CoreError::InvalidArgument(format!(
                "vocab_size must be between 256 + {n_specials} special tokens = {} and {MAX_VOCAB}, \
                 got {vocab_size}",
                256 + n_specials
            )));
        }
        Ok(Self {
            pre: Pretokenizer::new(pattern)?,
            vocab_size,
            counts: FxHashMap::default(),
        })
    }

    /// Number of distinct pieces counted so far.
    pub fn distinct_pieces(&self) -> usize {
        self.counts.len()
    }

    /// Pre-tokenises and counts a buffer of texts, in parallel.
    pub fn count<S: AsRef<str> + Sync>(
        &mut self,
        texts: &[S],
        threads: Option<usize>,
    ) -> CoreResult<()> {
        if texts.is_empty() {
            return Ok(());
        }
        let n_threads = threads.unwrap_or_else(rayon::current_num_threads).max(1);
        let chunk = texts.len().div_ceil(n_threads * 4).max(1);
        let pre = &self.pre;
        let locals = run_in_pool(threads, || {
            texts
                .par_chunks(chunk)
                .map(|part| {
                    let mut m: FxHashMap<&str, i64> = FxHashMap::default();
                    for t in part {
                        let t = t.as_ref();
                        pre.split(t, |s, e| *m.entry(&t[s..e]).or_insert(0) += 1)?;
                    }
                    Ok(m)
                })
                .collect::<CoreResult<Vec<_>>>()
        })?;
        for m in locals {
            for (k, v) in m {
                match self.counts.get_mut(k) {
                    Some(c) => *c += v,
                    None => {
                        self.counts.insert(k.into(), v);
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the merges and returns the tokenizer (specials get the ids after the merges).
    pub fn finish(self, specials: &[String], threads: Option<usize>) -> CoreResult<Bpe> {
        let pattern = self.pre.pattern().to_string();
        let n_merges = self.vocab_size - 256 - specials.len();
        let merges = run_in_pool(threads, || Ok(merge_loop(self.counts, n_merges)))?;
        let mut vocab: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        for &(a, b) in &merges {
            let tok = [vocab[a as usize].as_slice(), vocab[b as usize].as_slice()].concat();
            vocab.push(tok);
        }
        let n = vocab.len() as Rank;
        let ranks = vocab.into_iter().zip(0..).collect();
        let specials = specials.iter().cloned().zip(n..).collect();
        Bpe::new_trained(ranks, specials, &pattern)
    }
}

/// Words in one flat array: word `w` is `ids[start[w]..start[w] + len[w]]`.
struct Words {
    ids: Vec<u32>,
    start: Vec<usize>,
    len: Vec<u32>,
    count: Vec<i64>,
}

fn build_words(counts: FxHashMap<Box<str>, i64>) -> Words {
    let mut w = Words {
        ids: Vec::new(),
        start: Vec::new(),
        len: Vec::new(),
        count: Vec::new(),
    };
    for (piece, c) in counts {
        let b = piece.as_bytes();
        if b.len() < 2 {
            continue; // no pairs: cannot influence any merge
        }
        w.start.push(w.ids.len());
        w.len.push(b.len() as u32);
        w.count.push(c);
        w.ids.extend(b.iter().map(|&x| x as u32));
    }
    w
}

type PairCounts = FxHashMap<u64, i64>;
type PairWords = FxHashMap<u64, Vec<u32>>;

/// Initial pair counts and pair -> words lists, in parallel over word ranges.
fn initial_pairs(words: &Words) -> (PairCounts, PairWords) {
    let n = words.start.len();
    let chunk = n.div_ceil(rayon::current_num_threads() * 4).max(1);
    let parts: Vec<(PairCounts, PairWords)> = (0..n)
        .into_par_iter()
        .chunks(chunk)
        .map(|ws| {
            let mut pc = PairCounts::default();
            let mut pw = PairWords::default();
            for w in ws {
                let s = words.start[w];
                let ids = &words.ids[s..s + words.len[w] as usize];
                for p in ids.windows(2) {
                    let k = key(p[0], p[1]);
                    *pc.entry(k).or_insert(0) += words.count[w];
                    let list = pw.entry(k).or_default();
                    if list.last() != Some(&(w as u32)) {
                        list.push(w as u32);
                    }
                }
            }
            (pc, pw)
        })
        .collect();
    let mut it = parts.into_iter();
    let (mut pc, mut pw) = it.next().unwrap_or_default();
    for (c, l) in it {
        for (k, v) in c {
            *pc.entry(k).or_insert(0) += v;
        }
        for (k, v) in l {
            pw.entry(k).or_default().extend(v);
        }
    }
    (pc, pw)
}

/// The merge loop (steps 2-3 of the module docs). Returns the merged pairs in order.
fn merge_loop(counts: FxHashMap<Box<str>, i64>, n_merges: usize) -> Vec<(u32, u32)> {
    let mut words = build_words(counts);
    let (mut pc, mut pw) = initial_pairs(&words);
    let mut heap: BinaryHeap<(i64, Reverse<u64>)> = pc
        .iter()
        .filter(|(_, &c)| c > 0)
        .map(|(&k, &c)| (c, Reverse(k)))
        .collect();
    let mut merges = Vec::with_capacity(n_merges);
    let mut created: PairWords = PairWords::default();
    while merges.len() < n_merges {
        let Some((count, Reverse(k))) = heap.pop() else {
            break;
        };
        let current = pc.get(&k).copied().unwrap_or(0);
        if current <= 0 {
            continue;
        }
        if current != count {
            heap.push((current, Reverse(k)));
            continue;
        }
        let (a, b) = ((k >> 32) as u32, k as u32);
        let new = 256 + merges.len() as u32;
        merges.push((a, b));
        let list = pw.remove(&k).unwrap_or_default();
        for &w in &list {
            merge_word(&mut words, w as usize, a, b, new, &mut pc, &mut created);
        }
        for (k2, ws) in created.drain() {
            let c = pc.get(&k2).copied().unwrap_or(0);
            if c > 0 {
                heap.push((c, Reverse(k2)));
                pw.insert(k2, ws);
            }
        }
    }
    merges
}

/// Merges `(a, b) -> new` in word `w`, in place, updating pair counts and noting which words
/// the new pairs occur in.
#[inline]
fn merge_word(
    words: &mut Words,
    w: usize,
    a: u32,
    b: u32,
    new: u32,
    pc: &mut PairCounts,
    created: &mut PairWords,
) {
    let s = words.start[w];
    let n = words.len[w] as usize;
    let c = words.count[w];
    let ids = &mut words.ids[s..s + n];
    let mut note = |k: u64| {
        let l = created.entry(k).or_default();
        if l.last() != Some(&(w as u32)) {
            l.push(w as u32);
        }
    };
    let (mut i, mut out) = (0, 0);
    while i < n {
        if i + 1 < n && ids[i] == a && ids[i + 1] == b {
            if out > 0 {
                let x = ids[out - 1];
                *pc.entry(key(x, a)).or_insert(0) -= c;
                *pc.entry(key(x, new)).or_insert(0) += c;
                note(key(x, new));
            }
            *pc.entry(key(a, b)).or_insert(0) -= c;
            if i + 2 < n {
                let y = ids[i + 2];
                *pc.entry(key(b, y)).or_insert(0) -= c;
                *pc.entry(key(new, y)).or_insert(0) += c;
                note(key(new, y));
            }
            ids[out] = new;
            i += 2;
        } else {
            ids[out] = ids[i];
            i += 1;
        }
        out += 1;
    }
    words.len[w] = out as u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obviously-correct twin: recount all pairs after every merge.
    fn naive(pieces: &[(&str, i64)], n_merges: usize) -> Vec<(u32, u32)> {
        let mut words: Vec<(Vec<u32>, i64)> = pieces
            .iter()
            .map(|(p, c)| (p.bytes().map(u32::from).collect(), *c))
            .collect();
        let mut merges = Vec::new();
        for m in 0..n_merges {
            let mut pc: std::collections::BTreeMap<(u32, u32), i64> = Default::default();
            for (w, c) in &words {
                for p in w.windows(2) {
                    *pc.entry((p[0], p[1])).or_default() += c;
                }
            }
            // max count, ties -> smallest pair
            let Some((&pair, _)) = pc
                .iter()
                .filter(|(_, &c)| c > 0)
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
            else {
                break;
            };
            let new = 256 + m as u32;
            for (w, _) in &mut words {
                let mut out = Vec::new();
                let mut i = 0;
                while i < w.len() {
                    if i + 1 < w.len() && (w[i], w[i + 1]) == pair {
                        out.push(new);
                        i += 2;
                    } else {
                        out.push(w[i]);
                        i += 1;
                    }
                }
                *w = out;
            }
            merges.push(pair);
        }
        merges
    }

    fn fast(pieces: &[(&str, i64)], n_merges: usize) -> Vec<(u32, u32)> {
        let counts = pieces.iter().map(|(p, c)| ((*p).into(), *c)).collect();
        merge_loop(counts, n_merges)
    }

    #[test]
    fn equals_naive_on_small_cases() {
        let cases: Vec<Vec<(&str, i64)>> = vec![
            vec![("aaaa", 1), ("aaa", 2), ("ab", 3)],
            vec![("hello", 5), (" hello", 3), ("help", 2), ("yellow", 4)],
            vec![("abab", 2), ("baba", 2), ("aabb", 1)],
        ];
        for c in cases {
            assert_eq!(fast(&c, 20), naive(&c, 20), "{c:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn equals_naive(words in proptest::collection::vec(("[abc]{1,8}", 1i64..5), 1..20)) {
            let pieces: Vec<(&str, i64)> = words.iter().map(|(w, c)| (w.as_str(), *c)).collect();
            // distinct pieces, as the counting map guarantees
            let mut m: FxHashMap<&str, i64> = FxHashMap::default();
            for (p, c) in pieces { *m.entry(p).or_default() += c; }
            let pieces: Vec<(&str, i64)> = m.into_iter().collect();
            proptest::prop_assert_eq!(fast(&pieces, 30), naive(&pieces, 30));
        }
    }

    #[test]
    fn trains_a_tokenizer() {
        let mut t = Trainer::new("cl100k_base", 270, 1).unwrap();
        t.count(&["hello hello hello world", "hello there"], Some(2))
            .unwrap();
        let bpe = t.finish(&["<|end|>".to_string()], Some(2)).unwrap();
        assert_eq!(bpe.n_vocab(), 270);
        assert_eq!(bpe.specials()[0].1, 269);
        let ids = bpe.encode_ordinary("hello").unwrap();
        assert_eq!(bpe.decode_bytes(&ids).unwrap(), b"hello");
        assert!(Trainer::new("cl100k_base", 256, 1).is_err());
    }
}
