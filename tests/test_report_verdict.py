from __future__ import annotations

import pytest

from pipvet.frozen import replace
from pipvet.models import AuditReport, DependencyResult, FindingKind, Severity, SeverityLabel
from pipvet.policy import FailOn
from pipvet.report._common import (
    age_text,
    severity_text,
    shorten,
    snapshot_text,
    stale_text,
    verdict,
)
from tests.report_samples import (
    CLEAN,
    EVIL,
    FLASK,
    FULL,
    MISTUNE,
    NUMPY,
    REQUESTS,
    SNAPSHOT,
    URLLIB3,
)


def report(*results: DependencyResult, fail_on: FailOn = "any", records: int = 2661) -> AuditReport:
    return AuditReport("0.1.0", "t", replace(SNAPSHOT, records=records), results, fail_on=fail_on)


def relabel(
    result: DependencyResult, label: SeverityLabel, kind: FindingKind = "vulnerability"
) -> DependencyResult:
    findings = tuple(replace(f, severity=Severity(label), kind=kind) for f in result.findings)
    return replace(result, findings=findings)


HIGH = SeverityLabel.HIGH
VERDICT_CASES = [
    (report(NUMPY), "pass", "PASSED: no known vulnerabilities or malware in 1 dependency."),
    (
        report(),
        "incomplete",
        "INCOMPLETE: nothing was checked: no dependencies were found in what was audited.",
    ),
    (
        report(NUMPY, FLASK),
        "incomplete",
        "INCOMPLETE: 1 dependency could not be checked; nothing was found in the 1 "
        "dependency that was checked.",
    ),
    (report(FLASK), "incomplete", "INCOMPLETE: 1 dependency could not be checked."),
    (
        report(NUMPY, records=0),
        "incomplete",
        "INCOMPLETE: no advisory data was available, so nothing could be checked.",
    ),
    (
        report(NUMPY, REQUESTS),
        "fail",
        "FAILED: 1 known vulnerability in 1 package.",
    ),
    (
        report(REQUESTS, fail_on=SeverityLabel.CRITICAL),
        "pass",
        "PASSED: 1 known vulnerability in 1 package (none at or above the fail level critical).",
    ),
    (
        report(REQUESTS, FLASK, fail_on=SeverityLabel.CRITICAL),
        "incomplete",
        "INCOMPLETE: 1 known vulnerability in 1 package (none at or above the fail level "
        "critical); 1 dependency could not be checked.",
    ),
    (
        report(relabel(MISTUNE, SeverityLabel.UNKNOWN), fail_on=SeverityLabel.CRITICAL),
        "fail",
        "FAILED: 2 known vulnerabilities in 1 package (2 at or above the fail level critical).",
    ),
    (
        report(URLLIB3, fail_on=HIGH),
        "pass",
        "PASSED: 1 known vulnerability in 1 package (none at or above the fail level high); "
        "1 finding ignored by policy.",
    ),
    (
        report(EVIL, fail_on=SeverityLabel.CRITICAL),
        "fail",
        "FAILED: malware in 1 package.",
    ),
    (
        report(EVIL, REQUESTS, FLASK),
        "fail",
        "FAILED: malware in 1 package; 1 known vulnerability in 1 package; 1 dependency "
        "could not be checked.",
    ),
]


@pytest.mark.parametrize(("audit", "status", "text"), VERDICT_CASES)
def test_verdict(audit: AuditReport, status: str, text: str) -> None:
    outcome = verdict(audit)
    assert (outcome.status, outcome.text) == (status, text)


# For each case above: was anything left unchecked (an unchecked dependency, no advisory data
# or nothing found to check), and does the verdict claim the dependencies are safe?
SAFETY_EXPECTED = [
    (False, True),  # NUMPY: everything checked, nothing found
    (True, False),  # nothing found to check
    (True, False),  # NUMPY checked, FLASK not
    (True, False),  # FLASK not checked
    (True, False),  # no advisory data
    (False, False),  # a vulnerability
    (False, False),  # a vulnerability below the fail level: passes, but is not "safe"
    (True, False),  # below the fail level, and FLASK not checked
    (False, False),  # unknown severity counts as failing
    (False, False),  # below the fail level, one finding ignored
    (False, False),  # malware
    (True, False),  # malware, a vulnerability, FLASK not checked
]


def _something_unchecked(audit: AuditReport) -> bool:
    return bool(audit.unchecked) or audit.snapshot.records == 0 or not audit.results


@pytest.mark.parametrize(
    ("audit", "unchecked", "claims_safety"),
    [
        (audit, unchecked, claims)
        for (audit, _, _), (unchecked, claims) in zip(VERDICT_CASES, SAFETY_EXPECTED, strict=True)
    ],
)
def test_never_claims_safety_when_something_is_unchecked(
    audit: AuditReport, unchecked: bool, claims_safety: bool
) -> None:
    outcome = verdict(audit)
    claims = outcome.status == "pass" and "no known vulnerabilities" in outcome.text
    assert (_something_unchecked(audit), claims) == (unchecked, claims_safety)
    assert not (unchecked and (claims or outcome.status == "pass"))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "just now"), (59, "just now"), (60, "1 minute ago"), (119 * 60, "119 minutes ago"),
     (2 * 3600, "2 hours ago"), (47 * 3600, "47 hours ago"), (48 * 3600, "2 days ago")],
)  # fmt: skip
def test_age_text(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


@pytest.mark.parametrize(
    ("severity", "text"),
    [
        (Severity(HIGH, 7.5, "CVSS:3.1/...", "cvss"), "high (CVSS 7.5)"),
        (Severity(SeverityLabel.NONE, 0.0, "CVSS:3.1/...", "cvss"), "none (CVSS 0.0)"),
        (Severity(SeverityLabel.MEDIUM, source="database"), "medium (advisory database rating)"),
        (
            Severity(SeverityLabel.UNKNOWN),
            "unknown (the advisory gives no rating, so pipvet counts it as failing)",
        ),
    ],
)
def test_severity_text(severity: Severity, text: str) -> None:
    assert severity_text(severity) == text


def test_snapshot_text() -> None:
    assert snapshot_text(SNAPSHOT) == (
        "https://osv-vulnerabilities.storage.googleapis.com (2,661 records, newest change "
        "2024-10-10T18:25:43Z (16 hours ago), synced 3 hours ago)"
    )
    assert snapshot_text(CLEAN.snapshot).endswith("(782 days ago), sync time unknown)")
    assert snapshot_text(replace(SNAPSHOT, age_seconds=None)).endswith(
        "synced 2024-10-11T08:00:00Z)"
    )
    assert snapshot_text(replace(SNAPSHOT, records=0)) == (
        "https://osv-vulnerabilities.storage.googleapis.com (no records available)"
    )


def test_stale_text_says_how_old_and_what_to_do() -> None:
    assert stale_text(SNAPSHOT) is None  # 16 hours old: fresh
    stale = stale_text(CLEAN.snapshot)
    assert stale is not None
    assert stale.startswith(
        "The advisory data is stale: its newest record changed on 2024-10-10, 782 days ago; "
        "the policy allows 7 days (max-data-age-days)."
    )
    assert "(/srv/mirror/osv) has probably stopped updating" in stale
    assert verdict(CLEAN).text.endswith("; STALE advisory data: the newest record is 782 days old.")
    assert "STALE" not in verdict(FULL).text
    # a newest record in the future (a forged or broken timestamp) proves nothing: stale
    future = replace(SNAPSHOT, newest_age_seconds=None)
    assert (stale_text(future) or "").startswith(
        "The advisory data cannot be shown to be current: the time of its newest record "
        "(2024-10-10T18:25:43Z) is in the future"
    )
    # a report whose data was not judged (no max-data-age-days) never claims either way
    assert stale_text(replace(CLEAN.snapshot, max_data_age_days=None)) is None


@pytest.mark.parametrize(
    ("text", "width", "short"),
    [
        ("short", 10, "short"),
        ("  spread\n over   lines ", 40, "spread over lines"),
        ("one two three four five", 15, "one two..."),
        ("one two, three four", 13, "one two..."),
    ],
)
def test_shorten(text: str, width: int, short: str) -> None:
    assert shorten(text, width) == short
    assert len(shorten(text, width)) <= width
