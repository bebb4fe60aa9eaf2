"""Package-index JSON API client: ``{base}/pypi/{name}/json`` -> a frozen ``ProjectInfo``.

The client takes the HTTP client as a parameter (timeouts, retries, the validator cache and
offline mode live there). A 404 means "no such project" and is answered with ``None``; any
other failure is the HTTP layer's error. A body that is not the JSON the index promises is a
``DataError`` naming the URL. Names that the policy marks as internal are never sent.

Parsing is pure (``parse_project``), so it is tested on recorded responses without a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from packaging.utils import NormalizedName, canonicalize_name

from pipvet.errors import DataError, PipvetError

if TYPE_CHECKING:  # the client is passed in; parsing and the values stay free of I/O imports
    from pipvet.http import HttpClient, HttpResponse

__all__ = [
    "FRESH_SECONDS",
    "DistFile",
    "IndexClient",
    "InternalName",
    "Lookup",
    "ProjectInfo",
    "Release",
    "Role",
    "parse_project",
    "project_url",
]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class DistFile:
    """One file of a release: a wheel (``bdist_wheel``), an sdist, or an older kind."""

    filename: str
    packagetype: str
    upload_time: datetime | None
    yanked: bool = False
    requires_python: str | None = None

    @property
    def is_wheel(self) -> bool:
        return self.packagetype == "bdist_wheel" or self.filename.endswith(".whl")


@dataclass(frozen=True)
class Release:
    version: str
    files: tuple[DistFile, ...]

    @property
    def upload_time(self) -> datetime | None:
        """When the release was published: its earliest file's upload time."""
        times = [f.upload_time for f in self.files if f.upload_time is not None]
        return min(times) if times else None

    @property
    def yanked(self) -> bool:
        """A release is yanked when every one of its files is (the index yanks per release)."""
        return bool(self.files) and all(f.yanked for f in self.files)


@dataclass(frozen=True)
class Role:
    role: str  # "Owner" or "Maintainer" on the public index
    user: str


@dataclass(frozen=True)
class ProjectInfo:
    """What the index says about one project, reduced to what vetting uses."""

    name: NormalizedName
    display_name: str
    version: str  # the version the index calls latest (``info.version``)
    summary: str
    releases: tuple[Release, ...]
    # ``None`` when the response carries no ``ownership`` block (older indexes and mirrors do
    # not publish it): "unknown" must not read as "nobody".
    roles: tuple[Role, ...] | None
    organization: str | None
    project_urls: tuple[tuple[str, str], ...]
    home_page: str | None
    requires_dist: tuple[str, ...]  # of ``version``
    requires_python: str | None
    license_expression: str | None
    license: str | None
    classifiers: tuple[str, ...]
    author: str | None
    source_url: str

    def release(self, version: str) -> Release | None:
        for rel in self.releases:
            if rel.version == version:
                return rel
        return None

    @property
    def users(self) -> tuple[str, ...]:
        """Distinct accounts with a role, in the index's order."""
        seen: dict[str, None] = {}
        for r in self.roles or ():
            seen.setdefault(r.user, None)
        return tuple(seen)


@dataclass(frozen=True)
class Lookup:
    """One answer from the index: the project (``None``: no such project) and its freshness."""

    name: NormalizedName
    project: ProjectInfo | None
    url: str
    from_cache: bool = False
    fetched_at: float = 0.0  # when the index last confirmed this answer (epoch seconds)


# --------------------------------------------------------------------------- parsing


def project_url(base: str, name: str, version: str | None = None) -> str:
    """``{base}/pypi/{name}/json`` (or the per-version document), name canonicalised."""
    root = base.rstrip("/")
    canon = quote(canonicalize_name(name), safe="")
    if version is None:
        return f"{root}/pypi/{canon}/json"
    return f"{root}/pypi/{canon}/{quote(version, safe='')}/json"


def parse_project(body: bytes | str, url: str) -> ProjectInfo:
    """Parse one index JSON document; ``DataError`` naming ``url`` when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(url, f"the answer is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _bad(url, "the answer is not a JSON object")
    doc = cast(dict[str, object], data)
    info = _mapping(doc, "info", url, required=True)
    display = _str(info, "name", url)
    if not display:
        raise _bad(url, "'info.name' is missing")
    version = _str(info, "version", url) or ""
    releases = _releases(doc, url)
    roles, organization = _ownership(doc, url)
    return ProjectInfo(
        name=canonicalize_name(display),
        display_name=display,
        version=version,
        summary=_str(info, "summary", url) or "",
        releases=releases,
        roles=roles,
        organization=organization,
        project_urls=_project_urls(info, url),
        home_page=_str(info, "home_page", url) or None,
        requires_dist=_strings(info, "requires_dist", url),
        requires_python=_str(info, "requires_python", url) or None,
        license_expression=_str(info, "license_expression", url) or None,
        license=_str(info, "license", url) or None,
        classifiers=_strings(info, "classifiers", url),
        author=_str(info, "author", url) or _str(info, "author_email", url) or None,
        source_url=url,
    )


def _releases(doc: Mapping[str, object], url: str) -> tuple[Release, ...]:
    raw = doc.get("releases")
    if raw is None:
        # The per-version document has no "releases"; its "urls" are that release's files.
        info = _mapping(doc, "info", url, required=True)
        version = _str(info, "version", url) or ""
        files = _files(doc.get("urls"), "urls", url)
        return (Release(version, files),) if version else ()
    if not isinstance(raw, dict):
        raise _bad(url, "'releases' is not an object")
    out: list[Release] = []
    for key, entries in cast(dict[str, object], raw).items():
        out.append(Release(str(key), _files(entries, f"releases.{key}", url)))
    return tuple(out)


def _files(raw: object, field: str, url: str) -> tuple[DistFile, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _bad(url, f"'{field}' is not a list")
    out: list[DistFile] = []
    for i, item in enumerate(cast(list[object], raw)):
        if not isinstance(item, dict):
            raise _bad(url, f"'{field}[{i}]' is not an object")
        entry = cast(dict[str, object], item)
        where = f"{field}[{i}]"
        filename = _str(entry, "filename", url, where) or ""
        uploaded = _str(entry, "upload_time_iso_8601", url, where) or _str(
            entry, "upload_time", url, where
        )
        out.append(
            DistFile(
                filename=filename,
                packagetype=_str(entry, "packagetype", url, where) or "",
                upload_time=_time(uploaded, url, f"{where}.upload_time_iso_8601"),
                yanked=entry.get("yanked") is True,
                requires_python=_str(entry, "requires_python", url, where) or None,
            )
        )
    return tuple(out)


def _ownership(doc: Mapping[str, object], url: str) -> tuple[tuple[Role, ...] | None, str | None]:
    if "ownership" not in doc:
        return None, None
    own = _mapping(doc, "ownership", url, required=False)
    organization = _str(own, "organization", url, "ownership") or None
    raw = own.get("roles")
    if raw is None:
        return (), organization
    if not isinstance(raw, list):
        raise _bad(url, "'ownership.roles' is not a list")
    roles = []
    for i, item in enumerate(cast(list[object], raw)):
        if not isinstance(item, dict):
            raise _bad(url, f"'ownership.roles[{i}]' is not an object")
        entry = cast(dict[str, object], item)
        user = _str(entry, "user", url, f"ownership.roles[{i}]")
        if user:
            roles.append(Role(_str(entry, "role", url, f"ownership.roles[{i}]") or "", user))
    return tuple(roles), organization


def _project_urls(info: Mapping[str, object], url: str) -> tuple[tuple[str, str], ...]:
    raw = info.get("project_urls")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _bad(url, "'info.project_urls' is not an object")
    return tuple(
        (str(label), link)
        for label, link in cast(dict[str, object], raw).items()
        if isinstance(link, str) and link
    )


def _time(text: str | None, url: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(url, f"'{field}' is not a date: {text!r}") from exc
    # The index's older field ("upload_time") has no zone; it is UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _mapping(
    obj: Mapping[str, object], key: str, url: str, *, required: bool
) -> Mapping[str, object]:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(url, f"'{key}' is missing")
        return {}
    if not isinstance(value, dict):
        raise _bad(url, f"'{key}' is not an object")
    return cast(dict[str, object], value)


def _str(obj: Mapping[str, object], key: str, url: str, where: str = "info") -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad(url, f"'{where}.{key}' is not a string")


def _strings(obj: Mapping[str, object], key: str, url: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(url, f"'info.{key}' is not a list of strings")
    return tuple(cast(list[str], value))


def _bad(url: str, problem: str) -> DataError:
    return DataError(
        f"the package index sent a malformed answer for {url}: {problem}",
        hint="check the index URL (PIPVET_INDEX_URL or the policy's index-url); "
        "a proxy or captive portal can also replace the answer",
    )


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
        max_workers: int = 16,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.is_internal = is_internal
        self.fresh_seconds = fresh_seconds
        self.max_workers = max_workers

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
        return _answer(name, self.http.get(url, max_age=self.fresh_seconds))

    def lookup_many(self, names: Sequence[str]) -> dict[str, Lookup | PipvetError]:
        """Look several names up concurrently, keyed by canonical name; a failure stays in
        place as the error. Internal names are answered with ``InternalName``, unsent.
        """
        out: dict[str, Lookup | PipvetError] = {}
        urls: dict[NormalizedName, str] = {}
        for name in names:
            canon = canonicalize_name(name)
            try:
                urls[canon] = self.url_for(canon)
            except InternalName as exc:
                out[canon] = exc
        answers = self.http.get_many(
            list(urls.values()), self.max_workers, max_age=self.fresh_seconds
        )
        for (canon, _url), resp in zip(urls.items(), answers, strict=True):
            if isinstance(resp, PipvetError):
                out[canon] = resp
                continue
            try:
                out[canon] = _answer(canon, resp)
            except DataError as exc:
                out[canon] = exc
        return out


def _answer(name: str, resp: HttpResponse) -> Lookup:
    canon = canonicalize_name(name)
    if resp.status in (404, 410):
        return Lookup(canon, None, resp.url, resp.from_cache, resp.fetched_at)
    if not resp.ok:
        raise DataError(f"the package index answered {resp.status} for {resp.url}")
    return Lookup(
        canon, parse_project(resp.body, resp.url), resp.url, resp.from_cache, resp.fetched_at
    )
