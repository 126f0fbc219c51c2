"""Compares a user install's outputs with the development install's (used by ci-wheel.sh).

``compare_runs.py sample REF OUT``: every document kept (``output/``, ``output_parquet/``) and
removed (``removed/*/``) by the two runs of pipelines/sample.yaml, record by record: same ids,
same text, same metadata (language scores included), else exit 1 naming the first difference.

``compare_runs.py validate FINEWEB_KIT WORKDIR OUT.json [REF.json]``: runs ``validate`` on every
``WORKDIR/pipelines/*.yaml``, writes each file's exit status and messages to OUT.json and, given
REF.json, checks they are the same.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

NEEDS_EXTRA = "needs the Python package"  # a step of an extra (torch...) the install lacks
NEEDS_REMOTE = "remote paths need the `remote` extra"  # an s3:// recipe without s3fs


def read_jsonl_folder(folder: Path) -> list[dict]:
    docs = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs += [json.loads(line) for line in f]
    return sorted(docs, key=lambda d: d["id"])


def read_parquet_folder(folder: Path) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    rows = []
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path, columns=["id", "text"]).to_pylist()
        rows += [(r["id"], r["text"]) for r in table]
    return sorted(rows)


def compare_sample(ref: Path, out: Path) -> int:
    folders = ["output", *(f"removed/{p.name}" for p in sorted((ref / "removed").iterdir()))]
    counts = {}
    for name in folders:
        want, got = read_jsonl_folder(ref / name), read_jsonl_folder(out / name)
        if [d["id"] for d in want] != [d["id"] for d in got]:
            print(f"{out / name}: documents {[d['id'] for d in got]}, expected {want}")
            return 1
        for w, g in zip(want, got, strict=True):
            if w != g:
                diff = sorted(k for k in {*w, *w["metadata"]} if w.get(k) != g.get(k))
                meta = {k for k in w["metadata"] if w["metadata"][k] != g["metadata"].get(k)}
                print(f"{out / name}: document {w['id']} differs in {diff} metadata {meta}")
                return 1
        counts[name] = len(want)
    if read_parquet_folder(ref / "output_parquet") != read_parquet_folder(out / "output_parquet"):
        print(f"{out / 'output_parquet'}: differs from {ref / 'output_parquet'}")
        return 1
    if not counts["output"]:
        print(f"{ref}: no document kept; the comparison would prove nothing")
        return 1
    print(f"sample: same documents as the development install: {counts}")
    return 0


def compare_validate(cli: str, workdir: Path, out: Path, ref: Path | None) -> int:
    results = {}
    for path in sorted((workdir / "pipelines").glob("*.yaml")):
        name = f"pipelines/{path.name}"
        proc = subprocess.run([cli, "validate", name], cwd=workdir, capture_output=True, text=True)
        results[name] = {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    if ref is None:
        ok = sum(r["rc"] == 0 for r in results.values())
        print(f"validate: {len(results)} files ({ok} valid here) recorded in {out}")
        return 0
    want = json.loads(ref.read_text(encoding="utf-8"))
    extras = []
    for name in sorted({*want, *results}):
        got, expected = results.get(name), want.get(name)
        if got == expected:
            continue
        if got and expected and _needs_extra(got, expected):
            extras.append(name)
            continue
        print(f"validate {name}: {got}\n  expected {expected}")
        return 1
    print(
        f"validate: same result as the development install on {len(results) - len(extras)} "
        f"files; {extras or 'none'} need an extra this install lacks (and say which)"
    )
    return 0


def _needs_extra(got: dict, expected: dict) -> bool:
    """The user install refused the file naming an extra it lacks, where the development
    install (which has every extra) either refused it too or, for remote paths, accepted it."""
    return bool(
        got["rc"]
        and ((expected["rc"] and NEEDS_EXTRA in got["stderr"]) or NEEDS_REMOTE in got["stderr"])
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["sample"] and len(argv) == 3:
        return compare_sample(Path(argv[1]), Path(argv[2]))
    if argv[:1] == ["validate"] and len(argv) in (4, 5):
        ref = Path(argv[4]) if len(argv) == 5 else None
        return compare_validate(argv[1], Path(argv[2]), Path(argv[3]), ref)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
