"""One shared floor per distribution, for a constraints file every project can use. Pure.

For each distribution the fleet states a version of (installed, pinned or a declared floor),
the floor is the lowest release that

(a) is at or above every project's current floor (the version each project uses, as
    ``analyse`` chooses it: installed, else pinned, else its declared floor);
(b) has no known vulnerability or malware record in the advisory data;
(c) was published more than the policy's cooldown ago (release dates from the index);

not yanked and not a pre-release (unless the current floor is one). Yanked releases above
the floor are excluded with ``!=``. When the index could not be asked, (c) cannot be checked:
the floor is the current one, raised to the release that closes its known vulnerabilities,
and the line says it is unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.version import Version

from pipvet.advisories.match import PackageRecord, closing_fix, find_in
from pipvet.fleet.analyse import used_versions, version_or_none
from pipvet.fleet.model import ConstraintLine, ConstraintsPlan, Row
from pipvet.index.parse import ProjectInfo
from pipvet.models import NormalizedName

__all__ = ["plan_constraints"]

Records = Mapping[NormalizedName, Sequence[PackageRecord]]


def plan_constraints(
    rows: Sequence[Row],
    records: Records,
    releases: Mapping[NormalizedName, ProjectInfo | str],
    *,
    now: float,
    cooldown_days: int,
    origin: str,
    made_at: str,
    advisory_source: str,
    index_source: str,
) -> ConstraintsPlan:
    """``releases``: the index's answer per name, or why there is none (offline, failed)."""
    lines: list[ConstraintLine] = []
    left_out: list[str] = []
    pins: dict[NormalizedName, dict[str, Version]] = {}
    for row in rows:
        if row.kind == "pinned" and (v := version_or_none(row.version or "")) is not None:
            pins.setdefault(row.name, {})[row.project] = v
    for name, labels in sorted(used_versions(rows).items()):
        current = [v for lb in labels if (v := version_or_none(lb.removeprefix(">="))) is not None]
        if not current:
            left_out.append(f"{name}: no project states a version")
            continue
        highest = max(current)
        line = _line(
            name,
            highest,
            records.get(name, ()),
            releases.get(name),
            now=now,
            cooldown_days=cooldown_days,
        )
        floor = Version(line.floor)
        below = tuple(sorted(p for p, v in pins.get(name, {}).items() if v < floor))
        lines.append(_with_pins(line, below))
    return ConstraintsPlan(
        origin=origin,
        made_at=made_at,
        advisory_source=advisory_source,
        index_source=index_source,
        cooldown_days=cooldown_days,
        lines=tuple(lines),
        left_out=tuple(left_out),
    )


def _with_pins(line: ConstraintLine, below: tuple[str, ...]) -> ConstraintLine:
    from pipvet.frozen import replace

    return replace(line, pinned_below=below)


def _vulnerable(records: Sequence[PackageRecord], version: Version) -> tuple[str, ...]:
    return tuple(f.id for f in find_in(records, version))


def _line(
    name: NormalizedName,
    current: Version,
    records: Sequence[PackageRecord],
    info: ProjectInfo | str | None,
    *,
    now: float,
    cooldown_days: int,
) -> ConstraintLine:
    if not isinstance(info, ProjectInfo):
        why = info or "not looked up"
        floor = current
        raised: list[str] = []
        if ids := _vulnerable(records, current):
            fix = closing_fix(records, current)
            if fix is not None:
                floor = Version(fix)
                raised.append(f"{current} has {', '.join(ids)}")
        return ConstraintLine(
            name,
            str(floor),
            current_floor=str(current),
            raised_for=tuple(raised),
            unchecked=f"release dates unknown ({why}): the cooldown could not be checked",
        )
    limit = now - cooldown_days * 86400
    candidates = sorted(
        (v, rel)
        for rel in info.releases
        if (v := version_or_none(rel.version)) is not None
        and v >= current
        and (not v.is_prerelease or current.is_prerelease)
    )
    raised = []
    chosen: Version | None = None
    for version, rel in candidates:
        if rel.yanked:
            continue
        if ids := _vulnerable(records, version):
            raised.append(f"{version} has {', '.join(ids)}")
            continue
        if rel.uploaded is None or rel.uploaded > limit:
            raised.append(f"{version} is not older than {cooldown_days} days")
            continue
        chosen = version
        break
    if chosen is None:
        why = (
            f"no release at or above {current} is free of known vulnerabilities, not yanked "
            f"and older than {cooldown_days} days"
        )
        return ConstraintLine(
            name, str(current), current_floor=str(current), raised_for=tuple(raised[-3:]),
            unchecked=why,
        )  # fmt: skip
    excluded = tuple(str(v) for v, rel in candidates if rel.yanked and v > chosen)
    return ConstraintLine(
        name,
        str(chosen),
        excluded=excluded,
        current_floor=str(current),
        raised_for=tuple(raised[:3])
        + ((f"and {len(raised) - 3} more",) if len(raised) > 3 else ()),
    )
