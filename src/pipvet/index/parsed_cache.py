"""The parsed-answer cache: each parsed index answer kept beside the HTTP cache.

Disk I/O, and nothing else: reading a copy that is missing, torn, damaged or foreign is a
miss, never an error, and a copy that cannot be written only costs parsing again. The client
in ``pipvet.index.client`` decides when a copy may answer.
"""

from __future__ import annotations

import contextlib
import functools
import json
import struct
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from math import isfinite
from pathlib import Path

from pipvet.errors import InputError
from pipvet.index.packed import EARLIEST, LATEST, DistFile, PackedFiles, pack
from pipvet.index.parse import OwnerRole, ProjectInfo, Release
from pipvet.index.release_table import ReleaseTable
from pipvet.models import canonicalize_name
from pipvet.sha256 import sha256
from pipvet.system.files import write_chunks_atomic

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ParsedCache"]

# Parsing a large answer (thousands of files across releases) costs far more than reading a
# compact copy of the parsed result, so each parsed answer is kept beside the HTTP cache,
# keyed by URL and checked against a hash of the raw body it came from. A copy is a magic
# line; one line of JSON, the project's fields and, under "releases", a "1" or "0" a release
# for yanked and for dated (it has an upload time) and the byte length of the versions' text;
# the upload times of the dated releases (little-endian doubles); the byte length of each
# release's files (little-endian 32-bit); the versions, one a line (UTF-8); then every
# release's packed files as one UTF-8 text. As JSON rows the releases were most of reading a
# copy (a warm vet of 25 packages read 4,700 of them, 22M instructions, most of it decimal
# times); a column is one C call now, and a release is made only when it is asked for
# (ReleaseTable), its files decoded only when they are.
_MEMO_MAGIC = b"pipvet-parsed 7\n"  # 7: columns and byte spans (6: the rows in the JSON line)


def _to_compact(project: ProjectInfo, body_hash: str, fetched_at: float) -> list[bytes] | None:
    """The copy's bytes, in pieces; None when a release cannot be kept (a version with a
    line break, a time that is no float, files too long or that cannot be packed)."""
    releases = project.releases
    if isinstance(releases, _CopiedReleases):  # read from a copy: its columns and files
        columns, tail = releases.kept
    else:
        found = _columns(releases)
        if found is None:
            return None
        columns, tail = found
    head = {
        "body_sha256": body_hash,
        "fetched_at": fetched_at,
        "info": [
            project.display_name, project.version, project.summary, project.organization,
            project.home_page, project.requires_python, project.license_expression,
            project.license, project.author,
        ],
        "roles": None if project.roles is None else [[r.role, r.user] for r in project.roles],
        "project_urls": [list(pair) for pair in project.project_urls],
        "requires_dist": list(project.requires_dist),
        "classifiers": list(project.classifiers),
        "releases": columns,
    }  # fmt: skip
    # ASCII JSON holds no line break; lone surrogates (JSON can carry them) pass both ways.
    line = json.dumps(head, separators=(",", ":")).encode("ascii")
    return [_MEMO_MAGIC, line, b"\n", *tail]


def _columns(releases: Sequence[Release]) -> tuple[dict[str, object], list[bytes]] | None:
    """The head's "releases" and the bytes after the head; None when a release cannot be
    kept."""
    blobs: list[bytes] = []
    versions: list[str] = []
    times: list[float] = []
    for r in releases:
        if isinstance(r.files, PackedFiles):  # as the parser packed it
            blob = r.files.encoded
        else:
            packed = pack(r.files)
            if packed is None:
                return None
            blob = packed.encode("utf-8", "surrogatepass")
        if type(r.version) is not str or "\n" in r.version:
            return None
        if r.uploaded is not None:
            try:  # an int is kept as the float it equals; anything else is no time
                if float(r.uploaded) != r.uploaded:
                    return None
                times.append(float(r.uploaded))
            except (TypeError, ValueError, OverflowError):
                return None
        blobs.append(blob)
        versions.append(r.version)
    text = "\n".join(versions).encode("utf-8", "surrogatepass")
    try:
        lengths = struct.pack(f"<{len(blobs)}I", *map(len, blobs))
    except struct.error:  # files of 4 GiB
        return None
    columns = {
        "yanked": "".join("1" if r.yanked else "0" for r in releases),
        "dated": "".join("0" if r.uploaded is None else "1" for r in releases),
        "versions": len(text),
    }
    return columns, [struct.pack(f"<{len(times)}d", *times), lengths, text, *blobs]


class _CopiedReleases(ReleaseTable):
    """A table read from a copy, which keeps the copy's columns and files as they are: a
    copy written again (the index confirmed the answer) is those bytes behind a new head."""

    __slots__ = ("_columns", "_columns_at")

    def __init__(
        self, columns: dict[str, object], columns_at: int, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._columns = columns
        self._columns_at = columns_at

    @property
    def kept(self) -> tuple[dict[str, object], list[bytes]]:
        """The head's "releases" and the bytes after the head, as read."""
        return self._columns, [self._raw[self._columns_at :]]


def _from_compact(
    data: Mapping[str, Any], raw: bytes, at: int, url: str, recover: Callable[[], ProjectInfo]
) -> ProjectInfo:
    """The parsed answer kept in ``data`` and ``raw`` (its columns from byte ``at`` on);
    ValueError / TypeError / KeyError when they are not what ``_to_compact`` writes. A
    release's files are checked when first unpacked, and damage found then is a miss too:
    ``recover`` parses the index's answer again."""
    (display, version, summary, org, home, requires_python, license_expression, license_,
     author) = data["info"]  # fmt: skip
    roles = data["roles"]
    columns = data["releases"]
    yanked, dated, size = columns["yanked"], columns["dated"], columns["versions"]
    if type(yanked) is not str or type(dated) is not str or type(size) is not int:
        raise ValueError(f"a damaged release in the parsed answer of {url}")
    n, m = len(yanked), dated.count("1")
    text_at = at + 8 * m + 4 * n
    files_at = text_at + size
    if (
        yanked.count("1") + yanked.count("0") != n
        or len(dated) != n
        or m + dated.count("0") != n
        or not text_at <= files_at <= len(raw)
    ):
        raise ValueError(f"the parsed answer of {url} is not whole")
    times = struct.unpack_from(f"<{m}d", raw, at)
    # No time a datetime cannot be made of: the sum is nan or infinite with any nan or inf.
    if m and not (isfinite(sum(times)) and min(times) >= EARLIEST and max(times) <= LATEST):
        raise ValueError(f"a damaged upload time in the parsed answer of {url}")
    ends = list(accumulate(struct.unpack_from(f"<{n}I", raw, at + 8 * m), initial=files_at))
    versions = str(memoryview(raw)[text_at:files_at], "utf-8", "surrogatepass").split("\n")
    if ends[-1] != len(raw) or len(versions) != max(n, 1) or (not n and versions != [""]):
        raise ValueError(f"the parsed answer of {url} is not whole")  # torn, or not adding up
    again = functools.cache(recover)  # once for all the damaged releases of the answer

    def files_of(version: str) -> Sequence[DistFile]:
        # The files of ``version`` in the answer parsed again (none: it is gone from it).
        return next((r.files for r in again().releases if r.version == version), ())

    releases = _CopiedReleases(
        columns, at, versions[:n], times, dated=dated, yanked=yanked, ends=ends, raw=raw,
        recover=files_of,
    )  # fmt: skip
    return ProjectInfo(
        name=canonicalize_name(display),
        display_name=display,
        version=version,
        summary=summary,
        releases=releases,
        roles=None if roles is None else tuple(OwnerRole(role, user) for role, user in roles),
        organization=org,
        project_urls=tuple((label, link) for label, link in data["project_urls"]),
        home_page=home,
        requires_dist=tuple(data["requires_dist"]),
        requires_python=requires_python,
        license_expression=license_expression,
        license=license_,
        classifiers=tuple(data["classifiers"]),
        author=author,
        source_url=url,
    )


def _confirmed(data: Mapping[str, Any]) -> float | None:
    """When the index last confirmed a parsed answer; None when the copy holds no time."""
    when = data.get("fetched_at")
    return float(when) if isinstance(when, float | int) and type(when) is not bool else None


class ParsedCache:
    """Parsed answers on disk; any problem reading or writing one just means parsing again.

    Each carries the hash of the raw body it was parsed from and when the index last
    confirmed that body, so a fresh one can answer without reading the raw answer at all.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._root = str(folder)

    def _file(self, url: str) -> str:
        # A text, not a Path: a warm vet reads 50 copies, and joining Paths twice for each
        # was 2M instructions.
        digest = sha256(url.encode("utf-8")).hexdigest()
        return f"{self._root}/{digest[:2]}/{digest}.parsed"

    def _path(self, url: str) -> Path:
        return Path(self._file(url))

    def _read(self, url: str) -> tuple[dict[str, Any], bytes, int] | None:
        """The copy's JSON line, its bytes and where its columns begin."""
        try:
            with open(self._file(url), "rb") as file:
                raw = file.read()
        except OSError:
            return None
        if not raw.startswith(_MEMO_MAGIC):
            return None
        end = raw.find(b"\n", len(_MEMO_MAGIC))
        try:
            if end < 0:
                return None
            data = json.loads(raw[len(_MEMO_MAGIC) : end])
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return None
        return (data, raw, end + 1) if isinstance(data, dict) else None

    def fresh(
        self, url: str, newer_than: float | None, recover: Callable[[], ProjectInfo]
    ) -> tuple[ProjectInfo | None, float] | None:
        """The parsed answer (None: the index has no such project) and its confirmation
        time, if confirmed after ``newer_than`` (None: any age will do)."""
        found = self._read(url)
        if found is None:
            return None
        data, raw, at = found
        fetched_at = _confirmed(data)
        if fetched_at is None or (newer_than is not None and not fetched_at >= newer_than):
            return None  # (nan is never fresh)
        if data.get("absent") is True:  # nothing else in it: anything more is damage
            return (None, fetched_at) if len(data) == 2 and at == len(raw) else None
        try:
            return _from_compact(data, raw, at, url, recover), fetched_at
        except (KeyError, TypeError, ValueError):
            return None

    def load(
        self, url: str, body_hash: str, fetched_at: float, recover: Callable[[], ProjectInfo]
    ) -> ProjectInfo | None:
        found = self._read(url)
        if found is None:
            return None
        data, raw, at = found
        try:
            if data.get("body_sha256") != body_hash:
                return None
            project = _from_compact(data, raw, at, url, recover)
        except (KeyError, TypeError, ValueError):
            return None
        confirmed = _confirmed(data)
        if confirmed is None or not fetched_at - confirmed <= 60:
            # Re-confirmed by the index (or a time that is none): written again.
            self.store(url, body_hash, fetched_at, project)
        return project

    def store_absent(self, url: str, fetched_at: float) -> None:
        """Keep the index's answer that it has no such project (404, 410), as confirmed at
        ``fetched_at``: a run that names it again (a subtree's names that are not on the
        index) need not read the HTTP cache, nor start a thread to read it. Earlier pipvets
        read such a copy as a damaged one: a miss."""
        line = json.dumps({"absent": True, "fetched_at": fetched_at}).encode("ascii")
        with contextlib.suppress(InputError):
            write_chunks_atomic(self._path(url), [_MEMO_MAGIC, line, b"\n"], durable=False)

    def store(self, url: str, body_hash: str, fetched_at: float, project: ProjectInfo) -> None:
        pieces = _to_compact(project, body_hash, fetched_at)
        if pieces is None:
            return
        # A cache that cannot be written costs a refetch later, nothing more.
        with contextlib.suppress(InputError):
            write_chunks_atomic(self._path(url), pieces, durable=False)  # torn: a miss
