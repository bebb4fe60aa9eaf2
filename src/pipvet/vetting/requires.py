"""Requires-Dist texts read without packaging's requirement grammar, when they are of the
forms the index is full of: ``name``, ``name[extra, ...]``, version clauses (bare or in
parentheses) and a marker of ``and``/``or``/parentheses over comparisons of the standard
environment names with quoted strings.

Loading packaging's grammar (packaging.requirements -> markers -> utils -> tags: platform,
sysconfig, subprocess, logging, dataclasses, inspect) costs a warm ``pipvet vet`` more than
the rest of its start-up. A text this reader does not fully understand is ``None`` here and
the caller asks ``packaging.requirements.Requirement``, which decides (and refuses what is
not a requirement). A marker comparison it cannot decide exactly as ``Marker.evaluate`` would
(a version that is not plain numbers, an operator packaging gives an odd meaning, a name the
environment lacks) makes ``evaluate`` return ``None``, and the caller asks packaging too. The
tests compare both with packaging over generated texts and environments. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipvet.models import NormalizedName, canonicalize_name

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import TypeAlias

__all__ = ["Marker", "Read", "evaluate", "read"]

# A comparison: (environment name, operator, literal, literal on the left); a group:
# ("and" | "or", items).
Atom: TypeAlias = tuple[str, str, str, bool]
Marker: TypeAlias = "Atom | tuple[str, tuple[Marker, ...]]"
# (name as written, canonical name, extras as written, specifier text, marker or None)
Read: TypeAlias = tuple[str, NormalizedName, frozenset[str], str, "Marker | None"]

_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME = _ALNUM | frozenset("._-")
_VERSION = _ALNUM | frozenset(".*+!_-")
_DIGITS = frozenset("0123456789")
_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")  # two-character ones first
# The names packaging compares as versions when the literal is one.
_VERSIONED = frozenset(
    ("python_version", "python_full_version", "implementation_version", "platform_release")
)
_STRINGS = frozenset(
    (
        "os_name", "sys_platform", "platform_system", "platform_version", "platform_machine",
        "platform_python_implementation", "implementation_name",
    )
)  # fmt: skip
_VARIABLES = _VERSIONED | _STRINGS | {"extra"}
MAX_DEPTH = 20  # parentheses deeper than this are left to packaging


def read(text: str) -> Read | None:
    """``text`` in parts, or None when it is not of the forms read here."""
    i, n = _spaces(text, 0), len(text)
    start = i
    while i < n and text[i] in _NAME:
        i += 1
    name = text[start:i]
    if not name or name[0] not in _ALNUM or name[-1] not in _ALNUM:
        return None
    i = _spaces(text, i)
    extras: list[str] = []
    if i < n and text[i] == "[":
        close = text.find("]", i)
        if close < 0:
            return None
        inside = text[i + 1 : close]
        if inside.strip(" "):
            for part in inside.split(","):
                extra = part.strip(" ")
                if not extra or extra[0] not in _ALNUM or extra[-1] not in _ALNUM:
                    return None
                if any(c not in _NAME for c in extra):
                    return None
                extras.append(extra)
        i = _spaces(text, close + 1)
    semicolon = text.find(";", i)
    clauses = text[i:] if semicolon < 0 else text[i:semicolon]
    specifier = _specifier(clauses)
    if specifier is None:
        return None
    marker: Marker | None = None
    if semicolon >= 0:
        marker = _marker(text[semicolon + 1 :])
        if marker is None:
            return None
    return name, canonicalize_name(name), frozenset(extras), specifier, marker


def _spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _specifier(text: str) -> str | None:
    """The clauses ``op version, ...`` (maybe in parentheses) as one text, without spaces."""
    text = text.strip(" ")
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip(" ")
    if not text:
        return ""
    clauses = []
    for written in text.split(","):
        clause = written.strip(" ")
        op = next((o for o in _OPERATORS if clause.startswith(o)), None)
        if op is None:
            return None
        version = clause[len(op) :].lstrip(" ")
        if not version or version[0] not in _DIGITS or any(c not in _VERSION for c in version):
            return None
        clauses.append(op + version)
    return ",".join(clauses)


# --------------------------------------------------------------------------- markers


def _marker(text: str) -> Marker | None:
    tokens = _tokens(text)
    if tokens is None:
        return None
    found, end = _or(tokens, 0, 0)
    return found if found is not None and end == len(tokens) else None


def _tokens(text: str) -> list[str] | None:
    """Words, parentheses, operators and quoted strings (kept with their quote); None when
    something else is met (a tab, a backslash, an unclosed quote, ...)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == " ":
            i += 1
        elif c in "()":
            out.append(c)
            i += 1
        elif c in "'\"":
            close = text.find(c, i + 1)
            if close < 0:
                return None
            value = text[i : close + 1]
            if "\\" in value or not value.isprintable():
                return None
            out.append(value)
            i = close + 1
        elif c in "<>=!~":
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None or text.startswith("===", i):
                return None
            out.append(op)
            i += len(op)
        elif c.isascii() and (c.isalnum() or c == "_"):
            start = i
            while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            out.append(text[start:i])
        else:
            return None
    return out


def _or(tokens: list[str], i: int, depth: int) -> tuple[Marker | None, int]:
    return _group(tokens, i, depth, "or")


def _group(tokens: list[str], i: int, depth: int, word: str) -> tuple[Marker | None, int]:
    items: list[Marker] = []
    while True:
        if word == "or":
            item, i = _group(tokens, i, depth, "and")
        else:
            item, i = _atom(tokens, i, depth)
        if item is None:
            return None, i
        items.append(item)
        if i < len(tokens) and tokens[i] == word:
            i += 1
            continue
        return (items[0] if len(items) == 1 else (word, tuple(items))), i


def _atom(tokens: list[str], i: int, depth: int) -> tuple[Marker | None, int]:
    if i >= len(tokens):
        return None, i
    if tokens[i] == "(":
        if depth >= MAX_DEPTH:
            return None, i
        inner, i = _or(tokens, i + 1, depth + 1)
        if inner is None or i >= len(tokens) or tokens[i] != ")":
            return None, i
        return inner, i + 1
    if i + 3 > len(tokens):
        return None, i
    left, op, right = tokens[i : i + 3]
    if op == "not":
        if i + 4 > len(tokens) or tokens[i + 2] != "in":
            return None, i
        op, right = "not in", tokens[i + 3]
        i += 1
    elif op not in (*_OPERATORS, "in"):
        return None, i
    if left in _VARIABLES and right[:1] in ("'", '"'):
        return (left, op, right[1:-1], False), i + 3
    if right in _VARIABLES and left[:1] in ("'", '"'):
        return (right, op, left[1:-1], True), i + 3
    return None, i


def evaluate(marker: Marker, environment: Mapping[str, str]) -> bool | None:
    """What ``Marker.evaluate(environment)`` says of the marker read here, for an
    environment of every standard name (``extra`` included); None when packaging must
    decide (it may also raise)."""
    if len(marker) == 2:
        word, items = marker
        results = [evaluate(item, environment) for item in items]
        if any(r is None for r in results):
            return None  # packaging evaluates every comparison, and may raise at any
        return all(results) if word == "and" else any(results)
    key, op, literal, literal_left = marker
    value = environment.get(key)
    if value is None:
        return None
    if key == "extra":
        if op not in ("==", "!="):
            return None
        # PEP 685: both sides compared in their normal form.
        value = canonicalize_name(value) if value else ""
        return (canonicalize_name(literal) == value) == (op == "==")
    left, right = (literal, value) if literal_left else (value, literal)
    if key in _VERSIONED:
        if op in ("in", "not in", "~="):
            return None
        return _compare_releases(left, op, right)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    return None  # packaging's own meanings of < and > on text: left to it


def _compare_releases(left: str, op: str, right: str) -> bool | None:
    """``Specifier(op + right).contains(left, prereleases=True)`` for two versions of plain
    release numbers (``3.8``, ``3.11.7``); None for anything else."""
    a, b = _release(left), _release(right)
    if a is None or b is None:
        return None
    size = max(len(a), len(b))
    a, b = a + (0,) * (size - len(a)), b + (0,) * (size - len(b))
    return {
        "==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b
    }[op]  # fmt: skip


def _release(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    if not all(p and len(p) <= 18 and all(c in _DIGITS for c in p) for p in parts):
        return None
    return tuple(int(p) for p in parts)
