"""Benchmark: `pipvet audit --path` against pip-audit on the same synthetic environment.

One run, same machine, same advisory data (the OSV snapshot in ../shared/data/osv):

* builds a synthetic site-packages folder of N distributions, half of them at versions the
  snapshot marks affected (taken from the records' ``versions`` lists), half at unaffected ones;
* syncs pipvet's database from the snapshot once (the "warm database" case);
* starts a small loopback OSV query API (``POST /v1/query``) answering from the same snapshot,
  so pip-audit's ``-s osv --osv-url`` is measured without the internet;
* runs both tools alternately several times and prints medians, peak RSS and the ratio.

Usage: python bench/bench_audit.py [--sizes 300,5000] [--runs 5] [--pip-audit PATH]
pip-audit comes from the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OSV = ROOT.parent / "shared" / "data" / "osv"

# Runs a command and reports its wall time and the peak RSS of the child, in one JSON line.
_MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": dt, "rss_kb": rss, "code": p.returncode, "stderr": p.stderr[-400:]}))
"""


def load_snapshot(osv_dir: Path) -> list[dict[str, Any]]:
    records = []
    with zipfile.ZipFile(osv_dir / "PyPI" / "all.zip") as zf:
        for info in zf.infolist():
            if info.filename.endswith(".json"):
                records.append(json.loads(zf.read(info)))
    return records


def pypi_affected(record: dict[str, Any]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for aff in record.get("affected", []):
        pkg = aff.get("package", {})
        if pkg.get("ecosystem") == "PyPI":
            out.append((canonicalize_name(pkg.get("name", "")), list(aff.get("versions", []))))
    return out


def build_site_packages(dest: Path, n: int, records: list[dict[str, Any]], seed: int = 7) -> int:
    """N distributions: half at a version some advisory lists, half at an unaffected one."""
    rng = random.Random(seed)
    affected_versions: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        if rec.get("withdrawn"):
            continue
        for name, versions in pypi_affected(rec):
            affected_versions[name].update(versions)
    names = sorted(n for n, v in affected_versions.items() if v)
    rng.shuffle(names)
    vulnerable = names[: n // 2]
    dists: list[tuple[str, str]] = []
    for name in vulnerable:
        dists.append((name, rng.choice(sorted(affected_versions[name]))))
    # The other half: names with no advisories at all, at ordinary versions.
    filler_needed = n - len(dists)
    i = 0
    while filler_needed > 0:
        name = f"benchpkg-{i:05d}"
        i += 1
        if name in affected_versions:
            continue
        dists.append((name, f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"))
        filler_needed -= 1
    dest.mkdir(parents=True, exist_ok=True)
    for name, version in dists:
        info = dest / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n", encoding="utf-8"
        )
        (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
        (info / "RECORD").write_text("", encoding="utf-8")
    return len(vulnerable)


class OsvQueryApi:
    """Just enough of the OSV query API for pip-audit: POST {package, version} -> {vulns}."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in records:
            for name, _versions in pypi_affected(rec):
                self.by_name[name].append(rec)
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                query = json.loads(self.rfile.read(length))
                body = json.dumps(api.answer(query)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/query"

    def answer(self, query: dict[str, Any]) -> dict[str, Any]:
        name = canonicalize_name(query["package"]["name"])
        try:
            version = Version(query["version"])
        except InvalidVersion:
            return {}
        vulns = []
        for rec in self.by_name.get(name, []):
            for aff_name, versions in pypi_affected(rec):
                if aff_name != name:
                    continue
                listed = set()
                for v in versions:
                    try:
                        listed.add(Version(v))
                    except InvalidVersion:
                        continue
                if version in listed:
                    vulns.append(rec)
                    break
        return {"vulns": vulns} if vulns else {}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, env=env, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def find_pip_audit(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("pip-audit")
    if beside.exists():
        return str(beside)
    return shutil.which("pip-audit")


def compile_pipvet() -> None:
    """Write pipvet's bytecode first, as ``pip install`` does: otherwise a shell that sets
    PYTHONDONTWRITEBYTECODE makes every run recompile whatever was edited since."""
    import compileall

    import pipvet

    compileall.compile_dir(str(Path(pipvet.__file__).parent), quiet=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="300,5000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--osv", type=Path, default=DEFAULT_OSV)
    ap.add_argument("--pip-audit", dest="pip_audit")
    ap.add_argument(
        "--pip-audit-max",
        type=int,
        default=300,
        help="skip pip-audit above this many packages (it queries one by one)",
    )
    args = ap.parse_args()

    compile_pipvet()
    records = load_snapshot(args.osv)
    pip_audit = find_pip_audit(args.pip_audit)
    pipvet = [sys.executable, "-m", "pipvet"]
    with tempfile.TemporaryDirectory(prefix="pipvet-bench-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env |= {
            "PIPVET_CACHE_DIR": str(work / "cache"),
            "PIPVET_OSV_URL": str(args.osv),
            "PIP_AUDIT_CACHE": str(work / "pa-cache"),
            "NO_COLOR": "1",
        }
        sync_times = []
        for _ in range(3):
            shutil.rmtree(work / "cache", ignore_errors=True)
            t = time.perf_counter()
            subprocess.run(
                [*pipvet, "db", "sync", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL
            )
            sync_times.append(time.perf_counter() - t)
        print(
            f"full sync of the snapshot ({len(records)} records, CLI wall time incl. start-up):"
            f" median {statistics.median(sync_times):.2f} s"
        )
        api = OsvQueryApi(records)
        try:
            for n in (int(s) for s in args.sizes.split(",")):
                site = work / f"site-{n}"
                vulnerable = build_site_packages(site, n, records)
                pv_cmd = [
                    *pipvet,
                    "audit",
                    "--path",
                    str(site),
                    "--offline",
                    "--format",
                    "json",
                    "--allow-unchecked",
                ]
                pa_cmd = None
                if pip_audit and n <= args.pip_audit_max:
                    pa_cmd = [
                        pip_audit,
                        "--path",
                        str(site),
                        "-s",
                        "osv",
                        "--osv-url",
                        api.url,
                        "--progress-spinner",
                        "off",
                        "--format",
                        "json",
                        "--cache-dir",
                        str(work / "pa-cache"),
                    ]
                pv_runs, pa_runs = [], []
                for _ in range(args.runs):
                    pv_runs.append(measure(pv_cmd, env))
                    if pa_cmd:
                        pa_runs.append(measure(pa_cmd, env))
                pv_t = statistics.median(r["seconds"] for r in pv_runs)
                pv_rss = max(r["rss_kb"] for r in pv_runs) / 1024
                codes = {r["code"] for r in pv_runs}
                line = (
                    f"{n:>6} packages ({vulnerable} vulnerable): pipvet median {pv_t:.3f} s, "
                    f"peak RSS {pv_rss:.1f} MB, exit {sorted(codes)}"
                )
                if pa_runs:
                    pa_t = statistics.median(r["seconds"] for r in pa_runs)
                    pa_rss = max(r["rss_kb"] for r in pa_runs) / 1024
                    line += (
                        f"; pip-audit median {pa_t:.3f} s, peak RSS {pa_rss:.1f} MB; "
                        f"ratio {pa_t / pv_t:.1f}x faster"
                    )
                print(line)
                if 2 in codes or 0 in codes:
                    print("  pipvet stderr:", pv_runs[-1]["stderr"])
        finally:
            api.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
