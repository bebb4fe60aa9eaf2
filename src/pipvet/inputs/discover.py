"""Which files in a project folder declare its requirements: one rule for every command.

``relax`` rewrites, ``update`` installs and ``doctor`` scores the same files, so a
``dev-requirements.txt`` that one of them sees is seen by all.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REQUIREMENT_PATTERNS", "discover_requirement_files", "sort_requirement_files"]

REQUIREMENT_PATTERNS = (
    "*requirements*.txt",
    "*requirements*.in",
    "requirements/*.txt",
    "requirements/*.in",
)


def discover_requirement_files(project: Path) -> tuple[Path, ...]:
    """Requirements files by the usual names, pattern by pattern, each sorted; no repeats."""
    return sort_requirement_files(project)[0]


def sort_requirement_files(project: Path) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(``discover_requirement_files``, what has such a name but is neither a regular file
    nor a folder: a FIFO, a device, a broken link). No reader reads the second; a command
    that lists projects lists them with the reader's refusal."""
    found: dict[Path, None] = {}
    other: dict[Path, None] = {}
    for pattern in REQUIREMENT_PATTERNS:
        for path in sorted(project.glob(pattern)):
            if path.is_file():
                found.setdefault(path, None)
            elif not path.is_dir() and (path.exists() or path.is_symlink()):
                other.setdefault(path, None)
    return tuple(found), tuple(other)
