"""The one atomic file write and byte-exact reads: every file pipvet writes goes here.

``write_text_atomic`` (and ``write_bytes_atomic`` under it) writes exactly what it is given
(no newline added, line endings and a UTF-8 byte-order mark kept as the caller decides),
through a temporary file in the same folder and a rename, keeping the old file's permission
bits: a crash leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from pipvet.errors import InputError

__all__ = ["read_text_exact", "write_bytes_atomic", "write_text_atomic"]


def read_text_exact(path: Path) -> str:
    """The file as text, byte-for-byte reversible: UTF-8 (a BOM is kept as ``\\ufeff``),
    no newline translation. Raises InputError naming the file when it cannot be read.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check that it is a readable file"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (byte {exc.start})",
            hint="save it as UTF-8; pipvet edits UTF-8 files only",
        ) from None


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with exactly ``text`` (UTF-8), atomically, keeping its mode."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with exactly ``data``: a temporary file in the same folder, flushed to
    disk, then renamed over it, so a reader sees the old file or the new one, never half.
    Keeps an existing file's mode; creates missing folders. InputError naming the file."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()  # what open() would give a new file (mkstemp uses 0600)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        import tempfile  # only commands that write pay for it

        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that the folder exists and is writable",
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
