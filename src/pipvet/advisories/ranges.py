"""OSV ECOSYSTEM ranges: their events parsed and sorted, evaluated one version at a time
(``scan``, which ``pipvet.advisories.match``'s docstring describes), and compiled once into an
interval table that answers the same question with a binary search on text. Pure, no I/O.

``order_key`` turns a ``Version`` into text that sorts exactly as PEP 440 orders versions
(equal keys for equal versions). A compiled range (``Compiled``) holds its distinct bounds as
such keys, ascending, and the answer of ``scan`` for every piece of the line they cut: below
the first bound, at each bound, between two bounds, above the last. The store keeps compiled
ranges (``pipvet.advisories.digest``), so an audit parses no advisory version at all.

One case the table cannot answer: an installed version with a local label (``2.1+cu118``)
against a range with a local-labelled bound, where the two kinds of bound compare it
differently (public version against one, full version against the other). Such ranges keep
their events and are evaluated by ``scan``.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right

from pipvet import pep440
from pipvet.advisories.versions import version_key, version_or_none

# Not typing's: an audit imports no typing (see pipvet.frozen). The named tuples are made by
# collections.namedtuple at run time: typing.NamedTuple would import typing, and in a class
# body it would compile each (postponed) annotation's text.
TYPE_CHECKING = False
if TYPE_CHECKING:  # an audit compares keys: packaging is imported only where versions are
    from typing import NamedTuple, TypeAlias

    from packaging.version import Version

    class _Event(NamedTuple):
        kind: str
        text: str
        version: Version | None

    class _Compiled(NamedTuple):
        bounds: tuple[str, ...]
        states: str
        fixed: tuple[tuple[str, str, str], ...]
        events: Events | None

else:
    from collections import namedtuple

    _Event = namedtuple("Event", ["kind", "text", "version"])
    _Compiled = namedtuple("Compiled", ["bounds", "states", "fixed", "events"])

__all__ = [
    "AFFECTED",
    "Compiled",
    "Event",
    "Events",
    "Prepared",
    "against",
    "compile_range",
    "mark_covered",
    "order_key",
    "prepare",
    "scan",
    "segment",
]

# (kind, version as written) per range event, record order
Events: TypeAlias = tuple[tuple[str, str], ...]
# Identity-keyed caches are cleared when they reach this size.
_CACHE_MAX = 65536


class Event(_Event):
    """A range event with its parsed version; ``version is None`` means introduced "0". A
    named tuple: an audit makes one per event of every record it reads."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


Prepared = tuple[tuple[Event, ...], tuple[Event, ...], tuple[str, ...]]
# Parsed and sorted events per range, keyed by the identity of the (immutable) events tuple:
# an audit asks about the same ranges many times, and hashing the events on every lookup
# would cost as much as the evaluation. The stored tuple reference guards against id reuse.
_PREPARED: dict[int, tuple[Events, Prepared]] = {}


def prepare(events: Events) -> Prepared:
    """A range's events parsed and sorted (``ordered``), its ``limits``, and notes on them."""
    cached = _PREPARED.get(id(events))
    if cached is not None and cached[0] is events:
        return cached[1]
    ordered: list[Event] = []
    limits: list[Event] = []
    notes: list[str] = []
    for kind, text in events:
        if kind == "introduced" and text == "0":
            ordered.append(Event(kind, text, None))
            continue
        parsed = _bound(text)
        if kind == "introduced":
            if parsed is None:
                notes.append(f"introduced {text!r} is not a PEP 440 version; read as 0")
            ordered.append(Event(kind, text, parsed))
        elif parsed is None:
            notes.append(f"{kind} {text!r} is not a PEP 440 version; ignored")
        elif kind == "limit":
            limits.append(Event("limit", text, parsed))
        else:
            ordered.append(Event(kind, text, parsed))
    # Stable sort: ties keep the record's order (see match's docstring).
    ordered.sort(key=_event_order)
    result = (tuple(ordered), tuple(limits), tuple(notes))
    if len(_PREPARED) >= _CACHE_MAX:
        _PREPARED.clear()
    _PREPARED[id(events)] = (events, result)
    return result


@functools.cache
def _zero() -> Version:
    from packaging.version import Version

    return Version("0")


def _event_order(event: Event) -> tuple[bool, Version]:
    return (event.version is not None, event.version or _zero())


# Parsed event versions: records repeat the same bounds (common releases) many times, and
# parsing is most of preparing a range.
_bound = functools.lru_cache(maxsize=_CACHE_MAX)(version_or_none)


def against(installed: Version, public: Version, bound: Version) -> Version:
    """The installed version as compared to ``bound`` (see match's docstring on locals)."""
    if installed is public:  # no local label (nearly always): skip Version.local, a property
        return installed
    return installed if bound.local is not None else public


def scan(
    prepared: Prepared, installed: Version, public: Version
) -> tuple[bool, Event | None, bool]:
    """OSV ``IncludedInRanges`` for one range: (affected, deciding event, outside limits)."""
    ordered, limits, _ = prepared
    if limits and not any(
        against(installed, public, lim.version) < lim.version
        for lim in limits
        if lim.version is not None
    ):
        return False, None, True
    affected = False
    decided_by: Event | None = None
    for event in ordered:
        bound = event.version
        if event.kind == "introduced":
            if bound is None or against(installed, public, bound) >= bound:
                affected, decided_by = True, event
        elif bound is None:
            continue
        elif event.kind == "fixed":
            if against(installed, public, bound) >= bound:
                affected, decided_by = False, event
        elif event.kind == "last_affected" and against(installed, public, bound) > bound:
            affected, decided_by = False, event
    return affected, decided_by, False


# ------------------------------------------------------------------------------ order keys


@functools.lru_cache(maxsize=_CACHE_MAX)
def order_key(version: Version) -> str:
    """Text that sorts as PEP 440 orders versions; equal exactly for equal versions (see
    ``pep440.order_key``, which reads the same key off a text without ``packaging``)."""
    return pep440.order_key(pep440.parts_of(version))


# ------------------------------------------------------------------------------ compiled ranges

AFFECTED = "A"  # a piece of the line the range covers; "-" one it does not


class Compiled(_Compiled):
    """A range as an interval table (see the module docstring).

    ``states[2 * i + 1]`` answers at ``bounds[i]``, ``states[2 * i]`` between
    ``bounds[i - 1]`` and ``bounds[i]`` (below the first when ``i == 0``, above the last when
    ``i == len(bounds)``). ``fixed`` lists the ``fixed`` events as (order key, text, equality
    key) in evaluation order; ``events`` is kept only when a bound carries a local label.
    """

    __slots__ = ()


def segment(bounds: tuple[str, ...], key: str) -> int:
    """The piece of the line ``key`` falls in: the index into ``Compiled.states``."""
    low = bisect_left(bounds, key)
    return 2 * low + 1 if low < len(bounds) and bounds[low] == key else 2 * low


def mark_covered(rng: Compiled, keys: list[str], covered: bytearray) -> None:
    """Sets ``covered[i]`` for each ``keys[i]`` (order keys, ascending) the range contains,
    each compared as itself (no local-label rule): one pass over the range's runs of affected
    pieces, rather than one search per key."""
    bounds, states = rng.bounds, rng.states
    if len(keys) == 1:  # (an audit's usual question: one fix to weigh) one search, no walk
        key = keys[0]
        low = bisect_left(bounds, key)
        low = 2 * low + 1 if low < len(bounds) and bounds[low] == key else 2 * low
        if states[low] == AFFECTED:
            covered[0] = 1
        return
    last = len(states) - 1
    start = states.find(AFFECTED)
    while start != -1:
        end = start
        while end < last and states[end + 1] == AFFECTED:
            end += 1
        # Pieces start..end: even 2i is between bounds[i - 1] and bounds[i], odd 2i + 1 is
        # bounds[i] itself.
        if start == 0:
            low = 0
        elif start % 2:
            low = bisect_left(keys, bounds[start // 2])
        else:
            low = bisect_right(keys, bounds[start // 2 - 1])
        if end == last:
            high = len(keys)
        elif end % 2:
            high = bisect_right(keys, bounds[end // 2])
        else:
            high = bisect_left(keys, bounds[end // 2])
        if high > low:
            covered[low:high] = b"\x01" * (high - low)
        start = states.find(AFFECTED, end + 1)


def compile_range(events: Events) -> Compiled:
    """The interval table of one range, with ``scan``'s answer for every piece of the line."""
    ordered, limits, _ = prepare(events)
    keyed = [(e, None if e.version is None else order_key(e.version)) for e in ordered]
    limit = max((order_key(e.version) for e in limits if e.version is not None), default=None)
    bounds = sorted({k for _, k in keyed if k is not None} | ({limit} if limit else set()))
    index = {k: i for i, k in enumerate(bounds)}
    states: list[str] = []
    for piece in range(2 * len(bounds) + 1):
        # At piece p, x >= bounds[j] holds when 2j + 1 <= p, and x > bounds[j] when 2j + 2 <= p.
        affected = False
        if limit is None or piece < 2 * index[limit] + 1:
            for event, key in keyed:
                at = -1 if key is None else 2 * index[key] + 1
                if event.kind == "introduced":
                    if at <= piece:
                        affected = True
                elif event.kind == "fixed":
                    if at <= piece:
                        affected = False
                elif event.kind == "last_affected" and at + 1 <= piece:
                    affected = False
        states.append(AFFECTED if affected else "-")
    fixed = tuple(
        (key, e.text, version_key(e.version))
        for e, key in keyed
        if e.kind == "fixed" and e.version is not None and key is not None
    )
    has_local = any(e.version is not None and e.version.local is not None for e in ordered)
    has_local = has_local or any(e.version is not None and e.version.local for e in limits)
    return Compiled(tuple(bounds), "".join(states), fixed, events if has_local else None)
