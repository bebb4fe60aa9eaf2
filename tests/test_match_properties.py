"""Properties of OSV range evaluation, checked against a brute-force interval reading."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pipvet.advisories.explain import explain
from pipvet.advisories.match import (
    affects,
    closing_fix,
    find,
    find_in,
    find_matching,
    fixed_versions,
    package_record,
)
from pipvet.frozen import replace
from pipvet.models import Advisory, Affected, AffectedRange, RangeEvent, canonicalize_name

PKG = canonicalize_name("pkg")

# A small version space so that ties, pre-, post- and dev-releases collide often.
versions = st.builds(
    lambda release, pre, post, dev: (
        ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.lists(st.integers(0, 3), min_size=1, max_size=3),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 1)),
    st.none() | st.integers(0, 1),
    st.none() | st.integers(0, 1),
)
locals_ = st.sampled_from(["cu118", "cpu", "ubuntu.1"])


def _key(event: RangeEvent) -> tuple[int, Version]:
    if event.kind == "introduced" and event.version == "0":
        return (0, Version("0"))
    return (1, Version(event.version))


@st.composite
def sorted_events(draw: st.DrawFn, closing: str = "fixed") -> tuple[RangeEvent, ...]:
    """Events already in version order (ties in any order), using one kind of closing event."""
    kinds = st.sampled_from(["introduced", closing])
    raw = draw(st.lists(st.tuples(kinds, versions), max_size=8))
    events = [RangeEvent(kind, v) for kind, v in raw]  # type: ignore[arg-type]
    if draw(st.booleans()):
        events.insert(0, RangeEvent("introduced", "0"))
    return tuple(sorted(events, key=_key))


def reference_affected(
    events: tuple[RangeEvent, ...], limits: tuple[str, ...], version: Version
) -> bool:
    """Walk the events as a timeline of intervals, then test membership directly."""
    intervals: list[tuple[Version | None, Version | None, bool]] = []
    start: Version | None = None
    is_open = False
    for event in events:
        bound = (
            None if event.version == "0" and event.kind == "introduced" else Version(event.version)
        )
        if event.kind == "introduced" and not is_open:
            start, is_open = bound, True
        elif event.kind in ("fixed", "last_affected") and is_open:
            intervals.append((start, bound, event.kind == "last_affected"))
            is_open = False
    if is_open:
        intervals.append((start, None, False))
    inside = any(
        (low is None or low <= version)
        and (high is None or (version <= high if inclusive else version < high))
        for low, high, inclusive in intervals
    )
    below_limit = not limits or any(version < Version(limit) for limit in limits)
    return inside and below_limit


def record(
    events: tuple[RangeEvent, ...], listed: tuple[str, ...] = (), **fields: object
) -> Advisory:
    entry = Affected(PKG, (AffectedRange("ECOSYSTEM", events),), listed)
    return Advisory(id="PYSEC-1", modified="2024-01-01T00:00:00Z", affected=(entry,), **fields)  # type: ignore[arg-type]


def near(data: st.DataObject, events: tuple[RangeEvent, ...], extra: Sequence[str] = ()) -> str:
    """A version to test: often exactly an event's version, where off-by-one bugs live."""
    bounds = [e.version for e in events if e.version != "0"] + list(extra)
    return data.draw(st.sampled_from(bounds) | versions if bounds else versions)


@given(
    st.one_of(sorted_events("fixed"), sorted_events("last_affected")),
    st.lists(versions, max_size=2),
    st.data(),
)
@settings(max_examples=400)
def test_affects_agrees_with_interval_reference(
    events: tuple[RangeEvent, ...], limits: list[str], data: st.DataObject
) -> None:
    version = near(data, events, limits)
    limit_events = tuple(RangeEvent("limit", v) for v in limits)
    advisory = record(events + limit_events)
    expected = reference_affected(events, tuple(limits), Version(version))
    assert affects(advisory, PKG, Version(version)) is expected
    assert explain(advisory, PKG, Version(version)).matched is expected


@given(st.lists(versions, unique_by=Version, min_size=1, max_size=8), st.randoms(), versions)
def test_event_order_in_the_record_does_not_matter_for_distinct_versions(
    bounds: list[str], rnd: object, version: str
) -> None:
    ordered = sorted(bounds, key=Version)
    kinds = ["introduced", "fixed"] * len(ordered)
    events = tuple(RangeEvent(k, v) for k, v in zip(kinds, ordered, strict=False))  # type: ignore[arg-type]
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert affects(record(events), PKG, Version(version)) is affects(
        record(tuple(shuffled)), PKG, Version(version)
    )


@given(sorted_events("fixed"), st.data())
def test_a_fixed_version_is_not_affected_unless_reintroduced_there(
    events: tuple[RangeEvent, ...], data: st.DataObject
) -> None:
    fixes = [e.version for e in events if e.kind == "fixed"]
    assume(fixes)
    fixed = data.draw(st.sampled_from(fixes))
    reintroduced = any(
        e.kind == "introduced" and e.version != "0" and Version(e.version) == Version(fixed)
        for e in events
    )
    assume(not reintroduced)
    assert not affects(record(events), PKG, Version(fixed))


@given(versions, st.none() | locals_)
def test_introduced_zero_without_fix_affects_everything(version: str, local: str | None) -> None:
    text = f"{version}+{local}" if local else version
    assert affects(record((RangeEvent("introduced", "0"),)), PKG, Version(text))


@given(st.one_of(sorted_events("fixed"), sorted_events("last_affected")), st.data(), locals_)
def test_a_local_build_shares_its_release_status(
    events: tuple[RangeEvent, ...], data: st.DataObject, local: str
) -> None:
    version = near(data, events)
    advisory = record(events)
    assert affects(advisory, PKG, Version(f"{version}+{local}")) is affects(
        advisory, PKG, Version(version)
    )


@given(sorted_events("fixed"), st.lists(versions, max_size=4), versions)
def test_listed_versions_are_always_affected(
    events: tuple[RangeEvent, ...], listed: list[str], version: str
) -> None:
    advisory = record(events, tuple(listed))
    in_range = affects(record(events), PKG, Version(version))
    is_listed = any(Version(v) == Version(version) for v in listed)
    assert affects(advisory, PKG, Version(version)) is (in_range or is_listed)
    assert not affects(record(events, tuple(listed), withdrawn="2024"), PKG, Version(version))


@given(sorted_events("fixed"), versions)
def test_fixes_are_above_the_version_and_only_for_affected_versions(
    events: tuple[RangeEvent, ...], version: str
) -> None:
    advisory = record(events)
    installed = Version(version)
    fixes = fixed_versions(advisory, PKG, installed)
    if not affects(advisory, PKG, installed):
        assert fixes == ()
    named = {Version(e.version) for e in events if e.kind == "fixed"}
    assert all(Version(f) > installed and Version(f) in named for f in fixes)
    assert [Version(f) for f in fixes] == sorted({Version(f) for f in fixes})


ids = st.sampled_from(
    ["PYSEC-1", "PYSEC-2", "GHSA-a", "GHSA-b", "CVE-1", "CVE-2", "OSV-1", "MAL-1"]
)


@given(st.lists(st.tuples(ids, st.lists(ids, max_size=3), st.booleans()), max_size=6))
def test_find_partitions_matching_records_into_alias_groups(
    specs: list[tuple[str, list[str], bool]],
) -> None:
    records = [
        Advisory(
            id=rid,
            modified="2024-01-01T00:00:00Z",
            aliases=tuple(a for a in aliases if a != rid),
            affected=(Affected(PKG, versions=("1.0",) if hit else ("2.0",)),),
        )
        for rid, aliases, hit in specs
    ]
    findings = find(records, PKG, Version("1.0"))
    matched = [r for r in records if r.affected[0].versions == ("1.0",)]
    # every matching record is in exactly one finding, and nothing else is
    grouped = [rid for f in findings for rid in f.records]
    assert sorted(set(grouped)) == sorted({r.id for r in matched})
    assert len(grouped) == len(set(grouped))
    all_ids = [i for f in findings for i in f.all_ids]
    assert len(all_ids) == len(set(all_ids)), "a finding id or alias appears in two findings"
    for f in findings:
        assert f.aliases == tuple(sorted(f.aliases))
        assert f.id not in f.aliases
        assert (f.kind == "malware") is any(i.startswith("MAL-") for i in f.all_ids)
        # the group is closed under aliases of its records
        for r in matched:
            if r.id in f.records:
                assert set(r.aliases) <= set(f.all_ids)


_release = st.lists(st.integers(0, 30), min_size=1, max_size=4)
_suffix = st.sampled_from(
    ["", "a1", "b2", "rc1", ".post0", ".post3", ".dev0", "+local.1", "+Cu118"]
)
_spelling = st.tuples(_release, _suffix, st.booleans())


def _spell(parts: tuple[list[int], str, bool], pad: str) -> str:
    release, suffix, padded = parts
    return ".".join(map(str, release)) + (pad if padded else "") + suffix


@given(_spelling, _spelling)
def test_version_list_key_is_exactly_pep440_equality(
    a: tuple[list[int], str, bool], b: tuple[list[int], str, bool]
) -> None:
    from pipvet.advisories.versions import plain_key, version_key

    text_a, text_b = _spell(a, ".0"), _spell(b, ".00")
    va, vb = Version(text_a), Version(text_b)
    assert (version_key(va) == version_key(vb)) == (va == vb)
    for text, parsed in ((text_a, va), (text_b, vb)):
        plain = plain_key(text)
        if plain is not None:
            assert plain == version_key(parsed)


@given(
    st.lists(
        st.tuples(sorted_events("fixed"), st.lists(versions, max_size=2), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    st.data(),
)
@settings(max_examples=300)
def test_closing_fix_told_the_affecting_records_advises_as_when_it_asks(
    specs: list[tuple[tuple[RangeEvent, ...], list[str], bool]], data: st.DataObject
) -> None:
    """An audit hands ``closing_fix`` the records ``find_matching`` found, and drops ignored
    ones from the records it counts: the advice is the one ``closing_fix`` reaches alone."""
    records = [
        package_record(
            replace(
                record(events, tuple(listed), withdrawn="2024" if gone else None), id=f"PYSEC-{i}"
            ),
            PKG,
        )
        for i, (events, listed, gone) in enumerate(specs)
    ]
    version = Version(near(data, specs[0][0], specs[0][1]))
    findings, affecting = find_matching(records, version)
    assert findings == find_in(records, version)
    counted = data.draw(st.lists(st.sampled_from(records), unique_by=id))
    assert closing_fix(counted, version, affecting) == closing_fix(counted, version)
