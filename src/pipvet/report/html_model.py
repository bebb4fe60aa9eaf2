"""What the HTML report shows: one frozen value per part of the page.

``pipvet report`` either runs audit, doctor, exposure, vet and fleet with ``--format json``
or reads such documents saved earlier (``--from FILE``); ``report.html_read`` turns either
into these values, so the page is the same whichever way it was made.

Pure: no I/O, no imports from pipvet.
"""

from __future__ import annotations

from typing import Literal

from pipvet.frozen import field, frozen

__all__ = [
    "AgesPart",
    "AuditDep",
    "AuditFinding",
    "AuditPart",
    "DoctorCheck",
    "DoctorPart",
    "ExposureItem",
    "ExposurePart",
    "FleetDrift",
    "FleetPart",
    "FleetVuln",
    "PageData",
    "Part",
    "PartKind",
    "ReleaseAge",
    "Unavailable",
    "VetPackage",
    "VetPart",
    "VetSignal",
]

PartKind = Literal["audit", "doctor", "exposure", "vet", "fleet"]
KINDS: tuple[PartKind, ...] = ("audit", "doctor", "exposure", "vet", "fleet")
SEVERITIES = ("critical", "high", "medium", "low", "none", "unknown")


@frozen
class AuditFinding:
    id: str
    aliases: tuple[str, ...]
    kind: str  # vulnerability | malware
    severity: str  # one of SEVERITIES
    score: float | None
    summary: str
    fixed_in: tuple[str, ...]
    ignored: bool
    fails: bool


@frozen
class AuditDep:
    name: str
    version: str | None
    skipped: str | None
    fix_requirement: str | None
    findings: tuple[AuditFinding, ...]
    # Not from a package index, audited by the version it states (the JSON's local_build).
    local_build: str | None = None
    # Not from a package index (the JSON's local): when skipped too, not audited by version,
    # which is not the "not checked" that makes an audit incomplete.
    local: bool = False


@frozen
class AuditPart:
    target: str
    advisory_source: str
    newest_modified: str | None
    stale_text: str | None
    fail_on: str
    verdict_status: str  # fail | incomplete | pass
    verdict_text: str
    deps: tuple[AuditDep, ...]
    warnings: tuple[str, ...] = ()
    kind: Literal["audit"] = "audit"


@frozen
class DoctorCheck:
    id: str
    title: str
    status: str  # pass | warn | fail
    summary: str
    evidence: tuple[str, ...]
    fix: str | None


@frozen
class DoctorPart:
    project: str
    checks: tuple[DoctorCheck, ...]
    kind: Literal["doctor"] = "doctor"


@frozen
class ExposureItem:
    kind: str
    what: str
    location: str
    names: tuple[str, ...]
    harm: str
    harm_rank: int
    lifetime: str
    protected: bool
    advice: str


@frozen
class ExposurePart:
    home: str
    project: str
    items: tuple[ExposureItem, ...]
    unreadable: int
    checked: int
    kind: Literal["exposure"] = "exposure"


@frozen
class VetSignal:
    id: str
    level: str
    message: str


@frozen
class VetPackage:
    name: str
    version: str | None
    verdict: str  # ok | review | avoid | unchecked | internal
    did_you_mean: str | None
    signals: tuple[VetSignal, ...]
    new_dependencies: int
    problem: str | None


@frozen
class VetPart:
    target: str
    packages: tuple[VetPackage, ...]
    warnings: tuple[str, ...] = ()
    kind: Literal["vet"] = "vet"


@frozen
class FleetDrift:
    name: str
    versions: tuple[tuple[str, tuple[str, ...], bool], ...]  # (label, projects, vulnerable)
    below_floor: bool
    security_floor: str | None


@frozen
class FleetVuln:
    id: str
    name: str
    kind: str
    severity: str
    summary: str
    versions: tuple[str, ...]
    projects: tuple[str, ...]
    fixes: tuple[tuple[str | None, int], ...]  # (requirement or None, projects it fixes)
    fails: bool = False  # at or above the policy's fail level


@frozen
class FleetPart:
    origin: str
    projects: tuple[str, ...]
    distributions: int
    drift: tuple[FleetDrift, ...]
    vulnerabilities: tuple[FleetVuln, ...]
    used_once: int
    undeclared: int
    kind: Literal["fleet"] = "fleet"


Part = AuditPart | DoctorPart | ExposurePart | VetPart | FleetPart


@frozen
class Unavailable:
    """A part that was asked for but could not be made; ``reason`` says why, in words."""

    reason: str


@frozen
class ReleaseAge:
    """An installed release's age and how far behind the newest final release it is;
    ``None`` fields were not known from the local metadata cache."""

    name: str
    version: str
    age_days: float | None
    behind: int | None
    newest: str | None


@frozen
class AgesPart:
    cooldown_days: int
    known: tuple[ReleaseAge, ...]
    unknown: int  # installed releases whose metadata is not in the local cache


@frozen
class PageData:
    """Everything one page shows; a part left ``None`` was not asked for."""

    title: str
    generated_at: str
    tool_version: str
    audit: AuditPart | Unavailable | None = None
    doctor: DoctorPart | Unavailable | None = None
    exposure: ExposurePart | Unavailable | None = None
    vet: VetPart | Unavailable | None = None
    fleet: FleetPart | Unavailable | None = None
    ages: AgesPart | Unavailable | None = None
    sources: tuple[str, ...] = field(default=())  # where each part came from, in words
