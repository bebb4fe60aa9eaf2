"""``json.dumps(value, indent=2)``, about twice as fast. Pure.

With ``indent`` set, the standard library gives up its C encoder for a pure-Python one built
from nested generators; for a report of thousands of dependencies that costs more than the
audit itself. This walks the value with plain recursion and lets the C string encoder do the
escaping, producing byte-for-byte the standard library's text (``ensure_ascii`` as asked,
``", "`` and ``": "`` separators, ``NaN``/``Infinity`` allowed). Anything it does not handle
itself (keys that are not strings, unusual types) is handed to ``json.dumps`` whole.
"""

from __future__ import annotations

import math

# json.encoder's own (the C functions): importing json would compile six patterns at import.
from _json import encode_basestring as _unicode
from _json import encode_basestring_ascii as _string

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["Raw", "dumps", "dumps_at", "scalar", "string"]

string = _string  # a str as JSON (the C encoder; raises TypeError for anything else)


class _Unsupported(Exception):
    pass


class Raw:
    """Text that already is JSON, written for the depth it is placed at (``dumps_at``): put
    into the document as it is. Only ``dumps_at`` understands it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: object, *, ensure_ascii: bool = True) -> str:
    """Exactly ``json.dumps(value, indent=2, ensure_ascii=ensure_ascii)``."""
    try:
        return _dumps(value, "\n", _string if ensure_ascii else _unicode)
    except _Unsupported:
        import json  # a value only json.dumps writes: no audit report holds one

        return json.dumps(value, indent=2, ensure_ascii=ensure_ascii)


def dumps_at(value: object, depth: int) -> str | None:
    """``value`` as ``json.dumps(..., indent=2)`` writes it ``depth`` levels deep in a
    document (``Raw`` parts inserted as they are), or None when it holds something only
    ``json.dumps`` handles."""
    try:
        return _dumps(value, "\n" + "  " * depth, _string)
    except _Unsupported:
        return None


def _dumps(value: Any, newline: str, text: Callable[[str], str]) -> str:
    kind = type(value)
    if kind is str:
        return text(value)
    if kind is Raw:
        return value.text  # type: ignore[no-any-return]
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + "  "
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Unsupported
            if type(item) is str:
                parts.append(f"{text(key)}: {text(item)}")
            elif item is None:
                parts.append(f"{text(key)}: null")
            else:
                parts.append(f"{text(key)}: {_dumps(item, inner, text)}")
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + "  "
        items = [text(item) if type(item) is str else _dumps(item, inner, text) for item in value]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    raise _Unsupported


def scalar(value: object) -> str:
    """``None``, a bool, an int or a finite float as JSON, as ``json.dumps`` writes it;
    ``ValueError`` for anything else."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    raise ValueError(f"not a JSON scalar pipvet writes itself: {type(value).__name__}")
