"""Type stubs of ``fineweb_kit._core`` (the Rust extension). Users import the Python wrappers."""

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

__version__: str

# ============================================================================================
# bpe (rust/fineweb-kit-py/src/bpe.rs) -- wrapped by fineweb_kit.tokenizer
# ============================================================================================

class Bpe:
    """A byte-level BPE tokenizer: ranks + pre-tokenisation pattern + special tokens."""

    @staticmethod
    def from_ranks(
        ranks: list[tuple[bytes, int]], pattern: str, special_tokens: list[tuple[str, int]]
    ) -> Bpe: ...
    @staticmethod
    def from_tiktoken(path: str, pattern: str, special_tokens: list[tuple[str, int]]) -> Bpe: ...
    @staticmethod
    def from_hf(path: str) -> Bpe: ...
    @staticmethod
    def load(path: str) -> Bpe: ...
    def save(self, path: str) -> None: ...
    def save_hf(self, path: str) -> None: ...
    def save_tiktoken(self, path: str) -> None: ...
    @property
    def n_vocab(self) -> int: ...
    @property
    def pattern(self) -> str: ...
    @property
    def special_tokens(self) -> list[tuple[str, int]]: ...
    def mergeable_ranks(self) -> list[tuple[bytes, int]]: ...
    def pretokenize(self, text: str) -> list[str]: ...
    def encode_ordinary(self, text: str) -> list[int]: ...
    def encode(self, text: str, allowed: list[str], disallowed: list[str]) -> list[int]: ...
    def encode_batch(
        self,
        texts: list[str],
        allowed: list[str],
        disallowed: list[str],
        num_threads: int | None = None,
    ) -> list[list[int]]: ...
    def encode_to_numpy(
        self,
        texts: list[str],
        allowed: list[str],
        disallowed: list[str],
        eot: int | None = None,
        num_threads: int | None = None,
    ) -> npt.NDArray[np.uint32]: ...
    def decode_bytes(self, ids: list[int]) -> bytes: ...
    def decode(self, ids: list[int]) -> str: ...
    def decode_array(self, ids: npt.NDArray[np.uint32]) -> bytes: ...
    def token_bytes(self, id: int) -> bytes | None: ...
    def rank_of(self, token: bytes) -> int | None: ...

class BpeTrainer:
    """Streaming trainer: ``count`` batches, then ``finish`` once."""

    def __init__(self, pattern: str, vocab_size: int, n_specials: int) -> None: ...
    def count(self, texts: list[str], num_threads: int | None = None) -> None: ...
    @property
    def distinct_pieces(self) -> int: ...
    def finish(self, special_tokens: list[str], num_threads: int | None = None) -> Bpe: ...

def train_bpe(
    texts: Iterable[str],
    vocab_size: int,
    pattern: str,
    special_tokens: list[str],
    num_threads: int | None = None,
    buffer_bytes: int = ...,
    progress: Callable[[str, int], None] | None = None,
) -> Bpe: ...

# ============================================================================================
# end of bpe
# ============================================================================================

# ============================================================================================
# shards (rust/fineweb-kit-py/src/shards.rs) -- wrapped by fineweb_kit.shards
# ============================================================================================

class ShardWriter:
    """Writes one ``.fks`` token shard (format: rust/fineweb-kit-core/src/shards/mod.rs)."""

    def __init__(
        self,
        path: str,
        vocab_size: int,
        fingerprint: bytes,
        boundary: str = "append",
        boundary_token: int | None = None,
        dtype: str | None = None,
        with_mask: bool = False,
    ) -> None: ...
    def append(
        self,
        flat: npt.NDArray[np.uint32],
        ends: npt.NDArray[np.uint64],
        mask: npt.NDArray[np.uint8] | None = None,
        add_boundary: bool = True,
    ) -> None: ...
    @property
    def n_tokens(self) -> int: ...
    @property
    def n_docs(self) -> int: ...
    def finish(self) -> dict[str, object]: ...
    def abort(self) -> None: ...

def shard_header(path: str) -> dict[str, object]: ...
def shard_fingerprint(path: str) -> bytes: ...
def shard_verify(path: str) -> dict[str, object]: ...
def shard_copy_docs(
    inputs: list[str], sources: npt.NDArray[np.uint32], docs: npt.NDArray[np.uint64], out: str
) -> dict[str, object]: ...

# ============================================================================================
# end of shards
# ============================================================================================
