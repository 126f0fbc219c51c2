//! The byte-level BPE encoder/decoder: a rank table, a pre-tokeniser and special tokens.
//!
//! Semantics are tiktoken's: text is cut into pieces by the pre-tokeniser; a piece that is a
//! token is emitted as is; otherwise it starts as single bytes and the adjacent pair whose
//! concatenation has the lowest rank is merged (leftmost on ties) until no pair is a token.
//!
//! Speed choices:
//! - whole-piece lookup first: most pieces of natural text are single tokens;
//! - short pieces (the vast majority) use tiktoken's small-array merge loop (quadratic in the
//!   piece length but with tiny constants);
//! - pieces longer than [`HEAP_THRESHOLD`] bytes use a linked list + radix heap
//!   (O(n log n) at worst, not O(n^2)), and from [`LINEAR_THRESHOLD`] bytes on the
//!   left-to-right encoder of linear.rs (linear time, cache-friendly), so a 3.6 MB run
//!   without spaces costs the same per byte as a 100 kB one;
//! - special tokens are found with one `regex` (DFA + literal prefilter), only when some are
//!   allowed or disallowed.

use std::cmp::Reverse;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::cache::{CachePool, PieceCache};
use super::linear::{LazyLinear, Linear};
use super::merge;
use super::pretok::Pretokenizer;
use super::table::{Rank, TokenTable};
use fineweb_kit_base::pool::run_in_pool;
use fineweb_kit_base::{CoreError, CoreResult};

/// Largest id + 1 a vocabulary may use (ranks live in 24 bits of the heap entries).
pub const MAX_ID: usize = 1 << 24;

/// Pieces longer than this use the heap merge (O(n log n)) instead of the array loop.
pub const HEAP_THRESHOLD: usize = 48;

/// Pieces of at least this many bytes use the left-to-right linear-time encoder
/// ([`Linear`]). Below it the heap merge's arrays fit in the L2 cache and it is about as fast,
/// and ordinary text never pays for building the encoder's tables (~0.1 s, once per
/// tokenizer): only texts with runs this long do.
pub const LINEAR_THRESHOLD: usize = 8192;

/// Which special tokens a call treats as special (`All`, none, or a named set).
#[derive(Clone, Debug, Default)]
pub enum SpecialSet {
    #[default]
    None,
    All,
    Some(FxHashSet<String>),
}

impl SpecialSet {
    fn contains(&self, s: &str) -> bool {
        match self {
            SpecialSet::None => false,
            SpecialSet::All => true,
            SpecialSet::Some(set) => set.contains(s),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            SpecialSet::None => true,
            SpecialSet::All => false,
            SpecialSet::Some(set) => set.is_empty(),
        }
    }
}

/// Names the failing text of a batch in a tokenizer error.
pub fn in_text(i: usize, e: CoreError) -> CoreError {
    match e {
        CoreError::Tokenizer(m) => CoreError::Tokenizer(format!("texts[{i}]: {m}")),
        other => other,
    }
}

/// A byte-level BPE tokenizer.
#[derive(Clone, Debug)]
pub struct Bpe {
    encoder: TokenTable,
    byte_rank: [Rank; 256],
    /// Rank of every two-byte string (`Rank::MAX`: not a token), indexed by `b0 << 8 | b1`:
    /// 256 kB, so the first round of pair lookups of every merge is one load.
    pair_rank: Box<[Rank]>,
    decoder: Vec<Option<Box<[u8]>>>,
    specials: Vec<(String, Rank)>,
    special_ids: FxHashSet<Rank>,
    special_re: Option<regex::Regex>,
    pre: Pretokenizer,
    /// This tokenizer's piece caches (one per thread encoding at a time, each capped).
    cache: CachePool,
    /// Tables of the left-to-right encoder for long pieces, built on first use.
    linear: LazyLinear,
}

/// Pieces of at most this many bytes that are not tokens are cached.
const CACHE_MAX_PIECE: usize = 32;

/// Default cap on one thread's piece cache, in bytes (see [`Bpe::set_cache_bytes`]).
pub const DEFAULT_CACHE_BYTES: usize = 4 << 20;

impl Bpe {
    /// Builds a tokenizer. `ranks`: mergeable tokens (bytes, rank); every single byte must be a
    /// token; ranks and byte strings must be unique; special ids must not collide with ranks.
    pub fn new(
        ranks: Vec<(Vec<u8>, Rank)>,
        specials: Vec<(String, Rank)>,
        pattern: &str,
    ) -> CoreResult<Self> {
        Self::build(ranks, specials, pattern, false)
    }

    /// Like [`Bpe::new`], but two ranks may share bytes (BPE training can, rarely, reach the
    /// same bytes by two merge paths): the lower rank is the one encoding produces.
    pub fn new_trained(
        ranks: Vec<(Vec<u8>, Rank)>,
        specials: Vec<(String, Rank)>,
        pattern: &str,
    ) -> CoreResult<Self> {
        Self::build(ranks, specials, pattern, true)
    }

    fn build(
        ranks: Vec<(Vec<u8>, Rank)>,
        specials: Vec<(String, Rank)>,
        pattern: &str,
        allow_same_bytes: bool,
    ) -> CoreResult<Self> {
        let pre = Pretokenizer::new(pattern)?;
        let max_rank = ranks.iter().map(|r| r.1).max();
        let max_special = specials.iter().map(|s| s.1).max();
        let n = max_rank.max(max_special).map_or(0, |m| m as usize + 1);
        if n > MAX_ID {
            return Err(CoreError::Tokenizer(format!(
                "token id {} is too large (ids must be below {MAX_ID})",
                n - 1
            )));
        }
        let mut decoder: Vec<Option<Box<[u8]>>> = vec![None; n];
        let mut encoder = TokenTable::with_capacity(ranks.len());
        for (bytes, rank) in ranks {
            if bytes.is_empty() {
                return Err(CoreError::Tokenizer(format!("token {rank} has no bytes")));
            }
            if decoder[rank as usize].is_some() {
                return Err(CoreError::Tokenizer(format!(
                    "rank {rank} is given to two different tokens"
                )));
            }
            if let Some(other) = encoder.insert(&bytes, rank) {
                if !allow_same_bytes {
                    return Err(CoreError::Tokenizer(format!(
                        "tokens {other} and {rank} have the same bytes"
                    )));
                }
                if rank < other {
                    encoder.set(&bytes, rank);
                }
            }
            decoder[rank as usize] = Some(bytes.into_boxed_slice());
        }
        encoder.fit();
        let mut byte_rank = [0; 256];
        for (b, slot) in byte_rank.iter_mut().enumerate() {
            *slot = encoder.get([b as u8].as_slice()).ok_or_else(|| {
                CoreError::Tokenizer(format!(
                    "byte 0x{b:02x} has no token: a byte-level BPE vocabulary needs all 256 bytes"
                ))
            })?;
        }
        let mut pair_rank = vec![Rank::MAX; 1 << 16].into_boxed_slice();
        for (k, slot) in pair_rank.iter_mut().enumerate() {
            if let Some(r) = encoder.get(&[(k >> 8) as u8, k as u8]) {
                *slot = r;
            }
        }
        let mut special_ids = FxHashSet::default();
        let mut seen = FxHashSet::default();
        for (s, id) in &specials {
            if s.is_empty() {
                return Err(CoreError::Tokenizer("a special token is empty".into()));
            }
            if decoder[*id as usize].is_some() {
                return Err(CoreError::Tokenizer(format!(
                    "special token {s:?} has id {id}, which is already a token"
                )));
            }
            if !seen.insert(s.clone()) {
                return Err(CoreError::Tokenizer(format!(
                    "special token {s:?} given twice"
                )));
            }
            decoder[*id as usize] = Some(s.as_bytes().to_vec().into_boxed_slice());
            special_ids.insert(*id);
        }
        let special_re = if specials.is_empty() {
            None
        } else {
            let mut sorted: Vec<&str> = specials.iter().map(|s| s.0.as_str()).collect();
            sorted.sort_by_key(|s| Reverse(s.len()));
            let alt: Vec<String> = sorted.iter().map(|s| regex::escape(s)).collect();
            Some(
                regex::Regex::new(&alt.join("|"))
                    .map_err(|e| CoreError::Tokenizer(format!("special tokens: {e}")))?,
            )
        };
        super::charclass::init();
        Ok(Self {
            encoder,
            byte_rank,
            pair_rank,
            decoder,
            specials,
            special_ids,
            special_re,
            pre,
            cache: CachePool::new(DEFAULT_CACHE_BYTES),
            linear: LazyLinear::default(),
        })
    }

    /// Empties the piece caches (for measuring first-sight speed).
    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    /// Caps each thread's piece cache at `bytes` (0 turns caching off); drops the caches.
    pub fn set_cache_bytes(&self, bytes: usize) {
        self.cache.set_max_bytes(bytes);
    }

    /// The cap on each thread's piece cache, in bytes.
    pub fn cache_bytes(&self) -> usize {
        self.cache.max_bytes()
    }

    /// (caches, bytes held, pieces cached) of the idle piece caches.
    pub fn cache_stats(&self) -> (usize, usize, usize) {
        self.cache.stats()
    }

    /// Number of ids (highest id + 1), specials included.
    pub fn n_vocab(&self) -> usize {
        self.decoder.len()
    }

    /// The pre-tokeniser.
    pub fn pretokenizer(&self) -> &Pretokenizer {
        &self.pre
    }

    /// The special tokens (string, id), in the order given.
    pub fn specials(&self) -> &[(String, Rank)] {
        &self.specials
    }

    /// The mergeable tokens (bytes, rank), sorted by rank.
    pub fn ranks(&self) -> Vec<(&[u8], Rank)> {
        let mut v = Vec::with_capacity(self.encoder.len());
        for (id, b) in self.decoder.iter().enumerate() {
            if let Some(b) = b {
                let id = id as Rank;
                if !self.special_ids.contains(&id) && self.encoder.get(b) == Some(id) {
                    v.push((&b[..], id));
                }
            }
        }
        v
    }

    /// The rank of a byte string, if it is a mergeable token.
    pub fn rank_of(&self, bytes: &[u8]) -> Option<Rank> {
        self.encoder.get(bytes)
    }

    /// The bytes of one id (mergeable or special).
    pub fn token_bytes(&self, id: Rank) -> Option<&[u8]> {
        self.decoder.get(id as usize).and_then(|b| b.as_deref())
    }

    /// Whether `id` is a special token.
    pub fn is_special(&self, id: Rank) -> bool {
        self.special_ids.contains(&id)
    }

    /// Encodes text with no special-token handling (special strings are plain text).
    pub fn encode_ordinary(&self, text: &str) -> CoreResult<Vec<Rank>> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        self.encode_ordinary_into(text, &mut out)?;
        Ok(out)
    }

    /// Appends the ids of `text` (no special tokens) to `out`.
    pub fn encode_ordinary_into(&self, text: &str, out: &mut Vec<Rank>) -> CoreResult<()> {
        let b = text.as_bytes();
        self.cache.with(|cache| match cache {
            Some(cache) => self
                .pre
                .split(text, |s, e| self.encode_piece(&b[s..e], out, cache)),
            None => self.pre.split(text, |s, e| {
                let piece = &b[s..e];
                if !self.encode_token(piece, out) {
                    self.merge_any(piece, out);
                }
            }),
        })
    }

    /// Encodes text, with tiktoken's semantics: a special token in `allowed` becomes its id;
    /// one in `disallowed` (and not allowed) is an error naming it and its byte offset;
    /// any other special string is plain text.
    pub fn encode(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
    ) -> CoreResult<Vec<Rank>> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        self.encode_into(text, allowed, disallowed, &mut out)?;
        Ok(out)
    }

    /// [`Bpe::encode`], appending to `out`.
    pub fn encode_into(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        out: &mut Vec<Rank>,
    ) -> CoreResult<()> {
        let Some(re) = &self.special_re else {
            return self.encode_ordinary_into(text, out);
        };
        if allowed.is_empty() && disallowed.is_empty() {
            return self.encode_ordinary_into(text, out);
        }
        let mut start = 0;
        let mut pos = 0;
        while let Some(m) = re.find_at(text, pos) {
            let s = m.as_str();
            if allowed.contains(s) {
                self.encode_ordinary_into(&text[start..m.start()], out)?;
                // Every matched string is one of our specials (the regex is built from them).
                let id = self.specials.iter().find(|x| x.0 == s).map(|x| x.1);
                out.extend(id);
                start = m.end();
                pos = m.end();
            } else if disallowed.contains(s) {
                return Err(CoreError::Tokenizer(format!(
                    "text contains the special token {s:?} at byte {} but it is not allowed: \
                     pass allowed_special={{{s:?}}} (or \"all\") to encode it as a special token, \
                     or disallowed_special=() to encode it as plain text",
                    m.start()
                )));
            } else {
                // Not special for this call: retry one char later (overlapping specials).
                pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            }
        }
        self.encode_ordinary_into(&text[start..], out)
    }

    /// Encodes many texts in parallel and hands each result to `sink(index, ids)` as soon as
    /// it is ready (any order): a caller can consume results (build Python lists) while the
    /// remaining texts are still being encoded.
    pub fn encode_each(
        &self,
        texts: &[&str],
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        threads: Option<usize>,
        sink: impl Fn(usize, CoreResult<Vec<Rank>>) + Sync + Send,
    ) -> CoreResult<()> {
        let work = || {
            texts
                .par_iter()
                .enumerate()
                .with_min_len(1)
                .for_each(|(i, t)| sink(i, self.encode(t, allowed, disallowed)));
            Ok(())
        };
        run_in_pool(threads, work)
    }

    /// Encodes many texts in parallel into one id vector (text order kept), with `eot`
    /// appended after each text if given: the shard path, without per-text vectors.
    pub fn encode_concat(
        &self,
        texts: &[&str],
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        eot: Option<Rank>,
        threads: Option<usize>,
    ) -> CoreResult<Vec<Rank>> {
        Ok(self
            .encode_flat(texts, allowed, disallowed, eot, threads)?
            .0)
    }

    /// Encodes many texts (in parallel) into one id vector and `texts.len() + 1` offsets:
    /// text `i`'s ids (with `eot` after them if given) are `ids[offsets[i]..offsets[i + 1]]`.
    /// One thread (`threads == Some(1)`) or a small input runs on the calling thread and
    /// writes straight into the result.
    pub fn encode_flat(
        &self,
        texts: &[&str],
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        eot: Option<Rank>,
        threads: Option<usize>,
    ) -> CoreResult<(Vec<Rank>, Vec<i64>)> {
        // Chunks of texts of about 256 kB each keep threads evenly busy and the copies few.
        let mut chunks: Vec<(usize, &[&str])> = Vec::new();
        let mut start = 0;
        let mut size = 0;
        for (i, t) in texts.iter().enumerate() {
            size += t.len();
            if size >= 1 << 18 {
                chunks.push((start, &texts[start..=i]));
                start = i + 1;
                size = 0;
            }
        }
        if start < texts.len() {
            chunks.push((start, &texts[start..]));
        }
        // `first`: index in `texts` of the chunk's first text (errors name the text).
        let encode_chunk =
            |first: usize, chunk: &[&str], out: &mut Vec<Rank>, ends: &mut Vec<i64>| {
                for (k, t) in chunk.iter().enumerate() {
                    self.encode_into(t, allowed, disallowed, out)
                        .map_err(|e| in_text(first + k, e))?;
                    out.extend(eot);
                    ends.push(out.len() as i64);
                }
                CoreResult::Ok(())
            };
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        if threads == Some(1) || chunks.len() <= 1 {
            let mut out = Vec::with_capacity(bytes / 4 + texts.len() + 16);
            let mut offsets = Vec::with_capacity(texts.len() + 1);
            offsets.push(0);
            encode_chunk(0, texts, &mut out, &mut offsets)?;
            return Ok((out, offsets));
        }
        let work = || {
            chunks
                .par_iter()
                .map(|&(first, chunk)| {
                    let bytes: usize = chunk.iter().map(|t| t.len()).sum();
                    let mut out = Vec::with_capacity(bytes / 4 + chunk.len() + 16);
                    let mut ends = Vec::with_capacity(chunk.len());
                    encode_chunk(first, chunk, &mut out, &mut ends)?;
                    Ok((out, ends))
                })
                .collect::<CoreResult<Vec<(Vec<Rank>, Vec<i64>)>>>()
        };
        let parts = run_in_pool(threads, work)?;
        let mut offsets = Vec::with_capacity(texts.len() + 1);
        offsets.push(0);
        let mut base = 0;
        for (p, ends) in &parts {
            offsets.extend(ends.iter().map(|e| e + base));
            base += p.len() as i64;
        }
        // Joined by the same threads: a serial copy would cost a few % of the parallel speed-up.
        let mut out = vec![0; base as usize];
        let mut slots = Vec::with_capacity(parts.len());
        let mut rest = out.as_mut_slice();
        for (p, _) in &parts {
            let (slot, tail) = rest.split_at_mut(p.len());
            slots.push(slot);
            rest = tail;
        }
        run_in_pool(threads, || {
            slots
                .into_par_iter()
                .zip(parts.par_iter())
                .for_each(|(slot, part)| slot.copy_from_slice(&part.0));
            Ok(())
        })?;
        Ok((out, offsets))
    }

    /// Appends the id of `piece` if it is one token; false if it is not.
    #[inline(always)]
    fn encode_token(&self, piece: &[u8], out: &mut Vec<Rank>) -> bool {
        if piece.len() <= 2 {
            let r = self.rank(piece);
            if r == Rank::MAX {
                return false;
            }
            out.push(r);
            return true;
        }
        match self.encoder.get(piece) {
            Some(r) => {
                out.push(r);
                true
            }
            None => false,
        }
    }

    /// Merges a piece that is not one token, with the loop suited to its length.
    #[inline]
    fn merge_any(&self, piece: &[u8], out: &mut Vec<Rank>) {
        if piece.len() <= HEAP_THRESHOLD {
            self.merge_small(piece, out);
        } else {
            self.merge_heap(piece, out);
        }
    }

    /// Encodes one piece (a pre-token) and appends its ids.
    #[inline(always)]
    fn encode_piece(&self, piece: &[u8], out: &mut Vec<Rank>, cache: &mut PieceCache) {
        if self.encode_token(piece, out) {
            return;
        }
        if piece.len() > CACHE_MAX_PIECE {
            self.merge_any(piece, out);
            return;
        }
        if let Some(ids) = cache.get(piece) {
            out.extend_from_slice(ids);
            return;
        }
        let start = out.len();
        self.merge_small(piece, out);
        cache.insert(piece, &out[start..]);
    }

    #[inline(always)]
    fn rank(&self, bytes: &[u8]) -> Rank {
        if bytes.len() == 1 {
            return self.byte_rank[bytes[0] as usize];
        }
        if bytes.len() == 2 {
            return self.pair_rank[(bytes[0] as usize) << 8 | bytes[1] as usize];
        }
        self.encoder.get(bytes).unwrap_or(Rank::MAX)
    }

    /// tiktoken's merge loop (see [`merge::merge_small`]).
    fn merge_small(&self, piece: &[u8], out: &mut Vec<Rank>) {
        merge::merge_small(piece, out, &|b: &[u8]| self.rank(b));
    }

    /// Long pieces: the left-to-right encoder (see [`Linear`]) from [`LINEAR_THRESHOLD`]
    /// bytes if the vocabulary allows it, else the queue-based merge.
    fn merge_heap(&self, piece: &[u8], out: &mut Vec<Rank>) {
        if piece.len() >= LINEAR_THRESHOLD {
            if let Some(lin) = self.linear_tables() {
                if lin.encode(piece, out) {
                    return;
                }
            }
        }
        self.merge_queue(piece, out);
    }

    /// Queue-based merge (see [`merge::merge_long`]).
    fn merge_queue(&self, piece: &[u8], out: &mut Vec<Rank>) {
        merge::merge_long(piece, out, &|b: &[u8]| self.rank(b));
    }

    /// The left-to-right encoder's tables (built on the first call), None if the vocabulary
    /// does not allow it.
    pub fn linear_tables(&self) -> Option<&Linear> {
        self.linear
            .get(|| Linear::build(&self.ranks(), &self.encoder))
    }

    /// The two tokens whose merge makes `bytes` (rank `rank`): BPE on `bytes` restricted to
    /// ranks below `rank`; None if that does not end in exactly two tokens.
    pub fn merge_split<'a>(&self, bytes: &'a [u8], rank: Rank) -> Option<(&'a [u8], &'a [u8])> {
        let mut bounds: Vec<usize> = (0..=bytes.len()).collect();
        loop {
            let mut best: Option<(Rank, usize)> = None;
            for i in 0..bounds.len().saturating_sub(2) {
                let r = self.rank(&bytes[bounds[i]..bounds[i + 2]]);
                if r < rank && best.is_none_or(|b| r < b.0) {
                    best = Some((r, i));
                }
            }
            match best {
                Some((_, i)) => {
                    bounds.remove(i + 1);
                }
                None => break,
            }
        }
        (bounds.len() == 3).then(|| (&bytes[..bounds[1]], &bytes[bounds[1]..]))
    }

    /// The bytes of a sequence of ids; an unknown id is an error naming it and its index.
    pub fn decode_bytes(&self, ids: &[Rank]) -> CoreResult<Vec<u8>> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        for (k, &id) in ids.iter().enumerate() {
            match self.token_bytes(id) {
                Some(b) => out.extend_from_slice(b),
                None => {
                    return Err(CoreError::Tokenizer(format!(
                        "token id {id} (at index {k}) is not in the vocabulary (n_vocab {})",
                        self.n_vocab()
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Decodes to a string; invalid UTF-8 (a token sequence cut mid-character) becomes U+FFFD,
    /// as in tiktoken's `decode(errors="replace")`.
    pub fn decode(&self, ids: &[Rank]) -> CoreResult<String> {
        let bytes = self.decode_bytes(ids)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small vocabulary: all bytes, then a few merges.
    fn toy() -> Bpe {
        let mut ranks: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        for (i, t) in ["ab", "bc", "abc", "aa", "aaaa", " a", "hello", " world"]
            .iter()
            .enumerate()
        {
            ranks.push((t.as_bytes().to_vec(), 256 + i as Rank));
        }
        Bpe::new(ranks, vec![("<|eot|>".into(), 300)], "cl100k_base").unwrap()
    }

    /// Naive oracle: repeatedly merge the leftmost lowest-rank pair.
    fn naive(bpe: &Bpe, piece: &[u8]) -> Vec<Rank> {
        let mut parts: Vec<Vec<u8>> = piece.iter().map(|&b| vec![b]).collect();
        loop {
            let mut best: Option<(Rank, usize)> = None;
            for i in 0..parts.len().saturating_sub(1) {
                let cat = [parts[i].clone(), parts[i + 1].clone()].concat();
                if let Some(r) = bpe.rank_of(&cat) {
                    if best.is_none_or(|b| r < b.0) {
                        best = Some((r, i));
                    }
                }
            }
            let Some((_, i)) = best else { break };
            let right = parts.remove(i + 1);
            parts[i].extend(right);
        }
        parts.iter().map(|p| bpe.rank_of(p).unwrap()).collect()
    }

    #[test]
    fn merges_and_specials() {
        let t = toy();
        assert_eq!(t.encode_ordinary("abc").unwrap(), vec![258]);
        assert_eq!(t.encode_ordinary("aaaaa").unwrap(), vec![260, 97]);
        let ids = t
            .encode("a<|eot|>b", &SpecialSet::All, &SpecialSet::None)
            .unwrap();
        assert_eq!(ids, vec![97, 300, 98]);
        let err = t
            .encode("a<|eot|>b", &SpecialSet::None, &SpecialSet::All)
            .unwrap_err();
        assert!(err.to_string().contains("at byte 1"), "{err}");
        let plain = t
            .encode("a<|eot|>b", &SpecialSet::None, &SpecialSet::None)
            .unwrap();
        assert_eq!(plain, t.encode_ordinary("a<|eot|>b").unwrap());
        assert_eq!(t.decode_bytes(&[300, 97]).unwrap(), b"<|eot|>a");
        assert!(t.decode_bytes(&[299]).is_err());
        assert_eq!(t.n_vocab(), 301);
    }

    #[test]
    fn bad_vocabularies() {
        let no_bytes = vec![(b"ab".to_vec(), 0)];
        assert!(Bpe::new(no_bytes, vec![], "r50k_base").is_err());
        let mut dup: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        dup.push((b"a".to_vec(), 256));
        assert!(Bpe::new(dup, vec![], "r50k_base").is_err());
    }

    #[test]
    fn non_monotone_vocabulary_falls_back() {
        // "bc" (256) is made before "ab" would be, but "abc" (257) can also be reached as
        // "a"+"bc"; "xy" has a lower rank than its part "x"+"y" pair tokens: order breaks.
        let mut ranks: Vec<(Vec<u8>, Rank)> = (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
        ranks.push((b"yz".to_vec(), 300));
        ranks.push((b"xyz".to_vec(), 256));
        ranks.push((b"xy".to_vec(), 301));
        let t = Bpe::new(ranks, vec![], "cl100k_base").unwrap();
        let piece = "xyzxyz".repeat(30);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.merge_small(piece.as_bytes(), &mut a);
        t.merge_heap(piece.as_bytes(), &mut b);
        assert_eq!(a, b);
        assert_eq!(a, naive(&t, piece.as_bytes()));
    }

    #[test]
    fn heap_equals_small() {
        let t = toy();
        let piece = "abcaaaabcabaaa".repeat(40);
        let mut a = Vec::new();
        let mut b = Vec::new();
        t.merge_small(piece.as_bytes(), &mut a);
        t.merge_heap(piece.as_bytes(), &mut b);
        assert_eq!(a, b);
        assert_eq!(a, naive(&t, piece.as_bytes()));
    }

    /// The array merge, the queue merge and the naive oracle agree on `piece`.
    fn check_merges(t: &Bpe, piece: &[u8]) -> Result<(), TestCaseError> {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.merge_small(piece, &mut a);
        t.merge_heap(piece, &mut b);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a, naive(t, piece));
        Ok(())
    }

    proptest! {
        #[test]
        fn merges_equal_naive(s in "[abc ]{1,40}") {
            check_merges(&toy(), s.as_bytes())?;
        }

        #[test]
        fn merges_equal_naive_odd_vocab(s in "[xyz]{1,60}") {
            let mut ranks: Vec<(Vec<u8>, Rank)> =
                (0..=255u8).map(|b| (vec![b], b as Rank)).collect();
            for (i, tok) in ["yz", "xyz", "xy", "zx", "zxy", "yzx", "xx"].iter().enumerate() {
                ranks.push((tok.as_bytes().to_vec(), [300, 256, 301, 257, 259, 302, 258][i]));
            }
            check_merges(&Bpe::new(ranks, vec![], "cl100k_base").unwrap(), s.as_bytes())?;
        }

        #[test]
        fn never_panics_and_round_trips(s in "\\PC{0,60}") {
            let t = toy();
            let ids = t.encode(&s, &SpecialSet::All, &SpecialSet::None).unwrap();
            prop_assert_eq!(t.decode_bytes(&ids).unwrap(), s.as_bytes());
        }
    }
}
