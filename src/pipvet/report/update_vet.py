"""The "new packages vetted" part of the ``pipvet update`` report. Pure: data in, text out.

Text is a short table, one row per new package with its verdict, and under each package that
is not ``ok`` its top reasons (the signals that moved the verdict, worst first); ``pipvet
vet`` shows every signal. Markdown is the vet report's own markdown under an update heading.
SARIF adds one result per ``avoid`` or ``review`` verdict (rules ``pipvet/vet/avoid`` and
``pipvet/vet/review``) and a notification per package that could not be vetted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pipvet.frozen import replace
from pipvet.models import Location, NormalizedName
from pipvet.report.sarif import sarif_location
from pipvet.report.vet import outcome_line, render_vet_markdown
from pipvet.sha256 import sha256
from pipvet.vetting.model import PackageVet, Signal, VetReport

__all__ = [
    "TOP_REASONS",
    "reasons",
    "sarif_additions",
    "vet_markdown",
    "vet_text",
    "without_repeats",
]

TOP_REASONS = 2  # reasons shown per package in the text table; the rest are counted
_WORST_FIRST = {"avoid": 0, "unchecked": 1, "review": 2}
_SARIF_LEVEL = {"avoid": "error", "review": "warning"}
_RULE_TEXT = {
    "avoid": "A package new to the environment should not be used (pipvet vet says avoid)",
    "review": "A package new to the environment needs a human look (pipvet vet says review)",
}


def reasons(package: PackageVet) -> list[Signal]:
    """The signals that moved the verdict, worst first (signal order within a level)."""
    moving = [s for s in package.signals if s.level in _WORST_FIRST]
    return sorted(moving, key=lambda s: _WORST_FIRST[s.level])


def without_repeats(report: VetReport, already_said: Sequence[str]) -> VetReport:
    """The report without the warnings another part of the same output already gives (the
    audit shows the policy's and the advisory data's warnings too)."""
    kept = tuple(w for w in report.warnings if w not in already_said)
    return report if kept == report.warnings else replace(report, warnings=kept)


def vet_text(report: VetReport, *, earlier: Collection[str] = ()) -> list[str]:
    """The section's lines; ``earlier`` names packages an earlier update left unvetted."""
    lines = [f"New packages vetted ({len(report.packages)}; vet-fail-on = {report.fail_on}):"]
    width = max(len(_label(p)) for p in report.packages) if report.packages else 0
    for p in report.packages:
        extra = f"  did you mean {p.did_you_mean}?" if p.did_you_mean else ""
        if p.name in earlier:
            extra += "  (not new: an earlier update could not vet it)"
        lines.append(f"  {p.verdict.upper():<9} {_label(p):<{width}}{extra}".rstrip())
        if p.problem and not p.signals:  # otherwise a signal says it
            lines.append(f"      {p.problem}")
        found = reasons(p)
        lines += [f"      {s.id}: {s.message}" for s in found[:TOP_REASONS]]
        if len(found) > TOP_REASONS:
            lines.append(f"      (+{len(found) - TOP_REASONS} more)")
    lines += [f"  note: {n}" for n in (*report.data_notes, *report.warnings)]
    lines.append(outcome_line(report))
    pinned = [f"{p.name}=={p.version}" for p in report.packages if reasons(p) and p.version]
    if pinned:
        lines.append(f"Every signal: pipvet vet {' '.join(pinned)}")
    return lines


def _label(package: PackageVet) -> str:
    return package.name + (f" {package.version}" if package.version else "")


def vet_markdown(report: VetReport) -> str:
    """The vet report's markdown, its heading turned into this section's."""
    first, _, rest = render_vet_markdown(report).partition("\n")
    icon = first.removeprefix("## ").removesuffix(" pipvet vet")
    return f"### {icon} New packages vetted\n{rest}"


def sarif_additions(
    report: VetReport, locations: Mapping[NormalizedName, Location], base_dir: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(rules, results, notifications) to add to the update's SARIF run. Result ``ruleIndex``
    values count from 0 within these rules; the caller offsets them."""
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for p in report.packages:
        if p.verdict == "unchecked":
            why = p.problem or "; ".join(s.message for s in reasons(p) if s.level == "unchecked")
            notes.append(
                {"level": "warning", "message": {"text": f"Not vetted: {_label(p)}: {why}"}}
            )
            continue
        if p.verdict not in _SARIF_LEVEL:
            continue
        rule_id = f"pipvet/vet/{p.verdict}"
        if all(r["id"] != rule_id for r in rules):
            rules.append({
                "id": rule_id,
                "name": f"vet-{p.verdict}",
                "shortDescription": {"text": _RULE_TEXT[p.verdict]},
                "defaultConfiguration": {"level": _SARIF_LEVEL[p.verdict]},
                "properties": {"tags": ["security", "supply-chain", "dependency"]},
            })  # fmt: skip
        why = "; ".join(f"{s.id}: {s.message}" for s in reasons(p))
        if p.did_you_mean:
            why = f"did you mean {p.did_you_mean}? {why}"
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "ruleIndex": next(i for i, r in enumerate(rules) if r["id"] == rule_id),
            "level": _SARIF_LEVEL[p.verdict],
            "message": {"text": f"{_label(p)} is new to the environment; vetting says "
                                f"{p.verdict}: {why}"},
            "partialFingerprints": {
                "pipvetVet/v1": sha256(f"{p.name}\0{p.verdict}".encode()).hexdigest()
            },
            "properties": {"package": p.name, "version": p.version, "verdict": p.verdict,
                           "signals": [s.id for s in reasons(p)]},
        }  # fmt: skip
        if p.name in locations:
            result["locations"] = [sarif_location(locations[p.name], base_dir)]
        results.append(result)
    return rules, results, notes
