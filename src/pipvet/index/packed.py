"""A release's files as one text, one tab-separated line a file, turned into ``DistFile`` on
first use. Pure.

A large project lists tens of thousands of files, and vetting reads those of one or two
releases: the parser keeps each release's files packed, and the parsed cache stores the
same text. A line is ``filename, packagetype, upload time, yanked ("1"/"0"), requires_python``;
the upload time is as the index wrote it (ISO 8601) or, for a list the parser read entry
by entry, seconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import NamedTuple, overload

    class _DistFile(NamedTuple):
        filename: str
        packagetype: str
        uploaded: float | None  # upload time, seconds since the epoch
        yanked: bool = False
        requires_python: str | None = None

else:
    # collections.namedtuple: typing.NamedTuple would import typing.
    from collections import namedtuple

    _DistFile = namedtuple(
        "DistFile",
        ["filename", "packagetype", "uploaded", "yanked", "requires_python"],
        defaults=(False, None),
    )

    def overload(function: object) -> object:
        return function


__all__ = ["DistFile", "PackedFiles", "pack", "timestamp", "unpack"]


class DistFile(_DistFile):
    """One file of a release: a wheel (``bdist_wheel``), an sdist, or an older kind: its
    ``filename``, ``packagetype``, ``uploaded`` (seconds since the epoch, or None), ``yanked``
    and ``requires_python``.

    A named tuple rather than a dataclass: large projects have tens of thousands of files,
    and building them is on the path of every vet.
    """

    __slots__ = ()

    @property
    def upload_time(self) -> datetime | None:
        return None if self.uploaded is None else datetime.fromtimestamp(self.uploaded, UTC)

    @property
    def is_wheel(self) -> bool:
        return self.packagetype == "bdist_wheel" or self.filename.endswith(".whl")


class PackedFiles(Sequence[DistFile]):
    """The files of one release, unpacked on first use; ``packed`` is the text.

    Text read back from a cache is checked only when unpacked (checking all of a large
    project's files up front would cost more than vetting reads): a line that is not what
    ``pack`` writes is found then, and ``recover`` gives the release's files parsed afresh
    from the index's answer instead. Without ``recover`` (text the parser made) it raises.

    ``span`` (start, end) says where the release's text lies in ``packed``, a text the
    releases of a cached answer share: it is cut out when first needed, since most releases
    of a large project never are (cutting every one was a copy of the whole answer a run).
    ``packed`` may also be the UTF-8 bytes of such a text (a cached answer as read from its
    file, ``span`` in bytes): a release's bytes are decoded when first needed too, and bytes
    that are not UTF-8 are damage like a bad line.
    """

    __slots__ = ("_count", "_end", "_files", "_recover", "_start", "_text", "_version")

    def __init__(
        self,
        packed: str | bytes,
        count: int | None = None,
        recover: Callable[[str], Sequence[DistFile]] | None = None,
        version: str = "",
        span: tuple[int, int] | None = None,
    ) -> None:
        self._text = packed
        self._start, self._end = (0, len(packed)) if span is None else span
        self._files: tuple[DistFile, ...] | None = None
        # Counted when asked (most releases of a large project never are), never by unpacking.
        self._count = count
        self._recover = recover  # recover(version), shared by the releases of an answer
        self._version = version

    @property
    def packed(self) -> str:
        """The release's text: one line a file. UnicodeDecodeError (a ValueError) when it
        was read as bytes that are not UTF-8."""
        text = self._text
        if isinstance(text, bytes):
            text = str(memoryview(text)[self._start : self._end], "utf-8", "surrogatepass")
        elif self._start or self._end != len(text):
            text = text[self._start : self._end]
        else:
            return text
        self._text, self._start, self._end = text, 0, len(text)
        return text

    @property
    def encoded(self) -> bytes:
        """The release's text as UTF-8 (lone surrogates kept), as a cache stores it: bytes
        read from one are handed back as they are, not decoded and encoded again."""
        text = self._text
        if isinstance(text, bytes):
            return text[self._start : self._end]
        return self.packed.encode("utf-8", "surrogatepass")

    def _unpacked(self) -> tuple[DistFile, ...]:
        if self._files is None:
            try:
                files = tuple(unpack(line) for line in self.packed.split("\n") if line)
            except (ValueError, OverflowError):  # UnicodeDecodeError is a ValueError
                if self._recover is None:
                    raise
                files = tuple(self._recover(self._version))
                self._count = len(files)
            self._files = files
        return self._files

    def __len__(self) -> int:
        if self._count is None:
            start, end = self._start, self._end
            if end <= start:
                self._count = 0
            else:
                newline = b"\n" if isinstance(self._text, bytes) else "\n"
                self._count = self._text.count(newline, start, end) + 1  # type: ignore[arg-type]
        return self._count

    def __bool__(self) -> bool:
        return self._end > self._start

    @overload
    def __getitem__(self, index: int) -> DistFile: ...
    @overload  # (ruff takes only typing's overload for one: not imported at run time)
    def __getitem__(self, index: slice) -> Sequence[DistFile]: ...  # noqa: F811
    def __getitem__(self, index: int | slice) -> DistFile | Sequence[DistFile]:  # noqa: F811
        return self._unpacked()[index]

    def __iter__(self) -> Iterator[DistFile]:
        # Sequence's would index the unpacked files one call at a time.
        return iter(self._unpacked())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._unpacked() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedFiles({self._unpacked()!r})"


def pack(files: Sequence[DistFile]) -> str | None:
    """One line per file; None when a field would break the format (then nothing is kept)."""
    if isinstance(files, PackedFiles):
        try:
            return files.packed
        except ValueError:  # bytes read back that are not UTF-8: nothing to keep
            return None
    lines = [
        f"{f.filename}\t{f.packagetype}\t{'' if f.uploaded is None else repr(f.uploaded)}\t"
        f"{'1' if f.yanked else '0'}\t{'' if f.requires_python is None else f.requires_python}"
        for f in files
    ]
    packed = "\n".join(lines)
    # Exactly four tabs a line and no newline inside a line: no field held either.
    if packed.count("\t") != 4 * len(lines) or packed.count("\n") != max(0, len(lines) - 1):
        return None
    return packed


# The upload times a datetime can be made of (years 1 to 9999), in seconds since the epoch:
# anything else (nan and inf too) is damage, which would raise where a time is shown.
EARLIEST, LATEST = -62135596800.0, 253402300799.0


def unpack(line: str) -> DistFile:
    """One line as ``pack`` writes it; ValueError for any other (a damaged cache)."""
    filename, packagetype, uploaded, yanked, requires_python = line.split("\t")
    if yanked not in {"0", "1"}:
        raise ValueError(f"not a yanked flag: {yanked!r}")
    return DistFile(
        filename,
        packagetype,
        _seconds(uploaded) if uploaded else None,
        yanked == "1",
        requires_python or None,
    )


def _seconds(text: str) -> float:
    # The index's own text (checked when it was parsed) ends in "Z"; pack writes a number.
    seconds = _iso(text) if text[-1] == "Z" else float(text)
    if not EARLIEST <= seconds <= LATEST:  # false for nan too
        raise ValueError(f"not an upload time: {text!r}")
    return seconds


def timestamp(text: str | None) -> float | None:
    """Seconds since the epoch of an ISO time; ValueError when it is not one."""
    return _iso(text) if text else None


def _iso(text: str) -> float:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    # The index's older field ("upload_time") has no zone; it is UTC.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
