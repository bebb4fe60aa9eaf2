"""Package records as text: what the advisory store keeps beside each record, per package it
affects, so an audit matches without decompressing or parsing whole records. Pure.

A digest is one compact JSON array::

    [id, modified, aliases, summary, details_head, cvss, database_severity, malicious,
     withdrawn, entries]   with entries = [[keys, [range, ...]], ...]
    and range = [bounds, states, [[order key, text, equality key], ...], events or null]

A range is ``pipvet.advisories.ranges.Compiled``: its interval table, so an audit parses no
version of a record; its events (``[[kind, version], ...]``) are kept only when a bound has a
local label.

``details_head`` is the first non-blank line of ``details`` when the summary is empty (the only
use findings make of details), else "". ``keys`` is ``versions.versions_keys`` of the entry's
versions list, so ``FORMAT`` must change whenever the equality keys, the order keys, the
evaluation the tables hold or this layout do: the store then rebuilds every digest from the
records it holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipvet.advisories.findings import summary_of
from pipvet.advisories.match import PackageEntry, PackageRecord, package_record
from pipvet.advisories.ranges import Compiled
from pipvet.models import Advisory, NormalizedName

__all__ = ["FORMAT", "decode", "digests_of", "encode"]

# 3: ranges as interval tables (2 kept events; 1 was zlib-compressed)
FORMAT = "3"


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
            [[e.keys, [_range_json(rng) for rng in e.ranges]] for e in record.entries],
        ],
        separators=(",", ":"),
    )


def _range_json(rng: Compiled) -> list[object]:
    events = None if rng.events is None else [list(event) for event in rng.events]
    return [list(rng.bounds), rng.states, [list(f) for f in rng.fixed], events]


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
        ranges = [tuple(map(_compiled, r)) for _, r in entries]
        events = [e for r in ranges for rng in r for e in rng.events or ()]
        fixed = [f for r in ranges for rng in r for f in rng.fixed]
        strings = [s for r in ranges for rng in r for s in (rng.states, *rng.bounds)]
        if (
            type(rid) is not str
            or type(modified) is not str
            or type(summary) is not str
            or type(head) is not str
            or type(malicious) is not bool
            or not (severity is None or type(severity) is str)
            or not (withdrawn is None or type(withdrawn) is str)
            or not {*map(type, aliases), *map(type, keys), *map(type, strings)} <= _STR
            or not {*map(len, pairs), *map(len, events)} <= _TWO
            or not set(map(len, fixed)) <= _THREE
            or not {type(x) for pair in (*pairs, *events, *fixed) for x in pair} <= _STR
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


def _compiled(rng: list[Any]) -> Compiled:
    bounds, states, fixed, events = rng
    if len(states) != 2 * len(bounds) + 1:
        raise ValueError("a range's table does not fit its bounds")
    return Compiled(
        tuple(bounds),
        states,
        tuple(map(tuple, fixed)),
        None if events is None else tuple(map(tuple, events)),
    )


_STR = frozenset({str})
_TWO = frozenset({2})
_THREE = frozenset({3})
