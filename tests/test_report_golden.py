"""Golden files for every audit format.

Regenerate with PIPVET_UPDATE_GOLDEN=1 and review the diff before committing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipvet.models import AuditReport
from pipvet.report.audit import AUDIT_FORMATS, render_audit
from pipvet.report.jsonout import render_audit_json
from pipvet.report.markdown import render_audit_markdown
from pipvet.report.sarif import render_sarif
from pipvet.report.text import render_audit_text
from tests.report_samples import SAMPLES

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PIPVET_UPDATE_GOLDEN") == "1"

FORMATS: dict[str, Callable[[AuditReport], str]] = {
    "txt": render_audit_text,
    "json": render_audit_json,
    "md": render_audit_markdown,
    "sarif": lambda report: render_sarif(report, base_dir="/home/ana/proj"),
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_matches_golden_file(sample: str, ext: str) -> None:
    actual = FORMATS[ext](SAMPLES[sample])
    path = GOLDEN / f"audit-{sample}.{ext}"
    if UPDATE:
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.is_file(), f"{path} is missing; run the tests with PIPVET_UPDATE_GOLDEN=1"
    assert actual == path.read_bytes().decode("utf-8")


def test_renderers_are_deterministic() -> None:
    for report in SAMPLES.values():
        for render in FORMATS.values():
            assert render(report) == render(report)


@pytest.mark.parametrize("fmt", AUDIT_FORMATS)
def test_render_audit_dispatches_by_format(fmt: str) -> None:
    ext = {"text": "txt", "json": "json", "markdown": "md", "sarif": "sarif"}[fmt]
    rendered = render_audit(SAMPLES["full"], fmt, base_dir="/home/ana/proj")
    assert rendered == FORMATS[ext](SAMPLES["full"])


def test_render_audit_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown audit report format 'html'"):
        render_audit(SAMPLES["full"], "html")
