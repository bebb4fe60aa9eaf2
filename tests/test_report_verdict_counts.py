"""``verdict`` and the JSON summary count in one pass what the report's selections
(malware_findings, unchecked, not_from_index, local_builds, ignored_findings, unrated) walk
for separately: on generated reports they must say what they said when written with them
(the verdict of then kept here as the reference)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipvet.frozen import replace
from pipvet.models import (
    CONDA_REASON,
    AuditReport,
    Dependency,
    DependencyResult,
    Finding,
    NormalizedName,
    Severity,
    SeverityLabel,
)
from pipvet.policy import finding_fails
from pipvet.report._common import (
    STATUS_WORD,
    AuditVerdict,
    VerdictStatus,
    _closing_parts,
    _not_from_index,
    fail_on_text,
    ignored_findings,
    malware_findings,
    plural,
    verdict,
    vulnerability_findings,
)
from pipvet.report.jsonout import audit_to_dict
from tests.report_samples import SNAPSHOT


def _old_verdict(report: AuditReport) -> AuditVerdict:
    """``verdict`` as it was, walking the report's selections."""
    malware = malware_findings(report)
    vulns = vulnerability_findings(report)
    failing = [f for _, f in vulns if finding_fails(f, report.fail_on, report.unknown_severity)]
    unchecked = len(report.unchecked)
    local = len(report.not_from_index)
    conda = sum(r.dependency.skipped == CONDA_REASON for r in report.not_from_index)
    no_data = report.snapshot.records == 0
    parts: list[str] = []
    if malware:
        packages = len({r.dependency.name for r, _ in malware})
        parts.append(f"malware in {plural(packages, 'package')}")
    if vulns:
        packages = len({r.dependency.name for r, _ in vulns})
        text = f"{plural(len(vulns), 'known vulnerability', 'known vulnerabilities')} in "
        text += plural(packages, "package")
        if report.fail_on != "any":
            level = fail_on_text(report.fail_on)
            text += (
                f" ({len(failing):,} at or above the fail level {level})"
                if failing
                else f" (none at or above the fail level {level})"
            )
        parts.append(text)
    if no_data:
        parts.append("no advisory data was available, so nothing could be checked")
    elif unchecked:
        checked = len(report.results) - unchecked - local
        text = f"{plural(unchecked, 'dependency', 'dependencies')} could not be checked"
        if not parts and checked:
            were = "was" if checked == 1 else "were"
            deps = plural(checked, "dependency", "dependencies")
            text += f"; nothing was found in the {deps} that {were} checked"
        parts.append(text)
    if not no_data:
        parts += _not_from_index(local, conda, len(report.local_builds))
    parts += _closing_parts(report, no_data, len(ignored_findings(report)))
    status: VerdictStatus
    if malware or failing:
        status = "fail"
    elif no_data or unchecked:
        status = "incomplete"
    elif not report.results:
        status = "incomplete"
        parts.insert(0, "nothing was checked: no dependencies were found in what was audited")
    else:
        status = "pass"
        if not vulns:
            if len(report.results) > local:
                deps = plural(len(report.results) - local, "dependency", "dependencies")
                parts.insert(0, f"no known vulnerabilities or malware in {deps}")
            else:
                parts.insert(0, "nothing to audit by version")
    return AuditVerdict(status, f"{STATUS_WORD[status]}: " + "; ".join(parts) + ".")


_findings = st.builds(
    Finding,
    kind=st.sampled_from(["vulnerability", "malware"]),
    id=st.just("PYSEC-1"),
    aliases=st.just(()),
    summary=st.just(""),
    severity=st.sampled_from(list(SeverityLabel)).map(Severity),
    fixed_in=st.just(()),
    records=st.just(("PYSEC-1",)),
    modified=st.just("2024-01-01T00:00:00Z"),
    ignored=st.booleans(),
)
_results = st.builds(
    lambda name, skipped, local, stated, findings: DependencyResult(
        Dependency(
            NormalizedName(name),
            "1.0",
            skipped=skipped,
            local=local,
            local_build=stated,
        ),
        tuple(findings),
    ),
    st.sampled_from(["a", "b", "c"]),
    st.none() | st.sampled_from(["no version", CONDA_REASON]),
    st.booleans(),
    st.none() | st.just("a local build"),
    st.lists(_findings, max_size=3),
)


@given(
    st.lists(_results, max_size=6),
    st.sampled_from(["any", *SeverityLabel]),
    st.sampled_from(["fail", "ignore"]),
    st.sampled_from([0, 5]),
)
def test_report_verdict_counts(
    results: list[DependencyResult], fail_on: object, unknown: str, records: int
) -> None:
    report = AuditReport(
        "0.1.0",
        "t",
        replace(SNAPSHOT, records=records),
        tuple(results),
        fail_on=fail_on,  # type: ignore[arg-type]
        unknown_severity=unknown,  # type: ignore[arg-type]
    )
    assert verdict(report) == _old_verdict(report)
    # The JSON summary counts the same way.
    findings = [f for r in report.results for f in r.findings]
    active = [f for f in findings if not f.ignored]
    assert audit_to_dict(report)["summary"] == {
        "dependencies": len(report.results),
        "findings": len(active),
        "unchecked": len(report.unchecked),
        "not_from_index": len(report.not_from_index),
        "malware": sum(1 for f in active if f.kind == "malware"),
        "ignored": len(findings) - len(active),
        "unrated": report.unrated,
        "failing": sum(
            1 for f in active if finding_fails(f, report.fail_on, report.unknown_severity)
        ),
    }
