//! C4's line rules (Raffel et al. 2020, section 2.2), as datatrove's `C4QualityFilter` applies
//! them: each line is kept or removed, some lines drop the whole document, and the kept lines
//! become the new text.
//!
//! This is separate from `analysis` because it rewrites the text (so the analysis of what
//! follows must be redone) and because its line rules depend on the filter's options.

use super::analysis::{py_splitlines, py_strip};
use super::chars::py_isspace;
use super::repetition::char_len;
use super::sentences::{count_sentences, sentence_parts};
use super::words::{tokenize, Token};
use rayon::prelude::*;
use regex::Regex;
use std::sync::OnceLock;

/// Options of the C4 filter; `Default` is datatrove's (= FineWeb's) configuration.
#[derive(Clone, Debug)]
pub struct C4Config {
    /// Lines are `str.splitlines()` (C4); `false`: the text's sentences instead.
    pub split_paragraph: bool,
    /// Remove Wikipedia citations (`[1]`, `[edit]`, `[citation needed]`).
    pub remove_citations: bool,
    /// Remove lines not ending in `.` `?` `!` `"` `'` (or ending in `...`).
    pub filter_no_terminal_punct: bool,
    /// Drop documents with fewer sentences than this in kept lines (-1: off).
    pub min_num_sentences: i64,
    /// Remove lines with fewer whitespace-separated words (-1: off).
    pub min_words_per_line: i64,
    /// Remove lines with a word longer than this (-1: off).
    pub max_word_length: i64,
    /// Drop documents containing "lorem ipsum".
    pub filter_lorem_ipsum: bool,
    /// Remove lines containing "javascript".
    pub filter_javascript: bool,
    /// Drop documents containing `{` (in a line that survived the line rules before it).
    pub filter_curly_bracket: bool,
    /// Remove lines with cookie / terms-of-use phrases.
    pub filter_policy: bool,
}

impl Default for C4Config {
    fn default() -> Self {
        C4Config {
            split_paragraph: true,
            remove_citations: true,
            filter_no_terminal_punct: true,
            min_num_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
        }
    }
}

/// Why a document was dropped (`None` in [`C4Result::verdict`]: kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum C4Drop {
    LoremIpsum,
    CurlyBracket,
    TooFewSentences,
}

impl C4Drop {
    /// datatrove's reason string.
    pub fn reason(self) -> &'static str {
        match self {
            C4Drop::LoremIpsum => "lorem_ipsum",
            C4Drop::CurlyBracket => "curly_bracket",
            C4Drop::TooFewSentences => "too_few_sentences",
        }
    }
}

/// Per-line counters (datatrove's `line-*` stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct C4LineStats {
    pub total: usize,
    pub too_long_word: usize,
    pub no_terminal_punct: usize,
    pub too_few_words: usize,
    pub javascript: usize,
    pub policy: usize,
    pub kept: usize,
}

/// The outcome for one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct C4Result {
    pub verdict: Option<C4Drop>,
    pub num_sentences: usize,
    /// The kept lines joined by `\n` (or a space without `split_paragraph`), stripped.
    /// Only meaningful when kept.
    pub text: String,
    pub lines: C4LineStats,
}

const POLICY: [&str; 6] = [
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

fn citation_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Constant pattern; covered by the unit tests.
    RE.get_or_init(|| Regex::new(r"\[\d*\]|\[edit\]|\[citation needed\]").expect("valid regex"))
}

fn ends_terminal(line: &str) -> bool {
    [".", "?", "!", "\"", "'"].iter().any(|p| line.ends_with(p)) && !line.ends_with("...")
}

/// Applies the C4 rules to one document.
pub fn c4_filter(text: &str, cfg: &C4Config) -> C4Result {
    let mut tokens: Vec<Token> = Vec::new();
    let raw_lines: Vec<&str> = if cfg.split_paragraph {
        py_splitlines(text)
    } else {
        tokenize(text, &mut tokens);
        let parts = sentence_parts(text, &tokens);
        parts.into_iter().map(|(a, b)| &text[a..b]).collect()
    };
    let mut st = C4LineStats::default();
    let mut kept: Vec<String> = Vec::new();
    let mut num_sentences = 0usize;
    let drop = |verdict, n, st| C4Result {
        verdict: Some(verdict),
        num_sentences: n,
        text: String::new(),
        lines: st,
    };
    for raw in raw_lines {
        let line = py_strip(raw);
        let words: Vec<&str> = line.split(py_isspace).filter(|w| !w.is_empty()).collect();
        st.total += 1;
        if cfg.max_word_length != -1
            && words
                .iter()
                .any(|w| char_len(w) as i64 > cfg.max_word_length)
        {
            st.too_long_word += 1;
            continue;
        }
        let line = if cfg.remove_citations && line.contains('[') {
            citation_regex().replace_all(line, "").into_owned()
        } else {
            line.to_string()
        };
        if cfg.filter_no_terminal_punct && !ends_terminal(&line) {
            st.no_terminal_punct += 1;
            continue;
        }
        if (words.len() as i64) < cfg.min_words_per_line {
            st.too_few_words += 1;
            continue;
        }
        let lower = line.to_lowercase();
        if cfg.filter_lorem_ipsum && lower.contains("lorem ipsum") {
            return drop(C4Drop::LoremIpsum, num_sentences, st);
        }
        if cfg.filter_javascript && lower.contains("javascript") {
            st.javascript += 1;
            continue;
        }
        if cfg.filter_curly_bracket && line.contains('{') {
            return drop(C4Drop::CurlyBracket, num_sentences, st);
        }
        if cfg.filter_policy && POLICY.iter().any(|p| lower.contains(p)) {
            st.policy += 1;
            continue;
        }
        if cfg.min_num_sentences != -1 {
            num_sentences += if cfg.split_paragraph {
                tokens.clear();
                tokenize(&line, &mut tokens);
                count_sentences(&line, &tokens)
            } else {
                1
            };
        }
        kept.push(line);
        st.kept += 1;
    }
    if (num_sentences as i64) < cfg.min_num_sentences {
        return drop(C4Drop::TooFewSentences, num_sentences, st);
    }
    let joined = kept.join(if cfg.split_paragraph { "\n" } else { " " });
    C4Result {
        verdict: None,
        num_sentences,
        text: py_strip(&joined).to_string(),
        lines: st,
    }
}

/// Applies the C4 rules to a batch in parallel.
pub fn c4_batch<S: AsRef<str> + Sync>(texts: &[S], cfg: &C4Config) -> Vec<C4Result> {
    texts
        .par_iter()
        .map(|t| c4_filter(t.as_ref(), cfg))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_good_lines_and_counts_sentences() {
        let text =
            "Menu\nThis is a sentence. And another one here.\nWe use cookies on this site.\n\
                    Three more words. Yes it is. Really it is.\nshort.";
        let r = c4_filter(text, &C4Config::default());
        assert_eq!(r.verdict, None);
        assert_eq!(r.num_sentences, 5);
        assert_eq!(
            r.text,
            "This is a sentence. And another one here.\nThree more words. Yes it is. Really it is."
        );
        assert_eq!(r.lines.policy, 1);
        assert_eq!(r.lines.no_terminal_punct, 1);
        assert_eq!(r.lines.too_few_words, 1);
    }

    #[test]
    fn document_drops() {
        let cfg = C4Config::default();
        let r = c4_filter("Lorem ipsum dolor sit amet.", &cfg);
        assert_eq!(r.verdict, Some(C4Drop::LoremIpsum));
        let r = c4_filter("function f() { return 1; } is code.", &cfg);
        assert_eq!(r.verdict, Some(C4Drop::CurlyBracket));
        let r = c4_filter("Only one sentence here.", &cfg);
        assert_eq!(r.verdict, Some(C4Drop::TooFewSentences));
    }

    #[test]
    fn citations_removed() {
        let cfg = C4Config {
            min_num_sentences: -1,
            ..C4Config::default()
        };
        let r = c4_filter("A cited fact here.[1] More text follows [edit] now.", &cfg);
        assert_eq!(r.text, "A cited fact here. More text follows  now.");
    }
}
