"""WarcReader against datatrove's WARC record processing (warcio + UTF-8-then-cchardet).

Same pages must come out with the same ids and URLs; the HTML text must be identical wherever
both chose the same charset. Differences by design: we skip non-2xx HTTP statuses (datatrove
keeps them) and choose a declared charset before detection (see fineweb_kit.warc.charset).
"""

from __future__ import annotations

import pytest

from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.readers.warc import WarcReader
from tests.conftest import SHARED_DATA as DATA

FILES = [
    "cc-main-2020-34-excerpt.warc.gz",
    "crafted-ccstyle-00000.warc.gz",
    "dolma-wget-sample-0000.warc.gz",
]


def datatrove_docs(path: str) -> dict[str, dict]:
    import datatrove  # noqa: F401 - a missing oracle must fail, not skip
    from datatrove.pipeline.readers.warc import process_record
    from warcio.archiveiterator import ArchiveIterator

    out = {}
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            data = process_record(record)
            if data:
                out[data["id"]] = data
    return out


@pytest.mark.parametrize("name", FILES)
def test_same_pages_as_datatrove(name):
    path = str(DATA / "warc" / name)
    reader = WarcReader(paths=path, keep_error_pages=True)  # datatrove keeps them too
    ours = {d.id: d for d in reader.read_file(path, TaskContext(stage="t"))}
    theirs = datatrove_docs(path)
    assert set(theirs) <= set(ours)
    # datatrove sniffs pages without a payload type with libmagic, which misses some HTML pages
    # (e.g. one starting with blank lines); ours comes from the HTTP Content-Type
    for rid in set(ours) - set(theirs):
        assert "WARC-Identified-Payload-Type" not in ours[rid].metadata
        assert ours[rid].metadata["content_type"] == "text/html" and "<html" in ours[rid].text
    same_text = 0
    for rid, data in theirs.items():
        doc = ours[rid]
        assert doc.url == data["url"] and doc.metadata["date"] == data["date"]
        if doc.text == data["text"]:
            same_text += 1
        else:  # only a different charset choice may differ, never the bytes we decoded
            assert doc.metadata["charset"] != "utf-8", rid
    assert same_text >= len(theirs) // 2
