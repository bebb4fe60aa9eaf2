"""The parsed-answer cache: each parsed index answer kept beside the HTTP cache.

Disk I/O, and nothing else: reading a copy that is missing, torn, damaged or foreign is a
miss, never an error, and a copy that cannot be written only costs parsing again. The client
in ``pipvet.index.client`` decides when a copy may answer.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipvet.errors import InputError
from pipvet.index.packed import EARLIEST, LATEST, DistFile, PackedFiles, pack
from pipvet.index.parse import OwnerRole, ProjectInfo, Release
from pipvet.models import canonicalize_name
from pipvet.system.files import write_chunks_atomic

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ParsedCache"]

# Parsing a large answer (thousands of files across releases) costs far more than reading a
# compact copy of the parsed result, so each parsed answer is kept beside the HTTP cache,
# keyed by URL and checked against a hash of the raw body it came from. A copy is a magic
# line, one line of JSON (the project's fields and, per release, its version, upload time,
# yanked flag and the length of its packed files) and then every release's packed files as
# one UTF-8 text: the files are most of a copy, and as JSON every tab and line break of them
# was an escape to write and to read (about 160M instructions of a warm vet, 20 %).
_MEMO_MAGIC = b"pipvet-parsed 6\n"  # 6: the files after the JSON line, not inside it


def _to_compact(project: ProjectInfo, body_hash: str, fetched_at: float) -> list[bytes] | None:
    """The copy's bytes, in pieces; None when a release's files cannot be packed."""
    texts: list[str] = []
    rows: list[list[object]] = []
    for r in project.releases:
        packed = pack(r.files)
        if packed is None:
            return None
        texts.append(packed)
        rows.append([r.version, r.uploaded, r.yanked, len(packed)])
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
        "releases": rows,
    }  # fmt: skip
    # ASCII JSON holds no line break; lone surrogates (JSON can carry them) pass both ways.
    line = json.dumps(head, separators=(",", ":")).encode("ascii")
    return [_MEMO_MAGIC, line, b"\n", "".join(texts).encode("utf-8", "surrogatepass")]


def _from_compact(
    data: Mapping[str, Any], files_text: str, url: str, recover: Callable[[], ProjectInfo]
) -> ProjectInfo:
    """The parsed answer kept in ``data`` and ``files_text``; ValueError / TypeError /
    KeyError when they are not what ``_to_compact`` writes. A release's files are checked
    when first unpacked, and damage found then is a miss too: ``recover`` parses the index's
    answer again."""
    (display, version, summary, org, home, requires_python, license_expression, license_,
     author) = data["info"]  # fmt: skip
    roles = data["roles"]
    again = functools.cache(recover)  # once for all the damaged releases of the answer

    def files_of(version: str) -> Sequence[DistFile]:
        # The files of ``version`` in the answer parsed again (none: it is gone from it).
        return next((r.files for r in again().releases if r.version == version), ())

    rows = data["releases"]
    releases: list[Release] = []
    start = 0
    for v, uploaded, yanked, length in rows:  # no value of another type, no time a datetime
        if (  # cannot be made of (nan fails every comparison)
            type(v) is not str
            or type(length) is not int
            or length < 0
            or type(yanked) is not bool
            or not (uploaded is None or EARLIEST <= uploaded <= LATEST)
        ):
            raise ValueError(f"a damaged release in the parsed answer of {url}")
        end = start + length
        files = PackedFiles(files_text, None, files_of, v, (start, end))
        releases.append(Release(v, files, uploaded, yanked))
        start = end
    if start != len(files_text):  # torn, or lengths that do not add up
        raise ValueError(f"the parsed answer of {url} is not whole")
    return ProjectInfo(
        name=canonicalize_name(display),
        display_name=display,
        version=version,
        summary=summary,
        releases=tuple(releases),
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

    def _path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.folder / digest[:2] / f"{digest}.parsed"

    def _read(self, url: str) -> tuple[dict[str, Any], str] | None:
        try:
            raw = self._path(url).read_bytes()
        except OSError:
            return None
        if not raw.startswith(_MEMO_MAGIC):
            return None
        end = raw.find(b"\n", len(_MEMO_MAGIC))
        try:
            if end < 0:
                return None
            data = json.loads(raw[len(_MEMO_MAGIC) : end])
            # Decoded from a view: slicing the bytes first would copy the whole answer.
            text = str(memoryview(raw)[end + 1 :], "utf-8", "surrogatepass")
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return None
        return (data, text) if isinstance(data, dict) else None

    def fresh(
        self, url: str, newer_than: float | None, recover: Callable[[], ProjectInfo]
    ) -> tuple[ProjectInfo | None, float] | None:
        """The parsed answer (None: the index has no such project) and its confirmation
        time, if confirmed after ``newer_than`` (None: any age will do)."""
        found = self._read(url)
        if found is None:
            return None
        data, text = found
        fetched_at = _confirmed(data)
        if fetched_at is None or (newer_than is not None and not fetched_at >= newer_than):
            return None  # (nan is never fresh)
        if data.get("absent") is True:  # nothing else in it: anything more is damage
            return (None, fetched_at) if len(data) == 2 and not text else None
        try:
            return _from_compact(data, text, url, recover), fetched_at
        except (KeyError, TypeError, ValueError):
            return None

    def load(
        self, url: str, body_hash: str, fetched_at: float, recover: Callable[[], ProjectInfo]
    ) -> ProjectInfo | None:
        found = self._read(url)
        if found is None:
            return None
        data, text = found
        try:
            if data.get("body_sha256") != body_hash:
                return None
            project = _from_compact(data, text, url, recover)
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
