"""A stranger's string in any one field of an audit report comes out masked and escaped in
every format. The JSON report writes each dependency straight from the report and cleans only
the pieces that could hold a URL's userinfo: it must give exactly the text of cleaning the
whole report first (``shown_json``) and dumping it. Text and markdown clean a report without
walking its results when one test of their strings says nothing in them would change
(``report.plain``): each single defect, in each field of a result, must fail that test."""

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
from pipvet.report.safe import json_safe, link_target, markdown_link, shown_json, text_renderer
from tests.report_samples import FULL

HOSTILE = (
    "see https://user:TOKEN@evil.example/x \x1b[2K\rPASSED ##[add-mask]x\n::error::y "
    "\u202eexe \x9b31m \x7f \ud800"
)
# Harmless in any one place, but a terminal-width wrap puts each "::" at a line's start.
WRAPPED = f"2.0.0 {'a' * 80} ::set-env x=1 {'b' * 85} ::error::z {'c' * 90}   ::warning::w"
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


def _edits(text: str) -> dict[str, Edit]:
    """Edits that put ``text`` in one field of a report each."""
    return {
        "target": lambda r: replace(r, target=text),
        "tool_version": lambda r: replace(r, tool_version=text),
        "warning": lambda r: replace(r, warnings=(text,)),
        "snapshot.source": lambda r: replace(r, snapshot=replace(r.snapshot, source=text)),
        "snapshot.newest_modified": lambda r: replace(
            r, snapshot=replace(r.snapshot, newest_modified=text)
        ),
        "snapshot.overlay_replaced": lambda r: replace(
            r, snapshot=replace(r.snapshot, overlay_replaced=(text,))
        ),
        "ignore_note.reason": lambda r: replace(
            r, ignore_notes=(replace(r.ignore_notes[0], reason=text),)
        ),
        "dependency.name": lambda r: _dependency(r, name=text),
        "dependency.version": lambda r: _dependency(r, version=text),
        "dependency.skipped": lambda r: _dependency(r, skipped=text),
        "dependency.display_name": lambda r: _dependency(r, display_name=text),
        "dependency.local_build": lambda r: _dependency(r, local_build=text),
        "dependency.location": lambda r: _dependency(
            r, location=replace(r.results[_rated(r)].dependency.location, path=text)
        ),
        "fix_requirement": lambda r: _result(r, lambda d: replace(d, fix_requirement=text)),
        "finding.id": lambda r: _finding(r, id=text),
        "finding.aliases": lambda r: _finding(r, aliases=("CVE-1", text)),
        "finding.kind": lambda r: _finding(r, kind=text),
        "finding.summary": lambda r: _finding(r, summary=text),
        "finding.fixed_in": lambda r: _finding(r, fixed_in=(text,)),
        "finding.records": lambda r: _finding(r, records=(text,)),
        "finding.modified": lambda r: _finding(r, modified=text),
        "finding.ignore_reason": lambda r: _finding(r, ignored=True, ignore_reason=text),
        "finding.severity.vector": lambda r: _finding(
            r, severity=replace(r.results[_rated(r)].findings[0].severity, vector=text)
        ),
        "finding.severity.source": lambda r: _finding(
            r, severity=replace(r.results[_rated(r)].findings[0].severity, source=text)
        ),
    }


EDITS: dict[str, Edit] = _edits(HOSTILE)


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


WRAPPED_EDITS = _edits(WRAPPED)


@pytest.mark.parametrize("fmt", AUDIT_FORMATS)
@pytest.mark.parametrize("field", sorted(WRAPPED_EDITS))
def test_wrapping_a_long_field_starts_no_line_with_a_runner_command(field: str, fmt: str) -> None:
    text = "".join(render_audit_pieces(WRAPPED_EDITS[field](FULL), fmt, base_dir="/work"))
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


# Text and markdown clean a report (safe.shown) without walking its results when a test of
# their strings, joined, says no cleaning would change them (report.plain). Each piece below
# alone makes cleaning change a string: the test must see it, in every field it can be in.
ONE_DEFECT = (
    "https://u:TOKEN@h/x",  # userinfo
    "a\x1bb",  # C0
    "a\x9bb",  # C1
    "a\x7fb",  # DEL
    "a\u202eb",  # bidi override
    "a\u2066b",  # bidi isolate
    "a\ud800b",  # lone surrogate
    "a ##[add-mask]b",  # runner command anywhere
    "::error::x",  # runner command at the start
    " \t::error::x",  # after white space
    "line\n  ::warning::x",  # at a later line's start
    "\xa0a\x0bb",  # a no-break space does not hide a control character
)
# Unprintable or suspicious-looking, yet left as they are by cleaning: still no walk needed.
HARMLESS = ("a\xa0b", "a\nb\tc", "PCIDSK::File", "a :: b", "a::\nb::", "user@example.org")


def _walked(report: AuditReport, json: bool) -> AuditReport:
    """What cleaning gives when every result is walked, field by field."""
    from pipvet.report import safe

    walk = (
        safe._Walk(mask_userinfo, safe._mask_changes)
        if json
        else safe._Walk(safe._for_display, safe._display_changes)
    )
    walk._result_kind = None  # no shortcut
    cleaned: AuditReport = walk.walk(report)
    return cleaned


_STRING_FIELDS = [f for f in sorted(EDITS) if f not in ("target", "tool_version", "warning")]
_STRING_FIELDS = [f for f in _STRING_FIELDS if not f.startswith(("snapshot.", "ignore_note."))]


def _edited(field: str, text: str) -> AuditReport:
    return _edits(text)[field](FULL)


@pytest.mark.parametrize("text", ONE_DEFECT)
@pytest.mark.parametrize("field", _STRING_FIELDS)
def test_each_defect_in_each_result_field_is_seen_without_a_walk(field: str, text: str) -> None:
    from pipvet.report.plain import results_unchanged
    from pipvet.report.safe import _display_changes, shown

    report = _edited(field, text)
    assert not results_unchanged(report.results, _display_changes)
    assert shown(report) == _walked(report, json=False) != report


@pytest.mark.parametrize("text", HARMLESS)
@pytest.mark.parametrize("field", _STRING_FIELDS)
def test_a_harmless_string_takes_no_walk(field: str, text: str) -> None:
    from pipvet.report.plain import results_unchanged
    from pipvet.report.safe import _display_changes, _mask_changes, shown

    report = _edited(field, text)
    assert results_unchanged(report.results, _display_changes)
    assert results_unchanged(report.results, _mask_changes)
    assert shown(report).results is report.results
    assert _walked(report, json=False).results == report.results


def test_the_sample_reports_take_no_walk() -> None:
    # A field of the models that report.plain cannot read sends every report down the walk:
    # this says so (update report.plain's field lists).
    from pipvet.report.plain import results_unchanged
    from pipvet.report.safe import _display_changes

    assert results_unchanged(FULL.results, _display_changes)


def test_a_value_of_an_unexpected_type_takes_the_walk() -> None:
    from pipvet.report.plain import results_unchanged
    from pipvet.report.safe import _display_changes

    class Text(str):
        def __str__(self) -> str:
            return "clean"

    for value in (Text("a\x1bb"), ("a\x1bb",), ["x"], {"a\x1bb": 1}):
        report = _dependency(FULL, version=value)
        assert not results_unchanged(report.results, _display_changes)


@given(st.text(max_size=12), st.sampled_from(_STRING_FIELDS))
def test_shown_is_the_walk_for_any_text(text: str, field: str) -> None:
    from pipvet.report.safe import shown, shown_json

    report = _edited(field, text)
    assert shown(report) == _walked(report, json=False)
    assert shown_json(report) == _walked(report, json=True)


def test_every_control_character_is_one_isprintable_refuses() -> None:
    from pipvet.report.safe import _control

    every = "".join(map(chr, range(0x110000)))
    assert not any(c.isprintable() for c in _control().findall(every))


def test_any_text_renderer_leaves_no_runner_command_at_a_line_start() -> None:
    @text_renderer
    def render(value: str) -> str:
        return "pipvet\n" + "\n  ".join(value.split("|")) + "\n"  # as a wrap would

    text = render("plain|::set-env x=1")  # harmless as a value, at a line start once written
    assert not re.search(r"^\s*::", text, re.MULTILINE)
    assert "  \\x3a:set-env x=1" in text
    assert render("a::b|c :: d") == "pipvet\na::b\n  c :: d\n"  # mid-line colons stay
