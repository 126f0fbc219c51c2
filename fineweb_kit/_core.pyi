"""Type stubs of ``fineweb_kit._core``, the Rust extension. Users import the Python wrappers
(``fineweb_kit.text``, ...), never ``_core`` directly."""

import numpy as np
import numpy.typing as npt

__version__: str

# ---------------------------------------------------------------------------------------------
# text (rust/fineweb-kit-py/src/text.rs): analysis for the quality filters and MinHash.
# All functions take a batch, release the GIL and run documents in parallel (rayon).
# ---------------------------------------------------------------------------------------------

def analyse_texts(
    texts: list[str],
    top_ngrams: list[int],
    dup_ngrams: list[int],
    stop_words: list[str],
    line_stop_chars: list[str] | None,
    short_line_length: int,
) -> dict[str, npt.NDArray[np.uint64]]:
    """One analysis pass per text. Keys: n_chars, n_words, n_paragraphs, dup_paragraphs,
    dup_paragraph_chars, n_lines, dup_lines, dup_line_chars, n_non_symbol_words,
    non_symbol_word_chars, hash_count, ellipsis_count, n_splitlines, bullet_lines,
    ellipsis_lines, alpha_words, stop_words, n_nonblank_lines, stop_char_lines, short_lines,
    dup_nonblank_line_chars, newlines (shape (n,)); top_ngram_chars (n, len(top_ngrams)),
    dup_ngram_chars (n, len(dup_ngrams)). Raises ValueError for an n-gram size of 0."""

def c4_filter_texts(
    texts: list[str],
    split_paragraph: bool,
    remove_citations: bool,
    filter_no_terminal_punct: bool,
    min_num_sentences: int,
    min_words_per_line: int,
    max_word_length: int,
    filter_lorem_ipsum: bool,
    filter_javascript: bool,
    filter_curly_bracket: bool,
    filter_policy: bool,
) -> dict[str, object]:
    """C4 line rules. Keys: reason (list[str | None]), text (list[str | None]: the rewritten
    text of kept documents), num_sentences and line_total, line_too_long_word,
    line_no_terminal_punct, line_too_few_words, line_javascript, line_policy, line_kept
    (uint64 arrays)."""

def split_words(texts: list[str]) -> list[list[str]]:
    """Words (spaCy-blank-English-like tokens without whitespace) of each text."""

def count_sentences(texts: list[str]) -> list[int]:
    """Sentences per text (spaCy sentencizer rules; at least 1)."""

def simplify_texts(texts: list[str]) -> list[str]:
    """datatrove's ``simplify_text`` of each text."""

def normalized_words(texts: list[str]) -> list[list[str]]:
    """Words of ``simplify_text(text)``: what MinHash shingles."""

# --------------------------------------- end of text -----------------------------------------
