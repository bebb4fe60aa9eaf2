from __future__ import annotations

import json
from typing import Any

import pytest

from pipvet.report.jsonout import render_audit_json
from tests.report_samples import CLEAN, FULL, INCOMPLETE, SAMPLES


def doc(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(render_audit_json(SAMPLES[name]))
    return value


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_top_level_keys_in_stable_order(name: str) -> None:
    assert list(doc(name)) == [
        "tool",
        "target",
        "advisory_db",
        "fail_on",
        "unknown_severity",
        "verdict",
        "dependencies",
        "ignore_notes",
        "warnings",
        "summary",
    ]
    assert render_audit_json(SAMPLES[name]).startswith('{\n  "tool": {\n    "name": "pipvet"')


def test_contract_fields_from_the_issue() -> None:
    data = doc("full")
    assert data["tool"] == {"name": "pipvet", "version": "0.1.0"}
    db = data["advisory_db"]
    assert (db["source"], db["newest_modified"], db["records"]) == (
        "https://osv-vulnerabilities.storage.googleapis.com",
        "2024-10-10T18:25:43Z",
        2661,
    )
    requests = data["dependencies"][1]
    assert [k for k in requests if k in ("name", "version", "skipped", "findings")] == [
        "name",
        "version",
        "skipped",
        "findings",
    ]
    assert (requests["name"], requests["version"], requests["skipped"]) == (
        "requests",
        "2.19.0",
        None,
    )
    (finding,) = requests["findings"]
    assert {k: finding[k] for k in ("id", "aliases", "kind", "fixed_in", "ignored")} == {
        "id": "PYSEC-2018-28",
        "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
        "kind": "vulnerability",
        "fixed_in": ["2.20.0"],
        "ignored": False,
    }
    assert finding["summary"].startswith("Requests sends an HTTP Authorization header")
    assert requests["fix_requirement"] == "requests>=2.20.0"
    assert requests["location"] == {"path": "requirements.txt", "line": 3}


def test_severity_is_null_when_unknown_else_an_object() -> None:
    findings = {f["id"]: f for d in doc("full")["dependencies"] for f in d["findings"]}
    assert findings["PYSEC-2022-9"]["severity"] is None
    assert findings["MAL-2024-1234"]["severity"] is None
    assert findings["PYSEC-2018-28"]["severity"] == {
        "label": "high",
        "score": 7.5,
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        "source": "cvss",
    }
    assert findings["PYSEC-2019-133"]["severity"] == {
        "label": "medium",
        "score": None,
        "vector": None,
        "source": "database",
    }


def test_ignored_and_failing_flags() -> None:
    findings = {f["id"]: f for d in doc("full")["dependencies"] for f in d["findings"]}
    ignored = findings["GHSA-v845-jxx5-vc9f"]
    assert (ignored["ignored"], ignored["ignore_reason"], ignored["fails"]) == (
        True,
        "we never send cookies from batch jobs",
        False,
    )
    # Fail level is high: medium passes, unknown fails closed, malware always fails.
    assert findings["PYSEC-2019-133"]["fails"] is False
    assert findings["PYSEC-2022-9"]["fails"] is True
    assert findings["MAL-2024-1234"]["fails"] is True


@pytest.mark.parametrize(
    ("report", "summary"),
    [
        (
            FULL,
            {"dependencies": 7, "findings": 5, "unchecked": 1, "not_from_index": 1,
             "malware": 1, "ignored": 1, "unrated": 1, "failing": 3},
        ),
        (
            INCOMPLETE,
            {"dependencies": 2, "findings": 0, "unchecked": 1, "not_from_index": 0,
             "malware": 0, "ignored": 0, "unrated": 0, "failing": 0},
        ),
        (
            CLEAN,
            {"dependencies": 3, "findings": 0, "unchecked": 0, "not_from_index": 0,
             "malware": 0, "ignored": 0, "unrated": 0, "failing": 0},
        ),
    ],
)  # fmt: skip
def test_summary_counts(report: Any, summary: dict[str, int]) -> None:
    assert json.loads(render_audit_json(report))["summary"] == summary


def test_unchecked_dependency_carries_its_reason() -> None:
    flask = doc("incomplete")["dependencies"][1]
    assert flask["skipped"] == "not pinned: audit the installed environment"
    assert flask["version"] is None
    assert flask["findings"] == []


def test_notes_warnings_and_verdict() -> None:
    data = doc("full")
    assert data["ignore_notes"][0] == {
        "id": "PYSEC-2017-1",
        "problem": "expired",
        "reason": "waiting for upstream",
        "expires": "2024-09-30",
    }
    assert data["warnings"] == [
        "the advisory data is 3 hours old; run 'pipvet db sync' for the newest"
    ]
    assert data["fail_on"] == "high"
    assert data["verdict"]["status"] == "fail"
    assert doc("incomplete")["verdict"]["status"] == "incomplete"
    assert doc("clean")["verdict"]["status"] == "pass"
