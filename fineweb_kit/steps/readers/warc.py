"""WarcReader: web archives (WARC, ARC, WET) -> one document per HTML page or WET text record.

What: reads ``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``, ``.wet``, ``.wet.gz``, ``.warc.zst``
and lz4 files; the compression comes from the magic bytes, not the name (gzip per record, whole
file gzip, zstd frames, lz4). A document is made from:

* a ``response`` (or an HTML ``resource``) whose payload is HTML, judged like datatrove: by
  ``WARC-Identified-Payload-Type`` when present (``text/html`` / ``application/xhtml+xml``; what
  Common Crawl sets from content sniffing), else the HTTP ``Content-Type``, else by sniffing the
  body's start. Its text is the decoded HTML (an extractor step turns it into text): chunked
  transfer coding and ``Content-Encoding`` (gzip, deflate, br, zstd) undone, charset chosen as
  in :mod:`fineweb_kit.warc.charset` (counted in the ``charset`` histogram as bom / utf8 /
  http / meta / detected / replaced; ``charset_replaced`` also counts the last);
* a WET ``conversion`` record (``text/plain``): its text as is.

``id`` = WARC-Record-ID, ``url`` = WARC-Target-URI without wget's ``<...>``; metadata: ``date``
(WARC-Date), ``dump`` (the ``dump`` argument, else the ``CC-MAIN-YYYY-WW`` in the file name or
the warcinfo ``isPartOf``), ``warc_filename``, ``warc_offset`` (record or gzip-member offset),
``content_type``, ``charset``, ``http_status``.

Skipped and counted (``skipped_<why>``), never documents: other record types (request,
metadata, warcinfo, revisit, continuation, unknown), segmented records, non-HTML payloads,
empty bodies, and HTTP statuses outside 2xx. The last one differs from datatrove, which never
looks at the status and so emits 404/500 error pages as documents; pass
``keep_error_pages: true`` to do the same.

Damage (``errors_<kind>``, each logged with the file and byte offset): truncated records and gzip
members, corrupt gzip data (reading resumes at the next intact member), wrong or missing
Content-Length (resumes at the next ``WARC/`` line), trailing garbage, files that are no
archive. Records before the damage are always kept, a damaged record never becomes a document,
and ``read_file`` returns normally: the task goes on with its next file.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from typing import Any

from fineweb_kit.document import Document
from fineweb_kit.exceptions import StorageError
from fineweb_kit.io import storage
from fineweb_kit.steps.base import Reader, TaskContext
from fineweb_kit.warc.charset import decode_html, decode_text
from fineweb_kit.warc.http import HttpResponse, charset_param, parse_response
from fineweb_kit.warc.records import RawRecord, is_arc, iter_arc, iter_warc
from fineweb_kit.warc.source import ArchiveStream, open_events

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_DUMP = re.compile(r"CC-MAIN-\d{4}-\d{2}")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b")
_HTML_SNIFF = re.compile(
    rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title)", re.I | re.S
)


class WarcReader(Reader):
    """Reads WARC / ARC / WET files into HTML (or WET text) documents; damage is counted.

    ``dump``: value of ``metadata["dump"]`` (default: found in the file name or warcinfo).
    ``keep_error_pages``: also emit pages with an HTTP status outside 2xx (datatrove does).
    """

    requires = (("warcio", "warcio"), ("cchardet", "faust-cchardet"), ("brotli", "brotli"))

    def __init__(
        self,
        paths: str | list[str],
        limit: int = -1,
        batch_size: int = 256,
        dump: str | None = None,
        keep_error_pages: bool = False,
    ) -> None:
        super().__init__(paths, limit=limit, batch_size=batch_size)
        self.dump = dump
        self.keep_error_pages = keep_error_pages

    def read_file(self, path: str, ctx: TaskContext) -> Iterator[Document]:
        name = os.path.basename(path)

        def report(kind: str, offset: int, message: str) -> None:
            if kind.startswith("warc_"):
                self.stats.add(kind)
                return
            self.stats.add(f"errors_{kind}")
            ctx.log.warning("%s: %s (offset %d)", path, message, offset)

        try:
            compression, events, f = open_events(path)
        except OSError as e:
            report("io", 0, f"cannot open: {e}")
            return
        with f, contextlib.ExitStack() as arc_file:
            stream = ArchiveStream(events, by_member=compression == "gzip")
            try:
                if not is_arc(stream):
                    records = iter_warc(stream, report)
                elif compression in ("gzip", "none"):  # warcio reads these from the raw file
                    raw = arc_file.enter_context(storage.open_read(path))
                    records = iter_arc(raw, report)
                else:
                    records = iter_arc(stream, report)
                dump = self.dump or _dump_from(name)
                for rec in records:
                    self.stats.observe("record_type", rec.type or "none")
                    if rec.type == "warcinfo" and dump is None:
                        dump = _dump_from(rec.block.decode("utf-8", "replace"))
                    doc = self._document(rec, name, dump)
                    if doc is not None:
                        yield doc
            except StorageError:  # remote storage failing is not damage: the file fails
                raise
            except Exception as e:  # a bug or a library failure must not end the task
                report("unexpected", stream.offset_of(stream.pos), f"{type(e).__name__}: {e}")

    def _document(self, rec: RawRecord, name: str, dump: str | None) -> Document | None:
        kind = rec.type
        if kind not in ("response", "resource", "conversion"):
            return None
        if "warc-segment-number" in rec.headers:
            return self._skip("segmented")
        if kind == "conversion":
            return self._wet_document(rec, name, dump)
        if kind == "response":
            resp = parse_response(rec.block)
            if resp is None:
                return self._skip("no_http_response")
            return self._html_document(rec, resp, name, dump)
        resp = HttpResponse(200, {"content-type": rec.headers.get("content-type", "")}, rec.block)
        return self._html_document(rec, resp, name, dump)

    def _count_charset(self, how: str) -> None:
        self.stats.observe("charset", how)
        if how == "replaced":  # no charset decoded the bytes cleanly: U+FFFD in the text
            self.stats.add("charset_replaced")

    def _skip(self, why: str) -> Document | None:
        """Counts a skipped record; returns None (no document) for ``return self._skip(...)``."""
        self.stats.add(f"skipped_{why}")
        return None

    def _html_document(
        self, rec: RawRecord, resp: HttpResponse, name: str, dump: str | None
    ) -> Document | None:
        for note in resp.notes:
            self.stats.add(note)
        if not 200 <= resp.status < 300 and not self.keep_error_pages:
            return self._skip("http_status")
        if not resp.body.strip():
            return self._skip("empty")
        mime = _payload_type(rec, resp)
        if mime is None:
            return self._skip("not_html")
        text, charset, how = decode_html(resp.body, resp.charset)
        self._count_charset(how)
        meta = _metadata(rec, name, dump, mime, charset)
        meta["http_status"] = resp.status
        return _make(rec, text, meta)

    def _wet_document(self, rec: RawRecord, name: str, dump: str | None) -> Document | None:
        if not rec.block.strip():
            return self._skip("empty")
        ctype = rec.headers.get("content-type", "text/plain")
        text, charset, how = decode_text(rec.block)
        self._count_charset(how)
        return _make(rec, text, _metadata(rec, name, dump, ctype.split(";")[0].strip(), charset))


def _payload_type(rec: RawRecord, resp: HttpResponse) -> str | None:
    """The page's media type if it is HTML, else None (see the module docstring)."""
    identified = rec.headers.get("warc-identified-payload-type", "").split(";")[0].strip().lower()
    if identified:
        return identified if identified in HTML_TYPES else None
    if resp.body.lstrip()[:8].startswith(_BINARY_MAGIC):
        return None
    declared = resp.mime
    if declared in HTML_TYPES:
        return declared
    if declared in ("", "application/octet-stream", "text/plain", "unknown/unknown"):
        return "text/html" if _HTML_SNIFF.match(resp.body[:1024]) else None
    return None


def _metadata(
    rec: RawRecord, name: str, dump: str | None, ctype: str, charset: str
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "date": rec.headers.get("warc-date"),
        "warc_filename": name,
        "warc_offset": rec.offset,
        "content_type": ctype,
        "charset": charset,
    }
    if dump:
        meta["dump"] = dump
    return meta


def _make(rec: RawRecord, text: str, meta: dict[str, Any]) -> Document:
    url = rec.headers.get("warc-target-uri", "").strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].strip()
    rid = rec.headers.get("warc-record-id") or f"{meta['warc_filename']}@{rec.offset}"
    return Document(text=text, id=rid, url=url or None, metadata=meta)


def _dump_from(text: str) -> str | None:
    m = _DUMP.search(text)
    return m.group(0) if m else None


# Re-exported for tests and tools that parse a Content-Type themselves.
__all__ = ["HTML_TYPES", "WarcReader", "charset_param"]
