"""Why a version did or did not match one advisory, traced line by line for
``pipvet audit --explain``. Pure, no I/O: the same evaluation as ``pipvet.advisories.match``."""

from __future__ import annotations

from packaging.version import Version

from pipvet.advisories.match import (
    EVALUATED_RANGE_TYPE,
    RangeResult,
    evaluate_range,
    in_versions,
    public_version,
)
from pipvet.frozen import frozen
from pipvet.models import Advisory, AffectedRange, NormalizedName, canonicalize_name

__all__ = ["Explanation", "explain"]


@frozen
class Explanation:
    """Why ``name`` at ``version`` did or did not match one advisory, line by line."""

    advisory_id: str
    matched: bool
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return "\n".join(self.lines)


def explain(advisory: Advisory, name: NormalizedName, version: Version) -> Explanation:
    """Trace the OSV evaluation of ``advisory`` for ``name`` ``version`` in plain words."""
    name = canonicalize_name(name)
    lines = [f"{advisory.id} (modified {advisory.modified})"]
    if advisory.aliases:
        lines.append(f"  aliases: {', '.join(advisory.aliases)}")
    if advisory.withdrawn:
        lines.append(f"  withdrawn {advisory.withdrawn}: a withdrawn record never matches")
        lines.append(f"result: {name} {version} is not affected by {advisory.id}")
        return Explanation(advisory.id, False, tuple(lines))
    lines.append("  not withdrawn")
    if version.local is not None:
        lines.append(
            f"  {version} is a local build: compared as {version.public} "
            "against versions without a local label"
        )

    matched = False
    if not advisory.affected:
        lines.append("  the record names no PyPI package")
    for index, entry in enumerate(advisory.affected):
        if entry.package != name:
            lines.append(f"  affected[{index}] is for {entry.package}: not this package, skipped")
            continue
        lines.append(f"  affected[{index}] {entry.package}:")
        for r_index, rng in enumerate(entry.ranges):
            if rng.type != EVALUATED_RANGE_TYPE:
                lines.append(
                    f"    range {r_index} ({rng.type}): ignored, only ECOSYSTEM ranges apply"
                )
                continue
            result = evaluate_range(rng, version)
            matched = matched or result.affected
            lines.extend(_range_lines(r_index, rng, result, version))
        listed = in_versions(entry, version, public_version(version))
        if listed is not None:
            matched = True
            lines.append(f"    versions list: {listed!r} equals {version} -> affected")
        elif entry.versions:
            lines.append(
                f"    versions list: {len(entry.versions)} versions, {version} not among them"
            )
        else:
            lines.append("    versions list: empty")
    verdict = "affected" if matched else "not affected"
    lines.append(f"result: {name} {version} is {verdict} by {advisory.id}")
    return Explanation(advisory.id, matched, tuple(lines))


def _range_lines(
    index: int, rng: AffectedRange, result: RangeResult, version: Version
) -> list[str]:
    events = ", ".join(str(e) for e in result.events) or "none"
    limits = [f"limit {e.version}" for e in rng.events if e.kind == "limit"]
    lines = [f"    range {index} (ECOSYSTEM): events sorted: {events}"]
    if limits:
        lines.append(f"      limits: {', '.join(limits)}")
    lines.extend(f"      note: {note}" for note in result.notes)
    if result.outside_limits:
        lines.append(f"      {version} is not below any limit -> not affected")
    elif result.decided_by is None:
        lines.append(f"      no event is at or below {version} -> not affected")
    else:
        event = result.decided_by
        relation = {
            "introduced": ">=",
            "fixed": ">=",
            "last_affected": ">",
        }[event.kind]
        shown = "0 (every version)" if event.version is None else event.text
        outcome = "affected" if result.affected else "not affected"
        lines.append(
            f"      decided by {event.kind} {shown}: {version} {relation} {event.text} -> {outcome}"
        )
    return lines
