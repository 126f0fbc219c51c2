//! Word tokenisation: a re-implementation of spaCy's rule-based tokeniser with the rules of
//! `spacy.blank("en")`, which is what datatrove's Gopher/FineWeb filters count as "words".
//!
//! The algorithm (spaCy `Tokenizer.__call__`):
//! 1. Split on Python whitespace. A run of whitespace becomes a whitespace token, except a
//!    single leading `' '` after a word, which spaCy stores as that word's trailing space.
//! 2. Each non-space span: if it is a special case (`specials`), emit its pieces. Else peel
//!    prefixes (`(`, quotes, currency, ...) and suffixes (`)`, `.`, `'s`, units after digits,
//!    ...) one at a time from both ends, stopping early at a special case.
//! 3. The remaining core is a special case, a URL (one token), or is split at infixes
//!    (`...`, hyphens between letters, `/` or `:` before a letter, `,` between letters, ...).
//!
//! Speed: no regex on the hot path (prefix/suffix/infix rules are hand-written matches over
//! characters; the character classes are generated tables with an ASCII fast path); the URL
//! regex runs only on cores that contain a `.`. Tokens are byte spans into the input: nothing
//! is allocated per word.
//!
//! Known differences from spaCy (measured in `tests/filters/test_tokenizer_parity.py`): the URL
//! pattern omits spaCy's private-IP exclusions, and spaCy's second pass that re-merges special
//! cases across affix splits (e.g. `"(:)"`) is not done.

use super::chars::{
    digit, py_isspace, sp_alpha, sp_currency, sp_icon, sp_lower, sp_punct, sp_quote, sp_upper,
};
use super::specials;
use super::tables;
use regex::Regex;
use std::sync::OnceLock;

/// One token: a byte span of the text, and whether it is a whitespace token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub space: bool,
}

/// All tokens of `text` (whitespace tokens included, as spaCy has them), appended to `out`.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    let mut pos = 0;
    let mut after_word = false;
    while pos < text.len() {
        let first = text[pos..].chars().next().unwrap_or(' ');
        let space = py_isspace(first);
        let end = text[pos..]
            .char_indices()
            .find(|&(_, c)| py_isspace(c) != space)
            .map_or(text.len(), |(i, _)| pos + i);
        if space {
            // spaCy keeps the first ' ' after a word as that word's trailing space.
            let start = if after_word && first == ' ' {
                pos + 1
            } else {
                pos
            };
            if start < end {
                out.push(Token {
                    start,
                    end,
                    space: true,
                });
            }
        } else {
            split_span(text, pos, end, out);
            after_word = true;
        }
        pos = end;
    }
    merge_specials(text, out);
}

use specials::MAX_BYTES as MAX_SPECIAL_BYTES;

/// spaCy's second pass: adjacent tokens (no space between) whose text together is a special
/// case are re-split as that special case says (`"a" "."` -> `"a."`, `")" ":"` -> `"):"`).
/// Longest match first, left to right.
fn merge_specials(text: &str, toks: &mut Vec<Token>) {
    let mut i = 0;
    while i + 1 < toks.len() {
        if toks[i].space || toks[i].end != toks[i + 1].start || toks[i + 1].space {
            i += 1;
            continue;
        }
        let mut last = i + 1;
        while last + 1 < toks.len()
            && !toks[last + 1].space
            && toks[last].end == toks[last + 1].start
            && toks[last + 1].end - toks[i].start <= MAX_SPECIAL_BYTES
        {
            last += 1;
        }
        let mut merged = false;
        for j in (i + 1..=last).rev() {
            let (a, b) = (toks[i].start, toks[j].end);
            if b - a > MAX_SPECIAL_BYTES {
                continue;
            }
            if let Some(pieces) = specials::lookup(&text[a..b]) {
                let mut repl = Vec::with_capacity(pieces.len());
                push_pieces(&mut repl, a, pieces);
                let n = repl.len();
                toks.splice(i..=j, repl);
                i += n;
                merged = true;
                break;
            }
        }
        if !merged {
            i += 1;
        }
    }
}

/// The words of `text`: its non-whitespace tokens (datatrove's `split_into_words`).
pub fn words(text: &str) -> Vec<&str> {
    let mut toks = Vec::new();
    tokenize(text, &mut toks);
    toks.iter()
        .filter(|t| !t.space)
        .map(|t| &text[t.start..t.end])
        .collect()
}

fn push(out: &mut Vec<Token>, start: usize, end: usize) {
    out.push(Token {
        start,
        end,
        space: false,
    });
}

fn push_pieces(out: &mut Vec<Token>, mut start: usize, pieces: &[usize]) {
    for &len in pieces {
        push(out, start, start + len);
        start += len;
    }
}

/// Tokenises the non-space span `text[start..end]`.
fn split_span(text: &str, start: usize, end: usize, out: &mut Vec<Token>) {
    if let Some(p) = specials::lookup(&text[start..end]) {
        push_pieces(out, start, p);
        return;
    }
    // Fast path: ASCII letters only cannot have a prefix, suffix (units need a digit before),
    // infix or URL, so the span is one word.
    if text.as_bytes()[start..end]
        .iter()
        .all(u8::is_ascii_alphabetic)
    {
        push(out, start, end);
        return;
    }
    let (mut lo, mut hi) = (start, end);
    let mut prefixes: Vec<(usize, usize)> = Vec::new();
    let mut suffixes: Vec<(usize, usize)> = Vec::new();
    let mut last_len = usize::MAX;
    while lo < hi && hi - lo != last_len {
        let cur = &text[lo..hi];
        if specials::lookup(cur).is_some() {
            break;
        }
        last_len = hi - lo;
        let pre = find_prefix(cur);
        if pre != 0 {
            let rest = &cur[pre..];
            if !rest.is_empty() && specials::lookup(rest).is_some() {
                prefixes.push((lo, lo + pre));
                lo += pre;
                break;
            }
        }
        let suf = find_suffix(&cur[pre..]);
        if suf != 0 {
            let rest = &cur[..cur.len() - suf];
            if !rest.is_empty() && specials::lookup(rest).is_some() {
                suffixes.push((hi - suf, hi));
                hi -= suf;
                break;
            }
        }
        if pre != 0 {
            prefixes.push((lo, lo + pre));
            lo += pre;
        }
        if suf != 0 {
            suffixes.push((hi - suf, hi));
            hi -= suf;
        }
        if lo < hi && specials::lookup(&text[lo..hi]).is_some() {
            break;
        }
    }
    for &(a, b) in &prefixes {
        push(out, a, b);
    }
    if lo < hi {
        attach_core(text, lo, hi, out);
    }
    for &(a, b) in suffixes.iter().rev() {
        push(out, a, b);
    }
}

/// The core left after affixes: a special case, a URL, or split at infixes.
fn attach_core(text: &str, lo: usize, hi: usize, out: &mut Vec<Token>) {
    let core = &text[lo..hi];
    if let Some(p) = specials::lookup(core) {
        push_pieces(out, lo, p);
        return;
    }
    // Fast path: infixes and URLs need punctuation or symbols; plain ASCII letters and digits
    // are one token.
    if core.bytes().all(|b| b.is_ascii_alphanumeric()) {
        push(out, lo, hi);
        return;
    }
    if core.contains('.') && url_regex().is_match(core) {
        push(out, lo, hi);
        return;
    }
    let chars: Vec<(usize, char)> = core.char_indices().collect();
    let mut start = 0usize; // byte offset in core
    let mut i = 0usize;
    while i < chars.len() {
        let Some(n) = infix_at(&chars, i) else {
            i += 1;
            continue;
        };
        let (a, b) = (chars[i].0, byte_at(&chars, i + n, core.len()));
        i += n;
        if a == 0 {
            continue; // spaCy ignores an infix at the very start of the core
        }
        if a != start {
            push(out, lo + start, lo + a);
        }
        push(out, lo + a, lo + b);
        start = b;
    }
    if start < core.len() {
        push(out, lo + start, hi);
    }
}

fn byte_at(chars: &[(usize, char)], i: usize, len: usize) -> usize {
    chars.get(i).map_or(len, |&(b, _)| b)
}

/// Length in bytes of the prefix spaCy splits off the front of `s` (0: none).
fn find_prefix(s: &str) -> usize {
    let mut it = s.chars();
    let Some(c) = it.next() else { return 0 };
    match c {
        '§' | '%' | '=' | '—' | '–' => c.len_utf8(),
        '+' => usize::from(!it.next().is_some_and(digit)),
        '.' => {
            let dots = s.bytes().take_while(|&b| b == b'.').count();
            if dots >= 2 {
                dots
            } else {
                0
            }
        }
        'U' if s.starts_with("US$") => 3,
        'C' | 'A' if s[1..].starts_with('$') => 2,
        _ if sp_punct(c) || sp_quote(c) || sp_currency(c) || sp_icon(c) => c.len_utf8(),
        _ => 0,
    }
}

const UNITS: &str = "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft \
kg g mg µg t lb oz m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м \
м² м³ дм дм² дм³ см см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ \
гб Тб ТБ тбكم كم² كم³ م م² م³ سم سم² سم³ مم مم² مم³ كم غرام جرام جم كغ ملغ كوب اكواب";

fn is_unit(t: &str) -> bool {
    static SET: OnceLock<rustc_hash::FxHashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| UNITS.split(' ').collect()).contains(t)
}

/// Characters after which spaCy splits off a final `.` (its `[0-9{al}%²\-\+{punct}{quotes}]`).
fn dot_split_after(c: char) -> bool {
    digit(c)
        || sp_lower(c)
        || matches!(c, '%' | '²' | '-' | '+' | '|' | '(' | '?' | ':' | ')')
        || sp_punct(c)
        || sp_quote(c)
}

/// Length in bytes of the suffix spaCy splits off the end of `s` (0: none). spaCy searches
/// its alternation of `piece$` patterns, so the leftmost (longest) matching tail wins.
fn find_suffix(s: &str) -> usize {
    if s.is_empty() {
        return 0;
    }
    let mut tail = [(0usize, ' '); 6];
    let mut n_tail = 0;
    for ci in s.char_indices().rev().take(6) {
        tail[n_tail] = ci;
        n_tail += 1;
    }
    let tail = &tail[..n_tail];
    let dots = s.bytes().rev().take_while(|&b| b == b'.').count();
    let mut best = if dots >= 2 { dots } else { 0 };
    for k in (1..=4usize).rev() {
        if k > tail.len() {
            continue;
        }
        let start = tail[k - 1].0;
        if s.len() - start <= best {
            break;
        }
        let prev = tail.get(k).map(|&(_, c)| c);
        let prev2 = tail.get(k + 1).map(|&(_, c)| c);
        if suffix_matches(&s[start..], prev, prev2) {
            best = s.len() - start;
            break;
        }
    }
    best
}

fn suffix_matches(t: &str, prev: Option<char>, prev2: Option<char>) -> bool {
    let after_digit = prev.is_some_and(digit);
    let mut it = t.chars();
    let (Some(c), None) = (it.next(), it.next()) else {
        return matches!(t, "'s" | "'S" | "’s" | "’S" | "……")
            || (after_digit && (matches!(t, "US$" | "C$" | "A$") || is_unit(t)));
    };
    if sp_punct(c) || sp_quote(c) || sp_icon(c) || matches!(c, '…' | '—' | '–') {
        return true;
    }
    if after_digit && (c == '+' || sp_currency(c) || is_unit(t)) {
        return true;
    }
    if c != '.' {
        return false;
    }
    let Some(p) = prev else { return false };
    (matches!(p, 'F' | 'f' | 'C' | 'c' | 'K' | 'k') && prev2 == Some('°'))
        || dot_split_after(p)
        || (sp_upper(p) && prev2.is_some_and(sp_upper))
}

/// If an infix starts at char `i` of the core, its length in chars (Python `re.finditer`
/// semantics: alternatives tried in spaCy's order, look-behind sees the previous char).
fn infix_at(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let c = chars[i].1;
    let prev = i.checked_sub(1).map(|j| chars[j].1);
    let at = |j: usize| chars.get(j).map(|&(_, c)| c);
    let next = at(i + 1);
    if c == '.' && next == Some('.') {
        return Some(chars[i..].iter().take_while(|&&(_, c)| c == '.').count());
    }
    if c == '…' || sp_icon(c) {
        return Some(1);
    }
    let prev_digit = prev.is_some_and(digit);
    if matches!(c, '+' | '-' | '*' | '^')
        && prev_digit
        && next.is_some_and(|n| digit(n) || n == '-')
    {
        return Some(1);
    }
    let quote_or = |f: fn(char) -> bool| move |x: char| f(x) || sp_quote(x);
    if c == '.' && prev.is_some_and(quote_or(sp_lower)) && next.is_some_and(quote_or(sp_upper)) {
        return Some(1);
    }
    let prev_alpha = prev.is_some_and(sp_alpha);
    if c == ',' && prev_alpha && next.is_some_and(sp_alpha) {
        return Some(1);
    }
    if !(prev_alpha || prev_digit) {
        return None;
    }
    let alpha_at = |j: usize| at(j).is_some_and(sp_alpha);
    let hyphen = match c {
        '-' if alpha_at(i + 1) => Some(1),
        '-' if next == Some('-') && alpha_at(i + 2) => Some(2),
        '-' if next == Some('-') && at(i + 2) == Some('-') && alpha_at(i + 3) => Some(3),
        '–' | '~' if alpha_at(i + 1) => Some(1),
        '—' if alpha_at(i + 1) => Some(1),
        '—' if next == Some('—') && alpha_at(i + 2) => Some(2),
        _ => None,
    };
    if hyphen.is_some() {
        return hyphen;
    }
    if matches!(c, ':' | '<' | '>' | '=' | '/') && alpha_at(i + 1) {
        return Some(1);
    }
    None
}

/// spaCy's `URL_MATCH` (the host/IP/port/path grammar, without its private-IP exclusions).
fn url_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let lower: String = tables::SPACY_ALPHA_LOWER
            .iter()
            .map(|&(a, b)| format!("\\x{{{a:x}}}-\\x{{{b:x}}}"))
            .collect();
        let host = r"[A-Za-z0-9\x{a1}-\x{ffff}]";
        let pattern = format!(
            r"^(?:[\w+\-.]{{2,}}://)?(?:\S+(?::\S*)?@)?(?:(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{{1,2}}|2[0-4]\d|25[0-5])){{2}}(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))|(?:(?:{host}[A-Za-z0-9\x{{a1}}-\x{{ffff}}_-]{{0,62}})?{host}\.)+(?:[{lower}]{{2,63}}))(?::\d{{2,5}})?(?:[/?#]\S*)?$"
        );
        // The pattern is a constant; building it cannot fail (covered by the unit tests).
        Regex::new(&pattern).expect("URL pattern is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<&str> {
        words(s)
    }

    #[test]
    fn contractions_punct_and_abbreviations() {
        assert_eq!(
            toks("Don't do it. I'm here, they'll go"),
            ["Do", "n't", "do", "it", ".", "I", "'m", "here", ",", "they", "'ll", "go"]
        );
        assert_eq!(
            toks("Mr. Smith at 3pm e.g. etc. U.S.A. USA."),
            ["Mr.", "Smith", "at", "3", "pm", "e.g.", "etc", ".", "U.S.A.", "USA", "."]
        );
    }

    #[test]
    fn urls_hyphens_units() {
        assert_eq!(
            toks("http://example.com/foo. hello.world end.Next"),
            [
                "http://example.com/foo",
                ".",
                "hello.world",
                "end",
                ".",
                "Next"
            ]
        );
        assert_eq!(
            toks("(hello) dash-word 5-3 a/b 10km $5 US$10 50% @user"),
            [
                "(", "hello", ")", "dash", "-", "word", "5", "-", "3", "a", "/", "b", "10", "km",
                "$", "5", "US$", "10", "50", "%", "@user"
            ]
        );
        assert_eq!(
            toks("Hello!!! ok...yes ---- *** 12:30 1,000 x,y"),
            [
                "Hello", "!", "!", "!", "ok", "...", "yes", "----", "*", "*", "*", "12:30",
                "1,000", "x", ",", "y"
            ]
        );
    }

    #[test]
    fn special_cases_across_affixes() {
        assert_eq!(toks("x): a.C. ''For"), ["x", "):", "a.", "C.", "''", "For"]);
    }

    #[test]
    fn whitespace_tokens() {
        let mut t = Vec::new();
        tokenize("a  b\n", &mut t);
        let kinds: Vec<bool> = t.iter().map(|t| t.space).collect();
        assert_eq!(kinds, [false, true, false, true]);
        assert_eq!((t[1].start, t[1].end), (2, 3));
    }

    proptest::proptest! {
        #[test]
        fn tokens_are_ordered_disjoint_and_cover_non_space(s in "\\PC{0,60}") {
            let mut t = Vec::new();
            tokenize(&s, &mut t);
            let mut last = 0;
            for tok in &t {
                proptest::prop_assert!(tok.start >= last && tok.end > tok.start);
                last = tok.end;
            }
            let joined: String = t.iter().filter(|t| !t.space).map(|t| &s[t.start..t.end]).collect();
            let expect: String = s.chars().filter(|&c| !py_isspace(c)).collect();
            proptest::prop_assert_eq!(joined, expect);
        }
    }
}
