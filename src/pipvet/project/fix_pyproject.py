"""Raise vulnerable requirements inside ``pyproject.toml`` dependency arrays (pure).

The same arrays and the same care as ``relax_pyproject``: the edit is made inside the quoted
strings, the result is parsed again and must equal the original document with exactly the
intended strings changed; if not, nothing is rewritten and every wanted fix is reported as
not made, with the reason.
"""

from __future__ import annotations

import copy
from typing import Any

from packaging.utils import canonicalize_name

from pipvet.project.fix_text import (
    TargetOf,
    TextFix,
    fix_requirement,
    fix_requirement_edits,
    parse_named,
    target_for,
)
from pipvet.project.model import NotRelaxed, Relaxed
from pipvet.project.relax_pyproject import (
    Scanner,
    apply_verified,
    dependency_strings,
    line_of,
    load_toml,
    section_list,
)

__all__ = ["fix_pyproject_text"]


def fix_pyproject_text(text: str, target_of: TargetOf, *, relax: bool) -> TextFix:
    """Raise every requirement ``target_of`` names a fix for. ValueError: not valid TOML."""
    if text.startswith("\ufeff"):
        inner = fix_pyproject_text(text[1:], target_of, relax=relax)
        return TextFix("\ufeff" + inner.text, inner.raised, inner.not_fixed, inner.declared)
    data = load_toml(text)
    wanted = _wanted(data, target_of, relax=relax)
    declared = frozenset(
        canonicalize_name(req.name)
        for _, _, value in dependency_strings(data)
        if (req := parse_named(value)) is not None
        and target_of(canonicalize_name(req.name), None) is not None
    )
    if not wanted:
        return TextFix(text, declared=declared)
    try:
        items = Scanner(text).run()
    except (ValueError, IndexError) as exc:
        return _refuse(text, wanted, f"its layout could not be followed ({exc})")
    edits: list[tuple[int, int, str]] = []
    raised: list[Relaxed] = []
    not_fixed: list[NotRelaxed] = []
    expected = copy.deepcopy(data)
    located: set[tuple[str, int]] = set()
    for item in items:
        located.add((item.section, item.index))
        actual = section_list(data, item.section)
        if not isinstance(actual, list) or item.index >= len(actual):
            return _refuse(text, wanted, "its dependency arrays could not be matched up")
        value = actual[item.index]
        req = parse_named(value) if isinstance(value, str) else None
        target = target_for(req, target_of) if req is not None else None
        if target is None or not isinstance(value, str):
            continue
        line = line_of(text, item.start)
        spans, reason = fix_requirement_edits(value, target, relax=relax)
        if reason:
            not_fixed.append(NotRelaxed(line, value, reason))
            continue
        if not spans:
            continue
        if item.value is None or item.value != value:
            reason = "the string uses escapes or spans lines; edit it by hand"
            not_fixed.append(NotRelaxed(line, value, reason))
            continue
        new_value = value
        for lo, hi, replacement in sorted(spans, reverse=True):
            new_value = new_value[:lo] + replacement + new_value[hi:]
            edits.append((item.start + lo, item.start + hi, replacement))
        section_list(expected, item.section)[item.index] = new_value
        raised.append(Relaxed(line, value, new_value))
    not_fixed += _unlocated(data, located, wanted)
    new_text = apply_verified(text, edits, expected)
    if new_text is None:
        return _refuse(text, wanted, "the rewrite could not be verified")
    return TextFix(new_text, tuple(raised), tuple(not_fixed), declared)


def _unlocated(
    data: dict[str, Any], located: set[tuple[str, int]], wanted: dict[str, str]
) -> list[NotRelaxed]:
    return [
        NotRelaxed(
            0,
            value,
            f"pipvet could not find this string of [{section}] in the text (an inline table "
            "or another unusual layout); edit it by hand",
        )
        for section, index, value in dependency_strings(data)
        if (section, index) not in located and value in wanted
    ]


def _wanted(data: dict[str, Any], target_of: TargetOf, *, relax: bool) -> dict[str, str]:
    """Each dependency string that needs a change -> its wanted text."""
    out: dict[str, str] = {}
    for _, _, value in dependency_strings(data):
        req = parse_named(value)
        target = target_for(req, target_of) if req is not None else None
        if target is None:
            continue
        try:
            new, reason = fix_requirement(value, target, relax=relax)
        except ValueError:
            continue
        if reason or new != value:
            out[value] = new
    return out


def _refuse(text: str, wanted: dict[str, str], why: str) -> TextFix:
    reason = f"pyproject.toml was left as it is: {why}"
    return TextFix(text, not_fixed=tuple(NotRelaxed(0, value, reason) for value in wanted))
