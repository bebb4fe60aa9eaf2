"""Compiled ranges (interval tables searched by order keys) against the evaluation they replace:
events compared one by one as ``packaging`` Versions. Order keys must sort and compare exactly as
Versions do, and every answer matching gives (affected, fixes, the closing fix) must be the one
the event-by-event evaluation gives, including its fail-closed readings: unparseable bounds,
limits, local builds, versions lists and withdrawn records."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pipvet.advisories import digest
from pipvet.advisories.match import (
    affects,
    closing_version,
    find_in,
    fixed_versions,
    package_record,
    public_version,
)
from pipvet.advisories.ranges import (
    AFFECTED,
    Events,
    against,
    compile_range,
    mark_covered,
    order_key,
    prepare,
    scan,
    segment,
)
from pipvet.advisories.versions import version_key, version_or_none
from pipvet.models import Advisory, Affected, AffectedRange, RangeEvent, canonicalize_name

PKG = canonicalize_name("pkg")

# Versions from a small space (so ties, trailing zeros and suffixes collide often) with every
# part PEP 440 has: epochs, pre/post/dev releases, local labels, and large numbers.
_numbers = st.integers(0, 3) | st.sampled_from([10, 99, 100, 2**40, 10**30])
_local = st.sampled_from(["cu118", "cpu", "ubuntu.1", "1", "01.a", "a.b", "abc", "ab.2", "7"])
version_texts = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
        + (f"+{local}" if local else "")
    ),
    st.sampled_from([0, 0, 0, 1, 12]),
    st.lists(_numbers, min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc", "alpha", "c", "pre"]), _numbers),
    st.none() | _numbers,
    st.none() | _numbers,
    st.none() | st.none() | _local,
)


@given(version_texts, version_texts)
@settings(max_examples=1000)
def test_order_keys_sort_and_compare_as_versions(a: str, b: str) -> None:
    va, vb = Version(a), Version(b)
    ka, kb = order_key(va), order_key(vb)
    assert (ka < kb) is (va < vb)
    assert (ka == kb) is (va == vb)
    assert " " not in ka


@given(st.lists(version_texts, min_size=2, max_size=12))
def test_sorting_by_order_key_is_sorting_by_version(texts: list[str]) -> None:
    by_key = sorted(texts, key=lambda t: order_key(Version(t)))
    assert [Version(t) for t in by_key] == sorted(Version(t) for t in texts)


# Events of every kind, sometimes with bounds that do not parse or carry a local label.
_bound_texts = version_texts | st.sampled_from(["0", "not-a-version", "1.0-foo", ""])
_events = st.lists(
    st.tuples(st.sampled_from(["introduced", "fixed", "last_affected", "limit"]), _bound_texts),
    max_size=7,
)


def _old_fixes_above(
    events: Events, installed: Version, public: Version
) -> list[tuple[Version, str]]:
    return [
        (e.version, e.text)
        for e in prepare(events)[0]
        if e.kind == "fixed"
        and e.version is not None
        and against(installed, public, e.version) < e.version
    ]


def _record(
    ranges: list[Events], listed: tuple[str, ...] = (), withdrawn: str | None = None
) -> Advisory:
    entry = Affected(
        PKG,
        tuple(AffectedRange("ECOSYSTEM", tuple(RangeEvent(*e) for e in r)) for r in ranges),  # type: ignore[arg-type]
        listed,
    )
    return Advisory(
        id="PYSEC-1", modified="2024-01-01T00:00:00Z", affected=(entry,), withdrawn=withdrawn
    )


def _old_match(
    ranges: Sequence[Events], listed: tuple[str, ...], installed: Version, public: Version
) -> tuple[bool, tuple[str, ...]]:
    """The evaluation before interval tables: (affected, fixes as ``fixed_versions`` gives)."""
    keys = {version_key(v) for t in listed if (v := version_or_none(t)) is not None}
    is_listed = version_key(installed) in keys or version_key(public) in keys
    containing = [r for r in ranges if scan(prepare(r), installed, public)[0]]
    hit = is_listed or bool(containing)
    if not containing and is_listed:
        containing = list(ranges)
    found = [min(a) for r in containing if (a := _old_fixes_above(r, installed, public))]
    seen: dict[Version, str] = {}
    for parsed, text in sorted(found):
        seen.setdefault(parsed, text)
    return hit, tuple(seen.values()) if hit else ()


def _installed(data: st.DataObject, ranges: list[Events], listed: tuple[str, ...]) -> Version:
    """Often a bound or a listed version itself (or a local build of one): where bugs live."""
    near = [
        v
        for text in [*(t for r in ranges for _, t in r), *listed]
        if (v := version_or_none(text)) is not None
    ]
    choice = st.builds(Version, version_texts)
    if near:
        choice |= st.sampled_from(near)
        choice |= st.builds(
            lambda v, local: Version(f"{v.public}+{local}"), st.sampled_from(near), _local
        )
    return data.draw(choice)


@given(st.lists(_events, max_size=3), st.lists(version_texts, max_size=3), st.data())
@settings(max_examples=800)
def test_compiled_ranges_answer_as_the_events_do(
    raw: list[list[tuple[str, str]]], listed_texts: list[str], data: st.DataObject
) -> None:
    ranges: list[Events] = [tuple(r) for r in raw]
    listed = tuple(listed_texts)
    installed = _installed(data, ranges, listed)
    advisory = _record(ranges, listed)
    public = public_version(installed)
    hit, fixes = _old_match(ranges, listed, installed, public)
    assert affects(advisory, PKG, installed) is hit
    assert fixed_versions(advisory, PKG, installed) == fixes
    for events in ranges:
        table = compile_range(events)
        if installed is public or table.events is None:
            key = order_key(public)  # the installed version itself when it has no local label
            inside = table.states[segment(table.bounds, key)] == AFFECTED
            assert inside is scan(prepare(events), installed, public)[0]
    # The stored form answers the same.
    stored = digest.decode(digest.encode(package_record(advisory, PKG)))
    assert bool(find_in([stored], installed)) is hit
    assert not affects(_record(ranges, listed, withdrawn="2024"), PKG, installed)


def _old_closing(advisories: list[Advisory], installed: Version) -> str | None:
    """``closing_version`` as it was: every candidate asked of every record, as Versions."""

    def affected(adv: Advisory, version: Version, public: Version) -> bool:
        entry = adv.affected[0]
        ranges = [tuple((e.kind, e.version) for e in r.events) for r in entry.ranges]
        return _old_match(ranges, entry.versions, version, public)[0]

    public = public_version(installed)
    matching = [a for a in advisories if affected(a, installed, public)]
    if not matching:
        return None
    candidates: dict[Version, str] = {}
    for adv in advisories:
        for r in adv.affected[0].ranges:
            events = tuple((e.kind, e.version) for e in r.events)
            for parsed, text in _old_fixes_above(events, installed, public):
                candidates.setdefault(parsed, text)
    for pool in (advisories, matching):
        for parsed in sorted(candidates):
            # A candidate is compared as itself, local label and all.
            if not any(affected(a, parsed, parsed) for a in pool):
                return candidates[parsed]
    return None


@given(
    st.lists(
        st.tuples(st.lists(_events, max_size=2), st.lists(version_texts, max_size=2)), max_size=4
    ),
    st.data(),
)
@settings(max_examples=400)
def test_the_closing_fix_is_the_one_the_events_give(
    specs: list[tuple[list[list[tuple[str, str]]], list[str]]], data: st.DataObject
) -> None:
    advisories = [_record([tuple(r) for r in raw], tuple(listed)) for raw, listed in specs]
    every = [tuple(r) for raw, _ in specs for r in raw]
    installed = _installed(data, every, tuple(t for _, listed in specs for t in listed))
    assert closing_version(advisories, PKG, installed) == _old_closing(advisories, installed)


@given(_events, st.lists(version_texts, max_size=8), st.booleans())
@settings(max_examples=600)
def test_marking_covered_keys_agrees_with_searching_each(
    raw: list[tuple[str, str]], texts: list[str], with_bounds: bool
) -> None:
    table = compile_range(tuple(raw))
    extra = [t for _, t in raw if version_or_none(t) is not None] if with_bounds else []
    keys = sorted({order_key(Version(t)) for t in [*texts, *extra]})
    covered = bytearray(len(keys))
    mark_covered(table, keys, covered)
    expected = [table.states[segment(table.bounds, key)] == AFFECTED for key in keys]
    assert [bool(c) for c in covered] == expected


@given(st.lists(_events, max_size=3), st.lists(version_texts, max_size=3), st.data())
@settings(max_examples=1500)
def test_a_version_above_a_records_ceiling_is_not_affected_by_it(
    raw: list[list[tuple[str, str]]], listed_texts: list[str], data: st.DataObject
) -> None:
    # The store leaves out a package whose every digest is below the lowest version asked
    # about; that must never hide a version the event-by-event evaluation finds affected.
    ranges: list[Events] = [tuple(r) for r in raw]
    listed = tuple(listed_texts)
    installed = _installed(data, ranges, listed)
    public = public_version(installed)
    text = digest.encode(package_record(_record(ranges, listed), PKG))
    if digest.below(text, order_key(public)):
        assert _old_match(ranges, listed, installed, public) == (False, ())
    line = text.partition("\n")[0]
    ceiling = line.partition(" ")[0]
    assert line == (f"{ceiling} {ceiling}" if ceiling else "")  # the key twice, or nothing
    if ceiling:  # a known ceiling is the highest bound or listed version
        # ("introduced 0" is no bound: the start of every version)
        bounds = [t for r in ranges for kind, t in r if (kind, t) != ("introduced", "0")]
        tops = [order_key(v) for t in bounds if (v := version_or_none(t))]
        tops += [order_key(v) for t in listed if (v := version_or_none(t))]
        assert ceiling == max(tops)


def test_the_ceiling_is_known_only_for_ranges_closed_above() -> None:
    def ceiling(*ranges: Events, listed: tuple[str, ...] = ()) -> str:
        return digest.ceiling_of(package_record(_record(list(ranges), listed), PKG))

    fixed = (("introduced", "0"), ("fixed", "1.2"))
    assert ceiling(fixed) == order_key(Version("1.2"))
    assert ceiling(fixed, listed=("1.1", "3.0")) == order_key(Version("3.0"))
    assert ceiling((("introduced", "1.0"), ("last_affected", "2.0"))) == order_key(Version("2"))
    assert ceiling(fixed, (("introduced", "2.0"),)) == ""  # open above: always read
    assert ceiling((("introduced", "0"), ("fixed", "1.2+cpu"))) == ""  # a local bound: scan's
    assert ceiling() == ""  # nothing bounds it: read, as before
    text = digest.encode(package_record(_record([fixed]), PKG))
    assert digest.below(text, order_key(Version("1.3")))
    assert not digest.below(text, order_key(Version("1.2")))  # the fix itself: read
    assert not digest.below(text, order_key(Version("1.1")))
