"""Decide whether an installed PyPI version is affected by OSV advisories. Pure, no I/O.

This follows the OSV schema's evaluation algorithm (``IsVulnerable``): a version is affected
when an ``affected`` entry for its package lists it in ``versions`` *or* one of its ranges
contains it. Ranges are evaluated with real PEP 440 ordering on ``packaging`` ``Version``
objects — never through ``SpecifierSet``, whose pre-release rules answer a different question
("may pip pick this?") and would call ``1.0rc1`` unaffected by ``<1.0``.

Choices the schema leaves to the consumer, made here once:

* Only ``ECOSYSTEM`` ranges are evaluated. ``GIT`` ranges need the repository's commit graph
  and ``SEMVER`` ordering is not PyPI's; both are ignored, as the schema expects for PyPI.
* Events are sorted by version with ``introduced: "0"`` lowest. The sort is stable, so events
  at the same version keep the record's order: ``introduced 1.0, fixed 1.0`` is an empty range,
  while ``fixed 1.0, introduced 1.0`` re-opens at 1.0 — which is what the author wrote.
* Local versions (``2.1.0+cu118``) are compared by their public version against events that
  carry no local label. A local label marks a downstream build of the same release (PEP 440),
  so it shares that release's status: ``last_affected 2.1.0`` and a ``versions`` entry
  ``2.1.0`` both cover ``2.1.0+cu118``, and ``fixed 2.1.0`` does not (it is a build of the
  fixed release). Plain PEP 440 ordering would sort ``2.1.0+cu118`` above ``2.1.0`` and miss
  the ``last_affected`` case; comparing public versions is what ``==2.1.0`` in PEP 440 does too.
* An ``introduced`` that does not parse as a version counts as ``"0"`` and an unparseable
  ``fixed``, ``last_affected`` or ``limit`` is dropped: both err towards "affected", because a
  missed vulnerability is worse than a spurious one. Unparseable ``versions`` entries are
  ignored (they cannot equal a valid installed version).
* Withdrawn records never match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from pipvet.models import (
    Advisory,
    Affected,
    AffectedRange,
    Finding,
    NormalizedName,
    RangeEvent,
    Severity,
    canonicalize_name,
)
from pipvet.severity import severity_of

__all__ = [
    "Explanation",
    "affects",
    "closing_version",
    "explain",
    "find",
    "fixed_versions",
    "id_sort_key",
    "version_or_none",
]

EVALUATED_RANGE_TYPE = "ECOSYSTEM"
_ID_CLASSES = ("PYSEC", "GHSA", "CVE")


@functools.lru_cache(maxsize=65536)
def version_or_none(text: str) -> Version | None:
    """``Version(text)``, or None when ``text`` is not a valid PEP 440 version."""
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


# ------------------------------------------------------------------------------ ranges


@dataclass(frozen=True)
class _Event:
    """A range event with its parsed version; ``version is None`` means introduced "0"."""

    kind: str
    text: str
    version: Version | None

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


@dataclass(frozen=True)
class _RangeResult:
    affected: bool
    events: tuple[_Event, ...]  # sorted, as evaluated
    decided_by: _Event | None  # the last event whose condition held; None if none did
    outside_limits: bool = False
    notes: tuple[str, ...] = ()


def _against(installed: Version, public: Version, bound: Version) -> Version:
    """The installed version as compared to ``bound`` (see the module docstring on locals)."""
    return installed if bound.local is not None else public


def _public(installed: Version) -> Version:
    return Version(installed.public) if installed.local is not None else installed


_Prepared = tuple[tuple[_Event, ...], tuple[_Event, ...], tuple[str, ...]]
# Parsed and sorted events per range, keyed by the identity of the (immutable) events tuple:
# an audit asks about the same ranges many times, and hashing the events on every lookup
# would cost as much as the evaluation. The stored tuple reference guards against id reuse.
_PREPARED: dict[int, tuple[tuple[RangeEvent, ...], _Prepared]] = {}
_PREPARED_MAX = 65536


def _prepare(events: tuple[RangeEvent, ...]) -> _Prepared:
    """A range's events parsed and sorted (``ordered``), its ``limits``, and notes on them."""
    cached = _PREPARED.get(id(events))
    if cached is not None and cached[0] is events:
        return cached[1]
    ordered: list[_Event] = []
    limits: list[_Event] = []
    notes: list[str] = []
    for event in events:
        parsed = version_or_none(event.version)
        if event.kind == "introduced":
            if event.version != "0" and parsed is None:
                notes.append(f"introduced {event.version!r} is not a PEP 440 version; read as 0")
            ordered.append(
                _Event("introduced", event.version, None if event.version == "0" else parsed)
            )
        elif parsed is None:
            notes.append(f"{event.kind} {event.version!r} is not a PEP 440 version; ignored")
        elif event.kind == "limit":
            limits.append(_Event("limit", event.version, parsed))
        else:
            ordered.append(_Event(event.kind, event.version, parsed))
    # Stable sort: ties keep the record's order (see the module docstring).
    ordered.sort(key=lambda e: (e.version is not None, e.version or Version("0")))
    result = (tuple(ordered), tuple(limits), tuple(notes))
    if len(_PREPARED) >= _PREPARED_MAX:
        _PREPARED.clear()
    _PREPARED[id(events)] = (events, result)
    return result


def _scan(
    prepared: _Prepared, installed: Version, public: Version
) -> tuple[bool, _Event | None, bool]:
    """OSV ``IncludedInRanges`` for one range: (affected, deciding event, outside limits)."""
    ordered, limits, _ = prepared
    if limits and not any(
        _against(installed, public, lim.version) < lim.version
        for lim in limits
        if lim.version is not None
    ):
        return False, None, True
    affected = False
    decided_by: _Event | None = None
    for event in ordered:
        bound = event.version
        if event.kind == "introduced":
            if bound is None or _against(installed, public, bound) >= bound:
                affected, decided_by = True, event
        elif bound is None:
            continue
        elif event.kind == "fixed":
            if _against(installed, public, bound) >= bound:
                affected, decided_by = False, event
        elif event.kind == "last_affected" and _against(installed, public, bound) > bound:
            affected, decided_by = False, event
    return affected, decided_by, False


def _evaluate_range(rng: AffectedRange, installed: Version) -> _RangeResult:
    prepared = _prepare(rng.events)
    affected, decided_by, outside = _scan(prepared, installed, _public(installed))
    return _RangeResult(affected, prepared[0], decided_by, outside, prepared[2])


_PLAIN_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def _plain_key(text: str) -> str | None:
    """Equality key of a plain release such as ``2.19.0`` without building a ``Version``.

    Two versions are equal under PEP 440 exactly when their keys are equal: integers without
    leading zeros, trailing ``.0`` components dropped. Anything else (pre, post, dev, local,
    epochs, odd spellings) returns None and goes through ``Version``. Versions lists hold
    hundreds of plain releases each, so this keeps an audit from parsing them all.
    """
    if not _PLAIN_RELEASE.fullmatch(text):
        return None
    parts = [str(int(p)) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=65536)
def _key(version: Version) -> str:
    if (
        version.epoch == 0
        and version.pre is None
        and version.post is None
        and (version.dev is None and version.local is None)
    ):
        return _plain_key(version.base_version) or str(version)
    return canonicalize_version(version, strip_trailing_zero=True)


@functools.lru_cache(maxsize=16384)
def _listed(versions: tuple[str, ...]) -> dict[str, str]:
    """A ``versions`` list keyed by version equality (first spelling kept); unparseable
    entries dropped."""
    out: dict[str, str] = {}
    for text in versions:
        key = _plain_key(text.strip())
        if key is None:
            parsed = version_or_none(text)
            if parsed is None:
                continue
            key = _key(parsed)
        out.setdefault(key, text)
    return out


def _in_versions(entry: Affected, installed: Version, public: Version) -> str | None:
    """The ``versions`` entry equal to ``installed`` (locals by public version), if any."""
    if not entry.versions:
        return None
    listed = _listed(entry.versions)
    hit = listed.get(_key(installed))
    if hit is None and public is not installed:
        hit = listed.get(_key(public))
    return hit


def _evaluated(entry: Affected) -> list[_Prepared]:
    return [_prepare(rng.events) for rng in entry.ranges if rng.type == EVALUATED_RANGE_TYPE]


def _match(
    advisory: Advisory, name: str, installed: Version, public: Version, *, fixes: bool
) -> tuple[bool, list[tuple[Version, str]]]:
    """Whether the advisory affects the version and, if asked, the fixes (unsorted)."""
    if advisory.withdrawn:
        return False, []
    hit = False
    found: list[tuple[Version, str]] = []
    for entry in advisory.affected:
        if entry.package != name:
            continue
        listed = _in_versions(entry, installed, public) is not None
        if listed and not fixes:
            return True, []
        ranges = _evaluated(entry)
        containing = [p for p in ranges if _scan(p, installed, public)[0]]
        if containing and not fixes:
            return True, []
        hit = hit or listed or bool(containing)
        if not containing and listed:
            # Listed but in no range (an inconsistent record): offer the next fix above it.
            containing = ranges
        for ordered, _, _ in containing:
            above = [
                (e.version, e.text)
                for e in ordered
                if e.kind == "fixed"
                and e.version is not None
                and _against(installed, public, e.version) < e.version
            ]
            if above:
                found.append(min(above))
    return hit, found


def affects(advisory: Advisory, name: NormalizedName, version: Version) -> bool:
    """True when ``advisory`` says ``name`` at ``version`` is affected (OSV ``IsVulnerable``)."""
    return _match(advisory, canonicalize_name(name), version, _public(version), fixes=False)[0]


def fixed_versions(advisory: Advisory, name: NormalizedName, version: Version) -> tuple[str, ...]:
    """The fixes for ``version``: per range of this package that contains it, ascending.

    From each containing range, the first ``fixed`` event above the installed version. When
    only the ``versions`` list matched (no range contains the version — an inconsistent
    record), the smallest ``fixed`` above the version in that entry's ranges is offered.
    Empty when no fix is known (open range, ``last_affected`` only, or not affected).
    """
    hit, found = _match(advisory, canonicalize_name(name), version, _public(version), fixes=True)
    return _unique_sorted(found) if hit else ()


def _unique_sorted(pairs: Iterable[tuple[Version, str]]) -> tuple[str, ...]:
    seen: dict[Version, str] = {}
    for parsed, text in sorted(pairs):
        seen.setdefault(parsed, text)
    return tuple(seen.values())


def closing_version(
    advisories: Iterable[Advisory], name: NormalizedName, version: Version
) -> str | None:
    """The smallest known fix to upgrade ``name`` to, or None when nothing needs fixing.

    Candidates are the ``fixed`` versions above ``version`` named by ``advisories`` for this
    package. Preferred is the smallest candidate that no advisory affects at all (so the
    advice does not walk into the next vulnerability); failing that, the smallest candidate
    that at least closes every advisory affecting ``version``. None when no advisory affects
    ``version`` or no known fix closes them all. Pass only the advisories that count (not
    ignored ones).
    """
    name = canonicalize_name(name)
    public = _public(version)
    relevant = [a for a in advisories if not a.withdrawn]
    matching = [a for a in relevant if _match(a, name, version, public, fixes=False)[0]]
    if not matching:
        return None
    candidates: dict[Version, str] = {}
    for advisory in relevant:
        for entry in advisory.affected:
            if entry.package != name:
                continue
            for ordered, _, _ in _evaluated(entry):
                for event in ordered:
                    bound = event.version
                    if (
                        event.kind == "fixed"
                        and bound is not None
                        and _against(version, public, bound) < bound
                    ):
                        candidates.setdefault(bound, event.text)
    ordered_candidates = sorted(candidates)
    for pool in (relevant, matching):
        for parsed in ordered_candidates:
            if not any(_match(a, name, parsed, parsed, fixes=False)[0] for a in pool):
                return candidates[parsed]
    return None


# ------------------------------------------------------------------------------ findings


def id_sort_key(advisory_id: str) -> tuple[int, str]:
    """Display order of ids: PYSEC, then GHSA, then CVE, then others; sorted within a class."""
    prefix = advisory_id.split("-", 1)[0].upper()
    rank = _ID_CLASSES.index(prefix) if prefix in _ID_CLASSES else len(_ID_CLASSES)
    return (rank, advisory_id)


def _modified_key(text: str) -> tuple[int, datetime | str]:
    # ISO times with and without fractions do not sort as strings ("58.3Z" < "58Z").
    try:
        return (1, datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return (0, text)


def _newest(times: Iterable[str]) -> str:
    parsed = [(_modified_key(t), t) for t in times]
    aware = [(k[1], t) for k, t in parsed if isinstance(k[1], datetime) and k[1].tzinfo]
    if aware and len(aware) == len(parsed):
        return max(aware)[1]
    return max(t for _, t in parsed)


def _summary(advisory: Advisory) -> str:
    if advisory.summary.strip():
        return advisory.summary.strip()
    for line in advisory.details.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _severity_key(severity: Severity) -> tuple[int, float]:
    return (int(severity.label), severity.score if severity.score is not None else -1.0)


class _Groups:
    """Union-find over advisory ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def find(
    advisories: Iterable[Advisory], name: NormalizedName, version: Version
) -> tuple[Finding, ...]:
    """Every problem ``advisories`` report for ``name`` at ``version``, one Finding per group.

    Matching records are grouped transitively through their ids and aliases (A lists B and
    B lists C: one finding). Findings are ordered by display id.
    """
    name = canonicalize_name(name)
    public = _public(version)
    matched: list[tuple[Advisory, list[tuple[Version, str]]]] = []
    for advisory in advisories:
        hit, fixes = _match(advisory, name, version, public, fixes=True)
        if hit:
            matched.append((advisory, fixes))
    if not matched:
        return ()
    groups = _Groups()
    for advisory, _ in matched:
        groups.find(advisory.id)
        for alias in advisory.aliases:
            groups.union(advisory.id, alias)
    members: dict[str, list[tuple[Advisory, list[tuple[Version, str]]]]] = {}
    for item in matched:
        members.setdefault(groups.find(item[0].id), []).append(item)
    ids_by_root: dict[str, set[str]] = {}
    for item_id in list(groups.parent):
        ids_by_root.setdefault(groups.find(item_id), set()).add(item_id)
    findings = [_finding(group, ids_by_root[root]) for root, group in members.items()]
    return tuple(sorted(findings, key=lambda f: id_sort_key(f.id)))


def _finding(group: list[tuple[Advisory, list[tuple[Version, str]]]], ids: set[str]) -> Finding:
    ordered_ids = sorted(ids, key=id_sort_key)
    display = ordered_ids[0]
    records = sorted((a for a, _ in group), key=lambda a: id_sort_key(a.id))
    lead = next((a for a in records if a.id == display), records[0])
    malicious = any(a.malicious for a in records) or any(
        i.upper().startswith("MAL-") for i in ordered_ids
    )
    return Finding(
        kind="malware" if malicious else "vulnerability",
        id=display,
        aliases=tuple(sorted(ordered_ids[1:])),
        summary=_summary(lead) or next((s for a in records if (s := _summary(a))), ""),
        severity=max((severity_of(a) for a in records), key=_severity_key),
        fixed_in=_unique_sorted(fix for _, fixes in group for fix in fixes),
        records=tuple(dict.fromkeys(a.id for a in records)),
        modified=_newest(a.modified for a in records),
    )


# ------------------------------------------------------------------------------ explain


@dataclass(frozen=True)
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
            result = _evaluate_range(rng, version)
            matched = matched or result.affected
            lines.extend(_range_lines(r_index, rng, result, version))
        listed = _in_versions(entry, version, _public(version))
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
    index: int, rng: AffectedRange, result: _RangeResult, version: Version
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
