"""What every lock-file reader shares: reading the file (capped, regular files only), TOML
errors that name the line, finding a package's line, and turning one locked package into a
``RequirementEntry``.

A locked package with a version from a package index becomes a ``pinned`` entry (audited at
that version). One without a version, or from a VCS, a folder, a file or a URL, becomes a
``url`` entry whose ``reason`` says where it comes from: "not from a package index", listed;
with a version it is still audited by that version and labelled. Markers are kept on the entry
and counted for a warning: they are reported, never evaluated away.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from pipvet.errors import InputError
from pipvet.inputs.requirement_plain import MAX_NAME_LENGTH, MAX_VERSION_LENGTH
from pipvet.inputs.requirement_text import redact
from pipvet.inputs.requirements_model import RequirementEntry, decode_text
from pipvet.models import Location, is_project_name
from pipvet.system.files import FileProblem, foreign_link, read_bytes_capped

__all__ = [
    "MAX_LOCK_BYTES",
    "LockReader",
    "cut",
    "load_toml",
    "read_lock_text",
]

# Lock files of large projects run to a few MiB (uv.lock of a monorepo: ~5 MiB).
MAX_LOCK_BYTES = 32 * 1024 * 1024
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_SHOWN = 120


def cut(text: str, limit: int = _SHOWN) -> str:
    """``text`` as shown in a message: control characters escaped, at most ``limit``."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[:limit] + "..."


def read_lock_text(path: Path, what: str, *, cap: int = MAX_LOCK_BYTES) -> str:
    """The file as text; InputError naming it when it is missing, not a regular file, over
    ``cap`` or not UTF-8, or a link out of its folder to a file of another kind."""
    target = foreign_link(path)
    if target is not None:
        raise InputError(
            f"{path} links to {target}, outside its folder, which is not named as a "
            f"{what} ({path.suffix or 'no suffix'}); it is not read",
            hint=f"point pipvet at the {what} itself",
        )
    try:
        return decode_text(read_bytes_capped(path, cap=cap))
    except FileProblem as exc:
        if exc.missing:
            raise InputError(f"{what} not found: {exc.path}", hint="check the path") from None
        raise InputError(f"cannot read {exc.path}: {exc.reason}", hint="check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (byte {exc.start})", hint="save it as UTF-8"
        ) from None


def load_toml(path: Path, text: str) -> dict[str, Any]:
    """Parse TOML; invalid TOML is an InputError naming the file, line and column."""
    try:
        return tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nested array or table
        raise InputError(
            f"cannot read {path}: it is not valid TOML",
            problems=(f"{path}: arrays or tables nested too deeply",),
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS_RE.search(message)
        where = f"{path}:{pos.group(1)}:{pos.group(2)}" if pos else str(path)
        detail = _TOML_POS_RE.sub("", message).strip()
        raise InputError(
            f"cannot read {path}: it is not valid TOML",
            problems=(f"{where}: invalid TOML: {detail} (fix the syntax at that position)",),
        ) from None
    except ValueError as exc:  # a number of over 4,300 digits
        raise InputError(f"cannot read {path}: it is not usable TOML ({exc})") from None


@dataclasses.dataclass
class LockReader:
    """Collects entries, problems and warnings for one lock file.

    ``header`` is the array-of-tables header that starts each package (``[[package]]``); the
    n-th package's line is the n-th such header when the counts agree (tomllib gives no
    positions), else the line of its ``name = "..."``, else None.
    """

    path: Path
    text: str
    tool: str
    header: str = "package"
    entries: list[RequirementEntry] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    with_markers: list[str] = dataclasses.field(default_factory=list)
    _lines: list[str] = dataclasses.field(default_factory=list)
    _headers: list[int] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = self.text.splitlines()
        pattern = re.compile(r"^\s*\[\[\s*" + re.escape(self.header) + r"\s*\]\]\s*(#.*)?$")
        self._headers = [i + 1 for i, line in enumerate(self._lines) if pattern.match(line)]

    def line_of(self, index: int, count: int, name: str) -> int | None:
        if len(self._headers) == count and index < count:
            return self._headers[index]
        quoted = (f'name = "{name}"', f"name = '{name}'")
        for i, line in enumerate(self._lines):
            if line.strip() in quoted:
                return i + 1
        return None

    def location(self, line: int | None) -> Location:
        return Location(str(self.path), line)

    def problem(self, line: int | None, what: str, todo: str) -> None:
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        self.problems.append(f"{where}: {what} ({todo})")

    def packages(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """The list of package tables under ``key``; a problem when it is something else."""
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(None, f"'{key}' is not a list of tables", f"is this a {self.tool}?")
            return []
        return value

    def name_and_version(
        self, pkg: object, index: int, count: int
    ) -> tuple[str, str | None, int | None] | None:
        """The package's name and version (None when it has none), checked; a problem and
        None when the table is not a package."""
        if not isinstance(pkg, dict):
            self.problem(None, f"package {index + 1} is not a table", "regenerate the lock")
            return None
        name = pkg.get("name")
        line = self.line_of(index, count, name if isinstance(name, str) else "")
        if not isinstance(name, str) or not name:
            self.problem(line, f"package {index + 1} has no name", "regenerate the lock")
            return None
        if len(name) > MAX_NAME_LENGTH or not is_project_name(name):
            self.problem(line, f"'{cut(name)}' is not a valid package name", "regenerate the lock")
            return None
        version = pkg.get("version")
        if version is not None and (
            not isinstance(version, str) or not version or len(version) > MAX_VERSION_LENGTH
        ):
            shown = cut(str(version)) if isinstance(version, str) else repr(version)[:_SHOWN]
            self.problem(line, f"{name}: '{shown}' is not a version", "regenerate the lock")
            return None
        return name, version, line

    def marker(self, name: str, value: object, line: int | None) -> Marker | None:
        """A package's marker, parsed and counted; an unparsable one is a warning and the
        package is audited anyway (fail closed)."""
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problem(line, f"{name}: the marker is not a string", "regenerate the lock")
            return None
        try:
            marker = Marker(value)
        except InvalidMarker:
            self.warnings.append(
                f"{self.location(line)}: {name}: the marker '{cut(value)}' cannot be parsed; "
                "the package is audited whatever it says"
            )
            return None
        self.with_markers.append(f"{name} ({marker})")
        return marker

    def locked(
        self,
        name: str,
        version: str,
        line: int | None,
        *,
        marker: Marker | None = None,
        section: str | None = None,
    ) -> None:
        """A package locked at ``version`` from a package index: audited at that version."""
        raw = f"{name}=={version}" + (f"; {marker}" if marker is not None else "")
        self.entries.append(
            RequirementEntry(
                name=canonicalize_name(name),
                display_name=name,
                specifier=_exact(version),
                extras=(),
                marker=marker,
                location=self.location(line),
                raw=raw,
                kind="pinned",
                pinned_version=version,
                section=section,
            )
        )

    def unversioned(self, name: str, line: int | None, why: str, *, marker: Marker | None) -> None:
        """A package from a package index that the lock gives no version: unchecked (it
        makes the audit incomplete), never passed off as not from an index."""
        self.entries.append(
            RequirementEntry(
                name=canonicalize_name(name),
                display_name=name,
                specifier=SpecifierSet(),
                extras=(),
                marker=marker,
                location=self.location(line),
                raw=name,
                kind="unpinned",
                reason=f"locked without a version ({why}): cannot be audited; regenerate the lock",
            )
        )

    def not_from_index(
        self,
        name: str,
        version: str | None,
        line: int | None,
        source: str,
        *,
        marker: Marker | None = None,
        section: str | None = None,
    ) -> None:
        """A package from a VCS, folder, file or URL (``source``, "KIND: WHERE", says which,
        credentials hidden): audited by ``version`` when it has one; without one, a VCS,
        URL or archive is not checked (it could be any release), a folder is listed as not
        from a package index, as a requirements file's line of each is."""
        from pipvet.inputs.requirement_urls import version_unknowable

        shown = cut(redact(source), 200)
        target = source.partition(": ")[2]
        if version is None and version_unknowable(target):
            reason = (
                f"not from a package index ({shown}) and locked without a version, which "
                "cannot be known without fetching it, so no advisory was matched; lock it "
                "with its version, or audit the environment it is installed in (--venv DIR)"
            )
        elif version is None:
            reason = (
                f"not from a package index ({shown}) and locked without a version: "
                "cannot be audited by version"
            )
        else:
            reason = (
                f"not from a package index ({shown}): audited as {name} {version}, but the "
                "code may differ from that release"
            )
        self.entries.append(
            RequirementEntry(
                name=canonicalize_name(name),
                display_name=name,
                specifier=_exact(version) if version is not None else SpecifierSet(),
                extras=(),
                marker=marker,
                location=self.location(line),
                raw=f"{name} @ {shown}",
                kind="url",
                pinned_version=version,
                # What requirements._dependency tells a VCS, URL or archive by.
                url=cut(redact(target), 200) if target else shown,
                reason=reason,
                section=section,
            )
        )

    def finish(self, describe: Callable[[], str] | None = None) -> None:
        """Raise every problem together; add the marker warning."""
        if self.problems:
            count = len(self.problems)
            raise InputError(
                f"cannot read {self.path} as a {self.tool}: {count} problem"
                f"{'s' if count != 1 else ''}",
                problems=tuple(self.problems),
                hint="regenerate the lock file with its tool; every problem found is listed",
            )
        if self.with_markers:
            count = len(self.with_markers)
            examples = ", ".join(self.with_markers[:3]) + (", ..." if count > 3 else "")
            self.warnings.append(
                f"{self.path}: {count} locked package{'s are' if count != 1 else ' is'} "
                f"meant for some platforms or Pythons only ({examples}); markers are not "
                "evaluated: every locked package is audited at its locked version"
            )


def _exact(version: str) -> SpecifierSet:
    try:
        return SpecifierSet(f"=={version}")
    except InvalidSpecifier:  # not PEP 440: matched as written, when it can be written so
        pass
    try:
        return SpecifierSet(f"==={version}")
    except InvalidSpecifier:  # whitespace inside: no exact pin, so the entry is unchecked
        return SpecifierSet()
