"""Package records as text: what the advisory store keeps beside each record, per package it
affects, so an audit matches without decompressing or parsing whole records. Pure.

A digest is one compact JSON array::

    [id, modified, aliases, summary, details_head, cvss, database_severity, malicious,
     withdrawn, entries]   with entries = [[keys, [[[kind, version], ...], ...]], ...]

``details_head`` is the first non-blank line of ``details`` when the summary is empty (the only
use findings make of details), else "". ``keys`` is ``match.versions_keys`` of the entry's
versions list, so ``FORMAT`` must change whenever the equality keys or this layout do: the
store then rebuilds every digest from the records it holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pipvet.advisories.findings import summary_of
from pipvet.advisories.match import Events, PackageEntry, PackageRecord, package_record
from pipvet.models import Advisory, NormalizedName

__all__ = ["FORMAT", "decode", "digests_of", "encode"]

FORMAT = "1"


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
    try:
        data = json.loads(text)
        (rid, modified, aliases, summary, head, cvss, severity, malicious, withdrawn, entries) = (
            data
        )
        advisory = Advisory(
            id=_text(rid),
            modified=_text(modified),
            aliases=tuple(_text(alias) for alias in aliases),
            summary=_text(summary),
            details=_text(head),
            cvss=tuple((_text(kind), _text(score)) for kind, score in cvss),
            database_severity=None if severity is None else _text(severity),
            malicious=_flag(malicious),
            withdrawn=None if withdrawn is None else _text(withdrawn),
        )
        return PackageRecord(
            advisory, tuple(PackageEntry(_text(keys), _ranges(ranges)) for keys, ranges in entries)
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a package record digest: {exc}") from None


def _ranges(ranges: list[list[list[str]]]) -> tuple[Events, ...]:
    return tuple(
        tuple((_text(kind), _text(version)) for kind, version in events) for events in ranges
    )


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
