"""The audit report as SARIF 2.1.0, for code-scanning dashboards (GitHub and others).

* One rule per display id (``helpUri`` on osv.dev). ``properties.security-severity`` is set
  only from a computed CVSS base score: pipvet does not invent numbers for database labels
  or malware, which instead carry their level (malware is always ``error``).
* One result per (dependency, alias group). Ignored findings stay, with an external
  suppression carrying the policy's reason, so dashboards show them as dismissed.
* Locations point at the requirements file line when the dependency came from a file, else at
  its metadata path. Relative paths are kept relative; absolute paths under ``base_dir`` are
  made relative to it (code scanning only understands repository paths); other absolute paths
  become ``file://`` URIs. A dependency without any location gets no ``locations``.
* ``partialFingerprints`` hash the package name and display id, so an alert survives version
  bumps that do not fix it and line moves in the requirements file.
* Unchecked dependencies, ignore notes and warnings are tool execution notifications.
"""

from __future__ import annotations

import functools
from pathlib import PurePosixPath, PureWindowsPath

from pipvet.models import AuditReport, DependencyResult, Finding, Location, SeverityLabel
from pipvet.report._common import (
    LOCAL_BUILDS_LEAD,
    LOCAL_BUILDS_TITLE,
    MALWARE_MEANING,
    dependency_text,
    fail_on_text,
    fix_text,
    osv_url,
    severity_text,
    shorten,
    stale_text,
    verdict,
)
from pipvet.report.jsonindent import dumps
from pipvet.report.markdown import md
from pipvet.report.safe import escape_controls, json_renderer
from pipvet.sha256 import sha256

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SARIF_SCHEMA", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/pipvet/"
FINGERPRINT_KEY = "pipvetFinding/v1"

_LEVEL = {
    SeverityLabel.CRITICAL: "error",
    SeverityLabel.HIGH: "error",
    SeverityLabel.MEDIUM: "warning",
    SeverityLabel.UNKNOWN: "warning",  # unknown is not "probably fine"
    SeverityLabel.LOW: "note",
    SeverityLabel.NONE: "note",
}


@json_renderer
def render_sarif(report: AuditReport, *, base_dir: str | None = None) -> str:
    """The report as a SARIF 2.1.0 log (indented JSON ending in a newline)."""
    rules: dict[str, dict[str, Any]] = {}
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for result in report.results:
        for finding in result.findings:
            if finding.id not in rules:
                rule_index[finding.id] = len(rules)
                rules[finding.id] = _rule(result, finding)
            results.append(_result(result, finding, rule_index[finding.id], base_dir))

    outcome = verdict(report)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pipvet",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": _notifications(report),
                    }
                ],
                "results": results,
                "properties": {
                    "target": report.target,
                    "verdict": outcome.status,
                    "verdictText": outcome.text,
                    "failOn": fail_on_text(report.fail_on),
                    "unknownSeverity": report.unknown_severity,
                    "unratedFindings": report.unrated,
                    "advisorySource": report.snapshot.source,
                    "advisoryNewestModified": report.snapshot.newest_modified,
                    "advisoryRecords": report.snapshot.records,
                    "advisoryNewestAgeSeconds": report.snapshot.newest_age_seconds,
                    "advisoryMaxDataAgeDays": report.snapshot.max_data_age_days,
                    "advisoryStale": report.snapshot.stale,
                    "advisoryOverlayReplaced": list(report.snapshot.overlay_replaced),
                },
            }
        ],
    }
    return dumps(log) + "\n"


def _md(text: str) -> str:
    return md(escape_controls(text))


def _level(finding: Finding) -> str:
    return "error" if finding.kind == "malware" else _LEVEL[finding.severity.label]


def _rule(result: DependencyResult, finding: Finding) -> dict[str, Any]:
    malware = finding.kind == "malware"
    summary = " ".join(finding.summary.split())
    kind = "Malicious package" if malware else "Known vulnerability"
    headline = f"{kind} in {result.dependency.label}"
    full = summary or headline
    also = f"Also known as: {', '.join(finding.aliases)}." if finding.aliases else ""
    advice = (
        f"{MALWARE_MEANING} Delete the environment, rebuild it from checked requirements and "
        "rotate credentials from a clean machine."
        if malware
        else "Upgrade the package to a release that fixes this advisory, or record an "
        "ignore with a reason and an expiry date in the pipvet policy."
    )
    url = osv_url(finding.id)
    help_text = "\n\n".join(p for p in (full, also, advice, f"Details: {url}") if p)
    # Markdown that code-scanning UIs render: every advisory-supplied string is escaped.
    details = f"[{md(escape_controls(finding.id))}]({url})"  # always a safe target: see md.link
    paragraphs = (
        f"**{_md(headline)}**: {_md(full)}",
        _md(also),
        _md(advice),
        f"Details: {details}",
    )
    help_markdown = "\n\n".join(p for p in paragraphs if p)
    properties: dict[str, Any] = {
        "tags": ["security", "malware" if malware else "vulnerability", "dependency"],
        "aliases": list(finding.aliases),
    }
    if not malware and finding.severity.score is not None:
        properties["security-severity"] = f"{finding.severity.score:.1f}"
    return {
        "id": finding.id,
        "shortDescription": {"text": shorten(full, 120)},
        "fullDescription": {"text": f"{_sentence(full)} {also}" if also else full},
        "helpUri": url,
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": _level(finding)},
        "properties": properties,
    }


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _result(
    result: DependencyResult, finding: Finding, rule_index: int, base_dir: str | None
) -> dict[str, Any]:
    dep = result.dependency
    ids = finding.id + (f" (also {', '.join(finding.aliases)})" if finding.aliases else "")
    if finding.kind == "malware":
        text = (
            f"{dependency_text(dep)} is a known malicious package: {ids}. {MALWARE_MEANING} "
            "Delete the environment and rebuild it; rotate credentials from a clean machine."
        )
    else:
        summary = " ".join(finding.summary.split()).rstrip(".")
        text = f"{dependency_text(dep)} has a known vulnerability {ids}"
        text += f", severity {severity_text(finding.severity)}"
        text += f": {summary}." if summary else "."
        fixed = ", ".join(finding.fixed_in) or "no fixed release yet"
        text += f" Fixed in: {fixed}. To fix: {fix_text(result, finding)}."
    out: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": _level(finding),
        "message": {"text": text},
    }
    if dep.location is not None:
        out["locations"] = [sarif_location(dep.location, base_dir)]
    digest = sha256(f"{dep.name}\x00{finding.id}".encode("utf-8", "surrogatepass")).hexdigest()
    out["partialFingerprints"] = {FINGERPRINT_KEY: digest}
    if finding.ignored:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": finding.ignore_reason or "ignored by the pipvet policy",
            }
        ]
    out["properties"] = {
        "package": dep.name,
        "installedVersion": dep.version,
        "kind": finding.kind,
        "severity": finding.severity.label.text,
        "fixedIn": list(finding.fixed_in),
        "fixRequirement": result.fix_requirement,
    }
    return out


def sarif_location(location: Location, base_dir: str | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(location.path, base_dir)}}
    if location.line is not None:
        physical["region"] = {"startLine": location.line}
    return {"physicalLocation": physical}


_UNRESERVED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/!$&'()*+,;=:@"
)


def _quote(path: str) -> str:
    """Percent-encode a path for a URI (RFC 3986), keeping '/' and sub-delimiters."""
    if _UNRESERVED.issuperset(path):  # most paths: nothing to encode, no loop per character
        return path
    return "".join(
        ch if ch in _UNRESERVED else "".join(f"%{b:02X}" for b in _utf8(ch)) for ch in path
    )


def _utf8(char: str) -> bytes:
    # A file name that is no UTF-8 holds its bytes as lone surrogates (os.fsdecode): the URI
    # names those bytes. Any other lone surrogate has no bytes: it is written as UTF-8 would
    # write it, rather than ending the run in an internal error.
    try:
        return char.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return char.encode("utf-8", "surrogatepass")


# A dependency's location is written once per finding: its URI is worked out once.
@functools.lru_cache(maxsize=1024)
def _uri(path: str, base_dir: str | None) -> str:
    windows = PureWindowsPath(path)
    posix = PurePosixPath(path.replace("\\", "/")) if windows.drive else PurePosixPath(path)
    if not posix.is_absolute() and not windows.drive:
        return _quote(posix.as_posix())
    if base_dir is not None:
        base = PurePosixPath(base_dir.replace("\\", "/"))
        if posix.is_relative_to(base):
            return _quote(posix.relative_to(base).as_posix())
    text = posix.as_posix()
    return "file://" + _quote(text if text.startswith("/") else "/" + text)


def _notifications(report: AuditReport) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    stale = stale_text(report.snapshot)
    if stale:
        notes.append({"level": "warning", "message": {"text": stale}})
    for result in report.unchecked:
        dep = result.dependency
        notes.append(
            {
                "level": "warning",
                "message": {"text": f"Not checked: {dependency_text(dep)}: {dep.skipped}"},
            }
        )
    for result in report.not_from_index:
        dep = result.dependency
        text = f"Not from a package index, not audited by version: {dependency_text(dep)}"
        notes.append({"level": "note", "message": {"text": f"{text}: {dep.skipped}"}})
    for result in report.local_builds:
        dep = result.dependency
        text = f"{LOCAL_BUILDS_TITLE} ({LOCAL_BUILDS_LEAD}): {dep.label} {dep.version}"
        notes.append({"level": "note", "message": {"text": f"{text}: {dep.local_build}"}})
    for note in report.ignore_notes:
        what = (
            f"expired on {note.expires} and was not applied"
            if note.problem == "expired"
            else "matched nothing"
        )
        notes.append({"level": "warning", "message": {"text": f"Policy ignore {note.id} {what}."}})
    notes += [{"level": "warning", "message": {"text": w}} for w in report.warnings]
    return notes
