"""The JSON report is written a dependency at a time (for memory), and must be exactly the
text of the whole document dumped at once."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from pipvet.cli._common import Output
from pipvet.report.jsonindent import Raw, dumps, dumps_at
from pipvet.report.jsonout import audit_to_dict, render_audit_json, render_audit_json_pieces
from tests.report_samples import SAMPLES


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_written_in_pieces_is_the_whole_document(name: str) -> None:
    report = SAMPLES[name]
    text = render_audit_json(report)
    assert text == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_no_dependencies() -> None:
    report = dataclasses.replace(SAMPLES["clean"], results=())
    assert render_audit_json(report) == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_what_only_json_dumps_writes_falls_back_to_it() -> None:
    snapshot = dataclasses.replace(SAMPLES["full"].snapshot, age_seconds=float("nan"))
    report = dataclasses.replace(SAMPLES["full"], snapshot=snapshot)
    text = render_audit_json(report)
    assert '"age_seconds": NaN' in text
    assert text == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_raw_text_goes_in_as_it_is() -> None:
    inner = dumps_at({"a": [1, "x"]}, 2)
    assert inner is not None
    assert dumps_at({"k": [Raw(inner)]}, 0) == dumps({"k": [{"a": [1, "x"]}]})


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_pieces_the_cli_writes_join_to_the_same_text(name: str) -> None:
    report = SAMPLES[name]
    pieces = list(render_audit_json_pieces(report))
    assert "".join(pieces) == render_audit_json(report)
    # the frame's head, one piece per dependency, the frame's tail: never the whole document
    assert len(pieces) == (len(report.results) + 2 if report.results else 1)


def test_a_dependency_only_json_dumps_writes_falls_back_alone() -> None:
    full = SAMPLES["full"]
    index, result = next(
        (i, r) for i, r in enumerate(full.results) if any(f.severity for f in r.findings)
    )
    findings = tuple(
        dataclasses.replace(f, severity=dataclasses.replace(f.severity, score=float("nan")))
        if f.severity
        else f
        for f in result.findings
    )
    results = list(full.results)
    results[index] = dataclasses.replace(result, findings=findings)
    report = dataclasses.replace(full, results=tuple(results))
    joined = "".join(render_audit_json_pieces(report))
    assert '"score": NaN' in joined
    assert joined == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_the_cli_writes_pieces_masked_and_ends_them_with_one_newline() -> None:
    stdout = io.StringIO()
    Output(stdout, io.StringIO()).write_pieces(["see https://u:TOKEN@mirror.example/x", "", " b"])
    assert stdout.getvalue() == "see https://***@mirror.example/x b\n"
    ended = io.StringIO()
    Output(ended, io.StringIO()).write_pieces(["{", "}\n"])
    assert ended.getvalue() == "{}\n"
