"""Lock files, told apart by name: ``uv.lock``, ``poetry.lock``, ``Pipfile.lock`` and PEP 751
``pylock.toml`` / ``pylock.NAME.toml``. Each reader lives in its own module and returns a
``RequirementsFile`` of ``pinned`` entries (audited at the locked version) and ``url`` entries
(not from a package index, listed). Markers are reported, never evaluated away.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["LOCK_FILE_NAMES", "find_lock_files", "is_lock_file", "read_lock_file"]

# The names `pipvet audit` looks for in a project folder, in this order.
LOCK_FILE_NAMES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml")


def _is_pylock_name(name: str) -> bool:
    """``pylock.<name>.toml`` (PEP 751), as the pattern ``^pylock\\.[^/\\\\]+\\.toml$`` reads it
    (a final newline included): tested as text, since every `-r` run asks and compiling the
    pattern cost more than the rest of this module's import."""
    core = name.removesuffix("\n")
    return (
        len(core) > len("pylock..toml")
        and core.startswith("pylock.")
        and core.endswith(".toml")
        and "/" not in core
        and "\\" not in core
    )


def _reader(path: Path) -> Callable[[Path], RequirementsFile] | None:
    name = path.name
    if name == "uv.lock":
        from pipvet.inputs.lock_uv import read_uv_lock

        return read_uv_lock
    if name == "poetry.lock":
        from pipvet.inputs.lock_poetry import read_poetry_lock

        return read_poetry_lock
    if name == "Pipfile.lock":
        from pipvet.inputs.lock_pipfile import read_pipfile_lock

        return read_pipfile_lock
    if name == "pylock.toml" or _is_pylock_name(name):
        from pipvet.inputs.lock_pylock import read_pylock

        return read_pylock
    return None


def is_lock_file(path: Path) -> bool:
    """Is ``path`` named like a lock file pipvet reads?"""
    return _reader(path) is not None


def read_lock_file(path: Path) -> RequirementsFile:
    """Read the lock file ``path`` by the format its name says; InputError when malformed."""
    reader = _reader(path)
    if reader is None:
        raise ValueError(f"{path} is not named like a lock file")
    return reader(path)


def find_lock_files(folder: Path) -> tuple[Path, ...]:
    """The lock files at the top of ``folder``: the usual names, then ``pylock.*.toml``."""
    found = [folder / name for name in LOCK_FILE_NAMES if (folder / name).is_file()]
    found += [p for p in sorted(folder.glob("pylock.*.toml")) if p.is_file()]
    return tuple(found)
