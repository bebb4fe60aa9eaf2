"""Whether a checkout's git index tracks a folder: a virtual environment that came with the
checkout runs the checkout's own code (its ``.pth`` files, its ``pip``) the moment pipvet runs
its interpreter with site-packages.

The index is read, never git run: a ``.git/config`` that came in an archive can name commands
(``core.fsmonitor``) that any git command in that folder would run. ``first_tracked`` is pure;
``tracked_path`` reads the files.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipvet.system.files import FileProblem, read_bytes_capped

__all__ = ["first_tracked", "shared_index_name", "tracked_path"]

_MAX_INDEX = 512 * 1024 * 1024  # far above the index of any real checkout
_MAX_PATH = 4096  # bytes: longer than any path a file system takes
_FIXED = 40  # ctime, mtime, dev, ino, mode, uid, gid, size: ten 32-bit fields


def first_tracked(index: bytes, folder: str, hash_size: int = 20) -> str | None:
    """The first path in a git index (format 2, 3 or 4) that is ``folder`` or lies below it
    (``folder`` in git's form: relative, ``/``-separated; "" for the whole work tree), compared
    without regard to ASCII case (``.VENV`` is ``.venv`` on macOS and Windows), or None. An
    index this cannot read gives None: it is written by the user's own git, so only damage
    makes it unreadable (a checkout archive could bring its own, but it could as well leave
    the venv out of it)."""
    return _scan(index, folder, hash_size)[0]


def shared_index_name(index: bytes, hash_size: int = 20) -> str | None:
    """The file name of the shared index a split index (``core.splitIndex``) keeps most of
    its entries in (its ``link`` extension), or None."""
    end = _scan(index, None, hash_size)[1]
    if end is None:
        return None
    pos, last = end, len(index) - hash_size  # the index ends with its own checksum
    while pos + 8 <= last:
        size = int.from_bytes(index[pos + 4 : pos + 8], "big")
        if index[pos : pos + 4] == b"link" and size >= hash_size:
            return f"sharedindex.{index[pos + 8 : pos + 8 + hash_size].hex()}"
        pos += 8 + size
    return None


def _scan(index: bytes, folder: str | None, hash_size: int) -> tuple[str | None, int | None]:
    """(the first path at or below ``folder``, where the entries end); (None, None) for an
    index this cannot read."""
    if len(index) < 12 or index[:4] != b"DIRC":
        return None, None
    version = int.from_bytes(index[4:8], "big")
    count = int.from_bytes(index[8:12], "big")
    if version not in (2, 3, 4):
        return None, None
    wanted = None if folder is None else folder.encode("utf-8", "surrogateescape").lower()
    below = b"" if not wanted else wanted + b"/"
    if wanted and version != 4:
        # Formats 2 and 3 hold every path whole: a scan in C rules most indexes out at once
        # (a large checkout's entries took a quarter of a second in the loop below).
        lowered = index.lower()
        if below not in lowered and wanted + b"\0" not in lowered:
            return None, None
    pos, previous = 12, b""
    for _ in range(count):
        flags_at = pos + _FIXED + hash_size
        if flags_at + 2 > len(index):
            return None, None
        flags = int.from_bytes(index[flags_at : flags_at + 2], "big")
        name_at = flags_at + 2 + (2 if version >= 3 and flags & 0x4000 else 0)
        if version == 4:
            strip, name_at = _varint(index, name_at)
            end = index.find(b"\0", name_at, name_at + _MAX_PATH + 1)
            if end < 0 or strip < 0 or strip > len(previous):
                return None, None
            path = previous[: len(previous) - strip] + index[name_at:end]
            pos = end + 1
        else:
            end = index.find(b"\0", name_at, name_at + _MAX_PATH + 1)
            if end < 0:
                return None, None
            path = index[name_at:end]
            pos = pos + ((end - pos) // 8 + 1) * 8  # one to eight NULs pad an entry to 8 bytes
        if len(path) > _MAX_PATH:  # no file system holds such a path; each one is copied
            return None, None
        if wanted is not None and (path.lower() == wanted or path.lower().startswith(below)):
            return path.decode("utf-8", "replace"), None
        previous = path
    return None, pos


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """git's offset varint (each continuation adds one before shifting); -1 when cut short."""
    if pos >= len(data):
        return -1, pos
    byte = data[pos]
    value = byte & 0x7F
    pos += 1
    while byte & 0x80:
        if pos >= len(data) or value > 1 << 32:
            return -1, pos
        byte = data[pos]
        value = ((value + 1) << 7) | (byte & 0x7F)
        pos += 1
    return value, pos


def tracked_path(folder: Path) -> str | None:
    """A path at or under ``folder`` that the git checkout around it (or at it) tracks, or
    None (no checkout, nothing tracked there, or git's files cannot be read)."""
    try:
        return _tracked_path(Path(os.path.abspath(folder)))
    except (OSError, ValueError):  # a NUL byte in a path git's files name, say
        return None


def _tracked_path(folder: Path) -> str | None:
    for top in (folder, *folder.parents):
        dot_git = top / ".git"
        if dot_git.exists():
            break
    else:
        return None
    git_dir = _git_dir(dot_git)
    if git_dir is None:
        return None
    index = _read(git_dir / "index", _MAX_INDEX)
    if index is None:
        return None
    relative = "" if top == folder else folder.relative_to(top).as_posix()
    size = _hash_size(git_dir)
    found = first_tracked(index, relative, size)
    shared = None if found is not None else shared_index_name(index, size)
    if shared is not None:  # a split index: most entries sit in the shared one
        entries = _read(git_dir / shared, _MAX_INDEX)
        found = None if entries is None else first_tracked(entries, relative, size)
    return found


def _git_dir(dot_git: Path) -> Path | None:
    if dot_git.is_dir():
        return dot_git
    data = _read(dot_git, 4096)  # a linked worktree or a submodule: "gitdir: PATH"
    if data is None:
        return None
    text = data.decode("utf-8", errors="replace")
    key, _, value = text.strip().partition(":")
    if key.strip() != "gitdir" or not value.strip():
        return None
    return (dot_git.parent / value.strip()).resolve()


def _hash_size(git_dir: Path) -> int:
    """32 in a repository of SHA-256 objects (its config says so), else 20."""
    places = [git_dir]
    common = _read(git_dir / "commondir", 4096)
    if common is not None:
        places.append((git_dir / common.decode("utf-8", errors="replace").strip()).resolve())
    for place in places:
        config = _read(place / "config", 1 << 20)
        if config is None:
            continue
        for line in config.decode("utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip().lower() == "objectformat" and value.strip().lower() == "sha256":
                return 32
    return 20


def _read(path: Path, cap: int) -> bytes | None:
    """A regular file's bytes, or None: an archive of a checkout can hold a FIFO or a link to
    /dev/zero where git keeps a file, and neither may hang or fill the probe."""
    try:
        return read_bytes_capped(path, cap=cap)
    except (FileProblem, OSError):
        return None
