"""Asking the advisory store about every version the fleet uses, once per (name, version),
through the same audit run as ``pipvet audit`` (policy ignores, fix advice, damaged-store
rebuild); and reading the package records ``floors`` needs to test candidate releases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from pipvet.advisories.match import PackageRecord, package_record
from pipvet.advisories.osv import MalformedRecord, parse_advisory_json
from pipvet.advisories.store import AdvisoryStore
from pipvet.advisories.sync_model import SyncOutcome
from pipvet.audit.run import Collected, audit
from pipvet.fleet.analyse import versions_to_check
from pipvet.fleet.model import Row
from pipvet.models import AuditReport, Dependency, NormalizedName
from pipvet.policy import Policy

__all__ = ["audit_versions", "package_records"]


def audit_versions(
    rows: Iterable[Row],
    outcome: SyncOutcome,
    *,
    policy: Policy,
    clock: Callable[[], float],
    rebuild: Callable[[], SyncOutcome] | None = None,
    target: str = "fleet",
) -> AuditReport:
    deps = tuple(Dependency(name, version, name) for name, version in versions_to_check(rows))
    return audit(Collected(deps, target), outcome, policy=policy, clock=clock, rebuild=rebuild)


def package_records(
    store_path: Path, names: Sequence[NormalizedName]
) -> Mapping[NormalizedName, Sequence[PackageRecord]]:
    """Every advisory record naming each package, ready for matching."""
    with AdvisoryStore.open(store_path) as store:
        if store.has_package_records:
            return store.package_records_for(names)
        out: dict[NormalizedName, list[PackageRecord]] = {}
        for name, texts in store.raw_records_for(names).items():
            for text in texts:
                try:
                    out.setdefault(name, []).append(package_record(parse_advisory_json(text), name))
                except MalformedRecord:
                    continue
        return out
