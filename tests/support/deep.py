"""A chain of nested folders deeper than Python's recursion limit, made and removed without
recursion: Path.mkdir(parents=True) and shutil.rmtree (so pytest's own clean-up) recurse once
a level."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LEVELS = 990


@contextmanager
def deep_folder(base: Path, levels: int = LEVELS) -> Iterator[Path]:
    """``base/d/d/.../d`` (``levels`` deep), removed again on the way out with every file in
    it."""
    path = base
    for _ in range(levels):
        path = path / "d"
        path.mkdir()
    try:
        yield path
    finally:
        for _ in range(levels):
            for entry in os.scandir(path):
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.path)
            path.rmdir()
            path = path.parent
