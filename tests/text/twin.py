"""Slow, obviously-correct Python twins of the Rust analysis: datatrove's formulas written out
directly over a text and its word list (the words come from our tokeniser; tokenisation itself
is compared with spaCy in ``test_tokenizer.py``). Used as oracles in property tests. Character
sets, C4's citation pattern and policy phrases are datatrove's own constants (a test-only
dependency), so the Rust tables are checked against them, not against a copy.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import regex
from datatrove.pipeline.filters.c4_filters import CITATION_REGEX as CITATION
from datatrove.pipeline.filters.c4_filters import POLICY_SUBSTRINGS as POLICY
from datatrove.utils.text import PUNCTUATION, PUNCTUATION_SET, TERMINAL_PUNCTUATION

STOP_CHARS = tuple(TERMINAL_PUNCTUATION)
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


def find_duplicates(items: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    n = chars = 0
    for x in items:
        if x in seen:
            n += 1
            chars += len(x)
        else:
            seen.add(x)
    return n, chars


def top_ngram_chars(words: list[str], n: int) -> int:
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def dup_ngram_chars(words: list[str], n: int) -> int:
    seen: set[str] = set()
    idx = repeated = 0
    while idx < len(words) - n + 1:
        gram = "".join(words[idx : idx + n])
        if gram in seen:
            repeated += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated


def analyse(text: str, words: list[str]) -> dict[str, object]:
    """Every column of ``fineweb_kit.text.analyse_texts`` for one text (default config)."""
    paragraphs = re.split(r"\n{2,}", text.strip())
    lines = re.split("\n+", text)
    splitlines = text.splitlines()
    nonblank = [line for line in text.split("\n") if line.strip() != ""]
    non_symbol = [w for w in words if any(c not in PUNCTUATION_SET for c in w)]
    return {
        "n_chars": len(text),
        "n_words": len(words),
        "n_paragraphs": len(paragraphs),
        "dup_paragraphs": find_duplicates(paragraphs)[0],
        "dup_paragraph_chars": find_duplicates(paragraphs)[1],
        "n_lines": len(lines),
        "dup_lines": find_duplicates(lines)[0],
        "dup_line_chars": find_duplicates(lines)[1],
        "top_ngram_chars": [top_ngram_chars(words, n) for n in (2, 3, 4)],
        "dup_ngram_chars": [dup_ngram_chars(words, n) for n in range(5, 11)],
        "n_non_symbol_words": len(non_symbol),
        "non_symbol_word_chars": sum(len(w) for w in non_symbol),
        "hash_count": text.count("#"),
        "ellipsis_count": text.count("...") + text.count("…"),
        "n_splitlines": len(splitlines),
        "bullet_lines": sum(s.lstrip().startswith(("•", "-")) for s in splitlines),
        "ellipsis_lines": sum(s.rstrip().endswith(("...", "…")) for s in splitlines),
        "alpha_words": sum(any(c.isalpha() for c in w) for w in words),
        "stop_words": len(set(STOP_WORDS) & set(words)),
        "n_nonblank_lines": len(nonblank),
        "stop_char_lines": sum(line.endswith(STOP_CHARS) for line in nonblank),
        "short_lines": sum(len(line) <= 30 for line in nonblank),
        "dup_nonblank_line_chars": find_duplicates(nonblank)[1],
        "newlines": text.count("\n"),
    }


def c4(
    text: str, count_sentences, filter_no_terminal_punct: bool = False
) -> tuple[str | None, str]:
    """datatrove's ``C4QualityFilter.filter`` (split_paragraph=True): (reason, new text)."""
    num_sentences = 0
    kept: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        words = line.split()
        if any(len(w) > 1000 for w in words):
            continue
        line = CITATION.sub("", line)
        ends = line.endswith((".", "?", "!", '"', "'")) and not line.endswith("...")
        if filter_no_terminal_punct and not ends:
            continue
        if len(words) < 3:
            continue
        low = line.lower()
        if "lorem ipsum" in low:
            return "lorem_ipsum", text
        if "javascript" in low:
            continue
        if "{" in line:
            return "curly_bracket", text
        if any(p in low for p in POLICY):
            continue
        num_sentences += count_sentences(line)
        kept.append(line)
    if num_sentences < 5:
        return "too_few_sentences", text
    return None, "\n".join(kept).strip()


PUNCT_TRANS = str.maketrans(PUNCTUATION, " " * len(PUNCTUATION))
NUMBERS = regex.compile(r"\p{Nd}+([.,،٫⎖⎗⎘]{1}\p{Nd}+)?")


def simplify_text(text: str) -> str:
    """datatrove's ``simplify_text`` with its default config."""
    text = NUMBERS.sub("0", text.lower())
    text = text.translate(PUNCT_TRANS)
    text = re.sub(r"\s+", " ", text.strip())
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return text.strip()
