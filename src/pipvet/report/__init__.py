"""Audit report renderers: pure functions from an ``AuditReport`` to text.

Each returns the whole document as a string ending in a newline; only the CLI writes it out.
A run renders one format, so each renderer's module is imported when it is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipvet.models import AuditReport
from pipvet.report._common import Verdict, verdict

if TYPE_CHECKING:
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

# Public name -> the module defining it.
_LAZY = {
    "render_json": "jsonout",
    "report_to_dict": "jsonout",
    "render_markdown": "markdown",
    "render_sarif": "sarif",
    "render_text": "text",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def render_audit(
    report: AuditReport, fmt: str, *, color: bool = False, base_dir: str | None = None
) -> str:
    """Render ``report`` in one of ``AUDIT_FORMATS``; ``color`` only affects text and
    ``base_dir`` (for relative SARIF locations) only SARIF."""
    if fmt == "text":
        from pipvet.report.text import render_text

        return render_text(report, color=color)
    if fmt == "sarif":
        from pipvet.report.sarif import render_sarif

        return render_sarif(report, base_dir=base_dir)
    if fmt == "json":
        from pipvet.report.jsonout import render_json

        return render_json(report)
    if fmt == "markdown":
        from pipvet.report.markdown import render_markdown

        return render_markdown(report)
    raise ValueError(f"unknown audit report format {fmt!r}")
