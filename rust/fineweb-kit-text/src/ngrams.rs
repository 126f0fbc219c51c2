//! Word n-gram hashes for decontamination (`fineweb_kit/chat/decontaminate.py`).
//!
//! A word is a maximal run of alphanumeric characters (Unicode `char::is_alphanumeric`),
//! lower-cased; everything else separates words. Numbers are kept as written (unlike
//! `simplify_text`, which squashes them to 0: a benchmark item with other numbers is another
//! item). Each word is hashed with xxh3-64 of its UTF-8 bytes and each window of `n` words
//! with a polynomial rolling hash over the word hashes (wrapping arithmetic mod 2^64), so a
//! window's hash depends only on its words, wherever it occurs.

use xxhash_rust::xxh3::xxh3_64;

/// Multiplier of the rolling hash (odd).
const P: u64 = 0x9E37_79B9_7F4A_7C15;

/// Hashes of the lower-cased alphanumeric words of `text`, appended to `out`.
pub fn word_hashes(text: &str, out: &mut Vec<u64>) {
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(xxh3_64(word.as_bytes()));
            word.clear();
        }
    }
    if !word.is_empty() {
        out.push(xxh3_64(word.as_bytes()));
    }
}

/// Hashes of every window of `n` consecutive words of `text`, appended to `out` (none when
/// the text has fewer than `n` words). `n` must be >= 1.
pub fn ngram_hashes(text: &str, n: usize, words: &mut Vec<u64>, out: &mut Vec<u64>) {
    words.clear();
    word_hashes(text, words);
    if n == 0 || words.len() < n {
        return;
    }
    for w in words.windows(n) {
        out.push(
            w.iter()
                .fold(0u64, |acc, &h| acc.wrapping_mul(P).wrapping_add(h)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grams(text: &str, n: usize) -> Vec<u64> {
        let (mut w, mut out) = (Vec::new(), Vec::new());
        ngram_hashes(text, n, &mut w, &mut out);
        out
    }

    #[test]
    fn words_ignore_case_and_punctuation_but_keep_numbers() {
        assert_eq!(grams("Hello, World! 48/2", 4), grams("hello world 48 2", 4));
        assert_ne!(grams("a b 48", 3), grams("a b 49", 3));
        assert_eq!(grams("Ünïcode ÉTÉ", 2), grams("ünïcode été", 2));
    }

    #[test]
    fn windows_are_position_independent() {
        let a = grams("x y one two three", 3);
        let b = grams("one two three", 3);
        assert_eq!(a.len(), 3);
        assert_eq!(a[2], b[0]);
        assert!(grams("one two", 3).is_empty());
    }
}
