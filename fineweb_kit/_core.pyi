"""Type stubs of ``fineweb_kit._core``, the Rust extension. Users import the Python wrappers
(``fineweb_kit.text``, ``fineweb_kit.tokenizer``, ``fineweb_kit.shards``, ...), never ``_core``."""

from collections.abc import Callable, Iterable
from os import PathLike
from typing import final

import numpy as np
import numpy.typing as npt
from typing_extensions import Self, disjoint_base

# the names the module exports (stubtest checks this list against the built extension)
__all__ = [
    "Bpe",
    "BpeTrainer",
    "FastTextKernel",
    "KeySink",
    "MinhashParams",
    "ShardWriter",
    "SignatureSink",
    "StageSink",
    "__version__",
    "analyse_texts",
    "c4_filter_texts",
    "chat_bins",
    "count_sentences",
    "dedup_find_duplicates",
    "dedup_remove_sentences",
    "extract_main_content",
    "html_shapes",
    "minhash_cluster",
    "minhash_find_pairs",
    "normalized_words",
    "read_records",
    "shard_copy_docs",
    "shard_fingerprint",
    "shard_header",
    "shard_verify",
    "simplify_texts",
    "split_words",
    "train_bpe",
    "word_ngram_hashes",
]

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

def word_ngram_hashes(
    texts: list[str], n: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """xxh3-based hashes of every window of ``n`` lower-cased alphanumeric words of each text
    (numbers kept), and the index of the text of each window (decontamination)."""

# --------------------------------------- end of text -----------------------------------------

# ---------------------------------------------------------------------------------------------
# minhash + dedup (rust/fineweb-kit-py/src/minhash.rs): the Rust work of the MinHash, exact and
# sentence dedup stages. Batch / per-unit calls, GIL released. Intermediate files use the framed
# record format of rust/fineweb-kit-dedup/src/format.rs (header, version, configuration
# fingerprint, record count, xxh3 checksum); damaged or foreign files raise FormatError.
# ---------------------------------------------------------------------------------------------

@final
class MinhashParams:
    """MinHash parameters; ``a``/``b``: one permutation pair per hash (num_buckets * per)."""

    def __new__(
        cls,
        n_grams: int,
        num_buckets: int,
        hashes_per_bucket: int,
        hash_fn: str,  # "sha1" | "xxhash"
        precision: int,  # 32 | 64
        seed: int,
        a: list[int],
        b: list[int],
    ) -> Self: ...
    @property
    def fingerprint(self) -> int: ...
    def signatures(self, texts: list[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
        """(uint64 array texts x hashes, bool array: has at least one n-gram)."""

@disjoint_base
class StageSink:
    """First-stage writer of a dedup method for one input file (base of ``SignatureSink`` and
    ``KeySink``): ``add`` batches of texts, then ``commit`` (returns the counts) or ``abort``."""

    def add(self, texts: list[str]) -> None: ...
    def commit(self) -> dict[str, int]: ...
    def abort(self) -> None: ...

@final
class SignatureSink(StageSink):
    """MinHash stage 1 writer of one input file (sorted runs per bucket + document hashes)."""

    def __new__(
        cls,
        params: MinhashParams,
        root: str | PathLike[str],
        part: str,
        file_index: int,
        input: str,
        budget: int,
    ) -> Self: ...

@final
class KeySink(StageSink):
    """Exact ("exact") / sentence ("sentences") dedup stage 1 writer of one input file."""

    def __new__(
        cls,
        mode: str,
        n_sentences: int,
        root: str | PathLike[str],
        part: str,
        file_index: int,
        input: str,
        fingerprint: int,
        budget: int,
    ) -> Self: ...

def minhash_find_pairs(
    inputs: list[str],
    out: str | PathLike[str],
    fingerprint: int,
    hashes_per_bucket: int,
    budget: int,
    tmp_dir: str | PathLike[str],
    meta: str,
) -> dict[str, int]: ...
def minhash_cluster(
    pair_files: list[str], out_dir: str | PathLike[str], fingerprint: int, keep: str
) -> dict[str, int]: ...
def dedup_find_duplicates(
    inputs: list[str],
    out_dir: str | PathLike[str],
    fingerprint: int,
    budget: int,
    tmp_dir: str | PathLike[str],
) -> dict[str, int]: ...
def dedup_remove_sentences(
    items: list[tuple[str, list[int]]], n_sentences: int
) -> list[tuple[str, int]]: ...
def read_records(
    path: str, kind: str, fingerprint: int, words: int
) -> tuple[str, npt.NDArray[np.uint64]]:
    """(header metadata JSON, uint64 array records x words); kind: signatures, pairs,
    clusters, docs, keys."""

# -------------------------------------- end of minhash ---------------------------------------
# ============================================================================================
# bpe (rust/fineweb-kit-py/src/bpe.rs) -- wrapped by fineweb_kit.tokenizer
# ============================================================================================

@final
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
    def encode_flat(
        self,
        texts: list[str],
        allowed: list[str],
        disallowed: list[str],
        eot: int | None = None,
        num_threads: int | None = None,
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
        """All texts' ids in one array and ``n + 1`` offsets (text ``i`` is
        ``ids[offsets[i]:offsets[i + 1]]``; ``eot`` appended after each text if given)."""
    def set_cache_bytes(self, bytes: int) -> None:
        """Caps each thread's piece cache at ``bytes`` (0: no cache)."""
    def cache_info(self) -> tuple[int, int, int, int]:
        """(cap in bytes, caches, bytes held, pieces held) of the piece caches."""
    def render_chat(
        self,
        conversations: list[list[dict[str, object]]],
        specials: list[int],
        num_threads: int | None = None,
    ) -> tuple[
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint8],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
    ]:
        """Renders validated conversations through the chat template (GIL released while
        encoding); ``specials``: ids of ``CHAT_SPECIALS`` in order. Returns ids, loss mask,
        conversation ends, turn ends, turns per conversation."""
    def render_pack_chat(
        self,
        conversations: list[list[dict[str, object]]],
        specials: list[int],
        window: int,
        overlong: str = "truncate",
        packed: bool = True,
        num_threads: int | None = None,
    ) -> tuple[
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint8],
        npt.NDArray[np.uint64],
        tuple[int, int, int, int, int],
    ]:
        """Renders validated conversations and packs them into documents of at most ``window``
        tokens (best-fit windows padded with ``specials[0]`` when ``packed``); returns
        ``(ids, mask, doc_ends, (conversations, tokens_conversation, truncated, dropped,
        windows_greedy))``."""
    def decode_bytes(self, ids: list[int]) -> bytes: ...
    def decode(self, ids: list[int]) -> str: ...
    def decode_array(self, ids: npt.NDArray[np.uint32]) -> bytes: ...
    def token_bytes(self, id: int) -> bytes | None: ...
    def rank_of(self, token: bytes) -> int | None: ...

@final
class BpeTrainer:
    """Streaming trainer: ``count`` batches, then ``finish`` once."""

    def __new__(cls, pattern: str, vocab_size: int, n_specials: int) -> Self: ...
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
# chat (rust/fineweb-kit-py/src/chat.rs) -- wrapped by fineweb_kit.chat (Bpe.render_*_chat too)
# ============================================================================================

def chat_bins(
    lengths: npt.NDArray[np.uint32], window: int, best_fit: bool
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """Windows of ``lengths`` (each ``<= window``) by best-fit decreasing or next-fit:
    ``(members, ends)``, window ``b`` holding ``members[ends[b-1]:ends[b]]``."""

# ============================================================================================
# shards (rust/fineweb-kit-py/src/shards.rs) -- wrapped by fineweb_kit.shards
# ============================================================================================

@final
class ShardWriter:
    """Writes one ``.fks`` token shard (format: rust/fineweb-kit-shards/src/lib.rs)."""

    def __new__(
        cls,
        path: str,
        vocab_size: int,
        fingerprint: bytes,
        boundary: str = "append",
        boundary_token: int | None = None,
        dtype: str | None = None,
        with_mask: bool = False,
    ) -> Self: ...
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

# ---------------------------------------------------------------------------------------------
# fasttext (rust/fineweb-kit-py/src/fasttext.rs): fastText 0.9.2 inference for supervised
# softmax models with word n-grams (DCLM's quality classifier), scores bit-identical to the
# ``fasttext`` package. Batch calls, GIL released. Other models raise FormatError on load.
# ---------------------------------------------------------------------------------------------

@final
class FastTextKernel:
    def __new__(cls, path: str | PathLike[str]) -> Self: ...
    def labels(self) -> list[str]: ...
    def score(self, lines: list[str], positive: int) -> list[float]:
        """DCLM's score (``P(positive)`` from the top-1 prediction) of each line, read as
        ``fasttext``'s ``predict(line)`` reads it. Raises ValueError for a bad label index."""
    def score_texts(self, texts: list[str], positive: int) -> list[float]:
        """``score`` of each raw text's DCLM line ``" ".join(text.strip().splitlines())``,
        without building it."""

# --------------------------------------- end of fasttext -------------------------------------

# ---------------------------------------------------------------------------------------------
# html_guard (rust/fineweb-kit-py/src/html_guard.rs): cheap shape checks before HTML parsing.
# ---------------------------------------------------------------------------------------------

def html_shapes(
    pages: list[str] | list[bytes], max_depth: int = ..., max_tags: int = ...
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Per page: deepest element nesting and number of start tags (GIL released, pages in
    parallel). A page's scan stops once a count exceeds its limit (counts then partial)."""

# ------------------------------------- end of html_guard -------------------------------------

# ---------------------------------------------------------------------------------------------
# extract (rust/fineweb-kit-py/src/extract.rs): main-content extraction, GIL released.
# ---------------------------------------------------------------------------------------------

def extract_main_content(
    pages: list[str],
    bias: str,
    include_tables: bool,
    include_title: bool,
    min_text_chars: int,
    max_html_bytes: int,
    timeout_s: float,
    threads: int = 1,
) -> list[tuple[str, str]]:
    """Main-content text per page: ``(status, text)``, status ``ok``, ``too_large`` or
    ``timeout``. ``bias``: precision | balanced | recall. Raises ValueError for another bias."""
