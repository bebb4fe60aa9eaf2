"""The report's fleet section: a drift heatmap (distributions x projects, each cell coloured
by how far that project's version lags behind the newest one in the fleet) and the shared
vulnerabilities, each counted once.

Pure: model values in, HTML text out; every string through ``html_text.esc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from pipvet.report.html_charts import Cell, heatmap
from pipvet.report.html_model import FleetPart, Unavailable
from pipvet.report.html_text import advisory_link, capped, esc, more_note, plural, short

__all__ = ["LAG_COLORS", "fleet_section"]

ROWS_SHOWN = 40
COLS_SHOWN = 30
VULNS_SHOWN = 60
# Lag 0 (the newest version in use), 1, 2, 3, 4 or more versions behind it.
LAG_COLORS = ("#2f9e44", "#94d82d", "#fcc419", "#f76707", "#c92a2a")
_EMPTY_NOTE = "blank: not used"


def fleet_section(fleet: FleetPart | Unavailable) -> str:
    title = "Fleet: the same dependencies across projects"
    if isinstance(fleet, Unavailable):
        return (
            f'<section id="fleet"><h2>{title}</h2>'
            f'<p class="unavailable">Not available: {esc(fleet.reason)}</p></section>'
        )
    head = (
        f'<section id="fleet"><h2>{title}</h2><p class="meta">'
        f"{esc(plural(len(fleet.projects), 'project'))}, "
        f"{esc(plural(fleet.distributions, 'distribution'))} from {esc(fleet.origin)}; "
        f"{len(fleet.drift):,} drifting, {fleet.used_once:,} used once, "
        f"{fleet.undeclared:,} undeclared.</p>"
    )
    return head + _drift(fleet) + _vulns(fleet) + "</section>"


def _drift(fleet: FleetPart) -> str:
    if not fleet.drift:
        return "<p>No drift: every distribution is used at one version across the fleet.</p>"
    drift, rows_left = capped(fleet.drift, ROWS_SHOWN)
    used = {p for d in drift for _, projects, _ in d.versions for p in projects}
    projects = [p for p in fleet.projects if p in used] + sorted(used - set(fleet.projects))
    cols, cols_left = capped(projects, COLS_SHOWN)
    shown_cols = _short_paths(cols)
    named = dict(zip(cols, shown_cols, strict=True))
    col_index = {p: j for j, p in enumerate(cols)}
    cells: dict[tuple[int, int], Cell] = {}
    lines = []
    for i, d in enumerate(drift):
        newest = len(d.versions) - 1  # versions come lowest first
        per_project: dict[str, tuple[int, str, bool]] = {}
        for k, (label, users, vulnerable) in enumerate(d.versions):
            for p in users:
                lag = newest - k
                # A project with two versions (a pin and an install) shows its worst.
                if p not in per_project or lag > per_project[p][0]:
                    per_project[p] = (lag, label, vulnerable)
        for p, (lag, label, vulnerable) in per_project.items():
            if p not in col_index:
                continue
            tip = f"{d.name} {label} in {p}: " + (
                "the newest in the fleet" if lag == 0 else f"{lag} version(s) behind the newest"
            ) + (" (vulnerable)" if vulnerable else "")  # fmt: skip
            color = LAG_COLORS[min(lag, len(LAG_COLORS) - 1)]
            cells[(i, col_index[p])] = Cell(color, tip, "!" if vulnerable else "")
        versions = "; ".join(
            f"{label}{' (vulnerable)' if vuln else ''}: "
            + ", ".join(named.get(u, u) for u in users[:8])
            + (f" and {len(users) - 8} more" if len(users) > 8 else "")
            for label, users, vuln in d.versions
        )
        floor = (
            f" Security floor: {d.security_floor}." if d.below_floor and d.security_floor else ""
        )
        lines.append(f"<tr><td>{esc(d.name)}</td><td>{esc(versions)}{esc(floor)}</td></tr>")
    legend = [("newest", LAG_COLORS[0]), ("1 behind", LAG_COLORS[1]),
              ("2 behind", LAG_COLORS[2]), ("3 behind", LAG_COLORS[3]),
              ("4+ behind", LAG_COLORS[4]), ("! vulnerable", "#ffffff")]  # fmt: skip
    desc = (
        f"Drift heatmap of {len(drift)} distributions across {len(cols)} projects; each cell "
        "is coloured by how many versions the project lags behind the newest one used in the "
        "fleet; ! marks a vulnerable version. "
        + " ".join(
            f"{d.name}: " + ", ".join(f"{label} in {len(u)}" for label, u, _ in d.versions) + "."
            for d in drift
        )
    )
    chart = heatmap("chart-drift", "Version drift across projects", desc,
                    [d.name for d in drift], shown_cols, cells, legend)  # fmt: skip
    notes = more_note(rows_left, "drifting distribution") + (
        f'<p class="more">{cols_left:,} more projects in the JSON report.</p>' if cols_left else ""
    )
    return (
        "<figure><figcaption>Version drift: distributions x projects, coloured by version lag "
        f"({esc(_EMPTY_NOTE)})</figcaption>{chart}</figure>{notes}"
        '<table class="drift"><thead><tr><th>Distribution</th><th>Versions in use</th></tr>'
        f"</thead><tbody>{''.join(lines)}</tbody></table>"
    )


def _short_paths(paths: Sequence[str]) -> list[str]:
    """The project paths without the folder they all share (the heatmap's column heads)."""
    if len(paths) < 2:
        return [PurePosixPath(p).name or p for p in paths]
    parts = [PurePosixPath(p).parts for p in paths]
    shared = 0
    while all(len(x) > shared + 1 and x[shared] == parts[0][shared] for x in parts):
        shared += 1
    return [str(PurePosixPath(*x[shared:])) for x in parts]


def _vulns(fleet: FleetPart) -> str:
    if not fleet.vulnerabilities:
        return "<p>No known vulnerabilities in the versions the fleet uses.</p>"
    shown, left = capped(fleet.vulnerabilities, VULNS_SHOWN)
    rows = []
    for v in shown:
        level = "malware" if v.kind == "malware" else v.severity
        fixes = "; ".join(
            (f"{req} fixes {n}" if req else f"no fix yet for {n}") for req, n in v.fixes[:4]
        )
        rows.append(
            f'<tr><td><span class="sev sev-{esc(level)}">{esc(level)}</span></td>'
            f"<td>{advisory_link(v.id)}</td><td>{esc(v.name)} {esc(', '.join(v.versions[:6]))}"
            f'</td><td>{len(v.projects):,}</td><td class="summary">{esc(short(v.summary, 200))}'
            f"</td><td>{esc(fixes)}</td></tr>"
        )
    return (
        f"<h3>Shared vulnerabilities ({len(fleet.vulnerabilities):,}, each counted once)</h3>"
        '<table class="findings"><thead><tr><th>Severity</th><th>Advisory</th><th>Package</th>'
        "<th>Projects</th><th>Summary</th><th>Fix</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + more_note(left, "vulnerability", "vulnerabilities")
    )  # fmt: skip
