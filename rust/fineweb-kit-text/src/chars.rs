//! Character classes, with Python's and spaCy's exact semantics.
//!
//! Parity with datatrove depends on small details: Python's `str.isspace` counts `\x1c`..`\x1f`
//! as whitespace (Rust's `char::is_whitespace` does not), `str.isalpha` is "category L*" (Rust's
//! `is_alphabetic` also takes marks and letter-numbers), spaCy's `ALPHA` covers only some scripts.
//! So each class is a table generated from its reference definition (`tables.rs`), with an
//! ASCII fast path in front of a binary search.

use super::tables;

/// True if `c` lies in one of the sorted inclusive `ranges`.
#[inline]
pub fn in_table(c: char, ranges: &[(u32, u32)]) -> bool {
    let cp = c as u32;
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Python `str.isspace`.
#[inline]
pub fn py_isspace(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, ' ' | '\t'..='\r' | '\x1c'..='\x1f')
    } else {
        in_table(c, tables::PY_SPACE)
    }
}

/// Python `str.isalpha` (general category L*).
#[inline]
pub fn py_isalpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_table(c, tables::PY_ALPHA)
    }
}

/// A line boundary of Python's `str.splitlines` (`\n`, `\r`, `\v`, `\f`, `\x1c`-`\x1e`,
/// `\x85`, U+2028, U+2029).
#[inline]
pub fn py_linebreak(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'..='\x1e')
    } else {
        in_table(c, tables::PY_LINEBREAK)
    }
}

/// Unicode decimal digit (category Nd): Python `regex`'s `\p{Nd}`.
#[inline]
pub fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_table(c, tables::PY_DECIMAL)
    }
}

/// Non-spacing mark (category Mn): what datatrove strips after NFD.
#[inline]
pub fn is_nonspacing_mark(c: char) -> bool {
    !c.is_ascii() && in_table(c, tables::UNICODE_MN)
}

/// General category P* (spaCy's `is_punct` requires every character of a token in P*).
#[inline]
pub fn is_unicode_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation()
            && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~');
    }
    in_table(c, tables::UNICODE_PUNCT)
}

/// datatrove's `PUNCTUATION_SET`: a word made only of these is a "symbol word".
#[inline]
pub fn is_dt_punct(c: char) -> bool {
    if c.is_ascii_alphanumeric() || c == ' ' {
        return false;
    }
    in_table(c, tables::DT_PUNCT)
}

/// datatrove's `TERMINAL_PUNCTUATION` (FineWeb's default line stop characters).
#[inline]
pub fn is_terminal_punct(c: char) -> bool {
    in_table(c, tables::TERMINAL_PUNCT)
}

/// spaCy's sentencizer split characters.
#[inline]
pub fn is_sentencizer_punct(c: char) -> bool {
    in_table(c, tables::SENTENCIZER_PUNCT)
}

/// spaCy `ALPHA`.
#[inline]
pub fn sp_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_table(c, tables::SPACY_ALPHA)
    }
}

/// spaCy `ALPHA_LOWER` (lower-case letters and uncased scripts).
#[inline]
pub fn sp_lower(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_lowercase()
    } else {
        in_table(c, tables::SPACY_ALPHA_LOWER)
    }
}

/// spaCy `ALPHA_UPPER` (upper-case letters and uncased scripts).
#[inline]
pub fn sp_upper(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase()
    } else {
        in_table(c, tables::SPACY_ALPHA_UPPER)
    }
}

/// spaCy `ICONS` (symbols and emoji; each is its own token).
#[inline]
pub fn sp_icon(c: char) -> bool {
    !c.is_ascii() && in_table(c, tables::SPACY_ICONS)
}

/// spaCy `PUNCT` as single characters (`…` `,` `:` `;` `!` `?` brackets, CJK forms, ...).
#[inline]
pub fn sp_punct(c: char) -> bool {
    matches!(
        c,
        '…' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
    )
}

/// spaCy `QUOTES` as single characters.
#[inline]
pub fn sp_quote(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '”'
            | '“'
            | '`'
            | '‘'
            | '´'
            | '’'
            | '‚'
            | ','
            | '„'
            | '»'
            | '«'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '〔'
            | '〕'
            | '【'
            | '】'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '\u{2329}'
            | '\u{232A}'
            | '⟦'
            | '⟧'
    )
}

/// Single-character spaCy currency symbols.
#[inline]
pub fn sp_currency(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥' | '฿' | '₽' | '﷼' | '₠'..='₿')
}

/// ASCII digit (`[0-9]` in a Python `re` pattern).
#[inline]
pub fn digit(c: char) -> bool {
    c.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_differs_from_rust() {
        assert!(py_isspace('\x1c'));
        assert!(!'\x1c'.is_whitespace());
        assert!(py_isspace('\u{a0}'));
        assert!(!py_isspace('\u{200b}'));
    }

    #[test]
    fn ascii_fast_paths_agree_with_tables() {
        for b in 0u8..128 {
            let c = char::from(b);
            assert_eq!(
                is_unicode_punct(c),
                in_table(c, tables::UNICODE_PUNCT),
                "{c:?}"
            );
            assert_eq!(is_dt_punct(c), in_table(c, tables::DT_PUNCT), "{c:?}");
        }
    }

    #[test]
    fn classes() {
        assert!(py_isalpha('é') && !py_isalpha('\u{300}') && !py_isalpha('1'));
        assert!(sp_lower('é') && !sp_lower('É') && sp_upper('É'));
        assert!(sp_upper('中') && sp_lower('中'));
        assert!(is_dt_punct('!') && is_dt_punct('\u{7f}') && !is_dt_punct('a'));
        assert!(is_terminal_punct('。') && !is_terminal_punct(','));
        assert!(is_unicode_punct('-') && !is_unicode_punct('$'));
        assert!(sp_icon('©') && sp_icon('😀'));
        assert!(py_linebreak('\u{2028}') && !py_linebreak(' '));
    }
}
