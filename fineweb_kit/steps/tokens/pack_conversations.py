"""PackConversations: renders conversations through the chat template into masked ``.fks`` shards.

The SFT counterpart of :class:`~fineweb_kit.steps.tokens.tokenize.Tokenize`. Each document's
``metadata["messages"]`` (from ``ConversationReader``) is rendered by
:class:`~fineweb_kit.chat.template.ChatTemplate` into ids and a loss mask (1 on what the
assistant writes); shards carry the mask section and the fingerprint of the chat tokenizer.

``pack: true`` (default): conversations are packed into windows of ``seq_len + 1`` tokens by
best-fit decreasing over buffers of ``buffer_conversations`` (:mod:`fineweb_kit.chat.packing`),
never split, the rest of a window padded with ``<|bos|>`` (mask 0). One shard document = one
window, so every document has ``seq_len + 1`` tokens, shard merge/shuffle moves whole
windows, and the conversations inside a window are the runs starting at each ``<|bos|>``
(``packing.segment_ids``: what document-aware attention uses). ``pack: false``: one shard
document per conversation (for a trainer that packs itself).

An over-long conversation (more than ``seq_len + 1`` tokens) is cut after its last whole turn
that fits (``overlong: truncate``, the default; counted as ``conversations_truncated``) or
dropped (``overlong: drop``, or when no cut keeps an assistant token; ``dropped_too_long``).
Stats: ``conversations``, ``windows``, ``tokens_conversation``, ``tokens_padding`` and
``windows_greedy`` (windows next-fit packing would have needed on the same buffers), so the
fill rates of best-fit (``tokens_conversation / (windows * (seq_len+1))``) and greedy are
both in the report.

``tokenizer`` (a path or a URL): a fineweb-kit tokenizer file, a tiktoken rank file named
after its encoding or an HF ``tokenizer.json``; it must have the chat specials unless
``add_chat_specials: true`` (then they are appended,
:func:`~fineweb_kit.chat.specials.with_chat_specials`). The tokenizer used is saved beside
the shards as ``tokenizer.json`` (fineweb-kit format) so the trainer and
``fineweb-kit chat render`` load exactly it. ``output_folder`` may be a URL: each input
file's shards are uploaded when it completes, the tokenizer at setup (atomic uploads).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from fineweb_kit.chat.specials import with_chat_specials
from fineweb_kit.chat.template import ChatTemplate
from fineweb_kit.document import Batch
from fineweb_kit.io import storage
from fineweb_kit.io.work_folder import WorkFolder
from fineweb_kit.shards.tokenizer import from_fineweb_kit
from fineweb_kit.shards.writer import ShardFormat
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.params import ParamError, check_choice, check_positive_int
from fineweb_kit.steps.readers.conversations import MESSAGES_KEY
from fineweb_kit.steps.tokens.shard_step import TokenShardWriter
from fineweb_kit.tokenizer import Tokenizer

TOKENIZER_FILE = "tokenizer.json"


def load_chat_tokenizer(spec: str, add_chat_specials: bool = False) -> Tokenizer:
    """A tokenizer with the chat specials from a file or a URL (staged locally; module doc)."""
    try:
        path = storage.stage_local(spec) if storage.is_remote(spec) else Path(spec)
    except FileNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise ParamError("tokenizer", f"tokenizer file {spec!r} not found")
    pattern = path.stem if path.suffix == ".tiktoken" else "cl100k_base"
    tok = Tokenizer.from_file(path, pattern)
    if add_chat_specials:
        return with_chat_specials(tok)
    try:
        ChatTemplate(tok)
    except Exception as e:
        raise ParamError("tokenizer", f"{e} (or set add_chat_specials: true)") from None
    return tok


class PackConversations(TokenShardWriter):
    """Renders conversations into masked token shards, packed into windows (module doc)."""

    abstract = False

    def __init__(
        self,
        output_folder: str,
        tokenizer: str,
        seq_len: int = 2048,
        pack: bool = True,
        overlong: Literal["truncate", "drop"] = "truncate",
        add_chat_specials: bool = False,
        buffer_conversations: int = 4096,
        max_tokens_per_shard: int = 100_000_000,
        dtype: Literal["u16", "u32"] | None = None,
    ) -> None:
        super().__init__(output_folder)
        self.seq_len = check_positive_int("seq_len", seq_len)
        self.window = self.seq_len + 1
        self.pack = bool(pack)
        self.overlong = check_choice("overlong", overlong, ("truncate", "drop"))
        self.buffer = check_positive_int("buffer_conversations", buffer_conversations)
        self.max_tokens = check_positive_int("max_tokens_per_shard", max_tokens_per_shard)
        if not isinstance(tokenizer, str) or not tokenizer:
            raise ParamError("tokenizer", f"expected a tokenizer file path, got {tokenizer!r}")
        self.tokenizer = load_chat_tokenizer(tokenizer, add_chat_specials)
        self.template = ChatTemplate(self.tokenizer)
        if dtype == "u16" and self.tokenizer.n_vocab > 65536:
            raise ParamError("dtype", f"{self.tokenizer.n_vocab} ids do not fit u16: use u32")
        fp = from_fineweb_kit(self.tokenizer, self.tokenizer.name).fingerprint
        self.format = ShardFormat(self.tokenizer.n_vocab, fp, "none", None, dtype, True)
        self._pending: list[list[dict]] = []

    def setup(self, ctx: TaskContext) -> None:
        with WorkFolder(ctx.resolve(self.output_folder)) as out:
            out.local.mkdir(parents=True, exist_ok=True)
            self.tokenizer.save(out.local / TOKENIZER_FILE)  # atomic; same from every task
            out.publish(out.local / TOKENIZER_FILE)

    def write_batch(self, batch: Batch) -> None:
        t0 = time.perf_counter()
        for doc in batch:
            messages = doc.metadata.get(MESSAGES_KEY)
            if isinstance(messages, list):
                self._pending.append(messages)
            else:
                self.stats.add("skipped_no_conversation")
        self.count_batch("documents_out", batch)
        if len(self._pending) >= self.buffer:
            self._flush()
        self.stats.time_s += time.perf_counter() - t0

    def _flush(self) -> None:
        if not self._pending:
            return
        assert self._set is not None
        p = self.template.render_packed(
            self._pending, self.window, overlong=self.overlong, pack=self.pack, validated=True
        )
        self._pending = []
        for key in ("conversations", "tokens_conversation"):
            self.stats.add(key, getattr(p, key))
        for key, n in (("conversations_truncated", p.truncated), ("dropped_too_long", p.dropped)):
            if n:
                self.stats.add(key, n)
        if self.pack:
            self.stats.add("windows", len(p.doc_ends))
            self.stats.add("windows_greedy", p.windows_greedy)
            self.stats.add("tokens_padding", len(p.ids) - p.tokens_conversation)
        self._set.append(p.ids, p.doc_ends, p.mask, add_boundary=False)

    def before_commit(self) -> None:
        self._flush()

    def close_file(self, ctx: TaskContext, ok: bool) -> None:
        if not ok:
            self._pending = []
        super().close_file(ctx, ok)
