"""The update pre-check's rules, as tables: what is installed against what pip is asked for
(``plan.wanted``), the index's releases against the installed version (``plan.newer_release``),
PEP 691 pages (``index.simple.parse_simple``) and pip's settings (``update.pip_sources``)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pipvet.errors import NetworkError
from pipvet.index.simple import SimpleFile, parse_simple
from pipvet.inputs.installed_model import DirectUrl, Distribution
from pipvet.models import canonicalize_name
from pipvet.update.pip_sources import DEFAULT_INDEX, pip_sources
from pipvet.update.plan import Root, newer_release, wanted

MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
           "os_name": "posix", "platform_system": "Linux", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "platform_machine": "x86_64",
           "platform_release": "", "platform_version": "",
           "implementation_version": "3.11.7"}  # fmt: skip


def dist(name: str, version: str | None, *requires: str, direct: str | None = None) -> Distribution:
    url = DirectUrl("file:///x", direct) if direct else None  # type: ignore[arg-type]
    return Distribution(canonicalize_name(name), name, version, f"/sp/{name}.dist-info",
                        Path("/sp"), "dist-info", tuple(requires), url)  # fmt: skip


def root(text: str) -> Root:
    from packaging.requirements import Requirement

    req = Requirement(text)
    return Root(canonicalize_name(req.name), req.specifier, tuple(req.extras), req.marker)


INSTALLED = [
    dist("pip", "26.3"),
    dist("alpha", "1.1", "epsilon>=1.0", "gamma; extra == 'fast'", "win; sys_platform == 'win32'"),
    dist("epsilon", "1.1"),
    dist("gamma", "2.0", "delta<3"),
    dist("delta", "2.5"),
]


@pytest.mark.parametrize(
    ("roots", "reached", "why"),
    [
        (["alpha>=1.0"], {"alpha", "epsilon"}, None),
        (["alpha[fast]>=1.0"], {"alpha", "epsilon", "gamma", "delta"}, None),
        (["alpha==1.0"], set(), "alpha 1.1 does not satisfy ==1.0 (required)"),
        (["zeta"], set(), "zeta (required) is not installed"),
        (["zeta; python_version < '3'"], set(), None),  # the marker says: not here
        (["alpha", "alpha[fast]"], {"alpha", "epsilon", "gamma", "delta"}, None),
    ],
)
def test_what_the_requirements_reach(roots: list[str], reached: set[str], why: str | None) -> None:
    got, reason = wanted([root(r) for r in roots], INSTALLED, MARKERS)
    assert reason == why
    if why is None:
        assert set(got) == reached


@pytest.mark.parametrize(
    ("installed", "why"),
    [
        (dist("a", "1.0", "b>=2"), "b (by a) is not installed"),
        (dist("a", "1.0rc1"), "a 1.0rc1 is a pre-release or local build"),
        (dist("a", "1.0+cpu"), "a 1.0+cpu is a pre-release or local build"),
        (dist("a", None), "a's metadata is incomplete"),
        (dist("a", "1.0", direct="editable"), "a is installed from a folder or a VCS URL"),
        (dist("a", "1.0", "b @ https://x/b.whl"), "a requires b from a URL"),
        (dist("a", "1.0", direct="archive"), None),  # a wheel file: compared by version
    ],
)
def test_what_only_pip_can_judge(installed: Distribution, why: str | None) -> None:
    assert wanted([root("a")], [installed], MARKERS)[1] == why


def test_a_distribution_installed_twice_is_left_to_pip() -> None:
    _, why = wanted([root("a")], [dist("a", "1.0"), dist("a", "2.0")], MARKERS)
    assert why is not None
    assert "installed twice" in why


DAY = 86400.0
NOW = 1_800_000_000.0
CUTOFF = NOW - 3 * DAY


def f(version: str, age_days: float | None = 10, *, yanked: bool = False,
      requires_python: str | None = None) -> SimpleFile:  # fmt: skip
    uploaded = None if age_days is None else NOW - age_days * DAY
    return SimpleFile(f"a-{version}-py3-none-any.whl", Version(version), uploaded, yanked,
                      requires_python)  # fmt: skip


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ((f("1.0", 60),), None),
        ((f("1.0", 60), f("1.1")), "a 1.1 is newer than the installed 1.0"),
        ((f("1.0", 60), f("1.1", 1)), None),  # inside the cooldown
        ((f("1.0", 60), f("1.1", None)), "a 1.1 is newer than the installed 1.0"),  # no time
        ((f("1.0", 60), f("1.1", yanked=True)), None),
        ((f("1.0", 60), f("2.0rc1"), f("2.0.dev1")), None),  # final releases only
        ((f("1.0", 60), f("1.0.post1")), "a 1.0.post1 is newer than the installed 1.0"),
        ((f("1.0", 60), f("1.1", requires_python=">=3.12")), None),  # not for this Python
        (
            (f("1.0", 60), f("1.1", requires_python="nonsense")),
            "a 1.1 is newer than the installed 1.0",
        ),
        ((f("0.9", 60),), None),  # the installed one is newer than the index's
        ((), None),  # no such project on pip's index: pip keeps what is installed
        (None, "the index's answer for a is not PEP 691 JSON with upload times"),
    ],
)
def test_newer_release(files: tuple[SimpleFile, ...] | None, why: str | None) -> None:
    name = canonicalize_name("a")
    got = newer_release(name, Version("1.0"), files, cutoff=CUTOFF, python_version="3.11.7")
    assert got == why


def test_no_cooldown_takes_any_release_and_errors_say_so() -> None:
    name = canonicalize_name("a")
    fresh = (f("1.1", 0.01),)
    assert newer_release(name, Version("1.0"), fresh, cutoff=None, python_version="3.11.7")
    error = NetworkError("http://x/a/: HTTP 401 Unauthorized", url="http://x/a/")
    got = newer_release(name, Version("1.0"), error, cutoff=None, python_version="3.11.7")
    assert got == "the index could not be asked about a (http://x/a/: HTTP 401 Unauthorized)"


def page(files: list[dict[str, Any]], api: str = "1.1") -> bytes:
    return json.dumps({"meta": {"api-version": api}, "name": "a", "files": files}).encode()


def test_parse_simple_reads_pep_691_with_upload_times() -> None:
    body = page([
        {"filename": "a-1.0-py3-none-any.whl", "upload-time": "2026-01-01T00:00:00.5Z",
         "yanked": "broken", "requires-python": ">=3.8"},
        {"filename": "a-1.1.tar.gz", "upload-time": "2026-01-02T00:00:00Z"},
        {"filename": "a-1.2.exe"},  # not a name pip reads: left out, as pip does
    ])  # fmt: skip
    got = parse_simple(body)
    assert got is not None
    assert [(x.filename, str(x.version), x.yanked, x.requires_python) for x in got] == [
        ("a-1.0-py3-none-any.whl", "1.0", True, ">=3.8"),
        ("a-1.1.tar.gz", "1.1", False, None),
    ]
    assert got[1].uploaded == 1767312000.0
    assert parse_simple(page([], api="1.0")) is None  # no upload times before 1.1
    assert parse_simple(b"<html>") is None
    assert parse_simple(b"[" * 200_000 + b"]" * 200_000) is None  # not a RecursionError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pip's Linux file layout")
@pytest.mark.parametrize(
    ("environ", "files", "index", "why"),
    [
        ({}, {}, DEFAULT_INDEX, ""),
        ({"PIP_INDEX_URL": "https://mirror/simple"}, {}, "https://mirror/simple", ""),
        ({"PIP_NO_CACHE_DIR": "1", "PIP_TIMEOUT": "5"}, {}, DEFAULT_INDEX, ""),
        ({"PIP_EXTRA_INDEX_URL": "https://x/simple"}, {}, None,
         "the environment sets PIP_EXTRA_INDEX_URL"),
        ({"PIP_FIND_LINKS": "/wheels"}, {}, None, "the environment sets PIP_FIND_LINKS"),
        ({"PIP_TARGET": "/elsewhere"}, {}, None, "the environment sets PIP_TARGET"),
        ({}, {"home/.config/pip/pip.conf": "[global]\nindex-url = https://m/simple\n"},
         "https://m/simple", ""),
        ({}, {"home/.pip/pip.conf": "[install]\npre = true\n"}, None,
         "pip's configuration sets install.pre"),
        ({}, {"venv/pip.conf": "[global]\nextra_index_url = https://x\n"}, None,
         "pip's configuration sets global.extra-index-url"),
        ({}, {"venv/pip.conf": "[freeze]\nexclude = x\n"}, DEFAULT_INDEX, ""),
        ({"PIP_CONFIG_FILE": os.devnull},
         {"home/.config/pip/pip.conf": "[global]\nfind-links = /w\n"}, DEFAULT_INDEX, ""),
        ({}, {"home/.config/pip/pip.conf": "[global\n"}, None, "could not be read"),
        ({"PIP_INDEX_URL": "/srv/wheels"}, {}, None, "not an HTTP index"),
    ],
)  # fmt: skip
def test_pip_sources(tmp_path: Path, environ: dict[str, str], files: dict[str, str],
                     index: str | None, why: str) -> None:  # fmt: skip
    for rel, text in files.items():
        write(tmp_path / rel, text)
    env = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": str(tmp_path / "etc"), **environ}

    def no_pip() -> dict[str, str]:
        raise AssertionError("pip config list is for other platforms")

    got = pip_sources(env, tmp_path / "venv", no_pip)
    assert got.index_url == index
    assert why in got.reason


def test_root_marker_uses_the_target(tmp_path: Path) -> None:
    r = Root(canonicalize_name("a"), SpecifierSet(), (), Marker("sys_platform == 'win32'"))
    assert wanted([r], [], MARKERS) == ({}, None)
