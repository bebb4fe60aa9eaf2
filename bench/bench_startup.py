"""Benchmark: what pipvet's start-up costs, in time and in CPU instructions.

1. Wall time (median of --runs whole-process runs) of `pipvet --version`, `pipvet --help`,
   `pipvet audit --help` (the installed script) and, for scale, `python -c pass`.
2. CPU instructions (callgrind, whole process, start-up and exit included; skipped when
   valgrind is not installed): the same commands through `python -m pipvet`, and `pipvet audit
   --offline --format json` of a 300-package site (`--path`) and of the same pins (`-r`), built
   as bench_audit.py builds them, and of the site in the other report formats. Instructions do
   not move with the machine's load.
   "The import floor" is an interpreter that imports only the standard modules an audit cannot
   do without (FLOOR), and nothing of pipvet.
3. Where a 300-package audit's time goes, in-process: the first run (imports included) against
   a second run in the same process, and how many value classes the first run makes (``@frozen``
   classes, the ``__init__``s compiled on their first instance, and any dataclass, should
   anything still import ``dataclasses``) and what making them costs.

Usage: python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _loopback import compile_pipvet, instructions
from bench_audit import DEFAULT_OSV, build_inputs, load_snapshot

ROOT = Path(__file__).resolve().parents[1]

# What an audit in Python that reads a SQLite database and writes JSON cannot do without: the
# two C modules. No pipvet code: the part of a run that pipvet's own changes cannot remove. (It
# was the json and sqlite3 packages, with the datetime, re and enum they import, until an
# offline audit opened _sqlite3 itself and wrote JSON with _json's encoders; before that also
# argparse, tomllib and packaging.version. pathlib it still imports: its paths are Path
# objects; ipaddress, which pathlib's urllib.parse imports, only the console script defers.)
FLOOR = "import _json, _sqlite3"


def wall_ms(
    argv: list[str], runs: int, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       cwd=cwd, env=env)  # fmt: skip
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def in_process(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    """First and second run of one audit in a fresh interpreter; the value classes the first
    run makes (``@frozen``, and any dataclass), and what making them and their ``__init__``s
    costs."""
    probe = f"""
import gc, io, os, sys, time
gc.disable()
os.chdir({str(cwd)!r})
made, spent = [], []
def timed(function, label):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)
            made.append(label)
    return run
start = time.perf_counter()
import pipvet.frozen as frozen
frozen._process = timed(frozen._process, "class")
frozen._init = timed(frozen._init, "init")
class Finder:
    def find_spec(self, name, path=None, target=None):
        if name == "dataclasses":  # count the dataclasses too, should anything import it
            sys.meta_path.remove(self)
            import dataclasses
            dataclasses._process_class = timed(dataclasses._process_class, "dataclass")
        return None
sys.meta_path.insert(0, Finder())
from pipvet.cli import Output, main
main({argv!r}, Output(io.StringIO(), io.StringIO()))
first = time.perf_counter() - start
start = time.perf_counter()
main({argv!r}, Output(io.StringIO(), io.StringIO()))
second = time.perf_counter() - start
counts = {{k: made.count(k) for k in ("class", "init", "dataclass")}}
print(first * 1000, second * 1000, counts["class"], counts["init"], counts["dataclass"],
      sum(spent) * 1000, "dataclasses" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    first, second, classes, inits, dataclasses, cost, imported = done.stdout.split()
    return (
        f"first run {float(first):.0f} ms (imports included), second run in the same process "
        f"{float(second):.0f} ms; the first run made {classes} @frozen classes, compiled "
        f"{inits} of their __init__s and made {dataclasses} dataclasses, {float(cost):.1f} ms "
        f"in all; dataclasses imported: {'yes' if imported == 'True' else 'no'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    compile_pipvet()
    script = str(Path(sys.executable).with_name("pipvet"))
    python = [sys.executable]
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("wall time, median of", args.runs, "runs:")
    for label, argv in (
        ("python -c pass", [*python, "-c", "pass"]),
        ("the import floor", [*python, "-c", FLOOR]),
        ("pipvet --version", [script, "--version"]),
        ("pipvet --help", [script, "--help"]),
        ("pipvet audit --help", [script, "audit", "--help"]),
    ):
        goal = "  (goal <= 30 ms)" if label in ("pipvet --version", "pipvet --help") else ""
        print(f"  {label:<22} {wall_ms(argv, args.runs):6.1f} ms{goal}")
    # Each command's own help loads only its parser: what it runs with is not paid for here.
    from pipvet.cli import _COMMANDS

    helps = {c: wall_ms([script, c, "--help"], args.runs) for c in _COMMANDS}
    print("  pipvet CMD --help, each: " + ", ".join(f"{c} {ms:.1f}" for c, ms in helps.items()))
    print(f"  pipvet CMD --help, slowest: {max(helps.values()):.1f} ms")

    work = Path(tempfile.mkdtemp(prefix="pipvet-bench-startup-"))
    try:
        build_inputs(work, 300, load_snapshot(DEFAULT_OSV))
        (work / "pipvet.toml").write_text("", encoding="utf-8")
        env = {
            **os.environ,
            "PIPVET_CACHE_DIR": str(work / "cache"),
            "PIPVET_OSV_URL": str(DEFAULT_OSV),
        }
        subprocess.run([*python, "-m", "pipvet", "db", "sync"], env=env, cwd=work,
                       capture_output=True, check=True)  # fmt: skip
        audit = ["audit", "--offline", "--format", "json", "-q", "-o", os.devnull]
        runs = {
            "python -c pass": [*python, "-c", "pass"],
            "the import floor": [*python, "-c", FLOOR],
            "python -m pipvet --version": [*python, "-m", "pipvet", "--version"],
            "python -m pipvet --help": [*python, "-m", "pipvet", "--help"],
            "pipvet --version (script)": [script, "--version"],
            "pipvet --help (script)": [script, "--help"],
            "audit --path, 300 packages": [script, *audit, "--path", str(work / "site")],
            "audit -r, the same 300 pins": [
                script, *audit, "-r", str(work / "requirements.txt")
            ],
            **{
                f"audit --path, {fmt}": [script, *audit, "--format", fmt, "--path",
                                         str(work / "site")]
                for fmt in ("text", "markdown", "sarif")
            },
        }  # fmt: skip
        # The default target: a project's .venv holding the same 300 distributions, as an IDE
        # task or a hook runs `pipvet audit` in the project folder.
        project = work / "project"
        subprocess.run([*python, "-m", "venv", "--without-pip", str(project / ".venv")],
                       check=True)  # fmt: skip
        (site,) = (project / ".venv" / "lib").glob("python*/site-packages")
        shutil.copytree(work / "site", site, dirs_exist_ok=True)
        # (an active venv or conda environment would be audited in its place)
        alone = {k: v for k, v in env.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
        both: dict[str, list[float]] = {"default": [], "path": []}
        for _ in range(args.runs):  # alternately, so that the load moves both alike
            both["default"].append(wall_ms([script, *audit], 1, cwd=project, env=alone))
            both["path"].append(
                wall_ms([script, *audit, "--path", str(site)], 1, cwd=project, env=alone)
            )
        default, folder = (statistics.median(both[k]) for k in ("default", "path"))
        print(f"audit of a project's .venv, 300 distributions, median of {args.runs} alternating "
              "runs:")  # fmt: skip
        print(f"  pipvet audit (the default target) {default:6.1f} ms")
        print(f"  pipvet audit --path its folder    {folder:6.1f} ms")
        if shutil.which("valgrind") is None:
            print("CPU instructions: valgrind is not installed, skipped")
        else:
            print("CPU instructions (callgrind, whole process):")
            for label, argv in runs.items():
                count = instructions(argv, env, work)
                shown = f"{count / 1e6:,.0f} million" if count else "failed"
                print(f"  {label:<30} {shown}")
        print("in-process, audit --path of 300 packages:")
        print("  " + in_process([*audit, "--path", str(work / "site")], env, work))
        print("in-process, audit -r of the same pins:")
        print("  " + in_process([*audit, "-r", str(work / "requirements.txt")], env, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
