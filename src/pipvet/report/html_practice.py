"""The report's sections about practice and people: the doctor scorecard, credential
exposure (names and places only; the model holds no value to show) and the vet table.

Pure: model values in, HTML text out; every string through ``html_text.esc``.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from pipvet.report.html_charts import (
    HARM_COLOR,
    STATUS_COLOR,
    VERDICT_COLOR,
    Bar,
    bar_chart,
    scorecard,
    split_bar,
)
from pipvet.report.html_model import DoctorPart, ExposurePart, Unavailable, VetPart
from pipvet.report.html_text import capped, esc, link, more_note, plural, short

__all__ = ["doctor_section", "exposure_section", "vet_section"]

EXPOSURES_SHOWN = 60
VET_SHOWN = 120
_VERDICTS = ("avoid", "unchecked", "review", "ok", "internal")


def _unavailable(title: str, anchor: str, reason: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{esc(title)}</h2>'
        f'<p class="unavailable">Not available: {esc(reason)}</p></section>'
    )


def doctor_section(doctor: DoctorPart | Unavailable) -> str:
    title = "Practices scorecard"
    if isinstance(doctor, Unavailable):
        return _unavailable(title, "doctor", doctor.reason)
    counts = Counter(c.status for c in doctor.checks)
    score = ", ".join(f"{counts[s]} {s}" for s in ("pass", "warn", "fail"))
    rows = [Bar(c.title, 1, STATUS_COLOR[c.status], c.status) for c in doctor.checks]
    desc = "Doctor scorecard: " + "; ".join(f"{c.title}: {c.status}" for c in doctor.checks)
    chart = scorecard("chart-doctor", f"Practices scorecard ({score})", desc, rows)
    table = []
    for c in doctor.checks:
        if c.status == "pass":
            continue
        evidence = "".join(f"<li>{esc(short(e, 400))}</li>" for e in c.evidence[:6])
        fix = f'<p class="fix">Fix: <code>{esc(c.fix)}</code></p>' if c.fix else ""
        table.append(
            f'<tr><td><span class="status st-{esc(c.status)}">{esc(c.status)}</span></td>'
            f"<td><strong>{esc(c.title)}</strong><br>{esc(c.summary)}"
            f"{'<ul>' + evidence + '</ul>' if evidence else ''}{fix}</td></tr>"
        )
    body = (
        '<table class="doctor"><thead><tr><th>Status</th><th>What to do</th></tr></thead>'
        f"<tbody>{''.join(table)}</tbody></table>"
        if table
        else "<p>Every practice passes.</p>"
    )
    return (
        f'<section id="doctor"><h2>{title}</h2><p class="meta">Project: {esc(doctor.project)}. '
        f"Score: {esc(score)}.</p><figure>{chart}</figure>{body}</section>"
    )


def exposure_section(exposure: ExposurePart | Unavailable) -> str:
    title = "Credentials a malicious package could read"
    if isinstance(exposure, Unavailable):
        return _unavailable(title, "exposure", exposure.reason)
    exposed = sorted((e for e in exposure.items if not e.protected), key=lambda e: e.harm_rank)
    head = (
        f'<section id="exposure"><h2>{title}</h2><p class="meta">Names and places only, never '
        f"values. Home: {esc(exposure.home)}; project: {esc(exposure.project)}; "
        f"{esc(plural(exposure.checked, 'location'))} checked.</p>"
    )
    if not exposed:
        return head + "<p>No readable credentials in the places pipvet checks.</p></section>"
    by_kind: dict[str, list[int]] = {}
    harm_of: dict[str, tuple[int, str]] = {}
    for e in exposed:
        by_kind.setdefault(e.what or e.kind, []).append(1)
        harm_of[e.what or e.kind] = min(
            harm_of.get(e.what or e.kind, (99, "")), (e.harm_rank, e.harm)
        )
    bars = [
        Bar(kind, len(n), HARM_COLOR.get(harm_of[kind][1], "#868e96"), harm_of[kind][1])
        for kind, n in sorted(by_kind.items(), key=lambda kv: (harm_of[kv[0]][0], -len(kv[1])))
    ]
    desc = "Exposed credentials by kind: " + ", ".join(
        f"{b.label} {b.value} ({b.note})" for b in bars
    )
    chart = bar_chart(
        "chart-exposure", "Exposed credentials by kind", desc, bars[:20], label_chars=44,
        width=960,
    )  # fmt: skip
    shown, left = capped(exposed, EXPOSURES_SHOWN)
    rows = "".join(
        f'<tr><td><span class="harm h-{esc(e.harm)}">{esc(e.harm.replace("-", " "))}</span></td>'
        f"<td>{esc(e.lifetime)}</td><td>{esc(e.what)}</td><td><code>{esc(e.location)}</code>"
        f"</td><td>{esc(', '.join(e.names[:12]))}</td><td>{esc(short(e.advice, 300))}</td></tr>"
        for e in shown
    )
    long_lived = sum(1 for e in exposed if e.lifetime != "short-lived")
    return (
        head + f'<p class="headline">{esc(plural(len(exposed), "readable credential"))}, '
        f"{long_lived:,} long-lived or of unknown lifetime.</p>"
        f"<figure><figcaption>Exposed credentials by kind, coloured by harm</figcaption>"
        f"{chart}</figure>"
        '<table class="exposure"><thead><tr><th>Harm</th><th>Lifetime</th><th>What</th>'
        "<th>Where</th><th>Names</th><th>What to do</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>" + more_note(left, "credential") + "</section>"
    )


def vet_section(vet: VetPart | Unavailable) -> str:
    title = "Direct dependencies vetted"
    if isinstance(vet, Unavailable):
        return _unavailable(title, "vet", vet.reason)
    counts = Counter(p.verdict for p in vet.packages)
    parts = [Bar(v, counts[v], VERDICT_COLOR[v]) for v in _VERDICTS if counts[v]]
    desc = "Vet verdicts: " + ", ".join(f"{b.label} {b.value}" for b in parts) + "."
    chart = split_bar("chart-vet", "Vet verdicts", desc, parts)
    ordered = sorted(vet.packages, key=lambda p: (_rank(p.verdict), p.name))
    shown, left = capped(ordered, VET_SHOWN)
    rows = []
    for p in shown:
        reasons = [s for s in p.signals if s.level in ("avoid", "review", "unchecked")]
        why = "".join(
            f'<li><span class="lvl">{esc(s.level)}</span> {esc(s.id)}: '
            f"{esc(short(s.message, 240))}</li>"
            for s in reasons[:6]
        )
        if p.problem:
            why += f"<li>{esc(short(p.problem, 240))}</li>"
        mean = f" Did you mean {esc(p.did_you_mean)}?" if p.did_you_mean else ""
        index = (
            link("index page", f"https://pypi.org/project/{quote(p.name, safe='')}/")
            if p.name
            else ""
        )
        rows.append(
            f'<tr><td><span class="verdict-pill v-{esc(p.verdict)}">{esc(p.verdict)}</span></td>'
            f"<td>{esc(p.name)} {esc(p.version or '')}<br><small>{index}</small></td>"
            f"<td>{'<ul>' + why + '</ul>' if why else 'no concerns'}{mean}</td>"
            f"<td>{p.new_dependencies:,}</td></tr>"
        )
    return (
        f'<section id="vet"><h2>{title}</h2><p class="meta">Vetted against {esc(vet.target)}.'
        "</p>" + (f"<figure>{chart}</figure>" if parts else "<p>Nothing was vetted.</p>")
        + '<table class="vet"><thead><tr><th>Verdict</th><th>Package</th><th>Reasons</th>'
        f"<th>New dependencies</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + more_note(left, "package") + "</section>"
    )  # fmt: skip


def _rank(verdict: str) -> int:
    return _VERDICTS.index(verdict) if verdict in _VERDICTS else len(_VERDICTS)
