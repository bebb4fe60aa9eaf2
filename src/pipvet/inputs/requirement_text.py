"""One requirement as pip reads it: a PEP 508 string, a URL or path (with ``#egg=``), an
editable, with the options pip allows on its line; turned into a ``RequirementEntry`` that
keeps where it came from. Pure: nothing here runs a process or fetches anything."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet

from pipvet.inputs.release_files import ARCHIVES as _ARCHIVES
from pipvet.inputs.release_files import VCS_RE as _VCS_RE
from pipvet.inputs.release_files import file_release, release_version
from pipvet.inputs.requirement_plain import (
    MAX_NAME_LENGTH,
    MAX_VERSION_LENGTH,
    NAME_START_RE,
    Named,
    pinned_version,
    plain_named,
)
from pipvet.models import NormalizedName, canonicalize_name

if TYPE_CHECKING:
    # Imported where a line needs them: packaging's requirement and marker grammar loads
    # dataclasses and inspect, and packaging.utils loads packaging.tags (platform,
    # sysconfig, subprocess, logging); a file of plain pins needs neither.
    from packaging.markers import Marker
    from packaging.requirements import InvalidRequirement, Requirement

from pipvet.errors import InputError
from pipvet.inputs.requirements_model import (
    NOT_FROM_INDEX,
    EntryKind,
    LineProblem,
    RequirementEntry,
)
from pipvet.models import Location
from pipvet.redact import mask_userinfo

__all__ = [
    "URL_RE",
    "entry_from_text",
    "forget_parsed_texts",
    "format_problem",
    "names_archive",
    "parse_requirement_text",
    "redact",
]


URL_RE = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_NAMED_URL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
# Far above any real name or version, capped before any work: a megabyte "name" cannot crawl.
_COMPARISON_RE = re.compile(r"[=!<>~]=|[<>]")
_TRAILING_OP_RE = re.compile(r"(~=|===|==|!=|<=|>=|<|>)\s*(;.*)?$")


def redact(url: str) -> str:
    """Hide credentials in a URL (``https://user:token@host`` -> ``https://***@host``)."""
    return mask_userinfo(url)


def names_archive(target: str) -> bool:
    """Whether pip reads ``target`` (no marker) as an archive: extras are cut off first."""
    return re.sub(r"\[[^\]]+\]$", "", target.strip()).lower().endswith(_ARCHIVES)


def _looks_like_url_or_path(target: str) -> bool:
    return (
        bool(URL_RE.match(target) or _VCS_RE.match(target))
        or target.startswith((".", "/", "~"))
        or "/" in target
        or "\\" in target
        or names_archive(target)
    )


def _origin_reason(target: str, *, editable: bool, version: str | None = None) -> str:
    shown = mask_userinfo(target)
    why = (
        NOT_FROM_INDEX
        if version is None
        else (
            f"not from the index; audited as {version}, the version its file name states "
            "(pip does not check that the file holds that release)"
        )
    )
    if editable:
        return f"editable install of {shown}: {why}"
    if _VCS_RE.match(target):
        return f"VCS requirement {shown}: {why}"
    if URL_RE.match(target) and not target.lower().startswith("file:"):
        return f"direct URL {shown}: {why}"
    return f"local path {shown}: {why}"


def _guess_name(target: str) -> tuple[NormalizedName | None, str]:
    """The name a URL/path requirement states (``#egg=``, a wheel or sdist file name), else
    ``None`` plus a readable label (the last path component)."""
    egg = _EGG_RE.search(target)
    if egg:
        return canonicalize_name(egg.group(1)), egg.group(1)
    tail = re.split(r"[#?]", target, maxsplit=1)[0].rstrip("/\\")
    base = re.split(r"[/\\]", tail)[-1].split("@")[0]
    release = file_release(target)
    if release is not None:
        return release[0], release[0]
    label = base.removesuffix(".git")
    if not re.search(r"[A-Za-z0-9]", label):  # "-e ." names no project: show the target
        label = target
    return None, label


def length_problem(text: str, req: Requirement | None = None) -> LineProblem | None:
    """Why ``text`` (or its parsed ``req``) cannot be a requirement because of its size: a
    name over MAX_NAME_LENGTH characters or a version over MAX_VERSION_LENGTH."""
    start = NAME_START_RE.match(text)
    name = req.name if req is not None else (start.group(1) if start else "")
    if len(name) > MAX_NAME_LENGTH:
        return LineProblem(
            f"not a valid package name: longer than {MAX_NAME_LENGTH} characters",
            "check the line: no package on an index has such a name",
        )
    for spec in req.specifier if req is not None else ():
        if len(spec.version) > MAX_VERSION_LENGTH:
            return LineProblem(
                f"not a valid version: longer than {MAX_VERSION_LENGTH} characters",
                "check the version after the operator",
            )
    return None


_PIP_URL_SCHEMES = frozenset({"http", "https", "file", "ftp"})


def _url_problem(target: str, *, named: bool) -> LineProblem | None:
    """What pip says about a URL: one it cannot split (``https://f[``) is invalid, and a bare
    URL (not ``name @ URL``) must use a scheme pip downloads from or a VCS prefix."""
    import urllib.parse

    try:
        urllib.parse.urlsplit(target)
    except ValueError as exc:
        return LineProblem(f"invalid URL: {exc}", "fix the URL")
    scheme = URL_RE.match(target)
    if not named and scheme is None and target.startswith(("//", "\\\\")):
        return LineProblem(
            f"{target} is a path on another host",
            "pip cannot install from a network path: copy the file here, or use https://",
        )
    bare = not named and scheme is not None and not _VCS_RE.match(target)
    if bare and scheme is not None and scheme.group(1).lower() not in _PIP_URL_SCHEMES:
        return LineProblem(
            f"unknown URL scheme '{scheme.group(1)[:40]}'",
            "pip reads http(s)://, file:// and ftp:// URLs, and VCS URLs like git+https://",
        )
    return None


def _named_url_marker_problem(text: str) -> LineProblem | None:
    """pip cuts ``name @ URL`` at the first ``;`` and reads the rest as the marker, so a ``;``
    inside the URL makes a marker pip rejects (packaging alone would keep the URL whole)."""
    if not _NAMED_URL_RE.match(text) or ";" not in text:
        return None
    from packaging.markers import InvalidMarker, Marker

    try:
        Marker(text.partition(";")[2].strip())
    except InvalidMarker as exc:
        return LineProblem(
            f"invalid environment marker: {str(exc).splitlines()[0]}",
            'pip reads everything after the first ";" as the marker: write ; python_version '
            '>= "3.10" after a space, and percent-encode a ";" inside the URL (%3B)',
        )
    return None


def _local_folder_problem(target: str, base: Path | None) -> LineProblem | None:
    """What pip would say about a path that is neither a URL nor an archive file name: it is
    a local folder only when that folder exists and holds a project (pip checks the working
    directory; pipvet also accepts a folder next to the requirements file). Anything else is
    parsed as a requirement, and ``flask==0.12/`` or ``requests==${HOME}`` is not one."""
    for folder in (Path(target), *((base / target,) if base is not None else ())):
        try:
            if folder.is_dir():
                if (folder / "setup.py").is_file() or (folder / "pyproject.toml").is_file():
                    return None
                return LineProblem(
                    f"the folder {target} holds no setup.py or pyproject.toml",
                    "pip cannot install it: point the line at a project folder",
                )
        except OSError:
            continue
    return LineProblem(
        f"{target} looks like a path, but no such folder exists",
        "fix the path (pip reads it from the working directory), or write NAME==VERSION",
    )


def _invalid_requirement(text: str, exc: InvalidRequirement) -> LineProblem:
    todo = "write it as NAME, NAME>=VERSION or NAME==VERSION; see PEP 508"
    op = _TRAILING_OP_RE.search(text)
    if op and not re.search(r"[0-9*]\s*(;.*)?$", text):
        return LineProblem(f"invalid requirement: expected a version after '{op.group(1)}'", todo)
    lines = str(exc).splitlines()
    detail = lines[0] if lines else "not a valid requirement"
    detail = detail[:1].lower() + detail[1:]
    if len(lines) >= 3 and "^" in lines[-1]:
        col = lines[-1].index("^") - (len(lines[-2]) - len(lines[-2].lstrip())) + 1
        detail += f" at column {col}"
    return LineProblem(f"invalid requirement: {detail}", todo)


def plain_entry(
    text: str, location: Location, constraint: bool, end_line: int | None, base: Path | None
) -> RequirementEntry:
    """``entry_from_text`` for a line ``PLAIN_RE`` matches whole, written as it is read."""
    return entry_from_text(
        text,
        location,
        text,
        text,
        editable=False,
        constraint=constraint,
        hashes=(),
        end_line=end_line,
        section=None,
        base=base,
    )


def parse_requirement_text(
    text: str,
    location: Location,
    *,
    raw: str | None = None,
    shown: str | None = None,
    editable: bool = False,
    constraint: bool = False,
    hashes: tuple[str, ...] = (),
    end_line: int | None = None,
    section: str | None = None,
) -> RequirementEntry:
    """Classify one requirement string (PEP 508, URL, path or VCS) into an entry.

    ``shown`` is the same requirement before ``${VAR}`` expansion (used in messages and
    reasons); ``raw`` is the whole line as written. Raises ``InputError`` whose single problem
    names the location and the text.
    """
    try:
        return entry_from_text(
            text,
            location,
            raw if raw is not None else text,
            shown if shown is not None else text,
            editable=editable,
            constraint=constraint,
            hashes=hashes,
            end_line=end_line,
            section=section,
        )
    except LineProblem as err:
        problem = format_problem(location, raw if raw is not None else text, err)
        raise InputError(problem, problems=(problem,)) from None


@functools.lru_cache(maxsize=65536)
def _text_shape(text: str, editable: bool) -> tuple[bool, bool]:
    """Whether ``text`` is a URL or path (``path_like``), and a local folder only (not a URL,
    VCS or archive); once per text, as it looks at nothing else. Raises ``LineProblem`` for a
    text too long (not cached)."""
    first = text.split(";", 1)[0].strip().split(" ", 1)[0]
    too_long = length_problem(text)
    if too_long is not None:
        raise too_long
    path_like = not _NAMED_URL_RE.match(text) and _looks_like_url_or_path(first)
    folder_only = (  # not a URL, VCS or archive: pip takes it for a local folder, if one
        path_like
        and not editable
        and not URL_RE.match(first)
        and not _VCS_RE.match(first)
        and not names_archive(first)
    )
    if folder_only and _COMPARISON_RE.search(first):
        # "flask==0.12/", "..==2.19.0", "requests==${HOME}": a name and a version operator,
        # so pip parses it as a requirement (and rejects it), never as a folder.
        path_like = False
    return path_like, folder_only


def entry_from_text(
    text: str,
    location: Location,
    raw: str,
    shown: str,
    *,
    editable: bool,
    constraint: bool,
    hashes: tuple[str, ...],
    end_line: int | None,
    section: str | None,
    base: Path | None = None,
) -> RequirementEntry:
    """``parse_requirement_text`` for the file readers: raises ``LineProblem`` so a reader can
    collect it with the others. ``base`` is the folder of the requirements file, where a
    local folder named by a line may also be found."""
    path_like, folder_only = _text_shape(text, editable)
    if editable or path_like:
        if constraint:
            raise LineProblem(
                "URL, path and editable requirements cannot be constraints",
                "pip rejects them in constraints files; move the line to a requirements file",
            )
        # pip separates a marker from a URL by "; " (a URL may itself contain ";")
        sep = "; " if URL_RE.match(text) or _VCS_RE.match(text) else ";"
        target, _, marker_text = text.partition(sep)
        target = target.strip()
        marker: Marker | None = None
        if marker_text.strip():
            from packaging.markers import InvalidMarker, Marker

            try:
                marker = Marker(marker_text.strip())
            except InvalidMarker as exc:
                first_line = str(exc).splitlines()[0]
                raise LineProblem(
                    f"invalid environment marker: {first_line}",
                    'write it like: ; python_version >= "3.10"',
                ) from exc
        if folder_only and (problem := _local_folder_problem(target, base)) is not None:
            raise problem
        if (problem := _url_problem(target, named=False)) is not None:
            raise problem
        shown_target = shown.partition(sep)[0].strip() or target
        name, label = _guess_name(target)
        version = release_version(name, None if editable else target)
        return RequirementEntry(
            name=name,
            display_name=label,
            specifier=SpecifierSet(),
            extras=(),
            marker=marker,
            location=location,
            raw=raw,
            kind="editable" if editable else "url",
            hashes=hashes,
            pinned_version=version,
            url=mask_userinfo(shown_target),
            reason=_origin_reason(shown_target, editable=editable, version=version),
            end_line=end_line,
            section=section,
        )
    req = _named(text)
    if req.url:
        if constraint:
            raise LineProblem(
                "direct URL requirements cannot be constraints",
                "pip would fetch (and, for a source archive, build) the file a constraint names; "
                "move the line to a requirements file",
            )
        version = release_version(req.name, req.url)
        return RequirementEntry(
            name=req.name,
            display_name=req.display_name,
            specifier=req.specifier,
            extras=req.extras,
            marker=req.marker,
            location=location,
            raw=raw,
            kind="url",
            hashes=hashes,
            pinned_version=version,
            url=mask_userinfo(_shown_url(shown, req.url)),
            reason=_origin_reason(_shown_url(shown, req.url), editable=False, version=version),
            end_line=end_line,
            section=section,
        )
    kind: EntryKind = "constraint" if constraint else ("pinned" if req.pinned else "unpinned")
    return RequirementEntry(
        name=req.name,
        display_name=req.display_name,
        specifier=req.specifier,
        extras=req.extras,
        marker=req.marker,
        location=location,
        raw=raw,
        kind=kind,
        hashes=hashes,
        pinned_version=req.pinned,
        end_line=end_line,
        section=section,
    )


@functools.lru_cache(maxsize=65536)
def _named(text: str) -> Named:
    """A ``name[extras] spec ; marker`` or ``name @ URL`` requirement, parsed once per text: a
    fleet or a big project repeats the same lines in many files, and the same text always
    parses the same way (nothing here looks at files). Raises ``LineProblem`` (not cached)."""
    if (problem := _named_url_marker_problem(text)) is not None:
        raise problem
    plain = plain_named(text)
    if plain is not None:
        return plain
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise _invalid_requirement(text, exc) from exc
    too_long = length_problem(text, req)
    if too_long is not None:
        raise too_long
    if req.url and (problem := _url_problem(req.url, named=True)) is not None:
        raise problem
    return Named(
        canonicalize_name(req.name),
        req.name,
        req.specifier,
        tuple(sorted(req.extras)),
        req.marker,
        req.url or None,
        None if req.url else pinned_version(req.specifier),
    )


def _shown_url(shown: str, url: str) -> str:
    """The URL of ``name @ URL`` as written (before ``${VAR}`` expansion), if recognisable."""
    _, at, rest = shown.partition("@")
    written = rest.split(" ;", 1)[0].split("; ", 1)[0].strip() if at else ""
    return written or url


def format_problem(location: Location, raw: str, err: LineProblem, *, width: int = 120) -> str:
    """``FILE:LINE: 'TEXT' — what is wrong (what to do)``, the one shape of every problem;
    ``TEXT`` is cut to ``width`` characters."""
    shown = raw if len(raw) <= width else raw[: width - 3] + "..."
    return f"{location}: '{shown}' — {err.what} ({err.todo})"


def forget_parsed_texts() -> None:
    """Empty the parsed-text caches (a fleet reuses lines; one audit's 20,000 pins: 12 MB)."""
    _text_shape.cache_clear()
    _named.cache_clear()
