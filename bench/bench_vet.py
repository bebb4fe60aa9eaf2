"""Benchmark: `pipvet vet` of 25 packages against a loopback index that adds 50 ms per request.

The index serves the recorded real answers in ../shared/data/pypi (with ETags, so a warm run
can revalidate) and the popularity list; every other name is a 404, also after the delay. It is
bench/_loopback.py's server (TCP_NODELAY, one write per answer); its calibration line is
printed first.

Only project documents (``/pypi/NAME/json``) are recorded. A per-release URL
(``/pypi/NAME/VERSION/json``, which a vet asks for a release older than the newest, here
numpy's and pydantic-core's) is answered as the index shapes it, derived from the project
document: no "releases" (pipvet would otherwise parse the whole history a second time),
"urls" that release's files, "info" the newest release's with "version", "release_url" and
"yanked" of that release; its other "info" fields (requirements among them) were not
recorded for that release, so they are the newest release's. "vulnerabilities" is left out
(it is the newest release's). A version the project does not list is a 404, as on the index.
Each round:

* cold: an empty cache folder (no index answers, no popularity list, no target facts); the
  advisory database is synced beforehand, because it is shared with `pipvet audit` and kept
  fresh on its own schedule (its own sync is timed by bench_sync.py);
* warm: the same command again on the cache the cold run left.

Both are timed in-process (the command itself, as `pipvet.cli.main` runs it) and as a separate
process (the installed `pipvet` script, as a user runs it, which adds the interpreter's
start-up and imports).
Targets: cold <= 1.0 s, warm <= 0.15 s. Prints medians over --runs rounds, the CPU time of
each (process-wide: it includes the loopback server's threads in-process), the load average,
and the cold run's longest chain of requests each waiting for the one before (how many times the
added latency is paid in a row).

Usage: python bench/bench_vet.py [--runs 5] [--latency 50] [--instructions]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _loopback import (
    LoopbackServer,
    Request,
    Response,
    calibration_line,
    compile_pipvet,
    instructions,
    pipvet_command,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PACKAGES = [
    "boto3", "requests", "urllib3", "certifi", "idna", "charset-normalizer", "numpy",
    "pandas", "python-dateutil", "pytz", "tzdata", "six", "colorama", "typing-extensions",
    "packaging", "attrs", "pydantic", "pydantic-core", "fastapi", "black", "scikit-learn",
    "matplotlib", "jellyfish", "pycrypto", "left-pad",
]  # fmt: skip
CPU: list[float] = []  # CPU seconds of each timed run, in order


@contextmanager
def loopback_index(latency_ms: float) -> Iterator[tuple[str, list[float]]]:
    answers = {
        p.name.removesuffix(".json.gz"): gzip.decompress(p.read_bytes())
        for p in (DATA / "pypi").glob("*.json.gz")
    }
    popularity = (DATA / "top-pypi-packages-30-days.min.json").read_bytes()
    per_release: dict[tuple[str, str], bytes | None] = {}  # made when first asked for
    answered: list[float] = []  # when each index request was answered

    def respond(request: Request) -> Response:
        answered.append(time.perf_counter())
        body: bytes | None = None
        if request.path == "/top-packages.json":
            body = popularity
        elif request.path.startswith("/pypi/") and request.path.endswith("/json"):
            parts = request.path.split("/")  # "", "pypi", NAME, [VERSION,] "json"
            if len(parts) == 4:
                body = answers.get(parts[2])
            elif len(parts) == 5 and parts[2] in answers:
                key = (parts[2], parts[3])
                if key not in per_release:
                    per_release[key] = release_document(answers[parts[2]], parts[3])
                body = per_release[key]
        if body is None:
            return Response(404, b'{"message": "Not Found"}')
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Response(304, b"", {"ETag": etag})
        return Response(200, body, {"ETag": etag, "Content-Type": "application/json"})

    with LoopbackServer(respond, latency_ms) as server:
        print(calibration_line(server))
        yield server.url, answered


def release_document(project: bytes, version: str) -> bytes | None:
    """The per-release answer for ``version`` made from the recorded project answer (see the
    module's docstring for what is derived and what is the newest release's); None when the
    project lists no such release."""
    doc = json.loads(project)
    files = doc["releases"].get(version)
    if files is None:
        return None
    info = dict(doc["info"])
    info["release_url"] = str(info.get("release_url") or "").replace(
        f"/{info['version']}/", f"/{version}/"
    )
    info["version"] = version
    info["yanked"] = bool(files) and all(f.get("yanked") for f in files)
    kept = {k: v for k, v in doc.items() if k not in ("releases", "vulnerabilities")}
    return json.dumps({**kept, "info": info, "urls": files}).encode()


def rounds(answered: list[float], latency_ms: float) -> int:
    """The longest chain of requests each started after the one before was answered: how
    many times the added latency is paid in a row. A request started ``latency_ms`` before
    it was answered; half that again is allowed for the server's threads starting late on a
    loaded machine (a request of the same wave must not count as a step)."""
    depth: list[tuple[float, int]] = []  # (answered at, chain length), in answer order
    for end in sorted(answered):
        start = end - 1.5 * latency_ms / 1000
        depth.append((end, 1 + max((d for e, d in depth if e <= start), default=0)))
    return max((d for _, d in depth), default=0)


def in_process(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    from pipvet.cli import main
    from pipvet.cli._common import Output

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        code = main(argv, Output(io.StringIO(), io.StringIO()))
        CPU.append(time.process_time() - cpu)
        return time.perf_counter() - start, code
    finally:
        os.environ.clear()
        os.environ.update(saved)


def as_process(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start, before = time.perf_counter(), os.times()
    proc = subprocess.run([*pipvet_command(), *argv], env=env, capture_output=True, check=False)
    after = os.times()
    CPU.append(
        after.children_user + after.children_system - before.children_user - before.children_system
    )
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=50.0, help="ms added to every answer")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the CPU instructions of one cold and one warm process (callgrind)",
    )
    opts = parser.parse_args()

    compile_pipvet()
    load_before = os.getloadavg()
    counted: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="pipvet-bench-vet-"))
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(work / "target")], check=True
        )
        # Every run looks for a policy from its working folder up: run in the bench's own
        # folder, so that the numbers do not depend on where the script is started (in
        # pipvet's checkout a vet parsed pipvet's own pyproject.toml, tomllib imported for it).
        with loopback_index(opts.latency) as (url, seen), contextlib.chdir(work):
            base_env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(work),
                "PIPVET_INDEX_URL": url,
                "PIPVET_TOP_PACKAGES_URL": url + "/top-packages.json",
                "PIPVET_OSV_URL": str(DATA / "osv"),
                # Passed on, so that another checkout can be timed side by side with this one.
                **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
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
            cpu: dict[str, list[float]] = {k: [] for k in timings}
            requests_cold = 0
            chains: list[int] = []
            for round_ in range(opts.runs):
                for mode, runner in (("", in_process), (" process", as_process)):
                    cache = work / f"cache-{round_}{mode.strip()}"
                    shutil.copytree(advisories, cache)
                    env = {**base_env, "PIPVET_CACHE_DIR": str(cache)}
                    before = len(seen)
                    cold, code = runner(argv, env)
                    if mode == "":
                        requests_cold = len(seen) - before
                        chains.append(rounds(seen[before:], opts.latency))
                    warm, code2 = runner(argv, env)
                    if code not in (0, 1) or code2 not in (0, 1):
                        print(f"pipvet vet failed (exit {code}/{code2})", file=sys.stderr)
                        return 2
                    timings["cold" + mode].append(cold)
                    timings["warm" + mode].append(warm)
                    cpu["cold" + mode].append(CPU[-2])
                    cpu["warm" + mode].append(CPU[-1])
            if opts.instructions:
                counted = cold_and_warm(argv, base_env, advisories, work / "cache-instructions")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print_results(
        opts, timings=timings, cpu=cpu, requests_cold=requests_cold, chains=chains,
        load_before=load_before,
    )  # fmt: skip
    if counted:
        print(
            "  CPU instructions (callgrind, whole process, `python -m pipvet`): "
            + ", ".join(f"{k} {v / 1e6:,.0f} million" for k, v in counted.items())
        )
    print_floors(opts.latency, max(chains))
    return 0


def print_results(
    opts: argparse.Namespace,
    *,
    timings: dict[str, list[float]],
    cpu: dict[str, list[float]],
    requests_cold: int,
    chains: list[int],
    load_before: tuple[float, float, float],
) -> None:
    print(f"pipvet vet of {len(PACKAGES)} packages, {opts.latency:g} ms per request, "
          f"{opts.runs} rounds (medians)")  # fmt: skip
    load = os.getloadavg()
    print(
        f"  load average {load_before[0]:.1f} before, {load[0]:.1f} after, "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"  index requests in a cold run: {requests_cold}, the longest chain of them one after "
        f"another: {min(chains)}-{max(chains)} over the rounds"
    )
    for name, values in timings.items():
        median = statistics.median(values)
        target = 1.0 if name.startswith("cold") else 0.15
        verdict = "met" if median <= target else "MISSED"
        print(
            f"  {name:<13} {median:6.3f} s   min {min(values):.3f}  max {max(values):.3f}"
            f"   CPU {statistics.median(cpu[name]):.3f} s   (target <= {target:g} s: {verdict})"
        )


def cold_and_warm(
    argv: list[str], env: dict[str, str], advisories: Path, cache: Path
) -> dict[str, float]:
    """Callgrind's count of a cold process (``advisories``, the synced database, copied to an
    empty ``cache``) and of the warm one after it; instructions do not move with the load."""
    shutil.copytree(advisories, cache)
    counted: dict[str, float] = {}
    for name in ("cold", "warm"):
        run = [sys.executable, "-m", "pipvet", *argv]
        found = instructions(run, {**env, "PIPVET_CACHE_DIR": str(cache)}, Path.cwd())
        counted[name] = float("nan") if found is None else float(found)
    return counted


def print_floors(latency_ms: float, chain: int) -> None:
    """What no vet written in Python can go below, measured here: the bare interpreter, then,
    cold, decoding the recorded answers once and waiting for the longest chain of requests.
    Also what packaging's requirement grammar costs to import, which a warm vet paid until it
    read the common Requires-Dist forms itself. Medians of 11 processes and 3 decodes."""

    def process(code: str) -> float:
        times = []
        for _ in range(11):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    bodies = [gzip.decompress(p.read_bytes()) for p in (DATA / "pypi").glob("*.json.gz")]
    decodes = []
    for _ in range(3):
        start = time.perf_counter()
        for body in bodies:
            json.loads(body)
        decodes.append(time.perf_counter() - start)
    bare = process("pass")
    grammar = process("import packaging.requirements")
    decode = statistics.median(decodes)
    waits = chain * latency_ms / 1000
    size = sum(map(len, bodies)) / 1e6
    print("  floors (no vet in Python goes below these here):")
    print(
        f"    python -c pass {bare:.3f} s (importing packaging.requirements too, as a warm vet "
        f"no longer does: {grammar:.3f} s)"
    )
    print(
        f"    decoding the {len(bodies)} recorded answers ({size:.0f} MB of JSON): {decode:.3f} s"
    )
    print(f"    the longest chain of requests: {chain} x {latency_ms:g} ms = {waits:.3f} s")
    print(f"    warm floor {bare:.3f} s; cold floor {bare + decode + waits:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
