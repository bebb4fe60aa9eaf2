"""Package-index JSON API client: ``{base}/pypi/{name}/json`` -> a frozen ``ProjectInfo``.

The client takes the HTTP client as a parameter (timeouts, retries, the validator cache and
offline mode live there). A 404 means "no such project" and is answered with ``None``; any
other failure is the HTTP layer's error. A body that is not the JSON the index promises is a
``DataError`` naming the URL. Names that the policy marks as internal are never sent.

The values and the (pure) parser live in ``pipvet.index.parse``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from packaging.utils import NormalizedName, canonicalize_name

from pipvet.errors import DataError, InputError, NetworkError, PipvetError
from pipvet.frozen import frozen
from pipvet.index.packed import EARLIEST, LATEST, DistFile, PackedFiles, pack
from pipvet.index.parse import (
    OwnerRole,
    ProjectInfo,
    Release,
    parse_project,
    project_url,
)
from pipvet.models import same_version
from pipvet.system.files import write_chunks_atomic
from pipvet.system.http_transport import split_userinfo
from pipvet.system.threads import RequestPool

if TYPE_CHECKING:  # the client is passed in: this module never opens a connection itself
    from pipvet.system.http import HttpClient
    from pipvet.system.http_model import HttpResponse

__all__ = [
    "FRESH_SECONDS",
    "IndexClient",
    "InternalName",
    "Lookup",
]


@frozen
class Lookup:
    """One answer from the index: the project (``None``: no such project) and its freshness."""

    name: NormalizedName
    project: ProjectInfo | None
    url: str
    from_cache: bool = False
    fetched_at: float = 0.0  # when the index last confirmed this answer (epoch seconds)


# --------------------------------------------------------------------------- parsed cache


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
        files = PackedFiles(files_text[start:end], None, files_of, v)
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


class _Memo:
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
            text = raw[end + 1 :].decode("utf-8", "surrogatepass")
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return None
        return (data, text) if isinstance(data, dict) else None

    def fresh(
        self, url: str, newer_than: float | None, recover: Callable[[], ProjectInfo]
    ) -> tuple[ProjectInfo, float] | None:
        """The parsed answer and its confirmation time, if confirmed after ``newer_than``
        (None: any age will do)."""
        found = self._read(url)
        if found is None:
            return None
        data, text = found
        fetched_at = _confirmed(data)
        if fetched_at is None or (newer_than is not None and not fetched_at >= newer_than):
            return None  # (nan is never fresh)
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

    def store(self, url: str, body_hash: str, fetched_at: float, project: ProjectInfo) -> None:
        pieces = _to_compact(project, body_hash, fetched_at)
        if pieces is None:
            return
        # A cache that cannot be written costs a refetch later, nothing more.
        with contextlib.suppress(InputError):
            write_chunks_atomic(self._path(url), pieces, durable=False)  # torn: a miss


# --------------------------------------------------------------------------- client

# How long an index answer is served from the local cache without asking the index again.
# Metadata changes slowly; a short window keeps "vet" instant on repeat runs while a new
# release (or a removed malicious one) is seen within the hour.
FRESH_SECONDS = 3600.0


class InternalName(DataError):
    """A name the policy marks internal was about to be looked up on an index."""


class IndexClient:
    """Looks projects up on one index. ``is_internal(name)`` names are refused, never sent."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        *,
        is_internal: Callable[[str], bool] = lambda _name: False,
        fresh_seconds: float = FRESH_SECONDS,
        max_workers: int = 32,
        parsed_cache: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.is_internal = is_internal
        self.fresh_seconds = fresh_seconds
        self.max_workers = max_workers
        self._memo = _Memo(parsed_cache) if parsed_cache is not None else None
        self._clock = clock

    def url_for(self, name: str, version: str | None = None) -> str:
        if self.is_internal(name):
            raise InternalName(
                f"{name} is an internal package (policy 'internal'): it is never looked up "
                f"on {self.base_url}",
                hint="vet internal packages with your own review process",
            )
        return project_url(self.base_url, name, version)

    def lookup(self, name: str, version: str | None = None) -> Lookup:
        """The index's answer for ``name`` (or one release of it); NetworkError on failure."""
        url = self.url_for(name, version)
        return self._remembered(name, url) or self._answer(
            name, self.http.get(url, max_age=self.fresh_seconds)
        )

    def lookup_many(self, names: Sequence[str]) -> dict[str, Lookup | PipvetError]:
        """Look several names up concurrently, keyed by canonical name; a failure stays in
        place as the error. Internal names are answered with ``InternalName``, unsent.
        """
        found = self._many([(canonicalize_name(n), None) for n in names])
        return {name: answer for (name, _), answer in found.items()}

    def lookup_releases(
        self, wanted: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], Lookup | PipvetError]:
        """The per-release documents of ``(name, version)`` pairs, concurrently."""
        found = self._many([(canonicalize_name(n), v) for n, v in wanted])
        return {(name, version or ""): answer for (name, version), answer in found.items()}

    def file_digests(self, name: str, version: str) -> dict[str, str] | None:
        """The sha256 of each file the index lists for ``name`` ``version``, by file name, from
        its project answer (from the cache when fresh); None when the index lists no hashes
        for that release (or has no such release). NetworkError / DataError on failure."""
        url = self.url_for(name)
        resp = self.http.get(url, max_age=self.fresh_seconds)
        if not resp.ok:
            return None
        try:
            doc = json.loads(resp.body)
        except (ValueError, RecursionError):
            raise DataError(f"the package index's answer {resp.url} is not JSON") from None
        releases = doc.get("releases") if isinstance(doc, dict) else None
        files = releases.get(version) if isinstance(releases, dict) else None
        if files is None and isinstance(releases, dict):  # 26.1.0.0 is release 26.1.0
            files = next((f for v, f in releases.items() if same_version(v, version)), None)
        if not isinstance(files, list):
            return None
        found = {
            entry["filename"]: entry["digests"]["sha256"].lower()
            for entry in files
            if isinstance(entry, dict)
            and isinstance(entry.get("filename"), str)
            and isinstance(entry.get("digests"), dict)
            and isinstance(entry["digests"].get("sha256"), str)
        }
        return found or None

    def _many(
        self, keys: Sequence[tuple[NormalizedName, str | None]]
    ) -> dict[tuple[NormalizedName, str | None], Lookup | PipvetError]:
        out: dict[tuple[NormalizedName, str | None], Lookup | PipvetError] = {}
        urls: dict[tuple[NormalizedName, str | None], str] = {}
        for key in keys:
            try:
                url = self.url_for(*key)
            except InternalName as exc:
                out[key] = exc
                continue
            known = self._remembered(key[0], url)
            if known is not None:
                out[key] = known
            else:
                urls[key] = url

        # Answers are parsed (most of a cold run's CPU) as they arrive, while the rest are
        # still on the way; one parser at a time, so that the workers still sending their
        # requests are not starved of the interpreter lock by parsers in every thread.
        def fetch(url: str) -> HttpResponse | NetworkError:
            try:
                return self.http.get(url, max_age=self.fresh_seconds)
            except NetworkError as exc:
                return exc

        def parse(key: tuple[NormalizedName, str | None], resp: object) -> Lookup | PipvetError:
            if isinstance(resp, NetworkError):
                return resp
            try:
                return self._answer(key[0], cast("HttpResponse", resp))
            except DataError as exc:
                return exc

        answers: dict[tuple[NormalizedName, str | None], Lookup | PipvetError] = {}
        if len(urls) <= 1 or self.max_workers <= 1:
            answers = {key: parse(key, fetch(url)) for key, url in urls.items()}
        else:
            with RequestPool(max_workers=min(self.max_workers, len(urls))) as pool:
                pending = {pool.submit(fetch, url): key for key, url in urls.items()}
                for done in as_completed(pending):
                    answers[pending[done]] = parse(pending[done], done.result())
        out.update((key, answers[key]) for key in urls)
        return out

    def _answer(self, name: str, resp: HttpResponse) -> Lookup:
        canon = canonicalize_name(name)
        if resp.status in (404, 410):
            return Lookup(canon, None, resp.url, resp.from_cache, resp.fetched_at)
        if not resp.ok:
            raise DataError(f"the package index answered {resp.status} for {resp.url}")
        return Lookup(canon, self._parse(resp), resp.url, resp.from_cache, resp.fetched_at)

    def _remembered(self, name: str, url: str) -> Lookup | None:
        """A parsed answer fresh enough to skip the HTTP layer (offline: of any age)."""
        if self._memo is None:
            return None
        newer_than = None if self.http.offline else self._clock() - self.fresh_seconds
        # Stored under the answer's URL, which never holds the credential a mirror's has.
        found = self._memo.fresh(split_userinfo(url)[0], newer_than, partial(self._again, url))
        if found is None:
            return None
        project, fetched_at = found
        return Lookup(canonicalize_name(name), project, split_userinfo(url)[0], True, fetched_at)

    def _parse(self, resp: HttpResponse) -> ProjectInfo:
        if self._memo is None:
            return parse_project(resp.body, resp.url)
        body_hash = hashlib.sha256(resp.body).hexdigest()
        again = partial(self._fresh, resp, body_hash)
        return self._memo.load(resp.url, body_hash, resp.fetched_at, again) or again()

    def _fresh(self, resp: HttpResponse, body_hash: str | None = None) -> ProjectInfo:
        """``resp`` parsed, and kept in place of a parsed copy that was missing or damaged."""
        project = parse_project(resp.body, resp.url)
        if self._memo is not None:
            digest = body_hash or hashlib.sha256(resp.body).hexdigest()
            self._memo.store(resp.url, digest, resp.fetched_at, project)
        return project

    def _again(self, url: str) -> ProjectInfo:
        """The answer at ``url`` (with any credential) asked and parsed again, for a parsed
        copy found damaged after it was read (the HTTP cache may still answer)."""
        resp = self.http.get(url, max_age=self.fresh_seconds)
        if not resp.ok:
            raise DataError(f"the package index answered {resp.status} for {resp.url}")
        return self._fresh(resp)
