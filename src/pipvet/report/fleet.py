"""Renderers for ``pipvet fleet``: text, markdown, JSON, and the shared constraints file.
Pure: a ``FleetReport`` or ``ConstraintsPlan`` in, a string out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipvet.fleet.model import ConstraintsPlan, FleetReport, FleetVulnerability
from pipvet.frozen import fields
from pipvet.report.formats import FLEET_FORMATS
from pipvet.report.markdown import code, md
from pipvet.report.safe import json_renderer, text_renderer

__all__ = [
    "FLEET_FORMATS",
    "render_constraints_file",
    "render_constraints_summary",
    "render_fleet",
]

_SHOWN = 10  # projects named per line before "and N more"


def _names(projects: Sequence[str], limit: int = _SHOWN) -> str:
    if len(projects) <= limit:
        return ", ".join(projects)
    return ", ".join(projects[:limit]) + f" and {len(projects) - limit} more"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _short(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _fix_text(v: FleetVulnerability) -> list[str]:
    out: list[str] = []
    for fix in v.fixes:
        who = f"{_n(len(fix.projects), 'project')}: {_names(fix.projects)}"
        out.append(f"`{fix.requirement}` fixes {who}" if fix.requirement else f"no fix yet: {who}")
    return out


def render_fleet(report: FleetReport, fmt: str) -> str:
    if fmt == "json":
        return render_fleet_json(report)
    if fmt == "markdown":
        return render_fleet_markdown(report)
    return render_fleet_text(report)


def _headline(r: FleetReport) -> str:
    return (
        f"{_n(len(r.projects), 'project')}, {_n(r.distributions, 'distribution')} "
        f"({_n(r.rows, 'row')}) from {r.origin}"
    )


def _verdict(r: FleetReport) -> str:
    parts = [
        _n(len(r.vulnerabilities), "vulnerability").replace("vulnerabilitys", "vulnerabilities"),
        f"{len(r.failing)} at the fail level",
        f"{len(r.drift)} drifting",
        f"{len(r.used_once)} used once",
        f"{len(r.undeclared)} undeclared",
        f"{_n(len(r.not_floating), 'project')} pinning ==",
    ]
    if r.problems:
        parts.append(f"{_n(len(r.problems), 'project')} not fully read")
    if r.unchecked:
        parts.append(f"{_n(len(r.unchecked), 'version')} not checked")
    return "; ".join(parts) + "."


@text_renderer
def render_fleet_text(r: FleetReport) -> str:
    lines = [f"pipvet fleet: {_headline(r)}", f"advisory data: {r.advisory_source}"]
    lines += [f"warning: {w}" for w in r.warnings]
    if r.problems:
        lines += ["", f"Could not be read ({len(r.problems)}):"]
        lines += [f"  {p.path}: {p.problem}" for p in r.problems]
    if r.unchecked:
        lines += ["", f"Not checked ({len(r.unchecked)}):"]
        lines += [f"  {u}" for u in r.unchecked]
    lines += ["", f"Vulnerabilities ({len(r.vulnerabilities)}, each counted once per package):"]
    for v in r.vulnerabilities:
        level = "MALWARE" if v.kind == "malware" else v.severity + (" FAIL" if v.fails else "")
        lines.append(
            f"  {v.id}  {v.name} {', '.join(v.versions)}  {level}  {_n(len(v.projects), 'project')}"
        )
        if v.summary:
            lines.append(f"    {_short(v.summary)}")
        lines += [f"    {t}" for t in _fix_text(v)]
    if not r.vulnerabilities:
        lines.append("  none known in the versions in use")
    lines += ["", f"Drift ({len(r.drift)} distributions at more than one version):"]
    for d in r.drift:
        flag = f"  below the security floor (>={d.security_floor})" if d.below_floor else ""
        lines.append(f"  {d.name}{flag}")
        width = max(len(dv.label) for dv in d.versions)
        for dv in d.versions:
            mark = "  vulnerable" if dv.vulnerable else ""
            lines.append(f"    {dv.label:<{width}}  {_names(dv.projects)}{mark}")
    lines += ["", f"Used once ({len(r.used_once)} direct dependencies only one project declares):"]
    lines += [f"  {u.name}  only in {u.project} ({u.source})" for u in r.used_once]
    lines += ["", f"Undeclared ({len(r.undeclared)} installed, declared nowhere, needed by none):"]
    lines += [
        f"  {u.project}: {u.name} {u.version or '(no version)'} in {u.source}" for u in r.undeclared
    ]
    lines += [
        "",
        f"Not floating ({len(r.not_floating)} projects pin ==; pipvet relax floats them):",
    ]
    lines += [
        f"  {p.project}: {_n(p.pins, 'pin')} in {', '.join(p.files)} ({', '.join(p.examples)})"
        for p in r.not_floating
    ]
    lines += ["", _verdict(r)]
    return "\n".join(lines) + "\n"


@text_renderer
def render_fleet_markdown(r: FleetReport) -> str:
    lines = [f"## pipvet fleet: {md(_headline(r))}", "", md(_verdict(r)), ""]
    if r.problems:
        lines += ["### Could not be read", ""]
        lines += [f"- {code(p.path)}: {md(p.problem or '')}" for p in r.problems]
        lines.append("")
    lines += ["### Vulnerabilities", ""]
    if r.vulnerabilities:
        lines += [
            "| advisory | package | versions | severity | projects | fix |",
            "|---|---|---|---|---|---|",
        ]
        for v in r.vulnerabilities:
            fixes = "<br>".join(
                f"{code(f.requirement)} fixes {md(_names(f.projects))}"
                if f.requirement
                else f"no fix yet: {md(_names(f.projects))}"
                for f in v.fixes
            )
            level = "malware" if v.kind == "malware" else v.severity
            lines.append(
                f"| {md(v.id)} | {md(v.name)} | {md(', '.join(v.versions))} | {level} | "
                f"{len(v.projects)} | {fixes} |"
            )
    else:
        lines.append("None known in the versions in use.")
    lines += ["", "### Drift", ""]
    for d in r.drift:
        floor = (
            f" — below the security floor {code('>=' + d.security_floor)}"
            if d.below_floor and d.security_floor
            else ""
        )
        per = "; ".join(
            f"{code(dv.label)}{' (vulnerable)' if dv.vulnerable else ''}: {md(_names(dv.projects))}"
            for dv in d.versions
        )
        lines.append(f"- **{md(d.name)}**{floor}: {per}")
    lines += ["", "### Used once", ""]
    lines += [f"- {md(u.name)} — only {md(u.project)} ({code(u.source)})" for u in r.used_once]
    lines += ["", "### Undeclared", ""]
    lines += [
        f"- {md(u.project)}: {md(u.name)} {md(u.version or '')} ({code(u.source)})"
        for u in r.undeclared
    ]
    lines += ["", "### Not floating (`pipvet relax` would float these pins)", ""]
    lines += [
        f"- {md(p.project)}: {_n(p.pins, 'pin')} in {md(', '.join(p.files))}"
        for p in r.not_floating
    ]
    return "\n".join(lines) + "\n"


def _flat(value: Any) -> dict[str, Any]:
    """A frozen value's fields, one level deep (tuples of strings become lists); ``asdict``
    deep-copies every value and is ten times slower on a fleet of thousands."""
    return {
        f.name: list(v) if isinstance(v := getattr(value, f.name), tuple) else v
        for f in fields(value)
    }


@json_renderer
def render_fleet_json(r: FleetReport) -> str:
    doc: dict[str, Any] = {
        "tool": {"name": "pipvet", "version": r.tool_version},
        "origin": r.origin,
        "advisory_db": r.advisory_source,
        "summary": {
            "projects": len(r.projects),
            "unreadable": len(r.problems),
            "distributions": r.distributions,
            "rows": r.rows,
            "vulnerabilities": len(r.vulnerabilities),
            "failing": len(r.failing),
            "drift": len(r.drift),
            "used_once": len(r.used_once),
            "undeclared": len(r.undeclared),
            "not_floating": len(r.not_floating),
            "unchecked": len(r.unchecked),
        },
        "projects": [_flat(p) for p in r.projects],
        "vulnerabilities": [
            {**_flat(v), "fixes": [_flat(f) for f in v.fixes]} for v in r.vulnerabilities
        ],
        "drift": [{**_flat(d), "versions": [_flat(v) for v in d.versions]} for d in r.drift],
        "used_once": [_flat(u) for u in r.used_once],
        "undeclared": [_flat(u) for u in r.undeclared],
        "not_floating": [_flat(p) for p in r.not_floating],
        "unchecked": list(r.unchecked),
        "warnings": list(r.warnings),
    }
    return json.dumps(doc, indent=2) + "\n"


@text_renderer
def render_constraints_file(plan: ConstraintsPlan, *, tool_version: str) -> str:
    """The constraints file: a header of ``#`` comments, then one ``name>=V`` line each."""
    lines = [
        f"# Shared floors made by pipvet {tool_version} fleet constraints at {plan.made_at}",
        f"# from {plan.origin}",
        f"# advisory data: {plan.advisory_source}",
        f"# release dates: {plan.index_source}; cooldown {plan.cooldown_days} days",
        "# use with: pip install -c FILE, PIP_CONSTRAINT=FILE or UV_CONSTRAINT=FILE",
    ]
    if plan.unchecked:
        names = ", ".join(line.name for line in plan.unchecked)
        lines.append(f"# UNCHECKED (see pipvet's report): {names}")
    lines += [line.text for line in plan.lines]
    return "\n".join(lines) + "\n"


@text_renderer
def render_constraints_summary(plan: ConstraintsPlan, *, written_to: str | None) -> str:
    """What the constraints run decided, for the terminal."""
    lines = [f"{_n(len(plan.lines), 'floor')} from {plan.origin}"]
    for line in plan.lines:
        notes = []
        if line.current_floor and line.current_floor != line.floor:
            notes.append(f"raised from {line.current_floor}: " + "; ".join(line.raised_for))
        if line.pinned_below:
            notes.append(
                f"pinned lower (==) in {_names(line.pinned_below)}: run pipvet relax there"
            )
        if line.unchecked:
            notes.append(f"UNCHECKED: {line.unchecked}")
        lines.append(f"  {line.text}" + (f"  ({'; '.join(notes)})" if notes else ""))
    lines += [f"  left out: {why}" for why in plan.left_out]
    if written_to:
        lines.append(f"written to {written_to}")
    return "\n".join(lines) + "\n"
