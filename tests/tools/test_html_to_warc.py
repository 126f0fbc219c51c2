"""html_to_warc: real pages wrapped into WARC records that other readers read back unchanged."""

from __future__ import annotations

import base64
import hashlib

from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.readers.warc import WarcReader
from fineweb_kit.tools.html_to_warc import main, read_manifest
from tests.conftest import SHARED_DATA as DATA


def test_pages_round_trip_through_fastwarc_and_our_reader(tmp_path):
    out = tmp_path / "pages.warc.gz"
    assert main([str(DATA / "html"), str(out), "--limit", "40"]) == 0
    manifest = read_manifest(DATA / "html")

    from fastwarc.warc import ArchiveIterator, WarcRecordType

    payloads = {}
    for rec in ArchiveIterator(str(out), record_types=WarcRecordType.response, parse_http=True):
        body = rec.reader.read()
        payloads[rec.headers.get("WARC-Target-URI")] = body
        digest = base64.b32encode(hashlib.sha1(body).digest()).decode()
        assert rec.headers.get("WARC-Payload-Digest") == f"sha1:{digest}"
    assert len(payloads) == 40
    expected = {row["url"]: row["raw_sha256"] for row in manifest.values() if row["url"]}
    checked = 0
    for url, body in payloads.items():
        if url in expected:
            assert hashlib.sha256(body).hexdigest() == expected[url]
            checked += 1
    assert checked >= 30

    docs = list(WarcReader(paths=str(out)).read_file(str(out), TaskContext(stage="t")))
    assert len(docs) == 40 and {d.url for d in docs} == set(payloads)
