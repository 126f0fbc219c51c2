"""MinHash near-duplicate detection: parameters, folder layout, and the three passes over it.

Defaults are FineWeb's (datatrove ``examples/fineweb.py``: ``MinhashConfig(hash_config=
HashConfig(precision=64, hash_fc="sha1"), num_buckets=14, hashes_per_bucket=8, n_grams=5)``,
seed 1). A pair of documents with Jaccard similarity ``s`` of their 5-gram sets is found with
probability ``1 - (1 - s**8)**14`` (0.5 at s ~ 0.72, 0.92 at s = 0.8).

The permutation parameters are drawn exactly as datatrove draws them
(``numpy.random.RandomState(seed).randint(1, 2**61 - 1, uint64)`` then ``randint(0, ...)``),
so with the same words our signatures are datatrove's, bit for bit.

Every stage is given the same ``config`` mapping (a YAML anchor keeps them in step); the
first stage records it in ``<folder>/config.json`` and every later stage refuses a folder, or
any binary file in it, written with another configuration before doing any work.

Folder layout (``folder``, relative to the run's output folder)::

    config.json                     parameters and fingerprint
    signatures/bucket_BBB/*.sig     stage 1: sorted bucket records per input file (runs)
    signatures/docs/<part>.docs     stage 1: one text hash per document, in reading order
    pairs/bucket_BBB.pairs          stage 2: duplicate pairs of each bucket
    clusters/NNNNNN.clusters        stage 3: clustered documents of input file NNNNNN
    clusters/summary.json           stage 3: written last; counts

The passes run in Rust (``_core``): :func:`open_signature_sink` (stage 1, per input file),
:func:`find_pairs` (stage 2, per bucket), :func:`cluster` (stage 3, once); stage 4 reads the
results with :func:`fineweb_kit.dedup.records.read_records`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fineweb_kit import _core
from fineweb_kit.dedup.publish import PublishedSink, publish_results
from fineweb_kit.exceptions import ConfigError, InputError
from fineweb_kit.io import storage
from fineweb_kit.io.files import atomic_write
from fineweb_kit.io.storage import AnyPath
from fineweb_kit.io.work_folder import WorkFolder
from fineweb_kit.params import ParamError, check_choice, check_positive_int

MERSENNE = (1 << 61) - 1


@dataclass(frozen=True)
class MinhashSettings:
    """The parameters that determine a MinHash signature."""

    n_grams: int = 5
    num_buckets: int = 14
    hashes_per_bucket: int = 8
    hash_fn: str = "sha1"
    precision: int = 64
    seed: int = 1

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> MinhashSettings:
        """Builds the settings from a step's ``config`` mapping (missing keys: defaults)."""
        config = dict(config or {})
        known = set(cls.__dataclass_fields__)
        for key in config:
            if key not in known:
                raise ParamError(
                    "config", f"unknown key {key!r} (known: {', '.join(sorted(known))})"
                )
        s = cls(**config)
        for key in ("n_grams", "num_buckets", "hashes_per_bucket"):
            check_positive_int(f"config.{key}", getattr(s, key))
        check_choice("config.hash_fn", s.hash_fn, ("sha1", "xxhash"))
        if s.precision not in (32, 64):
            raise ParamError("config.precision", f"expected 32 or 64, got {s.precision!r}")
        if isinstance(s.seed, bool) or not isinstance(s.seed, int) or s.seed < 0:
            raise ParamError("config.seed", f"expected an integer >= 0, got {s.seed!r}")
        return s

    @property
    def num_hashes(self) -> int:
        return self.num_buckets * self.hashes_per_bucket

    def permutations(self) -> tuple[list[int], list[int]]:
        """``a`` and ``b`` of the permutations, drawn like datatrove's ``parameters``."""
        gen = np.random.RandomState(self.seed)
        a = gen.randint(1, MERSENNE, dtype=np.uint64, size=(1, self.num_hashes))
        b = gen.randint(0, MERSENNE, dtype=np.uint64, size=(1, self.num_hashes))
        return [int(x) for x in a[0]], [int(x) for x in b[0]]

    def core(self) -> Any:
        """The Rust-side parameters (``_core.MinhashParams``)."""
        a, b = self.permutations()
        return _core.MinhashParams(
            self.n_grams,
            self.num_buckets,
            self.hashes_per_bucket,
            self.hash_fn,
            self.precision,
            self.seed,
            a,
            b,
        )


def record_config(root: AnyPath, settings: MinhashSettings, fingerprint: int) -> None:
    """Writes ``config.json`` on first use; refuses a folder of another configuration."""
    path = root / "config.json"
    if path.is_file():
        check_config(root, fingerprint)
        return
    with atomic_write(path) as f:
        json.dump({"fingerprint": f"{fingerprint:016x}", **asdict(settings)}, f, indent=2)


def check_config(root: AnyPath, fingerprint: int) -> None:
    """Refuses (ConfigError) a MinHash folder missing or written by another configuration."""
    path = root / "config.json"
    if not path.is_file():
        raise ConfigError(
            f"{root}: no MinHash signatures here (no config.json); run the "
            "MinhashSignature stage first"
        )
    recorded = json.loads(path.read_text())
    if recorded.get("fingerprint") != f"{fingerprint:016x}":
        theirs = {k: v for k, v in recorded.items() if k != "fingerprint"}
        raise ConfigError(
            f"{root}: holds MinHash files of another configuration ({theirs}, fingerprint "
            f"{recorded.get('fingerprint')}; this stage's is {fingerprint:016x}); give every "
            "MinHash stage the same `config`, or use a fresh folder"
        )


KEEP = ("datatrove", "first")


def open_signature_sink(
    params: Any,
    root: AnyPath,
    part_name: str,
    file_index: int,
    input_path: str,
    budget: int,
    num_buckets: int,
) -> Any:
    """Stage 1: the sink of one input file's signatures (``add(texts)``, ``commit()`` /
    ``abort()``), writing ``signatures/`` under ``root`` (a remote root: uploaded on commit)."""
    work = WorkFolder(root)
    sink = _core.SignatureSink(
        params,
        work.local / "signatures",
        part_name,
        file_index,
        storage.canonical(input_path),
        budget,
    )
    return PublishedSink(sink, work, part_name, num_buckets) if work.remote else sink


def find_pairs(
    root: AnyPath, bucket: str, settings: MinhashSettings, budget: int
) -> dict[str, int]:
    """Stage 2: merges bucket ``bucket``'s sorted runs into ``pairs/<bucket>.pairs`` (written
    under a temporary name, renamed or uploaded at the end); returns the counts. A remote
    folder: the bucket's runs are downloaded whole first (one request per file)."""
    fingerprint = settings.core().fingerprint
    check_config(root, fingerprint)
    with WorkFolder(root) as work:
        runs = [str(p) for p in work.fetch_all(f"signatures/{bucket}", ".sig")]
        out = work.local / "pairs" / f"{bucket}.pairs"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp_dir = work.local / "tmp" / bucket
        shutil.rmtree(tmp_dir, ignore_errors=True)
        meta = json.dumps({"bucket": bucket})
        counts = _core.minhash_find_pairs(
            runs, tmp, fingerprint, settings.hashes_per_bucket, budget, tmp_dir, meta
        )
        tmp.replace(out)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        work.publish(out)
    return dict(counts)


def cluster(root: AnyPath, settings: MinhashSettings, keep: str) -> dict[str, int]:
    """Stage 3: union-find over every bucket's pairs; writes ``clusters/NNNNNN.clusters`` and
    then ``clusters/summary.json``; returns the counts."""
    fingerprint = settings.core().fingerprint
    check_config(root, fingerprint)
    with WorkFolder(root) as work:
        names = [f"pairs/bucket_{b:03d}.pairs" for b in range(settings.num_buckets)]
        pairs = [work.fetch(n) for n in names]
        missing = [str(root / n) for n, p in zip(names, pairs, strict=True) if p is None]
        if missing:
            raise InputError(f"missing pair files (run MinhashBuckets first): {missing[:3]}")
        counts = publish_results(
            work,
            ".clusters",
            lambda out: _core.minhash_cluster([str(p) for p in pairs], out, fingerprint, keep),
        )
    with atomic_write(root / "clusters" / "summary.json") as f:
        json.dump({"fingerprint": f"{fingerprint:016x}", **counts}, f, indent=2)
    return counts
