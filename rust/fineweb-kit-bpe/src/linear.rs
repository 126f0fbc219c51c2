//! Exact BPE for long pieces in time linear in the piece length, left to right.
//!
//! The merge loop of merge.rs picks pairs all over a piece in rank order: each merge touches
//! a random place of piece-sized arrays, so once a piece outgrows the caches every merge is a
//! few cache misses and the cost per byte grows with the piece. This module finds the same
//! tokens left to right instead, touching only the text near the cursor and the vocabulary.
//!
//! ## Why it gives tiktoken's result
//!
//! Write BPE(s) for tiktoken's result on bytes `s` (merge the adjacent pair whose bytes have
//! the lowest rank, leftmost first, until none is a token). Call a token `t` *valid* if
//! BPE(t) = \[t\], and tokens `a`, `b` *compatible* if BPE(a b) = \[a, b\]. Then
//!
//! > (*) a sequence T of tokens whose bytes make `s` equals BPE(s) iff every token of T is
//! > valid and every two neighbours in T are compatible.
//!
//! Merges never split parts. Take an interval I of `s` whose ends no merge has crossed yet:
//! the merges the run has made inside I are, in order, the first merges of BPE run on I
//! alone (each was the lowest, leftmost pair of all, so also of those inside I; merges
//! outside I change no pair inside I). "Only if": apply this to one token, and to two
//! neighbours, of BPE(s). "If": let the first merge that crosses a boundary of T cross the
//! one between t_i and t_i+1; BPE on t_i t_i+1 alone makes that merge too, so they are not
//! compatible. Hence no merge crosses a boundary of T, and the run, which stops only when
//! no pair is a token, reaches \[t_i\] inside each valid t_i.
//!
//! So BPE(s) restricted to its first tokens ending at byte `p` is BPE(s\[..p\]), the only
//! sequence of valid, neighbour-wise compatible tokens covering `s[..p]`. [`Linear::encode`]
//! searches depth first: at `p` it tries the valid tokens that start there, longest first
//! (a trie walk), and takes the first one compatible with the token before `p`; if none is,
//! `p` is dead (the token before `p` is the last token of BPE(s\[..p\]) whichever way the
//! search got there, so `p` stays dead) and it steps back one token to try a shorter one.
//! Every position dies at most once, so the work is linear in the piece (times vocabulary
//! constants: tokens per trie path, spine lengths); the longest token is nearly always right.
//!
//! ## Compatibility from the merge trees
//!
//! A valid token `t` of two or more bytes is made by its last merge from valid tokens
//! `left(t)`, `right(t)` (the two parts before it). In BPE on `a b`, until a merge crosses the
//! middle each side follows its own run, and the pair across the middle is (last part of the
//! `a` side, first part of the `b` side): a node of `a`'s right spine (`a`, `right(a)`,
//! `right(right(a))`, .. one byte) and of `b`'s left spine. If each side's merges come in
//! non-decreasing rank order (true when the vocabulary is *monotone*: rank(t) >
//! rank(left(t)), rank(right(t)) for every valid `t`; checked at load time), the pair (x, y)
//! across the middle is merged iff rank(x y) < rank(parent of x on its spine) (that merge of
//! the `a` side is further left, so it wins a tie) and rank(x y) <= rank(parent of y) (the
//! crossing pair is further left than the `b` side's merge): each side's next rank only grows
//! while x and y live, so the crossing pair has its best chance just before one of them is
//! merged away. Walking both spines back in time from (a, b) (undo whichever node was made
//! last; on equal ranks the `b` side's, as the `a` side merges first) visits every pair that
//! is ever across the middle. A vocabulary that is not monotone keeps the queue-based merge.
//!
//! Only a token's own last merge can cross the middle: if the run merges x and y into T,
//! the merges it made inside T's bytes are the first merges of BPE on T alone (interval
//! statement above) and x + y is the lowest, leftmost pair there too, so BPE(T) ends by
//! merging x and y: x = left(T), y = right(T). So rank(x y) is looked up in a table of
//! (left(T), right(T)) -> T over the valid tokens (one probe on ids, no byte strings); a
//! pair that is not some T's last merge never crosses.
//!
//! Cost on this repo's 2-core machine (cl100k, random lowercase letters, ~1.85 bytes per
//! token): about half trie walks + backtracking, half compatibility checks (about 1.85 per
//! token, 2.6 pair probes each); ~25 ns/byte on a 1 kB piece, 40-55 ns/byte flat from 100 kB
//! to 3.6 MB, against 80-200 ns/byte (growing with the length) for the queue-based merge.

use std::sync::{Arc, OnceLock};

use super::table::Rank;
use super::table::TokenTable;

const NONE: Rank = Rank::MAX;

/// What the encoder needs to know about one token id.
#[derive(Clone, Copy, Debug, Default)]
struct Info {
    /// Number of bytes; 0: not a valid token.
    len: u32,
    /// The two tokens whose merge makes this one (NONE for a single byte).
    left: Rank,
    right: Rank,
}

/// Tables for [`Linear::encode`], built from a vocabulary by [`Linear::build`].
#[derive(Clone, Debug)]
pub struct Linear {
    info: Vec<Info>,
    pairs: PairTable,
    trie: Trie,
}

impl Linear {
    /// Tables for the mergeable tokens `tokens` (bytes, rank; every single byte present) whose
    /// ranks `table` holds; None if the vocabulary is not monotone (see the module docs), in
    /// which case long pieces must use the queue-based merge.
    pub fn build(tokens: &[(&[u8], Rank)], table: &TokenTable) -> Option<Self> {
        let n_ids = tokens.iter().map(|t| t.1 as usize + 1).max().unwrap_or(0);
        let mut info = vec![Info::default(); n_ids];
        let mut order: Vec<&(&[u8], Rank)> = tokens.iter().collect();
        order.sort_unstable_by_key(|t| t.1);
        let rank = |b: &[u8]| table.get(b).unwrap_or(NONE);
        // Each token's last merge (None: not a valid token). Sequential on purpose: this runs
        // inside a OnceLock initialiser, possibly on a rayon worker, and a rayon join there
        // could steal an encode task that waits on the same OnceLock (deadlock).
        let cuts: Vec<Option<usize>> = order
            .iter()
            .map(|&&(b, id)| match b.len() {
                0 => None,
                _ if table.get(b) != Some(id) => None,
                1 => Some(0),
                _ => last_split(b, &rank),
            })
            .collect();
        let mut splits: Vec<(Rank, Rank, Rank)> = Vec::with_capacity(tokens.len());
        for (&&(b, id), cut) in order.iter().zip(cuts) {
            let Some(k) = cut else {
                continue; // not valid: BPE never makes it
            };
            let (left, right) = if b.len() == 1 {
                (NONE, NONE)
            } else {
                let (l, r) = (rank(&b[..k]), rank(&b[k..]));
                // Parts of a valid token are valid (module docs), so they were seen first if
                // the vocabulary is monotone.
                let seen = |x: Rank| (x as usize) < n_ids && info[x as usize].len != 0;
                if l >= id || r >= id || !seen(l) || !seen(r) {
                    return None;
                }
                splits.push((l, r, id));
                (l, r)
            };
            let len = u32::try_from(b.len()).ok()?;
            info[id as usize] = Info { len, left, right };
        }
        let valid: Vec<(&[u8], Rank)> = order
            .iter()
            .filter(|t| info[t.1 as usize].len != 0)
            .map(|t| (t.0, t.1))
            .collect();
        let trie = Trie::build(&valid)?;
        Some(Self {
            info,
            pairs: PairTable::new(&splits),
            trie,
        })
    }

    /// Appends BPE(piece) to `out`. Returns false (appending nothing) only if the search
    /// finds no encoding, which (*) rules out.
    pub fn encode(&self, piece: &[u8], out: &mut Vec<Rank>) -> bool {
        let n = piece.len();
        let mut dead = vec![0u64; n / 64 + 1];
        let mut stack: Vec<Rank> = Vec::with_capacity(n / 3 + 1);
        let mut cands: Vec<Rank> = Vec::with_capacity(64);
        let mut pos = 0;
        // After stepping back: only tokens shorter than this are left to try at `pos`.
        let mut limit = usize::MAX;
        while pos < n {
            self.trie.prefix_tokens(&piece[pos..], &mut cands);
            let prev = stack.last().copied();
            let next = cands.iter().rev().copied().find(|&t| {
                let len = self.info[t as usize].len as usize;
                let end = pos + len;
                len < limit
                    && dead[end / 64] & (1 << (end % 64)) == 0
                    && prev.is_none_or(|p| self.compatible(p, t))
            });
            if let Some(t) = next {
                stack.push(t);
                pos += self.info[t as usize].len as usize;
                limit = usize::MAX;
            } else {
                dead[pos / 64] |= 1 << (pos % 64);
                let Some(t) = stack.pop() else {
                    return false;
                };
                limit = self.info[t as usize].len as usize;
                pos -= limit;
            }
        }
        out.extend_from_slice(&stack);
        true
    }

    /// Whether BPE(a b) = [a, b], for valid tokens `a`, `b` (module docs).
    #[inline]
    fn compatible(&self, mut a: Rank, mut b: Rank) -> bool {
        // Ranks of the merges that will take `a` (resp. `b`) away: its spine parent.
        let (mut a_until, mut b_until) = (NONE, NONE);
        loop {
            let r = self.pairs.get(a, b);
            if r < a_until && r <= b_until {
                return false;
            }
            let (x, y) = (self.info[a as usize], self.info[b as usize]);
            match (x.len == 1, y.len == 1) {
                (true, true) => return true,
                // `a` was made after `b` (a token's rank is the rank of the merge making it)
                (false, true) => (a_until, a) = (a, x.right),
                (false, false) if a > b => (a_until, a) = (a, x.right),
                _ => (b_until, b) = (b, y.left),
            }
        }
    }
}

/// (left, right) -> the valid token whose last merge joins them: an open-addressing table
/// of 12-byte entries.
#[derive(Clone, Debug)]
struct PairTable {
    /// (left, right, token); left = NONE: empty.
    slots: Vec<[Rank; 3]>,
    shift: u32,
}

impl PairTable {
    fn new(splits: &[(Rank, Rank, Rank)]) -> Self {
        // load factor <= 1/2
        let bits = (splits.len().max(8) * 2)
            .next_power_of_two()
            .trailing_zeros();
        let mut t = Self {
            slots: vec![[NONE; 3]; 1 << bits],
            shift: 64 - bits,
        };
        let mask = t.slots.len() - 1;
        for &(l, r, id) in splits {
            let mut i = t.home(l, r);
            while t.slots[i][0] != NONE {
                i = (i + 1) & mask;
            }
            t.slots[i] = [l, r, id];
        }
        t
    }

    #[inline(always)]
    fn home(&self, l: Rank, r: Rank) -> usize {
        let key = ((l as u64) << 32) | r as u64;
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The token made by merging `l` and `r` (NONE if that is no token's last merge).
    #[inline(always)]
    fn get(&self, l: Rank, r: Rank) -> Rank {
        let mask = self.slots.len() - 1;
        let mut i = self.home(l, r);
        loop {
            let s = self.slots[i];
            if s[0] == l && s[1] == r {
                return s[2];
            }
            if s[0] == NONE {
                return NONE;
            }
            i = (i + 1) & mask;
        }
    }
}

/// BPE on `bytes` (two or more) until two parts remain: the boundary between them, or None
/// if no pair is a token before that (then BPE never makes `bytes` one token).
fn last_split(bytes: &[u8], rank: &impl Fn(&[u8]) -> Rank) -> Option<usize> {
    let n = bytes.len();
    // parts[i] = (start, rank of the pair starting at part i), then an end sentinel.
    let mut parts: Vec<(usize, Rank)> = (0..n - 1).map(|i| (i, rank(&bytes[i..i + 2]))).collect();
    parts.push((n - 1, NONE));
    parts.push((n, NONE));
    let pair = |parts: &[(usize, Rank)], i: usize| match parts.get(i + 2) {
        Some(e) => rank(&bytes[parts[i].0..e.0]),
        None => NONE,
    };
    while parts.len() > 3 {
        let mut best = (NONE, 0);
        for (i, p) in parts[..parts.len() - 1].iter().enumerate() {
            if p.1 < best.0 {
                best = (p.1, i);
            }
        }
        if best.0 == NONE {
            return None;
        }
        let i = best.1;
        parts.remove(i + 1);
        if i > 0 {
            parts[i - 1].1 = pair(&parts, i - 1);
        }
        parts[i].1 = pair(&parts, i);
    }
    Some(parts[1].0)
}

/// A byte trie of the valid tokens as a double array: the child of node `v` along byte `c`
/// is slot `base(v) + c` if that slot's `check` is `v`; one slot (12 bytes, base, check and
/// token together) per node, so one cache line per step.
#[derive(Clone, Debug)]
struct Trie {
    slots: Vec<TrieSlot>,
}

#[derive(Clone, Copy, Debug)]
struct TrieSlot {
    base: u32,
    /// The parent's slot (NONE: free, or the root).
    check: u32,
    /// The token this node spells (NONE if none).
    token: Rank,
}

const FREE: TrieSlot = TrieSlot {
    base: 0,
    check: NONE,
    token: NONE,
};

impl Trie {
    /// None if the trie would need more than u32 slots.
    fn build(tokens: &[(&[u8], Rank)]) -> Option<Self> {
        let (first, label, token) = bfs_trie(tokens)?;
        let n = token.len();
        let mut slots = vec![FREE; n + 512];
        let mut used = vec![false; n + 512];
        used[0] = true; // the root
        slots[0].token = token[0];
        let mut at = vec![0u32; n]; // node -> slot
        let mut lowest_free = 1;
        for v in 0..n {
            let kids = first[v] as usize..first[v + 1] as usize;
            if kids.is_empty() {
                continue;
            }
            let labels = &label[kids.clone()];
            // first fit: the smallest base >= 1 whose slots for these labels are all free
            while used[lowest_free] {
                lowest_free += 1;
            }
            let mut b = (lowest_free as isize - labels[0] as isize).max(1) as usize;
            loop {
                let need = b + 256;
                if need >= used.len() {
                    used.resize(need + 1, false);
                    slots.resize(need + 1, FREE);
                }
                if labels.iter().all(|&c| !used[b + c as usize]) {
                    break;
                }
                b += 1;
            }
            let sv = at[v];
            slots[sv as usize].base = u32::try_from(b).ok()?;
            for (k, c) in kids.zip(labels) {
                let slot = b + *c as usize;
                used[slot] = true;
                slots[slot] = TrieSlot {
                    base: 0,
                    check: sv,
                    token: token[k],
                };
                at[k] = u32::try_from(slot).ok()?;
            }
        }
        Some(Self { slots })
    }

    /// The tokens that are prefixes of `s`, shortest first, into `out`.
    #[inline]
    fn prefix_tokens(&self, s: &[u8], out: &mut Vec<Rank>) {
        out.clear();
        let mut v = 0u32;
        for &b in s {
            // every base + byte is in range: `build` keeps 256 slots past the largest base
            let c = self.slots[v as usize].base + b as u32;
            let slot = &self.slots[c as usize];
            if slot.check != v {
                break;
            }
            v = c;
            if slot.token != NONE {
                out.push(slot.token);
            }
        }
    }
}

/// A byte trie of `tokens` numbered breadth first, so that the children of a node are
/// consecutive ids sorted by byte: (children of v = ids first\[v\]..first\[v + 1\],
/// the byte into each node, the token each node spells or NONE). None past u32 ids.
#[allow(clippy::type_complexity)]
fn bfs_trie(tokens: &[(&[u8], Rank)]) -> Option<(Vec<u32>, Vec<u8>, Vec<Rank>)> {
    let mut sorted: Vec<(&[u8], Rank)> = tokens.to_vec();
    sorted.sort_unstable();
    let mut label = vec![0u8];
    let mut token = vec![NONE];
    let mut children: Vec<u32> = vec![0];
    // at[i]: the node of `sorted[i]`'s prefix of the current depth (root at depth 0)
    let mut at = vec![0u32; sorted.len()];
    let mut active: Vec<usize> = (0..sorted.len())
        .filter(|&i| !sorted[i].0.is_empty())
        .collect();
    let mut depth = 0;
    while !active.is_empty() {
        let mut last: Option<(u32, u8, u32)> = None; // (parent, byte, node)
        for &i in &active {
            let (b, id) = sorted[i];
            let (parent, byte) = (at[i], b[depth]);
            let node = match last {
                Some((p, c, v)) if p == parent && c == byte => v,
                _ => {
                    let v = u32::try_from(label.len()).ok()?;
                    label.push(byte);
                    token.push(NONE);
                    children.push(0);
                    children[parent as usize] += 1;
                    last = Some((parent, byte, v));
                    v
                }
            };
            at[i] = node;
            if b.len() == depth + 1 {
                token[node as usize] = id;
            }
        }
        depth += 1;
        active.retain(|&i| sorted[i].0.len() > depth);
    }
    // Breadth-first numbering: node v's children start after all children of nodes < v.
    let mut first = Vec::with_capacity(children.len() + 1);
    let mut next = 1u32;
    for &c in &children {
        first.push(next);
        next += c;
    }
    first.push(next);
    Some((first, label, token))
}

/// [`Linear`] tables built on first use (most texts have no long piece), shared by clones.
#[derive(Clone, Default)]
pub struct LazyLinear(OnceLock<Option<Arc<Linear>>>);

impl LazyLinear {
    /// The tables, built by `build` on the first call; None if the vocabulary is not monotone.
    pub fn get(&self, build: impl FnOnce() -> Option<Linear>) -> Option<&Linear> {
        self.0.get_or_init(|| build().map(Arc::new)).as_deref()
    }
}

impl std::fmt::Debug for LazyLinear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.0.get() {
            None => "not built",
            Some(None) => "vocabulary not monotone",
            Some(Some(_)) => "built",
        };
        write!(f, "LazyLinear({state})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::Bpe;
    use crate::io::load_tiktoken;
    use proptest::prelude::*;

    /// `../shared/data` beside the checkout, or one folder up (a worktree), as tests/conftest.py.
    fn shared(name: &str) -> std::path::PathBuf {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        ["..", "../.."]
            .iter()
            .map(|up| repo.join(up).join("shared"))
            .find(|p| p.is_dir())
            .unwrap_or_else(|| repo.join("../shared"))
            .join("data/tokenizer-ref")
            .join(name)
    }

    fn real(name: &str) -> Bpe {
        let ranks = load_tiktoken(&shared(&format!("{name}.tiktoken"))).expect("shared data");
        Bpe::new(ranks, vec![], name).unwrap()
    }

    /// xorshift: deterministic pseudo-random bytes
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn queue(bpe: &Bpe, piece: &[u8]) -> Vec<Rank> {
        let mut out = Vec::new();
        crate::merge::merge_long(piece, &mut out, &|b: &[u8]| bpe.rank_of(b).unwrap_or(NONE));
        out
    }

    fn linear(bpe: &Bpe, piece: &[u8]) -> Vec<Rank> {
        let lin = bpe.linear_tables().expect("monotone vocabulary");
        let mut out = Vec::new();
        assert!(lin.encode(piece, &mut out));
        out
    }

    #[test]
    fn real_vocabularies_adversarial_runs() {
        for name in ["r50k_base", "cl100k_base", "o200k_base"] {
            let t = real(name);
            let mut r = rng(7);
            let mut inputs: Vec<Vec<u8>> = vec![
                b"a".repeat(3000),
                b"ab".repeat(2000),
                b"-".repeat(3000),
                b"=-".repeat(1000),
                "\u{4e00}\u{4e8c}".repeat(700).into_bytes(),
                "\u{1F600}".repeat(500).into_bytes(),
            ];
            inputs.push((0..5000).map(|_| b'a' + (r() % 26) as u8).collect());
            inputs.push((0..5000).map(|_| r() as u8).collect());
            inputs.push((0..5000).map(|_| b"ab"[(r() % 2) as usize]).collect());
            for s in &inputs {
                assert_eq!(linear(&t, s), queue(&t, s), "{name} {:?}", &s[..20]);
            }
        }
    }

    /// A vocabulary of all bytes plus tokens made by merging random pairs of earlier tokens
    /// over the letters `alphabet` (as BPE training does; tiktoken's rule can still split such
    /// a token differently, or never make it). `shuffle`: then give the merged tokens their
    /// ranks in a random order (usually not monotone).
    fn random_vocab(seed: u64, alphabet: &[u8], merges: usize, shuffle: bool) -> Bpe {
        let mut r = rng(seed);
        let mut toks: Vec<Vec<u8>> = alphabet.iter().map(|&b| vec![b]).collect();
        let mut made: Vec<Vec<u8>> = Vec::new();
        for _ in 0..merges * 4 {
            if made.len() == merges {
                break;
            }
            let x = &toks[(r() % toks.len() as u64) as usize];
            let y = &toks[(r() % toks.len() as u64) as usize];
            let t = [x.as_slice(), y.as_slice()].concat();
            if t.len() <= 12 && !toks.contains(&t) {
                toks.push(t.clone());
                made.push(t);
            }
        }
        let mut ranks: Vec<Rank> = (256..256 + made.len() as Rank).collect();
        if shuffle {
            for i in (1..ranks.len()).rev() {
                ranks.swap(i, (r() % (i as u64 + 1)) as usize);
            }
        }
        let mut vocab: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        vocab.extend(made.into_iter().zip(ranks));
        Bpe::new(vocab, vec![], "cl100k_base").unwrap()
    }

    fn small(bpe: &Bpe, piece: &[u8]) -> Vec<Rank> {
        let mut out = Vec::new();
        crate::merge::merge_small(piece, &mut out, &|b: &[u8]| bpe.rank_of(b).unwrap_or(NONE));
        out
    }

    #[test]
    fn random_vocabularies_are_often_monotone_and_shuffled_ones_rarely() {
        let count = |shuffle: bool| {
            (0..200)
                .filter(|&seed| {
                    random_vocab(seed, b"abc", 30, shuffle)
                        .linear_tables()
                        .is_some()
                })
                .count()
        };
        // Both kinds occur, so the property tests below see both paths.
        let (trained, shuffled) = (count(false), count(true));
        eprintln!("monotone: {trained}/200 trained-like, {shuffled}/200 shuffled");
        assert!(trained > 100, "{trained}");
        assert!(shuffled < 100, "{shuffled}");
    }

    #[test]
    fn non_monotone_vocabulary_has_no_tables_and_still_encodes_exactly() {
        // "xyz" (256) is made as "x" + "yz" (300): its rank is below its part's.
        let mut ranks: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        ranks.push((b"yz".to_vec(), 300));
        ranks.push((b"xyz".to_vec(), 256));
        ranks.push((b"xy".to_vec(), 301));
        let t = Bpe::new(ranks, vec![], "cl100k_base").unwrap();
        assert!(t.linear_tables().is_none());
        let s = "xyzxy".repeat(100);
        assert_eq!(t.encode_ordinary(&s).unwrap(), small(&t, s.as_bytes()));
    }

    #[test]
    fn unreachable_tokens_are_never_produced() {
        // "xyz" is a token, but neither "xy" nor "yz" is: BPE never makes it.
        let mut ranks: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        ranks.push((b"ab".to_vec(), 256));
        ranks.push((b"xyz".to_vec(), 257));
        let t = Bpe::new(ranks, vec![], "cl100k_base").unwrap();
        let s = b"abxyz".repeat(30);
        let ids = linear(&t, &s);
        assert_eq!(ids, small(&t, &s));
        assert!(!ids.contains(&257) && ids.contains(&256));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn equals_merge_small_on_random_vocabularies(
            seed in any::<u64>(),
            merges in 1usize..60,
            shuffle in any::<bool>(),
            two_letters in any::<bool>(),
            text in proptest::collection::vec(0u8..3, 1..300),
        ) {
            let alphabet: &[u8] = if two_letters { b"ab" } else { b"abc" };
            let t = random_vocab(seed, alphabet, merges, shuffle);
            let s: Vec<u8> = text.iter().map(|&i| alphabet[i as usize % alphabet.len()]).collect();
            let expected = small(&t, &s);
            if let Some(lin) = t.linear_tables() {
                let mut out = Vec::new();
                prop_assert!(lin.encode(&s, &mut out));
                prop_assert_eq!(&out, &expected);
            }
            // whichever path the vocabulary gets; as in tiktoken, a piece that is a token is
            // that token even if BPE would not make it
            let whole = t.rank_of(&s).map_or(expected, |r| vec![r]);
            prop_assert_eq!(t.encode_ordinary(std::str::from_utf8(&s).unwrap()).unwrap(), whole);
        }
    }
}
