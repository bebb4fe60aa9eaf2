"""The audit report in the format asked for: ``render_audit`` picks the renderer.

A run renders one format, so each renderer's module is imported when it is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `pipvet audit --help` lists AUDIT_FORMATS without the models
    from pipvet.models import AuditReport

__all__ = ["AUDIT_FORMATS", "render_audit"]

AUDIT_FORMATS: tuple[str, ...] = ("text", "json", "markdown", "sarif")


def render_audit(
    report: AuditReport, fmt: str, *, color: bool = False, base_dir: str | None = None
) -> str:
    """Render ``report`` in one of ``AUDIT_FORMATS``; ``color`` only affects text and
    ``base_dir`` (for relative SARIF locations) only SARIF."""
    if fmt == "text":
        from pipvet.report.text import render_audit_text

        return render_audit_text(report, color=color)
    if fmt == "sarif":
        from pipvet.report.sarif import render_sarif

        return render_sarif(report, base_dir=base_dir)
    if fmt == "json":
        from pipvet.report.jsonout import render_audit_json

        return render_audit_json(report)
    if fmt == "markdown":
        from pipvet.report.markdown import render_audit_markdown

        return render_audit_markdown(report)
    raise ValueError(f"unknown audit report format {fmt!r}")
