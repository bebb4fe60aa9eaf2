"""The one loopback HTTP server the benchmark scripts use, and the helpers they share.

A benchmark that talks to a local server measures the server too. Python's ``http.server`` on
a kept-alive HTTP/1.1 connection writes the headers and the body separately with Nagle's
algorithm on, so the body waits for the client's delayed ACK: about 40 ms per request, which
made every peer that asks one question per package look 10x slower than it is. This server

* sets TCP_NODELAY (``disable_nagle_algorithm``) and answers in one write (``wbufsize = -1``:
  headers and body are buffered and flushed together after each request);
* listens with a backlog of 128, so a burst of concurrent connections is not dropped (a
  dropped SYN costs the client a 1 s retransmit);
* answers on a thread per connection (``ThreadingHTTPServer``);
* can add a fixed latency to every answer (``latency_ms``), to stand in for a real network;
* answers ``GET /_calibrate`` itself, without the added latency, so a script can check the
  instrument before it measures anything (``calibrate``).

Usage::

    def respond(request: Request) -> Response:
        return Response(200, b"...", {"Content-Type": "application/json"})

    with LoopbackServer(respond, latency_ms=30) as server:
        print(calibration_line(server))
        ... server.url ...
"""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

CALIBRATE_PATH = "/_calibrate"
_CALIBRATE_BODY = b"x" * 3000  # about the size of one OSV record


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 drops the SYNs of a larger burst of
    # concurrent connections, and each dropped SYN costs the client a 1 s retransmit.
    request_queue_size = 128
    daemon_threads = True


class LoopbackServer:
    """An HTTP/1.1 server on 127.0.0.1 (a random port) answering with ``respond``.

    ``latency_ms`` is slept before every answer except the calibration path's. ``log`` records
    ``"METHOD path"`` of every request except the calibration ones.
    """

    def __init__(self, respond: Responder, latency_ms: float = 0.0) -> None:
        self.latency_ms = latency_ms
        self.log: list[str] = []
        server = self
        delay = latency_ms / 1000

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one write (buffered, flushed after each request) and
            # TCP_NODELAY is set: otherwise, on a kept-alive connection, Nagle's algorithm
            # holds the body back until the client's delayed ACK, about 40 ms per request.
            disable_nagle_algorithm = True
            wbufsize = -1

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if method == "GET" and self.path == CALIBRATE_PATH:
                    answer = Response(200, _CALIBRATE_BODY)
                else:
                    server.log.append(f"{method} {self.path}")
                    if delay:
                        time.sleep(delay)
                    request = Request(method, self.path, dict(self.headers.items()), body)
                    try:
                        answer = respond(request)
                    except Exception as exc:  # a bug in a benchmark's responder: say so
                        answer = Response(500, f"{type(exc).__name__}: {exc}".encode())
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def time_requests(port: int, path: str, count: int) -> list[float]:
    """Seconds per request of ``count`` GETs of ``path`` on one kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times: list[float] = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            times.append(time.perf_counter() - started)
            if response.status >= 500:
                raise RuntimeError(f"loopback server answered {response.status} to {path}")
    finally:
        conn.close()
    return times


def calibrate(server: LoopbackServer, count: int = 50) -> float:
    """Median seconds per kept-alive GET of a 3 kB body, with no added latency."""
    return statistics.median(time_requests(server.port, CALIBRATE_PATH, count))


def calibration_line(server: LoopbackServer, count: int = 50) -> str:
    median = calibrate(server, count)
    verdict = "ok" if median <= 0.002 else "SLOW: the numbers below measure the server"
    return (
        f"loopback calibration: median {median * 1000:.2f} ms per kept-alive GET "
        f"({count} requests, 3 kB body, 0 ms added): {verdict}"
    )


def compile_pipvet() -> None:
    """Write pipvet's bytecode first, as ``pip install`` does: otherwise a shell that sets
    PYTHONDONTWRITEBYTECODE makes every run recompile whatever was edited since."""
    import compileall

    import pipvet

    compileall.compile_dir(str(Path(pipvet.__file__).parent), quiet=1)


def pipvet_command() -> list[str]:
    """How a user runs pipvet: the ``pipvet`` script that installing it put beside this
    interpreter. ``python -m pipvet`` (the fallback, when there is none) also pays for
    ``runpy`` and the ``-m`` search, about 5 ms a run that no user's ``pipvet audit`` pays."""
    script = Path(sys.executable).with_name("pipvet")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pipvet"]


def instructions(argv: list[str], env: dict[str, str], cwd: Path) -> int | None:
    """Callgrind's count of the CPU instructions of the process ``argv`` (start-up and exit
    included; they do not move with the machine's load), or None when valgrind is missing."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        check=False,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None
