"""Benchmark: `pipvet update` of a 50-package virtual environment against a local index.

Builds 50 pure-Python wheels (``pvb-pkg-00`` ... ``pvb-pkg-49``; every fifth requires the next
one, so pip has a dependency graph to resolve), serves them as a PEP 691 simple index (JSON
with upload times, PEP 700, and PEP 503 HTML) on bench/_loopback.py's server, with the pip
wheel from tests/.wheels (pip 26.3: it has --uploaded-prior-to and --only-final), and
installs them with that real pip into a fresh virtual environment. The project's
requirements.txt names all 50 with ``>=`` floors; the policy's cooldown is 3 days and every
release is 60 days old. The advisory database is synced from ../shared/data/osv beforehand.

Then, each timed as a separate process (``python -m pipvet update --format json``, start-up
included; CPU time is the child's user + system time; requests are the index's):

* no-op, index answers cached: nothing has a newer release past the cooldown, and pipvet's
  cached index answers are younger than an hour (the run before left them);
* no-op, every project asked again: the same with pipvet's HTTP cache emptied first, as
  when the cached answers have expired;
* one release inside the cooldown (pvb-pkg-20 2.0, one day old, cache emptied): no change;
* one new release: before each run pvb-pkg-07 gets a newer release, 10 days old, and the
  cache is emptied (a release that old was on the index before any cached answer); the run
  must upgrade it.

Goal: a no-op run <= 3 s. ``--src DIR`` runs the pipvet of another source tree (e.g. an
export of an older commit: ``git archive HEAD | tar -x -C /tmp/old``), for before/after
comparisons under the same load.

Usage: python bench/bench_update.py [--runs 5] [--latency 0] [--src DIR]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _loopback import (
    LoopbackServer,
    Request,
    Response,
    calibration_line,
    compile_pipvet,
    pipvet_command,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
COUNT = 50
GOAL_NOOP = 3.0
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def build_wheel(dest: Path, name: str, version: str, requires: list[str]) -> Path:
    module = re.sub(r"[-_.]+", "_", name).lower()
    dist_info = f"{module}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    payload = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": meta.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in payload.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    payload[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    target = dest / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in payload.items():
            zf.writestr(path, data)
    return target


class SimpleIndex:
    """PEP 691 JSON (api-version 1.1, upload-time per file) or PEP 503 HTML over a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.uploaded: dict[str, datetime] = {}

    def add(self, path: Path, age_days: float) -> None:
        self.uploaded[path.name] = datetime.now(UTC) - timedelta(days=age_days)

    def respond(self, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        if path.startswith("/files/"):
            target = self.folder / path[len("/files/") :]
            if target.is_file() and target.parent == self.folder:
                return Response(200, target.read_bytes(), {"Content-Type": "application/zip"})
            return Response(404, b"not found")
        if not path.startswith("/simple/"):
            return Response(404, b"not found")
        name = _norm(path[len("/simple/") :].strip("/"))
        files = [f for f in sorted(self.folder.iterdir()) if _norm(f.name.split("-")[0]) == name]
        if not name or not files:
            return Response(404, b"no such project")
        wants_json = JSON_TYPE in request.headers.get("Accept", "")
        entries: list[dict[str, Any]] = []
        for f in files:
            data = f.read_bytes()
            when = self.uploaded.get(f.name, datetime.now(UTC) - timedelta(days=60))
            entries.append({
                "filename": f.name, "url": f"/files/{f.name}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()}, "size": len(data),
                "upload-time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            })  # fmt: skip
        if wants_json:
            body = {
                "meta": {"api-version": "1.1"},
                "name": name,
                "versions": sorted({f.name.split("-")[1] for f in files}),
                "files": entries,
            }
            return Response(200, json.dumps(body).encode(), {"Content-Type": JSON_TYPE})
        links = "".join(
            f'<a href="{e["url"]}#sha256={e["hashes"]["sha256"]}">'
            f"{html.escape(e['filename'])}</a>\n"
            for e in entries
        )
        return Response(200, f"<html><body>{links}</body></html>".encode(),
                        {"Content-Type": "text/html"})  # fmt: skip


def pip_wheel() -> Path:
    found = sorted((ROOT / "tests" / ".wheels").glob("pip-*.whl"))
    if not found:
        sys.exit("no pip wheel: python -m pip download --no-deps -d tests/.wheels pip")
    return found[-1]


Run = tuple[float, float, int, int, dict[str, Any]]


def run_update(project: Path, env: dict[str, str], log: list[str]) -> Run:
    """(wall s, CPU s of the child, exit code, index requests, parsed JSON)."""
    before_log = len(log)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [*pipvet_command(), "update", "--format", "json"],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    if os.environ.get("BENCH_VERBOSE"):
        for text in proc.stderr.splitlines():
            if "pip not run" in text or "asking pip" in text:
                print(f"    ({text.strip()})")
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        sys.exit(f"pipvet update failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, proc.returncode, len(log) - before_log, result


def main() -> int:  # noqa: PLR0915 - one scenario, in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0, help="ms added to every answer")
    parser.add_argument("--src", type=Path, help="run the pipvet of this source tree")
    opts = parser.parse_args()

    compile_pipvet()
    work = Path(tempfile.mkdtemp(prefix="pipvet-bench-update-"))
    files = work / "index"
    files.mkdir()
    index = SimpleIndex(files)
    wheel = pip_wheel()
    shutil.copy(wheel, files / wheel.name)
    index.add(files / wheel.name, 60)
    names = [f"pvb-pkg-{i:02d}" for i in range(COUNT)]
    for i, name in enumerate(names):
        requires = [f"{names[i + 1]}>=1.0"] if i % 5 == 0 and i + 1 < COUNT else []
        index.add(build_wheel(files, name, "1.0", requires), 60)
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    try:
        with LoopbackServer(index.respond, opts.latency) as server:
            print(calibration_line(server))
            project = work / "project"
            project.mkdir()
            (project / "requirements.txt").write_text(
                "".join(f"{n}>=1.0\n" for n in names), encoding="utf-8"
            )
            (project / "pipvet.toml").write_text("cooldown-days = 3\n", encoding="utf-8")
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(work),
                "PIP_CONFIG_FILE": os.devnull,
                "PIP_INDEX_URL": server.url + "/simple/",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "PIP_CACHE_DIR": str(work / "pip-cache"),
                "PIPVET_CACHE_DIR": str(work / "cache"),
                "PIPVET_INDEX_URL": server.url,  # vetting's JSON API: 404s, nothing is new
                "PIPVET_TOP_PACKAGES_URL": server.url + "/top-packages.json",
                "PIPVET_OSV_URL": str(DATA / "osv"),
            }
            if opts.src is not None:
                env["PYTHONPATH"] = str(opts.src.resolve() / "src")
            venv = project / ".venv"
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
            py = str(venv / "bin" / "python")
            subprocess.run([py, str(wheel / "pip"), "install", "-q", "--no-index", str(wheel)],
                           check=True, env=env)  # fmt: skip
            subprocess.run([py, "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                           check=True, env=env, cwd=project)  # fmt: skip
            subprocess.run([sys.executable, "-m", "pipvet", "db", "sync"], check=True, env=env,
                           capture_output=True)  # fmt: skip
            # First run: fills pipvet's caches (as the folder-open task's earlier runs would).
            run_update(project, env, server.log)

            answers = work / "cache" / "http"  # pipvet's cached index answers

            def expired() -> None:
                shutil.rmtree(answers, ignore_errors=True)  # as if older than an hour

            noop = [run_update(project, env, server.log) for _ in range(opts.runs)]
            noop_asked = []
            for _ in range(opts.runs):
                expired()
                noop_asked.append(run_update(project, env, server.log))
            for r in noop + noop_asked:
                if r[4]["changes"] or r[2] != 0:
                    sys.exit(f"a no-op run changed something or failed (exit {r[2]})")
            index.add(build_wheel(files, names[20], "2.0", []), 1)
            expired()
            inside = run_update(project, env, server.log)
            if inside[4]["changes"]:
                sys.exit("a release inside the cooldown was installed")
            upgraded = []
            for round_ in range(opts.runs):
                version = f"1.{round_ + 1}"
                index.add(build_wheel(files, names[7], version, []), 10)
                expired()
                r = run_update(project, env, server.log)
                changes: list[dict[str, str]] = r[4]["changes"]
                kinds = [(c["name"], c["new"]) for c in changes]
                if kinds != [(names[7], version)]:
                    sys.exit(f"the upgrade run changed {kinds}, not {names[7]} {version}")
                upgraded.append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    src = opts.src or ROOT
    print(f"pipvet update of a {COUNT}-package venv (pipvet from {src}), {opts.latency:g} ms "
          f"per request, medians of {opts.runs} process runs")  # fmt: skip

    def line(label: str, runs: list[Run], goal: float | None = None) -> None:
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        reqs = statistics.median(r[3] for r in runs)
        verdict = f"   goal <= {goal:.1f} s: {'met' if wall <= goal else 'not met'}" if goal else ""
        print(
            f"  {label:<34} {wall:6.3f} s wall  {cpu:6.3f} s CPU  {reqs:5.0f} requests"
            f"  (min {min(r[0] for r in runs):.3f}, max {max(r[0] for r in runs):.3f}){verdict}"
        )

    line("no-op, index answers cached", noop, GOAL_NOOP)
    line("no-op, every project asked again", noop_asked, GOAL_NOOP)
    line("one release inside the cooldown", [inside])
    line("one new release (upgraded)", upgraded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
