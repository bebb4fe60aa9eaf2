"""What a requirements or pyproject file says, as values: one entry per requirement, the pip
options written beside them, the whole file, and the problem with one line. Pure.

``pipvet.inputs.requirement_text`` parses one requirement into an entry; the file formats
(``requirements_txt``, ``pyproject``) build a ``RequirementsFile``; ``pipvet.inputs.requirements``
is the entry point.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipvet.frozen import frozen
from pipvet.models import Location, NormalizedName
from pipvet.system.files import declared_coding

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # imported where a marker or a clause is read (see requirement_text)
    from typing import Any, Literal, TypeAlias

    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

__all__ = [
    "NOT_FROM_INDEX",
    "UNPINNED_REASON",
    "EntryKind",
    "LineProblem",
    "OptionLine",
    "RequirementEntry",
    "RequirementsFile",
    "decode_requirements",
    "decode_text",
    "pin_entry",
]

EntryKind: TypeAlias = 'Literal["pinned", "unpinned", "editable", "url", "constraint"]'

UNPINNED_REASON = "not pinned: audit the installed environment instead (pipvet audit --venv ...)"
NOT_FROM_INDEX = "not from the index, cannot be audited by version"


@frozen(slots=True)  # one per line: a lock or pin file may hold thousands
class RequirementEntry:
    """One requirement line (or pyproject dependency string).

    ``name`` is ``None`` only for a URL, path or editable whose name is not written down
    (``-e ./src``); ``display_name`` then holds a best guess for messages. ``raw`` is the
    logical line as written (continuations joined, comment removed, ``${VAR}`` not expanded,
    so secrets in variables never reach a report). ``reason`` says why an ``editable`` or
    ``url`` entry cannot be audited by version.
    """

    name: NormalizedName | None
    display_name: str
    specifier: SpecifierSet
    extras: tuple[str, ...]
    marker: Marker | None
    location: Location
    raw: str
    kind: EntryKind
    hashes: tuple[str, ...] = ()
    pinned_version: str | None = None
    url: str | None = None
    reason: str | None = None
    end_line: int | None = None  # last physical line of a continued line
    section: str | None = None  # pyproject only: "project.dependencies", "dependency-groups.dev"

    if not TYPE_CHECKING:  # (a __getattr__ would make every misspelt attribute type-check)

        def __getattr__(self, name: str) -> Any:
            # Called only for an attribute not set: ``specifier`` of an exact pin (pin_entry).
            if name != "specifier":
                raise AttributeError(name)
            from packaging.specifiers import SpecifierSet

            specifier = SpecifierSet(self.raw[len(self.display_name) :])
            _SPECIFIER.__set__(self, specifier)
            return specifier


# The slot ``specifier`` is kept in; pin_entry leaves it empty.
_SPECIFIER = RequirementEntry.__dict__["specifier"]


def pin_entry(
    name: NormalizedName,
    display_name: str,
    location: Location,
    raw: str,
    *,
    constraint: bool,
    version: str,
    end_line: int | None,
) -> RequirementEntry:
    """The entry of ``display_name==version`` written with nothing else (``raw``, as
    ``requirement_plain.exact_pin`` reads it), whose ``specifier`` is made when first read:
    an audit of a file of pins reads none, and making them imported packaging.specifiers and
    cost as much as reading the file. It equals the entry the requirement reader makes."""
    entry = RequirementEntry(
        name=name,
        display_name=display_name,
        specifier=None,  # type: ignore[arg-type]  # emptied below
        extras=(),
        marker=None,
        location=location,
        raw=raw,
        kind="constraint" if constraint else "pinned",
        pinned_version=version,
        end_line=end_line,
    )
    _SPECIFIER.__delete__(entry)
    return entry


@frozen
class OptionLine:
    """A pip option written in a requirements file (``--index-url URL``, ``--pre``, ...)."""

    option: str  # the long spelling, e.g. "--index-url"
    value: str | None
    location: Location
    raw: str


@frozen
class RequirementsFile:
    """Everything read from one requirements file and the files it includes, in file order."""

    path: Path
    entries: tuple[RequirementEntry, ...]
    options: tuple[OptionLine, ...] = ()
    files: tuple[Path, ...] = ()  # every file read, the given one first
    warnings: tuple[str, ...] = ()

    @property
    def requirements(self) -> tuple[RequirementEntry, ...]:
        return tuple(e for e in self.entries if e.kind != "constraint")

    @property
    def constraints(self) -> tuple[RequirementEntry, ...]:
        return tuple(e for e in self.entries if e.kind == "constraint")


class LineProblem(Exception):
    """A problem with one line: ``what`` is wrong, ``todo`` says what to do."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(what)
        self.what = what
        self.todo = todo


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str:
    """Decode a requirements or pyproject file: a BOM decides, else UTF-8 (which may raise)."""
    for bom, encoding in _BOMS:  # UTF-32 before UTF-16: the LE BOMs share a prefix
        if data.startswith(bom):
            return data.decode(encoding).lstrip("\ufeff")
    return data.decode("utf-8")


def decode_requirements(data: bytes) -> str:
    """Decode a pip requirements file as pip does: a BOM decides, else a PEP 263 ``coding:``
    comment in its first two lines, else UTF-8. pip honours that comment, so a file that
    declares UTF-7 holds for pip whatever its UTF-7 says (``# +AAo-jinja2==2.10`` is a
    comment in UTF-8 and a second line in UTF-7). UnicodeDecodeError when the text does not
    decode, or names an encoding Python has no text codec for."""
    if not data.startswith(tuple(bom for bom, _ in _BOMS)):
        encoding = declared_coding(data)
        if encoding is not None:
            try:
                return data.decode(encoding)
            except LookupError as exc:  # no such codec, or one that is not for text
                raise UnicodeDecodeError(encoding, data, 0, 0, str(exc)) from None
    return decode_text(data)
