"""Audit orchestration: dependencies + advisory records -> an AuditReport.

Pure: the advisory lookup is passed in as a function (the SQLite store provides one), so this
module neither opens files nor talks to the network. Ignores are applied by the caller's policy
step before fix requirements are computed, so a fix only ever targets active findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.version import Version

from pipvet.advisories.match import find, version_or_none
from pipvet.advisories.osv import MalformedRecord, parse_advisory_json
from pipvet.models import Advisory, Dependency, DependencyResult, Finding, NormalizedName

RecordLookup = Callable[[Iterable[NormalizedName]], Mapping[NormalizedName, Sequence[str]]]

# A fix suggestion is re-checked against every advisory for the package; each round moves
# past one more advisory, so a handful of rounds covers any real package.
_MAX_FIX_ROUNDS = 50


@dataclass(frozen=True)
class MatchOutcome:
    results: tuple[DependencyResult, ...]
    advisories: Mapping[NormalizedName, tuple[Advisory, ...]]
    warnings: tuple[str, ...]


def match_dependencies(deps: Sequence[Dependency], lookup: RecordLookup) -> MatchOutcome:
    """Find the advisories affecting each dependency; unparseable versions become skipped."""
    warnings: list[str] = []
    checkable: list[tuple[Dependency, Version]] = []
    prepared: list[Dependency | tuple[Dependency, Version]] = []
    for dep in deps:
        if dep.skipped is not None or dep.version is None:
            reason = dep.skipped or "no version known: cannot be checked"
            prepared.append(replace(dep, skipped=reason))
            continue
        parsed = version_or_none(dep.version)
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

    names = sorted({dep.name for dep, _ in checkable})
    raw = lookup(names) if names else {}
    advisories = _parse_all(raw, warnings)

    results: list[DependencyResult] = []
    for item in prepared:
        if isinstance(item, Dependency):
            results.append(DependencyResult(item))
            continue
        dep, version = item
        found = find(advisories.get(dep.name, ()), dep.name, version)
        results.append(DependencyResult(dep, found))
    return MatchOutcome(tuple(results), advisories, tuple(warnings))


def _parse_all(
    raw: Mapping[NormalizedName, Sequence[str]], warnings: list[str]
) -> dict[NormalizedName, tuple[Advisory, ...]]:
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
    results: Sequence[DependencyResult], advisories: Mapping[NormalizedName, Sequence[Advisory]]
) -> tuple[DependencyResult, ...]:
    """Attach ``name>=X`` where X is the smallest fixed release closing every active finding."""
    return tuple(
        replace(r, fix_requirement=fix_requirement(r, advisories.get(r.dependency.name, ())))
        for r in results
    )


def fix_requirement(result: DependencyResult, advisories: Sequence[Advisory]) -> str | None:
    active = [f for f in result.findings if not f.ignored]
    if not active or result.dependency.version is None:
        return None
    candidate = _smallest_common_fix(active)
    if candidate is None:
        return None
    name = result.dependency.name
    active_ids = {i for f in active for i in f.all_ids}
    for _ in range(_MAX_FIX_ROUNDS):
        # The suggested release must not itself be hit by one of the problems we are fixing
        # (a later advisory may affect the fixed release); ignored problems stay ignored.
        still = [f for f in find(advisories, name, candidate) if set(f.all_ids) & active_ids]
        if not still:
            return f"{result.dependency.label}>={candidate}"
        nxt = _smallest_common_fix(still)
        if nxt is None or nxt <= candidate:
            return None
        candidate = nxt
    return None


def _smallest_common_fix(findings: Sequence[Finding]) -> Version | None:
    """The lowest version that is at or above some fix of every finding."""
    lowest_fixes: list[Version] = []
    for finding in findings:
        fixes = [v for v in (version_or_none(s) for s in finding.fixed_in) if v is not None]
        if not fixes:
            return None
        lowest_fixes.append(min(fixes))
    return max(lowest_fixes)
