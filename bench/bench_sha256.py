"""Benchmark: pipvet.sha256 (CPython's own SHA-256) against hashlib's (OpenSSL's), for the two
kinds of input pipvet hashes, and what importing each costs.

1. Importing: a fresh interpreter that imports ``pipvet.sha256`` against one that imports
   ``hashlib`` (median of --runs whole-process runs, less ``python -c pass``).
2. Short texts, as cache file names and report fingerprints are made of: 60-byte texts, the
   fastest of 5 passes over 20,000.
3. A response body of megabytes (--mb, 34 by default: about the size of an index's JSON
   answers for a large vet), the fastest of 5.

pipvet hashes short texts with ``pipvet.sha256`` and bodies of megabytes with ``hashlib``:
the script prints what each choice saves.

Usage: python bench/bench_sha256.py [--runs 21] [--mb 34]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from _loopback import compile_pipvet

from pipvet.sha256 import sha256


def process_ms(code: str, runs: int) -> float:
    """Median wall time of ``python -c code``, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def fastest(work: Callable[[], object], passes: int = 5) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--mb", type=int, default=34)
    args = ap.parse_args()
    compile_pipvet()
    print(f"CPython's SHA-256: {sha256.__module__}; hashlib: {hashlib.sha256.__module__}")

    # Alternated, so that the machine's load falls on all three alike.
    bare, own, openssl = [], [], []
    for _ in range(args.runs):
        bare.append(process_ms("pass", 1))
        own.append(process_ms("import pipvet.sha256", 1))
        openssl.append(process_ms("import hashlib", 1))
    floor = statistics.median(bare)
    print(f"import, less `python -c pass` ({floor:.1f} ms), medians of {args.runs}: "
          f"pipvet.sha256 {statistics.median(own) - floor:.2f} ms, "
          f"hashlib {statistics.median(openssl) - floor:.2f} ms")  # fmt: skip

    texts = [os.urandom(30).hex().encode() for _ in range(20_000)]
    for label, make in (("pipvet.sha256", sha256), ("hashlib", hashlib.sha256)):
        seconds = fastest(lambda: [make(t).hexdigest() for t in texts])  # noqa: B023
        print(f"20,000 texts of 60 bytes, {label}: {seconds / len(texts) * 1e6:.2f} us each")

    body = os.urandom(args.mb * 1024 * 1024)
    own_s = fastest(lambda: sha256(body).hexdigest())
    openssl_s = fastest(lambda: hashlib.sha256(body).hexdigest())
    print(f"{args.mb} MB body: pipvet.sha256 {own_s:.3f} s, hashlib {openssl_s:.3f} s "
          f"(hashlib {own_s / openssl_s:.1f}x faster)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
