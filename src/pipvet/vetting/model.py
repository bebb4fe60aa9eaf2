"""Values of the vetting pipeline: a signal, one package's verdict, the whole report.

Pure data, shared by the signals, the verdict, the service and the renderers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipvet.frozen import frozen
from pipvet.models import NormalizedName

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = [
    "JsonValue",
    "NewDependency",
    "PackageVet",
    "Signal",
    "SignalLevel",
    "Thresholds",
    "VetReport",
    "VetVerdict",
]

# "info" is a fact worth showing that asks nothing of the user. "unchecked" means the data the
# signal needs was unavailable: never read as "ok".
SignalLevel: TypeAlias = 'Literal["ok", "info", "review", "avoid", "unchecked"]'
# "unchecked": something that could decide the verdict was not checked, so pipvet will not say
# "ok" (or even "review"). "internal": the policy marks the name as the user's own package; it
# is never looked up on a public index.
VetVerdict: TypeAlias = 'Literal["ok", "review", "avoid", "unchecked", "internal"]'

JsonValue: TypeAlias = (
    "str | int | float | bool | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
)
# The verdicts, as a report read back is checked against (VetVerdict's, tested).
VET_VERDICTS: tuple[VetVerdict, ...] = ("ok", "review", "avoid", "unchecked", "internal")


@frozen
class Thresholds:
    """The policy's vetting thresholds (the policy file's names in the comments)."""

    min_maintainers: int = 2  # min-maintainers
    max_maintainers: int = 5  # max-maintainers
    min_project_age_days: int = 30  # min-project-age-days
    max_release_silence_days: int = 365  # max-release-silence-days
    max_new_dependencies: int = 20  # max-new-dependencies
    cooldown_days: int = 3  # cooldown-days


@frozen
class Signal:
    """One piece of evidence: its raw value, the line it was held against, where it came
    from (the index or data field) and what it means, in plain words."""

    id: str
    level: SignalLevel
    value: JsonValue
    threshold: str | None
    source: str
    message: str


@frozen
class NewDependency:
    """A package that installing the vetted one would add to the target environment."""

    name: NormalizedName
    version: str | None  # the release that would be installed, when known
    required_by: NormalizedName
    on_index: bool = True  # False: required, but the index has no such project


@frozen
class PackageVet:
    """The verdict on one package, with every signal behind it."""

    name: NormalizedName
    requested: str | None  # as the user wrote it; None for packages found with --deep
    version: str | None  # the release that would be installed
    verdict: VetVerdict
    signals: tuple[Signal, ...] = ()
    did_you_mean: str | None = None
    new_dependencies: tuple[NewDependency, ...] = ()
    required_by: NormalizedName | None = None  # --deep: which vetted package brings it in
    problem: str | None = None  # why the package (or part of it) could not be checked
    data_age_seconds: float | None = None  # age of the cached index answer, when cached

    def signal(self, signal_id: str) -> Signal | None:
        return next((s for s in self.signals if s.id == signal_id), None)


@frozen
class VetReport:
    tool_version: str
    target: str  # the environment vetted against, in words
    packages: tuple[PackageVet, ...]
    fail_on: Literal["avoid", "review"] = "avoid"
    resolver: Literal["metadata", "pip"] = "metadata"
    warnings: tuple[str, ...] = ()
    data_notes: tuple[str, ...] = ()  # which answers came from the cache, and how old
    offline: bool = False  # every answer came from the cache: show how old each one is

    @property
    def unchecked(self) -> tuple[PackageVet, ...]:
        return tuple(p for p in self.packages if p.verdict == "unchecked")

    @property
    def failing(self) -> tuple[PackageVet, ...]:
        levels = ("avoid",) if self.fail_on == "avoid" else ("avoid", "review")
        return tuple(p for p in self.packages if p.verdict in levels)
