"""Which release pip would install, and whether installing it runs the package's own code.

Pure: the release list from the index, a specifier and the target interpreter's facts in; a
release and a yes/no out. The selection follows pip's rules closely enough to vet the right
release: versions that do not parse are skipped, yanked releases only count for an exact pin
(PEP 592), a release must accept the target's Python (``requires_python`` per file), and
pre-releases are only taken when the specifier asks for them or nothing else matches.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from pipvet import pep440
from pipvet.frozen import frozen
from pipvet.index.parse import DistFile, ProjectInfo, Release
from pipvet.vetting import clauses

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.tags import Tag
    from packaging.version import Version

__all__ = ["InstallKind", "install_kind", "select_release"]


def select_release(
    project: ProjectInfo,
    spec: SpecifierSet | str | None = None,
    *,
    python_version: str | None = None,
) -> Release | None:
    """The release pip would pick for ``spec`` (a ``SpecifierSet`` or its text) on a Python
    of ``python_version``, or None. A text of the clauses ``pipvet.vetting.clauses`` reads is
    matched there; anything else by packaging."""
    read = clauses.read(spec) if isinstance(spec, str) else None
    if read is None:
        return _select_by_packaging(project, spec, python_version)
    pinned = any(op == "==" for op, _, _, _ in read)
    takes_pre = clauses.prereleases(read)
    # Releases come newest first: stop at the first usable one. Checking Requires-Python of
    # every file of every release would cost more than all the rest of vetting a package.
    fallback: Release | None = None  # the newest usable pre-release, if no final one matches
    for release in project.releases:
        parts = _parts(release.version)
        if parts is None or not release.files or (release.yanked and not pinned):
            continue
        matches = clauses.contains(read, parts)
        if matches is None:  # a local label: packaging decides
            matches = _packaging_contains(str(spec), release.version)
        if not matches:
            continue
        if not any(
            not python_version
            or not f.requires_python
            or _python_accepts_text(f.requires_python, python_version)
            for f in release.files
            if not f.yanked or pinned
        ):
            continue
        if (parts[2] is None and parts[4] is None) or takes_pre:  # not a pre-release, or asked
            return release
        fallback = fallback or release
    return fallback


def _parts(text: str) -> pep440.Parts | None:
    """``Version(text)``'s parts, or None where ``Version`` refuses the text."""
    if len(text) <= pep440.MAX_VERSION_LENGTH:
        return pep440.parse(text)
    version = _version(text)  # pep440 leaves texts this long to packaging
    return None if version is None else pep440.parts_of(version)


def _packaging_contains(spec: str, version: str) -> bool:
    from packaging.specifiers import SpecifierSet

    parsed = _version(version)
    return parsed is not None and SpecifierSet(spec).contains(parsed, prereleases=True)


# A release's files, and a project's releases, mostly repeat one Requires-Python text: each
# distinct text is parsed and checked once per Python version.
@functools.lru_cache(maxsize=1024)
def _python_accepts_text(requires_python: str, python_version: str) -> bool:
    py = _parts(python_version)
    if py is None:
        return True  # as with a Python version packaging cannot read: nothing is refused
    read = clauses.read(requires_python)
    if read is not None:
        accepts = clauses.contains(read, py)
        if accepts is not None:
            return accepts
    version = _version(python_version)
    return version is None or _python_accepts(requires_python, version)


# --------------------------------------------------------------------------- packaging's way


def _accepts_python(file: DistFile, python_version: Version | None) -> bool:
    if python_version is None or not file.requires_python:
        return True
    return _python_accepts(file.requires_python, python_version)


@functools.lru_cache(maxsize=1024)
def _python_accepts(requires_python: str, python_version: Version) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requires_python).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return True  # pip ignores a malformed Requires-Python too


def _exact_pin(spec: SpecifierSet) -> bool:
    return any(s.operator in ("==", "===") and "*" not in s.version for s in spec)


def _select_by_packaging(
    project: ProjectInfo, spec: SpecifierSet | str | None, python_version: str | None
) -> Release | None:
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(spec) if isinstance(spec, str) else spec or SpecifierSet()
    py = _version(python_version) if python_version else None
    pinned = _exact_pin(spec)
    fallback: Release | None = None
    for release in project.releases:
        version = _version(release.version)
        if version is None or not release.files or (release.yanked and not pinned):
            continue
        if not spec.contains(version, prereleases=True):
            continue
        if not any(_accepts_python(f, py) for f in release.files if not f.yanked or pinned):
            continue
        if not version.is_prerelease or spec.prereleases:
            return release
        fallback = fallback or release
    return fallback


def _version(text: str) -> Version | None:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


@frozen
class InstallKind:
    """How pip would install a release on the target: from a wheel, or by building it."""

    wheel: str | None  # the best compatible wheel's file name
    has_wheels: bool  # the release has wheels, maybe none for this target
    has_sdist: bool
    files: int

    @property
    def runs_build_code(self) -> bool:
        return self.wheel is None and self.has_sdist


def install_kind(
    release: Release, tags: Sequence[Tag] | Iterable[Tag] | Sequence[str]
) -> InstallKind:
    """Find the wheel pip would prefer for the target's ``tags`` (most specific first)."""
    priority = _priority(tags)
    best: tuple[int, str] | None = None
    has_wheels = has_sdist = False
    for file in release.files:
        if file.yanked and not release.yanked:
            continue
        if not file.is_wheel:
            has_sdist = has_sdist or file.packagetype == "sdist" or _looks_sdist(file.filename)
            continue
        has_wheels = True
        rank = _rank(file.filename, priority)
        if rank is None or (best is not None and rank >= best[0]):
            continue
        # The name is read in full only for a wheel that would be chosen: a name packaging
        # does not accept is skipped, as pip skips it.
        if not wheel_name_valid(file.filename):
            continue
        best = (rank, file.filename)
    return InstallKind(
        wheel=best[1] if best else None,
        has_wheels=has_wheels,
        has_sdist=has_sdist,
        files=len(release.files),
    )


# The target's tags as text ("cp311-cp311-manylinux_2_17_x86_64") -> place in its order, for
# the last tags asked about: a vet asks about one target's tags for every package.
_PRIORITY: list[tuple[tuple[object, ...], dict[str, int]]] = []


def _priority(tags: Sequence[Tag] | Iterable[Tag] | Sequence[str]) -> dict[str, int]:
    if _PRIORITY and _PRIORITY[0][0] is tags:
        return _PRIORITY[0][1]
    kept = tags if isinstance(tags, tuple) else tuple(tags)
    priority = {str(tag): i for i, tag in enumerate(kept)}  # a repeated tag: its last place
    _PRIORITY[:] = [(kept, priority)]
    return priority


def _rank(filename: str, priority: dict[str, int]) -> int | None:
    """The best place among the target's tags of a wheel's tags, read from its name as
    ``parse_wheel_filename`` reads them (the last three parts, each maybe a ``.``-separated
    set, case folded as ``Tag`` folds it), without the rest of what it checks; None when none
    is the target's or the name has no tags where a wheel's are."""
    if not filename.endswith(".whl") or filename.count("-") not in (4, 5):
        return None
    interpreters, abis, platforms = (p.split(".") for p in filename[:-4].lower().split("-")[-3:])
    ranks = [
        found
        for i in interpreters
        for a in abis
        for p in platforms
        if (found := priority.get(f"{i}-{a}-{p}")) is not None
    ]
    return min(ranks) if ranks else None


_ASCII_NAME = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._")
_IDENTIFIER_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def wheel_name_valid(filename: str) -> bool:
    """Whether ``packaging.utils.parse_wheel_filename`` accepts ``filename``. The common
    names (ASCII, a PEP 440 version ``pep440`` reads, tags of letters, digits and ``_``) are
    told here; any other is handed to packaging (whose utils module imports packaging.tags:
    platform, sysconfig, subprocess)."""
    if filename.isascii() and filename.endswith(".whl"):
        stem = filename[:-4]
        dashes = stem.count("-")
        if dashes in (4, 5):
            parts = stem.split("-")
            name, version, tags = parts[0], parts[1], parts[-3:]
            build = parts[2] if dashes == 5 else "0"
            components = [c for part in tags for c in part.split(".")]
            if (
                name
                and "__" not in name
                and all(c in _ASCII_NAME for c in name)
                and pep440.parse(version) is not None
                and build[:1].isdigit()
                and all(c and (c.isalnum() or "_" in c) for c in components)
                and all(c.replace("_", "a").isalnum() for c in components)
                and all(i[0] in _IDENTIFIER_START for i in tags[0].split("."))
            ):
                return True
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return True


def _looks_sdist(filename: str) -> bool:
    return filename.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz"))
