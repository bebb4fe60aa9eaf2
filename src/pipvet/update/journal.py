"""The record an update keeps while it changes an environment, so an interrupted one loses
nothing.

Before pip runs, ``pipvet update`` writes ``pipvet-update.json`` in the environment's prefix
(it lives and dies with the environment), atomically: the environment as it was (the
"before" snapshot: versions, start-up hooks, console scripts), the names still waiting for a
verdict, and, after each pip run that completed, what pip installed and how (its install
report). The record goes once the run has compared, audited and vetted. A run that finds a
record finishes it: it compares with the recorded "before", so everything installed since is
new (and vetted) and every console script added since is shown, however many runs were cut
short in between.

A record that cannot be read is not guessed around: the run stops (exit 2) and names it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipvet.errors import EnvironmentProblem, InputError
from pipvet.frozen import asdict, frozen
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.system.files import write_text_atomic
from pipvet.update.surface import BuildInfo, EnvSnapshot, InstalledPackage, PthState, ScriptState

__all__ = ["JOURNAL_FILE", "Journal", "clear_journal", "read_journal", "write_journal"]

JOURNAL_FILE = "pipvet-update.json"
_VERSION = 1


@frozen
class Journal:
    started: str  # ISO 8601 time the first (interrupted) run began
    pip_before: str
    before: EnvSnapshot
    pending: tuple[NormalizedName, ...] = ()  # to vet: left unvetted by earlier runs
    builds: tuple[BuildInfo, ...] = ()  # what completed pip runs installed, in order


def read_journal(prefix: Path) -> Journal | None:
    """The unfinished record in ``prefix``, None when there is none. EnvironmentProblem
    naming the file when it cannot be read (fail closed: the "before" would be unknown)."""
    path = prefix / JOURNAL_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, str(exc)) from None
    try:
        return _decode(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from None


def write_journal(prefix: Path, journal: Journal) -> None:
    """Record ``journal`` atomically. EnvironmentProblem when it cannot be written: pip must
    not change an environment whose "before" is not safely recorded."""
    path = prefix / JOURNAL_FILE
    data = {"version": _VERSION, **asdict(journal)}
    try:
        write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    except InputError as exc:
        raise EnvironmentProblem(
            f"cannot record the update before changing the environment: {exc.message}; "
            "nothing was changed",
            hint=f"make {prefix} writable, then run pipvet update again",
        ) from None


def clear_journal(prefix: Path) -> str | None:
    """The run is finished: remove the record. A warning when that fails (the next run would
    then compare with an older "before", which shows more, never less)."""
    path = prefix / JOURNAL_FILE
    try:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    except OSError as exc:
        return f"could not remove {path} ({exc.strerror or exc}); delete it by hand"
    return None


def _damaged(path: Path, why: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"the record of an unfinished update, {path}, cannot be read ({why}): what the "
        "environment held before that update is unknown, so what it installed cannot be told",
        hint=f"recreate the environment, or delete {path} to accept it as it is now "
        "(the next update then vets only what it adds itself)",
    )


def _decode(data: Any) -> Journal:
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        raise ValueError("not a pipvet update record of a known version")
    before = data["before"]
    snap = EnvSnapshot(
        tuple(_package(p) for p in before["packages"]),
        tuple(_pth(p) for p in before["pth_files"]),
        tuple(
            ScriptState(str(s["name"]), canonicalize_name(s["package"]), str(s["target"]))
            for s in before["scripts"]
        ),
    )
    builds = tuple(_build(b) for b in data["builds"])
    pending = tuple(canonicalize_name(str(n)) for n in data["pending"])
    return Journal(str(data["started"]), str(data["pip_before"]), snap, pending, builds)


def _package(p: dict[str, Any]) -> InstalledPackage:
    name = canonicalize_name(p["name"])
    return InstalledPackage(
        name, str(p["display_name"]), _opt_str(p["version"]), bool(p["egg_info"])
    )


def _pth(p: dict[str, Any]) -> PthState:
    owner = canonicalize_name(p["owner"]) if p["owner"] else None
    lines = tuple(str(x) for x in p["code_lines"])
    return PthState(str(p["path"]), str(p["sha256"]), lines, owner)


def _build(b: dict[str, Any]) -> BuildInfo:
    name = canonicalize_name(b["name"])
    return BuildInfo(
        name, str(b["version"]), bool(b["from_wheel"]), bool(b["local_dir"]), str(b["url"])
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def with_builds(journal: Journal, builds: Sequence[BuildInfo]) -> Journal:
    """The record with ``builds`` (everything pip installed so far) in place of its own."""
    return Journal(journal.started, journal.pip_before, journal.before, journal.pending,
                   tuple(builds))  # fmt: skip
