"""A small HTTP proxy in front of an S3 server (:mod:`.local_s3`) that counts requests and
injects faults: it answers some requests with a 500 ``InternalError`` or drops the connection
without an answer, as chosen by a policy function; every other request is forwarded unchanged.
The tests use it for fault injection, ``benchmarks/remote_bench.py`` to count requests."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# (method, path with query, request number) -> None (forward), "500" or "drop"
Policy = Callable[[str, str, int], str | None]

_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
    b"<Message>injected fault</Message></Error>"
)


@contextmanager
def faulty_proxy(upstream: str, policy: Policy) -> Iterator[tuple[str, dict[str, int]]]:
    """Yields the proxy's URL and its counters (``requests``, ``500``, ``drop``)."""
    target = urlsplit(upstream)
    counters = {"requests": 0, "500": 0, "drop": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            with lock:
                counters["requests"] += 1
                n = counters["requests"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            fault = policy(self.command, self.path, n)
            if fault == "drop":
                with lock:
                    counters["drop"] += 1
                self.close_connection = True
                return
            if fault == "500":
                with lock:
                    counters["500"] += 1
                self.send_response(500)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(_ERROR)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(_ERROR)
                return
            conn = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=60
            )
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            skip = ("transfer-encoding", "connection") + (
                () if self.command == "HEAD" else ("content-length",)
            )
            for k, v in resp.getheaders():
                if k.lower() not in skip:
                    self.send_header(k, v)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", counters
    finally:
        server.shutdown()
        server.server_close()
