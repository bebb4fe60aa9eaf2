"""The commonest requirement, read without packaging's requirement grammar: ``name`` or
``name`` with version clauses (``name==1.0``, ``name>=1,<2``), no option, marker, extras, URL
or variable. Such a text is a name and a ``SpecifierSet``, exactly what ``Requirement`` makes
of it; loading that grammar costs more than reading a file of pins (it imports dataclasses and
inspect), so ``requirement_text`` asks here first and parses anything else in full. Pure.

The patterns are compiled when first used: compiling them was most of this module's import,
and a file of exact pins (``exact_pin``) needs only one of them."""

from __future__ import annotations

import functools
import re

from pipvet import pep440
from pipvet.models import (
    MAX_NAME_LENGTH,
    MAX_VERSION_LENGTH,
    PROJECT_NAME_PATTERN,
    NormalizedName,
    canonicalize_name,
)

# Not typing's: an audit imports no typing (see pipvet.frozen). The named tuple is made by
# collections.namedtuple at run time: typing.NamedTuple would import typing, and in a class
# body it would compile each (postponed) annotation's text.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    # Imported where a clause is read: a file of exact pins needs neither (see exact_pin).
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    class _Named(NamedTuple):
        name: NormalizedName
        display_name: str
        specifier: SpecifierSet
        extras: tuple[str, ...]
        marker: Marker | None
        url: str | None
        pinned: str | None

else:
    from collections import namedtuple

    _Named = namedtuple(
        "Named", ["name", "display_name", "specifier", "extras", "marker", "url", "pinned"]
    )

__all__ = [
    "ARCHIVES",
    "MAX_NAME_LENGTH",
    "MAX_VERSION_LENGTH",
    "Named",
    "exact_pin",
    "is_plain",
    "name_start",
    "pinned_version",
    "plain_named",
]


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(plain text, start of a name, white space other than a space or a tab)."""
    # Only ``name`` or ``name`` with version clauses: no option, marker, extras, URL or variable.
    op = r"(?:==|>=|<=|~=|!=|<|>)\s*[0-9][A-Za-z0-9.*+!_-]*"
    return (
        re.compile(rf"{PROJECT_NAME_PATTERN}(?:\s*{op}(?:\s*,\s*{op})*)?"),
        re.compile(r"\s*([A-Za-z0-9._-]*)"),
        re.compile(r"[^\S \t]"),
    )


# ``name==version`` and nothing else (no space, no wildcard, one clause) is
# ``PROJECT_NAME_PATTERN==[0-9][A-Za-z0-9.+!_-]*``, told by string methods: compiling that
# pattern cost more than matching a file of pins with it.
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_NAME_CHARS = _ALNUM + "._-"
_VERSION_CHARS = _ALNUM + ".+!_-"


def is_plain(text: str) -> bool:
    """Whether ``text`` is a name, with version clauses or not, and nothing else."""
    return _patterns()[0].fullmatch(text) is not None


def name_start(text: str) -> re.Match[str]:
    """The name characters at the start of ``text`` (group 1; maybe none), after white space."""
    found = _patterns()[1].match(text)
    assert found is not None  # every part of the pattern may match nothing
    return found


class Named(_Named):
    """A ``name[extras] spec ; marker`` or ``name @ URL`` requirement, as parsed."""

    __slots__ = ()


def plain_named(text: str) -> Named | None:
    """What ``requirement_text._named`` makes of a plain text (``is_plain``), without
    packaging's requirement grammar: the name as written and its clauses as a SpecifierSet, as
    ``Requirement`` reads them. ``None`` for any other text, and for one whose
    clauses do not parse or are too long: ``Requirement`` then says what is wrong."""
    plain, start_re, other_space = _patterns()
    # The plain pattern's \s takes any white space, packaging's grammar mostly spaces and
    # tabs: a text with other white space is left to Requirement, which decides.
    if not plain.fullmatch(text) or other_space.search(text):
        return None
    start = start_re.match(text)
    if start is None:
        return None
    name = start.group(1)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

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


# Every archive pip unpacks (and builds), whatever the compression. Kept here, not with the
# rest of what a file name says (release_files, which imports it from here): exact_pin needs
# it, and a file of pins need not import release_files for one tuple.
ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz",
            ".tar.lz", ".tar.lzma", ".tar")  # fmt: skip


def exact_pin(text: str) -> tuple[str, str] | None:
    """(name as written, version) of ``name==version`` written with nothing else, the line a
    file of pins is made of; ``None`` for any other text. What it gives is what
    ``plain_named`` and the requirement reader make of such a text, for a third of the work:
    a name or version over the length caps, a version that does not parse and one that reads
    as an archive's file name (``name==1.0+local.whl``, which pip installs as a path) are
    left to them, which say what it is.

    The specifier, ``SpecifierSet(text[len(name):])``, is not built: for a version of these
    characters (ASCII, no space, no wildcard) ``==version`` parses as a specifier exactly when
    the version is a PEP 440 version, which ``pep440`` tells without importing packaging."""
    name, sep, version = text.partition("==")
    if (
        not (sep and name and version)
        or name.strip(_NAME_CHARS)  # a character outside the set: not all stripped
        or version.strip(_VERSION_CHARS)
        or name[0] not in _ALNUM
        or name[-1] not in _ALNUM
        or version[0] not in "0123456789"
        or len(name) > MAX_NAME_LENGTH
        or len(version) > MAX_VERSION_LENGTH
        or version.lower().endswith(ARCHIVES)
    ):
        return None
    if pep440.parse(version) is None:
        return None
    return name, version


def pinned_version(specifier: SpecifierSet) -> str | None:
    """The version of an exact pin: a single ``==X`` (no wildcard) or ``===X``."""
    specs = list(specifier)
    if len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
        return spec.version
    return None
