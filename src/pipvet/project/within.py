"""Where a project's files are, for the commands that edit them (``relax``, ``audit --fix``):
how a path is shown, and whether it is in the project at all once links are followed. A file
an include or a link leads out to is another project's, or one a pull request points at."""

from __future__ import annotations

from pathlib import Path

__all__ = ["as_shown", "outside"]


def as_shown(project: Path, path: Path) -> str:
    """``path`` relative to the project (links followed), else as it was given."""
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)


def outside(project: Path, path: Path) -> Path | None:
    """Where ``path`` leads when that is outside ``project``, else None."""
    target = path.resolve()
    return None if target.is_relative_to(project.resolve()) else target
