"""What ``pipvet install`` says after the verdict: the decision, what changed, what pip
installed that was not vetted, and the audit of what was installed. Lines and JSON values in,
no I/O."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pipvet.cli import _install_steps as steps
from pipvet.cli._common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from pipvet.cli._context import RunContext
from pipvet.frozen import frozen
from pipvet.models import AuditReport, NormalizedName
from pipvet.policy import fails
from pipvet.report._common import dependency_text, fix_text, short_severity
from pipvet.report._common import verdict as audit_verdict

__all__ = ["Decision", "Outcome", "changes", "difference_doc", "tail_lines", "tail_text"]


@frozen
class Decision:
    proceed: bool
    code: int  # the exit code when not proceeding
    notes: tuple[str, ...]


@dataclasses.dataclass
class Outcome:
    """What the install did, once it ran."""

    changes: dict[str, Any] | None = None
    difference: steps.Difference | None = None
    audit: AuditReport | None = None
    unaudited: bool = False
    built: tuple[NormalizedName, ...] = ()

    def code(self, ctx: RunContext) -> int:
        if self.difference or (self.audit is not None and fails(self.audit, ctx.policy)):
            return EXIT_FINDINGS
        if self.unaudited:
            return EXIT_ERROR
        return EXIT_OK


def changes(
    before: Mapping[NormalizedName, str], after: Mapping[NormalizedName, str]
) -> dict[str, Any]:
    return {
        "added": [{"name": n, "version": after[n]} for n in sorted(after.keys() - before.keys())],
        "upgraded": [
            {"name": n, "from": before[n], "to": after[n]}
            for n in sorted(after.keys() & before.keys())
            if before[n] != after[n]
        ],
        "removed": [
            {"name": n, "version": before[n]} for n in sorted(before.keys() - after.keys())
        ],
    }


def tail_lines(planned: bool, decision: Decision, outcome: Outcome, ctx: RunContext) -> list[str]:
    lines: list[str] = []
    if not planned:
        lines.append("pip has nothing to install: everything asked for is already there.")
    lines += decision.notes
    if outcome.changes is not None:
        lines += _change_lines(outcome.changes)
    diff = outcome.difference
    if diff:
        lines.append(
            "pip did not install exactly what was vetted (exit 1); treat what follows as "
            "installed without being vetted:"
        )
        lines += [f"  not vetted  {e.name} {e.version}" for e in diff.unvetted]
        lines += [f"  vetted, not installed  {p.name} {p.version}" for p in diff.missing]
    if outcome.built:
        lines.append(
            f"built from source: {', '.join(outcome.built)}. Their own dependencies could "
            "not be known before the build, so none were installed: run pip check, then "
            "pipvet install what it lists."
        )
    if outcome.audit is not None:
        lines += _audit_lines(outcome.audit, ctx)
    elif outcome.unaudited:
        lines.append(
            "not audited: there was no advisory data, so what was installed could not be "
            "checked for known vulnerabilities or malware (exit 2); run pipvet audit once "
            "the data is available."
        )
    return lines


def tail_text(lines: list[str], fmt: str) -> str:
    """``lines`` as shown. They name what is installed now, read back from the environment:
    a package can put any Name and Version there (a dist-info folder in its .data), so
    control characters are written out visibly, URL credentials masked, and in markdown each
    line is escaped and kept on its own line."""
    from pipvet.redact import mask_userinfo
    from pipvet.report.markdown import md
    from pipvet.report.safe import escape_controls

    safe = [escape_controls(mask_userinfo(line)) for line in lines]
    return "  \n".join(map(md, safe)) if fmt == "markdown" else "\n".join(safe)


def _audit_lines(report: AuditReport, ctx: RunContext) -> list[str]:
    status = audit_verdict(report)
    failing = fails(report, ctx.policy)
    lines = [
        "Audit of what was installed: "
        + status.text
        + (" Exit 1: at or above the policy's fail level." if failing else "")
    ]
    for result in report.results:
        for finding in result.findings:
            if finding.ignored:
                continue
            lines.append(
                f"  {dependency_text(result.dependency)}  {finding.id}"
                f" ({short_severity(finding.severity)}): {fix_text(result, finding)}"
            )
    return lines


def difference_doc(diff: steps.Difference | None) -> dict[str, Any] | None:
    if diff is None:
        return None
    return {
        "installed_not_vetted": [{"name": e.name, "version": e.version} for e in diff.unvetted],
        "vetted_not_installed": [{"name": p.name, "version": p.version} for p in diff.missing],
    }


def _change_lines(changes: dict[str, Any]) -> list[str]:
    lines = ["What changed in the environment:"]
    for item in changes["added"]:
        lines.append(f"  added     {item['name']} {item['version']}")
    for item in changes["upgraded"]:
        lines.append(f"  upgraded  {item['name']} {item['from']} -> {item['to']}")
    for item in changes["removed"]:
        lines.append(f"  removed   {item['name']} {item['version']}")
    if len(lines) == 1:
        lines.append("  nothing (everything was already installed)")
    return lines
