"""What the package index says about a project: frozen values and the parser.

Pure: ``parse_project`` turns one ``{base}/pypi/{name}/json`` document into a ``ProjectInfo``
(releases newest first, with their files; ownership; links; requirements). A document that
is not what the index promises is a ``DataError`` naming the URL and the field. A release's
files are kept packed (``pipvet.index.packed``). Fetching is ``pipvet.index.client``'s job.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import repeat
from urllib.parse import quote

from pipvet.errors import DataError
from pipvet.frozen import frozen
from pipvet.index.packed import DistFile, PackedFiles, timestamp
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.typing_free import cast

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from packaging.version import Version


__all__ = [
    "DistFile",
    "OwnerRole",
    "ProjectInfo",
    "Release",
    "parse_project",
    "project_url",
]


# --------------------------------------------------------------------------- values


@frozen
class Release:
    """One version and its files. ``uploaded`` and ``yanked`` summarise the files once."""

    version: str
    files: Sequence[DistFile]
    uploaded: float | None  # the earliest file's upload time, seconds since the epoch
    yanked: bool  # every file is yanked (the index yanks whole releases)

    @classmethod
    def of(cls, version: str, files: Sequence[DistFile]) -> Release:
        times = [f.uploaded for f in files if f.uploaded is not None]
        return cls(
            version,
            files,
            min(times) if times else None,
            bool(files) and all(f.yanked for f in files),
        )

    @property
    def upload_time(self) -> datetime | None:
        """When the release was published: its earliest file's upload time."""
        return None if self.uploaded is None else datetime.fromtimestamp(self.uploaded, UTC)


@frozen
class OwnerRole:
    role: str  # "Owner" or "Maintainer" on the public index
    user: str


@frozen
class ProjectInfo:
    """What the index says about one project, reduced to what vetting uses."""

    name: NormalizedName
    display_name: str
    version: str  # the version the index calls latest (``info.version``)
    summary: str
    releases: Sequence[Release]  # newest first (PEP 440 order), unparseable versions last
    # ``None`` when the response carries no ``ownership`` block (older indexes and mirrors do
    # not publish it): "unknown" must not read as "nobody".
    roles: tuple[OwnerRole, ...] | None
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
    except RecursionError:  # json recurses once per nested array or object
        raise _bad(url, "the answer's JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise _bad(url, "the answer is not a JSON object")
    doc = cast("dict[str, object]", data)
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
        return (Release.of(version, files),) if version else ()
    if not isinstance(raw, dict):
        raise _bad(url, "'releases' is not an object")
    out: list[Release] = []
    for key, entries in cast("dict[str, object]", raw).items():
        packed = _packed(entries)
        if packed is None:
            out.append(Release.of(str(key), _files(entries, f"releases.{key}", url)))
        else:
            kept, uploaded, yanked = packed
            out.append(Release(str(key), kept, uploaded, yanked))
    return _newest_first(out)


# The columns _packed reads.
_FIELDS = ("filename", "packagetype", "upload_time_iso_8601", "requires_python", "yanked")
_ROW = operator.itemgetter(*_FIELDS)
_FLAGS = ("0", "1")  # indexed by a bool


def _packed(raw: object) -> tuple[PackedFiles, float, bool] | None:
    """A release's file list as ``PackedFiles`` with its earliest upload time and whether all
    of it is yanked, read a column at a time in C; None for anything but the index's usual
    answer (then ``_files`` reads it entry by entry and names a bad field). Usual: a
    non-empty list of objects whose fields are text or null, every upload time an ISO time
    in UTC ending in "Z" (``upload_time_iso_8601``), no tab or line break in any field.

    The types are checked by the C code that reads the columns (no ``type()`` of every
    value, which cost as much as the rest): the reading of the fields refuses an entry that
    is not an object, ``str.join`` a value that is not text, each with a TypeError."""
    if type(raw) is not list or not raw:
        return None
    entries: list[dict[str, object]] = raw  # a list, as type() said: its items are checked below
    count = len(entries)
    try:
        try:  # the five fields of every entry in one call each, turned into five columns
            names, kinds, times, requires, yanks = zip(*map(_ROW, entries), strict=True)
        except KeyError:  # a field left out (some mirrors do): null, as .get reads it
            names, kinds, times, requires, yanks = (
                tuple(map(dict.get, entries, repeat(key))) for key in _FIELDS
            )
        # No cast() in this function: a call of it per release cost more than the reading.
        stamps = "\n".join(times)
        # Every time ends in its one "Z": with no line break inside a time, the n - 1 breaks
        # joining them each follow a "Z", and the last time ends the text with one.
        if (
            stamps.count("Z") != count
            or stamps.count("\n") != count - 1
            or stamps.count("Z\n") != count - 1
            or stamps[-1] != "Z"
        ):
            return None
        earliest = min(map(datetime.fromisoformat, times))
        if yanks.count(False) == count:  # False (or 0): none is yanked, the usual release
            flags, yanked = ["0"] * count, False
        else:
            marks = list(map(operator.is_, yanks, repeat(True)))
            flags, yanked = list(map(_FLAGS.__getitem__, marks)), all(marks)
        lines = "\n".join(
            map(
                "\t".join,
                zip(_texts(names), _texts(kinds), times, flags, _texts(requires), strict=True),
            )
        )
    except (TypeError, ValueError):  # not all objects or text; a time that is not one
        return None
    # Exactly four tabs a line and no line break inside one: no field held either.
    if lines.count("\t") != 4 * count or lines.count("\n") != count - 1:
        return None
    return PackedFiles(lines, count), earliest.timestamp(), yanked


def _texts(values: Sequence[str]) -> Sequence[str]:
    """``values`` with "" for None (the columns are typed as text, and may hold anything);
    any other value that is not text is left for the join to refuse. A column that is all
    text (most are) is checked by one join and kept."""
    try:
        "".join(values)
    except TypeError:
        return ["" if v is None else v for v in values]
    return values


def _newest_first(releases: list[Release]) -> tuple[Release, ...]:
    """Releases in PEP 440 order, newest first; versions that do not parse go last."""
    # Imported here: a vet whose answers are all in the parsed cache sorts none.
    from packaging.version import InvalidVersion, Version

    valid: list[tuple[Version, Release]] = []
    invalid: list[Release] = []
    for release in releases:
        try:
            valid.append((Version(release.version), release))
        except InvalidVersion:
            invalid.append(release)
    valid.sort(key=lambda pair: pair[0], reverse=True)
    return tuple(r for _, r in valid) + tuple(invalid)


def _files(raw: object, field: str, url: str) -> tuple[DistFile, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _bad(url, f"'{field}' is not a list")
    out: list[DistFile] = []
    append = out.append
    # A large project lists tens of thousands of files: each is checked with type() tests in
    # one condition, and only a file that fails them goes through _file, which names the bad
    # field. The same values either way.
    for i, item in enumerate(cast("list[object]", raw)):
        if type(item) is not dict:
            append(_file(item, field, i, url))
            continue
        entry = cast("dict[str, object]", item)
        get = entry.get
        filename, packagetype = get("filename"), get("packagetype")
        requires, iso = get("requires_python"), get("upload_time_iso_8601")
        uploaded = iso or get("upload_time")  # the older field only when the newer is empty
        if (
            (filename is None or type(filename) is str)
            and (packagetype is None or type(packagetype) is str)
            and (requires is None or type(requires) is str)
            and (iso is None or type(iso) is str)
            and (uploaded is None or type(uploaded) is str)
        ):
            try:
                when = timestamp(uploaded)
            except ValueError:
                append(_file(item, field, i, url))
                continue
            append(
                DistFile(
                    filename or "", packagetype or "", when, get("yanked") is True, requires or None
                )
            )
        else:
            append(_file(item, field, i, url))
    return tuple(out)


def _file(item: object, field: str, i: int, url: str) -> DistFile:
    """One file entry, every field checked and named when it is wrong."""
    if not isinstance(item, dict):
        raise _bad(url, f"'{field}[{i}]' is not an object")
    entry = cast("dict[str, object]", item)
    where = f"{field}[{i}]"
    filename = _str(entry, "filename", url, where) or ""
    uploaded = _str(entry, "upload_time_iso_8601", url, where) or _str(
        entry, "upload_time", url, where
    )
    return DistFile(
        filename=filename,
        packagetype=_str(entry, "packagetype", url, where) or "",
        uploaded=_time(uploaded, url, f"{where}.upload_time_iso_8601"),
        yanked=entry.get("yanked") is True,
        requires_python=_str(entry, "requires_python", url, where) or None,
    )


def _ownership(
    doc: Mapping[str, object], url: str
) -> tuple[tuple[OwnerRole, ...] | None, str | None]:
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
    for i, item in enumerate(cast("list[object]", raw)):
        if not isinstance(item, dict):
            raise _bad(url, f"'ownership.roles[{i}]' is not an object")
        entry = cast("dict[str, object]", item)
        user = _str(entry, "user", url, f"ownership.roles[{i}]")
        if user:
            roles.append(OwnerRole(_str(entry, "role", url, f"ownership.roles[{i}]") or "", user))
    return tuple(roles), organization


def _project_urls(info: Mapping[str, object], url: str) -> tuple[tuple[str, str], ...]:
    raw = info.get("project_urls")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _bad(url, "'info.project_urls' is not an object")
    return tuple(
        (str(label), link)
        for label, link in cast("dict[str, object]", raw).items()
        if isinstance(link, str) and link
    )


def _time(text: str | None, url: str, field: str) -> float | None:
    try:
        return timestamp(text)
    except ValueError as exc:
        raise _bad(url, f"'{field}' is not a date: {text!r}") from exc


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
    return cast("dict[str, object]", value)


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
    return tuple(cast("list[str]", value))


def _bad(url: str, problem: str) -> DataError:
    return DataError(
        f"the package index sent a malformed answer for {url}: {problem}",
        hint="check the index URL (PIPVET_INDEX_URL or the policy's index-url); "
        "a proxy or captive portal can also replace the answer",
    )
