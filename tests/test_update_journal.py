"""The record an update keeps while pip changes the environment: it round-trips exactly, is
written atomically, and a damaged one stops the run with its name instead of being guessed
around."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipvet.errors import EnvironmentProblem
from pipvet.models import canonicalize_name
from pipvet.update.journal import (
    JOURNAL_FILE,
    Journal,
    clear_journal,
    read_journal,
    with_builds,
    write_journal,
)
from pipvet.update.surface import BuildInfo, EnvSnapshot, InstalledPackage, PthState, ScriptState

N = canonicalize_name

BEFORE = EnvSnapshot(
    (
        InstalledPackage(N("Alpha"), "Alpha", "1.0", False),
        InstalledPackage(N("old"), "old", None, True),
    ),
    (
        PthState("/sp/x.pth", "ab12", ("import x",), N("alpha")),
        PthState("/sp/y.pth", "cd", (), None),
    ),
    (ScriptState("alpha-cli", N("alpha"), "alpha:main"),),
)


def test_the_record_round_trips(tmp_path: Path) -> None:
    journal = Journal("2026-01-01T00:00:00+00:00", "23.2.1", BEFORE, (N("eta"),))
    write_journal(tmp_path, journal)
    assert read_journal(tmp_path) == journal
    build = BuildInfo(N("gamma"), "1.0", True, False, "http://127.0.0.1/files/gamma.whl")
    write_journal(tmp_path, with_builds(journal, [build]))
    assert read_journal(tmp_path) == Journal(
        journal.started, "23.2.1", BEFORE, (N("eta"),), (build,)
    )
    assert not list(tmp_path.glob(f".{JOURNAL_FILE}.*"))  # no temporary file left behind
    assert clear_journal(tmp_path) is None
    assert read_journal(tmp_path) is None
    assert clear_journal(tmp_path) is None  # nothing to clear is fine


@pytest.mark.parametrize(
    "damaged",
    ["{not json", "[]", '{"version": 99}', '{"version": 1, "before": {}}', "\udcff"],
)
def test_a_damaged_record_stops_the_run_and_names_the_file(tmp_path: Path, damaged: str) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(damaged.encode("utf-8", "surrogateescape"))
    with pytest.raises(EnvironmentProblem) as caught:
        read_journal(tmp_path)
    assert str(path) in caught.value.message
    assert "record of an unfinished update" in caught.value.message
    assert caught.value.hint is not None
    assert f"delete {path}" in caught.value.hint


def test_a_record_that_cannot_be_written_stops_before_pip_runs(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(EnvironmentProblem) as caught:
        write_journal(tmp_path, Journal("t", "1", EnvSnapshot()))
    assert "nothing was changed" in caught.value.message
