"""Subtrees from index metadata (loopback index) and from the target's own pip (real venv)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from packaging import markers, tags
from packaging.utils import NormalizedName, canonicalize_name

from pipvet.errors import PipError
from pipvet.index.client import IndexClient
from pipvet.system.http import HttpClient
from pipvet.system.process import SubprocessRunner
from pipvet.vetting import signals as S
from pipvet.vetting.model import Thresholds
from pipvet.vetting.subtree import MetadataResolver, Root, pip_dry_run, pip_subtree
from pipvet.vetting.target import TargetEnvironment, probe_target
from tests.support.httpserver import Reply
from tests.support.index_server import IndexServer, document, index_server
from tests.support.pipvenv import venv_with_pip
from tests.support.wheels import build_wheel, create_venv, pip_env

UPLOADED = "2025-06-01T00:00:00Z"


@pytest.fixture
def index(shared_data: Path) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        yield server


def target(
    installed: Mapping[str, str] | None = None, **marker_overrides: str
) -> TargetEnvironment:
    env = {str(k): str(v) for k, v in markers.default_environment().items()}
    env.update(marker_overrides)
    return TargetEnvironment(
        python=sys.executable,
        python_version="3.11.7",
        implementation="CPython",
        prefix=sys.prefix,
        markers=env,
        tags=tuple(str(t) for t in tags.sys_tags()),
        installed={canonicalize_name(k): v for k, v in (installed or {}).items()},
    )


def resolver(
    index: IndexServer, tmp_path: Path, env: TargetEnvironment, **kw: object
) -> MetadataResolver:
    client = IndexClient(HttpClient(tmp_path / "http", retries=0), index.url, **kw)  # type: ignore[arg-type]
    return MetadataResolver(client.lookup_many, env)


def roots(
    r: MetadataResolver, *names: str, extras: Mapping[str, set[str]] | None = None
) -> list[Root]:
    r.fetch(names)
    out = []
    for name in names:
        answer = r.projects[canonicalize_name(name)]
        assert not isinstance(answer, Exception)
        assert answer.project is not None
        out.append(
            Root(
                answer.project.name,
                answer.project.requires_dist,
                frozenset((extras or {}).get(name, ())),
            )
        )
    return out


def names(subtree_new: object) -> list[str]:
    assert subtree_new is not None
    return [d.name for d in subtree_new]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------ metadata


def test_requests_adds_its_four_dependencies(index: IndexServer, tmp_path: Path) -> None:
    r = resolver(index, tmp_path, target())
    result = r.resolve(roots(r, "requests"))[canonicalize_name("requests")]
    assert result.problem is None
    assert names(result.new) == ["certifi", "charset-normalizer", "idna", "urllib3"]
    assert {d.required_by for d in result.new or ()} == {"requests"}
    # Extras that nobody asked for ("socks", "use-chardet-on-py3") are not followed.
    assert "pysocks" not in index.lookups()


def test_installed_packages_are_not_new_and_not_walked(index: IndexServer, tmp_path: Path) -> None:
    r = resolver(index, tmp_path, target({"idna": "3.20", "python-dateutil": "2.9.0"}))
    result = r.resolve(roots(r, "requests", "pandas"))
    assert names(result[canonicalize_name("requests")].new) == [
        "certifi",
        "charset-normalizer",
        "urllib3",
    ]
    # python-dateutil is installed, so its own needs (six, tzdata) are already met.
    assert names(result[canonicalize_name("pandas")].new) == ["numpy"]
    assert "six" not in index.lookups()


def test_markers_use_the_target_platform(index: IndexServer, tmp_path: Path) -> None:
    doc = document(
        "app",
        {"1.0": UPLOADED},
        requires_dist=[
            "six",
            'idna; sys_platform == "win32"',
            'certifi; python_version < "3.8"',
        ],
    )
    index.project("app", doc)
    linux = resolver(index, tmp_path / "a", target(sys_platform="linux"))
    assert names(linux.resolve(roots(linux, "app"))["app"].new) == ["six"]
    windows = resolver(index, tmp_path / "b", target(sys_platform="win32"))
    assert names(windows.resolve(roots(windows, "app"))["app"].new) == ["idna", "six"]


def test_extras_are_followed_transitively(index: IndexServer, tmp_path: Path) -> None:
    index.project(
        "app",
        document("app", {"1.0": UPLOADED}, requires_dist=["lib[fast]>=1", "six; extra == 'cli'"]),
    )
    index.project(
        "lib",
        document(
            "lib",
            {"1.0": UPLOADED, "2.0": UPLOADED},
            requires_dist=["idna", 'certifi; extra == "fast"', 'urllib3; extra == "slow"'],
        ),
    )
    r = resolver(index, tmp_path, target())
    result = r.resolve(roots(r, "app"))["app"]
    assert names(result.new) == ["certifi", "idna", "lib"]
    lib = next(d for d in result.new or () if d.name == "lib")
    assert lib.version == "2.0"
    r2 = resolver(index, tmp_path / "2", target())
    with_cli = r2.resolve(roots(r2, "app", extras={"app": {"cli"}}))["app"]
    assert names(with_cli.new) == ["certifi", "idna", "lib", "six"]


def test_extras_met_later_are_walked_too(index: IndexServer, tmp_path: Path) -> None:
    index.project("app", document("app", {"1.0": UPLOADED}, requires_dist=["lib", "mid"]))
    index.project("mid", document("mid", {"1.0": UPLOADED}, requires_dist=["lib[fast]"]))
    index.project(
        "lib",
        document("lib", {"1.0": UPLOADED}, requires_dist=['certifi; extra == "fast"']),
    )
    r = resolver(index, tmp_path, target())
    assert names(r.resolve(roots(r, "app"))["app"].new) == ["certifi", "lib", "mid"]


def test_missing_dependency_and_cycles(index: IndexServer, tmp_path: Path) -> None:
    index.project("a", document("a", {"1.0": UPLOADED}, requires_dist=["b", "ghost-dep"]))
    index.project("b", document("b", {"1.0": UPLOADED}, requires_dist=["a"]))
    r = resolver(index, tmp_path, target())
    result = r.resolve(roots(r, "a"))["a"]
    assert names(result.new) == ["b", "ghost-dep"]
    ghost = next(d for d in result.new or () if d.name == "ghost-dep")
    assert ghost.on_index is False
    assert ghost.version is None


def test_a_failed_lookup_makes_the_subtree_unchecked(index: IndexServer, tmp_path: Path) -> None:
    index.override("idna", Reply(500, b"down"))
    r = resolver(index, tmp_path, target())
    result = r.resolve(roots(r, "requests"))["requests"]
    assert result.new is None
    assert result.problem is not None
    assert "idna" in result.problem


def test_internal_dependencies_are_counted_but_never_fetched(
    index: IndexServer, tmp_path: Path
) -> None:
    index.project("app", document("app", {"1.0": UPLOADED}, requires_dist=["acme-core", "six"]))
    r = resolver(index, tmp_path, target(), is_internal=lambda n: n.startswith("acme-"))
    result = r.resolve(roots(r, "app"))["app"]
    assert names(result.new) == ["acme-core", "six"]
    assert "acme-core" not in index.lookups()


def test_each_project_is_fetched_once_and_levels_are_batched(
    index: IndexServer, tmp_path: Path
) -> None:
    index.server.latency = 0.15
    r = resolver(index, tmp_path, target())
    result = r.resolve(roots(r, "requests", "pandas", "matplotlib", "pydantic"))
    assert all(s.problem is None for s in result.values())
    looked_up = index.lookups()
    assert len(looked_up) == len(set(looked_up))
    assert len(looked_up) - 4 == 19  # 19 projects below the roots
    # Each answer takes 0.15 s, so requests overlap only when a level is sent as one batch.
    assert index.server.max_in_flight >= 4


# requests 2.25.0's own requirements, as its per-release answer on the index states them.
REQUESTS_2_25_0 = [
    "chardet (<4,>=3.0.2)",
    "idna (<3,>=2.5)",
    "urllib3 (<1.27,>=1.21.1)",
    "certifi (>=2017.4.17)",
    "pyOpenSSL (>=0.14) ; extra == 'security'",
    "PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'",
]


def old_requests_app(index: IndexServer) -> None:
    index.project(
        "vet-app", document("vet-app", {"1.0": UPLOADED}, requires_dist=["requests==2.25.0"])
    )
    index.project("chardet", document("chardet", {"3.0.4": "2017-06-08T14:34:33Z"}))


def with_releases(index: IndexServer, tmp_path: Path, env: TargetEnvironment) -> MetadataResolver:
    client = IndexClient(HttpClient(tmp_path / "http", retries=0), index.url)
    return MetadataResolver(client.lookup_many, env, client.lookup_releases)


def test_an_old_pin_is_read_from_that_releases_own_metadata(
    index: IndexServer, tmp_path: Path
) -> None:
    old_requests_app(index)
    old = document("requests", {"2.25.0": "2020-11-11T19:29:56Z"}, requires_dist=REQUESTS_2_25_0)
    del old["releases"]  # a per-release answer has no release list
    index.release("requests", "2.25.0", old)
    r = with_releases(index, tmp_path, target())
    result = r.resolve(roots(r, "vet-app"))[canonicalize_name("vet-app")]
    # requests 2.25.0 uses chardet; charset-normalizer came later.
    assert names(result.new) == ["certifi", "chardet", "idna", "requests", "urllib3"]
    versions = {str(d.name): d.version for d in result.new or ()}
    assert versions["requests"] == "2.25.0"
    assert versions["idna"] == "2.10"
    # idna 2.10 and urllib3 1.26.x have no per-release answer here: they are named, not hidden.
    assert result.estimated == ("idna", "urllib3")


def test_without_the_releases_own_metadata_the_estimate_is_named(
    index: IndexServer, tmp_path: Path
) -> None:
    old_requests_app(index)  # no per-release answer for requests 2.25.0: the index says 404
    r = with_releases(index, tmp_path, target())
    result = r.resolve(roots(r, "vet-app"))[canonicalize_name("vet-app")]
    assert "charset-normalizer" in names(result.new)
    assert result.estimated == ("requests",)
    signal = S.subtree(result.new, Thresholds(), resolver="metadata", estimated=result.estimated)
    assert "Requirements of requests are from the newest release's metadata" in (signal.message)


def test_a_root_read_from_the_newest_release_is_named(index: IndexServer, tmp_path: Path) -> None:
    r = with_releases(index, tmp_path, target())
    [root] = roots(r, "six")
    result = r.resolve([Root(root.name, root.requires, newest_metadata=True)])["six"]
    assert result.new == ()
    assert result.estimated == ("six",)
    signal = S.subtree(result.new, Thresholds(), resolver="metadata", estimated=result.estimated)
    assert signal.level == "ok"
    assert signal.message == (
        "Adds no packages the environment lacks. Requirements of six are from the newest "
        "release's metadata: the index had none for the release that would be installed, so "
        "this is an estimate (--resolver pip gives pip's exact answer)."
    )


# ------------------------------------------------------------------------ pip


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    build_wheel(folder, "vet-app", "1.0", requires=["vet-lib>=1"])
    build_wheel(folder, "vet-lib", "1.2", requires=["vet-tiny", 'vet-win; sys_platform == "win32"'])
    build_wheel(folder, "vet-tiny", "0.3")
    build_wheel(folder, "vet-win", "1.0")
    return folder


def offline_pip(wheelhouse: Path) -> SubprocessRunner:
    env = pip_env()
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)})
    return SubprocessRunner(env=env)


@pytest.mark.slow
def test_pip_resolver_gives_the_exact_set(wheelhouse: Path, tmp_path: Path) -> None:
    venv = venv_with_pip(tmp_path / "venv")
    runner = offline_pip(wheelhouse)
    installed: dict[NormalizedName, str] = {canonicalize_name("vet-tiny"): "0.3"}
    runner([str(venv.python), "-m", "pip", "install", "-q", "vet-tiny"])
    env = probe_target(venv.python, runner, installed=installed)
    result = pip_subtree("vet-app==1.0", env, runner, root=canonicalize_name("vet-app"))
    assert result.problem is None
    assert [(d.name, d.version) for d in result.new or ()] == [("vet-lib", "1.2")]
    # The dry run installed nothing.
    report = pip_dry_run(str(venv.python), ["vet-app"], runner)
    assert {e.name for e in report} == {"vet-app", "vet-lib"}
    assert [e.name for e in report if e.requested] == ["vet-app"]


@pytest.mark.slow
def test_pip_resolver_failure_is_a_problem_not_a_crash(wheelhouse: Path, tmp_path: Path) -> None:
    venv = venv_with_pip(tmp_path / "venv")
    runner = offline_pip(wheelhouse)
    env = probe_target(venv.python, runner)
    result = pip_subtree("no-such-package-here", env, runner, root=canonicalize_name("x"))
    assert result.new is None
    assert result.problem is not None
    assert "pip could not work out" in result.problem


@pytest.mark.slow
def test_an_environment_without_pip_is_told_how_to_get_it(tmp_path: Path) -> None:
    venv = create_venv(tmp_path / "bare")  # made without pip
    with pytest.raises(PipError) as err:
        pip_dry_run(str(venv.python), ["six"], SubprocessRunner(env=pip_env()))
    assert "has no pip" in str(err.value)
    assert err.value.hint is not None
    assert "-m ensurepip" in err.value.hint


def test_the_report_gives_where_pip_takes_each_file_and_its_hash() -> None:
    from pipvet.vetting.subtree import parse_pip_report

    report = {
        "install": [
            {"metadata": {"name": "A", "version": "1"}, "requested": True,
             "download_info": {"url": "https://files.example/a-1-py3-none-any.whl",
                               "archive_info": {"hashes": {"sha256": "AB" * 32}}}},
            {"metadata": {"name": "b", "version": "2"},
             "download_info": {"url": "file:///w/b-2.tar.gz",
                               "archive_info": {"hash": "sha256=" + "cd" * 32}}},
            {"metadata": {"name": "c", "version": "3"},
             "download_info": {"url": "git+https://g.example/c", "vcs_info": {"vcs": "git"}}},
            {"metadata": {"name": "d", "version": "4"}},
        ]
    }  # fmt: skip
    got = [(e.name, e.url, e.sha256) for e in parse_pip_report(json.dumps(report))]
    assert got == [
        ("a", "https://files.example/a-1-py3-none-any.whl", "ab" * 32),
        ("b", "file:///w/b-2.tar.gz", "cd" * 32),
        ("c", "git+https://g.example/c", None),
        ("d", None, None),
    ]
