"""Benchmark: `pipvet vet` of 25 packages against a loopback index that adds 50 ms per request.

The index serves the recorded real answers in ../shared/data/pypi (with ETags, so a warm run
can revalidate) and the popularity list; every other name is a 404, also after the delay.
Each round:

* cold: an empty cache folder (no index answers, no popularity list, no target facts); the
  advisory database is synced beforehand, because it is shared with `pipvet audit` and kept
  fresh on its own schedule (its own sync is timed by bench_sync.py);
* warm: the same command again on the cache the cold run left.

Both are timed in-process (the command itself, as `pipvet.cli.main` runs it) and as a separate
process (`python -m pipvet vet ...`, which adds the interpreter's start-up and imports).
Targets: cold <= 3 s, warm <= 0.3 s. Prints medians over --runs rounds.

Usage: python bench/bench_vet.py [--runs 5] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PACKAGES = [
    "boto3", "requests", "urllib3", "certifi", "idna", "charset-normalizer", "numpy",
    "pandas", "python-dateutil", "pytz", "tzdata", "six", "colorama", "typing-extensions",
    "packaging", "attrs", "pydantic", "pydantic-core", "fastapi", "black", "scikit-learn",
    "matplotlib", "jellyfish", "pycrypto", "left-pad",
]  # fmt: skip


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@contextmanager
def loopback_index(latency: float) -> Iterator[tuple[str, list[str]]]:
    answers = {
        p.name.removesuffix(".json.gz"): gzip.decompress(p.read_bytes())
        for p in (DATA / "pypi").glob("*.json.gz")
    }
    popularity = (DATA / "top-pypi-packages-30-days.min.json").read_bytes()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.path)
            time.sleep(latency)
            body: bytes | None = None
            if self.path == "/top-packages.json":
                body = popularity
            elif self.path.startswith("/pypi/") and self.path.endswith("/json"):
                body = answers.get(self.path.split("/")[2])
            if body is None:
                self._reply(404, b'{"message": "Not Found"}', {})
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._reply(304, b"", {"ETag": etag})
            else:
                self._reply(200, body, {"ETag": etag, "Content-Type": "application/json"})

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def in_process(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    from pipvet.cli import main
    from pipvet.cli._common import Output

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        start = time.perf_counter()
        code = main(argv, Output(io.StringIO(), io.StringIO()))
        return time.perf_counter() - start, code
    finally:
        os.environ.clear()
        os.environ.update(saved)


def as_process(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipvet", *argv], env=env, capture_output=True, check=False
    )
    return time.perf_counter() - start, proc.returncode


def compile_pipvet() -> None:
    """Write pipvet's bytecode first, as ``pip install`` does: otherwise a shell that sets
    PYTHONDONTWRITEBYTECODE makes every run recompile whatever was edited since."""
    import compileall

    import pipvet

    compileall.compile_dir(str(Path(pipvet.__file__).parent), quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05)
    opts = parser.parse_args()

    compile_pipvet()
    work = Path(tempfile.mkdtemp(prefix="pipvet-bench-vet-"))
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(work / "target")], check=True
        )
        with loopback_index(opts.latency) as (url, seen):
            base_env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(work),
                "PIPVET_INDEX_URL": url,
                "PIPVET_TOP_PACKAGES_URL": url + "/top-packages.json",
                "PIPVET_OSV_URL": str(DATA / "osv"),
            }
            advisories = work / "advisories"
            argv = ["vet", *PACKAGES, "--venv", str(work / "target"), "--format", "json"]
            # Sync the advisory database once; every round starts from a copy of it.
            in_process(argv, {**base_env, "PIPVET_CACHE_DIR": str(advisories)})
            keep = {"advisories.sqlite3"}
            for entry in advisories.iterdir():
                if entry.name not in keep:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

            timings: dict[str, list[float]] = {
                k: [] for k in ("cold", "warm", "cold process", "warm process")
            }
            requests_cold = 0
            for round_ in range(opts.runs):
                for mode, runner in (("", in_process), (" process", as_process)):
                    cache = work / f"cache-{round_}{mode.strip()}"
                    shutil.copytree(advisories, cache)
                    env = {**base_env, "PIPVET_CACHE_DIR": str(cache)}
                    before = len(seen)
                    cold, code = runner(argv, env)
                    if mode == "":
                        requests_cold = len(seen) - before
                    warm, code2 = runner(argv, env)
                    if code not in (0, 1) or code2 not in (0, 1):
                        print(f"pipvet vet failed (exit {code}/{code2})", file=sys.stderr)
                        return 2
                    timings["cold" + mode].append(cold)
                    timings["warm" + mode].append(warm)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"pipvet vet of {len(PACKAGES)} packages, {opts.latency * 1000:.0f} ms per request, "
          f"{opts.runs} rounds (medians)")  # fmt: skip
    print(f"  index requests in a cold run: {requests_cold}")
    for name, values in timings.items():
        median = statistics.median(values)
        target = 3.0 if name.startswith("cold") else 0.3
        verdict = "met" if median <= target else "MISSED"
        print(
            f"  {name:<13} {median:6.3f} s   min {min(values):.3f}  max {max(values):.3f}"
            f"   (target <= {target:.1f} s: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
