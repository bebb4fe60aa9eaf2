"""The audit report as GitHub-flavoured markdown, sized for a CI job summary.

The verdict is the heading; a findings table follows, then what was not checked; the long
parts (per-finding details, ignored findings) sit in collapsed ``<details>`` blocks.
"""

from __future__ import annotations

import re

from pipvet.models import AuditReport, DependencyResult, Finding
from pipvet.report._common import (
    LOCAL_BUILDS_LEAD,
    LOCAL_BUILDS_TITLE,
    MALWARE_MEANING,
    MALWARE_STEPS,
    NOT_FROM_INDEX_LEAD,
    NOT_FROM_INDEX_TITLE,
    dependency_text,
    fail_on_text,
    fix_text,
    ignored_findings,
    malware_findings,
    osv_url,
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

__all__ = ["render_audit_markdown"]

_HEADING = {"fail": "❌ pipvet audit failed", "incomplete": "⚠️ pipvet audit incomplete",
            "pass": "✅ pipvet audit passed"}  # fmt: skip
# Characters that markdown (or the HTML GitHub allows in it) would interpret: each gets a
# backslash, and "&" is written as an entity. One translate in C, where the text holds any
# (not a regex substitution whose template is expanded in Python for every match).
_SPECIAL = re.compile(r"[\\`*_\[\]<>|#~]")
_ESCAPES = {ord(c): "\\" + c for c in "\\`*_[]<>|#~"} | {ord("&"): "&amp;"}


def md(text: str) -> str:
    """Escape text for a markdown paragraph or table cell (one line)."""
    flat = " ".join(text.split())
    if _SPECIAL.search(flat) is None:  # most texts: a scan, not a lookup per character
        return flat.replace("&", "&amp;")
    return flat.translate(_ESCAPES)


def code(text: str) -> str:
    """Inline code that survives backticks inside the text and table pipes. A code span ends
    at a run of exactly as many backticks as opened it, so the fence is one longer than the
    longest run inside: a version of ``1.0`` <img src=...> `` (a stranger's text) stays code."""
    flat = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    if not longest:
        return f"`{flat}`" if flat else "` `"  # two backticks alone would be text
    fence = "`" * (longest + 1)
    return f"{fence} {flat} {fence}"


_BACKTICKS = re.compile(r"`+")


def link(advisory_id: str) -> str:
    # osv_url percent-encodes the id: after its fixed https prefix only unreserved characters
    # and "%" escapes remain, which link_target always accepts, so it is not asked each time.
    return f"[{md(advisory_id)}]({osv_url(advisory_id)})"


Pair = tuple[DependencyResult, Finding]


@text_renderer
def render_audit_markdown(report: AuditReport) -> str:
    """The report as markdown ending in a newline."""
    outcome = verdict(report)
    out: list[str] = [f"## {_HEADING[outcome.status]}", "", f"**{md(outcome.text)}**", ""]
    out.append(f"Audited: {md(report.target)}  ")
    out.append(f"Advisory data: {md(snapshot_text(report.snapshot))}  ")
    out.append(f"Fail level: {fail_on_text(report.fail_on)}  ")
    out.append(f"Unknown severity: {md(unknown_severity_text(report))}")
    stale = stale_text(report.snapshot)
    if stale:
        out += ["", f"> **Warning: stale advisory data.** {md(stale)}"]
    malware = malware_findings(report)
    active = malware + vulnerability_findings(report)
    out += _malware(malware)
    out += _table(active)
    out += _unchecked(report)
    out += _details(active)
    out += _ignored(ignored_findings(report))
    out += _notes(report)
    if report.warnings:
        out += ["", "### Warnings", ""]
        out += [f"- {md(w)}" for w in report.warnings]
    return "\n".join(out) + "\n"


def _malware(malware: tuple[Pair, ...]) -> list[str]:
    if not malware:
        return []
    # A plain blockquote: it renders the same in job summaries, PR comments and elsewhere.
    out = ["", "> 🚨 **MALWARE FOUND**", ">"]
    for result, finding in malware:
        ids = ", ".join(link(i) for i in finding.all_ids)
        out.append(
            f"> **{md(dependency_text(result.dependency))} is a known malicious package** ({ids})  "
        )
    out.append(f"> {md(MALWARE_MEANING)}")
    out.append(">")
    out += [f"> {n}. {md(step)}" for n, step in enumerate(MALWARE_STEPS, start=1)]
    return out


def _table(active: tuple[Pair, ...]) -> list[str]:
    if not active:
        return []
    out = ["", "### Findings", ""]
    out.append("| Package | Installed | Advisory | Severity | Fixed in | Fix |")
    out.append("|---|---|---|---|---|---|")
    for result, finding in active:
        dep = result.dependency
        if finding.kind == "malware":
            severity, fix = "**malware**", "remove it; rotate credentials"
        else:
            severity = md(short_severity(finding.severity))
            if result.fix_requirement:
                fix = code(result.fix_requirement)
            else:
                fix = "upgrade to a fixed release" if finding.fixed_in else "no fix yet"
        cells = (
            md(dep.label),
            md(dep.version or "?"),
            link(finding.id),
            severity,
            md(", ".join(finding.fixed_in)) or "-",
            fix,
        )
        out.append("| " + " | ".join(cells) + " |")
    return out


def _unchecked(report: AuditReport) -> list[str]:
    out: list[str] = []
    sections = (
        (report.unchecked, "Not checked", "pipvet cannot say whether these are safe:"),
        (report.not_from_index, NOT_FROM_INDEX_TITLE, f"{NOT_FROM_INDEX_LEAD.capitalize()}:"),
    )
    for results, title, lead in sections:
        if not results:
            continue
        out += ["", f"### {title} ({len(results):,})", "", lead, ""]
        for result in results:
            dep = result.dependency
            where = f" ({code(str(dep.location))})" if dep.location else ""
            out.append(f"- **{md(dependency_text(dep))}**{where}: {md(dep.skipped or '')}")
    if report.local_builds:
        lead = LOCAL_BUILDS_LEAD.capitalize()
        out += [
            "",
            f"### {LOCAL_BUILDS_TITLE} ({len(report.local_builds):,})",
            "",
            f"{lead}; review its source:",
            "",
        ]
        for result in report.local_builds:
            dep = result.dependency
            where = f" ({code(str(dep.location))})" if dep.location else ""
            label = f"{dep.label} {dep.version}"
            out.append(f"- **{md(label)}**{where}: {md(dep.local_build or '')}")
    return out


def _details(active: tuple[Pair, ...]) -> list[str]:
    if not active:
        return []
    out = ["", f"<details><summary>Details of {plural(len(active), 'finding')}</summary>", ""]
    for result, finding in active:
        out += [f"#### {md(dependency_text(result.dependency))}: {md(finding.id)}", ""]
        if finding.aliases:
            out.append("- Also known as: " + ", ".join(link(a) for a in finding.aliases))
        if finding.kind == "malware":
            out.append("- Severity: malware (always fails the audit)")
        else:
            out.append(f"- Severity: {md(severity_text(finding.severity))}")
        if finding.severity.vector:
            out.append(f"- Vector: {code(finding.severity.vector)}")
        out.append(f"- Summary: {md(finding.summary) or 'none given'}")
        out.append(f"- Fixed in: {md(', '.join(finding.fixed_in)) or 'no fixed release yet'}")
        out += [f"- To fix: {md(fix_text(result, finding))}", ""]
    out.append("</details>")
    return out


def _ignored(ignored: tuple[Pair, ...]) -> list[str]:
    if not ignored:
        return []
    out = ["", f"<details><summary>Ignored by policy ({len(ignored):,})</summary>", ""]
    for result, finding in ignored:
        out.append(
            f"- {md(dependency_text(result.dependency))} {link(finding.id)} "
            f"({md(short_severity(finding.severity))}): {md(finding.ignore_reason or '')}"
        )
    return [*out, "", "</details>"]


def _notes(report: AuditReport) -> list[str]:
    if not report.ignore_notes:
        return []
    out = ["", "### Policy ignores to update", ""]
    for note in report.ignore_notes:
        if note.problem == "expired":
            out.append(
                f"- {md(note.id)}: expired on {md(note.expires)} and no longer applies; "
                "fix the finding or renew the ignore"
            )
        else:
            out.append(
                f"- {md(note.id)}: matched nothing; remove it from the policy "
                f"(reason given: {md(shorten(note.reason))})"
            )
    return out
