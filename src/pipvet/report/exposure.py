"""Renderers for ``pipvet exposure``: text, JSON and markdown (pure: report in, string out).

The report type cannot hold a secret value, so no renderer can print one; the tests plant
values anyway and check every format.
"""

from __future__ import annotations

import json
import textwrap

from pipvet.exposure.model import GENERAL_ADVICE, Exposure, ExposureReport, summarize
from pipvet.report.markdown import code, md
from pipvet.report.safe import json_renderer, text_renderer

__all__ = [
    "JSON_SCHEMA_VERSION",
    "render_exposure_json",
    "render_exposure_markdown",
    "render_exposure_text",
]

JSON_SCHEMA_VERSION = 1


def _summary_line(report: ExposureReport) -> str:
    s = summarize(report)
    if s.clean:
        return "No readable credentials found in the places pipvet checks."
    harms = ", ".join(f"{h.label} {n}" for h, n in s.by_harm)
    return (
        f"{s.exposed} exposed credential location{'s' if s.exposed != 1 else ''} "
        f"({s.long_lived} long-lived or of unknown lifetime): {harms}."
    )


def _names(e: Exposure) -> str:
    return ", ".join(e.names)


def _names_md(e: Exposure) -> str:
    return ", ".join(code(name) for name in e.names)


@text_renderer
def render_exposure_text(report: ExposureReport) -> str:
    lines = [
        "What a package running here could read (names and locations only, never values)",
        f"home: {report.home}    project: {report.project}",
        "",
    ]
    wrap = textwrap.TextWrapper(width=96, initial_indent="      ", subsequent_indent="      ")
    exposed = report.exposed
    for number, e in enumerate(exposed, start=1):
        lines.append(f"{number:>3}. [{e.harm.label}, {e.lifetime}] {e.what}")
        lines.append(f"      where: {e.location}")
        if e.names:
            lines.append(f"      names: {_names(e)}")
        lines.extend(wrap.wrap("do: " + e.advice))
    if report.protected:
        lines += ["", "Checked and protected (not readable as plain text):"]
        for e in report.protected:
            names = f" ({_names(e)})" if e.names else ""
            lines.append(f"  - {e.what}: {e.location}{names}")
    if report.unreadable:
        lines += ["", "Present but unreadable by this process (a package could not read them):"]
        lines += [f"  - {u.location}: {u.reason}" for u in report.unreadable]
    lines += ["", _summary_line(report)]
    if exposed:
        lines += ["", *textwrap.wrap(GENERAL_ADVICE, width=96)]
    lines += [
        "",
        f"Checked {len(report.checked)} locations (--format json lists them).",
    ]
    return "\n".join(lines) + "\n"


def _exposure_json(e: Exposure) -> dict[str, object]:
    return {
        "kind": e.kind,
        "what": e.what,
        "location": e.location,
        "names": list(e.names),
        "harm": e.harm.slug,
        "harm_rank": int(e.harm),
        "lifetime": e.lifetime,
        "protected": e.protected,
        "advice": e.advice,
    }


@json_renderer
def render_exposure_json(report: ExposureReport) -> str:
    s = summarize(report)
    data = {
        "schema_version": JSON_SCHEMA_VERSION,
        "home": report.home,
        "project": report.project,
        "summary": {
            "exposed": s.exposed,
            "long_lived": s.long_lived,
            "protected": s.protected,
            "unreadable": s.unreadable,
            "worst_harm": s.worst.slug if s.worst else None,
            "by_harm": {h.slug: n for h, n in s.by_harm},
        },
        "exposures": [_exposure_json(e) for e in report.exposures],
        "unreadable": [{"location": u.location, "reason": u.reason} for u in report.unreadable],
        "checked": list(report.checked),
        "advice": GENERAL_ADVICE,
    }
    return json.dumps(data, indent=2) + "\n"


@text_renderer
def render_exposure_markdown(report: ExposureReport) -> str:
    lines = [
        "## Credential exposure",
        "",
        "What a package running here could read — names and locations only, never values.",
        "",
        f"**{md(_summary_line(report))}**",
        "",
    ]
    if report.exposed:
        lines += [
            "| # | Harm | Lifetime | What | Where | Names | What to do |",
            "|---|---|---|---|---|---|---|",
        ]
        for number, e in enumerate(report.exposed, start=1):
            lines.append(
                f"| {number} | {e.harm.label} | {e.lifetime} | {md(e.what)} | "
                f"{code(e.location)} | {_names_md(e)} | {md(e.advice)} |"
            )
        lines += ["", GENERAL_ADVICE, ""]
    if report.protected:
        lines += ["### Checked and protected", ""]
        for e in report.protected:
            names = f" ({_names_md(e)})" if e.names else ""
            lines.append(f"- {md(e.what)}: {code(e.location)}{names}")
        lines.append("")
    if report.unreadable:
        lines += ["### Present but unreadable by this process", ""]
        lines += [f"- {code(u.location)}: {md(u.reason)}" for u in report.unreadable]
        lines.append("")
    lines += [
        "<details><summary>Checked locations</summary>",
        "",
        *(f"- {code(c)}" for c in report.checked),
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"
