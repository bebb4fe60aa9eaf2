"""What every audit renderer says the same way: the verdict, severities, ages, the advice.

Pure: data in, strings out. Keeping the wording here means text, markdown, JSON and SARIF
never disagree about whether an audit passed.
"""

from __future__ import annotations

from urllib.parse import quote

from pipvet.frozen import frozen
from pipvet.models import (
    CONDA_REASON,
    AuditReport,
    Dependency,
    DependencyResult,
    Finding,
    Severity,
    SeverityLabel,
    Snapshot,
    standing,
)
from pipvet.policy import finding_fails

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    from pipvet.policy import FailOn

VerdictStatus: TypeAlias = 'Literal["fail", "incomplete", "pass"]'

STATUS_WORD: dict[VerdictStatus, str] = {
    "fail": "FAILED",
    "incomplete": "INCOMPLETE",
    "pass": "PASSED",
}

MALWARE_MEANING = (
    "A known malicious package was installed. It could run any code as you, when it was "
    "installed and every time Python starts, so treat every credential this machine can "
    "reach as exposed."
)
MALWARE_STEPS = (
    "Stop using this environment: delete it and rebuild it from requirements you have "
    "checked (do not just uninstall the package; it may have left other code behind).",
    "From a different, clean machine, rotate the credentials this machine holds: cloud keys, "
    "code-hosting and package-index tokens, SSH keys, database passwords "
    "('pipvet exposure' lists what a package here could read).",
    "Find out how it got in (a typo in a requirement? a dependency of another package?) and "
    "check other machines and CI jobs that installed it.",
)


@frozen
class AuditVerdict:
    status: VerdictStatus
    text: str  # one line, e.g. "FAILED: 3 known vulnerabilities in 2 packages."


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def fail_on_text(fail_on: FailOn) -> str:
    return "any" if fail_on == "any" else fail_on.text


def unknown_severity_text(report: AuditReport) -> str:
    """The fail rule for findings without a rating and how many there are, in one line."""
    if report.unknown_severity == "fail":
        rule = 'unknown-severity = "fail" (a finding with no rating fails)'
    else:
        rule = 'unknown-severity = "ignore" (a finding with no rating passes)'
    vulns = sum(1 for _, f in report.active_findings if f.kind != "malware")
    return f"{rule}; {report.unrated:,} of {vulns:,} findings have no rating"


def malware_findings(report: AuditReport) -> tuple[tuple[DependencyResult, Finding], ...]:
    return tuple(
        (r, f) for r in report.results for f in r.findings if f.kind == "malware" and not f.ignored
    )


def vulnerability_findings(report: AuditReport) -> tuple[tuple[DependencyResult, Finding], ...]:
    return tuple(
        (r, f) for r in report.results for f in r.findings if f.kind != "malware" and not f.ignored
    )


def ignored_findings(report: AuditReport) -> tuple[tuple[DependencyResult, Finding], ...]:
    return tuple((r, f) for r in report.results for f in r.findings if f.ignored)


def verdict(report: AuditReport) -> AuditVerdict:
    """The one-line outcome. Never claims safety when anything went unchecked."""
    tally = counts(report)
    malware, vulns, failing, unchecked = (
        tally.malware,
        tally.vulnerabilities,
        tally.failing,
        tally.unchecked,
    )
    local, conda = tally.not_from_index, tally.conda
    no_data = report.snapshot.records == 0
    parts: list[str] = []
    if malware:
        parts.append(f"malware in {plural(tally.malware_packages, 'package')}")
    if vulns:
        text = f"{plural(vulns, 'known vulnerability', 'known vulnerabilities')} in "
        text += plural(tally.vulnerable_packages, "package")
        if report.fail_on != "any":
            level = fail_on_text(report.fail_on)
            text += (
                f" ({failing:,} at or above the fail level {level})"
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
        parts += _not_from_index(local, conda, tally.local_builds)
    parts += _closing_parts(report, no_data, tally.ignored)

    status: VerdictStatus
    if malware or failing:
        status = "fail"
    elif no_data or unchecked:
        status = "incomplete"
    elif not report.results:
        # An empty scan is the classic wrong-folder mistake (a venv root given to --path): it
        # checked nothing, so it must not read as a pass.
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


@frozen
class Counts:
    """What a report's verdict and summaries count, each walked for once where the report's
    own selections (malware_findings, unchecked, not_from_index...) would walk it seven times
    (tests/test_report_verdict_counts.py compares with those)."""

    malware: int  # active malware findings
    malware_packages: int
    vulnerabilities: int  # active vulnerability findings
    vulnerable_packages: int
    failing: int  # active vulnerability findings at or above the fail level
    unrated: int  # active vulnerability findings without a rating
    ignored: int  # findings ignored by policy
    unchecked: int  # len(report.unchecked)
    not_from_index: int  # len(report.not_from_index)
    conda: int  # of those, conda's packages
    local_builds: int  # len(report.local_builds)


def counts(report: AuditReport) -> Counts:
    fail_on, unknown_severity = report.fail_on, report.unknown_severity
    malware = vulns = failing = unrated = ignored = 0
    unchecked = local = conda = stated = 0
    malware_names: set[str] = set()
    vuln_names: set[str] = set()
    unknown = SeverityLabel.UNKNOWN
    for r in report.results:
        dep = r.dependency
        kind = standing(dep)
        if kind == "checked":
            pass
        elif kind == "unchecked":
            unchecked += 1
        elif kind == "not from index":
            local += 1
            conda += dep.skipped == CONDA_REASON
        else:
            stated += 1
        for f in r.findings:  # (most results have none)
            if f.ignored:
                ignored += 1
            elif f.kind == "malware":
                malware += 1
                malware_names.add(dep.name)
            else:
                vulns += 1
                vuln_names.add(dep.name)
                failing += finding_fails(f, fail_on, unknown_severity)
                unrated += f.severity.label == unknown
    return Counts(
        malware, len(malware_names), vulns, len(vuln_names), failing, unrated, ignored,
        unchecked, local, conda, stated,
    )  # fmt: skip


def _closing_parts(report: AuditReport, no_data: bool, ignored: int) -> list[str]:
    parts: list[str] = []
    if ignored:
        parts.append(f"{plural(ignored, 'finding')} ignored by policy")
    if report.snapshot.stale and not no_data:
        if report.snapshot.configured_source is not None:
            parts.append("STALE advisory data: not from the configured source")
        else:
            age = data_age_text(report.snapshot)
            parts.append(f"STALE advisory data: the newest record is {age}")
    replaced = len(report.snapshot.overlay_replaced)
    if replaced:
        parts.append(
            f"{plural(replaced, 'public advisory', 'public advisories')} replaced by the overlay"
        )
    return parts


def severity_text(severity: Severity) -> str:
    """'high (CVSS 7.5)', 'high (advisory database rating)', 'unknown (...)'."""
    label = severity.label.text
    if severity.label == SeverityLabel.UNKNOWN:
        return "unknown (the advisory gives no rating, so pipvet counts it as failing)"
    if severity.score is not None:
        return f"{label} (CVSS {severity.score:.1f})"
    if severity.source == "database":
        return f"{label} (advisory database rating)"
    return label


def short_severity(severity: Severity) -> str:
    """'high 7.5', 'high', 'unknown' — for table cells."""
    if severity.score is not None:
        return f"{severity.label.text} {severity.score:.1f}"
    return severity.label.text


def age_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return plural(minutes, "minute") + " ago"
    hours = minutes // 60
    if hours < 48:
        return plural(hours, "hour") + " ago"
    return plural(hours // 24, "day") + " ago"


def snapshot_text(snapshot: Snapshot) -> str:
    """'https://... (2,661 records, newest change 2024-10-10T00:00:00Z, synced 3 hours ago)'."""
    if snapshot.records == 0:
        return f"{snapshot.source} (no records available)"
    text = f"{snapshot.source} ({plural(snapshot.records, 'record')}"
    if snapshot.newest_modified:
        text += f", newest change {snapshot.newest_modified}"
        if snapshot.newest_age_seconds is not None:
            text += f" ({age_text(snapshot.newest_age_seconds)})"
    if snapshot.age_seconds is not None:
        text += f", synced {age_text(snapshot.age_seconds)}"
    elif snapshot.last_sync:
        text += f", synced {snapshot.last_sync}"
    else:
        text += ", sync time unknown"
    return text + ")"


def data_age_text(snapshot: Snapshot) -> str:
    """'783 days old' / 'of unknown age' for the newest advisory record."""
    if snapshot.newest_age_seconds is None:
        return "of unknown age"
    return age_text(snapshot.newest_age_seconds).removesuffix(" ago") + " old"


def stale_text(snapshot: Snapshot) -> str | None:
    """The warning for advisory data older than the policy allows (None: not stale)."""
    if not snapshot.stale:
        return None
    if snapshot.configured_source is not None:
        return (
            f"The advisory data comes from {snapshot.source}, not from the configured source "
            f"({snapshot.configured_source}), which could not be synced: advisories that only "
            "the configured source carries (a mirror's records for internal package names, "
            "say) are not checked. Check that source, then run: pipvet db sync"
        )
    if snapshot.newest_age_seconds is None:
        when = (
            f"the time of its newest record ({snapshot.newest_modified}) is in the future"
            if snapshot.newest_modified
            else "it has no dated record from the advisory source"
        )
        head = f"The advisory data cannot be shown to be current: {when}"
    else:
        day = (snapshot.newest_modified or "")[:10]
        age = age_text(snapshot.newest_age_seconds)
        head = f"The advisory data is stale: its newest record changed on {day}, {age}"
    return (
        f"{head}; the policy allows {plural(snapshot.max_data_age_days or 0, 'day')} "
        "(max-data-age-days). The PyPI advisory data changes daily, so the source "
        f"({snapshot.source}) has probably stopped updating, and vulnerabilities published "
        "since then are not checked. Check the source, then run: pipvet db sync"
    )


def shorten(text: str, width: int = 100) -> str:
    """One line, at most ``width`` characters, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 3].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "..."


# The heading of what ``AuditReport.local_builds`` lists, in every format.
LOCAL_BUILDS_TITLE = "Not from a package index, audited by the version they state"
LOCAL_BUILDS_LEAD = "the code may differ from that release, since no index vouches for it"
# ...and of what ``AuditReport.not_from_index`` lists (not audited by version).
NOT_FROM_INDEX_TITLE = "Not from a package index"
NOT_FROM_INDEX_LEAD = "no advisory can name these; review their source yourself"


def dependency_text(dep: Dependency) -> str:
    text = f"{dep.label} {dep.version}" if dep.version else dep.label
    return f"{text} ({dep.local_build})" if dep.local_build else text


def fix_text(result: DependencyResult, finding: Finding) -> str:
    """What to do about one finding, in words."""
    if finding.kind == "malware":
        return "remove it and rebuild the environment (see above)"
    # The dependency's fix requirement closes its active findings; an ignored one may need more.
    if result.fix_requirement and not finding.ignored:
        return f"require {result.fix_requirement} and reinstall"
    if finding.fixed_in:
        return f"upgrade to a fixed release ({', '.join(finding.fixed_in)})"
    return "no fixed release yet: remove the package or limit its use, and watch the advisory"


def osv_url(advisory_id: str) -> str:
    """The advisory's page on osv.dev; the id is percent-encoded, so whatever a record calls
    itself stays inside the URL's path."""
    if _UNRESERVED.issuperset(advisory_id):  # nearly every id: quote would leave it as it is
        return f"https://osv.dev/vulnerability/{advisory_id}"
    return f"https://osv.dev/vulnerability/{quote(advisory_id, safe='', errors='surrogatepass')}"


# What quote(..., safe="") never encodes (RFC 3986 unreserved characters): a set, not a
# pattern compiled by every run that imports the reports.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-")


def _not_from_index(local: int, conda: int, stated: int) -> list[str]:
    """The verdict's words for what was listed, not audited by version: conda's packages apart,
    since an audit of the environment itself checks them; and for what was matched at the
    version a file name or lock states, which a pass says less about."""
    parts = []
    if local - conda:
        parts.append(f"{plural(local - conda, 'local or editable install')} not audited by version")
    if conda:
        parts.append(
            f"{plural(conda, 'conda package')} not audited (audit the environment with --python)"
        )
    if stated:
        parts.append(
            f"{plural(stated, 'dependency', 'dependencies')} audited by the version "
            f"{'it states' if stated == 1 else 'they state'}, not from a package index"
        )
    return parts
