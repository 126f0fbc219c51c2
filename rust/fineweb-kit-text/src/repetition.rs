//! Repetition measures of the Gopher paper (Rae et al. 2021, table A1), with datatrove's exact
//! formulas (`gopher_repetition_filter.py`): duplicate elements and their characters, the
//! characters covered by the most frequent n-gram, and the characters of repeated n-grams.
//!
//! All lengths are in Unicode code points (Python `len`).

use rustc_hash::{FxHashMap, FxHashSet};

/// Python `len(s)`.
#[inline]
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// `(duplicate elements, their characters)`: every occurrence after the first counts
/// (datatrove `find_duplicates`).
pub fn find_duplicates<'a>(items: impl IntoIterator<Item = &'a str>) -> (usize, usize) {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let (mut n, mut chars) = (0, 0);
    for it in items {
        if !seen.insert(it) {
            n += 1;
            chars += char_len(it);
        }
    }
    (n, chars)
}

/// Words of one document, interned: `ids[i]` identifies `words[i]`, `lens[i]` its length.
pub struct WordIds {
    pub ids: Vec<u32>,
    pub lens: Vec<usize>,
}

impl WordIds {
    pub fn new(words: &[&str]) -> Self {
        let mut map: FxHashMap<&str, u32> = FxHashMap::default();
        let mut ids = Vec::with_capacity(words.len());
        let mut lens = Vec::with_capacity(words.len());
        for w in words {
            let next = map.len() as u32;
            ids.push(*map.entry(w).or_insert(next));
            lens.push(char_len(w));
        }
        WordIds { ids, lens }
    }
}

/// For each `n` in `sizes`: characters of the most frequent `n`-gram (words joined with spaces)
/// times its count; ties go to the n-gram seen first, like `Counter.most_common(1)`; 0 when
/// there are fewer than `n` words (datatrove `find_top_duplicate`).
///
/// n-grams are keyed by a 61-bit polynomial hash of their word hashes, extended from size
/// n - 1 to n with one multiply-add per position (words hold no spaces, so equal word
/// sequences are exactly equal space-joined strings).
pub fn top_ngram_chars(h: &ConcatHashes, w: &WordIds, sizes: &[usize]) -> Vec<usize> {
    let len = w.ids.len();
    let max_n = sizes.iter().copied().max().unwrap_or(0).min(len);
    let mut out = vec![0; sizes.len()];
    let mut key = vec![0u64; len];
    let mut counts: FxHashMap<u64, (usize, usize)> = FxHashMap::default();
    for n in 1..=max_n {
        let starts = len + 1 - n;
        for (i, k) in key.iter_mut().enumerate().take(starts) {
            *k = add_mod(mul_mod(*k, WORD_BASE), h.hash[i + n - 1]);
        }
        for (slot, _) in sizes.iter().enumerate().filter(|&(_, &s)| s == n) {
            counts.clear();
            counts.reserve(starts);
            for (i, &k) in key.iter().enumerate().take(starts) {
                counts.entry(k).or_insert((0, i)).0 += 1;
            }
            let (first, count) = counts
                .values()
                .map(|&(count, first)| (first, count))
                .min_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)))
                .unwrap_or((0, 0));
            let chars: usize = w.lens[first..first + n].iter().sum::<usize>() + (n - 1);
            out[slot] = chars * count;
        }
    }
    out
}

/// Polynomial hashes of words for hashing concatenations (mod the Mersenne prime 2^61 - 1):
/// `hash(x + y) = hash(x) * BASE^len(y) + hash(y)`, so an n-gram's concatenation is hashed
/// from its words in n multiply-adds, without building the string.
pub struct ConcatHashes {
    hash: Vec<u64>,
    pow: Vec<u64>,
}

const MERSENNE: u64 = (1 << 61) - 1;
const BASE: u64 = 0x1F35_A7BD_7C3F_11E5 % MERSENNE;
const WORD_BASE: u64 = 0x0B2C_9E4F_D5A1_7733 % MERSENNE;

#[inline]
fn mul_mod(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    let r = ((p & u128::from(MERSENNE)) + (p >> 61)) as u64;
    if r >= MERSENNE {
        r - MERSENNE
    } else {
        r
    }
}

#[inline]
fn add_mod(a: u64, b: u64) -> u64 {
    let r = a + b;
    if r >= MERSENNE {
        r - MERSENNE
    } else {
        r
    }
}

impl ConcatHashes {
    pub fn new(words: &[&str]) -> Self {
        let mut hash = Vec::with_capacity(words.len());
        let mut pow = Vec::with_capacity(words.len());
        for w in words {
            let (mut h, mut p) = (0u64, 1u64);
            for &b in w.as_bytes() {
                h = add_mod(mul_mod(h, BASE), u64::from(b) + 1);
                p = mul_mod(p, BASE);
            }
            hash.push(h);
            pow.push(p);
        }
        ConcatHashes { hash, pow }
    }
}

/// For each `n` in `sizes`: the characters of `n`-grams (joined without separator) that repeat
/// an earlier one, skipping past each repeat (datatrove `find_all_duplicate`).
///
/// n-grams are compared by their character length and a 61-bit polynomial hash of their
/// concatenation (equal concatenations always match; a false match needs a hash collision,
/// probability ~ k^2 / 2^61 for k n-grams). The window hashes of size n are built from those
/// of size n - 1 with one multiply-add each, so all sizes together cost one pass per size.
pub fn dup_ngram_chars(h: &ConcatHashes, w: &WordIds, sizes: &[usize]) -> Vec<usize> {
    let len = w.ids.len();
    let max_n = sizes.iter().copied().max().unwrap_or(0).min(len);
    let mut out = vec![0; sizes.len()];
    let mut win_hash = vec![0u64; len];
    let mut win_chars = vec![0usize; len];
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    for n in 1..=max_n {
        let starts = len + 1 - n;
        for i in 0..starts {
            let j = i + n - 1;
            win_hash[i] = add_mod(mul_mod(win_hash[i], h.pow[j]), h.hash[j]);
            win_chars[i] += w.lens[j];
        }
        for (k, _) in sizes.iter().enumerate().filter(|&(_, &s)| s == n) {
            seen.clear();
            seen.reserve(starts);
            let (mut idx, mut repeated) = (0, 0);
            while idx < starts {
                let key = win_hash[idx] ^ ((win_chars[idx] as u64) << 61);
                if seen.insert(key) {
                    idx += 1;
                } else {
                    repeated += win_chars[idx];
                    idx += n;
                }
            }
            out[k] = repeated;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates() {
        assert_eq!(find_duplicates(["a", "bb", "a", "bb", "bb"]), (3, 5));
    }

    #[test]
    fn top_and_dup_ngrams() {
        let words = ["a", "b", "a", "b", "c", "c", "x"];
        let w = WordIds::new(&words);
        let h = ConcatHashes::new(&words);
        // most common 2-gram "a b" (2x, first) -> len("a b") * 2; ties -> first seen: every
        // 3-gram once -> "a b a" * 1; fewer words than n -> 0
        assert_eq!(top_ngram_chars(&h, &w, &[2, 3, 8]), [6, 5, 0]);
        // 2-grams (concatenated): ab ba ab(dup, +2, skip 2) -> idx 4: cc cx
        assert_eq!(dup_ngram_chars(&h, &w, &[2, 1, 9]), [2, 3, 0]);
        // concatenation equality: "ab"+"c" == "a"+"bc"
        let words = ["ab", "c", "a", "bc"];
        let w = WordIds::new(&words);
        let h = ConcatHashes::new(&words);
        assert_eq!(dup_ngram_chars(&h, &w, &[2]), [3]);
    }

    /// The datatrove formulas written naively (strings built and compared), as the oracle.
    fn naive_dup(words: &[&str], n: usize) -> usize {
        let mut seen = std::collections::HashSet::new();
        let (mut idx, mut rep) = (0, 0);
        while idx + n <= words.len() {
            let g: String = words[idx..idx + n].concat();
            if seen.insert(g.clone()) {
                idx += 1;
            } else {
                rep += g.chars().count();
                idx += n;
            }
        }
        rep
    }

    fn naive_top(words: &[&str], n: usize) -> usize {
        let grams: Vec<String> = words.windows(n).map(|w| w.join(" ")).collect();
        let mut counts: Vec<(String, usize)> = Vec::new();
        for g in grams {
            match counts.iter_mut().find(|(k, _)| *k == g) {
                Some((_, c)) => *c += 1,
                None => counts.push((g, 1)),
            }
        }
        let best = counts
            .iter()
            .fold(None::<&(String, usize)>, |b, x| match b {
                Some(b) if b.1 >= x.1 => Some(b),
                _ => Some(x),
            });
        best.map_or(0, |(g, c)| g.chars().count() * c)
    }

    proptest::proptest! {
        #[test]
        fn fast_ngram_measures_equal_naive(
            words in proptest::collection::vec("(a|b|ab|ba|é|c)", 0..40)
        ) {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let w = WordIds::new(&words);
            let h = ConcatHashes::new(&words);
            let sizes: Vec<usize> = (1..=6).collect();
            let dup = dup_ngram_chars(&h, &w, &sizes);
            let top = top_ngram_chars(&h, &w, &sizes);
            for (k, &n) in sizes.iter().enumerate() {
                proptest::prop_assert_eq!(dup[k], naive_dup(&words, n));
                proptest::prop_assert_eq!(top[k], naive_top(&words, n));
            }
        }
    }
}
