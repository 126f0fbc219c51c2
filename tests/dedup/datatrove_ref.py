"""datatrove's four MinHash stages run in-process on the same files (the oracle)."""

from __future__ import annotations

import struct
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupSignature,
)
from datatrove.utils.hashing import HashConfig


def datatrove_removed(per_file: list[list[dict]], work: Path, **config) -> set[tuple[int, int]]:
    """(file index, document index) of every document datatrove removes."""
    cfg = MinhashConfig(hash_config=HashConfig(precision=64, hash_fc="sha1"), **config)
    sig = MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg)
    for rank, docs in enumerate(per_file):
        data = (Document(text=d["text"], id=str(i)) for i, d in enumerate(docs))
        sig.run(data, rank=rank, world_size=len(per_file))
    buckets = MinhashDedupBuckets(
        input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=cfg
    )
    for b in range(cfg.num_buckets):
        buckets.run(rank=b, world_size=cfg.num_buckets)
    cluster = MinhashDedupCluster(
        input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=cfg
    )
    cluster.run()
    removed = set()
    for path in sorted((work / "remove").glob("*.remove")):
        data = path.read_bytes()
        file = int(path.name.split(".")[0])
        removed.update((file, d) for (d,) in struct.iter_unpack("<I", data))
    return removed
