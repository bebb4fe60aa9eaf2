"""The one atomic file write and the one bounded read: every file pipvet writes, and every
input file it reads, goes through here.

``open_regular`` / ``read_bytes_capped`` open only regular files (a FIFO, ``/dev/zero`` or a
symlink to either is refused after opening without blocking), read at most a size cap per
kind of file, and turn every failure (including a path with a NUL byte) into ``FileProblem``.

``write_text_atomic`` (and ``write_bytes_atomic`` under it) writes exactly what it is given
(no newline added, line endings and a UTF-8 byte-order mark kept as the caller decides),
through a temporary file in the same folder and a rename, keeping the old file's permission
bits: a crash leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from pipvet.errors import InputError

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import IO

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_OSV_RECORD_BYTES",
    "MAX_POLICY_BYTES",
    "MAX_PYPROJECT_BYTES",
    "MAX_REQUIREMENTS_BYTES",
    "FileProblem",
    "TooManyEntries",
    "declared_coding",
    "files_below",
    "foreign_link",
    "linked_out",
    "open_regular",
    "point_nowhere",
    "read_bytes_capped",
    "read_checked_text",
    "read_text_exact",
    "write_bytes_atomic",
    "write_chunks_atomic",
    "write_text_atomic",
    "write_texts_atomic",
]

_MIB = 1024 * 1024
# Far above any real file of each kind, far below what would exhaust memory.
MAX_REQUIREMENTS_BYTES = 10 * _MIB
MAX_PYPROJECT_BYTES = 10 * _MIB
MAX_METADATA_BYTES = 5 * _MIB
MAX_POLICY_BYTES = 1 * _MIB
MAX_OSV_RECORD_BYTES = 10 * _MIB


class FileProblem(InputError):
    """A file could not be read: ``reason`` says why in a few words ("does not exist", "is a
    FIFO, not a regular file", "is larger than 10 MiB"); ``missing`` when it does not exist.
    ``str()`` is ``"cannot read PATH: REASON"``; callers that know what the file is for
    usually word their own message around ``reason``."""

    def __init__(self, path: Path | str, reason: str, *, missing: bool = False) -> None:
        shown = _shown(path)
        super().__init__(f"cannot read {shown}: {reason}", hint="check that it is a readable file")
        self.path = shown
        self.reason = reason
        self.missing = missing


def _shown(path: Path | str) -> str:
    text = os.fspath(path).replace("\x00", "\\x00")
    return text if len(text) <= 200 else text[:200] + "..."


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(count: int) -> str:
    return f"{count // _MIB} MiB" if count >= _MIB and count % _MIB == 0 else f"{count} bytes"


class open_regular:  # lower case: it reads as the function it replaced
    """An open file descriptor on the regular file ``path`` of at most ``cap`` bytes.

    Opened without blocking, then checked with ``fstat``: a FIFO, a device (``/dev/zero``),
    a socket or a folder, directly or through a symlink, is refused before a byte is read, so
    no reader can hang on it or fill memory from it. Raises FileProblem (also for a path
    holding a NUL byte). Readers must still stop at ``cap``: a file can grow after the check.
    A class rather than a generator context manager: a scan opens one per distribution, and
    the generator machinery cost as much as the reading.
    """

    __slots__ = ("_cap", "_fd", "_path")

    def __init__(self, path: Path | str, *, cap: int) -> None:
        self._path = path
        self._cap = cap
        self._fd = -1

    def __enter__(self) -> int:
        path = self._path
        flags = os.O_RDONLY | _NONBLOCK
        try:
            fd = os.open(path, flags)
        except ValueError:  # a NUL byte in the path
            raise FileProblem(path, "the path contains a NUL byte") from None
        except FileNotFoundError:
            raise FileProblem(path, "it does not exist", missing=True) from None
        except OSError as exc:
            raise FileProblem(path, str(exc.strerror or exc)) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise FileProblem(path, f"it is {_kind(info.st_mode)}, not a regular file")
            if info.st_size > self._cap:
                raise FileProblem(path, f"it is larger than {_size(self._cap)}")
        except OSError as exc:
            os.close(fd)
            raise FileProblem(path, str(exc.strerror or exc)) from None
        except FileProblem:
            os.close(fd)
            raise
        self._fd = fd
        return fd

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)


_NONBLOCK = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def read_bytes_capped(path: Path | str, *, cap: int) -> bytes:
    """The bytes of the regular file ``path`` (see ``open_regular``), refused when over
    ``cap`` bytes, by its size or by what is read from a file that grows. Raises FileProblem.
    """
    with open_regular(path, cap=cap) as fd:
        chunks: list[bytes] = []
        total = 0
        try:
            while chunk := os.read(fd, min(1 << 20, cap + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > cap:
                    raise FileProblem(path, f"it is larger than {_size(cap)}")
        except OSError as exc:
            raise FileProblem(path, str(exc.strerror or exc)) from None
    return b"".join(chunks)


def read_checked_text(path: Path | str, *, cap: int = MAX_POLICY_BYTES) -> str:
    """A small text file a checkout holds (a workflow, an editor's settings), as text; ""
    when it is no regular file or larger than ``cap``: a FIFO there hung doctor, and a link
    to /dev/zero was read without end."""
    try:
        return read_bytes_capped(path, cap=cap).decode("utf-8", errors="replace")
    except FileProblem:
        return ""


def read_text_exact(path: Path, *, cap: int = MAX_REQUIREMENTS_BYTES) -> str:
    """The file as text, byte-for-byte reversible: UTF-8 (a BOM is kept as ``\\ufeff``),
    no newline translation. Raises InputError naming the file when it cannot be read, or when
    it declares another coding (pip decodes a requirements file by it, so what pipvet would
    read or rewrite as UTF-8 is not what pip reads).
    """
    data = read_bytes_capped(path, cap=cap)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (byte {exc.start})",
            hint="save it as UTF-8; pipvet edits UTF-8 files only",
        ) from None
    coding = declared_coding(data)
    if coding is not None and not _reads_alike(data, coding, text):
        raise InputError(
            f"{path} declares the coding {coding!r}: pip reads it in that coding, pipvet reads "
            "and edits UTF-8 files only",
            hint="save it as UTF-8 and remove the coding: line",
        )
    return text


# pip's own pattern, searched in the first two lines when they start with "#" (PEP 263);
# compiled when a file starts with a comment (about 0.6 million instructions).
@functools.cache
def _coding_re() -> re.Pattern[bytes]:
    return re.compile(rb"coding[:=]\s*([-\w.]+)")


def _reads_alike(data: bytes, coding: str, text: str) -> bool:
    """Whether pip, decoding by the declared coding, reads the same text (an ASCII-only file
    declaring latin-1 does; UTF-7's "+AAo-" does not)."""
    try:
        return data.decode(coding) == text
    except (LookupError, UnicodeDecodeError):
        return False


def declared_coding(data: bytes) -> str | None:
    """The encoding a ``coding:`` comment in the first two lines names, as pip finds it."""
    for line in data.split(b"\n", 2)[:2]:
        found = _coding_re().search(line) if line[:1] == b"#" else None
        if found is not None:
            return found.group(1).decode("ascii")
    return None


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Replace ``path`` with exactly ``text`` (UTF-8), atomically, keeping its mode."""
    write_bytes_atomic(path, text.encode("utf-8"), durable=durable)


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with exactly ``data``: a temporary file in the same folder, flushed to
    disk, then renamed over it, so a reader sees the old file or the new one, never half.
    Keeps an existing file's mode; creates missing folders. InputError naming the file.

    ``durable=False`` skips the flush to disk, for caches only: after a power cut such a file
    may be empty or torn, and every cache reader checks its entries and treats a damaged one
    as a miss. A vet writes tens of megabytes of cache, and waiting for the disk each time
    costs more than refetching after the rare crash."""
    write_chunks_atomic(path, (data,), durable=durable)


def write_chunks_atomic(path: Path, chunks: Iterable[bytes], *, durable: bool = True) -> None:
    """``write_bytes_atomic`` of the chunks joined, written as they come: a report of tens of
    thousands of packages is never held whole. When making a chunk fails, the temporary file
    is removed and ``path`` is left as it was."""
    # What open() would give a new file (mkstemp uses 0600); also for a link replaced by a
    # file: a link's target's mode (setuid, world-write) is not the new file's business.
    mode = 0o666 & ~_umask()
    try:
        own = os.lstat(path)
        info = os.stat(path) if stat.S_ISLNK(own.st_mode) else own
    except FileNotFoundError:  # nothing there, or a dangling link: replaced
        pass
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    else:
        if not stat.S_ISREG(info.st_mode):
            _check_special(path, own, info)
            _write_into(path, info, chunks)
            return
        if stat.S_ISLNK(own.st_mode) and _system_link(path):
            # -o /dev/stdout with stdout sent to a file: write into that file; renaming over
            # the link would replace /dev/stdout itself for every program on the machine.
            _write_into(path, info, chunks)
            return
        if not stat.S_ISLNK(own.st_mode):
            mode = stat.S_IMODE(own.st_mode) & 0o777  # never setuid, setgid or sticky
    tmp = _stage(path, chunks, durable=durable, mode=mode)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_texts_atomic(files: Iterable[tuple[Path, str]]) -> None:
    """Replace each path with its text (UTF-8), all or none: every new file is written in full
    beside its target and flushed first, and only then renamed over it, so a failure (a full
    disk, an unwritable folder) leaves every file as it was. For edits that belong together
    (a requirements file and its includes). Regular files only; InputError naming the file."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            try:
                own = os.lstat(path)
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            except OSError as exc:
                raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
            else:
                if not (stat.S_ISREG(own.st_mode) or stat.S_ISLNK(own.st_mode)):
                    raise InputError(f"cannot write {path}: it is {_kind(own.st_mode)}")
                link = stat.S_ISLNK(own.st_mode)
                mode = 0o666 & ~_umask() if link else stat.S_IMODE(own.st_mode) & 0o777
            data = (text.encode("utf-8"),)
            staged.append((_stage(path, data, durable=True, mode=mode), path))
        done: list[Path] = []
        for tmp, path in staged:  # a rename in one folder needs no space and cannot tear
            try:
                os.replace(tmp, path)
            except OSError as exc:
                written = ", ".join(map(str, done)) or "none"
                raise InputError(
                    f"cannot write {path}: {exc.strerror or exc} (already written: {written})"
                ) from None
            done.append(path)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # gone once renamed


def _stage(path: Path, chunks: Iterable[bytes], *, durable: bool, mode: int) -> str:
    """A temporary file beside ``path`` holding the chunks, with ``mode``: its name."""
    directory = path.parent if str(path.parent) else Path(".")
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
            for chunk in chunks:
                fh.write(chunk)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _check_special(path: Path, own: os.stat_result, info: os.stat_result) -> None:
    """InputError for a special file a report must not go into: a disk, or a device or pipe
    reached through a link outside /dev and /proc (a checkout's pipvet.sarif planted as a
    link would have a CI job write into whatever it names). ``-o /dev/null``, ``-o
    /dev/stdout`` and a FIFO named outright are written into."""
    if stat.S_ISBLK(info.st_mode):
        raise InputError(f"cannot write {path}: it is a disk device", hint="name a file instead")
    if stat.S_ISLNK(own.st_mode) and not _system_link(path):
        raise InputError(
            f"cannot write {path}: it is a link to {os.path.realpath(path)}, which is not a "
            "regular file",
            hint="remove the link, or name the device or pipe itself",
        )


def _system_link(path: Path) -> bool:
    """A link the system keeps (/dev/stdout, /dev/fd/1, /proc/self/fd/1), not a user's."""
    return Path(os.path.abspath(path)).parts[1:2] in (("dev",), ("proc",))


def _write_into(path: Path, info: os.stat_result, chunks: Iterable[bytes]) -> None:
    """Write into what is not a regular file: ``-o /dev/null``, ``/dev/stdout``, a FIFO.

    Renaming a file over it would replace the device or pipe itself (as root, /dev/null would
    become a regular file for every program on the machine)."""
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"cannot write {path}: it is a folder", hint="name a file instead")
    try:
        with open(path, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def linked_out(path: Path) -> Path | None:
    """The file ``path`` leads to when a link takes it out of its own folder, else None.

    A file from someone else (a pull request) can be a link to any file on the machine, and
    the readers' errors quote the line they stop at: each reader refuses such a link unless
    it leads to a file of its own kind."""
    resolved = path.resolve()
    return None if resolved.is_relative_to(path.absolute().parent.resolve()) else resolved


class TooManyEntries(Exception):
    """A folder walk met more files and folders than its limit."""


def files_below(folder: Path, suffix: str, *, limit: int) -> list[Path]:
    """The regular files named ``*suffix`` at any depth below ``folder``, sorted. Links are
    neither followed nor listed, unreadable folders are passed over, and more than ``limit``
    files and folders in all raises TooManyEntries. Iterative: os.walk recurses once per
    level, and a folder 990 levels deep ended a run in RecursionError."""
    found: list[Path] = []
    pending = [folder]
    seen = 0
    while pending:
        try:
            with os.scandir(pending.pop()) as it:
                entries = list(it)
        except OSError:
            continue
        seen += len(entries)
        if seen > limit:
            raise TooManyEntries(limit)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    return sorted(found)


def foreign_link(path: Path) -> Path | None:
    """The file ``path`` leads to when a link takes it out of its folder to a file of another
    kind (another suffix, or a dotfile such as ``~/.netrc``), else None. A link to a file of the
    same kind (a team's shared ``pipvet.toml``, say) is read."""
    target = linked_out(path)
    if target is None or (target.suffix == path.suffix and not target.name.startswith(".")):
        return None
    return target


def point_nowhere(stream: IO[str]) -> None:
    """After the reader of ``stream`` went away (``pipvet audit | head``): what is still
    buffered for the closed pipe would fail again at exit, so its descriptor now leads to the
    null device and that last flush succeeds quietly. A stream without a descriptor is left."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
