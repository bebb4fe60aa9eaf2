"""Audit orchestration: dependencies + advisory records -> an AuditReport.

Pure: the advisory lookup is passed in as a function (the SQLite store provides one), so this
module neither opens files nor talks to the network. Ignores are applied by the caller's policy
step before fix requirements are computed, so a fix only ever targets active findings.

Two lookups give the same results: ``match_records`` takes package records ready for matching
(what the store keeps since the last sync), ``match_dependencies`` raw OSV JSON texts, which
are parsed here and skipped with a warning when malformed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from pipvet.advisories.match import (
    PackageRecord,
    closing_fix,
    find_matching,
    package_record,
)
from pipvet.advisories.probe import probe_of
from pipvet.frozen import field, frozen, replace
from pipvet.models import Advisory, Dependency, DependencyResult, NormalizedName
from pipvet.pep440 import Parts, parse

RecordLookup = Callable[[Iterable[NormalizedName]], Mapping[NormalizedName, Sequence[str]]]
Affecting = tuple[NormalizedName, str]  # a dependency's name and version as written
PackageRecordLookup = Callable[
    [Iterable[NormalizedName]], Mapping[NormalizedName, Sequence[PackageRecord]]
]


@frozen
class MatchOutcome:
    results: tuple[DependencyResult, ...]
    # Every record naming each checked package (matching or not): fix advice needs them all.
    records: Mapping[NormalizedName, Sequence[PackageRecord]]
    warnings: tuple[str, ...]
    # The records affecting each checked (name, version as written): fix advice need not
    # ask them again.
    affecting: Mapping[Affecting, Sequence[PackageRecord]] = field(default_factory=dict)


def match_dependencies(deps: Sequence[Dependency], lookup: RecordLookup) -> MatchOutcome:
    """Find the advisories affecting each dependency from raw OSV JSON texts; unparseable
    versions become skipped, malformed records are skipped with a warning."""
    warnings: list[str] = []

    def records(
        names: Iterable[NormalizedName],
    ) -> Mapping[NormalizedName, Sequence[PackageRecord]]:
        advisories = _parse_all(lookup(names), warnings)
        return {n: [package_record(a, n) for a in advs] for n, advs in advisories.items()}

    outcome = match_records(deps, records)
    return MatchOutcome(
        outcome.results, outcome.records, (*warnings, *outcome.warnings), outcome.affecting
    )


def match_records(deps: Sequence[Dependency], lookup: PackageRecordLookup) -> MatchOutcome:
    """Find the advisories affecting each dependency; unparseable versions become skipped."""
    checkable: list[tuple[Dependency, Parts]] = []
    prepared: list[Dependency | tuple[Dependency, Parts]] = []
    for dep in deps:
        if dep.skipped is not None or dep.version is None:
            reason = dep.skipped or "no version known: cannot be checked"
            prepared.append(replace(dep, skipped=reason))
            continue
        # Read without packaging (pep440): exactly the versions Version reads, no other.
        parsed = parse(dep.version)
        if parsed is None:
            prepared.append(
                replace(
                    dep,
                    skipped=(
                        f"version {dep.version!r} is not a valid PEP 440 version, so it cannot "
                        "be compared with advisory ranges; upgrade to a release with a standard "
                        "version"
                    ),
                )
            )
            continue
        checkable.append((dep, parsed))
        prepared.append((dep, parsed))

    versions: dict[NormalizedName, list[Parts]] = {}
    for dep, parsed in checkable:
        versions.setdefault(dep.name, []).append(parsed)
    records = lookup(LowestKeys(versions)) if versions else {}

    results: list[DependencyResult] = []
    affecting: dict[Affecting, Sequence[PackageRecord]] = {}
    for item in prepared:
        if isinstance(item, Dependency):
            results.append(DependencyResult(item))
            continue
        dep, version = item
        found = records.get(dep.name)
        if not found:  # most packages: no record to match, no fix to advise
            results.append(DependencyResult(dep))
            continue
        findings, affecting[(dep.name, dep.version or "")] = find_matching(found, version)
        results.append(DependencyResult(dep, findings))
    return MatchOutcome(tuple(results), records, (), affecting)


class LowestKeys(Mapping[NormalizedName, str]):
    """Each name asked about, with the order key of the lowest public version asked about:
    a lookup that can (the store) leaves out the names none of whose records reach that high,
    any other reads the names. A key is made when asked for: the store asks only of the names
    it holds records for, a few of most files of pins."""

    __slots__ = ("_versions",)

    def __init__(self, versions: dict[NormalizedName, list[Parts]]) -> None:
        self._versions = versions

    def __getitem__(self, name: NormalizedName) -> str:
        return min(probe_of(parsed).public_key for parsed in self._versions[name])

    def __iter__(self) -> Iterator[NormalizedName]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)


def _parse_all(
    raw: Mapping[NormalizedName, Sequence[str]], warnings: list[str]
) -> dict[NormalizedName, tuple[Advisory, ...]]:
    # Imported here: the audit of a current database matches digests, not records.
    from pipvet.advisories.osv import MalformedRecord, parse_advisory_json

    parsed_by_text: dict[str, Advisory | None] = {}
    out: dict[NormalizedName, tuple[Advisory, ...]] = {}
    for name, texts in raw.items():
        advs: list[Advisory] = []
        for text in texts:
            if text not in parsed_by_text:
                try:
                    parsed_by_text[text] = parse_advisory_json(text)
                except MalformedRecord as exc:
                    parsed_by_text[text] = None
                    warnings.append(f"skipped a malformed advisory record: {exc}")
            adv = parsed_by_text[text]
            if adv is not None:
                advs.append(adv)
        out[name] = tuple(advs)
    return out


def with_fix_requirements(
    results: Sequence[DependencyResult],
    records: Mapping[NormalizedName, Sequence[PackageRecord]],
    affecting: Mapping[Affecting, Sequence[PackageRecord]] | None = None,
) -> tuple[DependencyResult, ...]:
    """Attach ``name>=X``: the smallest fixed release that closes every active finding.
    ``affecting`` is ``MatchOutcome.affecting``; without it the records are asked again."""
    out: list[DependencyResult] = []
    known = affecting or {}
    for r in results:
        if not r.findings:  # most results: nothing to fix, kept as they are
            out.append(r if r.fix_requirement is None else replace(r, fix_requirement=None))
            continue
        dep = r.dependency
        fix = fix_requirement(
            r, records.get(dep.name, ()), known.get((dep.name, dep.version or ""))
        )
        # Positional: a third of replace()'s cost (test_fix_advice_is_attached_as_replace_would
        # checks these are every field).
        out.append(r if fix == r.fix_requirement else DependencyResult(dep, r.findings, fix))
    return tuple(out)


def fix_requirement(
    result: DependencyResult,
    records: Sequence[PackageRecord],
    affecting: Sequence[PackageRecord] | None = None,
) -> str | None:
    active = [f for f in result.findings if not f.ignored]
    version = parse(result.dependency.version or "")
    if not active or version is None:
        return None
    # Ignored problems must not steer the advice; every other record still counts, so the
    # suggestion does not walk into the next known vulnerability.
    ignored = {rid for f in result.findings if f.ignored for rid in f.records}
    counted = [r for r in records if r.advisory.id not in ignored] if ignored else records
    target = closing_fix(counted, version, affecting)
    return None if target is None else f"{result.dependency.label}>={target}"
