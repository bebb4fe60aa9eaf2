"""Package records as text: what the advisory store keeps beside each record, per package it
affects, so an audit matches without decompressing or parsing whole records. Pure.

A digest is lines: a compact JSON array of the facts and the ranges, the first line of the
details, and the versions keys of each entry (one line each)::

    [id, modified, aliases, summary, cvss, database_severity, malicious, withdrawn,
     [[range, ...] per entry]]   with range = [bounds, states, fixed, events or null]
    details_head
    keys of entry 1
    ...

The long texts (details, versions keys) stay out of the JSON: splitting them off costs less
than scanning them as JSON strings. Neither can hold a line break: keys are versions without
spaces between spaces, and the head is one of ``str.splitlines``'s lines.

A range is ``pipvet.advisories.ranges.Compiled``: its interval table, so an audit parses no
version of a record; ``fixed`` is ``[[order key, text, equality key], ...]`` and its events
(``[[kind, version], ...]``) are kept only when a bound has a local label.

``details_head`` is the first non-blank line of ``details`` when the summary is empty (the only
use findings make of details), else "". ``keys`` is ``versions.versions_keys`` of the entry's
versions list, so ``FORMAT`` must change whenever the equality keys, the order keys, the
evaluation the tables hold or this layout do: the store then rebuilds every digest from the
records it holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain
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
    facts = json.dumps(
        [
            a.id,
            a.modified,
            list(a.aliases),
            a.summary,
            [list(pair) for pair in a.cvss],
            a.database_severity,
            a.malicious,
            a.withdrawn,
            [[_range_json(rng) for rng in e.ranges] for e in record.entries],
        ],
        separators=(",", ":"),
    )
    return "\n".join([facts, head, *(e.keys for e in record.entries)])


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
        facts, head, *keys = text.split("\n")
        (rid, modified, aliases, summary, cvss, severity, malicious, withdrawn, ranges) = (
            json.loads(facts)
        )
        pairs = tuple(map(tuple, cvss))
        compiled = [tuple(map(_compiled, r)) for r in ranges]
        if (
            type(malicious) is not bool
            or not (severity is None or type(severity) is str)
            or not (withdrawn is None or type(withdrawn) is str)
            or len(compiled) != len(keys)
            or not set(map(len, pairs)) <= _TWO
            or not set(map(type, [rid, modified, summary, *aliases, *chain(*pairs)])) <= _STR
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
        return PackageRecord(advisory, tuple(map(PackageEntry, keys, compiled)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a package record digest: {exc}") from None


def _compiled(rng: list[Any]) -> Compiled:
    bounds, states, fixed, events = rng
    fixed = tuple(map(tuple, fixed))
    events = None if events is None else tuple(map(tuple, events))
    if (
        type(bounds) is not list
        or type(states) is not str
        or len(states) != 2 * len(bounds) + 1
        or states.strip("A-")  # each piece is affected ("A") or not ("-")
        or not set(map(len, fixed)) <= _THREE
        or not (events is None or set(map(len, events)) <= _TWO)
        or not set(map(type, [*bounds, *chain(*fixed), *chain(*(events or ()))])) <= _STR
    ):
        raise ValueError("a range's table is damaged")
    return Compiled(tuple(bounds), states, fixed, events)


_STR = frozenset({str})
_TWO = frozenset({2})
_THREE = frozenset({3})
