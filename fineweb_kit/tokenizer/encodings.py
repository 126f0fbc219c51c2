"""Built-in encodings: the pre-tokenisation pattern and special tokens of each rank file.

Values are tiktoken's (``tiktoken_ext/openai_public.py``, copied in
``../shared/data/tokenizer-ref/encodings.json``). The pattern names are understood by the Rust
core, which runs a hand-written scanner for each (identical to the regex, see
``rust/fineweb-kit-bpe/src/pretok.rs``).
"""

from __future__ import annotations

ENDOFTEXT = "<|endoftext|>"

BUILTIN_SPECIALS: dict[str, dict[str, int]] = {
    "gpt2": {ENDOFTEXT: 50256},
    "r50k_base": {ENDOFTEXT: 50256},
    "p50k_base": {ENDOFTEXT: 50256},
    "cl100k_base": {
        ENDOFTEXT: 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    "o200k_base": {ENDOFTEXT: 199999, "<|endofprompt|>": 200018},
}
"""Special tokens of each built-in encoding name."""

PATTERN_NAMES = tuple(BUILTIN_SPECIALS)
"""Names accepted wherever a pre-tokenisation pattern is asked for (besides a regex)."""
