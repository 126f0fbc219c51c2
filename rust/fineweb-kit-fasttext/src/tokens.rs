//! Splitting a text into fastText's tokens, hashing each as it goes.
//!
//! fastText's `Dictionary::readWord` splits on space, `\t`, `\n`, `\v`, `\f`, `\r` and `\0`;
//! `predictLine` reads one line, so a `\n` ends it with the end-of-sentence token `</s>`, and
//! `getLine` also stops right after a token that *is* `</s>` (a literal `</s>` in the text ends
//! the input there: tested against the package). Each token's FNV-1a hash is computed in the
//! same pass over the bytes.
//!
//! [`Prep::Dclm`] reads a raw document as fastText reads DCLM's prepared line
//! `" ".join(text.strip().splitlines())` without building that string: Python's `strip()`
//! whitespace is dropped at both ends, and every line boundary `splitlines` knows (`\n`, `\r`,
//! `\v`, `\f`, `\x1c`, `\x1d`, `\x1e`, U+0085, U+2028, U+2029) separates tokens like a space.
//! The tokens, hence the scores, are those of the prepared line (tested against the package).

use super::vocab::{fnv1a, fnv_step};

const EOS: &[u8] = b"</s>";
const FNV_START: u32 = 2_166_136_261;
/// `Token::start` of the `</s>` that ends every line (it is not in the text).
const EOS_MARK: usize = usize::MAX;

/// How a text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prep {
    /// As `predictLine` reads `text + "\n"` (the `fasttext` package's `predict(text)`).
    Line,
    /// As [`Prep::Line`] reads DCLM's `" ".join(text.strip().splitlines())`.
    Dclm,
}

/// One token: its byte range in the text (or the appended `</s>`) and its FNV-1a hash.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    start: usize,
    end: usize,
    pub hash: u32,
}

impl Token {
    /// The token's bytes.
    #[inline(always)]
    pub fn bytes<'a>(&self, text: &'a [u8]) -> &'a [u8] {
        if self.start == EOS_MARK {
            EOS
        } else {
            &text[self.start..self.end]
        }
    }
}

/// Byte classes: 0 part of a token, 1 separator, 2 `\n` (ends a [`Prep::Line`] line),
/// 3 a separator under [`Prep::Dclm`] only.
const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    t[b' ' as usize] = 1;
    t[b'\t' as usize] = 1;
    t[0x0b] = 1;
    t[0x0c] = 1;
    t[b'\r' as usize] = 1;
    t[0] = 1;
    t[b'\n' as usize] = 2;
    t[0x1c] = 3;
    t[0x1d] = 3;
    t[0x1e] = 3;
    t
}
const CLASS: [u8; 256] = classes();

/// Python's `str.isspace()` (what `strip()` removes).
fn py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x20'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Length of a multi-byte line boundary of `splitlines` starting at `rest` (U+0085 is
/// `C2 85`, U+2028/U+2029 are `E2 80 A8`/`E2 80 A9`), else 0.
#[inline]
fn unicode_break(rest: &[u8]) -> usize {
    match rest {
        [0xC2, 0x85, ..] => 2,
        [0xE2, 0x80, 0xA8 | 0xA9, ..] => 3,
        _ => 0,
    }
}

/// Replaces `out` with the tokens of `text` read as `prep` says, `</s>` last.
pub fn split(text: &[u8], prep: Prep, out: &mut Vec<Token>) {
    out.clear();
    let (lo, hi) = match prep {
        Prep::Line => (0, text.len()),
        Prep::Dclm => strip_bounds(text),
    };
    let dclm = prep == Prep::Dclm;
    let mut i = lo;
    let mut start = lo;
    let mut h = FNV_START;
    while i < hi {
        let b = text[i];
        let width = match CLASS[b as usize] {
            0 if b < 0x80 || !dclm => 0,
            0 => unicode_break(&text[i..hi]),
            1 => 1,
            2 if dclm => 1,
            2 => {
                push(out, text, start, i, h);
                if !ends_input(out, text) {
                    out.push(eos());
                }
                return;
            }
            _ => dclm as usize,
        };
        if width == 0 {
            h = fnv_step(h, b);
            i += 1;
            continue;
        }
        if push(out, text, start, i, h) && ends_input(out, text) {
            return;
        }
        i += width;
        start = i;
        h = FNV_START;
    }
    if !(push(out, text, start, hi, h) && ends_input(out, text)) {
        out.push(eos());
    }
}

/// Pushes `text[start..end]` if not empty; says whether it did.
#[inline(always)]
fn push(out: &mut Vec<Token>, text: &[u8], start: usize, end: usize, hash: u32) -> bool {
    if end > start {
        debug_assert_eq!(hash, fnv1a(&text[start..end]));
        out.push(Token { start, end, hash });
    }
    end > start
}

/// True if the last token is a literal `</s>` (fastText's `getLine` stops after it).
#[inline(always)]
fn ends_input(out: &[Token], text: &[u8]) -> bool {
    out.last().is_some_and(|t| t.bytes(text) == EOS)
}

fn eos() -> Token {
    Token {
        start: EOS_MARK,
        end: EOS_MARK,
        hash: fnv1a(EOS),
    }
}

/// The byte range of Python's `text.strip()` (see [`py_space`]), matched on UTF-8 bytes.
fn strip_bounds(text: &[u8]) -> (usize, usize) {
    let (mut lo, mut hi) = (0, text.len());
    while lo < hi {
        match leading_space(&text[lo..hi]) {
            0 => break,
            n => lo += n,
        }
    }
    while lo < hi {
        match trailing_space(&text[lo..hi]) {
            0 => break,
            n => hi -= n,
        }
    }
    (lo, hi)
}

/// Byte length of the Python whitespace character `s` starts with, else 0.
fn leading_space(s: &[u8]) -> usize {
    match s {
        [b, ..] if b.is_ascii() => py_space(*b as char) as usize,
        [0xC2, 0x85 | 0xA0, ..] => 2,
        [0xE1, 0x9A, 0x80, ..]
        | [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..]
        | [0xE2, 0x81, 0x9F, ..]
        | [0xE3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// Byte length of the Python whitespace character `s` ends with, else 0.
fn trailing_space(s: &[u8]) -> usize {
    match s {
        [.., b] if b.is_ascii() => py_space(*b as char) as usize,
        [.., 0xC2, 0x85 | 0xA0] => 2,
        [.., 0xE1, 0x9A, 0x80]
        | [.., 0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF]
        | [.., 0xE2, 0x81, 0x9F]
        | [.., 0xE3, 0x80, 0x80] => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(text: &str, prep: Prep) -> Vec<String> {
        let mut out = Vec::new();
        split(text.as_bytes(), prep, &mut out);
        out.iter()
            .map(|t| {
                assert_eq!(t.hash, fnv1a(t.bytes(text.as_bytes())));
                String::from_utf8_lossy(t.bytes(text.as_bytes())).into_owned()
            })
            .collect()
    }

    /// DCLM's preparation, written the obvious way: `" ".join(text.strip().splitlines())`.
    fn dclm_line(text: &str) -> String {
        let stripped = text.trim_matches(py_space);
        let mut parts = Vec::new();
        let mut rest = stripped;
        while let Some(i) = rest.find([
            '\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\u{85}', '\u{2028}', '\u{2029}',
        ]) {
            parts.push(&rest[..i]);
            let c = rest[i..].chars().next().expect("found a char at i");
            let mut next = i + c.len_utf8();
            if c == '\r' && rest[next..].starts_with('\n') {
                next += 1;
            }
            rest = &rest[next..];
        }
        if !rest.is_empty() {
            parts.push(rest);
        }
        parts.join(" ")
    }

    #[test]
    fn lines_end_at_newline_and_literal_eos() {
        assert_eq!(words("a\tb\x1cc", Prep::Line), ["a", "b\x1cc", "</s>"]);
        assert_eq!(words("a b\nc", Prep::Line), ["a", "b", "</s>"]);
        assert_eq!(words("a </s> c", Prep::Line), ["a", "</s>"]);
        assert_eq!(words("a </s>", Prep::Line), ["a", "</s>"]);
        assert_eq!(words("", Prep::Line), ["</s>"]);
        assert_eq!(
            words("a\n b\u{2028}c ", Prep::Dclm),
            ["a", "b", "c", "</s>"]
        );
        assert_eq!(
            words("\u{a0}\x1fa\u{a0}b\u{3000}", Prep::Dclm),
            ["a\u{a0}b", "</s>"]
        );
    }

    #[test]
    fn strip_matches_python() {
        // str.isspace() over all of Unicode, as printed by Python 3.11
        let spaces: Vec<char> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| py_space(c))
            .collect();
        assert_eq!(spaces.len(), 29);
        for c in spaces {
            let s = format!("{c}x{c}");
            assert_eq!(
                strip_bounds(s.as_bytes()),
                (c.len_utf8(), c.len_utf8() + 1),
                "{c:?}"
            );
        }
    }

    proptest! {
        /// Reading a raw document as DCLM's prepared line gives the prepared line's tokens.
        #[test]
        fn dclm_reading_equals_prepared_line(
            text in "[ab\t\n\r\x0b\x0c\x1c-\x20\u{85}\u{a0}\u{2028}\u{2029}\u{3000}</s>é]{0,40}"
        ) {
            prop_assert_eq!(words(&text, Prep::Dclm), words(&dclm_line(&text), Prep::Line));
        }
    }
}
