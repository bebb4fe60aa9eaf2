from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from pipvet.cli import Output, main
from tests.support.httpserver import LoopbackServer, loopback_server

# Hypothesis checks each example against a 200 ms deadline: a timing test in disguise, which
# a loaded two-core machine failed now and then (a requirements property once took 17 s for
# its examples). Speed is measured in bench/; CI runs hypothesis's own "ci" profile, which
# has no deadline either and a fixed seed.
if not os.environ.get("CI"):
    settings.register_profile("pipvet-local", deadline=None)
    settings.load_profile("pipvet-local")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Real public data recorded for offline tests lives beside the project (see its README).
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


# What the tests read from it; any one missing means the folder is absent or incomplete.
SHARED_FILES = (
    "osv/PyPI/all.zip",
    "osv/PyPI/modified_id.csv",
    "pypi/requests.json.gz",
    "top-pypi-packages-30-days.min.json",
)


def missing_shared_data(root: Path = SHARED_DATA) -> str | None:
    """Why the shared test data cannot be used, saying where it belongs and how to get it;
    ``None`` when it is all there."""
    missing = [name for name in SHARED_FILES if not (root / name).is_file()]
    if not missing:
        return None
    return (
        f"the shared test data is missing: expected {root / missing[0]} "
        f"({len(missing)} of {len(SHARED_FILES)} required files absent). The data folder ships "
        f"beside the project checkout as ../shared/data, that is {root}; put it there (or a "
        "symlink to it) as it came with the project. Its README.md lists what it holds; the "
        "tests never download it."
    )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    problem = missing_shared_data()
    if problem is not None:
        pytest.fail(problem)
    return SHARED_DATA


DB_FILE = "advisories.sqlite3"


@pytest.fixture(scope="session")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The shared snapshot synced once per test process by ``pipvet db sync``. A full sync
    costs most of a second; the tests that only need a synced store copy this file instead."""
    cache = tmp_path_factory.mktemp("snapshot-cache")
    policy = cache / "pipvet.toml"
    policy.write_text("", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["db", "sync", "--osv-url", str(shared_data / "osv"), "--cache-dir", str(cache)]
    code = main([*argv, "--policy", str(policy)], Output(stdout=out, stderr=err))
    assert code == 0, err.getvalue()
    return cache / DB_FILE


@pytest.fixture
def snapshot_source(
    tmp_path: Path, shared_data: Path, snapshot_db: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Commands run against the shared snapshot: PIPVET_OSV_URL names it, the cache already
    holds a store synced from it (a copy, so a test may damage it), and nothing comes from the
    machine running the tests: no overlay, no index, no active venv or conda environment.
    Returns the cache folder."""
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copyfile(snapshot_db, cache / DB_FILE)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(cache))
    monkeypatch.setenv("PIPVET_OSV_URL", str(shared_data / "osv"))
    for name in ("PIPVET_OSV_OVERLAY", "PIPVET_INDEX_URL", "VIRTUAL_ENV", "CONDA_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    return cache


def project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    """A new folder as the working directory, with an empty policy file that stops the
    search for one in the folders above."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pipvet.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def snapshot_project(
    snapshot_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """``snapshot_source`` plus a project folder (the working directory) with an empty
    policy."""
    return project_folder(tmp_path, monkeypatch, "project")


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    with loopback_server() as server:
        yield server


# Tests that create virtual environments, run pip or push thousands of packages through the
# whole pipeline carry this marker. The default run leaves them out so it stays quick; CI
# (which sets CI=true) runs the full set, and so does a run that selects them with `-m slow`.
EXPENSIVE = "slow"
EXPENSIVE_LEFT_OUT = (
    "creates venvs/runs pip/pushes thousands of packages: runs in CI (set CI=1 to include)"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _leaves_expensive_out(config: pytest.Config) -> bool:
    return not in_ci() and EXPENSIVE not in str(config.getoption("markexpr", ""))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _leaves_expensive_out(config):
        return
    left_out = [item for item in items if item.get_closest_marker(EXPENSIVE) is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker(EXPENSIVE) is None]


def pytest_report_header(config: pytest.Config) -> str | None:
    if _leaves_expensive_out(config):
        return f"tests marked '{EXPENSIVE}' are deselected: {EXPENSIVE_LEFT_OUT}"
    return None


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    # With xdist the workers collect, so the controller cannot count what they left out.
    if _leaves_expensive_out(config):
        terminalreporter.write_line(
            f"tests marked '{EXPENSIVE}' were deselected: {EXPENSIVE_LEFT_OUT}", yellow=True
        )
