"""Wraps raw HTML pages into a WARC file of HTTP response records (for benchmarks and tests).

Each page becomes one gzip member holding a ``response`` record the way Common Crawl writes
them: ``WARC-Target-URI`` (the page's URL from the folder's ``MANIFEST.tsv``, else
``http://fineweb-kit.invalid/<name>``), ``WARC-Identified-Payload-Type: text/html``, a
``WARC-Payload-Digest`` (sha1, base32), and an HTTP/1.1 200 head whose ``Content-Type`` carries
the page's declared charset if it has one. The page bytes are stored unchanged. Record ids are
derived from the file names, so the same input gives the same WARC.

Usage: ``python -m fineweb_kit.tools.html_to_warc ../shared/data/html out.warc.gz [--limit N]``
(pages are ``*.html`` or ``*.html.gz`` files).
"""

from __future__ import annotations

import argparse
import base64
import csv
import gzip
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

DATE = "2024-01-15T00:00:00Z"
NAMESPACE = uuid.UUID("6f1c9a56-4a0e-4c53-9d6e-1d2f1c2b7a10")


def _record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def warcinfo(filename: str) -> bytes:
    body = b"software: fineweb-kit html_to_warc\r\nformat: WARC File Format 1.0\r\n"
    return _record(
        [
            ("WARC-Type", "warcinfo"),
            ("WARC-Date", DATE),
            ("WARC-Filename", filename),
            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid5(NAMESPACE, filename)}>"),
            ("Content-Type", "application/warc-fields"),
        ],
        body,
    )


def response(name: str, url: str, page: bytes, charset: str | None) -> bytes:
    ctype = f"text/html; charset={charset}" if charset else "text/html"
    http = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(page)}\r\n\r\n"
    digest = base64.b32encode(hashlib.sha1(page).digest()).decode("ascii")
    return _record(
        [
            ("WARC-Type", "response"),
            ("WARC-Date", DATE),
            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid5(NAMESPACE, name)}>"),
            ("WARC-Target-URI", url),
            ("WARC-Payload-Digest", f"sha1:{digest}"),
            ("WARC-Identified-Payload-Type", "text/html"),
            ("Content-Type", "application/http; msgtype=response"),
        ],
        http.encode("latin-1") + page,
    )


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """``MANIFEST.tsv`` rows by file name (empty if the folder has none)."""
    path = folder / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {row["filename"]: row for row in csv.DictReader(f, delimiter="\t")}


def pages(folder: Path, limit: int = -1) -> Iterator[tuple[str, str, bytes, str | None]]:
    """``(name, url, raw bytes, declared charset)`` of the pages in ``folder``, sorted by name."""
    manifest = read_manifest(folder)
    files = sorted(p for p in folder.iterdir() if p.name.endswith((".html", ".html.gz")))
    for i, path in enumerate(files):
        if 0 <= limit <= i:
            return
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        row = manifest.get(path.name, {})
        url = row.get("url") or f"http://fineweb-kit.invalid/{path.name}"
        yield path.name, url, raw, row.get("charset_declared") or None


def write_warc(
    items: Iterable[tuple[str, str, bytes, str | None]], out: IO[bytes], name: str
) -> int:
    """Writes a warcinfo record, then one gzip member per page; returns the page count."""
    out.write(gzip.compress(warcinfo(name), mtime=0))
    n = 0
    for page_name, url, raw, charset in items:
        out.write(gzip.compress(response(page_name, url, raw, charset), mtime=0))
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of *.html / *.html.gz pages")
    parser.add_argument("output", type=Path, help="WARC file to write (.warc.gz)")
    parser.add_argument("--limit", type=int, default=-1, help="at most this many pages")
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(f".{args.output.name}.tmp")
    with open(tmp, "wb") as f:
        n = write_warc(pages(args.folder, args.limit), f, args.output.name)
    tmp.replace(args.output)
    print(f"{args.output}: {n} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
