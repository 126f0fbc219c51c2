"""Tokenize: encodes documents and writes token shards, one set of shards per input file.

``tokenizer``: a fineweb-kit tokenizer file (``Tokenizer.save``), a tiktoken rank file named
after its encoding (``r50k_base.tiktoken``, ``cl100k_base.tiktoken``, ...), an HF
``tokenizer.json``, ``bytes`` (UTF-8 bytes + EOT) or ``tiktoken:NAME`` (tiktoken itself).
A path starting with ``{output}/`` names a file an earlier stage writes (e.g. a
``TrainTokenizer`` step). Validation checks that a named file exists; the tokenizer is loaded,
and its vocabulary checked against ``boundary_token`` and ``dtype``, once per task when the
stage starts.
Special-token strings inside documents are encoded as plain text (tiktoken's
``encode_ordinary``), so the boundary token only ever marks document boundaries.
Each batch of documents is encoded in one call of the tokenizer (Rust, GIL released), the
boundary token is added to each document by the Rust shard writer (``append``: after each
document, GPT-2's ``<|endoftext|>`` convention, the default; ``prepend``: before it, as a BOS
token like llm.c's and modded-nanogpt's shards; ``none``), and the ids are streamed to
``{output_folder}/{part}-00000.fks``, ``-00001``, ... (a URL: written locally, uploaded when
the file completes): a new shard starts once one holds
``max_tokens_per_shard`` tokens (default 100,000,000 tokens: 200 MB of u16, the size of
llm.c's FineWeb shards). Documents are never split across shards. All shards of an input file
are renamed into place together when the file completes, so a resumed run never sees half a
file's shards. The token width (u16/u32) follows the vocabulary size unless ``dtype`` forces
one; a vocabulary too large for a forced ``u16`` is refused when the step is built.
``encode_threads`` (default 1) sets the encoder's threads per batch: parallelism normally
comes from the pipeline's tasks and workers; raise it when running fewer workers than cores.

Datatrove's ``DocumentTokenizer`` is the peer: it writes a flat ``.ds`` token file plus a
separate ``.ds.index`` of document ends; here both live in one checksummed, self-describing
file with the tokenizer's fingerprint. Documents pass through unchanged, so other writers may
follow this step.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from fineweb_kit.document import Batch
from fineweb_kit.io import storage
from fineweb_kit.io.files import OUTPUT_PLACEHOLDER
from fineweb_kit.shards.tokenizer import ShardTokenizer, load_tokenizer
from fineweb_kit.shards.writer import ShardFormat, ShardSetWriter
from fineweb_kit.steps.base import Params, TaskContext, Writer
from fineweb_kit.steps.params import ParamError, check_choice, check_name, check_positive_int


class Tokenize(Writer):
    """Encodes documents with a fineweb-kit tokenizer and writes ``.fks`` token shards."""

    abstract = False
    extension = ".fks"

    def __init__(
        self,
        output_folder: str,
        tokenizer: str,
        boundary: Literal["append", "prepend", "none"] = "append",
        boundary_token: int | None = None,
        max_tokens_per_shard: int = 100_000_000,
        dtype: Literal["u16", "u32"] | None = None,
        encode_threads: int = 1,
    ) -> None:
        super().__init__(output_folder)
        self.tokenizer_spec = tokenizer
        self.boundary = boundary
        self.boundary_token = boundary_token
        self.max_tokens = max_tokens_per_shard
        self.dtype = dtype
        self.encode_threads = encode_threads
        self._tok: ShardTokenizer | None = None
        self._set: ShardSetWriter | None = None
        self.format: ShardFormat | None = None

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        spec = check_name("tokenizer", params["tokenizer"], "a tokenizer file path")
        named_file = spec != "bytes" and not spec.startswith("tiktoken:")
        local = OUTPUT_PLACEHOLDER not in spec and not storage.is_remote(spec)
        if named_file and local and not Path(spec).is_file():
            raise ParamError("tokenizer", f"tokenizer file {spec!r} not found")
        check_positive_int("max_tokens_per_shard", params["max_tokens_per_shard"])
        check_positive_int("encode_threads", params["encode_threads"])
        check_choice("boundary", params["boundary"], ("append", "prepend", "none"))

    def _load(self, spec: str) -> ShardTokenizer:
        try:
            self._tok = load_tokenizer(spec, self.encode_threads)
        except Exception as e:
            raise ParamError("tokenizer", str(e)) from e
        self.format = self._check_format(self._tok)
        return self._tok

    def setup(self, ctx: TaskContext) -> None:
        if self._tok is None:
            spec = self.tokenizer_spec.replace(OUTPUT_PLACEHOLDER, str(ctx.output_root))
            self._load(str(storage.stage_local(spec)))  # a URL: fetched to the local cache

    @property
    def tokenizer(self) -> ShardTokenizer:
        assert self._tok is not None, "setup() loads the tokenizer"
        return self._tok

    def _check_format(self, tok: ShardTokenizer) -> ShardFormat:
        token = self.boundary_token if self.boundary_token is not None else tok.eot_token
        if self.boundary == "none":
            token = None
        elif token is None:
            raise ParamError("boundary_token", "the tokenizer has no end-of-text token: set one")
        elif not 0 <= token < tok.n_vocab:
            raise ParamError("boundary_token", f"{token} is not an id of {tok.n_vocab} tokens")
        if self.dtype == "u16" and tok.n_vocab > 65536:
            raise ParamError(
                "dtype", f"a vocabulary of {tok.n_vocab} tokens does not fit u16: use u32"
            )
        return ShardFormat(tok.n_vocab, tok.fingerprint, self.boundary, token, self.dtype)

    def open_file(self, ctx: TaskContext) -> None:
        assert ctx.part_name is not None and self.format is not None
        folder = ctx.resolve(self.output_folder)  # a URL: shards uploaded on commit
        self._set = ShardSetWriter(folder, ctx.part_name, self.format, self.max_tokens)

    def write_batch(self, batch: Batch) -> None:
        assert self._set is not None
        t0 = time.perf_counter()
        flat, ends = self.tokenizer.encode_batch([d.text for d in batch])
        self._set.append(flat, ends)
        self.count_batch("documents_out", batch)
        per_doc = 0 if self.format is None or self.format.boundary_token is None else len(batch)
        self.stats.add("tokens", int(flat.size) + per_doc)
        self.stats.time_s += time.perf_counter() - t0

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        assert self._set is not None
        if ok:
            self.stats.add("shards", len(self._set.commit()))
        else:
            self._set.abort()
        self._set = None
