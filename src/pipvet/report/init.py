"""Renderers for ``pipvet init``: what was (or would be) done, skipped and why. Pure."""

from __future__ import annotations

import json
import textwrap

from pipvet.project.model import InitPlan, InitResult
from pipvet.report.safe import json_renderer, text_renderer

__all__ = ["render_init_json", "render_init_text"]

_PAST = {
    "create": "created",
    "update": "updated",
    "append": "appended",
    "unchanged": "unchanged",
    "skip": "skipped",
}
_FUTURE = {
    "create": "would create",
    "update": "would update",
    "append": "would append",
    "unchanged": "unchanged",
    "skip": "would skip",
}


def _wrap(text: str, indent: str = "  - ") -> list[str]:
    return textwrap.wrap(
        text,
        width=96,
        initial_indent=indent,
        subsequent_indent=" " * len(indent),
        break_long_words=False,
        break_on_hyphens=False,
    )


@text_renderer
def render_init_text(plan: InitPlan, result: InitResult | None) -> str:
    """``result`` None means a dry run: every file that would be written is shown as a diff."""
    dry = result is None
    verbs = _FUTURE if dry else _PAST
    lines: list[str] = []
    if dry:
        for change in plan.files:
            if change.writes:
                lines.append(change.diff().rstrip("\n"))
        if any(f.writes for f in plan.files):
            lines.append("")
    lines.append(f"pipvet init in {plan.project}")
    lines += ["", "Environment:"]
    venv = plan.venv
    if venv.action == "create":
        done = "would create" if dry else "created"
        lines += _wrap(f"{done} {venv.prefix} ({venv.description}); nothing installed into it")
    else:
        lines += _wrap(venv.description)
    lines += ["", "Files:"]
    width = max(len(f.display) for f in plan.files)
    for change in plan.files:
        verb = verbs[change.action]
        lines.append(f"  {verb:<13} {change.display:<{width}}  {change.reason}")
    if plan.guard is not None:
        lines += ["", "pip guard:"]
        guard = plan.guard
        if guard.action == "set":
            state = "would set" if dry else "set"
            lines += _wrap(f"{state}: {guard.description} (global.require-virtualenv = true)")
            lines += _wrap(f"undo: {guard.undo}")
        else:
            lines += _wrap(guard.description)
    if plan.notes:
        lines += ["", "Notes:"]
        for note in plan.notes:
            lines += _wrap(note)
    lines.append("")
    lines += _summary(plan, result)
    return "\n".join(lines) + "\n"


def _summary(plan: InitPlan, result: InitResult | None) -> list[str]:
    """The last lines: what was written and, never glossed over, what was skipped and why."""
    skipped = plan.skipped
    if result is None:
        head = "Dry run: nothing was written."
    elif plan.nothing_to_do and not skipped:
        return ["Everything is in place; nothing was written."]
    elif not result.written:
        head = "Nothing was written."
    else:
        count = len(result.written)
        head = f"Wrote {count} file{'s' if count != 1 else ''}."
    if not skipped:
        return [head]
    verb = "Would skip" if result is None else "Skipped"
    lines = [f"{head} {verb} {len(skipped)} file{'s' if len(skipped) != 1 else ''}:"]
    for change in skipped:
        lines += _wrap(f"{change.display}: {change.reason}")
    return lines


@json_renderer
def render_init_json(plan: InitPlan, result: InitResult | None) -> str:
    data = {
        "schema_version": 1,
        "dry_run": result is None,
        "project": str(plan.project),
        "venv": {
            "action": plan.venv.action,
            "path": str(plan.venv.prefix) if plan.venv.prefix else None,
            "description": plan.venv.description,
            "created": bool(result and result.venv_created),
        },
        "files": [
            {
                "path": f.display,
                "action": f.action,
                "reason": f.reason,
                "diff": f.diff() if result is None else "",
            }
            for f in plan.files
        ],
        "guard": None
        if plan.guard is None
        else {
            "action": plan.guard.action,
            "description": plan.guard.description,
            "undo": plan.guard.undo,
            "set": bool(result and result.guard_set),
        },
        "notes": list(plan.notes),
        "skipped": [{"path": f.display, "reason": f.reason} for f in plan.skipped],
        "bad_input": list(plan.bad_inputs),
        "written": list(result.written) if result else [],
        "nothing_to_do": plan.nothing_to_do,
    }
    return json.dumps(data, indent=2) + "\n"
