"""Fleet values: the inventory (projects and one row per dependency fact) and what the
analyses find in it. Pure: no I/O imports; ``pipvet.report.fleet`` renders these.
"""

from __future__ import annotations

from typing import Literal

from pipvet.frozen import field, frozen
from pipvet.models import NormalizedName

__all__ = [
    "ConstraintLine",
    "ConstraintsPlan",
    "Drift",
    "DriftVersion",
    "FixLine",
    "FleetReport",
    "FleetVulnerability",
    "Inventory",
    "NotFloating",
    "Project",
    "Relation",
    "Row",
    "RowKind",
    "Undeclared",
    "UsedOnce",
]

# installed: in the project's venv; pinned: ``==X`` in a manifest; locked: the version a lock
# file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml) fixes; declared: any other
# requirement (a range, a floor, nothing at all, a URL).
RowKind = Literal["installed", "pinned", "locked", "declared"]
# direct: the project names it; transitive: an installed dependency of something it names;
# undeclared: installed, named nowhere and needed by nothing named. ``None``: not known.
Relation = Literal["direct", "transitive", "undeclared"]


@frozen
class Project:
    """One project folder. ``path`` is as shown (relative to the folder scanned when inside
    it); ``problem`` says why something in it could not be read (the rest still counts)."""

    path: str
    sources: tuple[str, ...] = ()  # manifests and the venv read, relative to the project
    problem: str | None = None


@frozen
class Row:
    """One dependency fact: a project's source file says something about a distribution."""

    project: str
    source: str  # a manifest (relative to the project), or the venv folder for installed
    name: NormalizedName
    kind: RowKind
    version: str | None = None  # exact: the installed or pinned version
    specifier: str = ""  # as written, for pinned and declared
    relation: Relation | None = None
    line: int | None = None
    floats: bool = False  # a pin ``pipvet relax`` would turn into a floor


@frozen
class Inventory:
    """Everything read from a fleet; ``origin`` says from what (folders or SBOM files)."""

    projects: tuple[Project, ...]
    rows: tuple[Row, ...]
    origin: str
    warnings: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[Project, ...]:
        return tuple(p for p in self.projects if p.problem is not None)


# ------------------------------------------------------------------------- analyses


@frozen
class DriftVersion:
    """One version (``1.26.5``) or floor (``>=1.26``) of a distribution and who uses it."""

    label: str
    projects: tuple[str, ...]
    vulnerable: bool = False


@frozen
class Drift:
    name: NormalizedName
    versions: tuple[DriftVersion, ...]  # lowest first
    below_floor: bool  # some project uses a version with a known vulnerability
    security_floor: str | None  # the lowest release that closes every known one in use
    spread: int  # release segments apart, lowest to highest (major x 10,000 + minor x 100 + micro)


@frozen
class FixLine:
    """``requirement`` (``urllib3>=1.26.19``; ``None``: no fixed release yet) fixes these."""

    requirement: str | None
    projects: tuple[str, ...]


@frozen
class FleetVulnerability:
    """One advisory group in one distribution, counted once however many projects it hits."""

    id: str
    aliases: tuple[str, ...]
    name: NormalizedName
    kind: Literal["vulnerability", "malware"]
    summary: str
    severity: str  # critical, high, medium, low, none, unknown
    fails: bool  # at or above the policy's fail level
    versions: tuple[str, ...]
    projects: tuple[str, ...]
    fixes: tuple[FixLine, ...]


@frozen
class UsedOnce:
    name: NormalizedName
    project: str
    source: str


@frozen
class Undeclared:
    project: str
    name: NormalizedName
    version: str | None
    source: str


@frozen
class NotFloating:
    """A project whose files still pin ``==``: what ``pipvet relax`` would change there."""

    project: str
    pins: int
    files: tuple[str, ...]
    examples: tuple[str, ...]  # a few pins as written, e.g. "pandas==1.5.3"


@frozen
class FleetReport:
    origin: str
    projects: tuple[Project, ...]
    distributions: int
    rows: int
    drift: tuple[Drift, ...]
    vulnerabilities: tuple[FleetVulnerability, ...]
    used_once: tuple[UsedOnce, ...]
    undeclared: tuple[Undeclared, ...]
    not_floating: tuple[NotFloating, ...]
    advisory_source: str
    unchecked: tuple[str, ...] = ()  # "name version: why" for versions that could not be checked
    warnings: tuple[str, ...] = ()
    tool_version: str = ""

    @property
    def problems(self) -> tuple[Project, ...]:
        return tuple(p for p in self.projects if p.problem is not None)

    @property
    def failing(self) -> tuple[FleetVulnerability, ...]:
        return tuple(v for v in self.vulnerabilities if v.fails)


# ---------------------------------------------------------------------- constraints


@frozen
class ConstraintLine:
    """``name>=floor`` plus ``!=`` exclusions; ``unchecked`` says what could not be checked."""

    name: NormalizedName
    floor: str
    excluded: tuple[str, ...] = ()
    current_floor: str | None = None  # the highest floor any project has today
    raised_for: tuple[str, ...] = ()  # why the floor is above the current one
    unchecked: str | None = None
    pinned_below: tuple[str, ...] = ()  # projects whose == pins conflict with the floor

    @property
    def text(self) -> str:
        return ",".join([f"{self.name}>={self.floor}", *(f"!={v}" for v in self.excluded)])


@frozen
class ConstraintsPlan:
    origin: str
    made_at: str  # ISO time
    advisory_source: str
    index_source: str
    cooldown_days: int
    lines: tuple[ConstraintLine, ...]
    left_out: tuple[str, ...] = field(default=())  # "name: why"

    @property
    def unchecked(self) -> tuple[ConstraintLine, ...]:
        return tuple(line for line in self.lines if line.unchecked is not None)
