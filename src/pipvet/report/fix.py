"""The text ``pipvet audit --fix`` shows: diffs on a dry run, each raised requirement, what was
left and why, the lock files' commands, and the next step. Pure."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from pipvet.report.safe import text_renderer

if TYPE_CHECKING:
    from pipvet.project.fix import FixPlan

__all__ = ["render_fix_text"]


@text_renderer
def render_fix_text(plan: FixPlan, *, dry_run: bool, written: tuple[str, ...] = ()) -> str:
    lines: list[str] = []
    if dry_run:
        lines += [f.diff().rstrip("\n") for f in plan.changed]
        if plan.changed:
            lines.append("")
    raised = [(f, r) for f in plan.changed for r in f.result.raised]
    if raised:
        verb = "Would raise" if dry_run else "Raised"
        count = len(plan.changed)
        lines.append(
            f"{verb} {len(raised)} requirement{'s' if len(raised) != 1 else ''} to the "
            f"release that fixes {'them' if len(raised) != 1 else 'it'}, in {count} "
            f"file{'s' if count != 1 else ''}:"
        )
        lines += [f"  {f.display}:{r.line}  {r.before}  ->  {r.after}" for f, r in raised]
    else:
        shown = ", ".join(f.display for f in plan.files) or "no requirements files"
        lines.append(f"No requirement to raise in {shown}.")
    if plan.not_fixed:
        lines += ["", "Not fixed (change these by hand):"]
        for f, n in plan.not_fixed:
            lines.append(
                f"  {f.display}:{n.line}  {n.text}" if n.line else f"  {f.display}  {n.text}"
            )
            lines += _wrap(n.reason, "      ")
    if plan.undeclared:
        lines += [
            "",
            "Vulnerable, and declared in none of these files (a dependency of a "
            "dependency: pipvet update upgrades it, or require the fix directly):",
        ]
        lines += [f"  {u}" for u in plan.undeclared]
    if plan.no_fix:
        lines += ["", "No fixed release exists yet (remove or replace these):"]
        lines += [f"  {n}" for n in plan.no_fix]
    if plan.locks:
        lines += ["", "Lock files are not edited; refresh them:"]
        lines += [f"  {lock.display} ({lock.tool}): {lock.command}" for lock in plan.locks]
    if plan.left:
        lines += ["", "Not edited:"]
        lines += [f"  {n}" for n in plan.left]
    if plan.problems:
        lines += ["", "Left untouched, could not be read:"]
        lines += [f"  {p}" for p in plan.problems]
    lines.append("")
    if dry_run:
        lines.append("Dry run: nothing was written.")
    elif written:
        lines.append(
            "Wrote " + ", ".join(written) + ". Then install the fixes: pipvet update "
            "(in the project's virtual environment)."
        )
    else:
        lines.append("Nothing was written.")
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=96,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
