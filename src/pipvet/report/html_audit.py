"""The report's audit sections: findings by severity, what one upgrade fixes, the findings
table, and the age of the installed releases against the cooldown.

Pure: model values in, HTML text out; every string through ``html_text.esc``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipvet.report._common import (
    LOCAL_BUILDS_LEAD,
    LOCAL_BUILDS_TITLE,
    NOT_FROM_INDEX_LEAD,
    NOT_FROM_INDEX_TITLE,
)
from pipvet.report.html_charts import (
    GOOD,
    NEUTRAL,
    SEVERITY_COLOR,
    Bar,
    bar_chart,
    column_chart,
    split_bar,
)
from pipvet.report.html_model import (
    AgesPart,
    AuditDep,
    AuditFinding,
    AuditPart,
    ReleaseAge,
    Unavailable,
)
from pipvet.report.html_text import advisory_link, capped, esc, more_note, plural, short

__all__ = [
    "active_findings",
    "ages_section",
    "audit_section",
    "fixable_count",
    "unchecked_deps",
]

FINDINGS_SHOWN = 150
UNCHECKED_SHOWN = 40
UPGRADES_SHOWN = 10
_RANK = ("malware", "critical", "high", "medium", "low", "none", "unknown")


def active_findings(audit: AuditPart) -> list[tuple[str, str | None, AuditFinding]]:
    """(package, version, finding) for every finding that is not ignored, worst first."""
    found = [
        (d.name, d.version, f) for d in audit.deps for f in d.findings if not f.ignored
    ]  # fmt: skip
    return sorted(found, key=lambda t: (_RANK.index(_level(t[2])), -(t[2].score or 0), t[0]))


def fixable_count(audit: AuditPart) -> int:
    return sum(1 for _, _, f in active_findings(audit) if f.fixed_in)


def _level(f: AuditFinding) -> str:
    return "malware" if f.kind == "malware" else f.severity


def _unavailable(title: str, anchor: str, reason: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{esc(title)}</h2>'
        f'<p class="unavailable">Not available: {esc(reason)}</p></section>'
    )


def audit_section(audit: AuditPart | Unavailable) -> str:
    if isinstance(audit, Unavailable):
        return _unavailable("Known vulnerabilities and malware", "audit", audit.reason)
    found = active_findings(audit)
    out = [
        '<section id="audit"><h2>Known vulnerabilities and malware</h2>',
        f'<p class="verdict {esc(audit.verdict_status)}">{esc(audit.verdict_text)}</p>',
        f'<p class="meta">Audited: {esc(audit.target)}. Advisory data: '
        f"{esc(audit.advisory_source)}"
        + (f", newest record {esc(audit.newest_modified)}" if audit.newest_modified else "")
        + (f" ({esc(audit.stale_text)})" if audit.stale_text else "")
        + f". Fail level: {esc(audit.fail_on)}.</p>",
    ]
    out += [f'<p class="warning">{esc(w)}</p>' for w in audit.warnings[:10]]
    if found:
        out.append('<div class="charts">')
        out.append(_severity_figure(found))
        out.append(_fix_figure(audit, found))
        out.append("</div>")
        out.append(_findings_table(found))
    elif not audit.deps:
        out.append("<p>Nothing was audited.</p>")
    out.append(_unchecked(audit))
    out.append("</section>")
    return "".join(out)


def _severity_figure(found: Sequence[tuple[str, str | None, AuditFinding]]) -> str:
    counts = dict.fromkeys(_RANK, 0)
    for _, _, f in found:
        counts[_level(f)] += 1
    bars = [Bar(level, n, SEVERITY_COLOR[level]) for level, n in counts.items() if n]
    desc = "Findings by severity: " + ", ".join(f"{b.label} {b.value}" for b in bars) + "."
    chart = bar_chart("chart-severity", "Findings by severity", desc, bars, label_chars=10)
    return f"<figure><figcaption>Findings by severity</figcaption>{chart}</figure>"


def _fix_figure(audit: AuditPart, found: Sequence[tuple[str, str | None, AuditFinding]]) -> str:
    fixable = sum(1 for _, _, f in found if f.fixed_in)
    parts = [
        Bar("fixable by an upgrade", fixable, GOOD),
        Bar("no fixed release yet", len(found) - fixable, SEVERITY_COLOR["unknown"]),
    ]
    desc = f"{fixable} of {len(found)} findings are fixed by upgrading to a released version."
    out = [
        "<figure><figcaption>Fixable or not</figcaption>",
        split_bar("chart-fixable", "Fixable or not", desc, parts),
    ]
    upgrades = []
    for dep in audit.deps:
        closes = sum(1 for f in dep.findings if not f.ignored and f.fixed_in)
        if dep.fix_requirement and closes:
            upgrades.append(Bar(dep.fix_requirement, closes, NEUTRAL, "fixed"))
    upgrades.sort(key=lambda b: (-b.value, b.label))
    if upgrades:
        best = upgrades[0]
        out.append(
            f'<p class="headline">One upgrade fixes {esc(best.value)}: '
            f"<code>{esc(best.label)}</code></p>"
        )
        shown, left = capped(upgrades, UPGRADES_SHOWN)
        desc = "Findings each upgrade fixes: " + ", ".join(
            f"{b.label} fixes {b.value}" for b in shown
        )
        out.append(bar_chart("chart-upgrades", "What each upgrade fixes", desc, shown))
        out.append(more_note(left, "upgrade"))
    out.append("</figure>")
    return "".join(out)


def _findings_table(found: Sequence[tuple[str, str | None, AuditFinding]]) -> str:
    shown, left = capped(found, FINDINGS_SHOWN)
    rows = []
    for name, version, f in shown:
        level = _level(f)
        score = f" {f.score:.1f}" if f.score is not None else ""
        ids = advisory_link(f.id)
        if f.aliases:
            ids += '<span class="aliases">' + esc(", ".join(f.aliases[:6])) + "</span>"
        fix = (
            esc(", ".join(f.fixed_in[:3])) if f.fixed_in else '<span class="muted">none yet</span>'
        )
        rows.append(
            f'<tr><td><span class="sev sev-{esc(level)}">{esc(level)}{esc(score)}</span>'
            + (' <span class="fails">fails</span>' if f.fails else "")
            + f"</td><td>{esc(name)} {esc(version or '')}</td><td>{ids}</td>"
            f'<td class="summary">{esc(short(f.summary, 160))}</td><td>{fix}</td></tr>'
        )
    return (
        f"<h3>Findings ({len(found):,})</h3>"
        '<table class="findings"><thead><tr><th>Severity</th><th>Package</th>'
        "<th>Advisory</th><th>Summary</th><th>Fixed in</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + more_note(left, "finding")
    )


def unchecked_deps(audit: AuditPart) -> list[AuditDep]:
    """What should have been checked and was not: what makes an audit incomplete. A local
    folder or editable is listed apart, as the text report does."""
    return [d for d in audit.deps if d.skipped and not d.local]


def _unchecked(audit: AuditPart) -> str:
    sections = (
        ("Not checked", "pipvet cannot say whether these are safe", unchecked_deps(audit)),
        (
            NOT_FROM_INDEX_TITLE,
            NOT_FROM_INDEX_LEAD,
            [d for d in audit.deps if d.skipped and d.local],
        ),
    )
    out = ""
    for title, lead, deps in sections:
        if not deps:
            continue
        shown, left = capped(deps, UNCHECKED_SHOWN)
        items = "".join(f"<li>{esc(d.name)} {esc(d.version or '')}: {esc(d.skipped)}</li>"
                        for d in shown)  # fmt: skip
        out += (
            f"<h3>{esc(title)} ({len(deps):,})</h3><p>{esc(lead.capitalize())}.</p>"
            f'<ul class="unchecked">{items}</ul>' + more_note(left, "dependency", "dependencies")
        )
    local = [d for d in audit.deps if d.local_build and not d.skipped]
    if local:
        shown, left = capped(local, UNCHECKED_SHOWN)
        items = "".join(f"<li>{esc(d.name)} {esc(d.version or '')}: {esc(d.local_build or '')}"
                        "</li>" for d in shown)  # fmt: skip
        out += (
            f"<h3>{esc(LOCAL_BUILDS_TITLE)} ({len(local):,})</h3>"
            f"<p>{esc(LOCAL_BUILDS_LEAD.capitalize())}: review its source.</p>"
            f'<ul class="unchecked">{items}</ul>' + more_note(left, "dependency", "dependencies")
        )
    return out


# ------------------------------------------------------------------------ release ages


def _age_buckets(cooldown: int) -> list[tuple[str, float]]:
    edges = [(f"< {cooldown} d", float(cooldown))]
    low = f"{cooldown} d"
    for label, days in (("30 d", 30), ("6 mo", 182), ("1 y", 365), ("2 y", 730)):
        if days > cooldown:
            edges.append((f"{low}-{label}", float(days)))
            low = label
    edges.append((f"> {low}", float("inf")))
    return edges


_BEHIND = (("newest", 0), ("1 behind", 1), ("2-4 behind", 4), ("5-9 behind", 9),
           ("10+ behind", 10**9))  # fmt: skip


def ages_section(ages: AgesPart | Unavailable) -> str:
    title = "Age of installed releases"
    if isinstance(ages, Unavailable):
        return _unavailable(title, "ages", ages.reason)
    total = len(ages.known) + ages.unknown
    if not ages.known:
        return (
            f'<section id="ages"><h2>{title}</h2><p class="unavailable">Release ages and '
            f"releases behind the newest: not known offline. The index metadata of "
            f"{esc(plural(total, 'installed release'))} is not in the local cache, and the "
            "report never downloads it; vet or update once online to cache it.</p></section>"
        )
    dated = [a for a in ages.known if a.age_days is not None]
    buckets = _age_buckets(ages.cooldown_days)
    counts = [0] * len(buckets)
    for a in dated:
        assert a.age_days is not None
        counts[next(i for i, (_, edge) in enumerate(buckets) if a.age_days < edge)] += 1
    colors = ["#e8590c"] + [NEUTRAL] * (len(buckets) - 1)
    cols = [Bar(label, n, c) for (label, _), n, c in zip(buckets, counts, colors, strict=True)]
    desc = f"Installed releases by age (cooldown {ages.cooldown_days} days): " + ", ".join(
        f"{c.label} {c.value}" for c in cols
    )
    age_chart = column_chart("chart-ages", "Installed releases by age", desc, cols,
                             marker_after=0, marker_label="cooldown")  # fmt: skip
    ranked = [a for a in ages.known if a.behind is not None]
    behind = [0] * len(_BEHIND)
    for a in ranked:
        assert a.behind is not None
        behind[next(i for i, (_, top) in enumerate(_BEHIND) if a.behind <= top)] += 1
    shades = [GOOD, "#74b816", "#fab005", "#f08c00", "#e03131"]
    bcols = [Bar(label, n, c) for (label, _), n, c in zip(_BEHIND, behind, shades, strict=True)]
    bdesc = "Installed releases by how many final releases are newer: " + ", ".join(
        f"{c.label} {c.value}" for c in bcols
    )
    behind_chart = column_chart("chart-behind", "Releases behind the newest", bdesc, bcols)
    note = (
        f"Known from the local metadata cache for {len(ages.known):,} of {total:,} installed "
        "releases" + (f"; the other {ages.unknown:,} are not known offline." if ages.unknown
                      else ".")
    )  # fmt: skip
    return (
        f'<section id="ages"><h2>{title}</h2><p class="meta">{esc(note)}</p>'
        '<div class="charts">'
        f"<figure><figcaption>Age against the {ages.cooldown_days}-day cooldown</figcaption>"
        f"{age_chart}</figure>"
        f"<figure><figcaption>Releases behind the newest</figcaption>{behind_chart}</figure>"
        "</div>" + _ages_table(ages) + "</section>"
    )


def _ages_table(ages: AgesPart) -> str:
    young = [a for a in ages.known if a.age_days is not None and a.age_days < ages.cooldown_days]
    late = sorted((a for a in ages.known if a.behind), key=lambda a: -(a.behind or 0))[:10]
    rows: list[str] = []

    def row(a: ReleaseAge, why: str) -> str:
        age = f"{a.age_days:,.0f} d" if a.age_days is not None else "unknown"
        behind = "unknown" if a.behind is None else f"{a.behind:,}"
        return (
            f"<tr><td>{esc(a.name)}</td><td>{esc(a.version)}</td><td>{esc(age)}</td>"
            f"<td>{esc(behind)}</td><td>{esc(a.newest or '')}</td><td>{esc(why)}</td></tr>"
        )

    rows += [row(a, "inside the cooldown") for a in young[:20]]
    rows += [row(a, "furthest behind") for a in late if a not in young]
    if not rows:
        return ""
    return (
        '<table class="ages"><thead><tr><th>Package</th><th>Installed</th><th>Age</th>'
        "<th>Releases behind</th><th>Newest</th><th>Why listed</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
