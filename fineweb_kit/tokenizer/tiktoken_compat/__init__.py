"""A drop-in for tiktoken: ``from fineweb_kit.tokenizer import tiktoken_compat as tiktoken``.

Same functions, class, behaviour and errors as tiktoken (its public test suite passes against
this module, see ``tests/tokenizer/test_tiktoken_suite.py``), encoded by fineweb-kit's Rust
encoder. Rank files load offline: see :mod:`.registry` (``FINEWEB_KIT_TIKTOKEN_DIR`` or
tiktoken's cache folder); nothing is downloaded.
"""

from fineweb_kit.tokenizer.tiktoken_compat.encoding import Encoding
from fineweb_kit.tokenizer.tiktoken_compat.models import (
    encoding_for_model,
    encoding_name_for_model,
)
from fineweb_kit.tokenizer.tiktoken_compat.registry import get_encoding, list_encoding_names

__all__ = [
    "Encoding",
    "encoding_for_model",
    "encoding_name_for_model",
    "get_encoding",
    "list_encoding_names",
]
