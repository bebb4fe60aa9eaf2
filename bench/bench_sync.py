"""Benchmark: how long pipvet takes to sync its advisory database.

Three cases, each run several times on fresh copies, medians printed as a table:

* full sync of the real OSV snapshot (``../shared/data/osv``, read as a local folder);
* full sync of a synthetic 30,000-record archive this script builds from the real records
  (new ids, spread over 6,000 package names), as a local zip;
* incremental sync of 100 changed records over a loopback HTTP server: the database starts as
  a copy of one synced from the snapshot, the server's ``modified_id.csv`` lists 100 revised
  records on top, and the sync fetches exactly those. The server is bench/_loopback.py's
  (TCP_NODELAY, one write per answer; its calibration line is printed first), with
  ``--latency`` ms added to every answer (default 0).

Times are of the ``sync()`` call in this process (no interpreter start-up).
Usage: python bench/bench_sync.py [--runs 5] [--synthetic 30000] [--osv DIR] [--latency MS]
Targets: snapshot <= 2 s, 30,000 records <= 15 s, incremental 100 <= 0.5 s.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _loopback import LoopbackServer, Request, Response, calibration_line

from pipvet.advisories.source import OsvSource
from pipvet.advisories.sync import sync
from pipvet.advisories.sync_model import SyncOutcome
from pipvet.system.http import HttpClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OSV = ROOT.parent / "shared" / "data" / "osv"


def load_records(osv: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(osv / "PyPI" / "all.zip") as z:
        return [json.loads(z.read(n)) for n in z.namelist() if n.endswith(".json")]


def zip_bytes(records: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for r in records:
            z.writestr(f"{r['id']}.json", json.dumps(r))
    return buf.getvalue()


def synthetic(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """``n`` records shaped like real ones: real bodies, new ids, 6,000 package names."""
    out = []
    for i in range(n):
        base = records[i % len(records)]
        rec = dict(base, id=f"PYSEC-9{i:07d}", aliases=[f"CVE-9{i:07d}"])
        affected = []
        for j, entry in enumerate(base.get("affected", [])):
            package = dict(entry.get("package", {}), name=f"synthetic-pkg-{(i + j) % 6000}")
            affected.append(dict(entry, package=package))
        rec["affected"] = affected
        out.append(rec)
    return out


def csv_for(records: list[dict[str, Any]]) -> bytes:
    ordered = sorted(records, key=lambda r: datetime.fromisoformat(r["modified"]), reverse=True)
    return "".join(f"{r['modified']},{r['id']}\n" for r in ordered).encode()


@contextmanager
def bucket_server(
    files: dict[str, bytes], latency_ms: float = 0.0
) -> Iterator[tuple[str, list[str]]]:
    """Serve ``files`` (path -> bytes) on 127.0.0.1, ``latency_ms`` added to every answer;
    yields the base URL and the request log."""
    log: list[str] = []

    def respond(request: Request) -> Response:
        log.append(request.path)
        body = files.get(request.path)
        return Response(200, body) if body is not None else Response(404, b"not found")

    with LoopbackServer(respond, latency_ms) as server:
        print(calibration_line(server))
        yield f"{server.url}/osv", log


def timed(runs: int, prepare: Callable[[Path], None], act: Callable[[Path], SyncOutcome],
          check: Callable[[SyncOutcome], None]) -> list[float]:  # fmt: skip
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="pipvet-bench-") as tmp:
            cache = Path(tmp)
            prepare(cache)
            started = time.perf_counter()
            outcome = act(cache)
            times.append(time.perf_counter() - started)
            check(outcome)
    return times


def expect(action: str, records: int, fetched: int | None = None) -> Callable[[SyncOutcome], None]:
    def check(outcome: SyncOutcome) -> None:
        got = (outcome.action, outcome.snapshot.records, outcome.fetched)
        want = (action, records, outcome.fetched if fetched is None else fetched)
        if got != want:
            sys.exit(f"benchmark sync went wrong: got {got}, expected {want}")

    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=30_000)
    parser.add_argument("--osv", type=Path, default=DEFAULT_OSV)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="ms added to every loopback answer"
    )
    args = parser.parse_args()
    if not (args.osv / "PyPI" / "all.zip").is_file():
        sys.exit(f"no OSV snapshot at {args.osv} (expected PyPI/all.zip)")
    records = load_records(args.osv)
    rows: list[tuple[str, list[float], float]] = []

    def client(cache: Path) -> HttpClient:
        return HttpClient(cache / "http")

    def db(cache: Path) -> Path:
        return cache / "advisories.sqlite3"

    # 1. The real snapshot, from the local folder.
    snapshot = OsvSource.parse(str(args.osv))
    rows.append((
        f"full sync, real snapshot ({len(records):,} records)",
        timed(args.runs, lambda c: None, lambda c: sync(db(c), snapshot, client(c)),
              expect("full", len(records))),
        2.0,
    ))  # fmt: skip

    # 2. A synthetic archive of --synthetic records.
    with tempfile.TemporaryDirectory(prefix="pipvet-bench-data-") as data:
        big = Path(data) / "synthetic.zip"
        big.write_bytes(zip_bytes(synthetic(records, args.synthetic)))
        source = OsvSource.parse(str(big))
        rows.append((
            f"full sync, synthetic zip ({args.synthetic:,} records)",
            timed(max(1, min(args.runs, 3)), lambda c: None,
                  lambda c: sync(db(c), source, client(c)), expect("full", args.synthetic)),
            15.0,
        ))  # fmt: skip

        # 3. 100 revised records over loopback HTTP, on top of a synced snapshot.
        later = datetime(2024, 10, 11, tzinfo=UTC)
        revised = {
            r["id"]: dict(r, modified=(later + timedelta(minutes=i)).isoformat().replace(
                "+00:00", "Z"), summary=f"revised {i}")
            for i, r in enumerate(records[:100])
        }  # fmt: skip
        upstream = [revised.get(r["id"], r) for r in records]
        files = {"/osv/PyPI/all.zip": zip_bytes(records), "/osv/PyPI/modified_id.csv": b""}
        with bucket_server(files, args.latency) as (url, log):
            remote = OsvSource.parse(url)
            baseline = Path(data) / "baseline"
            baseline.mkdir()
            sync(db(baseline), remote, client(baseline))  # the database before the change
            files["/osv/PyPI/all.zip"] = zip_bytes(upstream)
            files["/osv/PyPI/modified_id.csv"] = csv_for(upstream)
            for r in revised.values():
                files[f"/osv/PyPI/{r['id']}.json"] = json.dumps(r).encode()

            def copy_baseline(cache: Path) -> None:
                shutil.copy(db(baseline), db(cache))
                log.clear()

            def check(outcome: SyncOutcome) -> None:
                expect("incremental", len(records), 100)(outcome)
                if len(log) != 101:  # the listing plus one request per changed record
                    sys.exit(f"benchmark incremental sync made {len(log)} requests, not 101")

            rows.append((
                f"incremental sync, 100 changed records (HTTP, +{args.latency:g} ms)",
                timed(args.runs, copy_baseline, lambda c: sync(db(c), remote, client(c)), check),
                0.5,
            ))  # fmt: skip

    print(f"pipvet {__import__('pipvet').__version__} sync benchmark, median of runs "
          f"(Python {sys.version.split()[0]})")  # fmt: skip
    print(f"{'case':<52} {'runs':>4} {'median':>9} {'min':>8} {'target':>8}  ok")
    for name, times, target in rows:
        median = statistics.median(times)
        verdict = "yes" if median <= target else "NO"
        print(f"{name:<52} {len(times):>4} {median:>8.2f}s {min(times):>7.2f}s "
              f"{target:>7.1f}s  {verdict}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
