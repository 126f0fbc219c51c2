"""Builds pipelines/sample-data/ from ../shared/data/warc: whole real records, byte for byte.

Only records whose content may be redistributed are taken (see pipelines/sample-data/README.md):
archive.org crawls (CC0, UK Web Archive test suite), one Common Crawl record group of a Wikipedia
page (CC BY-SA), and the creativecommons.org pages of a wget crawl (CC BY 4.0).
Run once: ``.venv/bin/python scripts/make_sample.py``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

REPO = Path(__file__).resolve().parents[1]
SRC = REPO.parent / "shared" / "data" / "warc"
DST = REPO / "pipelines" / "sample-data"


def copy_members(src: Path, dst: Path, keep) -> int:  # noqa: ANN001
    """Copies the gzip members (one per record) of ``src`` whose record ``keep`` accepts."""
    data = src.read_bytes()
    n = 0
    with open(src, "rb") as fh, open(dst, "wb") as out:
        it = ArchiveIterator(fh)
        for record in it:
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            wanted = keep(record.rec_type, uri.strip("<>"))
            record.content_stream().read()
            offset, length = it.get_record_offset(), it.get_record_length()
            if wanted:
                out.write(data[offset : offset + length])
                n += 1
    return n


def main() -> int:
    DST.mkdir(parents=True, exist_ok=True)
    for name in ("cc-main-2024-22-whirlwind.warc.gz", "ukwa-IAH-urls-wget.warc.gz"):
        shutil.copyfile(SRC / name, DST / name)
    n = copy_members(
        SRC / "dolma-wget-sample-0001.warc.gz",
        DST / "creativecommons-org-wget.warc.gz",
        lambda kind, uri: kind == "warcinfo" or uri.startswith("https://creativecommons.org/"),
    )
    print(f"copied 2 files and {n} records into {DST}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
