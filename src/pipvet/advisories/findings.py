"""Matching advisories become findings: one per alias group. Pure, no I/O.

Records that affect the same installed version and name each other (directly or through a
chain of aliases: A lists B and B lists C) describe one problem, so they become one
``Finding`` carrying every id. Its display id is the most recognisable one (PYSEC, then GHSA,
then CVE, then others); its summary, fixes and modified time come from the whole group. Its
severity is the highest of every record in the group, including the package's records that
do not match this version but name the same problem (a PYSEC record without a rating takes
its GHSA alias's CVSS). Only the facts an ``Advisory`` carries besides its ``affected``
entries are read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pipvet.models import Advisory, Finding, Severity
from pipvet.severity import severity_of

__all__ = ["Fix", "Matched", "group_findings", "id_sort_key", "summary_of", "unique_sorted"]

_ID_CLASSES = ("PYSEC", "GHSA", "CVE")

# A fixed version: its order key (``ranges.order_key``: sorts and compares as the version) and
# its text as the record spells it.
Fix = tuple[str, str]
Matched = tuple[Advisory, Sequence[Fix]]  # a record that affects the version, and its fixes


def id_sort_key(advisory_id: str) -> tuple[int, str]:
    """Display order of ids: PYSEC, then GHSA, then CVE, then others; sorted within a class."""
    prefix = advisory_id.split("-", 1)[0].upper()
    rank = _ID_CLASSES.index(prefix) if prefix in _ID_CLASSES else len(_ID_CLASSES)
    return (rank, advisory_id)


def unique_sorted(pairs: Iterable[Fix]) -> tuple[str, ...]:
    """Fixed versions ascending, one spelling per version (the first in sort order)."""
    seen: dict[str, str] = {}
    for parsed, text in sorted(pairs):
        seen.setdefault(parsed, text)
    return tuple(seen.values())


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


def group_findings(
    matched: Sequence[Matched], related: Sequence[Advisory] = ()
) -> tuple[Finding, ...]:
    """One Finding per alias group of the matching records, ordered by display id.

    ``related`` are the package's other (non-matching) records. They never make a finding,
    but their ids join the group of a problem they alias: a GHSA record that says the same
    CVE was fixed earlier is still the same problem, and an ignore written with its id must
    find it.
    """
    if not matched:
        return ()
    groups = _Groups()
    for advisory, _ in matched:
        groups.find(advisory.id)
        for alias in advisory.aliases:
            groups.union(advisory.id, alias)
    known = set(groups.parent)
    joined: list[Advisory] = []  # related records that name one matching problem
    for advisory in related:
        # Most of a package's other records name none of these ids: no set built for them.
        if advisory.id not in known and known.isdisjoint(advisory.aliases):
            continue
        names = {advisory.id, *advisory.aliases}
        roots = {groups.find(n) for n in names & known}
        # A record that does not affect this version adds its ids to one problem, but never
        # joins two: that would merge findings on the word of a record that does not apply.
        if not advisory.withdrawn and len(roots) == 1:
            root = roots.pop()
            for alias in names:
                groups.union(root, alias)
            joined.append(advisory)
    members: dict[str, list[Matched]] = {}
    for item in matched:
        members.setdefault(groups.find(item[0].id), []).append(item)
    ids_by_root: dict[str, set[str]] = {}
    for item_id in list(groups.parent):
        ids_by_root.setdefault(groups.find(item_id), set()).add(item_id)
    rated: dict[str, list[Severity]] = {}
    for advisory in joined:
        rated.setdefault(groups.find(advisory.id), []).append(severity_of(advisory))
    findings = [
        _finding(group, ids_by_root[root], rated.get(root, ())) for root, group in members.items()
    ]
    return tuple(sorted(findings, key=lambda f: id_sort_key(f.id)))


def _finding(group: list[Matched], ids: set[str], also_rated: Sequence[Severity]) -> Finding:
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
        summary=summary_of(lead) or next((s for a in records if (s := summary_of(a))), ""),
        severity=max([*(severity_of(a) for a in records), *also_rated], key=_severity_key),
        fixed_in=unique_sorted(fix for _, fixes in group for fix in fixes),
        records=tuple(dict.fromkeys(a.id for a in records)),
        modified=_newest(a.modified for a in records),
    )


def summary_of(advisory: Advisory) -> str:
    """The record's summary, else the first non-blank line of its details."""
    if advisory.summary.strip():
        return advisory.summary.strip()
    for line in advisory.details.splitlines():
        if line.strip():
            return line.strip()
    return ""


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


def _severity_key(severity: Severity) -> tuple[int, float]:
    return (int(severity.label), severity.score if severity.score is not None else -1.0)
