"""Audit orchestration: dependencies + advisory records -> an AuditReport.

Pure: the advisory lookup is passed in as a function (the SQLite store provides one), so this
module neither opens files nor talks to the network. Ignores are applied by the caller's policy
step before fix requirements are computed, so a fix only ever targets active findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.version import Version

from pipvet.advisories.match import closing_version, find, version_or_none
from pipvet.advisories.osv import MalformedRecord, parse_advisory_json
from pipvet.models import Advisory, Dependency, DependencyResult, NormalizedName

RecordLookup = Callable[[Iterable[NormalizedName]], Mapping[NormalizedName, Sequence[str]]]


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
    """Attach ``name>=X``: the smallest fixed release that closes every active finding."""
    return tuple(
        replace(r, fix_requirement=fix_requirement(r, advisories.get(r.dependency.name, ())))
        for r in results
    )


def fix_requirement(result: DependencyResult, advisories: Sequence[Advisory]) -> str | None:
    active = [f for f in result.findings if not f.ignored]
    version = version_or_none(result.dependency.version or "")
    if not active or version is None:
        return None
    # Ignored problems must not steer the advice; every other record still counts, so the
    # suggestion does not walk into the next known vulnerability.
    ignored = {rid for f in result.findings if f.ignored for rid in f.records}
    counted = [a for a in advisories if a.id not in ignored]
    target = closing_version(counted, result.dependency.name, version)
    return None if target is None else f"{result.dependency.label}>={target}"
