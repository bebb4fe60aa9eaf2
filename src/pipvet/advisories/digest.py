"""Package records as text: what the advisory store keeps beside each record, per package it
affects, so an audit matches without decompressing or parsing whole records. Pure.

A digest is one compact JSON array::

    [id, modified, aliases, summary, details_head, cvss, database_severity, malicious,
     withdrawn, entries]   with entries = [[keys, [[[kind, version], ...], ...]], ...]

``details_head`` is the first non-blank line of ``details`` when the summary is empty (the only
use findings make of details), else "". ``keys`` is ``versions.versions_keys`` of the entry's
versions list, so ``FORMAT`` must change whenever the equality keys or this layout do: the
store then rebuilds every digest from the records it holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pipvet.advisories.findings import summary_of
from pipvet.advisories.match import PackageEntry, PackageRecord, package_record
from pipvet.models import Advisory, NormalizedName

__all__ = ["FORMAT", "decode", "digests_of", "encode"]

FORMAT = "2"  # 2: stored as plain text (1 was zlib-compressed)


def encode(record: PackageRecord) -> str:
    """The digest text of ``record``."""
    a = record.advisory
    head = "" if a.summary.strip() else summary_of(a)
    return json.dumps(
        [
            a.id,
            a.modified,
            list(a.aliases),
            a.summary,
            head,
            [list(pair) for pair in a.cvss],
            a.database_severity,
            a.malicious,
            a.withdrawn,
            [
                [e.keys, [[list(event) for event in events] for events in e.ranges]]
                for e in record.entries
            ],
        ],
        separators=(",", ":"),
    )


def digests_of(advisory: Advisory, names: Sequence[NormalizedName]) -> tuple[str, ...]:
    """The digest of ``advisory`` for each of ``names``, in that order."""
    return tuple(encode(package_record(advisory, name)) for name in names)


def decode(text: str) -> PackageRecord:
    """The package record a digest describes; ValueError when the text is not a digest."""
    # An audit decodes hundreds of these: the checks stay in C (type(), map, set) while still
    # refusing any shape encode() cannot produce.
    try:
        (rid, modified, aliases, summary, head, cvss, severity, malicious, withdrawn, entries) = (
            json.loads(text)
        )
        pairs = tuple(map(tuple, cvss))
        keys = [keys for keys, _ in entries]
        ranges = [tuple(tuple(map(tuple, events)) for events in r) for _, r in entries]
        events = [e for r in ranges for evs in r for e in evs]
        if (
            type(rid) is not str
            or type(modified) is not str
            or type(summary) is not str
            or type(head) is not str
            or type(malicious) is not bool
            or not (severity is None or type(severity) is str)
            or not (withdrawn is None or type(withdrawn) is str)
            or not {*map(type, aliases), *map(type, keys)} <= _STR
            or not {*map(len, pairs), *map(len, events)} <= _TWO
            or not {type(x) for pair in (*pairs, *events) for x in pair} <= _STR
        ):
            raise ValueError("a field has the wrong type")
        advisory = Advisory(
            id=rid,
            modified=modified,
            aliases=tuple(aliases),
            summary=summary,
            details=head,
            cvss=pairs,
            database_severity=severity,
            malicious=malicious,
            withdrawn=withdrawn,
        )
        return PackageRecord(advisory, tuple(map(PackageEntry, keys, ranges)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a package record digest: {exc}") from None


_STR = frozenset({str})
_TWO = frozenset({2})
