//! Repetition measures of the Gopher paper (Rae et al. 2021, table A1), with datatrove's exact
//! formulas (`gopher_repetition_filter.py`): duplicate elements and their characters, the
//! characters covered by the most frequent n-gram, and the characters of repeated n-grams.
//!
//! All lengths are in Unicode code points (Python `len`).

use rustc_hash::{FxHashMap, FxHashSet};
use xxhash_rust::xxh3::xxh3_64;

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

/// Characters of the most frequent `n`-gram (joined with spaces) times its count; ties go to
/// the n-gram seen first, like `Counter.most_common(1)`. 0 when there are fewer than `n` words.
pub fn top_ngram_chars(w: &WordIds, n: usize) -> usize {
    if n == 0 || w.ids.len() < n {
        return 0;
    }
    let mut counts: FxHashMap<&[u32], (usize, usize)> = FxHashMap::default();
    for (i, win) in w.ids.windows(n).enumerate() {
        counts.entry(win).or_insert((0, i)).0 += 1;
    }
    let (best_first, best_count) = counts
        .values()
        .map(|&(count, first)| (first, count))
        .min_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)))
        .unwrap_or((0, 0));
    let chars: usize = w.lens[best_first..best_first + n].iter().sum::<usize>() + (n - 1);
    chars * best_count
}

/// Characters of `n`-grams (joined without separator) that repeat an earlier one, skipping
/// past each repeat (datatrove `find_all_duplicate`). n-grams are compared by a 64-bit hash of
/// their concatenation (a collision needs ~4e9 distinct n-grams in one document to be likely).
pub fn dup_ngram_chars(words: &[&str], w: &WordIds, n: usize) -> usize {
    if n == 0 || words.len() < n {
        return 0;
    }
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let (mut idx, mut repeated) = (0, 0);
    while idx + n <= words.len() {
        buf.clear();
        for word in &words[idx..idx + n] {
            buf.extend_from_slice(word.as_bytes());
        }
        if seen.insert(xxh3_64(&buf)) {
            idx += 1;
        } else {
            repeated += w.lens[idx..idx + n].iter().sum::<usize>();
            idx += n;
        }
    }
    repeated
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
        // most common 2-gram "a b" (2x, first), "b a" 1x, ... -> len("a b") * 2
        assert_eq!(top_ngram_chars(&w, 2), 6);
        // ties -> first seen: every 3-gram once -> "a b a" * 1
        assert_eq!(top_ngram_chars(&w, 3), 5);
        assert_eq!(top_ngram_chars(&w, 8), 0);
        // 2-grams (concatenated): ab ba ab(dup, +2, skip 2) -> idx 4: cc cx
        assert_eq!(dup_ngram_chars(&words, &w, 2), 2);
        // concatenation equality: "ab"+"c" == "a"+"bc"
        let words = ["ab", "c", "a", "bc"];
        let w = WordIds::new(&words);
        assert_eq!(dup_ngram_chars(&words, &w, 2), 3);
    }
}
