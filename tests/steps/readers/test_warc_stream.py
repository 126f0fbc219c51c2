"""The record parser does not depend on how the decompressed bytes arrive (buffer edges)."""

from __future__ import annotations

import gzip
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from fineweb_kit.warc.http import dechunk, parse_response
from fineweb_kit.warc.records import iter_warc
from fineweb_kit.warc.source import ArchiveStream
from tests.conftest import SHARED_DATA as DATA

RAW = (DATA / "warc-edge" / "mixed-1.0-1.1.warc").read_bytes()
GZ = gzip.decompress((DATA / "warc" / "dolma-wget-sample-0001.warc.gz").read_bytes())


def records(data: bytes, cuts: list[int]) -> list[tuple[int, str, bytes]]:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    events = iter([(0, data[a:b]) for a, b in itertools.pairwise(bounds) if b > a])
    problems: list[str] = []
    out = [
        (r.offset, r.headers["warc-record-id"], r.block)
        for r in iter_warc(ArchiveStream(events, by_member=False), lambda *a: problems.append(a))
    ]
    assert not problems
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**7), max_size=40))
def test_any_chunking_gives_the_same_records(cuts):
    for data in (RAW, GZ):
        assert records(data, cuts) == records(data, [])


def test_offsets_are_record_starts():
    recs = records(RAW, [])
    assert len(recs) == 3
    for offset, _, _ in recs:
        assert RAW[offset : offset + 5] == b"WARC/"


@given(st.binary(max_size=3000), st.lists(st.integers(1, 500), min_size=1, max_size=20))
def test_dechunk_inverts_chunking(body, sizes):
    parts, i = [], 0
    for size in sizes * (len(body) // max(1, sum(sizes)) + 1):
        if i >= len(body):
            break
        chunk = body[i : i + size]
        parts.append(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        i += size
    assert dechunk(b"".join(parts) + b"0\r\n\r\n") == body


def test_http_head_with_lf_only_and_folded_lines():
    block = b"HTTP/1.0 200\nContent-Type: text/html;\n charset=utf-8\nbroken line\n\n<html>x</html>"
    resp = parse_response(block)
    assert resp is not None and resp.status == 200
    assert resp.charset == "utf-8" and resp.body == b"<html>x</html>"
