"""Raise a vulnerable requirement to the release that fixes it, in a file's text (pure).

``pipvet audit --fix`` edits the file that declares each vulnerable dependency, the way
``relax`` does: only the characters that must change are touched, so comments, markers,
extras, spacing, continuation lines and line endings stay byte-for-byte.

Rules for one requirement and its target ``T`` (the smallest release that closes every known
advisory of the audited version):

* ``NAME==V`` with ``V < T`` -> ``NAME==T`` (or, with ``relax``, ``NAME>=T``);
* ``NAME>=V`` / ``NAME>V`` with ``V < T`` -> ``NAME>=T``;
* a bare name, ``~=V`` or ``==V.*`` with ``V < T`` gains ``>=T`` (``urllib3~=1.24,>=1.26.18``:
  the compatible-release cap stays);
* already at or above ``T``: unchanged.

Not fixed, with the reason: ``===``, local versions (``+cpu``), versions from an environment
variable, URLs and paths, lines with ``--hash`` values (they hash the old release: the file
is generated, regenerate it), and a requirement whose other bounds exclude ``T``.
"""

from __future__ import annotations

from collections.abc import Callable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pipvet.frozen import frozen
from pipvet.project.model import NotRelaxed, Relaxed
from pipvet.project.relax_text import (
    _ENV_VAR,
    _NAME_EXTRAS,
    _OPERATOR,
    _logical_lines,
    _probe,
    _split_line,
)

__all__ = [
    "TargetOf",
    "TextFix",
    "fix_requirement",
    "fix_requirement_edits",
    "fix_requirements_text",
]

# (canonical name, the exact pinned version or None) -> the fixed release to require, or None
TargetOf = Callable[[NormalizedName, str | None], str | None]
Edit = tuple[int, int, str]


@frozen
class TextFix:
    """One file's outcome: the new text, each requirement raised, each one left and why."""

    text: str
    raised: tuple[Relaxed, ...] = ()
    not_fixed: tuple[NotRelaxed, ...] = ()
    declared: frozenset[str] = frozenset()  # names with a fix that the file requires


def pinned_version(req: Requirement) -> str | None:
    """The version of an exact ``==V`` pin (no wildcard), else None."""
    pins = [s.version for s in req.specifier if s.operator == "==" and not s.version.endswith("*")]
    return pins[0] if len(pins) == 1 else None


def fix_requirement_edits(text: str, target: str, *, relax: bool) -> tuple[list[Edit], str | None]:
    """The ``(start, end, replacement)`` edits that make ``text`` require ``target`` or later,
    and why it could not be done (None when it could, or nothing was needed). Raises
    ValueError for a string that is not a valid requirement."""
    probe = _probe(text)
    try:
        req = Requirement(probe)
    except InvalidRequirement as exc:
        raise ValueError(str(exc)) from exc
    if req.url:
        return [], f"installs {req.name} from a URL, not a release: point it at {target} by hand"
    want = Version(target)
    head = _NAME_EXTRAS.match(probe)
    start = head.end() if head else 0
    end = probe.find(";", start)
    end = len(probe) if end < 0 else end
    edits: list[Edit] = []
    has_floor = False
    needs_floor = False
    last = -1
    for m in _OPERATOR.finditer(probe, start, end):
        op, space, version = m.group(1), m.group(2), text[m.start(3) : m.end(3)]
        last = m.end(3)
        if _ENV_VAR.search(version):
            return [], (
                f"the version comes from an environment variable: set it to {target} or later "
                "where it is defined"
            )
        if op == "===":
            return [], f"'==={version}' is arbitrary string equality: write =={target} by hand"
        wildcard = version.endswith(".*")
        try:
            current = Version(version[:-2] if wildcard else version)
        except InvalidVersion:
            return [], f"'{op}{version}' is not a version pipvet can compare"
        if op == "==" and not wildcard:
            has_floor = True
            if current.local:
                return [], (f"'=={version}' names one local build: pick the {target} build by hand")
            if current < want:
                edits.append((m.start(1), m.end(3), f"{'>=' if relax else '=='}{space}{target}"))
        elif op in (">=", ">"):
            has_floor = True
            if current < want:
                edits.append((m.start(1), m.end(3), f">={space}{target}"))
        elif op == "~=" or (op == "==" and wildcard):
            needs_floor = needs_floor or current < want
            has_floor = has_floor or current >= want
    if needs_floor or not has_floor:
        if last < 0:
            at = len(probe[:start].rstrip())
            edits.append((at, at, f">={target}"))
        else:
            edits.append((last, last, f",>={target}"))
    if not edits:
        return [], None
    new = _apply(text, edits)
    try:
        after = Requirement(_probe(new))
    except InvalidRequirement:
        return [], "pipvet could not rewrite it safely: edit it by hand"
    if not after.specifier.contains(want, prereleases=True):
        return [], f"its other bounds ({req.specifier}) exclude {target}: edit them by hand"
    return edits, None


def fix_requirement(text: str, target: str, *, relax: bool) -> tuple[str, str | None]:
    """``text`` rewritten to require ``target`` or later, and why not (see above)."""
    edits, reason = fix_requirement_edits(text, target, relax=relax)
    return _apply(text, edits), reason


def _apply(text: str, edits: list[Edit]) -> str:
    for lo, hi, replacement in sorted(edits, reverse=True):
        text = text[:lo] + replacement + text[hi:]
    return text


def parse_named(text: str) -> Requirement | None:
    """The requirement a line's requirement part names, or None (URL, path, not valid)."""
    try:
        return Requirement(_probe(text))
    except InvalidRequirement:
        return None


def target_for(req: Requirement, target_of: TargetOf) -> str | None:
    return target_of(canonicalize_name(req.name), pinned_version(req))


_BOM = "\ufeff"


def fix_requirements_text(text: str, target_of: TargetOf, *, relax: bool) -> TextFix:
    """Raise every requirement ``target_of`` names a fix for, in a requirements file's text.

    Requirements and constraints files alike: the constraint is where a constrained version
    is decided, so that is where it is fixed."""
    if text.startswith(_BOM):
        inner = fix_requirements_text(text[1:], target_of, relax=relax)
        return TextFix(_BOM + inner.text, inner.raised, inner.not_fixed, inner.declared)
    physical = text.splitlines(keepends=True)
    bodies = [line.rstrip("\r\n") for line in physical]
    per_line: dict[int, list[Edit]] = {}
    raised: list[Relaxed] = []
    not_fixed: list[NotRelaxed] = []
    declared: set[str] = set()
    for logical in _logical_lines(bodies):
        start, opt_start, end = _split_line(logical.text)
        args = logical.text[start:opt_start].rstrip()
        req = parse_named(args) if args else None
        if req is None:
            continue
        if target_of(canonicalize_name(req.name), None) is not None:
            declared.add(canonicalize_name(req.name))
        target = target_for(req, target_of)
        if target is None:
            continue
        line_no = logical.first + 1
        try:
            edits, reason = fix_requirement_edits(args, target, relax=relax)
        except ValueError:
            continue
        if reason:
            not_fixed.append(NotRelaxed(line_no, args, reason))
            continue
        if not edits:
            continue
        if "--hash" in logical.text[opt_start:end]:
            not_fixed.append(
                NotRelaxed(
                    line_no,
                    args,
                    f"its --hash values are for the old release: regenerate the file with "
                    f"{req.name} {target} or later (pip-compile --upgrade-package "
                    f"'{req.name}>={target}', uv pip compile --upgrade-package {req.name})",
                )
            )
            continue
        placed: list[tuple[int, Edit]] = []
        for lo, hi, replacement in edits:
            a = logical.locate(start + lo, end=lo == hi)  # an insertion sits after a piece
            b = logical.locate(start + hi, end=True)
            if a is None or b is None or a[0] != b[0]:
                break
            placed.append((a[0], (a[1], b[1], replacement)))
        else:
            for index, edit in placed:
                per_line.setdefault(index, []).append(edit)
            raised.append(Relaxed(line_no, args, _apply(args, edits)))
            continue
        not_fixed.append(NotRelaxed(line_no, args, "the requirement is split across lines"))
    out: list[str] = []
    for index, line in enumerate(physical):
        body = bodies[index]
        out.append(_apply(body, per_line.get(index, [])) + line[len(body) :])
    return TextFix("".join(out), tuple(raised), tuple(not_fixed), frozenset(declared))
