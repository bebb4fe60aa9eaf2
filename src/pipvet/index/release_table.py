"""The releases of a parsed answer read back from the cache, made one at a time. Pure.

A warm vet reads tens of cached answers with thousands of releases between them, and making
each release's two objects (its ``Release`` and its ``PackedFiles``) was 30M instructions of a
warm vet of 25 packages, 6 % of it. Of most releases a vet needs only a few facts together:
the upload times, the yanked versions, how many releases have files. ``ReleaseTable`` keeps
the copy's columns, answers those from them (``upload_times``, ``yanked_versions``,
``count_with_files``, which read any other sequence of releases one by one), and makes a
release only when it is indexed: the one a vet would install, the few newer ones it skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import compress, islice
from operator import ne

from pipvet.index.packed import DistFile, PackedFiles
from pipvet.index.parse import Release

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import overload
else:

    def overload(function: object) -> object:
        return function


__all__ = ["ReleaseTable", "count_with_files", "upload_times", "yanked_versions"]


class ReleaseTable(Sequence[Release]):
    """Releases as columns: ``versions``; ``times``, the upload time of each release that has
    one (``dated``: "1" a release that has one, "0" one that has none); ``yanked``: "1" or "0"
    a release; ``ends``: where each release's files end in ``raw`` (the first entry is where
    the first one's begin). A release's files are its span of ``raw``, UTF-8, unpacked when
    first used, ``recover(version)`` giving them when they are damaged (``PackedFiles``).

    The columns are taken as they are: the parsed cache checks them before it makes a table.
    """

    __slots__ = ("_all_dated", "_dated", "_ends", "_made", "_raw", "_recover", "_times",
                 "_versions", "_with_files", "_yanked")  # fmt: skip

    def __init__(
        self,
        versions: Sequence[str],
        times: Sequence[float],
        *,
        dated: str,
        yanked: str,
        ends: Sequence[int],
        raw: bytes,
        recover: Callable[[str], Sequence[DistFile]],
    ) -> None:
        self._versions = versions
        self._times = times
        self._dated = dated
        self._all_dated = "0" not in dated  # then a release's time is at its own index
        self._yanked = yanked
        self._ends = ends
        self._raw = raw
        self._recover = recover
        self._made: list[Release | None] = [None] * len(versions)
        self._with_files: int | None = None

    def __len__(self) -> int:
        return len(self._versions)

    @overload
    def __getitem__(self, index: int) -> Release: ...
    @overload  # (ruff takes only typing's overload for one: not imported at run time)
    def __getitem__(self, index: slice) -> Sequence[Release]: ...  # noqa: F811
    def __getitem__(self, index: int | slice) -> Release | Sequence[Release]:  # noqa: F811
        if isinstance(index, slice):
            return tuple(map(self._release, range(len(self))[index]))
        return self._release(range(len(self))[index])  # IndexError as a tuple's

    def __iter__(self) -> Iterator[Release]:
        return map(self._release, range(len(self)))

    def _release(self, i: int) -> Release:
        made = self._made[i]
        if made is None:
            version = self._versions[i]
            span = (self._ends[i], self._ends[i + 1])
            files = PackedFiles(self._raw, None, self._recover, version, span)
            made = Release(version, files, self._uploaded(i), self._yanked[i] == "1")
            self._made[i] = made
        return made

    def _uploaded(self, i: int) -> float | None:
        if self._all_dated:
            return self._times[i]
        if self._dated[i] == "0":
            return None
        return self._times[self._dated.count("1", 0, i)]

    def upload_times(self) -> Sequence[float]:
        return self._times

    def yanked_versions(self) -> list[str]:
        if "1" not in self._yanked:
            return []
        return list(compress(self._versions, map("1".__eq__, self._yanked)))

    def count_with_files(self) -> int:
        if self._with_files is None:  # a release has files when its span is not empty
            self._with_files = sum(map(ne, islice(self._ends, 1, None), self._ends))
        return self._with_files

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ReleaseTable({tuple(self)!r})"


def upload_times(releases: Sequence[Release]) -> Sequence[float]:
    """The upload time of every release that has one, in the releases' order."""
    if isinstance(releases, ReleaseTable):
        return releases.upload_times()
    return [u for r in releases if (u := r.uploaded) is not None]


def yanked_versions(releases: Sequence[Release]) -> list[str]:
    """The versions of the yanked releases, in the releases' order."""
    if isinstance(releases, ReleaseTable):
        return releases.yanked_versions()
    return [r.version for r in releases if r.yanked]


def count_with_files(releases: Sequence[Release]) -> int:
    """How many releases have files."""
    if isinstance(releases, ReleaseTable):
        return releases.count_with_files()
    return sum(1 for r in releases if r.files)
