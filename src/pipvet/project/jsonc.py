"""JSON with comments (VS Code's ``tasks.json``, ``devcontainer.json``), with positions (pure).

Accepts ``//`` and ``/* */`` comments and trailing commas, as VS Code does. Every value keeps
its ``start``/``end`` offsets in the text, so a caller can replace or insert one element and
leave every other byte (comments included) as the user wrote it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

__all__ = ["JsoncError", "Node", "parse_jsonc"]


class JsoncError(ValueError):
    """Malformed text; the message names the line and column."""


@dataclasses.dataclass
class Node:
    """A parsed value: ``value`` as plain Python, its span, and (for containers) children.

    ``members`` holds (key, value node) pairs for objects, ``items`` the element nodes for
    arrays.
    """

    value: Any
    start: int
    end: int
    members: list[tuple[str, Node]] = dataclasses.field(default_factory=list)
    items: list[Node] = dataclasses.field(default_factory=list)

    def member(self, key: str) -> Node | None:
        for name, node in self.members:
            if name == key:
                return node
        return None


_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str, pos: int | None = None) -> JsoncError:
        at = self.pos if pos is None else pos
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return JsoncError(f"line {line}, column {column}: {what}")

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                nl = text.find("\n", self.pos)
                self.pos = len(text) if nl < 0 else nl + 1
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    raise self.fail("unterminated /* comment")
                self.pos = close + 2
            else:
                return

    def value(self) -> Node:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of text, expected a value")
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj()
        if ch == "[":
            return self.array()
        if ch == '"':
            start = self.pos
            return Node(self.string(), start, self.pos)
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                start = self.pos
                self.pos += len(word)
                return Node(literal, start, self.pos)
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return Node(json.loads(number.group(0)), number.start(), number.end())
        raise self.fail(f"unexpected character {ch!r}")

    def string(self) -> str:
        start = self.pos
        i = self.pos + 1
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                self.pos = i + 1
                try:
                    value: str = json.loads(self.text[start : i + 1])
                except json.JSONDecodeError as exc:
                    raise self.fail(f"bad string: {exc.msg}", start) from None
                return value
            if ch == "\n":
                break
            i += 1
        raise self.fail("unterminated string", start)

    def obj(self) -> Node:
        node = Node({}, self.pos, self.pos)
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                node.end = self.pos
                return node
            if not self.text.startswith('"', self.pos):
                raise self.fail('expected a "key" or }')
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':' after the key")
            self.pos += 1
            child = self.value()
            node.members.append((key, child))
            node.value[key] = child.value
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("}", self.pos):
                raise self.fail("expected ',' or }")

    def array(self) -> Node:
        node = Node([], self.pos, self.pos)
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                node.end = self.pos
                return node
            child = self.value()
            node.items.append(child)
            node.value.append(child.value)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise self.fail("expected ',' or ]")


def parse_jsonc(text: str) -> Node:
    """Parse the whole text as one JSON-with-comments value; raise JsoncError otherwise."""
    parser = _Parser(text)
    try:
        root = parser.value()
    except RecursionError:  # the parser recurses once per nested array or object
        raise parser.fail("arrays or objects nested too deeply") from None
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the end of the JSON value")
    return root
