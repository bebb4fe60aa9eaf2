"""The audit report for people: plain words, malware first and loud, the verdict last."""

from __future__ import annotations

import textwrap

from pipvet.models import CONDA_REASON, AuditReport, DependencyResult, Finding, SeverityLabel
from pipvet.report._common import (
    LOCAL_BUILDS_LEAD,
    LOCAL_BUILDS_TITLE,
    MALWARE_MEANING,
    MALWARE_STEPS,
    dependency_text,
    fail_on_text,
    fix_text,
    ignored_findings,
    malware_findings,
    plural,
    severity_text,
    short_severity,
    shorten,
    snapshot_text,
    stale_text,
    unknown_severity_text,
    verdict,
    vulnerability_findings,
)
from pipvet.report.safe import text_renderer

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["render_audit_text"]

_RESET = "\x1b[0m"
_BOLD_RED = "\x1b[1;31m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_GREEN = "\x1b[32m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"

_SEVERITY_COLOR = {
    SeverityLabel.CRITICAL: _BOLD_RED,
    SeverityLabel.HIGH: _RED,
    SeverityLabel.MEDIUM: _YELLOW,
    SeverityLabel.UNKNOWN: _YELLOW,
}
_VERDICT_COLOR = {"fail": _BOLD_RED, "incomplete": _YELLOW, "pass": _GREEN}
_SUMMARY_WIDTH = 160
_WIDTH = 88


class _Writer:
    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []

    def paint(self, text: str, code: str | None) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text

    def line(self, text: str = "", code: str | None = None) -> None:
        self.lines.append(self.paint(text, code))

    def wrap(self, text: str, indent: str = "  ", hang: str = "    ") -> None:
        """A paragraph of prose, wrapped for an 88-column terminal."""
        # Most paragraphs fit on their first line: textwrap would give exactly ``indent +
        # text`` for one that is printable (so holds no tab, newline or white space but " "),
        # does not end in a space (it would drop it) and fits.
        if len(indent) + len(text) <= _WIDTH and text.isprintable() and text[-1:] not in ("", " "):
            self.lines.append(indent + text)
            return
        self.lines += textwrap.wrap(
            text,
            _WIDTH,
            initial_indent=indent,
            subsequent_indent=hang,
            break_long_words=False,
            break_on_hyphens=False,
        )

    def rows(self, rows: list[tuple[str, str, str | None]], indent: str = "    ") -> None:
        """Aligned "key  value" lines; long values wrap under the value column."""
        width = max(len(key) for key, _, _ in rows)
        hang = " " * (len(indent) + width + 2)
        for key, value, code in rows:
            lines = textwrap.wrap(value, _WIDTH - len(hang), break_on_hyphens=False) or [""]
            self.lines.append(f"{indent}{key.ljust(width)}  {self.paint(lines[0], code)}")
            self.lines += [hang + self.paint(more, code) for more in lines[1:]]


def _stale_block(w: _Writer, report: AuditReport) -> None:
    """At the top: a mirror that stopped updating must not read as a clean result."""
    stale = stale_text(report.snapshot)
    if stale:
        w.line()
        w.line("WARNING: STALE ADVISORY DATA", _BOLD_RED)
        w.wrap(stale, indent="", hang="")


def _reason_lines(w: _Writer, results: Sequence[DependencyResult], *, stated: bool = False) -> None:
    """One wrapped line per dependency: where it is declared and why it is listed (with
    ``stated``, the version it was audited by and where that version came from)."""
    for result in results:
        dep = result.dependency
        where = f" ({dep.location})" if dep.location else ""
        if stated:
            w.wrap(f"{dep.label} {dep.version}{where}: {dep.local_build}")
        else:
            w.wrap(f"{dependency_text(dep)}{where}: {dep.skipped}")


def _listed_blocks(w: _Writer, report: AuditReport) -> None:
    """What was not checked, what is not from an index (not audited, or audited by the version
    it states): each line says why."""
    if report.unchecked:
        w.line()
        w.line(
            f"Not checked: {plural(len(report.unchecked), 'dependency', 'dependencies')} "
            "(pipvet cannot say whether these are safe)",
            _YELLOW,
        )
        _reason_lines(w, report.unchecked)

    if report.not_from_index:
        w.line()
        w.line(
            "Not from a package index (no advisory can name these; review their source yourself):"
            if all(r.dependency.skipped != CONDA_REASON for r in report.not_from_index)
            else "Not from a package index (not audited by version; each line says why):"
        )
        _reason_lines(w, report.not_from_index)

    if report.local_builds:
        w.line()
        w.wrap(
            f"{LOCAL_BUILDS_TITLE} ({LOCAL_BUILDS_LEAD}; review its source):", indent="", hang=""
        )
        _reason_lines(w, report.local_builds, stated=True)


@text_renderer
def render_audit_text(report: AuditReport, *, color: bool = False) -> str:
    """The full report as text ending in a newline; ``color`` adds ANSI colours only."""
    w = _Writer(color)
    w.line(f"pipvet {report.tool_version} audit of {report.target}")
    w.line(f"Advisory data: {snapshot_text(report.snapshot)}")
    _stale_block(w, report)
    w.wrap(
        f"Fail level: {fail_on_text(report.fail_on)}; {unknown_severity_text(report)}",
        indent="",
        hang="  ",
    )

    malware = malware_findings(report)
    if malware:
        _malware_block(w, malware)

    vulns = vulnerability_findings(report)
    if vulns:
        packages = len({r.dependency.name for r, _ in vulns})
        w.line()
        w.line(
            f"Known vulnerabilities: {len(vulns):,} in {plural(packages, 'package')} "
            f"(fail level: {fail_on_text(report.fail_on)})",
            _BOLD,
        )
        if any(f.severity.label == SeverityLabel.UNKNOWN for _, f in vulns):
            counted = (
                "counts those as failing at every fail level"
                if report.unknown_severity == "fail"
                else 'lets those pass unless fail-on = "any" (unknown-severity = "ignore")'
            )
            w.wrap(
                f"Severity 'unknown' means no advisory for it gives a rating; pipvet {counted}.",
                indent="",
                hang="",
            )
        _vulnerability_table(w, vulns)

    _listed_blocks(w, report)

    ignored = ignored_findings(report)
    if ignored:
        w.line()
        w.line(f"Ignored by your policy: {plural(len(ignored), 'finding')}")
        for result, finding in ignored:
            w.wrap(
                f"{dependency_text(result.dependency)}  {finding.id}  "
                f"{severity_text(finding.severity)}; reason: {finding.ignore_reason or '-'}"
            )

    if report.ignore_notes:
        w.line()
        w.line("Policy ignores to update:", _YELLOW)
        for note in report.ignore_notes:
            if note.problem == "expired":
                w.wrap(
                    f"{note.id}: expired on {note.expires}, so it no longer applies; fix the "
                    "finding, or renew the ignore with a new date if the reason still holds"
                )
            else:
                w.wrap(
                    f"{note.id}: matched nothing in this audit; remove it from the policy "
                    f"(reason given: {note.reason})"
                )

    if report.warnings:
        w.line()
        w.line("Warnings:", _YELLOW)
        for warning in report.warnings:
            w.wrap(f"- {warning}")

    outcome = verdict(report)
    w.line()
    w.line(outcome.text, _VERDICT_COLOR[outcome.status])
    return "\n".join(w.lines) + "\n"


def _malware_block(w: _Writer, malware: tuple[tuple[DependencyResult, Finding], ...]) -> None:
    packages = len({r.dependency.name for r, _ in malware})
    bar = "!" * 78
    w.line()
    w.line(bar, _BOLD_RED)
    w.line(f"MALWARE: {plural(packages, 'installed package')} known to be malicious", _BOLD_RED)
    for result, finding in malware:
        ids = ", ".join(finding.all_ids)
        w.line(f"  {dependency_text(result.dependency)}  ({ids})", _BOLD)
        if finding.summary:
            w.line(f"    {shorten(finding.summary, _SUMMARY_WIDTH)}")
    w.wrap(MALWARE_MEANING, hang="  ")
    w.line("  What to do now:")
    for number, step in enumerate(MALWARE_STEPS, start=1):
        w.wrap(f"{number}. {step}", indent="    ", hang="       ")
    w.line(bar, _BOLD_RED)


def _vulnerability_table(w: _Writer, vulns: tuple[tuple[DependencyResult, Finding], ...]) -> None:
    """One block per package: what to require, then one line per problem.

    A package with twenty advisories is one decision (upgrade it), so the fix comes first and
    each advisory gets a single scannable line instead of a paragraph.
    """
    groups: dict[int, tuple[DependencyResult, list[Finding]]] = {}
    for result, finding in vulns:
        groups.setdefault(id(result), (result, []))[1].append(finding)
    id_width = max(len(f.id) for _, f in vulns)
    sev_width = max(len(short_severity(f.severity)) for _, f in vulns)
    fix_width = max(len(", ".join(f.fixed_in) or "none") for _, f in vulns)
    for result, findings in groups.values():
        dep = result.dependency
        where = f"  ({dep.location})" if dep.location and dep.location.line else ""
        w.line()
        count = plural(len(findings), "vulnerability", "vulnerabilities")
        w.line(f"  {dependency_text(dep)}{where}: {count}", _BOLD)
        w.wrap(f"to fix: {fix_text(result, findings[0])}", indent="    ", hang="      ")
        # Worst first: the line a reader sees first is the one that matters most.
        findings.sort(key=lambda f: (-f.severity.label, -(f.severity.score or 0.0), f.id))
        for finding in findings:
            sev = short_severity(finding.severity).ljust(sev_width)
            fixed = (", ".join(finding.fixed_in) or "none").ljust(fix_width)
            colour = _SEVERITY_COLOR.get(finding.severity.label)
            row = f"    {finding.id.ljust(id_width)}  {w.paint(sev, colour)}  fixed in {fixed}"
            w.lines.append(row.rstrip())
            hang = " " * (4 + id_width + 2)
            summary = shorten(finding.summary, _WIDTH - len(hang)) or "(no summary)"
            w.line(hang + summary)
            if finding.aliases:
                w.wrap("aka " + ", ".join(finding.aliases), indent=hang, hang=hang + "    ")
