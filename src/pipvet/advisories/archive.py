"""Defensive reading of an OSV ``all.zip``: one JSON record per member.

Promises: only flat ``<ID>.json`` members are read (names with folders, ``..``, drive letters
or a leading dot are skipped and reported); a member larger than ``max_member`` bytes
uncompressed is skipped and reported; more than ``max_total`` bytes in all aborts the read
(a zip bomb, not advisory data); other members are ignored silently. An archive whose central
directory (the list of members, which ``zipfile`` holds in memory whole before anything can be
checked) is larger than ``max_directory`` bytes is refused before it is opened. A damaged
archive raises ``DataError``. Nothing is ever extracted to disk.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pipvet.errors import DataError

__all__ = ["MAX_DIRECTORY", "MAX_MEMBER", "MAX_TOTAL", "iter_json_members"]

MAX_MEMBER = 64 * 1024 * 1024
MAX_TOTAL = 2 * 1024 * 1024 * 1024
# About 75 bytes a record: the PyPI archive's list of 30,000 records is 2 MB. zipfile keeps
# some 600 bytes of Python objects per member, so 32 MiB of it is at most ~400 MB in memory.
MAX_DIRECTORY = 32 * 1024 * 1024


def _unsafe_name(name: str) -> str | None:
    """Why a member name is refused, or None when it is a plain file name."""
    if ".." in name or name.startswith((".", "/", "\\")):
        return "member name tries to leave the archive"
    if "/" in name or "\\" in name:
        return "member names with folders are not advisory records"
    if ":" in name or "\x00" in name:
        return "member name contains a drive or NUL character"
    return None


def _directory_size(path: Path) -> int:
    """The size of the central directory that ``zipfile`` would read, from the end records
    it reads it from: the largest any end record in the file's last 64 KiB states (the ZIP64
    one just before it when there is one). zipfile takes the record at the very end when it is
    whole, else the last one it finds; the same four bytes planted inside a record's own
    fields must not hide it. 0 when there is none to be found."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        tail_start = max(0, size - (1 << 16) - 22)
        fh.seek(tail_start)
        tail = fh.read()
        found = 0
        end = tail.rfind(b"PK\x05\x06")
        while end >= 0:
            if len(tail) - end >= 22:
                found = max(found, _stated_size(fh, tail, tail_start, end))
            end = tail.rfind(b"PK\x05\x06", 0, end)
        return min(found, size)  # zipfile reads it from the file: no more than is there


def _stated_size(fh: BinaryIO, tail: bytes, tail_start: int, end: int) -> int:
    """The central directory's size an end record at ``end`` of ``tail`` states."""
    found: int = struct.unpack_from("<I", tail, end + 12)[0]
    # A ZIP64 end record (56 bytes) and its locator (20) sit just before the end record, read
    # from the file: a 64 KiB comment can leave them outside the tail.
    locator = tail_start + end - 20
    if locator >= 56:
        fh.seek(locator - 56)
        head = fh.read(76)
        if len(head) == 76 and head[56:60] == b"PK\x06\x07" and head[:4] == b"PK\x06\x06":
            found = max(found, struct.unpack_from("<Q", head, 40)[0])
    return found


def iter_json_members(
    path: Path,
    *,
    on_skip: Callable[[str], None],
    max_member: int = MAX_MEMBER,
    max_total: int = MAX_TOTAL,
    max_directory: int = MAX_DIRECTORY,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(member name, bytes)`` for each acceptable ``*.json`` member of ``path``.

    ``on_skip`` receives a message for each refused member.
    """
    total = 0
    try:
        directory = _directory_size(path)
        if directory > max_directory:
            raise DataError(
                f"the advisory archive {path} lists {directory / 2**20:.1f} MiB of member "
                f"names, more than the {max_directory / 2**20:.1f} MiB any OSV archive needs; "
                "refusing to open it",
                hint="check that --osv-url points at an OSV PyPI archive",
            )
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or not name.lower().endswith(".json"):
                    continue
                problem = _unsafe_name(name)
                if problem is None and info.flag_bits & 0x1:
                    problem = "member is encrypted"
                if problem is None and info.file_size > max_member:
                    problem = f"member is {info.file_size} bytes, over the {max_member} limit"
                if problem is not None:
                    on_skip(f"{path.name}: skipped {name!r}: {problem}")
                    continue
                # The declared size can lie: read at most one byte past the cap to find out.
                with archive.open(info) as member:
                    data = member.read(max_member + 1)
                if len(data) > max_member:
                    on_skip(f"{path.name}: skipped {name!r}: member expands past the limit")
                    continue
                total += len(data)
                if total > max_total:
                    raise DataError(
                        f"the advisory archive {path} expands to more than "
                        f"{max_total // (1024 * 1024)} MiB; refusing to read it",
                        hint="check that --osv-url points at an OSV PyPI archive",
                    )
                yield name, data
    # ValueError: zipfile's own for a member name that is not the UTF-8 its flag promises
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise DataError(
            f"the advisory archive {path} is damaged or not a zip file: {exc}",
            hint="sync again; if this persists, check the source given by --osv-url",
        ) from None
    except OSError as exc:
        raise DataError(
            f"cannot read the advisory archive {path}: {exc.strerror or exc}",
            hint="check that the file exists and is readable",
        ) from None
