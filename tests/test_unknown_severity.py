"""Findings without a severity rating: the policy's ``unknown-severity`` decides whether they
fail at a fail level above "any", and every audit format says which rule was used and how many
findings had no rating."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import PolicyError
from pipvet.frozen import replace
from pipvet.models import (
    UNKNOWN_SEVERITY,
    AuditReport,
    Dependency,
    DependencyResult,
    Finding,
    Severity,
    SeverityLabel,
    canonicalize_name,
)
from pipvet.policy import Policy, fails, finding_fails, load_policy
from pipvet.policy_schema import FailOn, UnknownSeverity
from pipvet.report.jsonout import render_audit_json
from pipvet.report.markdown import render_audit_markdown
from pipvet.report.sarif import render_sarif
from pipvet.report.text import render_audit_text
from tests.report_samples import SNAPSHOT

TODAY = date(2026, 12, 1)
CRITICAL = Severity(SeverityLabel.CRITICAL, 9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")


def finding(id_: str, severity: Severity, *, kind: str = "vulnerability") -> Finding:
    return Finding(
        kind=kind,  # type: ignore[arg-type]
        id=id_,
        aliases=(),
        summary="s",
        severity=severity,
        fixed_in=("2.0",),
        records=(id_,),
        modified="2024-01-01T00:00:00Z",
    )


def report(*findings: Finding, fail_on: FailOn, unknown: UnknownSeverity) -> AuditReport:
    dep = Dependency(canonicalize_name("pkg"), "1.0")
    return AuditReport(
        "0",
        "requirements.txt",
        SNAPSHOT,
        (DependencyResult(dep, findings),),
        fail_on=fail_on,
        unknown_severity=unknown,
    )


@pytest.mark.parametrize(
    ("fail_on", "label", "unknown", "expected"),
    [
        (SeverityLabel.CRITICAL, SeverityLabel.UNKNOWN, "fail", True),  # fail closed: default
        (SeverityLabel.CRITICAL, SeverityLabel.UNKNOWN, "ignore", False),
        (SeverityLabel.CRITICAL, SeverityLabel.HIGH, "fail", False),
        (SeverityLabel.CRITICAL, SeverityLabel.CRITICAL, "ignore", True),
        (SeverityLabel.LOW, SeverityLabel.UNKNOWN, "ignore", False),
        ("any", SeverityLabel.UNKNOWN, "ignore", True),  # "any" means every finding
    ],
)
def test_fail_decision(
    fail_on: FailOn, label: SeverityLabel, unknown: UnknownSeverity, expected: bool
) -> None:
    f = finding("X-1", Severity(label))
    assert finding_fails(f, fail_on, unknown) is expected
    audit = report(f, fail_on=fail_on, unknown=unknown)
    assert fails(audit) is expected
    # The policy, when given, decides over what the report recorded.
    flipped = replace(audit, unknown_severity="ignore" if unknown == "fail" else "fail")
    assert fails(flipped, Policy(fail_on=fail_on, unknown_severity=unknown)) is expected


def test_malware_fails_whatever_the_rule() -> None:
    mal = finding("MAL-2026-1", UNKNOWN_SEVERITY, kind="malware")
    assert finding_fails(mal, SeverityLabel.CRITICAL, "ignore") is True


def test_policy_key(tmp_path: Path) -> None:
    assert load_policy(tmp_path, today=TODAY).unknown_severity == "fail"
    (tmp_path / "pipvet.toml").write_text('fail-on = "critical"\nunknown-severity = "ignore"\n')
    assert load_policy(tmp_path, today=TODAY).unknown_severity == "ignore"


def test_a_bad_value_is_named(tmp_path: Path) -> None:
    (tmp_path / "pipvet.toml").write_text('unknown-severity = "skip"\n')
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, today=TODAY)
    shown = f"{info.value} {info.value.hint}"
    assert 'unknown-severity: "skip" is not allowed; use one of "fail", "ignore"' in shown


@pytest.mark.parametrize("unknown", ["fail", "ignore"])
def test_every_format_states_the_rule_and_the_unrated_count(unknown: UnknownSeverity) -> None:
    audit = report(
        finding("PYSEC-1", UNKNOWN_SEVERITY),
        finding("PYSEC-2", UNKNOWN_SEVERITY),
        finding("PYSEC-3", CRITICAL),
        fail_on=SeverityLabel.CRITICAL,
        unknown=unknown,
    )
    rule = f'unknown-severity = "{unknown}"'
    count = "2 of 3 findings have no rating"

    text = render_audit_text(audit)
    flat = " ".join(text.split())
    header = flat[: flat.index("Known vulnerabilities")]
    assert f"Fail level: critical; {rule}" in header
    assert count in header

    data = json.loads(render_audit_json(audit))
    assert data["fail_on"] == "critical"
    assert data["unknown_severity"] == unknown
    assert data["summary"]["unrated"] == 2
    assert data["summary"]["failing"] == (3 if unknown == "fail" else 1)
    fails_by_id = {f["id"]: f["fails"] for f in data["dependencies"][0]["findings"]}
    rated_fails = unknown == "fail"
    assert fails_by_id == {"PYSEC-1": rated_fails, "PYSEC-2": rated_fails, "PYSEC-3": True}

    markdown = render_audit_markdown(audit)
    assert "Fail level: critical  \nUnknown severity: " in markdown
    assert count in markdown

    sarif = json.loads(render_sarif(audit, base_dir="/p"))
    properties = sarif["runs"][0]["properties"]
    assert properties["failOn"] == "critical"
    assert properties["unknownSeverity"] == unknown
    assert properties["unratedFindings"] == 2


def test_the_text_note_follows_the_rule() -> None:
    unrated = finding("PYSEC-1", UNKNOWN_SEVERITY)
    failing = render_audit_text(report(unrated, fail_on=SeverityLabel.HIGH, unknown="fail"))
    assert "counts those as failing at every fail level" in " ".join(failing.split())
    passing = render_audit_text(report(unrated, fail_on=SeverityLabel.HIGH, unknown="ignore"))
    assert 'lets those pass unless fail-on = "any"' in " ".join(passing.split())


def test_fail_on_critical_means_what_it_says_with_unknown_severity_ignore(
    snapshot_project: Path,
) -> None:
    """The real snapshot: requests 2.19.0 has findings, none rated critical, some unrated."""
    project = snapshot_project
    (project / "r.txt").write_text("requests==2.19.0\n")

    def audit(policy: str) -> tuple[int, dict[str, Any]]:
        (project / "pipvet.toml").write_text(policy)
        out, err = io.StringIO(), io.StringIO()
        code = main(["audit", "-r", "r.txt", "--format", "json"], Output(out, err))
        assert "Traceback" not in err.getvalue()
        return code, json.loads(out.getvalue())

    code, report = audit('fail-on = "critical"\n')
    labels = [(f["severity"] or {}).get("label") for f in report["dependencies"][0]["findings"]]
    assert "critical" not in labels
    assert report["summary"]["unrated"] == labels.count(None) > 0
    assert (code, report["unknown_severity"]) == (1, "fail")  # fails closed by default
    code, report = audit('fail-on = "critical"\nunknown-severity = "ignore"\n')
    assert (code, report["unknown_severity"], report["summary"]["failing"]) == (0, "ignore", 0)
