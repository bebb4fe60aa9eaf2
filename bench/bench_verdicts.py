"""Benchmark: how noisy are the verdicts? `pipvet vet` of the 100 most downloaded projects.

These are the packages a data practitioner installs every day; a verdict is only worth acting
on if it is rare here. Goal: at most 10 `review` and no `avoid` among them. The script prints
the count of each verdict and every package that is not `ok`, with the signals that made it so,
so each one can be looked at.

Data: bench/data/index-top100/*.json.gz are the index JSON answers of the top 100 of
../shared/data/top-pypi-packages-30-days.min.json, recorded once on the date in its
RECORDED_AT (trimmed to the fields the signals read). They are served with the popularity list
from a loopback server (bench/_loopback.py); advisories come from ../shared/data/osv. The clock
is fixed on the recording date and the target is an empty virtual environment, so every run
gives the same answer.

Usage: python bench/bench_verdicts.py [--json]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _loopback import LoopbackServer, Request, Response

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RECORDED = ROOT / "bench" / "data" / "index-top100"
MAX_REVIEW = 10


@contextmanager
def loopback_index(unrecorded: set[str]) -> Iterator[str]:
    """The recorded answers; names with none are answered 404 and added to ``unrecorded``."""
    answers = {
        p.name.removesuffix(".json.gz"): gzip.decompress(p.read_bytes())
        for p in RECORDED.glob("*.json.gz")
    }
    popularity = (DATA / "top-pypi-packages-30-days.min.json").read_bytes()

    def respond(request: Request) -> Response:
        body: bytes | None = None
        if request.path == "/top-packages.json":
            body = popularity
        elif request.path.startswith("/pypi/") and request.path.endswith("/json"):
            parts = request.path.strip("/").split("/")
            body = answers.get(parts[1]) if len(parts) == 3 else None
            if body is None and len(parts) == 3:
                unrecorded.add(parts[1])
        if body is None:
            return Response(404, b'{"message": "Not Found"}')
        return Response(200, body, {"Content-Type": "application/json"})

    with LoopbackServer(respond) as server:
        yield server.url


def recorded_on() -> datetime:
    day = (RECORDED / "RECORDED_AT").read_text().split()[0]
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def vet_top(names: list[str], work: Path, url: str) -> dict[str, Any]:
    from pipvet.cli import build_parser
    from pipvet.cli import vet as vet_cli
    from pipvet.cli._common import Output, handle_errors

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "t")], check=True)
    environ = {
        "HOME": str(work),
        "PIPVET_INDEX_URL": url,
        "PIPVET_TOP_PACKAGES_URL": url + "/top-packages.json",
        "PIPVET_OSV_URL": str(DATA / "osv"),
        "PIPVET_CACHE_DIR": str(work / "cache"),
    }
    args = build_parser().parse_args(["vet", *names, "--venv", str(work / "t"), "--format", "json"])
    out, err = io.StringIO(), io.StringIO()
    now = recorded_on().timestamp()
    with handle_errors(Output(out, err)) as status:
        status.code = vet_cli.run(
            args, Output(out, err), environ=environ, cwd=work, clock=lambda: now
        )
    if status.code not in (0, 1):
        raise SystemExit(f"pipvet vet failed (exit {status.code}): {err.getvalue().strip()}")
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the raw vet report too")
    opts = parser.parse_args()
    rows = json.loads((DATA / "top-pypi-packages-30-days.min.json").read_text())["rows"]
    names = [r["project"] for r in rows[:100]]
    missing = [n for n in names if not (RECORDED / f"{n}.json.gz").is_file()]
    if missing:
        print(f"no recorded index answer for: {', '.join(missing)}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="pipvet-bench-verdicts-"))
    try:
        unrecorded: set[str] = set()
        with loopback_index(unrecorded) as url:
            report = vet_top(names, work, url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if opts.json:
        print(json.dumps(report, indent=2))
    packages = report["packages"]
    verdicts = Counter(p["verdict"] for p in packages)
    by_signal = Counter(
        (s["id"], s["level"])
        for p in packages
        for s in p["signals"]
        if s["level"] in ("review", "avoid", "unchecked")
    )
    print(f"pipvet vet of the {len(packages)} most downloaded projects "
          f"(index answers recorded {recorded_on().date()}, clock set to that day)")  # fmt: skip
    print("  verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
    print("  signals that were not ok: " + (
        ", ".join(f"{i} {lv} {n}" for (i, lv), n in by_signal.most_common()) or "none"
    ))  # fmt: skip
    for p in packages:
        if p["verdict"] == "ok":
            continue
        print(f"  {p['verdict']:<9} {p['name']} {p.get('version') or ''}")
        for s in p["signals"]:
            if s["level"] in ("review", "avoid", "unchecked"):
                print(f"      {s['id']} ({s['level']}): {s['message']}")
    if unrecorded:
        print(f"  NOTE: no recorded answer (served as 404): {', '.join(sorted(unrecorded))}")
    review, avoid = verdicts.get("review", 0), verdicts.get("avoid", 0)
    met = review <= MAX_REVIEW and avoid == 0 and verdicts.get("unchecked", 0) == 0
    print(f"  goal: at most {MAX_REVIEW} review, no avoid, none unchecked: "
          f"{'met' if met else 'MISSED'} ({review} review, {avoid} avoid)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
