"""The audit report as JSON: a contract other tools and pipvet's CI templates read.

Shape (keys always present, in this order; indent 2)::

    {"tool": {"name": "pipvet", "version": "..."},
     "target": "what was audited, in words",
     "advisory_db": {"source", "newest_modified", "records", "last_sync", "age_seconds",
                     "newest_age_seconds", "max_data_age_days", "configured_source",
                     "stale", "stale_text", "overlay_replaced": [public ids the overlay
                     replaces]},
     "fail_on": "any" | "low" | "medium" | "high" | "critical",
     "verdict": {"status": "fail" | "incomplete" | "pass", "text": "..."},
     "dependencies": [
       {"name": canonical name, "version": str | null, "skipped": reason | null,
        "local": bool, ["local_build": str | null, only when "local" is true,]
        "location": {"path", "line"} | null, "fix_requirement": str | null,
        "findings": [
          {"id", "aliases": [...], "kind": "vulnerability" | "malware",
           "severity": null | {"label", "score", "vector", "source"},
           "summary", "fixed_in": [...], "ignored": bool, "ignore_reason": str | null,
           "fails": bool, "records": [...], "modified"}]}],
     "ignore_notes": [{"id", "problem": "expired" | "unused", "reason", "expires"}],
     "warnings": [...],
     "summary": {"dependencies", "findings", "unchecked", "malware", "ignored", "failing"}}

``severity`` is null when the severity is unknown (no CVSS vector and no database label);
otherwise ``score`` and ``vector`` are null unless computed from a CVSS vector, and ``source``
is "cvss" or "database". In ``summary``, ``findings`` counts findings that are not ignored;
``failing`` counts those at or above the fail level (malware always); ``unchecked`` counts
dependencies with a ``skipped`` reason that must have been checked (the audit is then
incomplete), ``not_from_index`` those listed as not from a package index (a local folder).
``local`` is true for what did not come from a package index (a URL, VCS or file requirement,
an editable, folder, VCS or URL install); such a dependency also has ``local_build``: how it
was audited and where it came from (the version its file name or metadata states: the code
may differ from that release), or null when it has a ``skipped`` reason instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipvet.models import (
    AuditReport,
    Dependency,
    DependencyResult,
    Finding,
    Severity,
    SeverityLabel,
)
from pipvet.policy import finding_fails
from pipvet.redact import mask_userinfo
from pipvet.report._common import counts, fail_on_text, stale_text, verdict
from pipvet.report.jsonindent import Raw, dumps, dumps_at, scalar
from pipvet.report.jsonindent import string as _s
from pipvet.report.safe import json_safe, shown_json

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["audit_to_dict", "render_audit_json", "render_audit_json_pieces"]


def render_audit_json(report: AuditReport) -> str:
    """The report as indented JSON text ending in a newline."""
    return "".join(render_audit_json_pieces(report))


def render_audit_json_pieces(report: AuditReport) -> Iterator[str]:
    """The report's JSON text in pieces (up to ``_GROUP`` dependencies each), for writing as
    they are made: a report of tens of thousands of dependencies is never held whole. Safe as
    ``safe.json_renderer`` makes a document: the userinfo of every URL in the report's strings
    masked, and each piece ``json_safe`` with its URLs' userinfo masked (a piece is whole JSON
    values and the punctuation between them, so no URL is cut across two pieces)."""
    for piece in _cleaned_pieces(report):
        yield json_safe(mask_userinfo(piece))


def _may_mask(text: str) -> bool:
    """Could ``mask_userinfo`` change a string written into ``text``? Not unless ``text`` holds
    a "://" and an "@" (JSON's escapes make neither, and keep every one a string holds), or a
    query ``mask_userinfo`` masks in ``text`` itself: a string's URL runs to a white space or a
    quote, which JSON keeps or makes a longer run of (``\n``), and its query's names and values
    keep their "=", "&", ";" and "#". Advisory texts hold many URLs with queries and none with
    a secret: asking only "?" sent their pieces the slow way (1% of an audit)."""
    if "@" in text:
        return "://" in text
    return "?" in text and "://" in text and mask_userinfo(text) != text


def _cleaned_pieces(report: AuditReport) -> Iterator[str]:
    """The pieces of ``_audit_json_pieces(shown_json(report))``, without cleaning (walking)
    the whole report first: each piece is written from the report as it is and checked, and
    only a piece whose text could hold a URL's userinfo is written again from cleaned values.
    The frame counts distinct dependency names, which cleaning could merge: those are checked
    first."""
    names = "\n".join([result.dependency.name for result in report.results])
    frame = None if _may_mask(names) else dumps_at(_document(report, _marks(report)), 0)
    if frame is None or _may_mask(frame):
        yield from _audit_json_pieces(shown_json(report))
        return
    if not report.results:
        yield frame + "\n"
        return
    head, tail = frame.split("\x00")
    yield head
    results = report.results
    for start in range(0, len(results), _GROUP):
        group = results[start : start + _GROUP]
        texts = [_dependency_text(result, report) for result in group]
        text = ",\n    ".join(texts)
        if not _may_mask(text):  # nor then can any of its dependencies
            yield ",\n    " + text if start else text
            continue
        # One piece per dependency, as a piece of its own is masked, and only the one that
        # could hold a URL's userinfo is written again from cleaned values.
        for i, (result, written) in enumerate(zip(group, texts, strict=True)):
            text = _dependency_text(shown_json(result), report) if _may_mask(written) else written
            yield f",\n    {text}" if start or i else text
    yield tail + "\n"


# Dependencies per piece: each piece is cleaned, masked, encoded and written as one, and for
# a dependency with no findings those steps cost more than writing its text.
_GROUP = 128


def _marks(report: AuditReport) -> list[Any]:
    # A raw NUL never occurs in JSON text (strings escape it): it marks where they go.
    return [Raw("\x00")] if report.results else []


def _audit_json_pieces(report: AuditReport) -> Iterator[str]:
    # Each dependency is written out as soon as its values are made: a report of thousands
    # never holds every dependency's dicts at once. Joined, the pieces are exactly what
    # dumps(audit_to_dict(report)) writes.
    frame = dumps_at(_document(report, _marks(report)), 0)
    if frame is None:
        yield dumps(audit_to_dict(report)) + "\n"
        return
    if not report.results:
        yield frame + "\n"
        return
    head, tail = frame.split("\x00")
    yield head
    for i, result in enumerate(report.results):
        text = _dependency_text(result, report)
        yield f",\n    {text}" if i else text
    yield tail + "\n"


def _dependency_text(result: DependencyResult, report: AuditReport) -> str:
    """``_dependency(result, report)`` as JSON two levels deep."""
    text = _dependency_json(result, report)
    if text is not None:
        return text
    value = _dependency(result, report)
    text = dumps_at(value, 2)
    if text is None:  # a value only json.dumps writes, indented for its depth
        import json  # (not otherwise imported by an audit: see jsonindent)

        text = json.dumps(value, indent=2).replace("\n", "\n    ")
    return text


def audit_to_dict(report: AuditReport) -> dict[str, Any]:
    """The JSON document as Python values (for callers that embed it in a larger document)."""
    return _document(report, [_dependency(r, report) for r in report.results])


def _document(report: AuditReport, dependencies: list[Any]) -> dict[str, Any]:
    outcome = verdict(report)
    snap = report.snapshot
    tally = counts(report)
    active = tally.malware + tally.vulnerabilities
    return {
        "tool": {"name": "pipvet", "version": report.tool_version},
        "target": report.target,
        "advisory_db": {
            "source": snap.source,
            "newest_modified": snap.newest_modified,
            "records": snap.records,
            "last_sync": snap.last_sync,
            "age_seconds": snap.age_seconds,
            "newest_age_seconds": snap.newest_age_seconds,
            "max_data_age_days": snap.max_data_age_days,
            "configured_source": snap.configured_source,
            "stale": snap.stale,
            "stale_text": stale_text(snap),
            "overlay_replaced": list(snap.overlay_replaced),
        },
        "fail_on": fail_on_text(report.fail_on),
        "unknown_severity": report.unknown_severity,
        "verdict": {"status": outcome.status, "text": outcome.text},
        "dependencies": dependencies,
        "ignore_notes": [
            {"id": n.id, "problem": n.problem, "reason": n.reason, "expires": n.expires}
            for n in report.ignore_notes
        ],
        "warnings": list(report.warnings),
        "summary": {
            "dependencies": len(report.results),
            "findings": active,
            "unchecked": tally.unchecked,
            "not_from_index": tally.not_from_index,
            "malware": tally.malware,
            "ignored": tally.ignored,
            "unrated": tally.unrated,
            "failing": tally.malware + tally.failing,  # (active malware always fails)
        },
    }


def _dependency(result: DependencyResult, report: AuditReport) -> dict[str, Any]:
    dep = result.dependency
    location = None
    if dep.location is not None:
        location = {"path": dep.location.path, "line": dep.location.line}
    shown: dict[str, Any] = {
        "name": dep.name,
        "version": dep.version,
        "skipped": dep.skipped,
        "local": dep.local,
    }
    if dep.local:
        shown["local_build"] = dep.local_build
    return shown | {
        "location": location,
        "fix_requirement": result.fix_requirement,
        "findings": [_finding(f, report) for f in result.findings],
    }


def _finding(finding: Finding, report: AuditReport) -> dict[str, Any]:
    return {
        "id": finding.id,
        "aliases": list(finding.aliases),
        "kind": finding.kind,
        "severity": _severity(finding.severity),
        "summary": finding.summary,
        "fixed_in": list(finding.fixed_in),
        "ignored": finding.ignored,
        "ignore_reason": finding.ignore_reason,
        "fails": finding_fails(finding, report.fail_on, report.unknown_severity),
        "records": list(finding.records),
        "modified": finding.modified,
    }


def _severity(severity: Severity) -> dict[str, Any] | None:
    if severity.label == SeverityLabel.UNKNOWN:
        return None
    return {
        "label": severity.label.text,
        "score": severity.score,
        "vector": severity.vector,
        "source": severity.source,
    }


# The dependencies are most of a report: each is written by the f-strings below, straight from
# its values (the C string encoder for each string), not by building its dicts and walking
# them. The text is exactly what dumps_at(_dependency(result, report), 2) writes (the keys of
# _dependency, _finding and _severity in their order, indented for their depth); a value of a
# type they do not know (a float that is not finite, say) raises, and the dependency is written
# the general way.


def _dependency_json(result: DependencyResult, report: AuditReport) -> str | None:
    try:
        dep = result.dependency
        where = dep.location
        location = "null"
        if where is not None:
            line = where.line
            location = (
                f'{{\n        "path": {_s(where.path)},'
                f'\n        "line": {"null" if line is None else scalar(line)}\n      }}'
            )
        if not result.findings:
            # Most dependencies of a large report: no call per value (see _optional, scalar).
            version, skipped, local = dep.version, dep.skipped, dep.local
            fix = result.fix_requirement
            return (
                f'{{\n      "name": {_s(dep.name)},'
                f'\n      "version": {"null" if version is None else _s(version)},'
                f'\n      "skipped": {"null" if skipped is None else _s(skipped)},'
                f'\n      "local": {_BOOLS[local] if type(local) is bool else scalar(local)},'
                f"{_local_build(dep) if local else ''}"
                f'\n      "location": {location},'
                f'\n      "fix_requirement": {"null" if fix is None else _s(fix)},'
                '\n      "findings": []'
                "\n    }"
            )
        findings = "[]"
        if result.findings:
            fail_on, unknown = report.fail_on, report.unknown_severity
            texts = [_finding_json(f, finding_fails(f, fail_on, unknown)) for f in result.findings]
            findings = "[\n        " + ",\n        ".join(texts) + "\n      ]"
        return (
            f'{{\n      "name": {_s(dep.name)},'
            f'\n      "version": {_optional(dep.version)},'
            f'\n      "skipped": {_optional(dep.skipped)},'
            f'\n      "local": {scalar(dep.local)},'
            f"{_local_build(dep) if dep.local else ''}"
            f'\n      "location": {location},'
            f'\n      "fix_requirement": {_optional(result.fix_requirement)},'
            f'\n      "findings": {findings}'
            "\n    }"
        )
    except (TypeError, ValueError):
        return None


_BOOLS = {True: "true", False: "false"}
_UNKNOWN = SeverityLabel.UNKNOWN  # an enum's member read off its class costs a lookup each time


def _local_build(dep: Dependency) -> str:
    return f'\n      "local_build": {_optional(dep.local_build)},'


def _finding_json(finding: Finding, fails: bool) -> str:
    severity = finding.severity
    rating = "null"
    if severity.label != _UNKNOWN:
        rating = (
            f'{{\n            "label": {_s(severity.label.text)},'
            f'\n            "score": {scalar(severity.score)},'
            f'\n            "vector": {_optional(severity.vector)},'
            f'\n            "source": {_s(severity.source)}'
            "\n          }"
        )
    reason, ignored = finding.ignore_reason, finding.ignored
    fixed_in, records = finding.fixed_in, finding.records
    # _strings and scalar written out for what nearly every finding holds (one fix, one
    # record, booleans): a report of 300 packages has 400 findings.
    fixes = _ONE_OPEN + _s(fixed_in[0]) + _ONE_CLOSE if len(fixed_in) == 1 else _strings(fixed_in)
    ids = _ONE_OPEN + _s(records[0]) + _ONE_CLOSE if len(records) == 1 else _strings(records)
    return (
        f'{{\n          "id": {_s(finding.id)},'
        f'\n          "aliases": {_strings(finding.aliases)},'
        f'\n          "kind": {_s(finding.kind)},'
        f'\n          "severity": {rating},'
        f'\n          "summary": {_s(finding.summary)},'
        f'\n          "fixed_in": {fixes},'
        f'\n          "ignored": {"false" if ignored is False else scalar(ignored)},'
        f'\n          "ignore_reason": {"null" if reason is None else _s(reason)},'
        f'\n          "fails": {"true" if fails is True else scalar(fails)},'
        f'\n          "records": {ids},'
        f'\n          "modified": {_s(finding.modified)}'
        "\n        }"
    )


def _optional(text: str | None) -> str:
    return "null" if text is None else _s(text)


def _strings(items: tuple[str, ...]) -> str:
    """A finding's list of strings, three levels into a dependency."""
    if not items:
        return "[]"
    return _ONE_OPEN + ",\n            ".join(map(_s, items)) + _ONE_CLOSE


_ONE_OPEN, _ONE_CLOSE = "[\n            ", "\n          ]"
