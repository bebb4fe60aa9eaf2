"""A real HTTP server on 127.0.0.1 for tests: routes map a path to a handler.

Handlers receive the request and return a ``Reply``. Every request is recorded so tests can
assert what was (and was not) fetched, including conditional-request headers.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Announce this Content-Length instead of len(body); a larger value plus closing the
    # connection simulates an answer cut short in transit.
    content_length: int | None = None


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    # Clients fire dozens of concurrent requests; with the default backlog of 5 the kernel
    # drops connections and each dropped one costs the client a one-second SYN retry.
    request_queue_size = 128

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        # A client that hangs up before the reply is written (pipvet stops reading past its
        # size cap or deadline, as tests ask it to) is no server error: no traceback for it.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.prefix_routes: list[tuple[str, Callable[[Request, str], Reply]]] = []
        self.requests: list[Request] = []
        self.latency = 0.0
        # How many requests were being answered at once, at most: tests assert concurrency
        # with this instead of with wall-clock time, which a busy machine makes unreliable.
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one write (buffered, flushed after each request) and
            # TCP_NODELAY is set: otherwise, on a kept-alive connection, Nagle's algorithm
            # holds the body back until the client's delayed ACK, about 40 ms per request.
            disable_nagle_algorithm = True
            wbufsize = -1

            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def _serve(self, method: str) -> None:
                req = Request(method, self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.requests.append(req)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server._dispatch(req)
                    delay = reply.delay + server.latency
                    if delay:
                        time.sleep(delay)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                length = len(reply.body) if reply.content_length is None else reply.content_length
                self.send_header("Content-Length", str(length))
                if length != len(reply.body):
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = _Server(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        # A short poll interval so shutdown() (every test teardown) returns quickly.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, handler: Handler | Reply | bytes) -> None:
        if isinstance(handler, bytes):
            body = handler
            self.routes[path] = lambda _r: Reply(body=body)
        elif isinstance(handler, Reply):
            fixed = handler
            self.routes[path] = lambda _r: fixed
        else:
            self.routes[path] = handler

    def route_prefix(self, prefix: str, handler: Callable[[Request, str], Reply]) -> None:
        """``handler(request, rest_of_path)`` for every path under ``prefix``."""
        self.prefix_routes.append((prefix, handler))

    def serve_dir(self, prefix: str, directory: Path) -> None:
        root = directory.resolve()

        def handler(_req: Request, rest: str) -> Reply:
            target = (root / rest).resolve()
            if not target.is_relative_to(root) or not target.is_file():
                return Reply(404, b"not found")
            return Reply(200, target.read_bytes())

        self.route_prefix(prefix, handler)

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def _dispatch(self, req: Request) -> Reply:
        path = req.path.split("?", 1)[0]
        if path in self.routes:
            return self.routes[path](req)
        for prefix, handler in self.prefix_routes:
            if path.startswith(prefix):
                return handler(req, path[len(prefix) :])
        return Reply(404, b"not found")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
