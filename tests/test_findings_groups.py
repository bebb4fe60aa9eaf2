"""Grouping matching records into findings, against the union-find over ids it replaced: on
generated records (shared ids and aliases, related records, withdrawn ones, severities, fixes,
summaries and modified times) both must give the same findings, field for field."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from pipvet.advisories.findings import (
    Matched,
    _newest,
    _severity_key,
    group_findings,
    id_sort_key,
    summary_of,
    unique_sorted,
)
from pipvet.models import Advisory, Finding, Severity
from pipvet.severity import severity_of

# The implementation before this one, kept as the reference.


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


def old_group_findings(
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


_ids = st.sampled_from(
    ["PYSEC-1", "PYSEC-2", "GHSA-a", "GHSA-b", "CVE-1", "CVE-2", "OSV-1", "MAL-1", "X-9"]
)
_vectors = st.sampled_from(
    [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "garbage",
    ]
)
_advisories = st.builds(
    lambda rid, aliases, summary, details, modified, cvss, label, malicious, withdrawn: Advisory(
        id=rid,
        modified=modified,
        aliases=tuple(a for a in aliases if a != rid),
        summary=summary,
        details=details,
        cvss=tuple(("CVSS_V3", v) for v in cvss),
        database_severity=label,
        malicious=malicious,
        withdrawn=withdrawn,
    ),
    _ids,
    st.lists(_ids, max_size=3),
    st.sampled_from(["", "  ", "a summary", "b summary"]),
    st.sampled_from(["", "first line\nsecond", "\n  \nlate line"]),
    st.sampled_from(
        ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.5Z", "2023-05-05T10:00:00+02:00", "bad"]
    ),
    st.lists(_vectors, max_size=2),
    st.none() | st.sampled_from(["HIGH", "low", "moderate"]),
    st.booleans(),
    st.none() | st.just("2024-02-02T00:00:00Z"),
)
_fixes = st.lists(
    st.sampled_from([("A1!", "1.0"), ("A1!", "1"), ("A2!", "2.0"), ("A1A5!", "1.5")]), max_size=2
)


@given(st.lists(st.tuples(_advisories, _fixes), max_size=6), st.lists(_advisories, max_size=5))
@settings(max_examples=600)
def test_grouping_gives_the_findings_the_union_find_gave(
    matched: list[tuple[Advisory, list[tuple[str, str]]]], related: list[Advisory]
) -> None:
    assert group_findings(matched, related) == old_group_findings(matched, related)
