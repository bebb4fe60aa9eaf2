"""Renderers for ``pipvet relax``: text (with diffs on a dry run) and JSON. Pure. A line a
report shows has every query value of its URLs hidden (``mask_query``), as an audit shows a
requirement's URL; the file written keeps them."""

from __future__ import annotations

import json
import textwrap

from pipvet.project.model import RelaxPlan
from pipvet.redact import mask_query
from pipvet.report.safe import json_renderer, text_renderer

__all__ = ["render_relax_json", "render_relax_text"]


@text_renderer
def render_relax_text(plan: RelaxPlan, *, dry_run: bool, written: tuple[str, ...] = ()) -> str:
    lines: list[str] = []
    if dry_run:
        for file in plan.changed:
            lines.append(mask_query(file.diff()).rstrip("\n"))
        if plan.changed:
            lines.append("")
    relaxed = [(f, r) for f in plan.files if f.role != "constraints" for r in f.result.relaxed]
    relaxed = [(f, r) for f, r in relaxed if f.changed]
    if relaxed:
        verb = "Would relax" if dry_run else "Relaxed"
        count = len({f.display for f, _ in relaxed})
        lines.append(
            f"{verb} {len(relaxed)} pin{'s' if len(relaxed) != 1 else ''} in {count} "
            f"file{'s' if count != 1 else ''}:"
        )
        for f, r in relaxed:
            note = f"  ({r.note})" if r.note else ""
            lines.append(f"  {f.display}:{r.line}  {r.before}  ->  {r.after}{note}")
    elif not plan.files:
        lines.append("No requirements files or pyproject.toml found; nothing to relax.")
    else:
        shown = ", ".join(f.display for f in plan.files)
        lines.append(f"No exact pins to relax in {shown}.")
    if plan.not_relaxed:
        lines += ["", "Not relaxed (change these by hand if they should float):"]
        for f, n in plan.not_relaxed:
            where = f"{f.display}:{n.line}" if n.line else f.display
            lines.append(f"  {where}  {mask_query(n.text)}")
            lines.append(f"      {n.reason}")
    if plan.warnings:
        lines += ["", "Notes:"]
        for w in plan.warnings:
            lines += _wrap(w)
    if plan.lock_files:
        lines += ["", "Lock files:"]
        for lock in plan.lock_files:
            text = f"{lock.display} ({lock.tool}) is {lock.meaning}"
            lines += _wrap(text)
    lines.append("")
    if dry_run:
        lines.append("Dry run: nothing was written.")
    elif written:
        lines.append("Wrote " + ", ".join(written) + ".")
    else:
        lines.append("Nothing was written.")
    return "\n".join(lines) + "\n"


@json_renderer
def render_relax_json(plan: RelaxPlan, *, dry_run: bool, written: tuple[str, ...] = ()) -> str:
    data = {
        "schema_version": 1,
        "dry_run": dry_run,
        "written": list(written),
        "files": [
            {
                "path": f.display,
                "role": f.role,
                "changed": f.changed,
                "relaxed": [
                    {"line": r.line, "before": r.before, "after": r.after, "note": r.note}
                    for r in f.result.relaxed
                ],
                "not_relaxed": [
                    {"line": n.line, "text": mask_query(n.text), "reason": n.reason}
                    for n in f.result.not_relaxed
                ],
                "hashes_dropped": f.result.hashes_dropped if f.changed else 0,
                "diff": mask_query(f.diff()),
            }
            for f in plan.files
        ],
        "lock_files": [
            {"path": lock.display, "tool": lock.tool, "meaning": lock.meaning}
            for lock in plan.lock_files
        ],
        "warnings": list(plan.warnings),
    }
    return json.dumps(data, indent=2) + "\n"


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=96,
        initial_indent="  - ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
