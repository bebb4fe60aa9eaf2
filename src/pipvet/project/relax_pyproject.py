"""Rewrite exact pins as floors inside ``pyproject.toml`` dependency arrays (pure).

Covered: ``[project].dependencies``, ``[project.optional-dependencies]`` and PEP 735
``[dependency-groups]``. The edit is made inside the quoted strings themselves, so formatting,
comments and every other table stay byte-for-byte. tomllib gives no positions, so a small
scanner finds the arrays and their string items; the result is then parsed again and must
equal the original document with exactly the intended strings changed. If it does not (an
unusual layout, escapes inside a requirement string), nothing is rewritten and the pins are
reported as not relaxed, with that reason.
"""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

from pipvet.frozen import frozen, replace
from pipvet.project.model import NotRelaxed, Relaxed, TextRelax
from pipvet.project.relax_text import requirement_edits

__all__ = [
    "Scanner",
    "apply_verified",
    "dependency_strings",
    "line_of",
    "load_toml",
    "relax_pyproject_text",
    "section_list",
]

_SECTIONS = re.compile(
    r"^(project\.dependencies|project\.optional-dependencies\.[^.]+|dependency-groups\.[^.]+)$"
)


@frozen
class _Item:
    """A string item of a dependency array: ``value`` at ``start:end`` (quotes excluded)."""

    section: str
    index: int
    start: int
    end: int
    value: str | None  # None when the literal uses escapes or is multi-line


class Scanner:
    """Just enough TOML to find arrays by their table and key, and the strings inside them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.items: list[_Item] = []

    def run(self) -> list[_Item]:
        table = ""
        text = self.text
        while self.pos < len(text):
            self.skip_blank()
            if self.pos >= len(text):
                break
            if text[self.pos] == "[":
                double = text.startswith("[[", self.pos)
                close = text.find("]]" if double else "]", self.pos)
                if close < 0:
                    raise ValueError("unterminated table header")
                table = _norm_key(text[self.pos + (2 if double else 1) : close])
                self.pos = close + (2 if double else 1)
            else:
                eq = self.key_end()
                key = _norm_key(text[self.pos : eq])
                self.pos = eq + 1
                self.skip_spaces()
                section = f"{table}.{key}" if table else key
                self.value(section if _SECTIONS.match(section) else None)
            self.skip_to_line_end()
        return self.items

    # -------------------------------------------------------------- lexing helpers

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def skip_blank(self) -> None:
        """Whitespace, newlines and comments."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif ch == "#":
                nl = text.find("\n", self.pos)
                self.pos = len(text) if nl < 0 else nl + 1
            else:
                return

    def skip_to_line_end(self) -> None:
        self.skip_spaces()
        if self.pos < len(self.text) and self.text[self.pos] == "#":
            nl = self.text.find("\n", self.pos)
            self.pos = len(self.text) if nl < 0 else nl + 1

    def key_end(self) -> int:
        """Offset of the ``=`` ending the key at ``pos`` (quoted key parts may contain one)."""
        i = self.pos
        text = self.text
        while i < len(text):
            ch = text[i]
            if ch in "\"'":
                i = self.string_end(i)
                continue
            if ch == "=":
                return i
            if ch == "\n":
                break
            i += 1
        raise ValueError(f"expected 'key = value' at offset {self.pos}")

    def string_end(self, i: int) -> int:
        """Offset just past the string literal starting at ``i``."""
        text = self.text
        quote = text[i]
        triple = text.startswith(quote * 3, i)
        if triple:
            close = text.find(quote * 3, i + 3)
            if close < 0:
                raise ValueError("unterminated multi-line string")
            close += 3
            while text.startswith(quote, close):  # up to two quotes may end the content
                close += 1
            return close
        j = i + 1
        while j < len(text) and text[j] != quote:
            if quote == '"' and text[j] == "\\":
                j += 1
            if text[j] == "\n":
                raise ValueError("unterminated string")
            j += 1
        return j + 1

    def value(self, section: str | None) -> None:
        """Skip one value; inside a tracked array, record its string items."""
        text = self.text
        ch = text[self.pos] if self.pos < len(text) else ""
        if ch in "\"'":
            self.pos = self.string_end(self.pos)
        elif ch in "[{":
            self.container(section)
        else:
            while self.pos < len(text) and text[self.pos] not in "\n#,]}":
                self.pos += 1

    def container(self, section: str | None) -> None:
        text = self.text
        close = "]" if text[self.pos] == "[" else "}"
        tracked = section is not None and close == "]"
        self.pos += 1
        index = 0
        while True:
            self.skip_blank()
            if self.pos >= len(text):
                raise ValueError("unterminated array or table")
            ch = text[self.pos]
            if ch == close:
                self.pos += 1
                return
            if ch == ",":
                self.pos += 1
                continue
            if close == "}" and ch not in "\"'{[":
                self.pos = self.key_end() + 1  # inline table: key = value
                self.skip_spaces()
                continue
            start = self.pos
            self.value(None)
            if tracked and text[start] in "\"'":
                assert section is not None
                self.items.append(self.item(section, index, start, self.pos))
            index += 1

    def item(self, section: str, index: int, start: int, end: int) -> _Item:
        literal = self.text[start:end]
        quote = literal[0]
        if literal.startswith(quote * 3) or (quote == '"' and "\\" in literal):
            return _Item(section, index, start, end, None)
        return _Item(section, index, start + 1, end - 1, literal[1:-1])


def _norm_key(raw: str) -> str:
    parts = [p.strip() for p in re.split(r"\.(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", raw.strip())]
    return ".".join(p.strip("\"'") for p in parts)


def section_list(data: dict[str, Any], section: str) -> Any:
    node: Any = data
    for part in _split_section(section):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _split_section(section: str) -> list[str]:
    if section == "project.dependencies":
        return ["project", "dependencies"]
    head, _, name = section.rpartition(".")
    return [*head.split("."), name]


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def relax_pyproject_text(text: str) -> TextRelax:
    """Relax pins in a pyproject's dependency arrays (see the module docstring).

    Raises ``ValueError`` when the text is not valid TOML.
    """
    if text.startswith("\ufeff"):
        inner = relax_pyproject_text(text[1:])
        return replace(inner, text="\ufeff" + inner.text)
    data = load_toml(text)
    try:
        items = Scanner(text).run()
    except (ValueError, IndexError) as exc:
        return _refuse(text, data, f"its layout could not be followed ({exc})")
    edits: list[tuple[int, int, str]] = []
    relaxed: list[Relaxed] = []
    not_relaxed: list[NotRelaxed] = []
    expected = copy.deepcopy(data)
    for item in items:
        actual = section_list(data, item.section)
        if not isinstance(actual, list) or item.index >= len(actual):
            return _refuse(text, data, "its dependency arrays could not be matched up")
        value = actual[item.index]
        line = line_of(text, item.start)
        try:
            spans, notes, why_not = (
                requirement_edits(value) if isinstance(value, str) else ([], [], None)
            )
        except ValueError:
            continue  # not a valid requirement: the requirements parser reports it
        if why_not:
            not_relaxed.append(NotRelaxed(line, value, why_not))
        if not spans:
            continue
        if item.value is None or item.value != value:
            not_relaxed.append(
                NotRelaxed(line, value, "the string uses escapes or spans lines; edit it by hand")
            )
            continue
        new_value = value
        for lo, hi, replacement in sorted(spans, reverse=True):
            new_value = new_value[:lo] + replacement + new_value[hi:]
            edits.append((item.start + lo, item.start + hi, replacement))
        section_list(expected, item.section)[item.index] = new_value
        relaxed.append(Relaxed(line, value, new_value, "; ".join(notes) or None))
    located = {(item.section, item.index) for item in items}
    for section, index, value in dependency_strings(data):
        if (section, index) not in located and "==" in value:
            not_relaxed.append(
                NotRelaxed(
                    0,
                    value,
                    f"pipvet could not find this string of [{section}] in the text (an inline "
                    "table or another unusual layout); edit it by hand",
                )
            )
    new_text = apply_verified(text, edits, expected)
    if new_text is None:
        return _refuse(text, data, "the rewrite could not be verified")
    return TextRelax(text=new_text, relaxed=tuple(relaxed), not_relaxed=tuple(not_relaxed))


def load_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads``, with every way it fails as ValueError("not valid TOML: ...")."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or table
        raise ValueError("not valid TOML: arrays or tables nested too deeply") from None


def apply_verified(
    text: str, edits: list[tuple[int, int, str]], expected: dict[str, Any]
) -> str | None:
    """``text`` with the (start, end, replacement) edits applied, or None when the result does
    not parse back to ``expected``: an edit pipvet cannot verify is never written."""
    new_text = text
    for lo, hi, replacement in sorted(edits, reverse=True):
        new_text = new_text[:lo] + replacement + new_text[hi:]
    try:
        reparsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        return None
    return new_text if reparsed == expected else None


def dependency_strings(data: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(section, index, string) for every string in the dependency arrays tomllib sees."""
    sections = ["project.dependencies"]
    project = data.get("project")
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    if isinstance(extras, dict):
        sections += [f"project.optional-dependencies.{k}" for k in extras]
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        sections += [f"dependency-groups.{k}" for k in groups]
    found: list[tuple[str, int, str]] = []
    for section in sections:
        values = section_list(data, section)
        for index, value in enumerate(values if isinstance(values, list) else ()):
            if isinstance(value, str):
                found.append((section, index, value))
    return found


def _refuse(text: str, data: dict[str, Any], why: str) -> TextRelax:
    """Rewrite nothing; report every pin in the dependency arrays as not relaxed."""
    pins = [
        NotRelaxed(0, value, f"pyproject.toml was left as it is: {why}")
        for _, _, value in dependency_strings(data)
        if "==" in value
    ]
    return TextRelax(text=text, not_relaxed=tuple(pins), unsafe=(why,))
