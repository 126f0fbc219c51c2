//! One pass over a document computing every number the Gopher repetition, Gopher quality and
//! FineWeb quality filters compare with thresholds, and the batch API returning columns.
//!
//! Each field reproduces a datatrove expression exactly (named in its doc comment), so a
//! filter is a comparison over these columns. Splits follow Python precisely: `re.split`
//! on `\n+` / `\n{2,}`, `str.splitlines`, `str.split("\n")`, `str.strip` with Python's
//! whitespace, lengths in code points.

use super::chars::{is_dt_punct, is_terminal_punct, py_isalpha, py_isspace, py_linebreak};
use super::repetition::{
    char_len, dup_ngram_chars, find_duplicates, top_ngram_chars, ConcatHashes, WordIds,
};
use super::words::{self, Token};
use fineweb_kit_base::{CoreError, CoreResult};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

/// The parameters that change what the analysis measures. `Default` is FineWeb's recipe.
#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    /// Gopher "top n-gram" sizes (datatrove default 2, 3, 4).
    pub top_ngrams: Vec<usize>,
    /// Gopher "duplicated n-gram" sizes (datatrove default 5..=10).
    pub dup_ngrams: Vec<usize>,
    /// Gopher stop words (case-sensitive, as datatrove compares them).
    pub stop_words: Vec<String>,
    /// FineWeb line-ending characters; `None`: datatrove's `TERMINAL_PUNCTUATION`.
    pub line_stop_chars: Option<Vec<String>>,
    /// FineWeb "short line" length (`<=` this many characters).
    pub short_line_length: usize,
}

/// Gopher's stop words (Rae et al. 2021, section A.1.1): the, be, to, of, and, that, have, with.
pub const GOPHER_STOP_WORDS: [&str; 8] = ["the", "be", "to", "of", "and", "that", "have", "with"];

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            top_ngrams: vec![2, 3, 4],
            dup_ngrams: (5..=10).collect(),
            stop_words: GOPHER_STOP_WORDS.iter().map(|s| s.to_string()).collect(),
            line_stop_chars: None,
            short_line_length: 30,
        }
    }
}

impl AnalysisConfig {
    /// Rejects n-gram sizes of 0 (datatrove would produce empty n-grams).
    pub fn validate(&self) -> CoreResult<()> {
        if self
            .top_ngrams
            .iter()
            .chain(&self.dup_ngrams)
            .any(|&n| n == 0)
        {
            return Err(CoreError::InvalidArgument(
                "n-gram sizes must be >= 1".to_string(),
            ));
        }
        Ok(())
    }
}

/// Everything measured on one document. Counts are integers; ratios are left to the filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocStats {
    /// `len(text)`.
    pub n_chars: usize,
    /// `len(split_into_words(text))`.
    pub n_words: usize,
    /// `len(re.split(r"\n{2,}", text.strip()))`.
    pub n_paragraphs: usize,
    /// `find_duplicates(paragraphs)`: count and characters.
    pub dup_paragraphs: usize,
    pub dup_paragraph_chars: usize,
    /// `len(re.split("\n+", text))`.
    pub n_lines: usize,
    /// `find_duplicates(lines)`: count and characters.
    pub dup_lines: usize,
    pub dup_line_chars: usize,
    /// `find_top_duplicate(get_n_grams(words, n))` per `config.top_ngrams` (0: too few words).
    pub top_ngram_chars: Vec<usize>,
    /// `find_all_duplicate(words, n)` per `config.dup_ngrams`.
    pub dup_ngram_chars: Vec<usize>,
    /// Words with a character outside datatrove's `PUNCTUATION_SET`, and their total length.
    pub n_non_symbol_words: usize,
    pub non_symbol_word_chars: usize,
    /// `text.count("#")`.
    pub hash_count: usize,
    /// `text.count("...") + text.count("…")`.
    pub ellipsis_count: usize,
    /// `len(text.splitlines())`.
    pub n_splitlines: usize,
    /// splitlines lines whose `lstrip()` starts with `•` or `-`.
    pub bullet_lines: usize,
    /// splitlines lines whose `rstrip()` ends with `...` or `…`.
    pub ellipsis_lines: usize,
    /// Words with at least one `isalpha` character.
    pub alpha_words: usize,
    /// Distinct stop words among the words.
    pub stop_words: usize,
    /// FineWeb: lines of `text.split("\n")` that are not blank.
    pub n_nonblank_lines: usize,
    /// ... of which end with a stop character (`line.endswith(stop_chars)`, unstripped).
    pub stop_char_lines: usize,
    /// ... of which have `len(line) <= short_line_length`.
    pub short_lines: usize,
    /// `find_duplicates(nonblank lines)[1]`.
    pub dup_nonblank_line_chars: usize,
    /// `text.count("\n")`.
    pub newlines: usize,
}

/// `re.split(pattern, text)` for `pattern` = `\n{min,}`: pieces between runs of newlines.
fn split_newline_runs(text: &str, min_run: usize) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        if b[i] == b'\n' {
            let run = b[i..].iter().take_while(|&&c| c == b'\n').count();
            if run >= min_run {
                out.push(&text[start..i]);
                start = i + run;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    out.push(&text[start..]);
    out
}

/// Python `str.splitlines()` (no keepends).
pub fn py_splitlines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if py_linebreak(c) {
            out.push(&text[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' && it.peek().is_some_and(|&(_, d)| d == '\n') {
                it.next();
                next += 1;
            }
            start = next;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Python `str.strip()`.
#[inline]
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(py_isspace)
}

/// Non-overlapping occurrences of `pat` (Python `str.count`).
fn count_str(text: &str, pat: &str) -> usize {
    text.matches(pat).count()
}

fn ends_with_stop(line: &str, stops: &Option<Vec<String>>) -> bool {
    match stops {
        None => line.chars().next_back().is_some_and(is_terminal_punct),
        Some(list) => list.iter().any(|s| line.ends_with(s.as_str())),
    }
}

/// Analyses one document.
pub fn analyse(text: &str, config: &AnalysisConfig) -> DocStats {
    let mut tokens: Vec<Token> = Vec::new();
    words::tokenize(text, &mut tokens);
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| !t.space)
        .map(|t| &text[t.start..t.end])
        .collect();
    let mut s = DocStats {
        n_chars: char_len(text),
        n_words: words.len(),
        ..DocStats::default()
    };

    let paragraphs = split_newline_runs(py_strip(text), 2);
    s.n_paragraphs = paragraphs.len();
    (s.dup_paragraphs, s.dup_paragraph_chars) = find_duplicates(paragraphs);
    let lines = split_newline_runs(text, 1);
    s.n_lines = lines.len();
    (s.dup_lines, s.dup_line_chars) = find_duplicates(lines);

    let ids = WordIds::new(&words);
    let hashes = ConcatHashes::new(&words);
    s.top_ngram_chars = top_ngram_chars(&hashes, &ids, &config.top_ngrams);
    s.dup_ngram_chars = dup_ngram_chars(&hashes, &ids, &config.dup_ngrams);

    let stop: FxHashSet<&str> = config.stop_words.iter().map(String::as_str).collect();
    let mut found: FxHashSet<&str> = FxHashSet::default();
    for (w, &len) in words.iter().zip(&ids.lens) {
        if w.chars().any(|c| !is_dt_punct(c)) {
            s.n_non_symbol_words += 1;
            s.non_symbol_word_chars += len;
        }
        if w.chars().any(py_isalpha) {
            s.alpha_words += 1;
        }
        if stop.contains(w) {
            found.insert(w);
        }
    }
    s.stop_words = found.len();

    s.hash_count = memchr::memchr_iter(b'#', text.as_bytes()).count();
    s.ellipsis_count = count_str(text, "...") + count_str(text, "…");
    let split = py_splitlines(text);
    s.n_splitlines = split.len();
    for line in &split {
        let l = line.trim_start_matches(py_isspace);
        s.bullet_lines += usize::from(l.starts_with('•') || l.starts_with('-'));
        let r = line.trim_end_matches(py_isspace);
        s.ellipsis_lines += usize::from(r.ends_with("...") || r.ends_with('…'));
    }

    s.newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    let nonblank: Vec<&str> = text
        .split('\n')
        .filter(|l| !py_strip(l).is_empty())
        .collect();
    s.n_nonblank_lines = nonblank.len();
    for line in &nonblank {
        s.stop_char_lines += usize::from(ends_with_stop(line, &config.line_stop_chars));
        s.short_lines += usize::from(char_len(line) <= config.short_line_length);
    }
    s.dup_nonblank_line_chars = find_duplicates(nonblank.iter().copied()).1;
    s
}

/// The analysis of a batch, as columns (one entry per document, in input order).
#[derive(Clone, Debug, Default)]
pub struct Columns {
    pub docs: Vec<DocStats>,
}

impl Columns {
    /// The scalar columns by field name, in [`DocStats`] order.
    pub fn scalar_columns(&self) -> Vec<(&'static str, Vec<u64>)> {
        macro_rules! cols {
            ($($f:ident),* $(,)?) => {
                vec![$((stringify!($f), self.docs.iter().map(|d| d.$f as u64).collect())),*]
            };
        }
        cols!(
            n_chars,
            n_words,
            n_paragraphs,
            dup_paragraphs,
            dup_paragraph_chars,
            n_lines,
            dup_lines,
            dup_line_chars,
            n_non_symbol_words,
            non_symbol_word_chars,
            hash_count,
            ellipsis_count,
            n_splitlines,
            bullet_lines,
            ellipsis_lines,
            alpha_words,
            stop_words,
            n_nonblank_lines,
            stop_char_lines,
            short_lines,
            dup_nonblank_line_chars,
            newlines,
        )
    }

    /// `top_ngram_chars` (`top = true`) or `dup_ngram_chars` as a row-major matrix with one row
    /// per document and one column per configured n.
    pub fn ngram_matrix(&self, top: bool) -> Vec<u64> {
        self.docs
            .iter()
            .flat_map(|d| {
                if top {
                    &d.top_ngram_chars
                } else {
                    &d.dup_ngram_chars
                }
            })
            .map(|&v| v as u64)
            .collect()
    }
}

/// Analyses `texts` in parallel (rayon's global pool).
pub fn analyse_batch<S: AsRef<str> + Sync>(
    texts: &[S],
    config: &AnalysisConfig,
) -> CoreResult<Columns> {
    config.validate()?;
    let docs = texts
        .par_iter()
        .map(|t| analyse(t.as_ref(), config))
        .collect();
    Ok(Columns { docs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_splits() {
        assert_eq!(
            split_newline_runs("a\n\nb\nc\n\n\nd", 2),
            ["a", "b\nc", "d"]
        );
        assert_eq!(split_newline_runs("\na\n", 1), ["", "a", ""]);
        assert_eq!(py_splitlines("a\r\nb\rc\n\nd\n"), ["a", "b", "c", "", "d"]);
        assert_eq!(py_splitlines(""), Vec::<&str>::new());
    }

    #[test]
    fn analyse_counts() {
        let text = "The cat and the dog.\n- item one...\n- item one...\n\n#tag #tag";
        let s = analyse(text, &AnalysisConfig::default());
        assert_eq!(s.n_chars, text.chars().count());
        assert_eq!(s.hash_count, 2);
        assert_eq!(s.ellipsis_count, 2);
        assert_eq!(s.n_splitlines, 5);
        assert_eq!(s.bullet_lines, 2);
        assert_eq!(s.ellipsis_lines, 2);
        assert_eq!(s.n_lines, 4);
        assert_eq!(s.dup_lines, 1);
        assert_eq!(s.dup_line_chars, "- item one...".len());
        assert_eq!(s.stop_words, 2); // "the" and "and" ("The" is case-sensitive)
        assert_eq!(s.newlines, 4);
        assert_eq!(s.n_nonblank_lines, 4);
        assert_eq!(s.stop_char_lines, 3);
    }

    #[test]
    fn zero_ngram_rejected() {
        let cfg = AnalysisConfig {
            top_ngrams: vec![0],
            ..AnalysisConfig::default()
        };
        assert!(analyse_batch(&["x"], &cfg).is_err());
    }

    proptest::proptest! {
        #[test]
        fn counts_are_bounded(text in "(\\PC|\n|\r| ){0,200}") {
            let s = analyse(&text, &AnalysisConfig::default());
            proptest::prop_assert!(s.dup_lines < s.n_lines.max(1));
            proptest::prop_assert!(s.dup_paragraphs < s.n_paragraphs.max(1));
            proptest::prop_assert!(s.dup_line_chars <= s.n_chars);
            proptest::prop_assert!(s.n_non_symbol_words <= s.n_words);
            proptest::prop_assert!(s.alpha_words <= s.n_words);
            proptest::prop_assert!(s.stop_char_lines <= s.n_nonblank_lines);
            proptest::prop_assert!(s.dup_nonblank_line_chars <= s.n_chars - s.newlines);
            for &d in &s.dup_ngram_chars {
                proptest::prop_assert!(d <= s.n_chars);
            }
        }
    }
}
