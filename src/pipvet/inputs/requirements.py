"""Requirements, parsed the way pip reads them: the entry types, one requirement string,
and the turn from entries into what the audit checks.

Pure: nothing here runs a process or fetches anything. The file formats live beside this
module (``requirements_txt`` for pip's requirements files, ``requirements_pyproject`` for
``pyproject.toml``); ``parse_requirements_file`` and ``parse_pyproject`` below are the entry
points. Every entry keeps where it came from (file and first physical line) and the text as
written, so reports, SARIF and ``pipvet relax`` can point at it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from pipvet.errors import InputError
from pipvet.models import Dependency, Location

__all__ = [
    "UNPINNED_REASON",
    "EntryKind",
    "OptionLine",
    "RequirementEntry",
    "RequirementsFile",
    "parse_pyproject",
    "parse_requirement_text",
    "parse_requirements_file",
    "redact",
    "to_dependencies",
]

EntryKind = Literal["pinned", "unpinned", "editable", "url", "constraint"]

UNPINNED_REASON = "not pinned: audit the installed environment instead (pipvet audit --venv ...)"
NOT_FROM_INDEX = "not from the index, cannot be audited by version"


@dataclass(frozen=True)
class RequirementEntry:
    """One requirement line (or pyproject dependency string).

    ``name`` is ``None`` only for a URL, path or editable whose name is not written down
    (``-e ./src``); ``display_name`` then holds a best guess for messages. ``raw`` is the
    logical line as written (continuations joined, comment removed, ``${VAR}`` not expanded,
    so secrets in variables never reach a report). ``reason`` says why an ``editable`` or
    ``url`` entry cannot be audited by version.
    """

    name: NormalizedName | None
    display_name: str
    specifier: SpecifierSet
    extras: tuple[str, ...]
    marker: Marker | None
    location: Location
    raw: str
    kind: EntryKind
    hashes: tuple[str, ...] = ()
    pinned_version: str | None = None
    url: str | None = None
    reason: str | None = None
    end_line: int | None = None  # last physical line of a continued line
    section: str | None = None  # pyproject only: "project.dependencies", "dependency-groups.dev"


@dataclass(frozen=True)
class OptionLine:
    """A pip option written in a requirements file (``--index-url URL``, ``--pre``, ...)."""

    option: str  # the long spelling, e.g. "--index-url"
    value: str | None
    location: Location
    raw: str


@dataclass(frozen=True)
class RequirementsFile:
    """Everything read from one requirements file and the files it includes, in file order."""

    path: Path
    entries: tuple[RequirementEntry, ...]
    options: tuple[OptionLine, ...] = ()
    files: tuple[Path, ...] = ()  # every file read, the given one first
    warnings: tuple[str, ...] = ()

    @property
    def requirements(self) -> tuple[RequirementEntry, ...]:
        return tuple(e for e in self.entries if e.kind != "constraint")

    @property
    def constraints(self) -> tuple[RequirementEntry, ...]:
        return tuple(e for e in self.entries if e.kind == "constraint")


class LineProblem(Exception):
    """A problem with one line: ``what`` is wrong, ``todo`` says what to do."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str:
    """Decode a requirements or pyproject file: a BOM decides, else UTF-8 (which may raise)."""
    for bom, encoding in _BOMS:  # UTF-32 before UTF-16: the LE BOMs share a prefix
        if data.startswith(bom):
            return data.decode(encoding).lstrip("\ufeff")
    return data.decode("utf-8")


# ------------------------------------------------------------------- one requirement

URL_RE = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_VCS_RE = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar")
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_CREDENTIALS_RE = re.compile(r"(://)[^/@\s]+@")
_NAMED_URL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_TRAILING_OP_RE = re.compile(r"(~=|===|==|!=|<=|>=|<|>)\s*(;.*)?$")


def redact(url: str) -> str:
    """Hide credentials in a URL (``https://user:token@host`` -> ``https://****@host``)."""
    return _CREDENTIALS_RE.sub(r"\1****@", url)


def _looks_like_url_or_path(target: str) -> bool:
    if URL_RE.match(target) or _VCS_RE.match(target):
        return True
    lowered = target.lower()
    return (
        target.startswith((".", "/", "~"))
        or "/" in target
        or "\\" in target
        or lowered.endswith(_ARCHIVES)
    )


def _origin_reason(target: str, *, editable: bool) -> str:
    shown = redact(target)
    if editable:
        return f"editable install of {shown}: {NOT_FROM_INDEX}"
    if _VCS_RE.match(target):
        return f"VCS requirement {shown}: {NOT_FROM_INDEX}"
    if URL_RE.match(target) and not target.lower().startswith("file:"):
        return f"direct URL {shown}: {NOT_FROM_INDEX}"
    return f"local path {shown}: {NOT_FROM_INDEX}"


def _guess_name(target: str) -> tuple[NormalizedName | None, str]:
    """The name a URL/path requirement states (``#egg=``, a wheel or sdist file name), else
    ``None`` plus a readable label (the last path component)."""
    egg = _EGG_RE.search(target)
    if egg:
        return canonicalize_name(egg.group(1)), egg.group(1)
    tail = re.split(r"[#?]", target, maxsplit=1)[0].rstrip("/\\")
    base = re.split(r"[/\\]", tail)[-1].split("@")[0]
    try:
        if base.lower().endswith(".whl"):
            name = parse_wheel_filename(base)[0]
            return name, name
        if base.lower().endswith(_ARCHIVES):
            name = parse_sdist_filename(base)[0]
            return name, name
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    label = base.removesuffix(".git")
    if not re.search(r"[A-Za-z0-9]", label):  # "-e ." names no project: show the target
        label = target
    return None, label


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
) -> RequirementEntry:
    """``parse_requirement_text`` for the file readers: raises ``LineProblem`` so a reader can
    collect it with the others."""
    first = text.split(";", 1)[0].strip().split(" ", 1)[0]
    if editable or (not _NAMED_URL_RE.match(text) and _looks_like_url_or_path(first)):
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
            try:
                marker = Marker(marker_text.strip())
            except InvalidMarker as exc:
                first_line = str(exc).splitlines()[0]
                raise LineProblem(
                    f"invalid environment marker: {first_line}",
                    'write it like: ; python_version >= "3.10"',
                ) from exc
        shown_target = shown.partition(sep)[0].strip() or target
        name, label = _guess_name(target)
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
            url=redact(shown_target),
            reason=_origin_reason(shown_target, editable=editable),
            end_line=end_line,
            section=section,
        )
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise _invalid_requirement(text, exc) from exc
    name = canonicalize_name(req.name)
    if req.url:
        if constraint:
            raise LineProblem(
                "direct URL requirements cannot be constraints",
                "pip rejects them in constraints files; move the line to a requirements file",
            )
        return RequirementEntry(
            name=name,
            display_name=req.name,
            specifier=req.specifier,
            extras=tuple(sorted(req.extras)),
            marker=req.marker,
            location=location,
            raw=raw,
            kind="url",
            hashes=hashes,
            url=redact(_shown_url(shown, req.url)),
            reason=_origin_reason(_shown_url(shown, req.url), editable=False),
            end_line=end_line,
            section=section,
        )
    pinned = _pinned_version(req.specifier)
    kind: EntryKind = "constraint" if constraint else ("pinned" if pinned else "unpinned")
    return RequirementEntry(
        name=name,
        display_name=req.name,
        specifier=req.specifier,
        extras=tuple(sorted(req.extras)),
        marker=req.marker,
        location=location,
        raw=raw,
        kind=kind,
        hashes=hashes,
        pinned_version=pinned,
        end_line=end_line,
        section=section,
    )


def _shown_url(shown: str, url: str) -> str:
    """The URL of ``name @ URL`` as written (before ``${VAR}`` expansion), if recognisable."""
    _, at, rest = shown.partition("@")
    written = rest.split(" ;", 1)[0].split("; ", 1)[0].strip() if at else ""
    return written or url


def _pinned_version(specifier: SpecifierSet) -> str | None:
    """The version of an exact pin: a single ``==X`` (no wildcard) or ``===X``."""
    specs = list(specifier)
    if len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
        return spec.version
    return None


def format_problem(location: Location, raw: str, err: LineProblem) -> str:
    """``FILE:LINE: 'TEXT' — what is wrong (what to do)``, the one shape of every problem."""
    shown = raw if len(raw) <= 120 else raw[:117] + "..."
    return f"{location}: '{shown}' — {err.what} ({err.todo})"


# ------------------------------------------------------------------- to dependencies


def to_dependencies(entries: Iterable[RequirementEntry]) -> list[Dependency]:
    """Turn entries into what the audit checks, in order, without exact duplicates.

    - pinned (``==X`` / ``===X``) -> ``Dependency(name, X)``, audited as written;
    - unpinned -> skipped, "not pinned: ...", *unless* a constraints file pins the same name
      to a version the requirement allows: pip would install exactly that version, so it is
      audited, located at the constraint line (where the version is decided and fixed);
    - editable / URL / path / VCS -> skipped with the reason recorded on the entry;
    - constraint lines alone produce nothing: a constraint only limits what is installed.
    Markers are not evaluated: a pin is audited whatever platform it is meant for.
    """
    items = list(entries)
    constraint_pins: dict[NormalizedName, RequirementEntry] = {}
    for e in items:
        if e.kind == "constraint" and e.name and e.pinned_version:
            constraint_pins.setdefault(e.name, e)
    out: list[Dependency] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for e in items:
        dep = _dependency(e, constraint_pins)
        if dep is None:
            continue
        key = (dep.name, dep.version, dep.skipped)
        if key not in seen:
            seen.add(key)
            out.append(dep)
    return out


def _dependency(
    e: RequirementEntry, constraint_pins: Mapping[NormalizedName, RequirementEntry]
) -> Dependency | None:
    # an unnamed editable or URL gets its label as a key; it is skipped, never looked up
    name = e.name or (
        canonicalize_name(e.display_name)
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", e.display_name)
        else NormalizedName(e.display_name)
    )
    if e.kind == "constraint":
        return None
    if e.kind == "pinned":
        return Dependency(name, e.pinned_version, e.display_name, e.location)
    if e.kind == "unpinned":
        pin = constraint_pins.get(name)
        if pin is None or pin.pinned_version is None:
            return Dependency(name, None, e.display_name, e.location, skipped=UNPINNED_REASON)
        if e.specifier.contains(pin.pinned_version, prereleases=True):
            return Dependency(name, pin.pinned_version, e.display_name, pin.location)
        return Dependency(
            name,
            None,
            e.display_name,
            e.location,
            skipped=(
                f"not pinned: the constraint '{pin.raw}' ({pin.location}) does not satisfy "
                f"'{e.raw}', so pip cannot install it; fix one of the two"
            ),
        )
    return Dependency(
        name,
        None,
        e.display_name,
        e.location,
        skipped=e.reason or f"{e.kind}: {NOT_FROM_INDEX}",
        local=True,
    )


# ------------------------------------------------------------------------ entry points


def parse_requirements_file(
    path: Path, *, environ: Mapping[str, str] | None = None, constraint: bool = False
) -> RequirementsFile:
    """Read a pip requirements file (or, with ``constraint=True``, a constraints file).

    ``-r``/``-c`` includes are followed relative to the including file, with cycles detected;
    ``${VAR}`` is expanded from ``environ`` (default ``os.environ``) as pip does. All problems
    of the file and its includes are raised together as one ``InputError`` whose problems
    read ``FILE:LINE: 'TEXT' — what is wrong (what to do)``.
    """
    from pipvet.inputs.requirements_txt import read_requirements_file

    return read_requirements_file(path, environ=environ, constraint=constraint)


def parse_pyproject(path: Path) -> RequirementsFile:
    """Read ``[project].dependencies``, ``[project.optional-dependencies]`` and
    ``[dependency-groups]`` (PEP 735) of a ``pyproject.toml``; see ``requirements_pyproject``.
    """
    from pipvet.inputs.pyproject import read_pyproject

    return read_pyproject(path)
