"""TrainTokenizer: trains a byte-level BPE vocabulary on the documents that reach it.

Why: so one YAML goes from WARC to vocabulary (read the pipeline's JSONL/Parquet output, then
this step). Documents pass through unchanged (the step may sit before a writer). Each batch is
pre-tokenised and counted in Rust as it arrives, so memory grows with the number of distinct
pre-tokens, not with the corpus (:class:`fineweb_kit.tokenizer.train.BpeTrainer`). The merges
run in ``teardown`` and the file is written atomically (temporary name, then rename).

The step must see the whole input: ``whole_task = True`` tells the runner, and a stage with
more than one task is refused (each task would otherwise train its own vocabulary).

Defaults: ``vocab_size`` 32768 (a common small-model size, as in nanoGPT-style runs),
``pattern`` ``o200k_base`` (GPT-4o's pre-tokenisation), ``special_tokens`` ``[<|endoftext|>]``
(the document separator written into token shards). Merges are identical to ``rustbpe``'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import ClassVar

from fineweb_kit.document import Batch
from fineweb_kit.io import storage
from fineweb_kit.steps.base import Params, PipelineStep, TaskContext
from fineweb_kit.steps.params import ParamError, check_choice, check_name, check_positive_int
from fineweb_kit.tokenizer.encodings import ENDOFTEXT
from fineweb_kit.tokenizer.train import BpeTrainer

FORMATS = ("fineweb", "hf", "tiktoken")


class TrainTokenizer(PipelineStep):
    """Trains a BPE tokenizer on the stage's documents and writes it to ``output``.

    ``output``: file path (relative paths are under the run's output folder).
    ``format``: ``fineweb`` (our JSON), ``hf`` (tokenizer.json) or ``tiktoken`` (rank file).
    """

    kind = "tokenizer"
    whole_task: ClassVar[bool] = True

    def __init__(
        self,
        output: str,
        vocab_size: int = 32768,
        pattern: str = "o200k_base",
        special_tokens: list[str] | None = None,
        format: str = "fineweb",
        num_threads: int | None = None,
    ) -> None:
        super().__init__()
        self.output = output
        self.special_tokens = [ENDOFTEXT] if special_tokens is None else list(special_tokens)
        self.vocab_size = vocab_size
        self.format = format
        self.num_threads = num_threads
        self.pattern = pattern
        self._trainer: BpeTrainer | None = None
        self._ctx: TaskContext | None = None

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        check_name("output", params["output"], "a file path")
        specials = params["special_tokens"]
        n_specials = 1 if specials is None else len(specials)
        check_positive_int("vocab_size", params["vocab_size"], 256 + n_specials)
        check_choice("format", params["format"], FORMATS)
        if params["num_threads"] is not None:
            check_positive_int("num_threads", params["num_threads"])
        try:  # compiles the pattern; counts nothing
            BpeTrainer(params["pattern"], params["vocab_size"], [ENDOFTEXT] * n_specials)
        except ValueError as e:
            raise ParamError("pattern", str(e)) from None

    def setup(self, ctx: TaskContext) -> None:
        if ctx.world_size > 1:
            raise ParamError(
                "tasks",
                f"{self.name} trains one vocabulary from all documents: run its stage with "
                f"tasks: 1 (got {ctx.world_size})",
            )
        self._trainer = BpeTrainer(self.pattern, self.vocab_size, self.special_tokens)
        self._ctx = ctx

    def process(self, batches: Iterable[Batch], ctx: TaskContext) -> Iterator[Batch]:
        assert self._trainer is not None, "setup() runs before process()"
        for batch in batches:
            t0 = time.perf_counter()
            self._trainer.count([d.text for d in batch], self.num_threads)
            self.stats.time_s += time.perf_counter() - t0
            self.count_batch("documents", batch)
            yield batch

    def teardown(self) -> None:
        if self._trainer is None or self._ctx is None:
            return
        t0 = time.perf_counter()
        self.stats.add("distinct_pieces", self._trainer.distinct_pieces)
        tok = self._trainer.finish(self.num_threads)
        self._trainer = None
        path = self._ctx.resolve(self.output)
        save = {"fineweb": tok.save, "hf": tok.to_hf, "tiktoken": tok.to_tiktoken}[self.format]
        if storage.is_remote(path):  # written locally, then uploaded whole
            tmp = storage.local_temp_for(path)
            save(tmp)
            storage.commit(tmp, path)
        else:
            local = storage.local_path(path)
            local.parent.mkdir(parents=True, exist_ok=True)
            save(local)
        self.stats.add("vocab_size", tok.n_vocab)
        self.stats.time_s += time.perf_counter() - t0
        self._ctx.log.info("%s: wrote %d ids to %s", self.name, tok.n_vocab, path)
