"""Package records as text: what the advisory store keeps beside each record, per package it
affects, so an audit matches without decompressing or parsing whole records. Pure.

A digest is lines: the record's ceiling, a compact JSON array of the facts and the ranges,
the first line of the details, and the versions keys of each entry (one line each)::

    ceiling
    [id, modified, aliases, summary, cvss, database_severity, malicious, withdrawn,
     [[range, ...] per entry]]   with range = [bounds, states, fixed, events or null]
    details_head
    keys of entry 1
    ...

The ceiling (``ceiling_of``) is the order key of the highest version the record can affect,
or "" when no such bound is known: a version above it is affected by none of the record's
ranges and listed in none of its versions, so an audit can leave a package out without
decoding any of its digests when the package's every digest is below the installed version
(``below``): nearly every installed package with a history of advisories. The line holds the
key twice, with a space between (keys hold none): a skipped digest is never decoded, so its
ceiling is the one part of it nothing else checks, and a damaged copy shows as two that differ.

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

from _json import make_scanner
from collections.abc import Sequence
from itertools import chain
from math import inf, nan

from pipvet.advisories.findings import summary_of
from pipvet.advisories.match import PackageEntry, PackageRecord, package_record
from pipvet.advisories.ranges import AFFECTED, Compiled
from pipvet.models import Advisory, NormalizedName
from pipvet.pep440 import order_key, parse

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["FORMAT", "below", "ceiling_of", "decode", "digests_of", "encode"]

# 5: the ceiling line first, its key twice (4: once; 3: ranges as interval tables; 2 kept
# events; 1 was zlib-compressed)
FORMAT = "5"


def encode(record: PackageRecord) -> str:
    """The digest text of ``record``."""
    a = record.advisory
    head = "" if a.summary.strip() else summary_of(a)
    import json  # a sync writes digests; an audit only reads them (see _Decoding)

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
    top = ceiling_of(record)
    ceiling = f"{top} {top}" if top else ""
    return "\n".join([ceiling, facts, head, *(e.keys for e in record.entries)])


def ceiling_of(record: PackageRecord) -> str:
    """The order key of the highest version ``record`` can affect: the last bound of each of
    its ranges and each version it lists; "" when a range is open above its last bound or keeps
    its events (a local-labelled bound, compared by ``scan``), and when nothing bounds it."""
    top = ""
    for entry in record.entries:
        for rng in entry.ranges:
            if rng.events is not None or rng.states[-1] == AFFECTED:
                return ""
            if rng.bounds:
                top = max(top, rng.bounds[-1])
        # The equality keys are versions in their normal form: each parses to the version
        # it was made from, so its order key is that version's.
        for key in entry.keys.split():
            parts = parse(key)
            if parts is None:  # not written by versions_keys: nothing to vouch for
                return ""
            top = max(top, order_key(parts))
    return top


def below(text: str, key: str) -> bool:
    """Whether the record of digest ``text`` affects no version whose public version has the
    order key ``key``: its ceiling is known and lower. (The public version's key is at most
    the version's own, and a local build is listed or compared by its public version.)"""
    end = text.find("\n")
    if end <= 0:
        return False
    half = end // 2
    # Compared first: most digests asked about are not below, and only those that are need
    # their line checked.
    return text[:half] < key and _ceiling_key(text[:end]) is not None


def _ceiling_key(line: str) -> str | None:
    """The key a ceiling line holds; None unless it holds the same key twice, and the key
    starts as every order key does (the epoch's length as a capital letter, then a digit) and
    holds the "!" that ends its release: a damaged line never lets ``below`` leave a package
    out, and its digest is decoded and matched as if it had no ceiling."""
    half = len(line) // 2
    key = line[:half]
    if line[half : half + 1] != " " or line[half + 1 :] != key:
        return None
    return key if key[:1] > "@" and key[1:2].isdigit() and "!" in key else None


def _range_json(rng: Compiled) -> list[object]:
    events = None if rng.events is None else [list(event) for event in rng.events]
    return [list(rng.bounds), rng.states, [list(f) for f in rng.fixed], events]


def digests_of(advisory: Advisory, names: Sequence[NormalizedName]) -> tuple[str, ...]:
    """The digest of ``advisory`` for each of ``names``, in that order."""
    return tuple(encode(package_record(advisory, name)) for name in names)


def decode(text: str) -> PackageRecord:
    """The package record a digest describes; ValueError when the text is not a digest."""
    # An audit decodes hundreds of these: the checks stay in C (type(), map, set, and str.join,
    # whose TypeError refuses any item that is not text) while still refusing any shape
    # encode() cannot produce.
    try:
        # Split at three line breaks only: the versions line, the longest, is then looked
        # through by memchr rather than a character at a time.
        # The ceiling is not read here: it only lets ``below`` skip a digest, which checks it.
        _ceiling, facts, head, *keys = text.split("\n", 3)
        if keys and "\n" in keys[0]:  # a record of several entries
            keys = keys[0].split("\n")
        # json.loads without its two Python-level wrappers: the scanner json.loads ends in
        # (same strictness), with json.loads's refusal of text after the value.
        try:
            value, end = _scan(facts, 0)
        except StopIteration:  # the scanner's word for "no JSON value here"
            raise ValueError("the facts are not JSON") from None
        if end != len(facts):
            raise ValueError("text after the facts")
        (rid, modified, aliases, summary, cvss, severity, malicious, withdrawn, ranges) = value
        if (
            type(malicious) is not bool
            or not (severity is None or type(severity) is str)
            or not (withdrawn is None or type(withdrawn) is str)
            or len(ranges) != len(keys)
            or type(rid) is not str
            or type(modified) is not str
            or type(summary) is not str
        ):
            raise ValueError("a field has the wrong type")
        _join(aliases)
        if cvss:  # (a record without a vector skips these)
            if not set(map(type, cvss)) <= _LIST:  # (tuple() would take "ab" as a pair)
                raise ValueError("a field has the wrong type")
            cvss = tuple(map(tuple, cvss))
            if not set(map(len, cvss)) <= _TWO:
                raise ValueError("a field has the wrong type")
            _join(chain.from_iterable(cvss))
        if len(ranges) == 1:  # most records name the package in one entry
            (only,) = ranges  # (not ranges[0]: a damaged digest's dict would raise KeyError)
            entries: tuple[PackageEntry, ...] = (
                PackageEntry(keys[0], tuple(map(_compiled, only))),
            )
        else:
            entries = tuple(
                PackageEntry(line, tuple(map(_compiled, rngs)))
                for line, rngs in zip(keys, ranges, strict=True)
            )
        # Positional: a third cheaper than keywords. Field order: id, modified, aliases,
        # related, summary, details, published, withdrawn, cvss, database_severity, affected,
        # malicious (test_encode_decode_table compares with a keyword-built Advisory).
        advisory = Advisory(
            rid,
            modified,
            tuple(aliases),
            (),
            summary,
            head,
            None,
            withdrawn,
            tuple(cvss),
            severity,
            (),
            malicious,
        )
        return PackageRecord(advisory, entries)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a package record digest: {exc}") from None


def _compiled(rng: list[Any]) -> Compiled:
    bounds, states, fixed, events = rng
    if (
        type(bounds) is not list
        or type(states) is not str
        or len(states) != 2 * len(bounds) + 1
        or states.strip("A-")  # each piece is affected ("A") or not ("-")
        or type(fixed) is not list
    ):
        raise ValueError("a range's table is damaged")
    _join(bounds)
    if len(fixed) == 1:  # most ranges name one fix: checked without a call per check
        (fix,) = fixed
        if type(fix) is not list:
            raise ValueError("a range's table is damaged")
        key, fixed_text, equal = fix
        if type(key) is not str or type(fixed_text) is not str or type(equal) is not str:
            raise ValueError("a range's table is damaged")
        fixes: tuple[tuple[str, str, str], ...] = ((key, fixed_text, equal),)
    else:
        fixes = tuple(map(tuple, fixed))
        if fixes and not (set(map(type, fixed)) <= _LIST and set(map(len, fixes)) <= _THREE):
            raise ValueError("a range's table is damaged")
        _join(chain.from_iterable(fixes))
    if events is not None:
        if type(events) is not list or not set(map(type, events)) <= _LIST:
            raise ValueError("a range's events are damaged")
        events = tuple(map(tuple, events))
        if not set(map(len, events)) <= _TWO:
            raise ValueError("a range's events are damaged")
        _join(chain.from_iterable(events))
    # tuple.__new__ skips the named tuple's Python-level __new__.
    return _new_tuple(Compiled, (tuple(bounds), states, fixes, events))


class _Decoding:
    """What ``json.JSONDecoder()`` gives the scanner json.loads ends in (the same C scanner
    json.scanner.make_scanner is): its strictness and parsers, without importing json, whose
    decoder and encoder compile six patterns at import (an audit needs neither)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": -inf, "Infinity": inf, "NaN": nan}.__getitem__


# typeshed types the context as a scanner; json itself passes its decoder.
_scan = make_scanner(_Decoding)  # type: ignore[arg-type]
_join = "".join
_new_tuple = tuple.__new__
_TWO = frozenset({2})
_THREE = frozenset({3})
_LIST = frozenset({list})
