"""What the inventory shows across the fleet. Pure: the rows and the audit's answer for every
version in use go in, a ``FleetReport`` comes out.

Which version a project "uses" of a distribution: what its venv has installed; without a
venv, what its files pin (``==``); without a pin, what its lock file locks; without either,
the floor its files declare (shown ``>=X``).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pipvet.advisories import versions
from pipvet.fleet.model import (
    Drift,
    DriftVersion,
    FixLine,
    FleetReport,
    FleetVulnerability,
    Inventory,
    NotFloating,
    Row,
    Undeclared,
    UsedOnce,
)
from pipvet.models import DependencyResult, Finding, NormalizedName
from pipvet.policy import FailOn, finding_fails
from pipvet.policy_schema import UnknownSeverity

__all__ = ["analyse", "floor_of", "used_versions", "versions_to_check"]

Results = Mapping[tuple[NormalizedName, str], DependencyResult]

# A fleet repeats the same few versions thousands of times: parse each once.
version_or_none = functools.lru_cache(maxsize=65536)(versions.version_or_none)


@functools.lru_cache(maxsize=65536)
def _floor_cached(specifier: str) -> str | None:
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    floors: list[Version] = []
    for s in spec:
        if s.operator in (">=", ">", "~=", "==", "==="):
            v = version_or_none(s.version.removesuffix(".*"))
            if v is not None:
                floors.append(v)
    return str(max(floors)) if floors else None


def floor_of(specifier: str) -> str | None:
    """The lowest version a specifier allows, when it says (``>=1.2,<2`` -> ``1.2``)."""
    if not specifier or specifier.startswith("@"):
        return None
    return _floor_cached(specifier)


def used_versions(rows: Iterable[Row]) -> dict[NormalizedName, dict[str, set[str]]]:
    """name -> label -> projects, with a project's label chosen as the module says."""
    # per (name, project), in one pass: installed, pinned and locked versions, specifiers
    groups: dict[tuple[NormalizedName, str], tuple[set[str], set[str], set[str], set[str]]] = {}
    slot = {"installed": 0, "pinned": 1, "locked": 2}
    for row in rows:
        key = (row.name, row.project)
        group = groups.get(key)
        if group is None:
            group = groups[key] = (set(), set(), set(), set())
        index = slot.get(row.kind)
        if index is not None and row.version:
            group[index].add(row.version)
        group[3].add(row.specifier)
    out: dict[NormalizedName, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (name, project), group in groups.items():
        for label in _labels(group):
            out[name][label].add(project)
    return out


def _labels(group: tuple[set[str], set[str], set[str], set[str]]) -> set[str]:
    installed, pinned, locked, specifiers = group
    if installed:
        return installed
    if pinned:
        return pinned
    if locked:
        return locked
    return {f">={f}" for spec in specifiers if (f := floor_of(spec)) is not None}


def versions_to_check(rows: Iterable[Row]) -> list[tuple[NormalizedName, str]]:
    """Every (name, exact version) in use, plus every declared floor, once each."""
    pairs: set[tuple[NormalizedName, str]] = set()
    for row in rows:
        if row.version:
            pairs.add((row.name, row.version))
        elif (floor := floor_of(row.specifier)) is not None:
            pairs.add((row.name, floor))
    return sorted(pairs)


def _sort_key(label: str) -> tuple[int, Version | str]:
    v = version_or_none(label.removeprefix(">="))
    return (0, v) if v is not None else (1, label)


def _active(result: DependencyResult | None) -> tuple[Finding, ...]:
    return tuple(f for f in result.findings if not f.ignored) if result is not None else ()


def _spread(low: Version, high: Version) -> int:
    a = (*low.release, 0, 0, 0)[:3]
    b = (*high.release, 0, 0, 0)[:3]
    return (b[0] - a[0]) * 10_000 + (b[1] - a[1]) * 100 + (b[2] - a[2])


def _drift(rows: Sequence[Row], results: Results) -> list[Drift]:
    out: list[Drift] = []
    for name, labels in used_versions(rows).items():
        if len(labels) < 2:
            continue
        versions: list[DriftVersion] = []
        floors: list[Version] = []
        for label in sorted(labels, key=_sort_key):
            result = results.get((name, label.removeprefix(">=")))
            vulnerable = bool(_active(result))
            if vulnerable and result is not None and result.fix_requirement:
                fix = version_or_none(result.fix_requirement.partition(">=")[2])
                if fix is not None:
                    floors.append(fix)
            versions.append(DriftVersion(label, tuple(sorted(labels[label])), vulnerable))
        parsed = [v for lb in labels if (v := version_or_none(lb.removeprefix(">="))) is not None]
        spread = _spread(min(parsed), max(parsed)) if len(parsed) > 1 else 0
        below = any(v.vulnerable for v in versions)
        floor = str(max(floors)) if floors else None
        out.append(Drift(name, tuple(versions), below, floor, spread))
    out.sort(key=lambda d: (not d.below_floor, -d.spread, -len(d.versions), d.name))
    return out


def _fix_for(finding: Finding, version: str) -> str | None:
    current = version_or_none(version)
    fixes = [v for t in finding.fixed_in if (v := version_or_none(t)) is not None]
    above = [v for v in fixes if current is None or v > current]
    return str(min(above)) if above else None


def _vulnerabilities(
    rows: Sequence[Row], results: Results, fail_on: FailOn, unknown: UnknownSeverity
) -> list[FleetVulnerability]:
    found: dict[tuple[str, NormalizedName], Finding] = {}
    projects: dict[tuple[str, NormalizedName], dict[str, str | None]] = defaultdict(dict)
    versions: dict[tuple[str, NormalizedName], set[str]] = defaultdict(set)
    # what each distinct (name, version) is affected by, and the fix of each, worked out once
    hits: dict[tuple[NormalizedName, str], list[tuple[tuple[str, NormalizedName], str | None]]]
    hits = {}
    for row in rows:
        if row.kind == "declared" or not row.version:
            continue
        pair = (row.name, row.version)
        found_here = hits.get(pair)
        if found_here is None:
            found_here = hits[pair] = []
            for finding in _active(results.get(pair)):
                key = (finding.id, row.name)
                found.setdefault(key, finding)
                versions[key].add(row.version)
                found_here.append((key, _fix_for(finding, row.version)))
        for key, fix in found_here:
            by_project = projects[key]
            known = by_project.get(row.project)
            # a project with two affected versions needs the higher fix
            if row.project not in by_project or (
                known is not None and (fix is None or _newer(fix, known))
            ):
                by_project[row.project] = fix
    out: list[FleetVulnerability] = []
    for key, finding in found.items():
        by_fix: dict[str | None, list[str]] = defaultdict(list)
        for project, fix in projects[key].items():
            by_fix[f"{key[1]}>={fix}" if fix else None].append(project)
        fixes = sorted(
            (FixLine(req, tuple(sorted(ps))) for req, ps in by_fix.items()),
            key=lambda f: (f.requirement is None, -len(f.projects), f.requirement or ""),
        )
        out.append(
            FleetVulnerability(
                id=finding.id,
                aliases=finding.aliases,
                name=key[1],
                kind=finding.kind,
                summary=finding.summary,
                severity=finding.severity.label.text,
                fails=finding_fails(finding, fail_on, unknown),
                versions=tuple(sorted(versions[key], key=_sort_key)),
                projects=tuple(sorted(projects[key])),
                fixes=tuple(fixes),
            )
        )
    out.sort(key=lambda v: (v.kind != "malware", not v.fails, -len(v.projects), v.name, v.id))
    return out


def _newer(a: str, b: str) -> bool:
    try:
        return Version(a) > Version(b)
    except InvalidVersion:
        return False


def _used_once(rows: Sequence[Row], project_count: int) -> list[UsedOnce]:
    if project_count < 2:
        return []
    users: dict[NormalizedName, dict[str, str]] = defaultdict(dict)
    for row in rows:
        if row.kind != "installed" and row.relation == "direct":
            users[row.name].setdefault(row.project, row.source)
    return sorted(
        (UsedOnce(name, p, s) for name, ps in users.items() if len(ps) == 1 for p, s in ps.items()),
        key=lambda u: (u.project, u.name),
    )


def _undeclared(rows: Sequence[Row]) -> list[Undeclared]:
    return sorted(
        (
            Undeclared(r.project, r.name, r.version, r.source)
            for r in rows
            if r.kind == "installed" and r.relation == "undeclared"
        ),
        key=lambda u: (u.project, u.name),
    )


def _not_floating(rows: Sequence[Row]) -> list[NotFloating]:
    pins: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.floats:
            pins[row.project].append(row)
    return [
        NotFloating(
            project,
            len(group),
            tuple(sorted({r.source for r in group})),
            tuple(f"{r.name}{r.specifier}" for r in group[:3]),
        )
        for project, group in sorted(pins.items())
    ]


def analyse(
    inventory: Inventory,
    results: Results,
    *,
    fail_on: FailOn,
    unknown: UnknownSeverity,
    advisory_source: str,
    unchecked: Sequence[str] = (),
    warnings: Sequence[str] = (),
    tool_version: str = "",
) -> FleetReport:
    rows = inventory.rows
    return FleetReport(
        origin=inventory.origin,
        projects=inventory.projects,
        distributions=len({r.name for r in rows}),
        rows=len(rows),
        drift=tuple(_drift(rows, results)),
        vulnerabilities=tuple(_vulnerabilities(rows, results, fail_on, unknown)),
        used_once=tuple(_used_once(rows, len(inventory.projects))),
        undeclared=tuple(_undeclared(rows)),
        not_floating=tuple(_not_floating(rows)),
        advisory_source=advisory_source,
        unchecked=tuple(unchecked),
        warnings=(*inventory.warnings, *warnings),
        tool_version=tool_version,
    )
