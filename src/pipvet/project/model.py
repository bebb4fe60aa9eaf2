"""What ``pipvet init``, ``pipvet relax`` and ``pipvet doctor`` report.

Pure data (frozen value classes and Literals, no I/O): ``init`` plans and applies an ``InitPlan``,
``relax`` (with ``relax_text``) a ``RelaxPlan``, ``doctor`` returns a ``DoctorReport``; the
renderers in ``pipvet.report`` read them. The only computation is the diff a change would make
(``textdiff``, itself pure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pipvet.frozen import field, frozen
from pipvet.project.textdiff import unified_diff

__all__ = [
    "Check",
    "CheckStatus",
    "DoctorReport",
    "FileAction",
    "FileChange",
    "FileRelax",
    "FileRole",
    "GuardStep",
    "InitPlan",
    "InitResult",
    "LockFile",
    "NotRelaxed",
    "RelaxPlan",
    "Relaxed",
    "TextRelax",
    "VenvStep",
]

# ---------------------------------------------------------------------- init

FileAction = Literal["create", "update", "append", "unchanged", "skip"]


@frozen
class FileChange:
    path: Path
    display: str
    action: FileAction
    reason: str
    old: str | None = None
    new: str | None = None
    # Set when the existing file could not be parsed: what is wrong (file, line) and what to
    # do. Such a file is skipped and the command fails (exit 2): bad input, not a choice.
    bad_input: str | None = None

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update", "append")

    def diff(self) -> str:
        if not self.writes or self.new is None:
            return ""
        return unified_diff(self.old, self.new, self.display)


@frozen
class VenvStep:
    action: Literal["create", "present", "active", "skip"]
    prefix: Path | None
    description: str
    command: tuple[str, ...] = ()


@frozen
class GuardStep:
    action: Literal["set", "already", "skip"]
    description: str
    command: tuple[str, ...] = ()
    undo: str = "python -m pip config --user unset global.require-virtualenv"


@frozen
class InitPlan:
    project: Path
    venv: VenvStep
    files: tuple[FileChange, ...]
    guard: GuardStep | None
    notes: tuple[str, ...]

    @property
    def skipped(self) -> tuple[FileChange, ...]:
        """Files pipvet meant to write but left alone (each ``reason`` says why)."""
        return tuple(f for f in self.files if f.action == "skip")

    @property
    def bad_inputs(self) -> tuple[str, ...]:
        """One message per existing file that could not be parsed."""
        return tuple(f.bad_input for f in self.files if f.bad_input is not None)

    @property
    def nothing_to_do(self) -> bool:
        """Nothing to write or run (files may still have been skipped: see ``skipped``)."""
        guard_idle = self.guard is None or self.guard.action != "set"
        return self.venv.action != "create" and guard_idle and not any(f.writes for f in self.files)


@frozen
class InitResult:
    plan: InitPlan
    written: tuple[str, ...]
    venv_created: bool
    guard_set: bool


# ---------------------------------------------------------------------- relax


@frozen
class Relaxed:
    """One requirement rewritten: ``before`` and ``after`` are the requirement part only."""

    line: int
    before: str
    after: str
    note: str | None = None


@frozen
class NotRelaxed:
    """A pin (or a source that acts like one) left as it is, and why."""

    line: int
    text: str
    reason: str


@frozen
class TextRelax:
    """The outcome for one file's text. ``text`` is the new text (equal when nothing changed).

    ``includes`` lists the ``-r``/``-c`` targets as written, with True for constraints.
    """

    text: str
    relaxed: tuple[Relaxed, ...] = ()
    not_relaxed: tuple[NotRelaxed, ...] = ()
    hashes_dropped: int = 0
    require_hashes_dropped: tuple[int, ...] = ()
    includes: tuple[tuple[str, bool], ...] = ()
    generated_by: str | None = None
    unsafe: tuple[str, ...] = field(default=())  # why the text could not be rewritten safely


FileRole = Literal["requirements", "constraints", "pyproject"]


@frozen
class FileRelax:
    """One file: what it is, its text now, and what relaxing it gives."""

    path: Path
    display: str
    role: FileRole
    original: str
    result: TextRelax

    @property
    def changed(self) -> bool:
        """True when applying the plan rewrites this file."""
        return self.role != "constraints" and self.result.text != self.original

    def diff(self) -> str:
        return unified_diff(self.original, self.result.text, self.display) if self.changed else ""


@frozen
class LockFile:
    """A lock file in the project: it freezes versions whatever the requirements say."""

    path: Path
    display: str
    tool: str
    meaning: str


@frozen
class RelaxPlan:
    project: Path
    files: tuple[FileRelax, ...]
    lock_files: tuple[LockFile, ...]
    warnings: tuple[str, ...]
    problems: tuple[str, ...]  # parse errors: when any, nothing may be written

    @property
    def changed(self) -> tuple[FileRelax, ...]:
        return tuple(f for f in self.files if f.changed)

    @property
    def pins(self) -> int:
        """Exact pins found that can become floors (constraints files included)."""
        return sum(len(f.result.relaxed) for f in self.files)

    @property
    def not_relaxed(self) -> tuple[tuple[FileRelax, NotRelaxed], ...]:
        return tuple((f, n) for f in self.files for n in f.result.not_relaxed)


# ---------------------------------------------------------------------- doctor

CheckStatus = Literal["pass", "warn", "fail"]


@frozen
class Check:
    id: str
    title: str
    status: CheckStatus
    summary: str
    evidence: tuple[str, ...] = ()
    fix: str = ""  # one command (or action) that fixes it; empty when passing


@frozen
class DoctorReport:
    project: str
    checks: tuple[Check, ...]

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def count(self, status: CheckStatus) -> int:
        return sum(1 for c in self.checks if c.status == status)
