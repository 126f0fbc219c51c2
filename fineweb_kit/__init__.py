"""fineweb-kit: LLM pre-training data with a Rust core.

Raw web crawls (WARC/WET) become clean, filtered, deduplicated text; a byte-level BPE
vocabulary is trained on it; text is encoded into token shards; a small GPT trains on them.
Users do not import ``fineweb_kit._core``: the Python classes here wrap it.
"""

from fineweb_kit.document import Document
from fineweb_kit.exceptions import (
    ConfigError,
    FinewebKitError,
    FormatError,
    InputError,
    TokenizerError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Document",
    "FinewebKitError",
    "FormatError",
    "InputError",
    "TokenizerError",
    "__version__",
]
