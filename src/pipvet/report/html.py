"""``pipvet report``: one self-contained HTML page of a project's state.

``render_report(data, css=...)`` returns the page and its stylesheet. The page runs no
script and makes no request: its Content-Security-Policy (a ``<meta>`` before anything
else) is ``default-src 'none'``, allows ``data:`` images only, and allows exactly one
stylesheet: the inline one, named by its real sha256 (``css="inline"``), or the
``pipvet.css`` file beside the page (``css="external"``, ``style-src 'self'``) for servers
such as Jenkins that block inline styles. No ``style`` attribute is used anywhere (the
policy would block it): charts colour with SVG attributes, the rest with classes.

Every string is escaped (``html_text.esc``); advisory text is shown as plain text. A print
stylesheet keeps charts and tables whole on paper.

Pure: a ``PageData`` in, strings out.
"""

from __future__ import annotations

import base64
from collections import Counter
from typing import Literal

from pipvet.frozen import frozen
from pipvet.report.formats import STYLESHEET_NAME
from pipvet.report.html_audit import (
    active_findings,
    ages_section,
    audit_section,
    fixable_count,
    unchecked_deps,
)
from pipvet.report.html_charts import (
    GOOD,
    HARM_COLOR,
    INK,
    MUTED,
    NEUTRAL,
    SEVERITY_COLOR,
    STATUS_COLOR,
    VERDICT_COLOR,
    Tile,
    figures_strip,
)
from pipvet.report.html_fleet import fleet_section
from pipvet.report.html_model import (
    AuditPart,
    DoctorPart,
    ExposurePart,
    FleetPart,
    PageData,
    Unavailable,
    VetPart,
)
from pipvet.report.html_practice import doctor_section, exposure_section, vet_section
from pipvet.report.html_text import esc
from pipvet.sha256 import sha256

__all__ = ["STYLESHEET", "STYLESHEET_NAME", "HtmlPage", "csp_for", "render_report"]

CssMode = Literal["inline", "external"]


@frozen
class HtmlPage:
    html: str
    stylesheet: str  # what to write beside the page as pipvet.css when css="external"


def _palette() -> str:
    rules = [f".sev-{k}{{background:{v}}}" for k, v in SEVERITY_COLOR.items()]
    rules += [f".st-{k}{{background:{v}}}" for k, v in STATUS_COLOR.items()]
    rules += [f".v-{k}{{background:{v}}}" for k, v in VERDICT_COLOR.items()]
    rules += [f".h-{k}{{background:{v}}}" for k, v in HARM_COLOR.items()]
    return "\n".join(rules)


STYLESHEET = f"""
:root{{color-scheme:light}}
*{{box-sizing:border-box}}
body{{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
Arial,sans-serif;color:{INK};background:#fff}}
header,main,footer{{max-width:1000px;margin:0 auto;padding:0 20px}}
header{{padding-top:24px}}
h1{{font-size:24px;margin:0 0 4px}}
h2{{font-size:19px;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid #e9ecef}}
h3{{font-size:15px;margin:18px 0 6px}}
nav{{margin:10px 0 16px;font-size:13px}}
nav a{{margin-right:14px}}
a{{color:{NEUTRAL}}}
.meta,.more,footer,small{{color:{MUTED}}}
.more{{font-style:italic}}
.unavailable{{padding:8px 12px;background:#fff4e6;border-left:4px solid #f08c00}}
.warning{{color:#a61e4d}}
.verdict{{font-weight:600;padding:8px 12px;border-radius:4px;background:#ebfbee}}
.verdict.fail{{background:#fff5f5;color:#a61e4d}}
.verdict.incomplete{{background:#fff4e6;color:#a14c00}}
.headline{{font-weight:600}}
.charts{{display:grid;grid-template-columns:1fr 1fr;gap:18px}}
figure{{margin:8px 0;break-inside:avoid}}
figcaption{{font-weight:600;font-size:13px;margin-bottom:4px}}
svg.chart{{display:block;max-width:100%;height:auto}}
svg text{{font-family:inherit;font-size:12px}}
svg text.val{{fill:{MUTED}}}
svg text.note{{font-size:11px;fill:{MUTED}}}
svg text.lbl{{font-size:13px;fill:{INK}}}
svg text.big{{font-size:30px;font-weight:700}}
svg text.big.long{{font-size:22px}}
svg text.inbar{{fill:#fff;font-weight:600}}
table{{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}}
th,td{{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e9ecef}}
th{{background:#f8f9fa;font-weight:600}}
td.summary{{max-width:380px;overflow-wrap:anywhere}}
td ul{{margin:4px 0;padding-left:18px}}
code{{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
overflow-wrap:anywhere}}
.aliases{{display:block;color:{MUTED};font-size:11px}}
.sev,.status,.verdict-pill,.harm{{display:inline-block;padding:1px 7px;border-radius:9px;
color:#fff;font-size:12px;font-weight:600;white-space:nowrap}}
.sev-low,.sev-none{{color:{INK}}}
.fails{{font-size:11px;color:#a61e4d;font-weight:600}}
.muted,.lvl{{color:{MUTED}}}
.fix{{margin:4px 0 0}}
{_palette()}
@media (max-width:760px){{.charts{{grid-template-columns:1fr}}}}
@media print{{
body{{font-size:10pt}}
nav{{display:none}}
header,main,footer{{max-width:none;padding:0}}
*{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
h2{{break-after:avoid}}
tr,figure{{break-inside:avoid}}
a{{color:inherit;text-decoration:none}}
}}
""".lstrip()


def csp_for(css: CssMode, stylesheet: str = STYLESHEET) -> str:
    """The page's Content-Security-Policy: no script, no request, only this stylesheet."""
    if css == "external":
        style = "'self'"
    else:
        digest = base64.b64encode(sha256(stylesheet.encode("utf-8")).digest())
        style = f"'sha256-{digest.decode('ascii')}'"
    return f"default-src 'none'; style-src {style}; img-src data:;"


def render_report(data: PageData, *, css: CssMode = "inline") -> HtmlPage:
    """The whole page (ending in a newline) and the stylesheet it uses."""
    style = (
        f'<link rel="stylesheet" href="{STYLESHEET_NAME}">'
        if css == "external"
        else f"<style>{STYLESHEET}</style>"
    )
    sections = _sections(data)
    nav = "".join(f'<a href="#{anchor}">{esc(label)}</a>' for anchor, label, _ in sections)
    sources = "".join(f"<li>{esc(s)}</li>" for s in data.sources)
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp_for(css))}">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(data.title)}</title>{style}</head><body>"
        f"<header><h1>{esc(data.title)}</h1>"
        f'<p class="meta">Made by pipvet {esc(data.tool_version)} at '
        f"{esc(data.generated_at)}.</p><nav>{nav}</nav>"
        f'<figure class="figures">{figures_strip("chart-figures", _tiles(data))}</figure>'
        "</header><main>"
        + "".join(html for _, _, html in sections)
        + "</main><footer><h2>About this page</h2>"
        "<p>This page runs no script and loads nothing from anywhere: everything is in this "
        "file. Advisory and package texts are shown exactly as their authors wrote them, as "
        "plain text. Credentials are named, never shown. Long lists are cut; the JSON output "
        "of each command has them whole.</p>"
        + (f"<ul>{sources}</ul>" if sources else "")
        + "</footer></body></html>\n"
    )
    return HtmlPage(page, STYLESHEET)


def _sections(data: PageData) -> list[tuple[str, str, str]]:
    out = []
    if data.audit is not None:
        out.append(("audit", "Vulnerabilities", audit_section(data.audit)))
    if data.ages is not None:
        out.append(("ages", "Release ages", ages_section(data.ages)))
    if data.doctor is not None:
        out.append(("doctor", "Scorecard", doctor_section(data.doctor)))
    if data.exposure is not None:
        out.append(("exposure", "Exposure", exposure_section(data.exposure)))
    if data.vet is not None:
        out.append(("vet", "Vetting", vet_section(data.vet)))
    if data.fleet is not None:
        out.append(("fleet", "Fleet", fleet_section(data.fleet)))
    return out


def _tiles(data: PageData) -> list[Tile]:
    tiles: list[Tile] = []
    if isinstance(data.audit, AuditPart):
        tiles += _audit_tiles(data.audit)
    elif isinstance(data.audit, Unavailable):
        tiles.append(Tile("vulnerabilities", "?", SEVERITY_COLOR["unknown"], "audit not run"))
    if isinstance(data.doctor, DoctorPart):
        counts = Counter(c.status for c in data.doctor.checks)
        worst = "fail" if counts["fail"] else "warn" if counts["warn"] else "pass"
        tiles.append(
            Tile("practices pass", f"{counts['pass']}/{len(data.doctor.checks)}",
                 STATUS_COLOR[worst], f"{counts['warn']} warn, {counts['fail']} fail")
        )  # fmt: skip
    if isinstance(data.exposure, ExposurePart):
        exposed = [e for e in data.exposure.items if not e.protected]
        long_lived = sum(1 for e in exposed if e.lifetime != "short-lived")
        color = HARM_COLOR["cloud-bill"] if exposed else GOOD
        tiles.append(Tile("credentials", f"{len(exposed):,}", color,
                          f"{long_lived} long-lived"))  # fmt: skip
    if isinstance(data.vet, VetPart):
        counts = Counter(p.verdict for p in data.vet.packages)
        bad = counts["avoid"] + counts["unchecked"]
        color = (
            VERDICT_COLOR["avoid"] if bad else VERDICT_COLOR["review"] if counts["review"] else GOOD
        )
        tiles.append(Tile("avoid (vet)", f"{counts['avoid']:,}", color,
                          f"{counts['review']} review, of {len(data.vet.packages)}"))  # fmt: skip
    if isinstance(data.fleet, FleetPart):
        tiles.append(Tile("projects", f"{len(data.fleet.projects):,}", NEUTRAL,
                          f"{len(data.fleet.drift)} distributions drift"))  # fmt: skip
    return tiles[:7]


def _audit_tiles(audit: AuditPart) -> list[Tile]:
    found = active_findings(audit)
    failing = sum(1 for _, _, f in found if f.fails)
    malware = sum(1 for _, _, f in found if f.kind == "malware")
    unchecked = len(unchecked_deps(audit))
    worst = found[0][2] if found else None
    color = GOOD
    if worst is not None:
        color = SEVERITY_COLOR["malware" if worst.kind == "malware" else worst.severity]
    fixable = fixable_count(audit)
    return [
        Tile("dependencies", f"{len(audit.deps):,}", NEUTRAL,
             f"{unchecked} not checked" if unchecked else "all checked"),
        Tile("vulnerabilities", f"{len(found):,}", color, f"{failing} failing"),
        Tile("malware", f"{malware:,}", SEVERITY_COLOR["malware"] if malware else GOOD,
             "treat credentials as stolen" if malware else "none known"),
        Tile("fixable", f"{fixable:,}", GOOD if fixable == len(found) else NEUTRAL,
             f"of {len(found)} findings"),
    ]  # fmt: skip
