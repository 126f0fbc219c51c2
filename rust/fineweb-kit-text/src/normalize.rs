//! Text normalisation for near-duplicate detection: datatrove's `simplify_text` with its
//! default config (what FineWeb's MinHash hashes), and the normalised word list built on it.
//!
//! Steps, in datatrove's order: lowercase; every number (`\p{Nd}+` with an optional decimal
//! part after one of `.,،٫⎖⎗⎘`) becomes `0`; datatrove's `PUNCTUATION` characters become spaces;
//! whitespace runs collapse to one space (ends stripped); NFD, dropping non-spacing marks
//! (diacritics); strip.

use super::chars::{in_table, is_decimal, is_nonspacing_mark, py_isspace};
use super::tables;
use super::words;
use unicode_normalization::UnicodeNormalization;

fn is_decimal_sep(c: char) -> bool {
    matches!(c, '.' | ',' | '،' | '٫' | '⎖' | '⎗' | '⎘')
}

/// Replaces each number by `0` (datatrove's `NUMBERS_PATTERN.sub("0", text)`).
fn squash_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_decimal(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        while i < chars.len() && is_decimal(chars[i]) {
            i += 1;
        }
        if i + 1 < chars.len() && is_decimal_sep(chars[i]) && is_decimal(chars[i + 1]) {
            i += 1;
            while i < chars.len() && is_decimal(chars[i]) {
                i += 1;
            }
        }
        out.push('0');
    }
    out
}

/// datatrove's `simplify_text(text)` with the default `TextNormConfig`.
pub fn simplify_text(text: &str) -> String {
    let lowered = squash_numbers(&text.to_lowercase());
    let mut spaced = String::with_capacity(lowered.len());
    let mut pending_space = false;
    for c in lowered.chars() {
        let c = if in_table(c, tables::DT_PUNCT_BASIC) {
            ' '
        } else {
            c
        };
        if py_isspace(c) {
            pending_space = !spaced.is_empty();
        } else {
            if pending_space {
                spaced.push(' ');
                pending_space = false;
            }
            spaced.push(c);
        }
    }
    let out: String = spaced.nfd().filter(|&c| !is_nonspacing_mark(c)).collect();
    out.trim_matches(py_isspace).to_string()
}

/// The words MinHash shingles: `split_into_words(simplify_text(text))`.
pub fn normalized_words(text: &str) -> Vec<String> {
    let simple = simplify_text(text);
    words::words(&simple)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify() {
        assert_eq!(
            simplify_text("  Héllo,   WORLD! 3.14 and 42\n"),
            "hello world 0 and 0"
        );
        assert_eq!(simplify_text("a—b"), "a b");
        assert_eq!(normalized_words("Don't STOP!"), ["don", "t", "stop"]);
    }
}
