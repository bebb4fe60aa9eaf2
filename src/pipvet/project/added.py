"""Which requirements a change to a requirements file or ``pyproject.toml`` adds (pure).

The ``pipvet-vet`` pre-commit hook vets only what a commit brings in: the requirements whose
project name appears in the new text and not in the old one. Both texts are read the way
``relax`` and ``audit --fix`` read them; a line that is not a named requirement (options,
paths, URLs without a name) adds nothing to vet by name.
"""

from __future__ import annotations

import tomllib

from packaging.utils import canonicalize_name

from pipvet.project.fix_text import parse_named
from pipvet.project.relax_pyproject import dependency_strings
from pipvet.project.relax_text import _logical_lines, _split_line

__all__ = ["added_requirements", "requirement_strings"]


def requirement_strings(text: str, *, pyproject: bool) -> list[str]:
    """Every named requirement in the text, as written. ValueError: a pyproject that is not
    valid TOML."""
    if pyproject:
        try:
            data = tomllib.loads(text.removeprefix("\ufeff"))
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ValueError(f"not valid TOML: {exc}") from None
        candidates = [value for _, _, value in dependency_strings(data)]
    else:
        bodies = [line.rstrip("\r\n") for line in text.removeprefix("\ufeff").splitlines()]
        candidates = []
        for logical in _logical_lines(bodies):
            start, options, _ = _split_line(logical.text)
            candidates.append(logical.text[start:options].rstrip())
    return [c for c in candidates if c and parse_named(c) is not None]


def added_requirements(old: str | None, new: str, *, pyproject: bool) -> list[str]:
    """The requirements of ``new`` whose project ``old`` does not name (``old`` None: a new
    file, everything is added)."""
    before = set()
    if old is not None:
        for text in requirement_strings(old, pyproject=pyproject):
            req = parse_named(text)
            if req is not None:
                before.add(canonicalize_name(req.name))
    out: list[str] = []
    for text in requirement_strings(new, pyproject=pyproject):
        req = parse_named(text)
        if req is not None and canonicalize_name(req.name) not in before:
            before.add(canonicalize_name(req.name))
            out.append(text)
    return out
