"""Frozen value types shared across pipvet.

Names are stored canonicalised (PEP 503) and typed as ``NormalizedName`` so code can tell a
canonical name from a user-typed one. Versions stay strings here: parsing is the matcher's job,
and an unparseable installed version is a reportable fact rather than a crash.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from pipvet.frozen import frozen

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    from packaging.utils import NormalizedName
else:
    # packaging's NewType, as it behaves at run time: the name itself. Importing
    # packaging.utils at run time would also import packaging.tags (platform, sysconfig,
    # subprocess, logging): a tenth of the start-up of ``pipvet audit``, for a one-line
    # function; typing.NewType would import typing.
    def NormalizedName(name: str) -> str:
        return name


# A line of progress for the user (where long work is); the CLI shows it on stderr.
Progress = Callable[[str], None]

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_VERSION_LENGTH",
    "PROJECT_NAME_PATTERN",
    "Advisory",
    "Affected",
    "AffectedRange",
    "AuditReport",
    "Dependency",
    "DependencyResult",
    "Finding",
    "IgnoreNote",
    "Location",
    "NormalizedName",
    "Progress",
    "RangeEvent",
    "Severity",
    "SeverityLabel",
    "Snapshot",
    "canonicalize_name",
    "is_project_name",
    "same_version",
    "standing",
]


# Longer names and versions belong to no release: refused before any work is done on them.
MAX_NAME_LENGTH = 200
MAX_VERSION_LENGTH = 128

# A project name as PEP 508 allows it: ASCII letters, digits, ".", "_" and "-", starting and
# ending with a letter or a digit. The pattern is shared with the plain-requirement reader.
PROJECT_NAME_PATTERN = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_ENDS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INSIDE = _ENDS + "._-"


def is_project_name(text: str) -> bool:
    """Whether ``text`` is a valid project name (PEP 508), as written or canonical."""
    # The pattern's fullmatch, by string methods: compiling it cost every run that reads a
    # name about 0.9 million instructions (tests/test_models_names.py compares the two).
    return text != "" and text[0] in _ENDS and text[-1] in _ENDS and not text.strip(_INSIDE)


def canonicalize_name(name: str) -> NormalizedName:
    """The PEP 503 normal form of a project name, exactly as ``packaging.utils`` computes it:
    lower case, every run of ``-``, ``_`` and ``.`` replaced by one ``-``."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value  # type: ignore[return-value]  # a NewType: cast() would be a call per name


def same_version(a: str, b: str) -> bool:
    """Whether two version texts name one release (``1.0`` and ``1.0.0`` do, as PEP 440 reads
    them); texts that are no PEP 440 version only when they are equal."""
    from packaging.version import InvalidVersion, Version  # not on every command's path

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@frozen(slots=True)  # one per requirement line or installed package
class Location:
    """Where something came from: a requirements file line, a metadata folder, a pyproject."""

    path: str
    line: int | None = None
    # In a notebook: the code cell (1-based, counting every cell) and the line inside it;
    # ``line`` is then the line of the notebook file, when found, for SARIF and editors.
    cell: int | None = None
    cell_line: int | None = None

    def __str__(self) -> str:
        if self.cell is not None:
            return f"{self.path}, cell {self.cell}, line {self.cell_line}"
        return f"{self.path}:{self.line}" if self.line is not None else self.path


# A conda package's reason for not being audited by version: listed by the readers (environment
# files, notebooks), told apart by the reports (no advisory "cannot name" it: conda's names and
# versions are not PyPI's, and the environment itself can be audited).
CONDA_REASON = (
    "installed by conda: audit the environment itself with --python "
    "(for example --python ENV/bin/python)"
)


@frozen(slots=True)  # tens of thousands in a large audit
class Dependency:
    """One thing to audit: a name and (if known) an exact version.

    ``skipped`` is a plain-language reason when the dependency cannot be checked by version
    (unpinned requirement, editable or local install, invalid version, missing metadata).
    Skipped dependencies are *unchecked*, never "clean".
    """

    name: NormalizedName
    version: str | None
    display_name: str = ""
    location: Location | None = None
    skipped: str | None = None
    # Installed or required from outside any package index (editable, a local folder, a VCS
    # or archive URL). A requirement line of that kind names no version: it is listed, not
    # audited, and does not make the audit incomplete. An installed one is audited by its
    # declared name and version like any other, and carries ``local_build``.
    local: bool = False
    # For an installed local build, the label that says so and where it came from: the code
    # may differ from the release of that name and version, and a finding still applies.
    local_build: str | None = None

    @property
    def label(self) -> str:
        return self.display_name or self.name


# ---------------------------------------------------------------------------- advisories

RangeEventKind: TypeAlias = 'Literal["introduced", "fixed", "last_affected", "limit"]'


@frozen
class RangeEvent:
    kind: RangeEventKind
    version: str


@frozen
class AffectedRange:
    type: str  # "ECOSYSTEM", "SEMVER", "GIT"; only ECOSYSTEM is evaluated for PyPI
    events: tuple[RangeEvent, ...]


@frozen
class Affected:
    package: NormalizedName
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()


@frozen
class Advisory:
    """One OSV record, reduced to what pipvet uses."""

    id: str
    modified: str
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: str | None = None
    withdrawn: str | None = None
    # (type, score) pairs from the OSV "severity" array, e.g. ("CVSS_V3", "CVSS:3.1/AV:N/...")
    cvss: tuple[tuple[str, str], ...] = ()
    database_severity: str | None = None  # database_specific.severity, e.g. "HIGH"
    affected: tuple[Affected, ...] = ()
    malicious: bool = False
    references: tuple[str, ...] = ()


class SeverityLabel(enum.IntEnum):
    """Ordered so that policy thresholds compare with ``>=``."""

    UNKNOWN = 0
    NONE = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def text(self) -> str:
        return self.name.lower()


@frozen
class Severity:
    label: SeverityLabel
    score: float | None = None  # CVSS base score, only when computed from a vector
    vector: str | None = None
    source: Literal["cvss", "database", "none"] = "none"


UNKNOWN_SEVERITY = Severity(SeverityLabel.UNKNOWN)

FindingKind: TypeAlias = 'Literal["vulnerability", "malware"]'


@frozen
class Finding:
    """One problem (an alias group of advisories) affecting one installed version."""

    kind: FindingKind
    id: str  # stable display id: PYSEC, then GHSA, then CVE, then others
    aliases: tuple[str, ...]  # every other id in the group, sorted
    summary: str
    severity: Severity
    fixed_in: tuple[str, ...]  # smallest fix per matching range, ascending
    records: tuple[str, ...]  # ids of the records that matched (subset of id + aliases)
    modified: str  # newest modified time among the matching records
    ignored: bool = False
    ignore_reason: str | None = None

    @property
    def all_ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@frozen
class DependencyResult:
    dependency: Dependency
    findings: tuple[Finding, ...] = ()
    # The requirement that closes every active finding, e.g. "requests>=2.20.0"; None when
    # there is nothing to fix or no fixed release exists yet.
    fix_requirement: str | None = None


@frozen
class Snapshot:
    """Identity of the advisory data a report used."""

    source: str
    newest_modified: str | None
    records: int
    last_sync: str | None = None  # ISO time of the last successful sync
    age_seconds: float | None = None  # since last sync, at report time
    # Since the newest record's ``modified`` time, at report time: a mirror that stopped
    # updating still syncs "just now", but its newest record keeps ageing.
    newest_age_seconds: float | None = None
    # The policy's max-data-age-days (None: not judged, e.g. a report rebuilt from parts).
    max_data_age_days: int | None = None
    # The source the policy names when the data came from another: switching to it failed, so
    # what only it carries (a mirror's records for internal names, say) was not checked.
    configured_source: str | None = None
    # Public advisory ids the local overlay replaces with its own records (sorted).
    overlay_replaced: tuple[str, ...] = ()

    @property
    def stale(self) -> bool:
        """The newest record is older than ``max_data_age_days`` (or its age is unknown while
        there are records: fail closed), or the data is not from the configured source. Never
        for data that was not judged."""
        if self.max_data_age_days is None or self.records == 0:
            return False
        if self.configured_source is not None:
            return True
        if self.newest_age_seconds is None:
            return True
        return self.newest_age_seconds > self.max_data_age_days * 86400


@frozen
class IgnoreNote:
    """An ignore rule from the policy that was expired or matched nothing."""

    id: str
    problem: Literal["expired", "unused"]
    reason: str
    expires: str


def standing(dep: Dependency) -> Literal["checked", "unchecked", "not from index", "local build"]:
    """How far an audit could check ``dep``: by version against the index's releases
    ("checked"), not at all ("unchecked": makes a scan partial), by its source alone ("not
    from index": an editable, folder or URL install without a version to match), or by the
    version it states though the code came from elsewhere ("local build"). The one place these
    are told apart: the report's lists and the summary's counts both ask it."""
    if dep.skipped is not None:
        return "not from index" if dep.local else "unchecked"
    return "checked" if dep.local_build is None else "local build"


@frozen
class AuditReport:
    tool_version: str
    target: str  # which environment / files were audited, in words
    snapshot: Snapshot
    results: tuple[DependencyResult, ...]
    ignore_notes: tuple[IgnoreNote, ...] = ()
    warnings: tuple[str, ...] = ()
    fail_on: SeverityLabel | Literal["any"] = "any"
    unknown_severity: Literal["fail", "ignore"] = "fail"  # the policy's unknown-severity

    @property
    def unchecked(self) -> tuple[DependencyResult, ...]:
        """Dependencies that should have been checked and were not (makes a scan partial)."""
        return tuple(r for r in self.results if standing(r.dependency) == "unchecked")

    @property
    def not_from_index(self) -> tuple[DependencyResult, ...]:
        """Editable, local-folder and URL installs: reported, not audited by version."""
        return tuple(r for r in self.results if standing(r.dependency) == "not from index")

    @property
    def local_builds(self) -> tuple[DependencyResult, ...]:
        """Audited by the name and version they state, but not from a package index (a URL or
        a file of a requirement, an editable, folder, VCS or URL install): listed, so a reader
        knows the code may differ from that release, findings or not."""
        return tuple(r for r in self.results if standing(r.dependency) == "local build")

    @property
    def unrated(self) -> int:
        """Active vulnerability findings that no advisory of their alias group rates."""
        unknown = SeverityLabel.UNKNOWN  # (read off the enum once, not once a finding)
        return sum(
            1
            for _, f in self.active_findings
            if f.kind != "malware" and f.severity.label == unknown
        )

    @property
    def active_findings(self) -> tuple[tuple[Dependency, Finding], ...]:
        return tuple((r.dependency, f) for r in self.results for f in r.findings if not f.ignored)
