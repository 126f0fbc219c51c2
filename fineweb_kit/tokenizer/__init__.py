"""Byte-level BPE: a tiktoken-exact encoder and a rustbpe-exact trainer, in Rust.

>>> from fineweb_kit.tokenizer import Tokenizer, train_bpe
>>> tok = Tokenizer.from_tiktoken("cl100k_base.tiktoken", "cl100k_base")
>>> tok.encode("hello world")
[15339, 1917]
"""

from fineweb_kit.tokenizer.core import Tokenizer
from fineweb_kit.tokenizer.encodings import BUILTIN_SPECIALS, PATTERN_NAMES
from fineweb_kit.tokenizer.train import iter_texts, train_bpe

__all__ = ["BUILTIN_SPECIALS", "PATTERN_NAMES", "Tokenizer", "iter_texts", "train_bpe"]
