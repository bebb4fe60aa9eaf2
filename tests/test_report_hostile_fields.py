"""A stranger's string in any one field of an audit report comes out masked and escaped in
every format. The JSON report writes each dependency straight from the report and cleans only
the pieces that could hold a URL's userinfo: it must give exactly the text of cleaning the
whole report first (``shown_json``) and dumping it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.frozen import replace
from pipvet.models import AuditReport, DependencyResult, Finding
from pipvet.redact import mask_userinfo
from pipvet.report._common import osv_url
from pipvet.report.audit import AUDIT_FORMATS, render_audit_pieces
from pipvet.report.jsonindent import dumps
from pipvet.report.jsonout import (
    _audit_json_pieces,
    _cleaned_pieces,
    audit_to_dict,
    render_audit_json,
    render_audit_json_pieces,
)
from pipvet.report.markdown import link, md
from pipvet.report.safe import json_safe, link_target, markdown_link, shown_json
from tests.report_samples import FULL

HOSTILE = (
    "see https://user:TOKEN@evil.example/x \x1b[2K\rPASSED ##[add-mask]x\n::error::y "
    "\u202eexe \x9b31m \x7f \ud800"
)
# What no format may hold raw: C0 but newline and tab, DEL, C1, the bidi override, a surrogate.
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e\ud800]")

Edit = Callable[[AuditReport], AuditReport]


def _rated(report: AuditReport) -> int:
    """Where the first dependency with a rated finding is."""
    return next(
        i for i, r in enumerate(report.results) if r.findings and r.findings[0].severity.score
    )


def _result(report: AuditReport, change: Callable[[DependencyResult], DependencyResult]) -> Any:
    results = list(report.results)
    at = _rated(report)
    results[at] = change(results[at])
    return replace(report, results=tuple(results))


def _finding(report: AuditReport, **fields: object) -> AuditReport:
    def change(result: DependencyResult) -> DependencyResult:
        finding: Finding = replace(result.findings[0], **fields)
        return replace(result, findings=(finding, *result.findings[1:]))

    return _result(report, change)  # type: ignore[no-any-return]


def _dependency(report: AuditReport, **fields: object) -> AuditReport:
    return _result(  # type: ignore[no-any-return]
        report, lambda r: replace(r, dependency=replace(r.dependency, **fields))
    )


EDITS: dict[str, Edit] = {
    "target": lambda r: replace(r, target=HOSTILE),
    "tool_version": lambda r: replace(r, tool_version=HOSTILE),
    "warning": lambda r: replace(r, warnings=(HOSTILE,)),
    "snapshot.source": lambda r: replace(r, snapshot=replace(r.snapshot, source=HOSTILE)),
    "snapshot.newest_modified": lambda r: replace(
        r, snapshot=replace(r.snapshot, newest_modified=HOSTILE)
    ),
    "snapshot.overlay_replaced": lambda r: replace(
        r, snapshot=replace(r.snapshot, overlay_replaced=(HOSTILE,))
    ),
    "ignore_note.reason": lambda r: replace(
        r, ignore_notes=(replace(r.ignore_notes[0], reason=HOSTILE),)
    ),
    "dependency.name": lambda r: _dependency(r, name=HOSTILE),
    "dependency.version": lambda r: _dependency(r, version=HOSTILE),
    "dependency.skipped": lambda r: _dependency(r, skipped=HOSTILE),
    "dependency.location": lambda r: _dependency(
        r, location=replace(r.results[_rated(r)].dependency.location, path=HOSTILE)
    ),
    "fix_requirement": lambda r: _result(r, lambda d: replace(d, fix_requirement=HOSTILE)),
    "finding.id": lambda r: _finding(r, id=HOSTILE),
    "finding.aliases": lambda r: _finding(r, aliases=("CVE-1", HOSTILE)),
    "finding.kind": lambda r: _finding(r, kind=HOSTILE),
    "finding.summary": lambda r: _finding(r, summary=HOSTILE),
    "finding.fixed_in": lambda r: _finding(r, fixed_in=(HOSTILE,)),
    "finding.records": lambda r: _finding(r, records=(HOSTILE,)),
    "finding.modified": lambda r: _finding(r, modified=HOSTILE),
    "finding.ignore_reason": lambda r: _finding(r, ignored=True, ignore_reason=HOSTILE),
    "finding.severity.vector": lambda r: _finding(
        r, severity=replace(r.results[_rated(r)].findings[0].severity, vector=HOSTILE)
    ),
    "finding.severity.source": lambda r: _finding(
        r, severity=replace(r.results[_rated(r)].findings[0].severity, source=HOSTILE)
    ),
}


def _cleaned_first(report: AuditReport) -> str:
    """The JSON report as written before dependencies were written straight from the report:
    the whole report cleaned, then dumped."""
    return json_safe(mask_userinfo(dumps(audit_to_dict(shown_json(report))) + "\n"))


@pytest.mark.parametrize("field", sorted(EDITS))
def test_json_is_the_text_of_cleaning_the_whole_report_first(field: str) -> None:
    report = EDITS[field](FULL)
    text = render_audit_json(report)
    assert text == _cleaned_first(report)
    assert text == "".join(render_audit_json_pieces(report))
    assert "TOKEN" not in text
    assert "##[" not in text
    assert not RAW.search(text)
    # Before the document's own masking (which alone would hide most of these): the pieces
    # written straight from the report are those of the cleaned report.
    assert "".join(_cleaned_pieces(report)) == "".join(_audit_json_pieces(shown_json(report)))


@pytest.mark.parametrize("fmt", AUDIT_FORMATS)
@pytest.mark.parametrize("field", sorted(EDITS))
def test_a_hostile_field_is_masked_and_escaped_in_every_format(field: str, fmt: str) -> None:
    report = EDITS[field](FULL)
    text = "".join(render_audit_pieces(report, fmt, base_dir="/work"))
    assert "TOKEN" not in text
    assert "##[" not in text
    assert not RAW.search(text)
    assert not re.search(r"^\s*::", text, re.MULTILINE)


def test_a_clean_report_is_written_straight_and_equals_the_cleaned_one() -> None:
    assert render_audit_json(FULL) == _cleaned_first(FULL)


def test_an_at_sign_alone_or_a_scheme_alone_needs_no_cleaning() -> None:
    # Each of these is left as it is by mask_userinfo, so written straight.
    for text in ("user@example.org", "https://example.org/x", "a@b and c://d"):
        report = _finding(FULL, summary=text)
        assert render_audit_json(report) == _cleaned_first(report)


@given(st.text() | st.sampled_from([HOSTILE, "\udc80", "a b)](javascript:x)", "%2F..%00"]))
def test_an_advisory_link_is_always_a_safe_target(advisory_id: str) -> None:
    # markdown and SARIF link advisories to osv_url without asking link_target each time
    url = osv_url(advisory_id)
    assert link_target(url) == url
    assert link(advisory_id) == markdown_link(md(advisory_id), url)
