//! Sentence boundaries as spaCy's rule-based `sentencizer` finds them (datatrove's
//! `split_into_sentences` for English, used by the C4 filter to count sentences).
//!
//! Rule: a sentence starts at the first token after a sentence-final character (`.`, `!`, `?`,
//! and the other `Sentencizer.default_punct_chars`) that is neither punctuation (every char in
//! Unicode P*) nor itself sentence-final. Whitespace tokens count as non-punctuation.

use super::chars::{is_sentencizer_punct, is_unicode_punct};
use super::words::Token;

fn single_final_char(t: &str) -> bool {
    let mut it = t.chars();
    matches!((it.next(), it.next()), (Some(c), None) if is_sentencizer_punct(c))
}

/// Token indices where sentences start (empty if there are no tokens).
pub fn sentence_starts(text: &str, tokens: &[Token]) -> Vec<usize> {
    let mut starts = Vec::new();
    if tokens.is_empty() {
        return starts;
    }
    starts.push(0);
    let mut seen_final = false;
    for (i, tok) in tokens.iter().enumerate() {
        let t = &text[tok.start..tok.end];
        let is_final = single_final_char(t);
        if seen_final && !is_final && !t.chars().all(is_unicode_punct) {
            starts.push(i);
            seen_final = false;
        } else if is_final {
            seen_final = true;
        }
    }
    starts
}

/// Number of parts datatrove's `split_into_sentences(text)` returns (1 for a text without
/// tokens, as datatrove then returns `[text]`).
pub fn count_sentences(text: &str, tokens: &[Token]) -> usize {
    sentence_starts(text, tokens).len().max(1)
}

/// Byte ranges of datatrove's `split_into_sentences(text)`: each part runs from the end of the
/// previous sentence's last token to the end of this one's; the last part runs to the end.
pub fn sentence_parts(text: &str, tokens: &[Token]) -> Vec<(usize, usize)> {
    let starts = sentence_starts(text, tokens);
    if starts.is_empty() {
        return vec![(0, text.len())];
    }
    let mut parts = Vec::with_capacity(starts.len());
    let mut prev = 0;
    for (k, _) in starts.iter().enumerate() {
        let end = if k + 1 == starts.len() {
            text.len()
        } else {
            tokens[starts[k + 1] - 1].end
        };
        parts.push((prev, end));
        prev = end;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::tokenize;

    fn count(s: &str) -> usize {
        let mut t = Vec::new();
        tokenize(s, &mut t);
        count_sentences(s, &t)
    }

    #[test]
    fn counts() {
        assert_eq!(count("Hello there. How are you? Fine!"), 3);
        assert_eq!(count("Wait... what?! No."), 2); // "..." is not a final char
        assert_eq!(count("Mr. Smith is here."), 1);
        assert_eq!(count(""), 1);
        assert_eq!(count("no final punctuation"), 1);
    }

    #[test]
    fn parts_cover_text() {
        let s = "One. Two!  Three";
        let mut t = Vec::new();
        tokenize(s, &mut t);
        let parts: Vec<&str> = sentence_parts(s, &t)
            .iter()
            .map(|&(a, b)| &s[a..b])
            .collect();
        assert_eq!(parts, ["One.", " Two!", "  Three"]);
    }
}
