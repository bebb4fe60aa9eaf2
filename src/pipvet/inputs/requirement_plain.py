"""The commonest requirement, read without packaging's requirement grammar: ``name`` or
``name`` with version clauses (``name==1.0``, ``name>=1,<2``), no option, marker, extras, URL
or variable. Such a text is a name and a ``SpecifierSet``, exactly what ``Requirement`` makes
of it; loading that grammar costs more than reading a file of pins (it imports dataclasses and
inspect), so ``requirement_text`` asks here first and parses anything else in full. Pure."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pipvet.models import (
    MAX_NAME_LENGTH,
    MAX_VERSION_LENGTH,
    PROJECT_NAME_PATTERN,
    NormalizedName,
    canonicalize_name,
)

if TYPE_CHECKING:
    from packaging.markers import Marker

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_VERSION_LENGTH",
    "NAME_START_RE",
    "PLAIN_RE",
    "Named",
    "pinned_version",
    "plain_named",
]

NAME_START_RE = re.compile(r"\s*([A-Za-z0-9._-]*)")

# Only ``name`` or ``name`` with version clauses: no option, marker, extras, URL or variable.
_OP = r"(?:==|>=|<=|~=|!=|<|>)\s*[0-9][A-Za-z0-9.*+!_-]*"
PLAIN_RE = re.compile(rf"{PROJECT_NAME_PATTERN}(?:\s*{_OP}(?:\s*,\s*{_OP})*)?")


_OTHER_SPACE = re.compile(r"[^\S \t]")  # white space other than a space or a tab


class Named(NamedTuple):
    """A ``name[extras] spec ; marker`` or ``name @ URL`` requirement, as parsed."""

    name: NormalizedName
    display_name: str
    specifier: SpecifierSet
    extras: tuple[str, ...]
    marker: Marker | None
    url: str | None
    pinned: str | None


def plain_named(text: str) -> Named | None:
    """What ``requirement_text._named`` makes of a ``PLAIN_RE`` text, without packaging's
    requirement grammar: the name as written and its clauses as a SpecifierSet, as
    ``Requirement`` reads them. ``None`` for any other text, and for one whose
    clauses do not parse or are too long: ``Requirement`` then says what is wrong."""
    # PLAIN_RE's \s takes any white space, packaging's grammar mostly spaces and tabs: a text
    # with other white space is left to Requirement, which decides.
    if not PLAIN_RE.fullmatch(text) or _OTHER_SPACE.search(text):
        return None
    start = NAME_START_RE.match(text)
    if start is None:
        return None
    name = start.group(1)
    try:
        specifier = SpecifierSet(text[start.end(1) :].strip())
    except InvalidSpecifier:
        return None
    if len(name) > MAX_NAME_LENGTH or any(
        len(spec.version) > MAX_VERSION_LENGTH for spec in specifier
    ):
        return None
    return Named(
        canonicalize_name(name), name, specifier, (), None, None, pinned_version(specifier)
    )


def pinned_version(specifier: SpecifierSet) -> str | None:
    """The version of an exact pin: a single ``==X`` (no wildcard) or ``===X``."""
    specs = list(specifier)
    if len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
        return spec.version
    return None
