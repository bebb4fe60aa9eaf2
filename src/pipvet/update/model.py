"""What ``pipvet update`` is asked to do and what it reports: the environment it updated,
the package changes, the install-surface findings, the security fixes and the packages it
vetted.

Pure data (frozen value classes and Literals, no I/O), shared by the update steps beside it and the
renderers in ``pipvet.report``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pipvet.frozen import frozen
from pipvet.models import AuditReport, DependencyResult, Location, NormalizedName
from pipvet.policy import Policy, fails
from pipvet.vetting.model import PackageVet, VetReport

__all__ = [
    "ChangeKind",
    "Environment",
    "NewPackage",
    "PackageChange",
    "SecurityFix",
    "SurfaceFinding",
    "SurfaceKind",
    "SurfaceLevel",
    "UpdateOptions",
    "UpdateResult",
]


@frozen
class UpdateOptions:
    project: Path
    requirement_files: tuple[Path, ...] = ()  # empty: discovered in the project folder
    python: Path | None = None
    venv: Path | None = None
    create: bool = True  # make ./.venv when there is no environment
    # make ./.venv even in a folder that is no project (no requirements, no pyproject.toml)
    create_venv: bool = False
    offline: bool = False  # pip gets --no-index: it installs only what is already here


@frozen
class Environment:
    python: Path
    prefix: Path
    kind: str  # "venv" or "conda"
    description: str
    created: bool = False


# ---------------------------------------------------------------------------- changes

ChangeKind = Literal["upgraded", "downgraded", "changed", "added", "removed"]


@frozen
class PackageChange:
    kind: ChangeKind
    name: NormalizedName
    display_name: str
    old: str | None
    new: str | None


# ---------------------------------------------------------------------------- install surface

SurfaceLevel = Literal["warning", "note"]
SurfaceKind = Literal["pth-new", "pth-changed", "pth-unowned", "script-new", "built-from-source"]


@frozen
class SurfaceFinding:
    """Something that can run code, new since the snapshot before the update."""

    kind: SurfaceKind
    level: SurfaceLevel  # "warning" is unexpected (it fails the run); "note" is shown only
    package: str | None
    subject: str  # the file, script or package the finding is about
    detail: str
    fix: str = ""


# ---------------------------------------------------------------------------- security fixes


@frozen
class SecurityFix:
    """A fix for a known vulnerability that the cooldown-respecting upgrade did not bring."""

    name: NormalizedName
    display_name: str
    installed: str | None  # the affected version
    fixed: str  # the release that closes every finding
    ids: tuple[str, ...]
    applied: bool
    reason: str


# ---------------------------------------------------------------------------- vetting


@frozen
class NewPackage:
    """A package the update vets, as it is installed in the environment."""

    name: NormalizedName
    display_name: str
    version: str | None  # None: its metadata names none
    location: Location  # its metadata folder
    # Installed from a URL or a folder, not from an index ("/src/lib (editable)"): there is
    # no index project to vet it against, and its name must not be sent to one.
    direct: str | None = None
    earlier: bool = False  # added by an earlier update that could not vet it


# ---------------------------------------------------------------------------- the result


@frozen
class UpdateResult:
    environment: Environment
    pip_before: str
    pip_after: str
    cooldown_days: int
    cutoff: str | None  # the --uploaded-prior-to value passed, None when not applied
    sources: tuple[str, ...]  # requirement files and "." that were installed
    commands: tuple[tuple[str, ...], ...]
    changes: tuple[PackageChange, ...]
    security_fixes: tuple[SecurityFix, ...]
    surface: tuple[SurfaceFinding, ...]
    audit: AuditReport
    missing_protections: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    vetted_packages: tuple[NewPackage, ...] = ()  # what was vetted, as installed
    vetted: VetReport | None = None  # None: nothing was new, so nothing was vetted
    project_name: NormalizedName | None = None  # the pyproject project installed from its folder
    # Packages pip installed, new to the environment, with no verdict at that version (each
    # is explained in ``warnings``): pip installed more than was vetted.
    installed_without_verdict: int = 0

    @property
    def new_packages(self) -> tuple[NormalizedName, ...]:
        """Packages this update added (``vetted_packages`` may also hold earlier ones)."""
        return tuple(p.name for p in self.vetted_packages if not p.earlier)

    @property
    def unchecked(self) -> tuple[DependencyResult, ...]:
        """Dependencies the audit could not check, except the project itself (installed from
        its own folder on purpose, so not auditable by version)."""
        return tuple(r for r in self.audit.unchecked if r.dependency.name != self.project_name)

    @property
    def unvetted(self) -> tuple[PackageVet, ...]:
        """New packages that could not be vetted (fail closed: never read as "ok")."""
        return self.vetted.unchecked if self.vetted is not None else ()

    def fails(self, policy: Policy) -> bool:
        """Exit 1: the audit fails per policy, the install surface has an unexpected change,
        a new package's verdict reaches the policy's ``vet-fail-on``, or pip installed a new
        package that has no verdict."""
        return (
            fails(self.audit, policy)
            or any(f.level == "warning" for f in self.surface)
            or (self.vetted is not None and bool(self.vetted.failing))
            or self.installed_without_verdict > 0
        )
