"""How two package names differ: the string side of typosquat detection.

Pure functions on canonical names (PEP 503: lower case, ``-`` as the only separator). They
name the difference a human would see: a swapped pair of letters, a doubled letter, a
look-alike character, a ``python-`` prefix, version digits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pipvet.frozen import frozen, replace

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = [
    "BARE_PREFIXES",
    "CONFUSABLE_WITH",
    "PREFIXES",
    "SUFFIXES",
    "Edit",
    "EditKind",
    "affix_cores",
    "classify_edit",
    "homoglyph_fold",
    "homoglyph_fold_all",
    "is_slip",
    "moved_blocks",
    "osa_distance",
    "word_at",
]

EditKind: TypeAlias = (
    'Literal["homoglyph", "transposition", "repeated-letter", "insertion", '
    '"deletion", "substitution", "two-edits"]'
)

# Characters that look alike in common fonts once names are lower-cased (so "I" is "i").
# Multi-letter look-alikes are folded first: "rn" reads as "m", "vv" as "w", "cl" as "d".
_FOLD_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_FOLD_TABLE = str.maketrans({"1": "l", "i": "l", "0": "o", "5": "s", "3": "e"})
_CONFUSABLE_PAIRS = (("l", "1"), ("l", "i"), ("i", "1"), ("o", "0"), ("s", "5"), ("e", "3"))
_CONFUSABLE = frozenset(frozenset(pair) for pair in _CONFUSABLE_PAIRS)
# For each character, the characters it may be a look-alike of (a one-letter homoglyph edit).
CONFUSABLE_WITH: dict[str, str] = {
    char: "".join(
        other for pair in _CONFUSABLE_PAIRS if char in pair for other in pair if other != char
    )
    for pair in _CONFUSABLE_PAIRS
    for char in pair
}

# Affixes people add to or drop from a project name. The separator-free "py"/"python"
# prefixes are only tried on the name being checked ("pyrequests"), never stripped from
# popular names, where they are usually part of the name ("pytest", "pyjwt").
PREFIXES = ("python3-", "python-", "py3-", "py-")
SUFFIXES = ("-python3", "-python", "-py3", "-py", "-lib", "-dev", "-pkg", "-package")
BARE_PREFIXES = ("python3", "python", "py")


# Where each key sits on a QWERTY keyboard: (row, column), each row shifted right by its
# usual stagger, so that the distance between two keys is how far a finger slips.
_KEY_AT: dict[str, tuple[float, float]] = {
    key: (row, shift + column)
    for row, (shift, keys) in enumerate(
        ((0.0, "1234567890-"), (0.5, "qwertyuiop"), (0.75, "asdfghjkl"), (1.25, "zxcvbnm"))
    )
    for column, key in enumerate(keys)
}
_SLIP_DISTANCE = 1.8  # a neighbouring key, or the one past it on the next row
_VOWELS = frozenset("aeiou")


def is_slip(intended: str, typed: str) -> bool:
    """Could ``typed`` be a slip for ``intended``: a key near it (QWERTY, or the y/z swap of
    QWERTZ), or one vowel for another (a misspelling, not a mistyping)?"""
    if intended in _VOWELS and typed in _VOWELS:
        return True
    if {intended, typed} == {"y", "z"}:
        return True
    a, b = _KEY_AT.get(intended), _KEY_AT.get(typed)
    if a is None or b is None:
        return False
    return math.hypot(a[0] - b[0], a[1] - b[1]) <= _SLIP_DISTANCE


@frozen
class Edit:
    """One difference between a name and a popular name: what, where and in which words."""

    kind: EditKind
    detail: str  # in words, e.g. "'ue' swapped to 'eu'"
    at: int  # position in the popular name where the difference starts
    word: str  # the word (``-``-separated part) of the checked name holding the change
    target_word: str  # the word of the popular name at the same place
    slip: bool = False  # a changed letter that a finger or a speller could have produced


def homoglyph_fold(name: str) -> str:
    """``name`` without separators, look-alike characters folded to one spelling."""
    # Single characters first, so that "c1" becomes "cl" and then reads as "d" too.
    folded = name.replace("-", "").translate(_FOLD_TABLE)
    for before, after in _FOLD_PAIRS:
        folded = folded.replace(before, after)
    return folded


def homoglyph_fold_all(names: Sequence[str]) -> list[str]:
    """``[homoglyph_fold(n) for n in names]``, folding all names in one pass over their
    joined text (no look-alike spans a line break)."""
    text = "\n".join(names)
    if text.count("\n") != len(names) - 1:  # a name with a line break of its own
        return [homoglyph_fold(name) for name in names]
    folded = text.replace("-", "").translate(_FOLD_TABLE)
    for before, after in _FOLD_PAIRS:
        folded = folded.replace(before, after)
    return folded.split("\n") if names else []


def classify_edit(candidate: str, key: str, *, two_edit_length: int) -> Edit | None:
    """The single edit that turns ``key`` into ``candidate``, or None.

    Adjacent swaps count as one edit. Two edits are reported (as "two-edits") only when both
    strings are at least ``two_edit_length`` long; anything further apart is None.
    """
    lc, lk = len(candidate), len(key)
    if lc == lk:
        diffs = [i for i in range(lc) if candidate[i] != key[i]]
        if len(diffs) == 1:
            i = diffs[0]
            if frozenset((candidate[i], key[i])) in _CONFUSABLE:
                return _edit(
                    "homoglyph", f"{key[i]!r} written as {candidate[i]!r}", i, candidate, key
                )
            edit = _edit(
                "substitution", f"{key[i]!r} changed to {candidate[i]!r}", i, candidate, key
            )
            return replace(edit, slip=is_slip(key[i], candidate[i]))
        if (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and candidate[diffs[0]] == key[diffs[1]]
            and candidate[diffs[1]] == key[diffs[0]]
        ):
            i = diffs[0]
            detail = f"{key[i : i + 2]!r} swapped to {candidate[i : i + 2]!r}"
            return _edit("transposition", detail, i, candidate, key)
    elif lc == lk + 1:
        for i in range(lc):
            if candidate[:i] + candidate[i + 1 :] == key:
                letter = candidate[i]
                doubled = (i > 0 and candidate[i - 1] == letter) or (
                    i + 1 < lc and candidate[i + 1] == letter
                )
                if doubled:
                    return _edit("repeated-letter", f"{letter!r} doubled", i, candidate, key)
                return _edit("insertion", f"extra {letter!r}", i, candidate, key)
    elif lc == lk - 1:
        for i in range(lk):
            if key[:i] + key[i + 1 :] == candidate:
                return _edit("deletion", f"{key[i]!r} left out", i, candidate, key)
    if min(lc, lk) >= two_edit_length and osa_distance(candidate, key, limit=2) <= 2:
        i = next((i for i, (a, b) in enumerate(zip(candidate, key, strict=False)) if a != b), lk)
        return _edit("two-edits", "two letters added, dropped or changed", i, candidate, key)
    return None


def moved_blocks(candidate: str, key: str) -> tuple[str, str] | None:
    """The two neighbouring blocks of ``key`` (each at least two letters, separators aside)
    that ``candidate`` has in the other order ("matlibplot" for "matplotlib": "plot" and
    "lib"), or None when the names differ otherwise."""
    a, b = candidate.replace("-", ""), key.replace("-", "")
    if len(a) != len(b) or a == b:
        return None
    start = 0
    while a[start] == b[start]:
        start += 1
    end = len(a)
    while a[end - 1] == b[end - 1]:
        end -= 1
    inner, target = a[start:end], b[start:end]
    for cut in range(2, len(target) - 1):
        first, second = target[:cut], target[cut:]
        if inner == second + first:
            return first, second
    return None


def _edit(kind: EditKind, detail: str, at: int, candidate: str, key: str) -> Edit:
    return Edit(kind, detail, at, word_at(candidate, at), word_at(key, at))


def word_at(name: str, position: int) -> str:
    """The ``-``-separated word of ``name`` at ``position`` (clamped to the name)."""
    position = max(0, min(position, len(name) - 1))
    start = name.rfind("-", 0, position) + 1
    end = name.find("-", position)
    return name[start : end if end != -1 else len(name)]


def osa_distance(a: str, b: str, *, limit: int) -> int:
    """Optimal-string-alignment distance (adjacent swaps cost 1); ``limit + 1`` past limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before_previous[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before_previous, previous = previous, current
    return previous[len(b)]


def affix_cores(name: str, *, bare: bool) -> set[str]:
    """``name`` with one known prefix and/or one known suffix removed (never ``name``).

    ``bare`` also tries the separator-free "py"/"python" prefixes ("pyrequests").
    """
    if not bare and not name.startswith(PREFIXES) and not name.endswith(SUFFIXES):
        return set()  # the common case, answered without trying each affix
    heads = [name]
    for prefix in PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            heads.append(name[len(prefix) :])
    if bare:
        for prefix in BARE_PREFIXES:
            rest = name[len(prefix) :]
            if name.startswith(prefix) and len(rest) > 3 and rest[0] != "-":
                heads.append(rest)
    cores: set[str] = set(heads[1:])
    for head in heads:
        for suffix in SUFFIXES:
            if head.endswith(suffix) and len(head) > len(suffix) + 1:
                cores.add(head[: -len(suffix)])
    cores.discard(name)
    return cores
