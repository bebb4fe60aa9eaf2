"""Vet report renderers: pure functions from a ``VetReport`` to text, JSON or markdown.

Text shows each package with its verdict, then one line per signal (level, id, message).
JSON is a contract other tools read; its shape (keys always present, indent 2)::

    {"tool": {"name": "pipvet", "version": "..."},
     "target": "the environment vetted against", "resolver": "metadata" | "pip",
     "fail_on": "avoid" | "review",
     "packages": [
       {"name": canonical name, "requested": as typed | null (found with --deep),
        "version": the release that would be installed | null,
        "verdict": "ok" | "review" | "avoid" | "unchecked" | "internal",
        "did_you_mean": str | null,
        "signals": [{"id", "level", "value", "threshold", "source", "message"}],
        "new_dependencies": [{"name", "version", "required_by", "on_index"}],
        "required_by": str | null, "problem": str | null, "data_age_seconds": float | null}],
     "offline": bool, "warnings": [...], "data_notes": [...],
     "summary": {"packages", "ok", "review", "avoid", "unchecked", "internal", "failing"}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipvet import __version__
from pipvet.redact import mask_query
from pipvet.report._common import age_text, plural
from pipvet.report.formats import VET_FORMATS
from pipvet.report.jsonindent import dumps
from pipvet.report.safe import json_renderer, text_renderer
from pipvet.vetting.model import JsonValue, PackageVet, Signal, VetReport

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["VET_FORMATS", "outcome_line", "render_vet", "vet_to_dict"]

_RESET = "\x1b[0m"
_COLORS = {
    "avoid": "\x1b[1;31m",
    "review": "\x1b[33m",
    "unchecked": "\x1b[35m",
    "ok": "\x1b[32m",
    "info": "\x1b[2m",
    "internal": "\x1b[2m",
}
_ICONS = {"avoid": "❌", "review": "⚠️", "unchecked": "❔", "ok": "✅", "internal": "🏠"}
_ORDER = ("avoid", "unchecked", "review", "ok", "internal")


def render_vet(report: VetReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        return render_vet_text(report, color=color)
    if fmt == "json":
        return _json(report)
    if fmt == "markdown":
        return render_vet_markdown(report)
    raise ValueError(f"unknown vet report format {fmt!r}")


@json_renderer
def _json(report: VetReport) -> str:
    return dumps(vet_to_dict(report), ensure_ascii=False) + "\n"


def _counts(report: VetReport) -> dict[str, int]:
    counts = dict.fromkeys(_ORDER, 0)
    for package in report.packages:
        counts[package.verdict] += 1
    return counts


def outcome_line(report: VetReport) -> str:
    """'AVOID: 2 of 5 packages should not be used; ...' — never "ok" when anything is unchecked."""
    counts = _counts(report)
    total = len(report.packages)
    parts = [f"{counts[v]:,} {v}" for v in _ORDER if counts[v]]
    failing = len(report.failing)
    if counts["unchecked"]:
        head = "INCOMPLETE"
        tail = (
            f"{plural(counts['unchecked'], 'package')} could not be fully checked; "
            "do not take the rest as a clean bill of health"
        )
    elif failing:
        head = "AVOID" if report.fail_on == "avoid" else "FAILED"
        tail = f"{plural(failing, 'package')} at or above the fail level ({report.fail_on})"
    elif counts["review"]:
        head = "REVIEW"
        tail = "read the review notes before adopting those packages"
    else:
        head = "OK"
        tail = "nothing asks for a closer look" if total else "nothing to vet"
    summary = ", ".join(parts) if parts else "no packages"
    return f"{head}: {summary} ({plural(total, 'package')}); {tail}."


# --------------------------------------------------------------------------- text


@text_renderer
def render_vet_text(report: VetReport, *, color: bool = False) -> str:
    def paint(text: str, level: str) -> str:
        code = _COLORS.get(level)
        return f"{code}{text}{_RESET}" if color and code else text

    lines = [f"pipvet vet: against {report.target}", ""]
    width = max((len(s.id) for p in report.packages for s in p.signals), default=10)
    for package in report.packages:
        head = _title(package)
        lines.append(f"{head}  {paint(package.verdict.upper(), package.verdict)}")
        if package.did_you_mean:
            lines.append(f"  did you mean {package.did_you_mean}?")
        if package.problem:
            lines.append(f"  {package.problem}")
        if report.offline and package.data_age_seconds is not None:
            lines.append(
                f"  index data from the local cache, fetched {age_text(package.data_age_seconds)}"
            )
        for signal in package.signals:
            level = paint(signal.level.ljust(9), signal.level)
            lines.append(f"  {level} {signal.id.ljust(width)}  {signal.message}")
        lines.append("")
    for note in (*report.data_notes, *report.warnings):
        lines.append(f"note: {note}")
    if report.data_notes or report.warnings:
        lines.append("")
    lines.append(outcome_line(report))
    return "\n".join(lines) + "\n"


def _title(package: PackageVet) -> str:
    text = package.name + (f" {package.version}" if package.version else "")
    if package.required_by:
        text += f" (needed by {package.required_by})"
    elif package.requested and package.requested != package.name:
        text += f" (asked for {mask_query(package.requested)})"
    return text


# --------------------------------------------------------------------------- json


def vet_to_dict(report: VetReport) -> dict[str, Any]:
    counts = _counts(report)
    return {
        "tool": {"name": "pipvet", "version": report.tool_version or __version__},
        "target": report.target,
        "resolver": report.resolver,
        "fail_on": report.fail_on,
        "packages": [_package(p) for p in report.packages],
        "offline": report.offline,
        "warnings": list(report.warnings),
        "data_notes": list(report.data_notes),
        "summary": {
            "packages": len(report.packages),
            **counts,
            "failing": len(report.failing),
        },
    }


def _package(package: PackageVet) -> dict[str, Any]:
    return {
        "name": package.name,
        # A requirement line of a URL: every query value hidden, as an audit shows it.
        "requested": None if package.requested is None else mask_query(package.requested),
        "version": package.version,
        "verdict": package.verdict,
        "did_you_mean": package.did_you_mean,
        "signals": [_signal(s) for s in package.signals],
        "new_dependencies": [
            {
                "name": d.name,
                "version": d.version,
                "required_by": d.required_by,
                "on_index": d.on_index,
            }
            for d in package.new_dependencies
        ],
        "required_by": package.required_by,
        "problem": package.problem,
        "data_age_seconds": package.data_age_seconds,
    }


def _signal(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "level": signal.level,
        "value": _plain(signal.value),
        "threshold": signal.threshold,
        "source": signal.source,
        "message": signal.message,
    }


def _plain(value: JsonValue) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- markdown


@text_renderer
def render_vet_markdown(report: VetReport) -> str:
    from pipvet.report.markdown import md  # a JSON or text vet does not load it

    counts = _counts(report)
    worst = next((v for v in _ORDER if counts[v]), "ok")
    out = [
        f"## {_ICONS[worst]} pipvet vet",
        "",
        f"**{md(outcome_line(report))}**",
        "",
        f"Target: {md(report.target)}",
        "",
    ]
    if report.packages:
        out += ["| Package | Version | Verdict | Why |", "|---|---|---|---|"]
        for p in report.packages:
            reasons = [s for s in p.signals if s.level in ("avoid", "unchecked", "review")]
            why = "; ".join(f"{s.id}: {s.message}" for s in reasons) or (p.problem or "")
            if p.did_you_mean:
                why = f"did you mean {p.did_you_mean}? " + why
            name = p.name + (f" (needed by {p.required_by})" if p.required_by else "")
            out.append(
                f"| {md(name)} | {md(p.version or '-')} | {_ICONS[p.verdict]} {p.verdict} "
                f"| {md(why)} |"
            )
        out.append("")
        out += ["<details><summary>Every signal</summary>", ""]
        for p in report.packages:
            out.append(f"**{md(_title(p))}**: {p.verdict}")
            out.append("")
            out += [f"- {s.level} · {md(s.id)}: {md(s.message)}" for s in p.signals]
            out.append("")
        out += ["</details>", ""]
    notes = [*report.data_notes, *report.warnings]
    if notes:
        out += [f"> {md(n)}" for n in notes]
        out.append("")
    return "\n".join(out)
