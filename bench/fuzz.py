"""Fuzz every reader of untrusted input; print cases, crashes, hangs and peak memory per reader.

    python bench/fuzz.py                     # 10,000 cases per reader (the README's table)
    python bench/fuzz.py --cases 300 --seed 1 --reader requirements

A *crash* is any exception other than pipvet's own error types (``PipvetError`` and its
subclasses): those are the clear messages the CLI turns into exit 2. A *hang* is a case that
takes over 10 s (a watchdog interrupts it). A fifth of each reader's cases come from hypothesis
(structured text built from the grammar of the input), the rest from plain mutation of real
samples (byte flips, cuts, splices and hostile tokens: NUL, ``~nosuchuser``, huge numbers,
``${VAR}``, slashes, deep nesting). The requirements reader is also checked against pip's own
parser (``pip._internal``, used here only, never by pipvet): a line pip rejects that pipvet
accepts is counted as a *disagreement* (must be 0).

Readers: requirements, pyproject, policy, site-packages metadata, OSV records, OSV archives,
HTTP answers from a hostile loopback server, lock files (each case read as ``uv.lock``,
``poetry.lock``, ``pylock.toml`` and ``Pipfile.lock``), notebooks, conda ``environment.yml``
and SBOMs (CycloneDX and SPDX JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from pipvet.errors import PipvetError  # noqa: E402

HANG_SECONDS = 10.0
TOKENS = [
    "\x00",
    "~nosuchuser/x",
    "~",
    "${HOME}",
    "${X}",
    "/",
    "\\",
    "..",
    ".",
    "==",
    ">=",
    "~=",
    "===",
    "@",
    ";",
    "[",
    "]",
    "#",
    "-r ",
    "-c ",
    "-e ",
    "--hash=sha256:",
    "file://",
    "http://",
    "9" * 40,
    "-1",
    "1e999",
    "nan",
    "inf",
    "\r",
    "\n",
    "\t",
    " ",
    "\ufeff",
    "\u202e",
    "é",
    "[" * 2000,
    "{" * 2000,
    "a" * 5000,
    "\\u0000",
    '"',
    "'",
    "=",
    "\x1b[31m",
    "0" * 300,
]


class Hang(BaseException):
    """Raised by the watchdog inside a case that ran over HANG_SECONDS."""


@dataclass
class Tally:
    reader: str
    cases: int = 0
    crashes: int = 0
    hangs: int = 0
    disagreements: int = 0
    peak_bytes: int = 0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)

    def note(self, kind: str, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {text[:300]!r}")


# ---------------------------------------------------------------------------- mutation


def mutate(rng: random.Random, data: str) -> str:
    """One to four edits of ``data``: flips, cuts, splices, duplicated spans, hostile tokens."""
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(data))
        match rng.randrange(6):
            case 0:
                data = data[:pos] + rng.choice(TOKENS) + data[pos:]
            case 1:
                end = min(len(data), pos + rng.randint(1, 20))
                data = data[:pos] + data[end:]
            case 2:
                data = (
                    data[:pos]
                    + chr(rng.randrange(0x110000) if rng.random() < 0.2 else rng.randrange(32, 127))
                    + data[pos:]
                )
            case 3:
                span = data[pos : pos + rng.randint(1, 40)]
                data = data[:pos] + span * rng.randint(2, 50) + data[pos:]
            case 4:
                data = data[:pos]
            case _:
                other = rng.randint(0, len(data))
                data = data[:pos] + data[other:]
    return surrogate_free(data)  # lone surrogates cannot be written as UTF-8


def surrogate_free(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


# ---------------------------------------------------------------------------- hypothesis


def hypothesis_inputs(strategy: SearchStrategy[Any], count: int, seed: int) -> list[object]:
    """``count`` examples drawn by hypothesis from ``strategy``, reproducibly for ``seed``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    drawn: list[object] = []

    @hseed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: object) -> None:
        drawn.append(value)

    collect()
    return drawn[:count]


def _line_strategy() -> SearchStrategy[str]:
    from hypothesis import strategies as st

    name = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True)
    version = st.from_regex(
        r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}([ab]|rc|\.post|\.dev)?[0-9]?", fullmatch=True
    )
    op = st.sampled_from(["==", ">=", "<=", "!=", "~=", "===", "<", ">", "", "=", "=>"])
    junk = st.sampled_from(TOKENS)
    text = st.text(max_size=12)
    part = st.one_of(
        name,
        version,
        op,
        junk,
        text,
        st.sampled_from(["; python_version >= '3'", "[extra]", " @ "]),
    )
    return st.lists(part, min_size=1, max_size=6).map("".join)


# ---------------------------------------------------------------------------- readers


REQ_SEEDS = [
    "requests==2.31.0\nflask>=2\n# comment\n-r other.txt\n",
    "numpy==1.26.4 --hash=sha256:" + "a" * 64 + "\n",
    "pkg @ https://files.example/pkg-1.0.tar.gz ; python_version >= '3.8'\n",
    "-e .\n./dist/foo-1.0-py3-none-any.whl\ngit+https://github.com/o/r.git#egg=r\n",
    "pandas[excel]==2.2.0 \\\n    --hash=sha256:" + "b" * 64 + "\n-c constraints.txt\n",
    "--index-url https://pypi.example/simple\n--extra-index-url https://x.example\nattrs==23.1\n",
    "django==4.2.${MINOR}\nrequests==${HOME}\n",
]


class Context:
    """A scratch folder per reader, reused by its cases."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def fresh(self, name: str) -> Path:
        folder = self.root / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder


def _pip_rejects(path: Path) -> bool:
    """True when pip's own parser refuses the file (it is never used by pipvet itself)."""
    from pip._internal.exceptions import InstallationError, RequirementsFileParseError
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import parse_requirements

    try:
        for parsed in parse_requirements(str(path), session=_pip_session(), constraint=False):
            install_req_from_parsed_requirement(parsed)
    except (InstallationError, RequirementsFileParseError):
        return True
    except Exception:
        return True
    except SystemExit:
        return True
    return False


_SESSION: list[Any] = []


def _pip_session() -> Any:
    if not _SESSION:
        from pip._internal.network.session import PipSession

        _SESSION.append(PipSession())
    return _SESSION[0]


def _written(ctx: Context, kind: str, name: str, text: str) -> Path:
    """The case written as ``name`` (UTF-8, lone surrogates replaced) in a fresh folder."""
    path = ctx.fresh(kind) / name
    path.write_bytes(surrogate_free(text).encode("utf-8"))
    return path


def run_requirements(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.inputs.requirements import parse_requirements_file

    path = _written(ctx, "req", "requirements.txt", text)
    folder = path.parent
    (folder / "other.txt").write_text("six==1.16.0\n", encoding="utf-8")
    (folder / "constraints.txt").write_text("six<2\n", encoding="utf-8")
    accepted = True
    try:
        parse_requirements_file(path, environ={"HOME": "/root", "MINOR": "1"})
    except PipvetError:
        accepted = False
    if accepted and "\n" not in text.strip() and _differential_line(text) and _pip_rejects(path):
        tally.disagreements += 1
        tally.note("pip rejects, pipvet accepts", text)


def _differential_line(text: str) -> bool:
    """Lines whose meaning pip and pipvet share: no options pip resolves on the network or
    that pipvet reads differently on purpose (pip reads ${VAR} from the real environment)."""
    stripped = text.strip()
    return bool(stripped) and "$" not in stripped and not stripped.startswith("-")


PYPROJECT_SEED = """[project]
name = "demo"
version = "1.0"
dependencies = ["requests>=2", "flask==2.0.1; python_version >= '3.8'"]
[project.optional-dependencies]
dev = ["pytest>=7"]
[dependency-groups]
test = ["coverage", {include-group = "lint"}]
lint = ["ruff"]
"""


def run_pyproject(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.inputs.requirements import parse_pyproject

    path = _written(ctx, "pyproject", "pyproject.toml", text)
    with contextlib.suppress(PipvetError):
        parse_pyproject(path)


POLICY_SEED = """fail-on = "high"
max-age-hours = 24
cooldown-days = 3
vet-fail-on = "avoid"
min-maintainers = 1
max-maintainers = 5
max-new-dependencies = 20
internal = ["acme-*"]
osv-overlay = "advisories"
index-url = "https://pypi.org"
[[ignore]]
id = "PYSEC-2023-1"
reason = "not reachable"
expires = 2027-01-01
package = "requests"
versions = "<3"
"""


def run_policy(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.policy import load_policy

    path = _written(ctx, "policy", "pipvet.toml", text)
    with contextlib.suppress(PipvetError):
        load_policy(path.parent, path, today=date(2026, 12, 1))


METADATA_SEED = """Metadata-Version: 2.1
Name: demo-pkg
Version: 1.2.3
Requires-Dist: requests>=2
Requires-Dist: tomli; python_version < "3.11"

A long description.
"""


def run_metadata(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.inputs.installed import read_site_packages

    site = ctx.fresh("site")
    info = site / "demo_pkg-1.2.3.dist-info"
    info.mkdir()
    data = surrogate_free(text).encode("utf-8")
    pick = len(text) % 11
    if pick == 0:
        os.mkfifo(info / "METADATA")
    elif pick == 1:
        (info / "METADATA").symlink_to("/dev/zero")
    else:
        (info / "METADATA").write_bytes(data)
    (info / "direct_url.json").write_bytes(data if pick == 2 else b'{"url": "file:///x"}')
    (info / "RECORD").write_bytes(data if pick == 3 else b"demo/__init__.py,,\n")
    (info / "entry_points.txt").write_bytes(data if pick == 4 else b"[console_scripts]\nd = d:m\n")
    (site / "demo.pth").write_bytes(data if pick == 5 else b"import os\n")
    (site / "old.egg-link").write_bytes(data if pick == 6 else b"/nowhere\n")
    with contextlib.suppress(PipvetError):
        scan = read_site_packages(site)
        for dist in scan.distributions:
            dist.dependency()
            for name in ("INSTALLER", "WHEEL", "RECORD", "entry_points.txt"):
                dist.read_text(name)


def _osv_seeds() -> list[str]:
    """A few real records from the shared snapshot when it is there, else a written one."""
    archive = ROOT.parent / "shared" / "data" / "osv" / "PyPI" / "all.zip"
    seeds: list[str] = []
    if archive.is_file():
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist()[:4000:400]:
                seeds.append(z.read(name).decode("utf-8"))
    seeds.append(
        json.dumps(
            {
                "id": "PYSEC-2024-1",
                "modified": "2024-01-01T00:00:00Z",
                "aliases": ["CVE-2024-1", "GHSA-xxxx-yyyy-zzzz"],
                "summary": "bad",
                "details": "worse",
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                ],
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "demo"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}
                        ],
                        "versions": ["1.0", "1.1"],
                    }
                ],
                "references": [{"type": "WEB", "url": "https://e.example"}],
            }
        )
    )
    return seeds


def run_osv_record(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.advisories.match import package_record
    from pipvet.advisories.osv import parse_advisory_json
    from pipvet.advisories.records import prepare_record

    with contextlib.suppress(PipvetError):
        stored = prepare_record(surrogate_free(text).encode("utf-8"))
        advisory = parse_advisory_json(stored.json)
        for name in stored.names[:3]:
            package_record(advisory, name)


def run_osv_archive(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.advisories.records import Tally as SkipTally
    from pipvet.advisories.records import archive_records

    folder = ctx.fresh("archive")
    path = folder / "all.zip"
    buf = io.BytesIO()
    rng = random.Random(len(text))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(rng.randint(1, 4)):
            z.writestr(f"{'../' if rng.random() < 0.1 else ''}R-{i}.json", surrogate_free(text))
    raw = bytearray(buf.getvalue())
    for _ in range(rng.randint(0, 3)):  # damage the container too
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    path.write_bytes(bytes(raw))
    with contextlib.suppress(PipvetError):
        for _record in archive_records(path, SkipTally("records"), None):
            pass


# ---------------------------------------------------------------------------- hostile HTTP


class HostileServer:
    """A raw loopback server that answers each request with whatever bytes it is told to,
    then closes: bad status lines, lying Content-Length, broken gzip, redirects, 429s."""

    def __init__(self) -> None:
        self.answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()


def http_answer(rng: random.Random, text: str) -> bytes:
    body = surrogate_free(text).encode("utf-8")
    status = rng.choice([200, 200, 200, 301, 302, 304, 404, 410, 429, 500, 503, 999, 0])
    headers = []
    kind = rng.randrange(8)
    if kind == 0:
        body = gzip.compress(body)
        headers.append("Content-Encoding: gzip")
    elif kind == 1:
        headers.append("Content-Encoding: gzip")  # a lie: not gzip at all
    elif kind == 2:
        headers.append(f"Content-Length: {rng.choice([0, 1, len(body) + 100, 10**18, -5])}")
    elif kind == 3:
        waits = ["0", "1", "-1", "nan", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "x" * 50]
        headers.append(f"Retry-After: {rng.choice(waits)}")
    elif kind == 4:
        headers.append(
            f"Location: {rng.choice(['/', 'ftp://x', 'http://[::1', '//evil.example/', 'file:///etc/passwd'])}"
        )
    elif kind == 5:
        headers.append(mutate(rng, 'ETag: "abc"'))
    if kind != 2:
        headers.append(f"Content-Length: {len(body)}")
    head = f"HTTP/1.1 {status} X\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    if rng.random() < 0.05:
        head = mutate(rng, head)
    return surrogate_free(head).encode("utf-8", "replace") + body


class HttpCase:
    def __init__(self, ctx: Context) -> None:
        from pipvet.system.http import HttpClient

        self.server = HostileServer()
        self.client = HttpClient(ctx.fresh("http"), sleep=lambda _s: None, timeout=2, retries=1)

    def __call__(self, ctx: Context, text: str, tally: Tally) -> None:
        text = surrogate_free(text)  # random.Random(str) encodes its seed as UTF-8
        rng = random.Random(text)
        self.server.answer = http_answer(rng, text)
        with contextlib.suppress(PipvetError):
            answer = self.client.get(
                f"{self.server.url}/{rng.randrange(50)}.json", cache=rng.random() < 0.5
            )
            with contextlib.suppress(ValueError, RecursionError):
                json.loads(answer.body)  # what every caller does next


# ---------------------------------------------------------------------------- driver


# ------------------------------------------------------------ lock files, notebooks, SBOMs

UV_LOCK_SEED = """version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "requests" }, { name = "pywin32", marker = "sys_platform == 'win32'" }]

[[package]]
name = "requests"
version = "2.19.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "1.0"
source = { git = "https://user:secret@github.com/o/tool?rev=main#abc123" }
"""

POETRY_LOCK_SEED = """[[package]]
name = "jinja2"
version = "2.10"
optional = false
python-versions = "*"
groups = ["main", "dev"]
markers = {main = "python_version >= '3.8'", dev = "sys_platform == 'linux'"}

[package.source]
type = "git"
url = "https://github.com/o/mylib.git"
reference = "main"

[metadata]
lock-version = "2.1"
python-versions = ">=3.11"
content-hash = "abc"
"""

PYLOCK_SEED = """lock-version = "1.0"
created-by = "x"

[[packages]]
name = "idna"
version = "2.7"
marker = "python_version < '3.14'"

[[packages]]
name = "src"
vcs = { type = "git", url = "https://example.org/src.git", commit-id = "abc" }
"""

PIPFILE_LOCK_SEED = json.dumps(
    {
        "_meta": {"hash": {"sha256": "x"}, "sources": [{"url": "https://pypi.org/simple"}]},
        "default": {
            "requests": {"version": "==2.19.0", "hashes": ["sha256:" + "a" * 64]},
            "mylib": {"git": "https://github.com/o/mylib.git", "ref": "abc"},
        },
        "develop": {"pytest": {"version": "==7.0.0", "markers": "python_version >= '3.8'"}},
    },
    indent=4,
)

LOCK_SEEDS = [UV_LOCK_SEED, POETRY_LOCK_SEED, PYLOCK_SEED, PIPFILE_LOCK_SEED]


def run_lock_files(ctx: Context, text: str, tally: Tally) -> None:
    """The same text under each lock file name: every reader sees every mutation."""
    from pipvet.inputs.lockfiles import read_lock_file

    folder = ctx.fresh("lock")
    data = surrogate_free(text).encode("utf-8")
    for name in ("uv.lock", "poetry.lock", "pylock.toml", "Pipfile.lock"):
        path = folder / name
        path.write_bytes(data)
        with contextlib.suppress(PipvetError):
            read_lock_file(path)


def _notebook(*cells: str) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3"}},
            "cells": [
                {"cell_type": "code", "source": cell.splitlines(keepends=True), "outputs": []}
                for cell in cells
            ],
        },
        indent=1,
    )


NOTEBOOK_SEEDS = [
    _notebook("import pandas\n", "%pip install -q reqeusts==2.19.0 'numpy>=1.26'\n"),
    _notebook("!pip install --extra-index-url https://u:TOKEN@x.example/simple flask\n"),
    _notebook("%pip install -r requirements.txt\n%conda install scipy\n", "!pip3 install -U a b"),
]


def _with_include(ctx: Context, name: str, include: str, text: str) -> Path:
    """The case written as ``name`` in a fresh folder beside the requirements file it may
    include (``-r``), which is well formed."""
    path = _written(ctx, name.rsplit(".", 1)[-1], name, text)
    (path.parent / include).write_text("six==1.16.0\n", encoding="utf-8")
    return path


def run_notebook(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.inputs.notebooks import read_notebook

    path = _with_include(ctx, "explore.ipynb", "requirements.txt", text)
    with contextlib.suppress(PipvetError):
        read_notebook(path, environ={"HOME": "/root"})


CONDA_SEEDS = [
    """name: analysis
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy=1.26.4
  - "conda-forge::pandas>=2"
  - pip
  - pip:
    - requests==2.19.0   # pinned
    - -r extra.txt
    - jinja2
variables:
  TOKEN: not-read
""",
]


def run_conda(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.inputs.conda import read_environment_yml

    path = _with_include(ctx, "environment.yml", "extra.txt", text)
    with contextlib.suppress(PipvetError):
        read_environment_yml(path, environ={"HOME": "/root"})


SBOM_SEEDS = [
    json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {"component": {"type": "application", "name": "svc", "bom-ref": "svc"}},
            "components": [
                {
                    "type": "library",
                    "bom-ref": "pkg:pypi/requests@2.19.0",
                    "name": "requests",
                    "version": "2.19.0",
                    "purl": "pkg:pypi/requests@2.19.0",
                    "hashes": [{"alg": "SHA-256", "content": "a" * 64}],
                    "licenses": [{"license": {"id": "Apache-2.0"}}],
                    "components": [{"type": "library", "name": "vendored", "version": "1"}],
                },
                {"type": "library", "name": "urllib3", "version": "1.24.1",
                 "purl": "pkg:pypi/urllib3@1.24.1"},
            ],
            "dependencies": [{"ref": "pkg:pypi/requests@2.19.0", "dependsOn": ["urllib3"]}],
        },
        indent=2,
    ),
    json.dumps(
        {
            "spdxVersion": "SPDX-2.3",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "svc",
            "packages": [
                {
                    "SPDXID": "SPDXRef-requests",
                    "name": "requests",
                    "versionInfo": "2.19.0",
                    "externalRefs": [
                        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                         "referenceLocator": "pkg:pypi/requests@2.19.0"}
                    ],
                    "checksums": [{"algorithm": "SHA256", "checksumValue": "b" * 64}],
                }
            ],
            "relationships": [
                {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                 "relatedSpdxElement": "SPDXRef-requests"}
            ],
        },
        indent=2,
    ),
]  # fmt: skip


def run_sbom(ctx: Context, text: str, tally: Tally) -> None:
    from pipvet.sbom.read import read_sbom

    path = _written(ctx, "sbom", "bom.json", text)
    with contextlib.suppress(PipvetError):
        read_sbom(path)


@dataclass(frozen=True)
class Reader:
    name: str
    seeds: Callable[[], list[str]]
    run: Callable[[Context], Callable[[Context, str, Tally], None]]
    strategy: Callable[[], SearchStrategy[str]]


def _text_strategy(seeds: Callable[[], list[str]]) -> Callable[[], SearchStrategy[str]]:
    def build() -> SearchStrategy[str]:
        from hypothesis import strategies as st

        seed_lines = [line for s in seeds() for line in s.splitlines() if line][:200]
        line = st.one_of(_line_strategy(), st.sampled_from(seed_lines or ["x"]))
        return st.lists(line, max_size=8).map("\n".join)

    return build


def _json_strategy() -> SearchStrategy[str]:
    from hypothesis import strategies as st

    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
    value = st.recursive(
        leaf,
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=20,
    )
    keys = st.sampled_from(
        [
            "id",
            "modified",
            "aliases",
            "affected",
            "withdrawn",
            "summary",
            "details",
            "severity",
            "references",
            "database_specific",
            "package",
            "ranges",
            "events",
            "versions",
        ]
    )
    record = st.dictionaries(keys, value, max_size=8)
    return record.map(json.dumps)


def _static(
    run: Callable[[Context, str, Tally], None],
) -> Callable[[Context], Callable[[Context, str, Tally], None]]:
    return lambda _ctx: run


READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        Reader(
            "requirements",
            lambda: REQ_SEEDS,
            _static(run_requirements),
            _text_strategy(lambda: REQ_SEEDS),
        ),
        Reader(
            "pyproject",
            lambda: [PYPROJECT_SEED],
            _static(run_pyproject),
            _text_strategy(lambda: [PYPROJECT_SEED]),
        ),
        Reader(
            "policy",
            lambda: [POLICY_SEED],
            _static(run_policy),
            _text_strategy(lambda: [POLICY_SEED]),
        ),
        Reader(
            "site-packages",
            lambda: [METADATA_SEED],
            _static(run_metadata),
            _text_strategy(lambda: [METADATA_SEED]),
        ),
        Reader("osv-record", _osv_seeds, _static(run_osv_record), _json_strategy),
        Reader("osv-archive", _osv_seeds, _static(run_osv_archive), _json_strategy),
        Reader("http", _osv_seeds, HttpCase, _json_strategy),
        Reader(
            "lock-files",
            lambda: LOCK_SEEDS,
            _static(run_lock_files),
            _text_strategy(lambda: LOCK_SEEDS),
        ),
        Reader(
            "notebook",
            lambda: NOTEBOOK_SEEDS,
            _static(run_notebook),
            _text_strategy(lambda: NOTEBOOK_SEEDS),
        ),
        Reader(
            "conda-env",
            lambda: CONDA_SEEDS,
            _static(run_conda),
            _text_strategy(lambda: CONDA_SEEDS),
        ),
        Reader("sbom", lambda: SBOM_SEEDS, _static(run_sbom), _text_strategy(lambda: SBOM_SEEDS)),
    )
}


def cases_for(reader: Reader, count: int, seed: int) -> Iterator[str]:
    """A fifth from hypothesis (at most 1,000: drawing is the slow part), the rest by
    mutating the reader's real samples."""
    drawn = hypothesis_inputs(reader.strategy(), min(count // 5, 1000), seed)
    yield from (str(d) for d in drawn)
    rng = random.Random(seed)
    seeds = reader.seeds()
    for _ in range(count - len(drawn)):
        yield mutate(rng, rng.choice(seeds))


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hang()


def fuzz_reader(name: str, cases: int, seed: int, scratch: Path) -> Tally:
    """Run ``cases`` cases through one reader; never raises for what a case does."""
    reader = READERS[name]
    tally = Tally(name)
    ctx = Context(scratch / name)
    run = reader.run(ctx)
    watchdog = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGALRM, _on_alarm) if watchdog else None
    tracemalloc.start()
    started = time.monotonic()
    try:
        for text in cases_for(reader, cases, seed):
            tally.cases += 1
            if watchdog:
                signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
            try:
                run(ctx, text, tally)
            except Hang:
                tally.hangs += 1
                tally.note("hang", text)
            except Exception as exc:
                tally.crashes += 1
                tally.note(f"crash {type(exc).__name__}: {exc!s:.100}", text)
            finally:
                if watchdog:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        tally.seconds = time.monotonic() - started
        tally.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if watchdog and old is not None:
            signal.signal(signal.SIGALRM, old)
        if isinstance(run, HttpCase):
            run.server.close()
    return tally


def table(tallies: list[Tally]) -> str:
    lines = [
        "| reader | cases | crashes | hangs > 10 s | pip disagrees | peak memory | time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in tallies:
        pip = str(t.disagreements) if t.reader == "requirements" else "-"
        lines.append(
            f"| {t.reader} | {t.cases:,} | {t.crashes} | {t.hangs} | {pip} | "
            f"{t.peak_bytes / 2**20:.1f} MiB | {t.seconds:.0f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reader", action="append", choices=sorted(READERS))
    args = parser.parse_args(argv)
    tallies = []
    with tempfile.TemporaryDirectory(prefix="pipvet-fuzz-") as tmp:
        for name in args.reader or list(READERS):
            tally = fuzz_reader(name, args.cases, args.seed, Path(tmp))
            tallies.append(tally)
            print(
                f"{name}: {tally.cases} cases, {tally.crashes} crashes, {tally.hangs} hangs, "
                f"{tally.disagreements} disagreements, {tally.seconds:.0f} s",
                file=sys.stderr,
            )
            for example in tally.examples:
                print(f"  {example}", file=sys.stderr)
    print(table(tallies))
    bad = sum(t.crashes + t.hangs + t.disagreements for t in tallies)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
