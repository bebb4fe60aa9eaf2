"""OSV matching for PyPI as tables: ranges, versions lists, fixes, alias groups, explanations."""

from __future__ import annotations

import pytest
from packaging.version import Version

from pipvet.advisories.explain import explain
from pipvet.advisories.findings import id_sort_key
from pipvet.advisories.match import affects, closing_version, find, fixed_versions
from pipvet.advisories.versions import version_or_none
from pipvet.models import (
    Advisory,
    Affected,
    AffectedRange,
    RangeEvent,
    Severity,
    SeverityLabel,
    canonicalize_name,
)

PKG = canonicalize_name("pkg")


def events(*pairs: str) -> tuple[RangeEvent, ...]:
    """events("introduced 0", "fixed 1.0") -> RangeEvents."""
    out = []
    for pair in pairs:
        kind, version = pair.split(" ")
        assert kind in ("introduced", "fixed", "last_affected", "limit")
        out.append(RangeEvent(kind, version))  # type: ignore[arg-type]
    return tuple(out)


def adv(
    *ranges: tuple[RangeEvent, ...],
    versions: tuple[str, ...] = (),
    id: str = "PYSEC-2024-1",
    package: str = "pkg",
    range_type: str = "ECOSYSTEM",
    **fields: object,
) -> Advisory:
    entry = Affected(
        package=canonicalize_name(package),
        ranges=tuple(AffectedRange(range_type, r) for r in ranges),
        versions=versions,
    )
    return Advisory(id=id, modified="2024-01-01T00:00:00Z", affected=(entry,), **fields)  # type: ignore[arg-type]


RANGE_CASES: list[tuple[tuple[str, ...], str, bool]] = [
    # introduced 0 = every version, fixed excludes itself
    (("introduced 0", "fixed 1.0"), "0.1", True),
    (("introduced 0", "fixed 1.0"), "0.0.dev0", True),
    (("introduced 0", "fixed 1.0"), "0.9.9", True),
    (("introduced 0", "fixed 1.0"), "1.0", False),
    (("introduced 0", "fixed 1.0"), "1.0.0", False),
    (("introduced 0", "fixed 1.0"), "1.0.1", False),
    # pre-releases and dev releases sort before their release: affected when fixed is 1.0
    (("introduced 0", "fixed 1.0"), "1.0rc1", True),
    (("introduced 0", "fixed 1.0"), "1.0a1", True),
    (("introduced 0", "fixed 1.0"), "1.0.dev0", True),
    (("introduced 0", "fixed 1.0"), "1.0.post1", False),
    (("introduced 0", "fixed 1.0"), "1!0.5", False),  # epoch 1 is above every epoch-0 version
    # an introduced bound: its own pre-releases come before it
    (("introduced 1.0", "fixed 2.0"), "0.9", False),
    (("introduced 1.0", "fixed 2.0"), "1.0rc1", False),
    (("introduced 1.0", "fixed 2.0"), "1.0", True),
    (("introduced 1.0", "fixed 2.0"), "1.0.post1", True),
    (("introduced 1.0", "fixed 2.0"), "1.9.9", True),
    (("introduced 1.0", "fixed 2.0"), "2.0rc1", True),
    (("introduced 1.0", "fixed 2.0"), "2.0.dev3", True),
    (("introduced 1.0", "fixed 2.0"), "2.0", False),
    (("introduced 1.0", "fixed 2.0"), "2.0.post1", False),
    # fixed in a post-release: the release itself is affected
    (("introduced 0", "fixed 1.0.post1"), "1.0", True),
    (("introduced 0", "fixed 1.0.post1"), "1.0.post1", False),
    # no fix yet
    (("introduced 0",), "0", True),
    (("introduced 0",), "999.1", True),
    (("introduced 0",), "0.0.dev0", True),
    (("introduced 2.0",), "1.9", False),
    (("introduced 2.0",), "2.0", True),
    # last_affected includes itself, nothing above it
    (("introduced 0", "last_affected 1.11.0"), "1.11.0", True),
    (("introduced 0", "last_affected 1.11.0"), "1.11", True),
    (("introduced 0", "last_affected 1.11.0"), "1.11.0.post1", False),
    (("introduced 0", "last_affected 1.11.0"), "1.11.1", False),
    (("introduced 0", "last_affected 1.11.0"), "1.12.0rc1", False),
    # limit bounds the range from above; several limits: below any of them
    (("introduced 1.0", "limit 1.5"), "1.2", True),
    (("introduced 1.0", "limit 1.5"), "1.5", False),
    (("introduced 1.0", "limit 1.5"), "2.0", False),
    (("introduced 1.0", "limit 1.5", "limit 3.0"), "2.0", True),
    (("introduced 1.0", "limit 1.5", "limit 3.0"), "3.0", False),
    (("introduced 1.0", "fixed 2.0", "limit 1.5"), "1.7", False),
    # several intervals in one range
    (("introduced 1.0", "fixed 1.0.2", "introduced 3.0", "fixed 3.2.5"), "1.0.1", True),
    (("introduced 1.0", "fixed 1.0.2", "introduced 3.0", "fixed 3.2.5"), "2.0", False),
    (("introduced 1.0", "fixed 1.0.2", "introduced 3.0", "fixed 3.2.5"), "3.2.4", True),
    (("introduced 1.0", "fixed 1.0.2", "introduced 3.0", "fixed 3.2.5"), "3.2.5", False),
    # events out of order are sorted first
    (("fixed 2.0", "introduced 1.0"), "1.5", True),
    (("fixed 3.2.5", "introduced 3.0", "fixed 1.0.2", "introduced 1.0"), "1.0.1", True),
    (("fixed 3.2.5", "introduced 3.0", "fixed 1.0.2", "introduced 1.0"), "2.0", False),
    # ties keep the record's order: a fix and a re-introduction at the same version
    (("introduced 0", "fixed 3.1.1", "introduced 3.1.1", "fixed 3.1.3"), "3.1.1", True),
    (("introduced 1.0", "fixed 1.0"), "1.0", False),
    # version strings compare as versions, not text
    (("introduced 1.9", "fixed 1.10"), "1.10", False),
    (("introduced 1.9", "fixed 1.10"), "1.9.5", True),
    (("introduced 0", "fixed 2.0.0"), "2.0", False),
    # local versions are judged by their public release
    (("introduced 0", "fixed 2.1.0"), "2.1.0+cu118", False),
    (("introduced 0", "fixed 2.1.0"), "2.0.9+cu118", True),
    (("introduced 0", "last_affected 2.1.0"), "2.1.0+cu118", True),
    (("introduced 2.1.0", "fixed 2.2"), "2.1.0+cu118", True),
    (("introduced 1.0", "limit 2.1.0"), "2.1.0+cu118", False),
    # an event with a local label is compared in full
    (("introduced 0", "fixed 2.1.0+cu118"), "2.1.0+cu117", True),
    (("introduced 0", "fixed 2.1.0+cu118"), "2.1.0+cu118", False),
    (("introduced 0", "fixed 2.1.0+cu118"), "2.1.0", True),
    # unparseable bounds err towards "affected"
    (("introduced not-a-version", "fixed 2.0"), "1.0", True),
    (("introduced 1.0", "fixed not-a-version"), "5.0", True),
    (("introduced 1.0", "limit not-a-version"), "5.0", True),
    # nothing introduced: nothing affected
    (("fixed 2.0",), "1.0", False),
    ((), "1.0", False),
]


@pytest.mark.parametrize(("evts", "version", "expected"), RANGE_CASES)
def test_ecosystem_range(evts: tuple[str, ...], version: str, expected: bool) -> None:
    advisory = adv(events(*evts))
    assert affects(advisory, PKG, Version(version)) is expected
    assert explain(advisory, PKG, Version(version)).matched is expected


@pytest.mark.parametrize(
    ("listed", "version", "expected"),
    [
        (("1.0", "1.1"), "1.0", True),
        (("1.0", "1.1"), "1.0.0", True),  # compared as versions
        (("0.12.01",), "0.12.1", True),
        (("0.8.0-alpha2",), "0.8.0a2", True),
        (("1.0", "1.1"), "1.2", False),
        (("1.0", "1.1"), "1.0.post1", False),
        (("1.0", "1.1"), "1.0rc1", False),
        (("1.0",), "1.0+cu118", True),  # a local build of a listed release
        (("1.0+cu118",), "1.0+cu118", True),
        (("1.0+cu118",), "1.0", False),
        (("1.0+cu118",), "1.0+cu117", False),
        (("not a version", "2.0"), "2.0", True),
        (("not a version",), "1.0", False),
    ],
)
def test_versions_list(listed: tuple[str, ...], version: str, expected: bool) -> None:
    advisory = adv(versions=listed)
    assert affects(advisory, PKG, Version(version)) is expected


def test_versions_list_or_range() -> None:
    # Listed but outside the range (an inconsistent record): OSV says either one suffices.
    advisory = adv(events("introduced 0", "fixed 23.9.0"), versions=("23.9.0",))
    assert affects(advisory, PKG, Version("23.9.0"))
    assert affects(advisory, PKG, Version("23.8"))
    assert not affects(advisory, PKG, Version("23.9.1"))


def test_only_the_named_package_matches() -> None:
    other = Affected(
        package=canonicalize_name("other"),
        ranges=(AffectedRange("ECOSYSTEM", events("introduced 0", "fixed 9.0")),),
        versions=("5.0",),
    )
    base = adv(events("introduced 0", "fixed 1.0"))
    advisory = Advisory(id=base.id, modified=base.modified, affected=(*base.affected, other))
    assert affects(advisory, PKG, Version("0.5"))
    assert not affects(advisory, PKG, Version("5.0"))
    assert affects(advisory, canonicalize_name("other"), Version("5.0"))
    assert not affects(advisory, canonicalize_name("third"), Version("0.5"))
    assert fixed_versions(advisory, PKG, Version("0.5")) == ("1.0",)
    assert fixed_versions(advisory, canonicalize_name("other"), Version("0.5")) == ("9.0",)


@pytest.mark.parametrize("query", ["foo-bar", "Foo_Bar", "foo.bar", "FOO--bar"])
def test_names_are_normalised(query: str) -> None:
    advisory = adv(events("introduced 0"), package="Foo_Bar")
    assert advisory.affected[0].package == "foo-bar"
    assert affects(advisory, canonicalize_name(query), Version("1.0"))
    assert affects(advisory, query, Version("1.0"))  # type: ignore[arg-type]


@pytest.mark.parametrize("range_type", ["GIT", "SEMVER"])
def test_git_and_semver_ranges_are_ignored(range_type: str) -> None:
    advisory = adv(events("introduced 0"), range_type=range_type)
    assert not affects(advisory, PKG, Version("1.0"))
    lines = "\n".join(explain(advisory, PKG, Version("1.0")).lines)
    assert f"range 0 ({range_type}): ignored" in lines


def test_withdrawn_records_never_match() -> None:
    advisory = adv(events("introduced 0"), versions=("1.0",), withdrawn="2024-02-01T00:00:00Z")
    assert not affects(advisory, PKG, Version("1.0"))
    assert fixed_versions(advisory, PKG, Version("1.0")) == ()
    assert find([advisory], PKG, Version("1.0")) == ()
    why = explain(advisory, PKG, Version("1.0"))
    assert not why.matched
    assert "withdrawn 2024-02-01T00:00:00Z" in str(why)


@pytest.mark.parametrize(
    ("ranges", "listed", "version", "fixes"),
    [
        ([("introduced 0", "fixed 1.0")], (), "0.5", ("1.0",)),
        ([("introduced 0", "fixed 1.0")], (), "1.0", ()),
        ([("introduced 0", "fixed 1.0"), ("introduced 2.0", "fixed 2.5")], (), "0.5", ("1.0",)),
        ([("introduced 0", "fixed 1.0"), ("introduced 2.0", "fixed 2.5")], (), "2.1", ("2.5",)),
        ([("introduced 0", "fixed 1.0"), ("introduced 2.0", "fixed 2.5")], (), "1.5", ()),
        # the fix of the interval holding the version, not the range's first fix
        (
            [("introduced 1.0", "fixed 1.0.2", "introduced 3.0", "fixed 3.2.5")],
            (),
            "3.1",
            ("3.2.5",),
        ),
        # two overlapping ranges both contain it: both fixes, ascending
        (
            [("introduced 1.0", "fixed 1.5"), ("introduced 0", "fixed 1.2")],
            (),
            "1.1",
            ("1.2", "1.5"),
        ),
        # the same fix spelled twice is one fix
        ([("introduced 0", "fixed 1.2"), ("introduced 1.0", "fixed 1.2.0")], (), "1.1", ("1.2",)),
        ([("introduced 0", "last_affected 1.5")], (), "1.1", ()),
        ([("introduced 0",)], (), "1.1", ()),
        ([("introduced 0", "fixed 1.0rc1")], (), "1.0a2", ("1.0rc1",)),
        ([("introduced 0", "fixed 2.1.0")], (), "2.0+cu118", ("2.1.0",)),
        # listed only (no range holds it): the next fix above it in the entry's ranges
        (
            [("introduced 2.11", "fixed 2.11.7", "introduced 0", "fixed 2.11.6")],
            ("2.11.6",),
            "2.11.6",
            ("2.11.7",),
        ),
        ([("introduced 0", "fixed 23.9.0")], ("23.9.0",), "23.9.0", ()),
    ],
)
def test_fixed_versions(
    ranges: list[tuple[str, ...]], listed: tuple[str, ...], version: str, fixes: tuple[str, ...]
) -> None:
    advisory = adv(*(events(*r) for r in ranges), versions=listed)
    assert fixed_versions(advisory, PKG, Version(version)) == fixes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.0", Version("1.0")),
        (" 2.1.0+cu118 ", Version("2.1.0+cu118")),
        ("2004d", None),
        ("1.0-legacy+", None),
        ("", None),
        ("0.8.0-alpha2", Version("0.8.0a2")),
    ],
)
def test_version_or_none(text: str, expected: Version | None) -> None:
    assert version_or_none(text) == expected


# ------------------------------------------------------------------------------ find


def test_alias_groups_are_transitive() -> None:
    a = adv(events("introduced 0"), id="OSV-2024-5", aliases=("CVE-2024-1",))
    b = adv(events("introduced 0"), id="GHSA-bbbb-bbbb-bbbb", aliases=("CVE-2024-1", "CVE-2024-2"))
    c = adv(events("introduced 0"), id="PYSEC-2024-3", aliases=("CVE-2024-2",))
    (finding,) = find([a, b, c], PKG, Version("1.0"))
    assert finding.id == "PYSEC-2024-3"
    assert finding.aliases == ("CVE-2024-1", "CVE-2024-2", "GHSA-bbbb-bbbb-bbbb", "OSV-2024-5")
    assert finding.records == ("PYSEC-2024-3", "GHSA-bbbb-bbbb-bbbb", "OSV-2024-5")


def test_records_listing_each_other_are_one_finding() -> None:
    a = adv(events("introduced 0"), id="GHSA-aaaa-aaaa-aaaa", aliases=("PYSEC-2020-1",))
    b = adv(events("introduced 0"), id="PYSEC-2020-1", aliases=("GHSA-aaaa-aaaa-aaaa",))
    (finding,) = find([a, b], PKG, Version("1.0"))
    assert (finding.id, finding.aliases) == ("PYSEC-2020-1", ("GHSA-aaaa-aaaa-aaaa",))


def test_unrelated_and_non_matching_records() -> None:
    a = adv(events("introduced 0"), id="PYSEC-2024-1", aliases=("CVE-2024-1",))
    b = adv(events("introduced 0"), id="PYSEC-2024-2", aliases=("CVE-2024-2",))
    # c would bridge a and b, but it does not affect this version, so it does not count
    c = adv(
        events("introduced 5.0"), id="GHSA-cccc-cccc-cccc", aliases=("CVE-2024-1", "CVE-2024-2")
    )
    other_pkg = adv(events("introduced 0"), id="PYSEC-2024-9", package="other")
    findings = find([b, c, a, other_pkg], PKG, Version("1.0"))
    assert [f.id for f in findings] == ["PYSEC-2024-1", "PYSEC-2024-2"]
    assert [f.aliases for f in findings] == [("CVE-2024-1",), ("CVE-2024-2",)]
    assert find([a, b], PKG, Version("1.0")) == find([b, a], PKG, Version("1.0"))


@pytest.mark.parametrize(
    ("ids", "display"),
    [
        (["CVE-2024-1", "GHSA-bbbb-bbbb-bbbb", "PYSEC-2024-7"], "PYSEC-2024-7"),
        (["CVE-2024-1", "GHSA-zzzz-zzzz-zzzz", "GHSA-aaaa-aaaa-aaaa"], "GHSA-aaaa-aaaa-aaaa"),
        (["OSV-2024-1", "CVE-2024-9", "MAL-2024-1"], "CVE-2024-9"),
        (["OSV-2024-1", "MAL-2024-1"], "MAL-2024-1"),
        (["PYSEC-2024-2", "PYSEC-2024-10"], "PYSEC-2024-10"),
    ],
)
def test_display_id_order(ids: list[str], display: str) -> None:
    record = adv(events("introduced 0"), id=ids[-1], aliases=tuple(ids[:-1]))
    (finding,) = find([record], PKG, Version("1.0"))
    assert finding.id == display
    assert finding.aliases == tuple(sorted(set(ids) - {display}))
    assert min(ids, key=id_sort_key) == display


def test_finding_fields_come_from_the_whole_group() -> None:
    cvss_high = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    a = adv(
        events("introduced 0", "fixed 1.2"),
        id="GHSA-aaaa-aaaa-aaaa",
        aliases=("PYSEC-2024-1",),
        summary="Denial of service in pkg",
        cvss=(("CVSS_V3", cvss_high),),
    )
    a = Advisory(**{**a.__dict__, "modified": "2024-03-01T10:00:00.500000Z"})
    b = adv(
        events("introduced 0", "fixed 1.2.0"),
        events("introduced 1.0", "fixed 1.1.5"),
        id="PYSEC-2024-1",
        details="\n  First line of details.\nSecond line.",
        database_severity="MODERATE",
    )
    b = Advisory(**{**b.__dict__, "modified": "2024-03-01T10:00:00Z"})
    (finding,) = find([a, b], PKG, Version("1.1"))
    assert finding.kind == "vulnerability"
    assert finding.id == "PYSEC-2024-1"
    assert finding.summary == "First line of details."  # the display record's, first line
    assert finding.severity == Severity(SeverityLabel.HIGH, 7.5, cvss_high, "cvss")
    assert finding.fixed_in == ("1.1.5", "1.2")
    assert finding.records == ("PYSEC-2024-1", "GHSA-aaaa-aaaa-aaaa")
    # 10:00:00.5 is newer than 10:00:00, though it sorts lower as text
    assert finding.modified == "2024-03-01T10:00:00.500000Z"


def test_summary_when_display_id_is_only_an_alias() -> None:
    a = adv(events("introduced 0"), id="OSV-2024-1", aliases=("CVE-2024-1",), summary="Bad")
    (finding,) = find([a], PKG, Version("1.0"))
    assert (finding.id, finding.summary) == ("CVE-2024-1", "Bad")


def test_database_label_beats_lower_cvss_in_a_group() -> None:
    low = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"
    a = adv(events("introduced 0"), id="PYSEC-2024-1", cvss=(("CVSS_V3", low),))
    b = adv(events("introduced 0"), id="GHSA-aaaa-aaaa-aaaa", aliases=("PYSEC-2024-1",))
    b = Advisory(**{**b.__dict__, "database_severity": "CRITICAL"})
    (finding,) = find([a, b], PKG, Version("1.0"))
    assert finding.severity == Severity(SeverityLabel.CRITICAL, source="database")


@pytest.mark.parametrize(
    "record",
    [
        adv(events("introduced 0"), id="MAL-2024-77", malicious=True),
        adv(events("introduced 0"), id="GHSA-aaaa-aaaa-aaaa", malicious=True),
        adv(events("introduced 0"), id="GHSA-aaaa-aaaa-aaaa", aliases=("MAL-2024-77",)),
    ],
)
def test_malware_kind(record: Advisory) -> None:
    plain = adv(events("introduced 0"), id="PYSEC-2024-1", aliases=(record.id,))
    (finding,) = find([plain, record], PKG, Version("1.0"))
    assert finding.kind == "malware"


def test_no_findings_for_unaffected_version() -> None:
    assert find([adv(events("introduced 0", "fixed 1.0"))], PKG, Version("1.0")) == ()


# ------------------------------------------------------------------------------ closing


def test_closing_version_skips_fixes_that_walk_into_the_next_advisory() -> None:
    first = adv(events("introduced 0", "fixed 2.20.0"), id="PYSEC-2018-28")
    second = adv(events("introduced 2.20.0", "fixed 2.22.0"), id="PYSEC-2019-1")
    assert closing_version([first, second], PKG, Version("2.19.0")) == "2.22.0"
    assert closing_version([first], PKG, Version("2.19.0")) == "2.20.0"
    assert closing_version([first, second], PKG, Version("2.22.0")) is None


def test_closing_version_falls_back_to_closing_current_findings() -> None:
    first = adv(events("introduced 0", "fixed 1.5"), id="PYSEC-1")
    unfixed = adv(events("introduced 1.5"), id="PYSEC-2")
    assert closing_version([first, unfixed], PKG, Version("1.0")) == "1.5"
    assert closing_version([unfixed], PKG, Version("1.6")) is None


# ------------------------------------------------------------------------------ explain


def test_explain_names_the_deciding_event() -> None:
    advisory = adv(
        events("introduced 0", "fixed 2.20.0"), id="PYSEC-2018-28", aliases=("CVE-2018-18074",)
    )
    why = explain(advisory, PKG, Version("2.19.0"))
    assert why.matched
    assert why.advisory_id == "PYSEC-2018-28"
    assert why.lines == (
        "PYSEC-2018-28 (modified 2024-01-01T00:00:00Z)",
        "  aliases: CVE-2018-18074",
        "  not withdrawn",
        "  affected[0] pkg:",
        "    range 0 (ECOSYSTEM): events sorted: introduced 0, fixed 2.20.0",
        "      decided by introduced 0 (every version): 2.19.0 >= 0 -> affected",
        "    versions list: empty",
        "result: pkg 2.19.0 is affected by PYSEC-2018-28",
    )

    fixed = explain(advisory, PKG, Version("2.20.0"))
    assert not fixed.matched
    assert "decided by fixed 2.20.0: 2.20.0 >= 2.20.0 -> not affected" in str(fixed)
    assert fixed.lines[-1] == "result: pkg 2.20.0 is not affected by PYSEC-2018-28"


def test_explain_versions_list_limits_notes_and_other_packages() -> None:
    other = Affected(package=canonicalize_name("other"), versions=("1.0",))
    base = adv(events("introduced 3.0", "limit 3.5", "fixed nope"), versions=("1.0", "1.1"))
    advisory = Advisory(id=base.id, modified=base.modified, affected=(other, *base.affected))
    text = str(explain(advisory, PKG, Version("1.1")))
    assert "affected[0] is for other: not this package, skipped" in text
    assert "limits: limit 3.5" in text
    assert "note: fixed 'nope' is not a PEP 440 version; ignored" in text
    assert "no event is at or below 1.1 -> not affected" in text
    assert "versions list: '1.1' equals 1.1 -> affected" in text
    assert text.endswith("result: pkg 1.1 is affected by PYSEC-2024-1")

    above = str(explain(advisory, PKG, Version("4.0")))
    assert "4.0 is not below any limit -> not affected" in above
    assert "versions list: 2 versions, 4.0 not among them" in above


def test_explain_last_affected() -> None:
    advisory = adv(events("introduced 0", "last_affected 1.11.0"))
    assert "decided by last_affected 1.11.0: 1.11.1 > 1.11.0 -> not affected" in str(
        explain(advisory, PKG, Version("1.11.1"))
    )


def test_explain_local_builds_and_sorting() -> None:
    advisory = adv(events("fixed 2.2", "introduced 2.1.0", "last_affected 2.1.0"))
    text = str(explain(advisory, PKG, Version("2.1.0+cu118")))
    assert "2.1.0+cu118 is a local build: compared as 2.1.0" in text
    assert "events sorted: introduced 2.1.0, last_affected 2.1.0, fixed 2.2" in text
    assert "decided by introduced 2.1.0: 2.1.0+cu118 >= 2.1.0 -> affected" in text


def test_a_non_matching_record_of_the_same_problem_adds_its_id() -> None:
    """The GHSA record says CVE-2024-1 was fixed earlier than the PYSEC record does; it is
    still the same problem, so its id belongs to the finding (an ignore may use it)."""
    pysec = adv(events("introduced 0", "fixed 2.0"), id="PYSEC-2024-1", aliases=("CVE-2024-1",))
    ghsa = adv(
        events("introduced 0", "fixed 0.5"), id="GHSA-aaaa-bbbb-cccc", aliases=("CVE-2024-1",)
    )
    withdrawn = adv(
        events("introduced 0", "fixed 0.5"),
        id="GHSA-dddd-eeee-ffff",
        aliases=("CVE-2024-1",),
        withdrawn="2024-06-01T00:00:00Z",
    )
    (finding,) = find([pysec, ghsa, withdrawn], PKG, Version("1.0"))
    assert finding.id == "PYSEC-2024-1"
    assert finding.aliases == ("CVE-2024-1", "GHSA-aaaa-bbbb-cccc")
    assert finding.records == ("PYSEC-2024-1",)


def test_severity_is_the_highest_of_the_whole_alias_group() -> None:
    """The PYSEC record gives no rating; the GHSA record for the same problem (in the store,
    but with a range that does not reach this version) carries a CVSS vector: the finding
    takes it, instead of showing 'unknown' for a critical problem."""
    critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    pysec = adv(
        events("introduced 0", "fixed 2.0"), id="PYSEC-2024-1", aliases=("GHSA-aaaa-bbbb-cccc",)
    )
    ghsa = adv(
        events("introduced 0", "fixed 0.5"),
        id="GHSA-aaaa-bbbb-cccc",
        aliases=("CVE-2024-1",),
        cvss=(("CVSS_V3", critical),),
    )
    (finding,) = find([pysec, ghsa], PKG, Version("1.0"))
    assert finding.records == ("PYSEC-2024-1",)
    assert finding.severity == Severity(SeverityLabel.CRITICAL, 9.8, critical, "cvss")
    # A withdrawn record's rating does not count: it no longer speaks for the problem.
    gone = Advisory(**{**ghsa.__dict__, "withdrawn": "2024-06-01T00:00:00Z"})
    (finding,) = find([pysec, gone], PKG, Version("1.0"))
    assert finding.severity.label == SeverityLabel.UNKNOWN
