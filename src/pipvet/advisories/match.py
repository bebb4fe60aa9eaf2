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
``versions`` lists reduced to equality keys and its ECOSYSTEM ranges compiled into interval
tables (``pipvet.advisories.ranges``: the same rules, decided once per range rather than once
per version asked), beside the facts a finding shows. ``package_record`` derives one from an
``Advisory``; the advisory store keeps them ready-made (``pipvet.advisories.digest``), so an
audit neither decompresses nor parses the records it checks, nor any version they name. The
functions taking ``Advisory`` objects run the same evaluation.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from pipvet.advisories.findings import Fix, group_findings, unique_sorted
from pipvet.advisories.probe import Probe, as_versions, probe_of
from pipvet.advisories.ranges import (
    AFFECTED,
    Compiled,
    Event,
    Events,
    against,
    compile_range,
    mark_covered,
    order_key,
    prepare,
    scan,
    segment,
)
from pipvet.advisories.versions import listed_keys, version_key, versions_keys
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
from pipvet.pep440 import Parts

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # an audit compares keys (pep440): packaging only for local-label ranges
    from packaging.version import Version

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
    "find_matching",
    "fixed_versions",
    "in_versions",
    "package_record",
    "public_version",
]

EVALUATED_RANGE_TYPE = "ECOSYSTEM"
# Identity-keyed caches are cleared when they reach this size.
_CACHE_MAX = 65536


# ------------------------------------------------------------------------------ package records


@frozen
class PackageEntry:
    """One ``affected`` entry of a record, reduced to what matching reads."""

    keys: str  # ``versions_keys`` of its versions list
    ranges: tuple[Compiled, ...]  # its ECOSYSTEM ranges, in record order; other types dropped


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
                    compile_range(_pairs(rng.events))
                    for rng in entry.ranges
                    if rng.type == EVALUATED_RANGE_TYPE
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


@frozen
class RangeResult:
    affected: bool
    events: tuple[Event, ...]  # sorted, as evaluated
    decided_by: Event | None  # the last event whose condition held; None if none did
    outside_limits: bool = False
    notes: tuple[str, ...] = ()


def public_version(installed: Version) -> Version:
    if installed.local is None:
        return installed
    from packaging.version import Version

    return Version(installed.public)


def _key_for(rng: Compiled, probe: Probe) -> str | None:
    """The key ``probe`` is compared by in ``rng``; None when only ``scan`` can tell."""
    if probe.version is probe.public:
        return probe.key
    # A local build compares by its public version against bounds without a local label.
    return probe.public_key if rng.events is None else None


def _contains(rng: Compiled, probe: Probe) -> bool:
    key = _key_for(rng, probe)
    if key is None:
        return scan(prepare(rng.events or ()), *as_versions(probe))[0]
    return rng.states[segment(rng.bounds, key)] == AFFECTED


def _fixes_above(rng: Compiled, probe: Probe) -> list[tuple[str, str, str]]:
    """The range's ``fixed`` events above the installed version, in evaluation order."""
    key = _key_for(rng, probe)
    if key is not None:
        return [f for f in rng.fixed if f[0] > key]
    installed, public = as_versions(probe)
    return [
        (order_key(e.version), e.text, version_key(e.version))
        for e in prepare(rng.events or ())[0]
        if e.kind == "fixed"
        and e.version is not None
        and against(installed, public, e.version) < e.version
    ]


def evaluate_range(rng: AffectedRange, installed: Version) -> RangeResult:
    prepared = prepare(_pairs(rng.events))
    affected, decided_by, outside = scan(prepared, installed, public_version(installed))
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


def _affected(record: PackageRecord, probe: Probe) -> bool:
    """``_match(record, probe)[0]``, stopping at the first hit."""
    if record.advisory.withdrawn:
        return False
    # Asked for every record and every candidate fix: _contains is written out for the
    # common probe (no local label).
    key = probe.key if probe.version is probe.public else None
    for entry in record.entries:
        keys = entry.keys
        if keys:
            for needle in probe.needles:
                if needle in keys:
                    return True
        for rng in entry.ranges:
            if key is None:
                if _contains(rng, probe):
                    return True
                continue
            bounds = rng.bounds
            low = bisect_left(bounds, key)
            if low < len(bounds) and bounds[low] == key:
                low = 2 * low + 1
            else:
                low *= 2
            if rng.states[low] == AFFECTED:
                return True
    return False


def _match(record: PackageRecord, probe: Probe) -> tuple[bool, list[Fix]]:
    """Whether the record affects the version, and the fixes (unsorted)."""
    if record.advisory.withdrawn:
        return False, []
    # Asked for every record of every package checked: _contains and _fixes_above are
    # written out for the common probe (no local label), as in _affected.
    key = probe.key if probe.version is probe.public else None
    hit = False
    found: list[Fix] = []
    for entry in record.entries:
        keys = entry.keys
        listed = False
        if keys:
            for needle in probe.needles:
                if needle in keys:
                    listed = True
                    break
        if key is None:
            containing = [rng for rng in entry.ranges if _contains(rng, probe)]
        else:
            containing = []
            for rng in entry.ranges:
                bounds = rng.bounds
                low = bisect_left(bounds, key)
                if low < len(bounds) and bounds[low] == key:
                    low = 2 * low + 1
                else:
                    low *= 2
                if rng.states[low] == AFFECTED:
                    containing.append(rng)
        if not containing:
            if not listed:
                continue
            # Listed but in no range (an inconsistent record): offer the next fix above it.
            containing = list(entry.ranges)
        hit = True
        for rng in containing:
            fixed = rng.fixed
            if key is not None and len(fixed) == 1:  # most ranges name one fix: no list
                if fixed[0][0] > key:
                    found.append(fixed[0][:2])
                continue
            above = _fixes_above(rng, probe) if key is None else [f for f in fixed if f[0] > key]
            if len(above) == 1:
                found.append(above[0][:2])
            elif above:
                found.append(min((order, text) for order, text, _ in above))
    return hit, found


def affects(advisory: Advisory, name: NormalizedName, version: Version | Parts) -> bool:
    """True when ``advisory`` says ``name`` at ``version`` is affected (OSV ``IsVulnerable``)."""
    return _affected(_record_of(advisory, canonicalize_name(name)), probe_of(version))


def fixed_versions(
    advisory: Advisory, name: NormalizedName, version: Version | Parts
) -> tuple[str, ...]:
    """The fixes for ``version``: per range of this package that contains it, ascending.

    From each containing range, the first ``fixed`` event above the installed version. When
    only the ``versions`` list matched (no range contains the version — an inconsistent
    record), the smallest ``fixed`` above the version in that entry's ranges is offered.
    Empty when no fix is known (open range, ``last_affected`` only, or not affected).
    """
    record = _record_of(advisory, canonicalize_name(name))
    hit, found = _match(record, probe_of(version))
    return unique_sorted(found) if hit else ()


def closing_version(
    advisories: Iterable[Advisory], name: NormalizedName, version: Version | Parts
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


def closing_fix(
    records: Iterable[PackageRecord],
    version: Version | Parts,
    affecting: Iterable[PackageRecord] | None = None,
) -> str | None:
    """``closing_version`` over the package records of one package. ``affecting``, when
    given, are the records ``find_matching`` found affecting ``version`` (those not among
    ``records`` are left out), so they are not asked again."""
    probe = probe_of(version)
    relevant = [r for r in records if not r.advisory.withdrawn]
    if affecting is None:
        matching = [r for r in relevant if _affected(r, probe)]
    else:
        counted = set(map(id, relevant))
        matching = [r for r in affecting if id(r) in counted]
    if not matching:
        return None
    candidates: dict[str, tuple[str, str]] = {}  # order key: (text, equality key)
    installed = probe.key if probe.version is probe.public else None
    for record in relevant:
        for entry in record.entries:
            for rng in entry.ranges:
                if installed is None:
                    for key, text, equal in _fixes_above(rng, probe):
                        candidates.setdefault(key, (text, equal))
                    continue
                for key, text, equal in rng.fixed:  # _fixes_above, for the common probe
                    if key > installed:
                        candidates.setdefault(key, (text, equal))
    if not candidates:
        return None
    ordered = sorted(candidates)
    # The candidates no matching record affects (each an exact release, compared as itself,
    # local label and all): ranges in one pass each, then versions lists for the rest.
    by_matching = bytearray(len(ordered))
    for record in matching:
        for entry in record.entries:
            for rng in entry.ranges:
                mark_covered(rng, ordered, by_matching)
    closing = [key for i, key in enumerate(ordered) if not by_matching[i]]
    closing = [key for key in closing if not _listed(matching, candidates[key][1])]
    if not closing:
        return None
    # Preferred: the first of them no other record affects either; else the first of them.
    chosen = set(map(id, matching))
    others = [r for r in relevant if id(r) not in chosen]
    by_others = bytearray(len(closing))
    for record in others:
        for entry in record.entries:
            for rng in entry.ranges:
                mark_covered(rng, closing, by_others)
    for i, key in enumerate(closing):
        if not (by_others[i] or _listed(others, candidates[key][1])):
            return candidates[key][0]
    return candidates[closing[0]][0]


def _listed(records: list[PackageRecord], equal: str) -> bool:
    """Whether a versions list of ``records`` names the release of equality key ``equal``
    (in loops: any() over a generator costs a third more)."""
    needle = f" {equal} "
    for record in records:
        for entry in record.entries:
            if needle in entry.keys:
                return True
    return False


def find(
    advisories: Iterable[Advisory], name: NormalizedName, version: Version | Parts
) -> tuple[Finding, ...]:
    """Every problem ``advisories`` report for ``name`` at ``version``, one Finding per group.

    Matching records are grouped transitively through their ids and aliases (A lists B and
    B lists C: one finding). Findings are ordered by display id.
    """
    name = canonicalize_name(name)
    return find_in([_record_of(a, name) for a in advisories], version)


def find_in(records: Iterable[PackageRecord], version: Version | Parts) -> tuple[Finding, ...]:
    """``find`` over the package records of one package."""
    return find_matching(records, version)[0]


def find_matching(
    records: Iterable[PackageRecord], version: Version | Parts
) -> tuple[tuple[Finding, ...], tuple[PackageRecord, ...]]:
    """``find_in``, and the records that affect ``version`` (what ``closing_fix`` asks)."""
    if not records:
        return (), ()
    probe = probe_of(version)
    matched: list[tuple[Advisory, list[Fix]]] = []
    related: list[Advisory] = []
    affecting: list[PackageRecord] = []
    for record in records:
        hit, fixes = _match(record, probe)
        if hit:
            matched.append((record.advisory, fixes))
            affecting.append(record)
        else:
            related.append(record.advisory)
    return group_findings(matched, related), tuple(affecting)
