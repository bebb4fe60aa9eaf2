"""Audit report renderers: pure functions from an ``AuditReport`` to text.

Each returns the whole document as a string ending in a newline; only the CLI writes it out.
"""

from __future__ import annotations

from collections.abc import Callable

from pipvet.models import AuditReport
from pipvet.report._common import Verdict, verdict
from pipvet.report.jsonout import render_json, report_to_dict
from pipvet.report.markdown import render_markdown
from pipvet.report.sarif import render_sarif
from pipvet.report.text import render_text

__all__ = [
    "AUDIT_FORMATS",
    "Verdict",
    "render_audit",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_text",
    "report_to_dict",
    "verdict",
]

AUDIT_FORMATS: tuple[str, ...] = ("text", "json", "markdown", "sarif")

_RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "json": render_json,
    "markdown": render_markdown,
}


def render_audit(
    report: AuditReport, fmt: str, *, color: bool = False, base_dir: str | None = None
) -> str:
    """Render ``report`` in one of ``AUDIT_FORMATS``; ``color`` only affects text and
    ``base_dir`` (for relative SARIF locations) only SARIF."""
    if fmt == "text":
        return render_text(report, color=color)
    if fmt == "sarif":
        return render_sarif(report, base_dir=base_dir)
    try:
        return _RENDERERS[fmt](report)
    except KeyError:
        raise ValueError(f"unknown audit report format {fmt!r}") from None
