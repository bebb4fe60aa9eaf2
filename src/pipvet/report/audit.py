"""The audit report in the format asked for: ``render_audit`` picks the renderer.

A run renders one format, so each renderer's module is imported when it is first used.
"""

from __future__ import annotations

from pipvet.report.formats import AUDIT_FORMATS

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # `pipvet audit --help` lists AUDIT_FORMATS without the models
    from collections.abc import Iterable

    from pipvet.models import AuditReport

__all__ = ["AUDIT_FORMATS", "render_audit", "render_audit_pieces"]


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


def render_audit_pieces(
    report: AuditReport, fmt: str, *, color: bool = False, base_dir: str | None = None
) -> Iterable[str]:
    """``render_audit`` in pieces that join to the same text: JSON, the format of large
    machine-read reports, one dependency at a time; the others in one piece."""
    if fmt == "json":
        from pipvet.report.jsonout import render_audit_json_pieces

        return render_audit_json_pieces(report)
    return (render_audit(report, fmt, color=color, base_dir=base_dir),)
