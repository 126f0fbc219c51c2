"""Every file of ../shared/data/warc-edge and ../shared/data/wet through WarcReader.

Each file: documents out, or a counted error logged with the file name and an offset; the
reader never raises. Per-file expectations come from warc-edge/README.md.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from pathlib import Path

import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.readers.warc import WarcReader
from tests.conftest import SHARED_DATA

EDGE = SHARED_DATA / "warc-edge"
WET = SHARED_DATA / "wet"
ARCHIVES = sorted(p for d in (EDGE, WET) for p in d.iterdir() if p.suffix not in (".md", ".tsv"))
PAGE_SHA_PREFIX = "6e012745402a8494"  # warc-edge/README.md: the page inside every http-* file


def read(path: Path, caplog: pytest.LogCaptureFixture) -> tuple[list[Document], WarcReader]:
    reader = WarcReader(paths=str(path))
    with caplog.at_level(logging.WARNING, logger="fineweb_kit"):
        docs = list(reader.read_file(str(path), TaskContext(stage="test")))
    return docs, reader


def errors(reader: WarcReader) -> dict[str, float]:
    return {k: v for k, v in reader.stats.counters.items() if k.startswith("errors_")}


def logged_offsets(caplog: pytest.LogCaptureFixture, path: Path) -> list[int]:
    msgs = [r.getMessage() for r in caplog.records if path.name in r.getMessage()]
    return [int(m) for msg in msgs for m in re.findall(r"offset (\d+)", msg)]


@pytest.mark.parametrize("path", ARCHIVES, ids=lambda p: p.name)
def test_every_file_gives_documents_or_a_located_error(path, caplog):
    docs, reader = read(path, caplog)
    errs = errors(reader)
    records = sum(reader.stats.hists.get("record_type", {}).values())
    if path.stat().st_size > 20:  # the empty files hold no record at all
        assert records or errs, f"{path.name}: no record read and no error"
    if not docs and not errs:  # every record was counted as skipped or as a non-page type
        skipped = sum(v for k, v in reader.stats.counters.items() if k.startswith("skipped_"))
        pages = {"response", "resource", "conversion"}
        types = reader.stats.hists.get("record_type", {})
        assert skipped == sum(n for t, n in types.items() if t in pages), path.name
    if errs:
        assert len(logged_offsets(caplog, path)) >= sum(errs.values())
    for doc in docs:
        assert doc.text.strip() and doc.id
        assert doc.metadata["warc_filename"] == path.name
        assert doc.url is None or not doc.url.startswith("<")


@pytest.mark.parametrize(
    ("name", "kind", "offset"),
    [
        ("truncated-mid-record.warc.gz", "truncated_gzip", 61090),
        ("corrupt-gzip-member.warc.gz", "corrupt_gzip", 38503),
        ("content-length-too-short.warc", "bad_length", 23057),
        ("content-length-too-long.warc", "bad_length", 23057),
        ("content-length-non-numeric.warc", "bad_header", 23057),
        ("content-length-missing.warc", "bad_header", 23057),
        ("not-a-warc.warc.gz", "not_an_archive", 0),
        ("resiliparse-clipped.warc.gz", "truncated_gzip", 0),
        ("trailing-garbage.warc.gz", "trailing_garbage", 38091),
    ],
)
def test_damage_is_counted_at_its_offset(name, kind, offset, caplog):
    path = EDGE / name
    docs, reader = read(path, caplog)
    assert errors(reader) == {f"errors_{kind}": 1}
    assert logged_offsets(caplog, path) == [offset]
    assert all(d.metadata["warc_offset"] != offset for d in docs), "damaged record emitted"


def test_records_before_and_after_a_corrupt_member_are_kept(caplog):
    docs, _ = read(EDGE / "corrupt-gzip-member.warc.gz", caplog)
    offsets = [d.metadata["warc_offset"] for d in docs]
    assert any(o < 38503 for o in offsets) and any(o >= 41986 for o in offsets)
    intact, _ = read(SHARED_DATA / "warc" / "cc-main-2020-34-excerpt.warc.gz", caplog)
    # only what sat inside the damaged member (same offsets as the intact file) is lost
    lost = {d.id for d in intact} - {d.id for d in docs}
    assert lost == {d.id for d in intact if d.metadata["warc_offset"] == 38503}
    assert len(docs) >= len(intact) - 1


def test_truncated_record_is_not_emitted_but_complete_ones_are(caplog):
    from fastwarc.warc import ArchiveIterator

    path = EDGE / "truncated-mid-record.warc.gz"
    docs, _ = read(path, caplog)
    complete = []
    for rec in ArchiveIterator(str(path), parse_http=False):
        block = rec.reader.read()
        if str(rec.record_type) == "response" and len(block) == rec.content_length:
            complete.append(rec.headers.get("WARC-Record-ID"))
    assert [d.id for d in docs] == complete[: len(docs)]
    assert len(docs) == len(complete)


@pytest.mark.parametrize(
    "name",
    [
        "whole-file-gzip.warc.gz",
        "uncompressed.warc",
        "per-record.warc.zst",
        "record-split-across-gzip-members.warc.gz",
    ],
)
def test_compression_layouts_read_the_same_records(name, caplog):
    ref, _ = read(SHARED_DATA / "warc" / "cc-main-2020-34-excerpt.warc.gz", caplog)
    docs, reader = read(EDGE / name, caplog)
    assert not errors(reader)
    by_id = {d.id: d.text for d in ref}
    assert docs and all(by_id[d.id] == d.text for d in docs)
    if name != "record-split-across-gzip-members.warc.gz":  # that one holds 8 records only
        assert len(docs) == len(ref)


CODINGS = ["chunked", "gzip", "deflate-zlib", "deflate-raw", "brotli", "chunked-gzip"]


@pytest.mark.parametrize("coding", [*CODINGS, "gzip-header-but-plain"])
def test_http_codings_are_undone(coding, caplog):
    docs, _ = read(EDGE / f"http-{coding}.warc.gz", caplog)
    assert len(docs) == 1
    digest = hashlib.sha256(docs[0].text.encode("utf-8")).hexdigest()
    assert digest.startswith(PAGE_SHA_PREFIX)


def test_malformed_http_heads_still_give_all_pages(caplog):
    docs, reader = read(EDGE / "http-headers-malformed.warc.gz", caplog)
    assert len(docs) == 3 and not errors(reader)


def test_only_the_normal_page_of_the_status_code_file(caplog):
    docs, reader = read(EDGE / "http-status-codes.warc.gz", caplog)
    assert len(docs) == 1 and docs[0].metadata["http_status"] == 200
    assert reader.stats.counters["skipped_http_status"] == 4
    keep = WarcReader(paths="x", keep_error_pages=True)
    kept = list(keep.read_file(str(EDGE / "http-status-codes.warc.gz"), TaskContext(stage="t")))
    assert {d.metadata["http_status"] for d in kept} >= {200, 404, 500}


def test_empty_payloads_are_skipped_not_emitted(caplog):
    docs, reader = read(EDGE / "zero-length-payload.warc.gz", caplog)
    assert not docs
    assert (
        reader.stats.counters["skipped_empty"] + reader.stats.counters["skipped_no_http_response"]
        == 4
    )


def test_binary_payloads_never_become_documents(caplog):
    docs, _ = read(EDGE / "non-html-content.warc.gz", caplog)
    assert len(docs) == 2
    assert all("<html" in d.text.lower() or "<!doctype" in d.text.lower() for d in docs)


def test_charset_cases_decode_to_the_expected_words(caplog):
    docs, _ = read(EDGE / "charset-cases.warc.gz", caplog)
    by_url = {d.url: d.text for d in docs}
    with open(EDGE / "charset-cases.tsv", encoding="utf-8") as f:
        cases = list(csv.DictReader(f, delimiter="\t"))
    assert len(cases) == 7
    for case in cases:
        text = by_url[case["warc_target_uri"]]
        assert case["expected_snippet_in_text"] in text, case["case"]
        assert "\ufffd" not in text, case["case"]


def test_chunk_framing_does_not_reach_the_text(caplog):
    docs, _ = read(EDGE / "warcio-example-iana.org-chunked.warc", caplog)
    assert len(docs) == 1
    assert docs[0].text.lstrip().lower().startswith("<!doctype")


def test_wget_angle_brackets_are_stripped(caplog):
    docs, _ = read(EDGE / "warcio-example-wget-bad-target-uri.warc.gz", caplog)
    assert docs and all(d.url and d.url.startswith("http") for d in docs)


def test_arc_pages_match_their_warc_twin(caplog):
    twin, _ = read(
        SHARED_DATA / "warc" / "ukwa-IAH-20080430204825-00000-blackbook-truncated.warc.gz", caplog
    )
    for name in (
        "ukwa-IAH-20080430204825-00000-blackbook-truncated.arc",
        "ukwa-IAH-20080430204825-00000-blackbook-truncated.arc.gz",
    ):
        docs, reader = read(EDGE / name, caplog)
        assert not errors(reader)
        assert sorted((d.url, d.text) for d in docs) == sorted((d.url, d.text) for d in twin)


def test_lenient_warc_headers(caplog):
    docs, reader = read(EDGE / "warc-headers-odd.warc", caplog)
    assert len(docs) == 4 and not errors(reader)
    assert any(" " in (d.url or "") or any(ord(c) > 127 for c in d.url or "") for d in docs)
    lf, _ = read(EDGE / "warc-headers-lf-only.warc", caplog)
    assert len(lf) == 1


def test_wet_conversion_records_are_text_documents(caplog):
    from fastwarc.warc import ArchiveIterator

    for path in sorted(WET.glob("*.wet.gz")):
        docs, reader = read(path, caplog)
        n = sum(1 for r in ArchiveIterator(str(path)) if str(r.record_type) == "conversion")
        assert len(docs) == n and not errors(reader), path.name
        assert all(d.metadata["content_type"] == "text/plain" for d in docs)


def test_dump_comes_from_the_file_name_or_warcinfo(caplog):
    docs, _ = read(SHARED_DATA / "warc" / "cc-main-2020-34-excerpt.warc.gz", caplog)
    assert {d.metadata.get("dump") for d in docs} == {"CC-MAIN-2020-34"}
