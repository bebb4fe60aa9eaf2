"""Benchmark: `pipvet fleet` over a synthetic fleet of project folders.

Builds N project folders (default 1,000) of D dependencies each (default 200), drawn from the
packages the OSV snapshot in ../shared/data/osv names, at versions taken from the records'
``versions`` lists or made-up safe ones (each package at three affected and four safe
versions, as a real fleet repeats the same few versions):

* half the projects pin everything in ``requirements.txt`` (``==``), a quarter declare floors
  (``>=``) split over ``requirements.txt`` and an ``-r`` included ``base.txt``, a quarter use a
  ``pyproject.toml`` with ``[project] dependencies`` and a ``dev`` dependency group;
* one project in ten also has a ``.venv`` whose site-packages holds a ``.dist-info`` (METADATA
  with Requires-Dist) per dependency plus two undeclared ones;
* every tenth folder nests its project one level deeper, and a ``node_modules`` folder with a
  requirements file in it must be skipped.

Each project's dependencies are also written as a CycloneDX 1.6 SBOM into one folder.

Then syncs pipvet's advisory database from the snapshot once (warm database), and times
``--runs`` whole-process runs of ``pipvet fleet DIR --format json``, then as many of
``pipvet fleet --from-sboms SBOMS --format json`` (walk, read, inventory to
SQLite, audit every version once, analyses, render). Prints the medians of wall time and of
the process's CPU time (user + sys), the load average, and what was found.

Usage: python bench/bench_fleet.py [--projects 1000] [--deps 200] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def snapshot_versions() -> dict[str, list[str]]:
    """package -> versions some advisory lists as affected."""
    out: dict[str, set[str]] = {}
    with zipfile.ZipFile(DATA / "osv" / "PyPI" / "all.zip") as z:
        for member in z.namelist():
            record = json.loads(z.read(member))
            for affected in record.get("affected", []):
                pkg = affected.get("package", {})
                if pkg.get("ecosystem") == "PyPI" and affected.get("versions"):
                    out.setdefault(pkg["name"].lower(), set()).update(affected["versions"][:20])
    valid = {k: sorted(x for x in v if _pep440(x)) for k, v in out.items()}
    return {k: v for k, v in valid.items() if v}


def _pep440(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_fleet(
    root: Path, projects: int, deps: int, seed: int = 7, sboms: Path | None = None
) -> None:
    """The project folders under ``root``; with ``sboms``, also one CycloneDX 1.6 SBOM per
    project there, listing the same names at the same versions (what each project's CI would
    upload: its installed set)."""
    rng = random.Random(seed)
    affected = snapshot_versions()
    names = sorted(affected)
    # Like a real fleet: each package at a handful of versions, some of them vulnerable.
    pools = {
        n: [*rng.sample(affected[n], min(3, len(affected[n]))),
            *(f"{rng.randint(40, 60)}.{rng.randint(0, 9)}.0" for _ in range(4))]
        for n in names
    }  # fmt: skip
    for i in range(projects):
        base = root / f"team{i % 20:02d}" / f"project{i:04d}"
        if i % 10 == 9:
            base = base / "app"  # nested one level deeper
        chosen = rng.sample(names, min(deps, len(names)))
        pins = [(name, rng.choice(pools[name])) for name in chosen]
        if sboms is not None:
            write(sboms / f"project{i:04d}.cdx.json", cyclonedx(f"project{i:04d}", pins))
        style = i % 4
        if style in (0, 1):
            write(base / "requirements.txt", "".join(f"{n}=={v}\n" for n, v in pins))
        elif style == 2:
            half = len(pins) // 2
            write(
                base / "requirements.txt",
                "-r base.txt\n" + "".join(f"{n}>={v}\n" for n, v in pins[:half]),
            )
            write(base / "base.txt", "".join(f"{n}>={v}\n" for n, v in pins[half:]))
        else:
            main = ", ".join(f'"{n}>={v}"' for n, v in pins[:-10])
            dev = ", ".join(f'"{n}>={v}"' for n, v in pins[-10:])
            write(
                base / "pyproject.toml",
                f'[project]\nname = "p{i}"\nversion = "1"\ndependencies = [{main}]\n\n'
                f"[dependency-groups]\ndev = [{dev}]\n",
            )
        if i % 10 == 0:
            make_venv(base / ".venv", [*pins, ("leftover-one", "1.0"), ("leftover-two", "2.0")])
        if i % 50 == 0:
            write(base / "node_modules" / "x" / "requirements.txt", "skipped==1.0\n")


def cyclonedx(project: str, pins: list[tuple[str, str]]) -> str:
    """A CycloneDX 1.6 JSON SBOM of the shape ``pipvet sbom`` and ``cyclonedx-py`` write."""
    components = [
        {"type": "library", "bom-ref": f"pkg:pypi/{n}@{v}", "name": n, "version": v,
         "purl": f"pkg:pypi/{n}@{v}"}
        for n, v in pins
    ]  # fmt: skip
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": project, "bom-ref": project}},
        "components": components,
    }
    return json.dumps(doc, indent=2)


def make_venv(venv: Path, dists: list[tuple[str, str]]) -> None:
    write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    site = venv / "lib" / "python3.11" / "site-packages"
    for index, (name, version) in enumerate(dists):
        folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
        requires = (
            f"Requires-Dist: {dists[index + 1][0]}\n"
            if index % 5 == 0 and index + 1 < len(dists)
            else ""
        )
        write(
            folder / "METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}\n",
        )


def timed(
    label: str, argv: list[str], env: dict[str, str], cwd: Path, runs: int
) -> dict[str, object]:
    """Run ``argv`` ``runs`` times; print the medians of wall and CPU time and the load."""
    times: list[float] = []
    cpus: list[float] = []
    loads: list[float] = []
    doc: dict[str, object] = {}
    for _ in range(runs):
        loads.append(os.getloadavg()[0])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=cwd, check=False)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(
            after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        )  # user + sys of the pipvet process: what the load on the machine changes least
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv[2:])} failed:\n{done.stderr}")
        doc = json.loads(done.stdout)
    print(f"{label}: median {statistics.median(times):.2f} s over {runs} runs "
          f"(min {min(times):.2f} s, max {max(times):.2f} s)")  # fmt: skip
    load = f"load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores"
    print(f"  CPU (user+sys): median {statistics.median(cpus):.2f} s "
          f"(min {min(cpus):.2f} s, max {max(cpus):.2f} s); {load}")  # fmt: skip
    print(f"  found: {json.dumps(doc['summary'])}")
    goal = statistics.median(times) <= 10.0
    print(f"  goal <= 10 s for the whole run: {'met' if goal else 'NOT met'}")
    return doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--deps", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="build the fleet here and keep it")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pipvet-bench-fleet-"))
    fleet, sboms = work / "fleet", work / "sboms"
    try:
        started = time.perf_counter()
        for folder in (fleet, sboms):
            if folder.exists():
                shutil.rmtree(folder)
        make_fleet(fleet, args.projects, args.deps, sboms=sboms)
        print(f"built {args.projects} projects x {args.deps} dependencies, and an SBOM of each, "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        env = {
            **os.environ,
            "PIPVET_CACHE_DIR": str(work / "cache"),
            "PIPVET_OSV_URL": str(DATA / "osv"),
        }
        write(fleet / "pipvet.toml", "")
        pipvet = [sys.executable, "-m", "pipvet"]
        subprocess.run([*pipvet, "db", "sync"], env=env, check=True, capture_output=True)
        timed(
            "pipvet fleet DIR",
            [*pipvet, "fleet", str(fleet), "--format", "json", "-q"],
            env,
            fleet,
            args.runs,
        )
        timed(
            "pipvet fleet --from-sboms SBOMS",
            [*pipvet, "fleet", "--from-sboms", str(sboms), "--format", "json", "-q"],
            env, fleet, args.runs,
        )  # fmt: skip
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
