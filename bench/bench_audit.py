"""Benchmark: `pipvet audit` against pip-audit, pysentry-rs and `uv audit` on the same inputs.

One run, same machine, same advisory data (the OSV snapshot in ../shared/data/osv):

* builds a synthetic site-packages folder of N distributions, half of them (or
  ``--vulnerable-share``) at versions the snapshot marks affected (taken from the records'
  ``versions`` lists), a fifth (``--advised-share``) at a release above everything their
  advisories name (records to read, nothing affected), the rest names no advisory names, plus
  the same N pins as a requirements file and as a ``uv.lock`` project; each METADATA shaped
  like a real one (header lines, Requires-Dist, a README body);
* syncs pipvet's database from the snapshot once (the "warm database" case);
* serves the OSV API from the same snapshot on loopback (``POST /v1/query``,
  ``POST /v1/querybatch``, ``GET /v1/vulns/ID``), once with no added latency and once with
  ``--latency`` ms per request, after checking the instrument (a calibration line: the median
  time of 50 kept-alive GETs, which should be about 1 ms or less);
* runs every command alternately, ``--runs`` whole-process runs each, and prints the ratios
  first, then medians, peak RSS and requests per run, then the goals (met or not), then what
  each tool found, normalised to alias groups, and where they disagree;
* beside them, in the same rounds, the floor of any audit in Python (an interpreter that loads
  ``_json`` and ``_sqlite3`` and nothing else); after them, pipvet's own work (the same audit
  run again in one process, every module imported), the least a reader of the site-packages
  folder pays per distribution, and each package's cost past the run's smallest size. An
  unmet goal is shown with what it would take: when the floor and the work alone already take
  longer than the goal allows, no saving on imports can meet it.

The peers, each pointed at the loopback OSV API (nothing leaves the machine):

* pip-audit: ``--path SITE -s osv --osv-url URL/v1/query`` (one query per package);
* pysentry-rs: ``--no-resolver --requirements-files PINS --sources osv --service-url URL/v1``,
  with a cache that persists between runs (warm) and a fresh one every run (cold);
* uv: ``uv audit --frozen --service-url URL/v1`` in a project whose ``uv.lock`` holds the pins,
  warm and cold cache as for pysentry-rs.

Usage: python bench/bench_audit.py [--sizes 300,5000] [--runs 5] [--latency 30]
       [--peers DIR] [--peer-max 300] [--vulnerable-share 0.5] [--advised-share 0.2]
The peers come from the ``bench`` extra (``pip install -e '.[bench]'``) or any folder holding
their executables (``--peers DIR``, e.g. a separate venv's ``bin``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _loopback import (
    LoopbackServer,
    Request,
    Response,
    calibration_line,
    compile_pipvet,
    pipvet_command,
    time_requests,
)
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OSV = ROOT.parent / "shared" / "data" / "osv"

# The goals of the speed issue: pipvet's ratio against each peer (met when at least this).
GOALS = [
    ("pip-audit, 0 ms", 25.0),
    ("pip-audit, {latency} ms", 150.0),
    ("pysentry-rs, warm cache", 3.0),
]

# Runs a command and reports its wall time and the peak RSS of the child, in one JSON line;
# the command's standard output goes to the file named by the first argument.
_MEASURE = r"""
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    t = time.perf_counter()
    p = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": dt, "rss_kb": rss, "code": p.returncode, "stderr": p.stderr[-600:]}))
"""

Finding = tuple[str, str, str]  # canonical name, version, alias group

# The floor any audit in Python pays: an interpreter that has loaded the two C modules an
# offline audit cannot do without (SQLite and the JSON encoder), and nothing of pipvet.
FLOOR = "floor: python + _json, _sqlite3"

# One audit run again and again in one interpreter (argv: runs, then pipvet's arguments):
# from the second run on, every module is imported and every cache warm, so a run's time is
# the audit's own work and no more. The cyclic collector is off, as in the pipvet script.
# Prints those runs' times in seconds.
_WARM = r"""
import gc, os, sys, time
gc.disable()
from pipvet.cli import main
runs, argv = int(sys.argv[1]), sys.argv[2:]
times = []
with open(os.devnull, "w") as sink:
    out, err = sys.stdout, sys.stderr
    for i in range(runs + 1):
        sys.stdout = sys.stderr = sink
        t = time.perf_counter()
        try:
            main(argv)
        except SystemExit:
            pass
        dt = time.perf_counter() - t
        sys.stdout, sys.stderr = out, err
        if i:
            times.append(dt)
print(" ".join(map(str, times)))
"""

# The least any reader of a site-packages folder does per distribution: open, stat, read and
# close its METADATA and ask whether a direct_url.json is there (argv: the folder). Prints
# seconds per distribution, the fastest of 6 passes.
_BARE_READ = r"""
import os, sys, time
site = sys.argv[1]
best = None
for _ in range(6):
    n = 0
    t = time.perf_counter()
    with os.scandir(site) as it:
        for e in it:
            if e.name.endswith(".dist-info"):
                fd = os.open(e.path + "/METADATA", os.O_RDONLY)
                os.fstat(fd)
                os.read(fd, 4096)
                os.close(fd)
                os.path.lexists(e.path + "/direct_url.json")
                n += 1
    dt = (time.perf_counter() - t) / n
    best = dt if best is None or dt < best else best
print(best)
"""


def load_snapshot(osv_dir: Path) -> list[dict[str, Any]]:
    records = []
    with zipfile.ZipFile(osv_dir / "PyPI" / "all.zip") as zf:
        for info in zf.infolist():
            if info.filename.endswith(".json"):
                records.append(json.loads(zf.read(info)))
    return records


def pypi_affected(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for aff in record.get("affected", []):
        pkg = aff.get("package", {})
        if pkg.get("ecosystem") == "PyPI":
            out.append((canonicalize_name(pkg.get("name", "")), aff))
    return out


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def clean_releases(
    records: list[dict[str, Any]], names: list[str], wanted: int
) -> list[tuple[str, str]]:
    """Up to ``wanted`` of ``names``, each at the next major release above every version its
    records name, checked against each record (withdrawn ones too, which some peers report)."""
    mentioned: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        for name, aff in pypi_affected(rec):
            mentioned[name].append(aff)
    out: list[tuple[str, str]] = []
    for name in names:
        if len(out) == wanted:
            break
        seen = [
            v
            for aff in mentioned[name]
            for text in (
                *aff.get("versions", []),
                *(
                    e
                    for r in aff.get("ranges", [])
                    for ev in r.get("events", [])
                    for e in ev.values()
                ),
            )
            if (v := _version(str(text))) is not None
        ]
        if not seen:
            continue
        release = Version(f"{max(seen).major + 1}.0.0")
        if not any(
            in_ecosystem_ranges(release, aff) or str(release) in aff.get("versions", [])
            for aff in mentioned[name]
        ):
            out.append((name, str(release)))
    return out


def in_ecosystem_ranges(version: Version, affected: dict[str, Any]) -> bool:
    """OSV ``ECOSYSTEM`` range semantics: introduced <= v < fixed, or <= last_affected."""
    for rng in affected.get("ranges", []):
        if rng.get("type") != "ECOSYSTEM":
            continue
        introduced: Version | None = None
        for event in rng.get("events", []):
            if "introduced" in event:
                introduced = _version(event["introduced"]) or Version("0")
            elif introduced is not None and "fixed" in event:
                fixed = _version(event["fixed"])
                if fixed is not None and introduced <= version < fixed:
                    return True
                introduced = None
            elif introduced is not None and "last_affected" in event:
                last = _version(event["last_affected"])
                if last is not None and introduced <= version <= last:
                    return True
                introduced = None
        if introduced is not None and version >= introduced:
            return True
    return False


class OsvApi:
    """Enough of the OSV API for the peers, answered from the snapshot.

    A version matches a record when the record lists it in ``versions`` or it falls in one of
    the record's ``ECOSYSTEM`` ranges, as the real service matches PyPI. Withdrawn records are
    answered too (the real service does; the clients drop them).
    """

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.by_id = {rec["id"]: rec for rec in records}
        self.by_name: dict[str, list[tuple[dict[str, Any], dict[str, Any], set[Version]]]] = (
            defaultdict(list)
        )
        for rec in records:
            for name, aff in pypi_affected(rec):
                listed = {v for v in map(_version, aff.get("versions", [])) if v is not None}
                self.by_name[name].append((rec, aff, listed))

    def matches(self, name: str, version_text: str) -> list[dict[str, Any]]:
        version = _version(version_text)
        if version is None:
            return []
        out: list[dict[str, Any]] = []
        for rec, aff, listed in self.by_name.get(canonicalize_name(name), []):
            if (version in listed or in_ecosystem_ranges(version, aff)) and rec not in out:
                out.append(rec)
        return out

    def respond(self, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        if request.method == "POST" and path == "/v1/query":
            query = json.loads(request.body)
            vulns = self.matches(query["package"]["name"], query.get("version", ""))
            return _json({"vulns": vulns} if vulns else {})
        if request.method == "POST" and path == "/v1/querybatch":
            results: list[dict[str, Any]] = []
            for query in json.loads(request.body)["queries"]:
                vulns = self.matches(query["package"]["name"], query.get("version", ""))
                ids = [{"id": r["id"], "modified": r["modified"]} for r in vulns]
                results.append({"vulns": ids} if ids else {})
            return _json({"results": results})
        if request.method == "GET" and path.startswith("/v1/vulns/"):
            rec = self.by_id.get(path.removeprefix("/v1/vulns/"))
            if rec is not None:
                return _json(rec)
        return Response(404, b'{"code": 5, "message": "Not Found"}')


def _json(value: Any) -> Response:
    return Response(200, json.dumps(value).encode(), {"Content-Type": "application/json"})


def alias_groups(records: list[dict[str, Any]]) -> dict[str, str]:
    """Every id and alias in the snapshot -> one name for its group (the smallest id)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rec in records:
        for alias in rec.get("aliases", []):
            a, b = find(rec["id"]), find(alias)
            if a != b:
                parent[max(a, b)] = min(a, b)
        find(rec["id"])
    return {x: find(x) for x in parent}


def withdrawn_groups(records: list[dict[str, Any]], groups: dict[str, str]) -> set[str]:
    live = {groups[r["id"]] for r in records if not r.get("withdrawn")}
    return {groups[r["id"]] for r in records if r.get("withdrawn")} - live


def build_inputs(
    dest: Path,
    n: int,
    records: list[dict[str, Any]],
    *,
    seed: int = 7,
    share: float = 0.5,
    advised_share: float = 0.2,
) -> int:
    """N distributions: ``share`` of them (half by default) at a (PEP 440) version some
    advisory lists; ``advised_share`` at a version above everything their advisories name,
    which none of them affects (as most installed packages with a history of advisories, like
    requests or jinja2 at a recent release: a tool still reads and weighs their records), as far
    as the snapshot has names for them; the rest names no advisory names, at ordinary versions.

    Writes ``dest/site`` (a site-packages folder), ``dest/requirements.txt`` (the same pins)
    and ``dest/project`` (a pyproject.toml and a uv.lock with the same pins).
    """
    rng = random.Random(seed)
    affected_versions: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        if rec.get("withdrawn"):
            continue
        for name, aff in pypi_affected(rec):
            # Only PEP 440 versions: every tool must be able to read the same pins.
            affected_versions[name].update(v for v in aff.get("versions", []) if _version(v))
    names = sorted(n for n, v in affected_versions.items() if v)
    rng.shuffle(names)
    vulnerable = names[: round(n * share)]
    dists: list[tuple[str, str]] = []
    for name in vulnerable:
        dists.append((name, rng.choice(sorted(affected_versions[name]))))
    dists += clean_releases(records, names[len(vulnerable) :], round(n * advised_share))
    # The rest: names with no advisories at all, at ordinary versions.
    filler_needed = n - len(dists)
    i = 0
    while filler_needed > 0:
        name = f"benchpkg-{i:05d}"
        i += 1
        if name in affected_versions:
            continue
        dists.append((name, f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"))
        filler_needed -= 1
    site = dest / "site"
    site.mkdir(parents=True)
    for name, version in dists:
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        requires = [rng.choice(dists)[0] for _ in range(rng.randint(0, 5))]
        (info / "METADATA").write_text(metadata(name, version, requires), encoding="utf-8")
        (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
        (info / "RECORD").write_text("", encoding="utf-8")
    pins = "".join(f"{name}=={version}\n" for name, version in dists)
    (dest / "requirements.txt").write_text(pins, encoding="utf-8")
    write_uv_project(dest / "project", dists)
    return len(vulnerable)


_CLASSIFIERS = "".join(
    f"Classifier: {c}\n"
    for c in (
        "Development Status :: 5 - Production/Stable",
        "Intended Audience :: Developers",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: MIT License",
        "Operating System :: OS Independent",
        "Programming Language :: Python",
        "Programming Language :: Python :: 3",
        *(f"Programming Language :: Python :: 3.{minor}" for minor in range(10, 15)),
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: Implementation :: CPython",
        "Topic :: Scientific/Engineering",
        "Topic :: Software Development :: Libraries",
    )
)
# A README as long as the median installed one (about 4.5 kB of a 5 kB METADATA).
_DESCRIPTION = "".join(
    f"## Part {i}\n\nThis paragraph stands for the project's README, which installers copy "
    "into METADATA as its long description: usage, examples, a change log and badges, "
    "[docs](https://example.org/docs) and `code` included.\n\n"
    for i in range(20)
)


def metadata(name: str, version: str, requires: list[str]) -> str:
    """A METADATA shaped like the median one of a data science venv (about 35 header lines
    and a 5 kB file): every tool that reads a site pays for what real ones hold."""
    deps = "".join(f"Requires-Dist: {dep}>=1.0\n" for dep in requires)
    return (
        f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n"
        f"Summary: {name}, a package of the benchmark's site\n"
        "Author-email: A. Maintainer <maintainer@example.org>\nLicense: MIT\n"
        f"Project-URL: Documentation, https://example.org/{name}\n"
        f"Project-URL: Source, https://github.com/example/{name}\n"
        f"{_CLASSIFIERS}Requires-Python: >=3.10\n"
        "Description-Content-Type: text/markdown\nLicense-File: LICENSE\n"
        f"{deps}Provides-Extra: test\n"
        'Requires-Dist: pytest>=8; extra == "test"\n'
        'Requires-Dist: hypothesis>=6; extra == "test"\n'
        f"Dynamic: license-file\n\n# {name}\n\n{_DESCRIPTION}"
    )


def write_uv_project(dest: Path, dists: list[tuple[str, str]]) -> None:
    """A virtual project depending on exactly ``dists``, already locked (``uv.lock``)."""
    dest.mkdir(parents=True)
    deps = "".join(f'    "{name}=={version}",\n' for name, version in dists)
    (dest / "pyproject.toml").write_text(
        f'[project]\nname = "bench-project"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = [\n{deps}]\n",
        encoding="utf-8",
    )
    ordered = sorted(dists)
    lock = ['version = 1\nrevision = 3\nrequires-python = ">=3.11"\n']
    project = (
        '\n[[package]]\nname = "bench-project"\nversion = "0.1.0"\n'
        'source = { virtual = "." }\ndependencies = [\n'
        + "".join(f'    {{ name = "{name}" }},\n' for name, _ in ordered)
        + "]\n\n[package.metadata]\nrequires-dist = [\n"
        + "".join(
            f'    {{ name = "{name}", specifier = "=={version}" }},\n' for name, version in ordered
        )
        + "]\n"
    )
    packages = [
        f'\n[[package]]\nname = "{name}"\nversion = "{version}"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        for name, version in ordered
    ]
    (dest / "uv.lock").write_text("".join([*lock, project, *packages]), encoding="utf-8")


# ---- what each tool found, as (package, version, alias group) -------------------------------


def _group(groups: dict[str, str], ids: Iterable[str]) -> str:
    ids = [i for i in ids if i]
    for i in ids:
        if i in groups:
            return groups[i]
    return min(ids) if ids else "?"


def findings_pipvet(out: Any, groups: dict[str, str]) -> set[Finding]:
    found: set[Finding] = set()
    for dep in out.get("dependencies", []):
        for f in dep.get("findings", []):
            ids = [f.get("id", ""), *f.get("records", []), *f.get("aliases", [])]
            found.add((canonicalize_name(dep["name"]), dep["version"], _group(groups, ids)))
    return found


def findings_pip_audit(out: Any, groups: dict[str, str]) -> set[Finding]:
    found: set[Finding] = set()
    for dep in out.get("dependencies", []):
        for v in dep.get("vulns", []):
            ids = [v.get("id", ""), *v.get("aliases", [])]
            found.add((canonicalize_name(dep["name"]), dep["version"], _group(groups, ids)))
    return found


def findings_pysentry(out: Any, groups: dict[str, str]) -> set[Finding]:
    found: set[Finding] = set()
    for v in out.get("vulnerabilities", []):
        name = v.get("package_name") or v.get("package") or v.get("name") or ""
        version = v.get("installed_version") or v.get("version") or ""
        ids = [v.get("id") or v.get("vulnerability_id") or "", *(v.get("aliases") or [])]
        found.add((canonicalize_name(name), str(version), _group(groups, ids)))
    return found


def findings_uv(out: Any, groups: dict[str, str]) -> set[Finding]:
    found: set[Finding] = set()
    for v in out.get("vulnerabilities", []):
        dep = v.get("dependency", {})
        ids = [v.get("id", ""), *(v.get("aliases") or [])]
        found.add((canonicalize_name(dep["name"]), str(dep["version"]), _group(groups, ids)))
    return found


def load_report(path: Path) -> Any:
    """The first JSON value in a tool's standard output (pysentry-rs may print a feedback
    note after its report)."""
    text = path.read_text(encoding="utf-8")
    value, _end = json.JSONDecoder().raw_decode(text, max(text.find("{"), 0))
    return value


# ---- measuring --------------------------------------------------------------------------------


@dataclass
class Tool:
    label: str
    argv: list[str]
    parse: Callable[[Any, dict[str, str]], set[Finding]]
    compare_to: str = ""  # the pipvet row measured on the same kind of input
    server: LoopbackServer | None = None
    prepare: Callable[[], None] = lambda: None
    ok_codes: tuple[int, ...] = (0, 1)
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return float(statistics.median(r["seconds"] for r in self.runs))


def measure(tool: Tool, env: dict[str, str], out: Path) -> dict[str, Any]:
    tool.prepare()
    before = len(tool.server.log) if tool.server else 0
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(out), *tool.argv],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    result["requests"] = (len(tool.server.log) - before) if tool.server else 0
    return result


def find_exe(name: str, peers: Path | None) -> str | None:
    for folder in (peers, Path(sys.executable).parent):
        if folder is not None and (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


def version_of(exe: str, *args: str) -> str:
    proc = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0] if text else f"unknown (exit {proc.returncode})"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average at start {load}"
    )


@dataclass
class Bench:
    """What every size's measurement shares."""

    args: argparse.Namespace
    work: Path
    env: dict[str, str]
    records: list[dict[str, Any]]
    groups: dict[str, str]
    withdrawn: set[str]  # alias groups whose every record is withdrawn
    fast: LoopbackServer
    slow: LoopbackServer
    exes: dict[str, str]  # peer name -> executable, only the peers that can run here
    not_run: list[str]
    # pipvet's medians per size, for the cost of each package past the smallest size
    medians: dict[int, dict[str, float]] = field(default_factory=dict)


def find_peers(peers: Path | None) -> tuple[dict[str, str], list[str]]:
    """The peers' executables, each one's version printed; and why any peer is missing."""
    exes: dict[str, str] = {}
    not_run: list[str] = []
    hints = {
        "pip-audit": "pip install -e '.[bench]'",
        "pysentry-rs": "pip install pysentry-rs",
        "uv": "pip install uv",
    }
    for name, hint in hints.items():
        exe = find_exe(name, peers)
        if exe is None:
            not_run.append(f"{name}: not installed ({hint})")
            continue
        print(version_of(exe, "--version"))
        exes[name] = exe
    if "uv" in exes:
        probe = subprocess.run(
            [exes["uv"], "audit", "--help"], capture_output=True, text=True, check=False
        )
        if probe.returncode != 0 or "--service-url" not in probe.stdout:
            not_run.append("uv audit: this uv has no `uv audit --service-url`")
            del exes["uv"]
    return exes, not_run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="300,5000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--latency", type=float, default=30.0, help="ms per request, second server")
    ap.add_argument("--osv", type=Path, default=DEFAULT_OSV)
    ap.add_argument(
        "--vulnerable-share",
        type=float,
        default=0.5,
        help="the share of packages at an affected version (0.5: the stress case; most real "
        "environments have a few)",
    )
    ap.add_argument(
        "--advised-share",
        type=float,
        default=0.2,
        help="the share of packages at a release none of their advisories affects",
    )
    ap.add_argument("--peers", type=Path, help="folder holding pip-audit, pysentry-rs, uv")
    ap.add_argument(
        "--peer-max",
        type=int,
        default=300,
        help="run the peers only up to this many packages (pip-audit queries one by one)",
    )
    args = ap.parse_args()

    print(f"machine: {machine()}")
    print("absolute times move with the machine's load; the ratios come from alternating runs")
    compile_pipvet()
    records = load_snapshot(args.osv)
    import pipvet

    print(f"pipvet {pipvet.__version__}, run as: {' '.join(pipvet_command())}")
    exes, not_run = find_peers(args.peers)
    with tempfile.TemporaryDirectory(prefix="pipvet-bench-") as tmp:
        work = Path(tmp)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PIP_", "UV_", "PIPVET_", "PYSENTRY"))
        }
        env |= {
            "PIPVET_CACHE_DIR": str(work / "cache"),
            "PIPVET_OSV_URL": str(args.osv),
            "HOME": str(work / "home"),
            "XDG_CACHE_HOME": str(work / "home" / ".cache"),
            "NO_COLOR": "1",
        }
        (work / "home").mkdir()
        sync_times = []
        for _ in range(3):
            shutil.rmtree(work / "cache", ignore_errors=True)
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "pipvet", "db", "sync", "--quiet"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            sync_times.append(time.perf_counter() - t)
        print(
            f"full sync of the snapshot ({len(records)} records, CLI wall time incl. start-up):"
            f" median {statistics.median(sync_times):.2f} s"
        )
        api = OsvApi(records)
        with (
            LoopbackServer(api.respond) as fast,
            LoopbackServer(api.respond, latency_ms=args.latency) as slow,
        ):
            print(calibration_line(fast))
            probe_path = f"/v1/vulns/{records[0]['id']}"
            slow_median = statistics.median(time_requests(slow.port, probe_path, 10))
            fast_median = statistics.median(time_requests(fast.port, probe_path, 50))
            print(
                f"loopback OSV API: GET {probe_path} median {fast_median * 1000:.2f} ms "
                f"(0 ms added), {slow_median * 1000:.1f} ms ({args.latency:g} ms added)"
            )
            groups = alias_groups(records)
            bench = Bench(args, work, env, records, groups, withdrawn_groups(records, groups),
                          fast, slow, exes, not_run)  # fmt: skip
            for n in (int(s) for s in args.sizes.split(",")):
                run_size(bench, n)
    return 0


def make_tools(bench: Bench, base: Path) -> list[Tool]:
    """The commands to time on the inputs in ``base``: pipvet's two, then the peers'."""
    args, work, exes = bench.args, bench.work, bench.exes
    site, pins, project = base / "site", base / "requirements.txt", base / "project"
    pipvet = [*pipvet_command(), "audit", "--offline", "--allow-unchecked"]
    tools = [
        Tool("pipvet --path", [*pipvet, "--path", str(site), "--format", "json"],
             findings_pipvet),
        Tool("pipvet -r", [*pipvet, "-r", str(pins), "--format", "json"], findings_pipvet),
    ]  # fmt: skip
    tools.append(Tool(FLOOR, [sys.executable, "-c", "import _json, _sqlite3"],
                      lambda _out, _groups: set(), ok_codes=(0,)))  # fmt: skip
    if "pip-audit" in exes:
        for label, server in (("0 ms", bench.fast), (f"{args.latency:g} ms", bench.slow)):
            argv = [exes["pip-audit"], "--path", str(site), "-s", "osv", "--osv-url",
                    f"{server.url}/v1/query", "--progress-spinner", "off", "--format", "json",
                    "--cache-dir", str(work / "pa-cache")]  # fmt: skip
            tools.append(Tool(f"pip-audit, {label}", argv, findings_pip_audit,
                              "pipvet --path", server))  # fmt: skip
    if "pysentry-rs" in exes:
        for label, cache in (("warm cache", "psr-warm"), ("cold cache", "psr-cold")):
            argv = [exes["pysentry-rs"], "--no-resolver", "--requirements-files", str(pins),
                    "--sources", "osv", "--service-url", f"{bench.fast.url}/v1", "--format",
                    "json", "--no-config", "--no-maintenance-check", "--no-ci-detect",
                    "--color", "never", "--cache-dir", str(work / cache), str(base)]  # fmt: skip
            tool = Tool(f"pysentry-rs, {label}", argv, findings_pysentry, "pipvet -r", bench.fast)
            if label.startswith("cold"):
                tool.prepare = _wipe(work / cache)
            tools.append(tool)
    if "uv" in exes:
        for label, cache in (("warm cache", "uv-warm"), ("cold cache", "uv-cold")):
            argv = [exes["uv"], "audit", "--directory", str(project), "--frozen", "--no-config",
                    "--service-url", f"{bench.fast.url}/v1", "--output-format", "json",
                    "--no-progress", "--preview-features", "audit-command,json-output",
                    "--cache-dir", str(work / cache)]  # fmt: skip
            tool = Tool(f"uv audit, {label}", argv, findings_uv, "pipvet -r", bench.fast)
            if label.startswith("cold"):
                tool.prepare = _wipe(work / cache)
            tools.append(tool)
    return tools


def run_size(bench: Bench, n: int) -> None:
    args = bench.args
    base = bench.work / f"inputs-{n}"
    vulnerable = build_inputs(
        base, n, bench.records, share=args.vulnerable_share, advised_share=args.advised_share
    )
    peers = n <= args.peer_max
    tools = make_tools(bench, base)
    if not peers:
        tools = tools[:3]  # pipvet's two and the floor
    # One untimed run each: warms every cache (pipvet's database is already synced) and shows
    # a peer that cannot run here before it is timed.
    outputs = {t.label: bench.work / f"out-{n}-{i}.json" for i, t in enumerate(tools)}
    for tool in list(tools):
        first = measure(tool, bench.env, outputs[tool.label])
        if first["code"] not in tool.ok_codes:
            bench.not_run.append(f"{tool.label}: exit {first['code']}: {first['stderr'].strip()}")
            tools.remove(tool)
    # Each round runs the tools in a new order (a fixed seed, so a run can be repeated): no
    # tool always follows the same one. In one order for every round, pipvet --path always ran
    # right after the cold-cache uv run, and its median was 30 % above pipvet -r's, which does
    # the same work. (Starting each round one tool further on keeps every neighbour.)
    order = random.Random(n)
    for _ in range(args.runs):
        for tool in order.sample(tools, len(tools)):
            tool.runs.append(measure(tool, bench.env, outputs[tool.label]))

    by_label = {t.label: t for t in tools}
    print(f"\n== {n} packages ({vulnerable} vulnerable), {args.runs} alternating runs each ==")
    for tool in tools:
        if tool.compare_to in by_label:
            ratio = tool.median / by_label[tool.compare_to].median
            print(f"  pipvet is {faster(ratio)} than {tool.label}  "
                  f"({tool.compare_to} {by_label[tool.compare_to].median:.3f} s vs "
                  f"{tool.median:.3f} s)")  # fmt: skip
    print(f"  {'command':<26} {'median':>8} {'min':>8} {'max':>8} {'peak RSS':>9} "
          f"{'requests/run':>12}  exit")  # fmt: skip
    for tool in tools:
        secs = [r["seconds"] for r in tool.runs]
        rss = max(r["rss_kb"] for r in tool.runs) / 1024
        reqs = statistics.median(r["requests"] for r in tool.runs)
        codes = sorted({r["code"] for r in tool.runs})
        print(f"  {tool.label:<26} {statistics.median(secs):>7.3f}s {min(secs):>7.3f}s "
              f"{max(secs):>7.3f}s {rss:>6.1f} MB {reqs:>12.0f}  {codes}")  # fmt: skip
        bad = [r for r in tool.runs if r["code"] not in tool.ok_codes]
        if bad:
            print(f"    {tool.label} failed: {bad[-1]['stderr'].strip()}")
    for line in bench.not_run:
        print(f"  not run: {line}")
    bench.not_run.clear()
    warm = {t.label: warm_work(t.argv, bench.env, args.runs) for t in tools[:2]}
    floor = by_label[FLOOR].median if FLOOR in by_label else None
    for label, seconds in warm.items():
        print(f"  {label}: the audit's own work, run again in one process (every module imported, "
              f"every cache warm): median {seconds * 1000:.1f} ms")  # fmt: skip
    per_package(bench, n, tools, base / "site")
    tools = [t for t in tools if t.label != FLOOR]
    if not peers:
        print(f"  peers not run above {args.peer_max} packages (--peer-max)")
        return
    if args.vulnerable_share != 0.5:
        # The goals are set on the stress case; another share is shown, not judged.
        print("  goals: judged only at --vulnerable-share 0.5 (the stress case)")
        report_findings(tools, outputs, bench.groups, bench.withdrawn)
        return
    print_goals(args, by_label, floor, warm)
    report_findings(tools, outputs, bench.groups, bench.withdrawn)


def print_goals(
    args: argparse.Namespace,
    by_label: dict[str, Tool],
    floor: float | None,
    warm: dict[str, float],
) -> None:
    """Each goal of the speed issue, met or not; an unmet one with what it would take."""
    print("  goals (pipvet's ratio on the same kind of input):")
    for name, want in GOALS:
        label = name.format(latency=f"{args.latency:g}")
        peer = by_label.get(label)
        if peer is None:
            print(f"    >= {want:g}x faster than {label}: not measured")
            continue
        ratio = peer.median / by_label[peer.compare_to].median
        verdict = "met" if ratio >= want else "NOT met"
        print(f"    >= {want:g}x faster than {label}: {faster(ratio).strip()}, {verdict}")
        if ratio < want and floor is not None and peer.compare_to in warm:
            print("      " + reach(peer.median / want, floor, warm[peer.compare_to]))


def warm_work(argv: list[str], env: dict[str, str], runs: int) -> float:
    """The median time of the audit ``argv`` run again in one process (``_WARM``)."""
    args = argv[len(pipvet_command()) :]
    done = subprocess.run([sys.executable, "-c", _WARM, str(runs), *args],
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    return float(statistics.median(float(x) for x in done.stdout.split()))


def reach(needed: float, floor: float, work: float) -> str:
    """Whether a ratio goal is within reach of a Python process: the whole run may take
    ``needed`` seconds; ``floor`` and ``work`` are paid before pipvet imports anything."""
    least = floor + work
    text = (f"needs {needed * 1000:.1f} ms a run; the floor ({floor * 1000:.1f} ms) and "
            f"pipvet's work as it is ({work * 1000:.1f} ms, run again in one process) already "
            f"take {least * 1000:.1f} ms")  # fmt: skip
    if least >= needed:
        return text + ": out of reach even if importing pipvet cost nothing"
    return text + f": {(needed - least) * 1000:.1f} ms left for imports and start-up"


def per_package(bench: Bench, n: int, tools: list[Tool], site: Path) -> None:
    """The cost of each package past the smallest size of this run, from the medians, and the
    least a reader of the folder pays per distribution (``_BARE_READ``)."""
    bench.medians[n] = {t.label: t.median for t in tools}
    smallest = min(bench.medians)
    bare = subprocess.run([sys.executable, "-c", _BARE_READ, str(site)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    print(f"  reading the folder's METADATA files alone (open, stat, read, close, and a look "
          f"for direct_url.json): {float(bare.stdout) * 1e6:.1f} us per distribution")  # fmt: skip
    if smallest == n:
        return
    for label in ("pipvet --path", "pipvet -r"):
        if label in bench.medians[n] and label in bench.medians[smallest]:
            cost = (bench.medians[n][label] - bench.medians[smallest][label]) / (n - smallest)
            print(f"  {label}: {cost * 1e6:.1f} us per package past {smallest} "
                  "(medians of this run; goal <= 10 us)")  # fmt: skip


def faster(ratio: float) -> str:
    """``ratio`` is the peer's time over pipvet's."""
    return f"{ratio:5.1f}x faster" if ratio >= 1 else f"{1 / ratio:5.1f}x slower"


def _wipe(folder: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(folder, ignore_errors=True)


def report_findings(
    tools: list[Tool], outputs: dict[str, Path], groups: dict[str, str], withdrawn: set[str]
) -> None:
    """Count each tool's findings (package, version, alias group) and print disagreements;
    ``withdrawn`` names the alias groups whose every record is withdrawn."""
    found: dict[str, set[Finding]] = {}
    for tool in tools:
        try:
            found[tool.label] = tool.parse(load_report(outputs[tool.label]), groups)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"  {tool.label}: output not readable ({type(exc).__name__}: {exc})")
    print("  findings (distinct package, version, alias group), compared with pipvet --path:")
    reference = found.get("pipvet --path", set())
    shown: dict[frozenset[Finding], str] = {}
    for label, items in found.items():
        packages = len({(name, version) for name, version, _ in items})
        line = f"    {label:<26} {len(items):>5} findings in {packages:>3} packages"
        same = shown.setdefault(frozenset(items), label)
        only_peer, only_pipvet = sorted(items - reference), sorted(reference - items)
        if same != label:
            print(f"{line}: the same as {same}")
            continue
        if not only_peer and not only_pipvet:
            print(f"{line}: the same as pipvet --path" if label != "pipvet --path" else line)
            continue
        print(f"{line}: {len(only_peer)} only here, {len(only_pipvet)} only in pipvet --path")
        for side, rows in (("here", only_peer), ("in pipvet", only_pipvet)):
            for name, version, group in rows[:15]:
                note = " (withdrawn in the snapshot)" if group in withdrawn else ""
                print(f"      only {side}: {name} {version} {group}{note}")
            if len(rows) > 15:
                print(f"      ... and {len(rows) - 15} more only {side}")


if __name__ == "__main__":
    raise SystemExit(main())
