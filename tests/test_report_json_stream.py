"""The JSON report is written a dependency at a time (for memory), and must be exactly the
text of the whole document dumped at once."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipvet.report.jsonindent import Raw, dumps, dumps_at
from pipvet.report.jsonout import audit_to_dict, render_audit_json
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
