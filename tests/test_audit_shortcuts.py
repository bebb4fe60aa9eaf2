"""The audit's shortcuts against the paths they skip: each answer must be the one the full
evaluation gives. Versions come from a tiny space, so records overlap, list each other's fixes
and share bounds often (where a shortcut could go wrong)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pipvet.advisories import digest
from pipvet.advisories.findings import Matched, group_findings
from pipvet.advisories.match import (
    affects,
    closing_fix,
    closing_version,
    find_matching,
    fixed_versions,
    package_record,
)
from pipvet.audit.match import match_records, with_fix_requirements
from pipvet.frozen import fields, replace
from pipvet.models import (
    UNKNOWN_SEVERITY,
    Advisory,
    Affected,
    AffectedRange,
    Dependency,
    DependencyResult,
    Finding,
    RangeEvent,
    Severity,
    SeverityLabel,
    canonicalize_name,
)
from pipvet.report.jsonout import audit_to_dict, render_audit_json
from tests.report_samples import SAMPLES
from tests.test_findings_groups import old_group_findings
from tests.test_match_intervals import _old_closing

PKG = canonicalize_name("pkg")

_texts = st.sampled_from(
    ["0.5", "1.0", "1.0.post1", "1.1", "1.1+cpu", "2.0rc1", "2.0", "2.0.0", "3.0", "3.0+cu1"]
)
_event = st.tuples(st.sampled_from(["introduced", "fixed", "last_affected", "limit"]), _texts)
_range = st.lists(_event, max_size=4).map(
    lambda events: [("introduced", "0"), *events] if len(events) % 2 else events
)
_spec = st.tuples(st.lists(_range, max_size=2), st.lists(_texts, max_size=3), st.booleans())


def _advisory(
    i: int, ranges: list[list[tuple[str, str]]], listed: list[str], gone: bool
) -> Advisory:
    entry = Affected(
        PKG,
        tuple(
            AffectedRange("ECOSYSTEM", tuple(RangeEvent(k, v) for k, v in r))  # type: ignore[arg-type]
            for r in ranges
        ),
        tuple(listed),
    )
    return Advisory(
        id=f"PYSEC-{i}",
        modified="2024-01-01T00:00:00Z",
        affected=(entry,),
        withdrawn="2024" if gone else None,
    )


@given(st.lists(_spec, min_size=1, max_size=5), _texts)
@settings(max_examples=1500)
def test_the_closing_fix_is_the_one_every_candidate_asked_gives(
    specs: list[tuple[list[list[tuple[str, str]]], list[str], bool]], installed_text: str
) -> None:
    advisories = [_advisory(i, *spec) for i, spec in enumerate(specs)]
    installed = Version(installed_text)
    expected = _old_closing([a for a in advisories if not a.withdrawn], installed)
    assert closing_version(advisories, PKG, installed) == expected
    records = [package_record(a, PKG) for a in advisories]
    assert closing_fix(records, installed, find_matching(records, installed)[1]) == expected


Ranges = list[list[tuple[str, str]]]


def _fixes(*ranges: tuple[str, ...], listed: tuple[str, ...] = ()) -> tuple[Ranges, list[str]]:
    """Ranges opening at their first version and fixed at the others, and a versions list."""
    return [[("introduced", r[0]), *(("fixed", v) for v in r[1:])] for r in ranges], list(listed)


def _closing(installed: str, *specs: tuple[Ranges, list[str]]) -> str | None:
    advisories = [_advisory(i, ranges, listed, False) for i, (ranges, listed) in enumerate(specs)]
    return closing_version(advisories, PKG, Version(installed))


def test_a_fix_another_record_lists_is_passed_over() -> None:
    # 1.1 closes the finding, but another record lists 1.1 itself: 4.0 is preferred.
    assert _closing("1.0", _fixes(("0", "1.1")), _fixes(("3.0", "4.0"), listed=("1.1",))) == "4.0"


def test_a_fix_the_affected_record_lists_is_no_fix() -> None:
    assert _closing("1.0", _fixes(("0", "1.1"), ("2.0", "3.0"), listed=("1.1",))) == "3.0"


def test_when_every_closing_fix_walks_into_another_problem_the_first_is_still_advised() -> None:
    # The other record opens at 1.1 and is never fixed: 1.1 still closes the finding.
    open_ended: tuple[Ranges, list[str]] = ([[("introduced", "1.1")]], [])
    assert _closing("1.0", _fixes(("0", "1.1")), open_ended) == "1.1"


def test_fix_advice_is_attached_as_replace_would() -> None:
    # with_fix_requirements builds DependencyResult positionally, which is replace() only
    # while these are its fields.
    assert [f.name for f in fields(DependencyResult)] == [
        "dependency",
        "findings",
        "fix_requirement",
    ]
    advisory = _advisory(0, [[("introduced", "0"), ("fixed", "2.0")]], [], False)
    record = package_record(advisory, PKG)
    deps = [Dependency(PKG, "1.0"), Dependency(PKG, "2.0"), Dependency(PKG, "1.1")]
    outcome = match_records(deps, lambda names: {PKG: [record]})
    stale = replace(outcome.results[1], fix_requirement="pkg>=9")
    results = (*outcome.results[:1], stale, *outcome.results[2:])
    fixed = with_fix_requirements(results, outcome.records, outcome.affecting)
    assert [r.fix_requirement for r in fixed] == ["pkg>=2.0", None, "pkg>=2.0"]
    assert fixed[0] == replace(results[0], fix_requirement="pkg>=2.0")
    assert fixed[1] == replace(stale, fix_requirement=None)


def test_findings_are_built_in_field_order() -> None:
    # group_findings builds each Finding positionally, in this order.
    assert [f.name for f in fields(Finding)] == [
        "kind",
        "id",
        "aliases",
        "summary",
        "severity",
        "fixed_in",
        "records",
        "modified",
        "ignored",
        "ignore_reason",
    ]


def test_records_that_name_no_other_still_merge_through_joining_records() -> None:
    # The matching records name no one (group_findings' shortcut for that case), but two
    # non-matching ones chain PYSEC-1 to GHSA-a: one finding, as the union-find reference says.
    def adv(rid: str, *aliases: str) -> Advisory:
        return Advisory(id=rid, modified="2024-01-01T00:00:00Z", aliases=aliases)

    matched: list[Matched] = [(adv("PYSEC-1"), []), (adv("GHSA-a"), []), (adv("GHSA-b"), [])]
    related = [adv("PYSEC-1", "PYSEC-2"), adv("PYSEC-2", "GHSA-a")]
    findings = group_findings(matched, related)
    assert findings == old_group_findings(matched, related)
    assert [(f.id, f.aliases) for f in findings] == [
        ("PYSEC-1", ("GHSA-a", "PYSEC-2")),
        ("GHSA-b", ()),
    ]


@given(st.lists(st.tuples(st.lists(_range, max_size=3), st.lists(_texts, max_size=3)), max_size=3))
def test_a_digest_gives_back_every_entry_and_range(
    entries: list[tuple[list[list[tuple[str, str]]], list[str]]],
) -> None:
    # decode reads a digest of one entry (nearly every record) on a path of its own.
    affected = tuple(_advisory(0, ranges, listed, False).affected[0] for ranges, listed in entries)
    advisory = replace(_advisory(0, [], [], False), affected=affected)
    record = package_record(advisory, PKG)
    assert digest.decode(digest.encode(record)).entries == record.entries


_ids = st.lists(st.sampled_from(["PYSEC-1", "GHSA-x", "CVE-2", "a\u00e9\u202e"]), max_size=3)
_ratings = st.sampled_from(
    [
        UNKNOWN_SEVERITY,
        Severity(SeverityLabel.HIGH, 7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "cvss"),
        Severity(SeverityLabel.MEDIUM, source="database"),
    ]
)
_findings = st.builds(
    Finding,
    kind=st.sampled_from(["vulnerability", "malware"]),
    id=st.sampled_from(["PYSEC-1", "GHSA-x"]),
    aliases=_ids.map(tuple),
    summary=st.text(max_size=5),
    severity=_ratings,
    fixed_in=st.lists(st.sampled_from(["1.0", "2.0rc1", 'x"y']), max_size=3).map(tuple),
    records=_ids.map(tuple),
    modified=st.just("2024-01-01T00:00:00Z"),
    ignored=st.booleans(),
    ignore_reason=st.none() | st.text(max_size=5),
)


@given(st.lists(st.lists(_findings, max_size=3), min_size=1, max_size=3))
def test_findings_written_straight_are_the_json_dumps_text(findings: list[list[Finding]]) -> None:
    # _finding_json writes one fix, one record and the booleans without the general helpers.
    base = SAMPLES["full"]
    results = tuple(
        replace(base.results[i % len(base.results)], findings=tuple(group))
        for i, group in enumerate(findings)
    )
    report = replace(base, results=results)
    assert render_audit_json(report) == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_a_fix_at_the_installed_version_is_not_offered() -> None:
    # _match reads a range's single fix on a path of its own: the fix must lie above.
    listed = _advisory(0, [[("introduced", "0"), ("fixed", "1.0")]], ["1.0"], False)
    reopened = _advisory(1, [[("fixed", "1.0"), ("introduced", "1.0")]], [], False)
    for advisory in (listed, reopened):
        assert affects(advisory, PKG, Version("1.0"))
        assert fixed_versions(advisory, PKG, Version("1.0")) == ()
        assert fixed_versions(advisory, PKG, Version("0.5")) == (
            ("1.0",) if advisory is listed else ()
        )
