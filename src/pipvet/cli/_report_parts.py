"""The parts of ``pipvet report``: each command run in this process with ``--format json``,
a saved JSON file read back, and the installed releases' ages from the local metadata cache.

Running a part goes through ``pipvet.cli.main`` with captured streams, so a part is exactly
what ``pipvet audit --format json`` (and the rest) would print, exit code included; a part
that fails becomes an ``Unavailable`` with the command's own error message.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from pipvet.cli._common import EXIT_ERROR, Output
from pipvet.cli._context import RunContext
from pipvet.errors import InputError, PipvetError
from pipvet.frozen import frozen
from pipvet.index.parse import ProjectInfo
from pipvet.report.html_model import AgesPart, Part, ReleaseAge, Unavailable
from pipvet.report.html_read import read_part

__all__ = ["Ran", "read_saved", "release_ages", "run_part"]

MAX_SAVED_BYTES = 64 * 1024 * 1024
_DAY = 86400.0


@frozen
class Ran:
    """One part of the page and the exit code the command that made it would have had."""

    part: Part | Unavailable
    code: int
    origin: str = ""  # how it was made, in words ("ran pipvet audit ...", "read from FILE")


def run_part(argv: Sequence[str]) -> Ran:
    """``pipvet ARGV --format json`` in this process; its JSON read as a part."""
    from pipvet.cli import main  # the entry point: imported when a part runs, not before

    stdout, stderr = io.StringIO(), io.StringIO()
    code = main([*argv, "--format", "json"], Output(stdout=stdout, stderr=stderr, quiet=True))
    text = stdout.getvalue()
    try:
        return Ran(read_part(json.loads(text), f"pipvet {argv[0]}"), code)
    except (ValueError, InputError):
        errors = [
            line.removeprefix("pipvet: error: ")
            for line in stderr.getvalue().splitlines()
            if line.strip() and not line.startswith("hint:")
        ]
        reason = errors[-1] if errors else f"pipvet {argv[0]} produced no report (exit {code})"
        return Ran(Unavailable(reason), max(code, EXIT_ERROR))


def read_saved(path: Path) -> Part:
    """The part a saved ``--format json`` file holds; InputError naming the file otherwise."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SAVED_BYTES + 1)
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}",
            hint="pass a JSON file written by a pipvet command with --format json",
        ) from None
    if len(raw) > MAX_SAVED_BYTES:
        raise InputError(f"{path}: larger than {MAX_SAVED_BYTES // 2**20} MiB; not a pipvet report")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})",
            hint="pass a file written by a pipvet command with --format json",
        ) from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply; not a pipvet report") from None
    return read_part(doc, str(path))


def release_ages(ctx: RunContext, installed: Sequence[tuple[str, str]]) -> AgesPart:
    """How old each installed release is and how many final releases are newer, from the
    index metadata already in the local cache: this never downloads (the HTTP client is
    offline whatever the command line says), and names the policy marks internal are not
    looked up at all."""
    from pipvet.system.http import HttpClient

    http = HttpClient(ctx.cache_dir / "http", offline=True, clock=ctx.clock)
    index = ctx.index(http)
    wanted = sorted(set(installed))
    try:
        answers = index.lookup_many([name for name, _ in wanted])
    except PipvetError:
        answers = {}
    now = ctx.clock()
    known: list[ReleaseAge] = []
    for name, version in wanted:
        answer = answers.get(name)
        if answer is None or isinstance(answer, PipvetError) or answer.project is None:
            continue
        known.append(_age(answer.project, name, version, now))
    return AgesPart(ctx.policy.cooldown_days, tuple(known), len(wanted) - len(known))


def _age(project: ProjectInfo, name: str, version: str, now: float) -> ReleaseAge:
    release = project.release(version)
    age = None
    if release is not None and release.uploaded is not None:
        age = max(0.0, (now - release.uploaded) / _DAY)
    finals: list[Version] = []
    for r in project.releases:
        try:
            parsed = Version(r.version)
        except InvalidVersion:
            continue
        if not r.yanked and not parsed.is_prerelease and not parsed.is_devrelease:
            finals.append(parsed)
    try:
        mine: Version | None = Version(version)
    except InvalidVersion:
        mine = None
    behind = None if mine is None else sum(1 for v in finals if v > mine)
    newest = str(max(finals)) if finals else None
    return ReleaseAge(name, version, age, behind, newest)
