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

import functools
from collections.abc import Iterable, Sequence

from pipvet.advisories.store_model import utc_micros
from pipvet.models import Advisory, Finding, Severity
from pipvet.severity import severity_of

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # imported by _newest when a time is not in the usual spelling
    from datetime import datetime

__all__ = ["Fix", "Matched", "group_findings", "id_sort_key", "summary_of", "unique_sorted"]

_ID_CLASSES = ("PYSEC", "GHSA", "CVE")

# A fixed version: its order key (``ranges.order_key``: sorts and compares as the version) and
# its text as the record spells it.
Fix = tuple[str, str]
Matched = tuple[Advisory, Sequence[Fix]]  # a record that affects the version, and its fixes


@functools.lru_cache(maxsize=65536)
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


def _add(group_of: dict[str, set[str]], group: set[str], names: Iterable[str]) -> set[str]:
    """``names`` join ``group`` (a set of ids, the group's identity); a name already in another
    group merges the two (the larger one absorbs the smaller). Returns the group they are in."""
    for name in names:
        other = group_of.get(name)
        if other is None:
            group.add(name)
            group_of[name] = group
        elif other is not group:
            if len(other) < len(group):
                other, group = group, other
            for moved in group:
                group_of[moved] = other
            other |= group
            group = other
    return group


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
    every = [(advisory.id, *advisory.aliases) for advisory, _ in matched]
    known = set().union(*every)  # the ids of matching records only
    if len(known) == sum(map(len, every)) and not any(
        advisory.id in known or not known.isdisjoint(advisory.aliases) for advisory in related
    ):
        # No matching record names another and no other record names one (nearly every
        # package): each record is a finding of its own, with its own ids.
        findings = [_finding([item], ids, ()) for item, ids in zip(matched, every, strict=True)]
    else:
        findings = _grouped(matched, related, known)
    if len(findings) > 1:
        findings.sort(key=_finding_order)
    return tuple(findings)


def _grouped(
    matched: Sequence[Matched], related: Sequence[Advisory], known: set[str]
) -> list[Finding]:
    """``group_findings``' findings, unordered, when records name each other."""
    group_of: dict[str, set[str]] = {}
    for advisory, _ in matched:
        _add(group_of, group_of.get(advisory.id) or set(), (advisory.id, *advisory.aliases))
    joined: list[Advisory] = []  # related records that name one matching problem
    for advisory in related:
        # Most of a package's other records name none of these ids: no set built for them.
        if advisory.id not in known and known.isdisjoint(advisory.aliases):
            continue
        names = {advisory.id, *advisory.aliases}
        groups = {id(g): g for g in (group_of[n] for n in names & known)}
        # A record that does not affect this version adds its ids to one problem, but never
        # joins two: that would merge findings on the word of a record that does not apply.
        if not advisory.withdrawn and len(groups) == 1:
            _add(group_of, groups.popitem()[1], names)
            joined.append(advisory)
    members: dict[int, tuple[set[str], list[Matched]]] = {}
    for item in matched:
        group = group_of[item[0].id]
        members.setdefault(id(group), (group, []))[1].append(item)
    rated: dict[int, list[Advisory]] = {}
    for advisory in joined:  # grouped once every merge is done
        rated.setdefault(id(group_of[advisory.id]), []).append(advisory)
    return [_finding(items, group, rated.get(key, ())) for key, (group, items) in members.items()]


def _finding_order(finding: Finding) -> tuple[int, str]:
    return id_sort_key(finding.id)


def _finding(group: list[Matched], ids: Iterable[str], joined: Sequence[Advisory]) -> Finding:
    ordered_ids = sorted(ids, key=id_sort_key)
    display = ordered_ids[0]
    if len(group) == 1:  # most problems have one matching record: nothing to choose
        lead, fixes = group[0]
        records: Sequence[Advisory] = (lead,)
        summary = summary_of(lead)
        modified = lead.modified
        malicious = lead.malicious
        shown_ids: tuple[str, ...] = (lead.id,)
    else:
        records = sorted((a for a, _ in group), key=lambda a: id_sort_key(a.id))
        lead = next((a for a in records if a.id == display), records[0])
        fixes = [fix for _, group_fixes in group for fix in group_fixes]
        summary = summary_of(lead) or next((s for a in records if (s := summary_of(a))), "")
        modified = _newest(a.modified for a in records)
        malicious = any(a.malicious for a in records)
        shown_ids = tuple(dict.fromkeys(a.id for a in records))
    if len(records) == 1 and not joined:  # one rating: nothing to compare
        severity = severity_of(lead)
    else:
        severity = max([*map(severity_of, records), *map(severity_of, joined)], key=_severity_key)
    # Positional, in Finding's field order (a third cheaper than keywords;
    # test_findings_are_built_in_field_order checks the order).
    return Finding(
        "malware" if malicious or any(map(_malware_id, ordered_ids)) else "vulnerability",
        display,
        tuple(sorted(ordered_ids[1:])),
        summary,
        severity,
        (fixes[0][1],) if len(fixes) == 1 else unique_sorted(fixes),
        shown_ids,
        modified,
    )


@functools.lru_cache(maxsize=65536)
def _malware_id(advisory_id: str) -> bool:
    return advisory_id.upper().startswith("MAL-")


def summary_of(advisory: Advisory) -> str:
    """The record's summary, else the first non-blank line of its details."""
    summary = advisory.summary.strip()
    if summary:
        return summary
    for line in advisory.details.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _modified_key(text: str) -> tuple[int, datetime | str]:
    from datetime import datetime

    # ISO times with and without fractions do not sort as strings ("58.3Z" < "58Z").
    try:
        return (1, datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return (0, text)


def _newest(times: Iterable[str]) -> str:
    texts = list(times)
    # UTC times in the usual spelling (most records), compared without datetime: the same
    # instants in the same order (store_model.utc_micros), ties broken by the text as below.
    micros = [utc_micros(t) for t in texts]
    if None not in micros:
        return max(zip(micros, texts, strict=True))[1]
    from datetime import datetime

    parsed = [(_modified_key(t), t) for t in texts]
    aware = [(k[1], t) for k, t in parsed if isinstance(k[1], datetime) and k[1].tzinfo]
    if aware and len(aware) == len(parsed):
        return max(aware)[1]
    return max(t for _, t in parsed)


def _severity_key(severity: Severity) -> tuple[int, float]:
    return (int(severity.label), severity.score if severity.score is not None else -1.0)
