"""Export shards to the formats of llm.c and nanoGPT (token ids only; document boundaries
survive as the boundary token, the document index and the fingerprint are dropped).

- ``llmc``: llm.c's ``.bin`` (``dev/data/data_common.py``): a 256 x int32 header
  ``[20240520, version, n_tokens, 0...]`` then the tokens; version 1 = uint16 ids (GPT-2
  vocabularies), version 2 = uint32 ids (larger vocabularies). One ``.bin`` per shard.
- ``nanogpt``: nanoGPT's raw ``train.bin`` / ``val.bin`` (``data/openwebtext/prepare.py``):
  uint16 ids, nothing else, all shards concatenated into one file; refused for vocabularies
  above 65,536 ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fineweb_kit.exceptions import FormatError
from fineweb_kit.shards.reader import Shard

LLMC_MAGIC = 20240520
CHUNK = 1 << 24


def _copy_tokens(shard: Shard, out, dtype: np.dtype) -> None:
    for start in range(0, shard.header.n_tokens, CHUNK):
        out.write(np.asarray(shard.tokens[start : start + CHUNK]).astype(dtype).tobytes())


def export_llmc(inputs: list[Path], output: Path) -> list[Path]:
    """One llm.c ``.bin`` per input shard in the folder ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for path in inputs:
        shard = Shard(path)
        wide = shard.header.dtype == "u32"
        header = np.zeros(256, dtype="<i4")
        header[:3] = [LLMC_MAGIC, 2 if wide else 1, shard.header.n_tokens]
        if shard.header.n_tokens >= 2**31:
            raise FormatError(f"{path}: {shard.header.n_tokens} tokens exceed llm.c's int32 count")
        final = output / f"{Path(path).stem}.bin"
        tmp = final.with_name(f".{final.name}.tmp")
        with open(tmp, "wb") as f:
            f.write(header.tobytes())
            _copy_tokens(shard, f, np.dtype("<u4" if wide else "<u2"))
        tmp.replace(final)
        written.append(final)
    return written


def export_nanogpt(inputs: list[Path], output: Path) -> list[Path]:
    """All input shards' tokens, in order, as one raw uint16 file ``output``."""
    shards = [Shard(p) for p in inputs]
    for s in shards:
        if s.header.vocab_size > 65536:
            raise FormatError(
                f"{s.path}: vocabulary of {s.header.vocab_size} ids does not fit nanoGPT's uint16"
            )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    with open(tmp, "wb") as f:
        for s in shards:
            _copy_tokens(s, f, np.dtype("<u2"))
    tmp.replace(output)
    return [output]
