"""Renderers for ``pipvet update``: pure functions from an ``UpdateResult`` to text.

The update report is the change table, the security fixes taken (or held back, with why), the
install-surface findings, the verdicts on the packages new to the environment, then the audit
of the updated environment in the same format. SARIF is the audit's SARIF plus one result per
unexpected install-surface change and per new package that vetting says to avoid or review.
"""

from __future__ import annotations

import json
from typing import Any

from pipvet.models import Location, canonicalize_name
from pipvet.report.formats import UPDATE_FORMATS
from pipvet.report.jsonout import audit_to_dict
from pipvet.report.markdown import code, md, render_audit_markdown
from pipvet.report.safe import json_renderer, text_renderer
from pipvet.report.sarif import render_sarif, sarif_location
from pipvet.report.text import render_audit_text
from pipvet.report.update_vet import sarif_additions, vet_markdown, vet_text, without_repeats
from pipvet.report.vet import vet_to_dict
from pipvet.sha256 import sha256
from pipvet.update.model import PackageChange, SecurityFix, SurfaceFinding, UpdateResult
from pipvet.vetting.model import VetReport

__all__ = [
    "UPDATE_FORMATS",
    "render_update",
    "render_update_json",
    "render_update_markdown",
    "render_update_sarif",
    "render_update_text",
    "update_to_dict",
]


def render_update(
    result: UpdateResult, fmt: str, *, color: bool = False, base_dir: str | None = None
) -> str:
    if fmt == "text":
        return render_update_text(result, color=color)
    if fmt == "json":
        return render_update_json(result)
    if fmt == "markdown":
        return render_update_markdown(result)
    if fmt == "sarif":
        return render_update_sarif(result, base_dir=base_dir)
    raise ValueError(f"unknown update report format {fmt!r}")


def _change_text(c: PackageChange) -> str:
    match c.kind:
        case "added":
            return f"{c.new}"
        case "removed":
            return f"{c.old}"
        case _:
            return f"{c.old} -> {c.new}"


def _protection_line(result: UpdateResult) -> str:
    parts = [f"pip {result.pip_before}" + (
        f" -> {result.pip_after}" if result.pip_after != result.pip_before else "")]  # fmt: skip
    if result.cutoff:
        parts.append(
            f"cooldown {result.cooldown_days} days (only releases uploaded before {result.cutoff})"
        )
    elif result.cooldown_days == 0:
        parts.append("no cooldown (cooldown-days = 0)")
    else:
        parts.append("cooldown NOT applied")
    return "; ".join(parts)


def _fix_line(fix: SecurityFix) -> str:
    head = f"{fix.display_name} {fix.installed} -> {fix.fixed}" if fix.applied else (
        f"{fix.display_name} {fix.installed} (fix {fix.fixed} NOT installed)")  # fmt: skip
    return f"{head}: {fix.reason}"


@text_renderer
def render_update_text(result: UpdateResult, *, color: bool = False) -> str:
    out = [f"pipvet update of {result.environment.description}"]
    if result.environment.created:
        out.append(f"Created {result.environment.prefix}")
    out.append(_protection_line(result))
    if result.sources:
        out.append("Upgraded from: " + ", ".join(result.sources))
    for text in (*result.missing_protections, *result.warnings):
        out.append(f"warning: {text}")
    out.append("")
    if result.changes:
        out.append(f"Changes ({len(result.changes)}):")
        width = max(len(c.display_name) for c in result.changes)
        for c in result.changes:
            out.append(f"  {c.kind:<10} {c.display_name:<{width}}  {_change_text(c)}")
    else:
        out.append("No package changed.")
    if result.security_fixes:
        out += ["", "Security fixes (not delayed by the cooldown):"]
        out += [f"  {_fix_line(f)}" for f in result.security_fixes]
    if result.surface:
        warnings = sum(1 for f in result.surface if f.level == "warning")
        out += ["", f"Install surface: {warnings} unexpected, {len(result.surface) - warnings} "
                "noted"]  # fmt: skip
        for f in sorted(result.surface, key=lambda f: f.level != "warning"):
            mark = "!" if f.level == "warning" else "-"
            out.append(f"  {mark} {f.detail}")
            if f.fix:
                out.append(f"    fix: {f.fix}")
    vetted = _vetted(result)
    if vetted is not None:
        earlier = {p.name for p in result.vetted_packages if p.earlier}
        out += ["", *vet_text(vetted, earlier=earlier)]
    out += ["", render_audit_text(result.audit, color=color).rstrip("\n")]
    return "\n".join(out) + "\n"


def _vetted(result: UpdateResult) -> VetReport | None:
    if result.vetted is None:
        return None
    return without_repeats(result.vetted, result.audit.warnings)


def update_to_dict(result: UpdateResult) -> dict[str, Any]:
    """The update as JSON: ``vetted`` lists the new packages' verdicts in the shape of
    ``pipvet vet``'s ``packages``; ``vet`` has that report's target, fail level, notes and
    summary (``null`` when nothing was new)."""
    env = result.environment
    vet_doc = vet_to_dict(result.vetted) if result.vetted is not None else None
    return {
        "environment": {
            "description": env.description,
            "python": str(env.python),
            "prefix": str(env.prefix),
            "kind": env.kind,
            "created": env.created,
        },
        "pip": {"before": result.pip_before, "after": result.pip_after},
        "cooldown": {"days": result.cooldown_days, "uploaded_prior_to": result.cutoff},
        "missing_protections": list(result.missing_protections),
        "sources": list(result.sources),
        "commands": [list(c) for c in result.commands],
        "changes": [
            {
                "kind": c.kind,
                "name": c.name,
                "display_name": c.display_name,
                "old": c.old,
                "new": c.new,
            }
            for c in result.changes
        ],
        "security_fixes": [
            {
                "name": f.name,
                "installed": f.installed,
                "fixed": f.fixed,
                "ids": list(f.ids),
                "applied": f.applied,
                "reason": f.reason,
            }
            for f in result.security_fixes
        ],
        "surface": [_surface_dict(f) for f in result.surface],
        "new_packages": list(result.new_packages),
        "vetted": vet_doc["packages"] if vet_doc is not None else [],
        "vet": {k: v for k, v in vet_doc.items() if k not in ("tool", "packages")}
        if vet_doc is not None
        else None,
        "warnings": list(result.warnings),
        "audit": audit_to_dict(result.audit),
    }


def _surface_dict(f: SurfaceFinding) -> dict[str, Any]:
    return {"kind": f.kind, "level": f.level, "package": f.package, "subject": f.subject,
            "detail": f.detail, "fix": f.fix}  # fmt: skip


@json_renderer
def render_update_json(result: UpdateResult) -> str:
    return json.dumps(update_to_dict(result), indent=2) + "\n"


@text_renderer
def render_update_markdown(result: UpdateResult) -> str:
    out = ["## pipvet update", "", f"Environment: {md(result.environment.description)}  ",
           md(_protection_line(result))]  # fmt: skip
    if result.sources:
        out[-1] += "  "
        out.append("Upgraded from: " + ", ".join(code(s) for s in result.sources))
    for text in (*result.missing_protections, *result.warnings):
        out += ["", f"> ⚠️ {md(text)}"]
    out += ["", "### Changes", ""]
    if result.changes:
        out += ["| Change | Package | Version |", "| --- | --- | --- |"]
        out += [f"| {c.kind} | {md(c.display_name)} | {md(_change_text(c))} |"
                for c in result.changes]  # fmt: skip
    else:
        out.append("No package changed.")
    if result.security_fixes:
        out += ["", "### Security fixes (not delayed by the cooldown)", ""]
        out += [f"- {md(_fix_line(f))}" for f in result.security_fixes]
    if result.surface:
        out += ["", "### Install surface", ""]
        for f in sorted(result.surface, key=lambda f: f.level != "warning"):
            mark = "⚠️ " if f.level == "warning" else ""
            fix = f" Fix: {md(f.fix)}" if f.fix else ""
            out.append(f"- {mark}{md(f.detail)}{fix}")
    vetted = _vetted(result)
    if vetted is not None:
        out += ["", vet_markdown(vetted).rstrip("\n")]
    audit = render_audit_markdown(result.audit).replace("## ", "### ", 1)
    out += ["", audit.rstrip("\n")]
    return "\n".join(out) + "\n"


@json_renderer
def render_update_sarif(result: UpdateResult, *, base_dir: str | None = None) -> str:
    """The audit's SARIF with each unexpected install-surface change and each new package
    that vetting says to avoid or review added as a result."""
    doc = json.loads(render_sarif(result.audit, base_dir=base_dir))
    run = doc["runs"][0]
    rules = run["tool"]["driver"].setdefault("rules", [])
    results = run.setdefault("results", [])
    known = {r["id"] for r in rules}
    for f in result.surface:
        if f.level != "warning":
            continue
        rule_id = f"pipvet/surface/{f.kind}"
        if rule_id not in known:
            known.add(rule_id)
            rules.append({
                "id": rule_id,
                "name": f.kind,
                "shortDescription": {"text": _RULE_TEXT[f.kind]},
                "defaultConfiguration": {"level": "warning"},
            })  # fmt: skip
        digest = sha256(f"{f.kind}\0{f.subject}".encode()).hexdigest()
        results.append({
            "ruleId": rule_id,
            "ruleIndex": next(i for i, r in enumerate(rules) if r["id"] == rule_id),
            "level": "warning",
            "message": {"text": f.detail + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [sarif_location(_surface_location(f, result), base_dir)],
            "partialFingerprints": {"pipvetSurface/v1": digest},
        })  # fmt: skip
    vetted = _vetted(result)
    if vetted is not None:
        where = {p.name: p.location for p in result.vetted_packages}
        vet_rules, vet_results, notes = sarif_additions(vetted, where, base_dir)
        for item in vet_results:
            item["ruleIndex"] += len(rules)
        rules += vet_rules
        results += vet_results
        run["invocations"][0].setdefault("toolExecutionNotifications", []).extend(notes)
    return json.dumps(doc, indent=2) + "\n"


def _surface_location(f: SurfaceFinding, result: UpdateResult) -> Location:
    """Where a surface finding points: the .pth file itself, else the package's metadata
    folder, else the first requirements file. Code scanning rejects results without one."""
    if f.kind.startswith("pth-"):
        return Location(f.subject)
    if f.package is not None:
        name = canonicalize_name(f.package)
        for r in result.audit.results:
            if r.dependency.name == name and r.dependency.location is not None:
                return r.dependency.location
    first = next((s for s in result.sources if s != "."), None)
    return Location(first or "pyproject.toml")


_RULE_TEXT = {
    "pth-new": "A new .pth file runs code at every Python start-up",
    "pth-changed": "A .pth file that runs code at start-up changed",
    "pth-unowned": "Start-up code that no installed package owns",
    "script-new": "A new command shadows another command",
    "built-from-source": "A package was built from source at install time",
}
