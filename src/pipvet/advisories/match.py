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

Evaluation reads a ``PackageRecord``: one advisory as it concerns one package, with its
``versions`` lists reduced to equality keys and its ECOSYSTEM ranges' events, beside the facts
a finding shows. ``package_record`` derives one from an ``Advisory``; the advisory store keeps
them ready-made (``pipvet.advisories.digest``), so an audit neither decompresses nor parses the
records it checks. The functions taking ``Advisory`` objects run the same evaluation.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import NamedTuple

from packaging.version import Version

from pipvet.advisories.findings import Fix, group_findings, unique_sorted
from pipvet.advisories.versions import listed_keys, version_key, version_or_none, versions_keys
from pipvet.frozen import frozen
from pipvet.models import (
    Advisory,
    Affected,
    AffectedRange,
    Finding,
    NormalizedName,
    RangeEvent,
    canonicalize_name,
)

__all__ = [
    "EVALUATED_RANGE_TYPE",
    "Events",
    "PackageEntry",
    "PackageRecord",
    "RangeResult",
    "affects",
    "closing_fix",
    "closing_version",
    "evaluate_range",
    "find",
    "find_in",
    "fixed_versions",
    "in_versions",
    "package_record",
    "public_version",
]

EVALUATED_RANGE_TYPE = "ECOSYSTEM"
# Identity-keyed caches are cleared when they reach this size.
_CACHE_MAX = 65536


# ------------------------------------------------------------------------------ package records

Events = tuple[tuple[str, str], ...]  # (kind, version as written) per range event, record order


@frozen
class PackageEntry:
    """One ``affected`` entry of a record, reduced to what matching reads."""

    keys: str  # ``versions_keys`` of its versions list
    ranges: tuple[Events, ...]  # its ECOSYSTEM ranges, in record order; other types dropped


@frozen
class PackageRecord:
    """An advisory as it concerns one package.

    ``advisory`` carries the facts a finding shows (id, aliases, summary, severity inputs,
    modified, withdrawn, malicious); its ``affected`` entries may be left out, since
    ``entries`` holds this package's, ready for matching.
    """

    advisory: Advisory
    entries: tuple[PackageEntry, ...]


def package_record(advisory: Advisory, name: NormalizedName) -> PackageRecord:
    """``advisory`` as it concerns the package ``name`` (canonical)."""
    return PackageRecord(
        advisory,
        tuple(
            PackageEntry(
                versions_keys(entry.versions),
                tuple(
                    _pairs(rng.events) for rng in entry.ranges if rng.type == EVALUATED_RANGE_TYPE
                ),
            )
            for entry in advisory.affected
            if entry.package == name
        ),
    )


def _pairs(events: Iterable[RangeEvent]) -> Events:
    return tuple((event.kind, event.version) for event in events)


# Package records of Advisory objects, keyed by the advisory's identity: the functions taking
# an Advisory are called many times with the same ones (a snapshot, a hypothesis run), and
# reducing a long versions list costs far more than the evaluation. The stored reference
# guards against id reuse.
_RECORDS: dict[tuple[int, str], tuple[Advisory, PackageRecord]] = {}


def _record_of(advisory: Advisory, name: NormalizedName) -> PackageRecord:
    cached = _RECORDS.get((id(advisory), name))
    if cached is not None and cached[0] is advisory:
        return cached[1]
    record = package_record(advisory, name)
    if len(_RECORDS) >= _CACHE_MAX:
        _RECORDS.clear()
    _RECORDS[(id(advisory), name)] = (advisory, record)
    return record


# ------------------------------------------------------------------------------ ranges


class _Event(NamedTuple):
    """A range event with its parsed version; ``version is None`` means introduced "0". A
    named tuple: an audit makes one per event of every record it reads."""

    kind: str
    text: str
    version: Version | None

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


@frozen
class RangeResult:
    affected: bool
    events: tuple[_Event, ...]  # sorted, as evaluated
    decided_by: _Event | None  # the last event whose condition held; None if none did
    outside_limits: bool = False
    notes: tuple[str, ...] = ()


@frozen
class _Probe:
    """An installed version, ready to compare: itself, its public version (for local builds)
    and the ``versions_keys`` needles it is listed under."""

    version: Version
    public: Version
    needles: tuple[str, ...]


def _probe(version: Version, public: Version | None = None) -> _Probe:
    public = public_version(version) if public is None else public
    needles: tuple[str, ...] = (f" {version_key(version)} ",)
    if public is not version:
        needles += (f" {version_key(public)} ",)
    return _Probe(version, public, needles)


def _against(installed: Version, public: Version, bound: Version) -> Version:
    """The installed version as compared to ``bound`` (see the module docstring on locals)."""
    if installed is public:  # no local label (nearly always): skip Version.local, a property
        return installed
    return installed if bound.local is not None else public


def public_version(installed: Version) -> Version:
    return Version(installed.public) if installed.local is not None else installed


_Prepared = tuple[tuple[_Event, ...], tuple[_Event, ...], tuple[str, ...]]
# Parsed and sorted events per range, keyed by the identity of the (immutable) events tuple:
# an audit asks about the same ranges many times, and hashing the events on every lookup
# would cost as much as the evaluation. The stored tuple reference guards against id reuse.
_PREPARED: dict[int, tuple[Events, _Prepared]] = {}


def _prepare(events: Events) -> _Prepared:
    """A range's events parsed and sorted (``ordered``), its ``limits``, and notes on them."""
    cached = _PREPARED.get(id(events))
    if cached is not None and cached[0] is events:
        return cached[1]
    ordered: list[_Event] = []
    limits: list[_Event] = []
    notes: list[str] = []
    for kind, text in events:
        if kind == "introduced" and text == "0":
            ordered.append(_Event(kind, text, None))
            continue
        parsed = _bound(text)
        if kind == "introduced":
            if parsed is None:
                notes.append(f"introduced {text!r} is not a PEP 440 version; read as 0")
            ordered.append(_Event(kind, text, parsed))
        elif parsed is None:
            notes.append(f"{kind} {text!r} is not a PEP 440 version; ignored")
        elif kind == "limit":
            limits.append(_Event("limit", text, parsed))
        else:
            ordered.append(_Event(kind, text, parsed))
    # Stable sort: ties keep the record's order (see the module docstring).
    ordered.sort(key=_event_order)
    result = (tuple(ordered), tuple(limits), tuple(notes))
    if len(_PREPARED) >= _CACHE_MAX:
        _PREPARED.clear()
    _PREPARED[id(events)] = (events, result)
    return result


_ZERO = Version("0")


def _event_order(event: _Event) -> tuple[bool, Version]:
    return (event.version is not None, event.version or _ZERO)


# Parsed event versions: records repeat the same bounds (common releases) many times, and
# parsing is most of preparing a range.
_bound = functools.lru_cache(maxsize=_CACHE_MAX)(version_or_none)


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


def evaluate_range(rng: AffectedRange, installed: Version) -> RangeResult:
    prepared = _prepare(_pairs(rng.events))
    affected, decided_by, outside = _scan(prepared, installed, public_version(installed))
    return RangeResult(affected, prepared[0], decided_by, outside, prepared[2])


def in_versions(entry: Affected, installed: Version, public: Version) -> str | None:
    """The ``versions`` entry equal to ``installed`` (locals by public version), if any."""
    if not entry.versions:
        return None
    listed = listed_keys(entry.versions)
    hit = listed.get(version_key(installed))
    if hit is None and public is not installed:
        hit = listed.get(version_key(public))
    return hit


# ------------------------------------------------------------------------------ matching


def _affected(record: PackageRecord, probe: _Probe) -> bool:
    """``_match(record, probe, fixes=False)[0]``, stopping at the first hit."""
    if record.advisory.withdrawn:
        return False
    for entry in record.entries:
        keys = entry.keys
        for needle in probe.needles:
            if needle in keys:
                return True
        for events in entry.ranges:
            if _scan(_prepare(events), probe.version, probe.public)[0]:
                return True
    return False


def _match(record: PackageRecord, probe: _Probe, *, fixes: bool) -> tuple[bool, list[Fix]]:
    """Whether the record affects the version and, if asked, the fixes (unsorted)."""
    if record.advisory.withdrawn:
        return False, []
    installed, public = probe.version, probe.public
    hit = False
    found: list[Fix] = []
    for entry in record.entries:
        listed = any(needle in entry.keys for needle in probe.needles)
        if listed and not fixes:
            return True, []
        ranges = [_prepare(events) for events in entry.ranges]
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
    return _affected(_record_of(advisory, canonicalize_name(name)), _probe(version))


def fixed_versions(advisory: Advisory, name: NormalizedName, version: Version) -> tuple[str, ...]:
    """The fixes for ``version``: per range of this package that contains it, ascending.

    From each containing range, the first ``fixed`` event above the installed version. When
    only the ``versions`` list matched (no range contains the version — an inconsistent
    record), the smallest ``fixed`` above the version in that entry's ranges is offered.
    Empty when no fix is known (open range, ``last_affected`` only, or not affected).
    """
    record = _record_of(advisory, canonicalize_name(name))
    hit, found = _match(record, _probe(version), fixes=True)
    return unique_sorted(found) if hit else ()


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
    return closing_fix([_record_of(a, name) for a in advisories], version)


def closing_fix(records: Iterable[PackageRecord], version: Version) -> str | None:
    """``closing_version`` over the package records of one package."""
    probe = _probe(version)
    public = probe.public
    relevant = [r for r in records if not r.advisory.withdrawn]
    matching = [r for r in relevant if _affected(r, probe)]
    if not matching:
        return None
    candidates: dict[Version, str] = {}
    for record in relevant:
        for entry in record.entries:
            for events in entry.ranges:
                for event in _prepare(events)[0]:
                    bound = event.version
                    if (
                        event.kind == "fixed"
                        and bound is not None
                        and _against(version, public, bound) < bound
                    ):
                        candidates.setdefault(bound, event.text)
    ordered_candidates = sorted(candidates)
    for pool in (relevant, matching):
        order = list(pool)
        for parsed in ordered_candidates:
            # A candidate is an exact release: compared as itself, local label and all.
            candidate = _probe(parsed, parsed)
            hit = next((i for i, r in enumerate(order) if _affected(r, candidate)), None)
            if hit is None:
                return candidates[parsed]
            # The record that rules out this candidate often rules out the next one too:
            # ask it first (the answer does not depend on the order).
            order.insert(0, order.pop(hit))
    return None


def find(
    advisories: Iterable[Advisory], name: NormalizedName, version: Version
) -> tuple[Finding, ...]:
    """Every problem ``advisories`` report for ``name`` at ``version``, one Finding per group.

    Matching records are grouped transitively through their ids and aliases (A lists B and
    B lists C: one finding). Findings are ordered by display id.
    """
    name = canonicalize_name(name)
    return find_in([_record_of(a, name) for a in advisories], version)


def find_in(records: Iterable[PackageRecord], version: Version) -> tuple[Finding, ...]:
    """``find`` over the package records of one package."""
    if not records:
        return ()
    probe = _probe(version)
    matched: list[tuple[Advisory, list[Fix]]] = []
    related: list[Advisory] = []
    for record in records:
        hit, fixes = _match(record, probe, fixes=True)
        if hit:
            matched.append((record.advisory, fixes))
        else:
            related.append(record.advisory)
    return group_findings(matched, related)
