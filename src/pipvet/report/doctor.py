"""Renderers for ``pipvet doctor``: pure functions from a ``DoctorReport`` to text."""

from __future__ import annotations

import json
from typing import Any

from pipvet.project.model import Check, DoctorReport
from pipvet.report.formats import DOCTOR_FORMATS
from pipvet.report.markdown import code, md
from pipvet.report.safe import json_renderer, text_renderer

__all__ = ["DOCTOR_FORMATS", "doctor_to_dict", "render_doctor"]

_MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
_EMOJI = {"pass": "✅", "warn": "⚠️", "fail": "❌"}
_COLOR = {"pass": "\x1b[32m", "warn": "\x1b[33m", "fail": "\x1b[31m"}


def render_doctor(report: DoctorReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        return _text(report, color=color)
    if fmt == "json":
        return _json(report)
    if fmt == "markdown":
        return _markdown(report)
    raise ValueError(f"unknown doctor report format {fmt!r}")


@json_renderer
def _json(report: DoctorReport) -> str:
    return json.dumps(doctor_to_dict(report), indent=2) + "\n"


def _score(report: DoctorReport) -> str:
    return f"{report.count('pass')} pass, {report.count('warn')} warn, {report.count('fail')} fail"


@text_renderer
def _text(report: DoctorReport, *, color: bool) -> str:
    out = [f"pipvet doctor: {report.project}", ""]
    for check in report.checks:
        mark = _MARK[check.status]
        if color:
            mark = f"{_COLOR[check.status]}{mark}\x1b[0m"
        out.append(f"{mark}  {check.title}: {check.summary}")
        out += [f"        {line}" for line in check.evidence]
        if check.fix and check.status != "pass":
            out.append(f"        fix: {check.fix}")
    out += ["", f"Score: {_score(report)}"]
    return "\n".join(out) + "\n"


def _check_dict(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "title": check.title,
        "status": check.status,
        "summary": check.summary,
        "evidence": list(check.evidence),
        "fix": check.fix or None,
    }


def doctor_to_dict(report: DoctorReport) -> dict[str, Any]:
    return {
        "project": report.project,
        "checks": [_check_dict(c) for c in report.checks],
        "summary": {s: report.count(s) for s in ("pass", "warn", "fail")},
        "failed": report.failed,
    }


@text_renderer
def _markdown(report: DoctorReport) -> str:
    out = ["## pipvet doctor", "", f"Project: {code(report.project)}  ", f"Score: {_score(report)}",
           "", "| | Practice | Finding | Fix |", "| --- | --- | --- | --- |"]  # fmt: skip
    for c in report.checks:
        fix = code(c.fix) if c.fix and c.status != "pass" else ""
        out.append(f"| {_EMOJI[c.status]} | {md(c.title)} | {md(c.summary)} | {fix} |")
    details = [c for c in report.checks if c.evidence and c.status != "pass"]
    if details:
        out += ["", "### Evidence", ""]
        for c in details:
            out.append(f"- **{md(c.title)}**")
            out += [f"  - {md(line)}" for line in c.evidence]
    return "\n".join(out) + "\n"
