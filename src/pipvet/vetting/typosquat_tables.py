"""The typosquat index's lookup tables as bytes, and read back without building them. Pure.

Building the tables from the 15,000-name popularity list is about 25 ms of every vet; the
list changes monthly. ``dump_tables`` writes them as lines, ``key<TAB>values``, each table's
lines sorted; ``StoredKeys`` answers a lookup by bisecting a table's lines and parses only the
lines a check asks for, so reading the tables back is one split of the text. A line that does
not parse, or points outside the list, raises ``BrokenTables`` when it is read: the index then
builds its tables afresh (a damaged cache is a miss, never a crash). A checksum of the text
catches a torn file before any line is read.

``KeyTables`` is what a lookup reads: the built tables (``typosquat_build.NameKeys``) and the
stored ones alike.
"""

from __future__ import annotations

import json
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from pipvet.vetting.typosquat_build import (
    POSITION_BITS,
    VIA_BASE,
    VIA_IMPORT,
    VIA_NAME,
    NameKeys,
    word_counts,
)

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Protocol
else:
    # A protocol is for type checkers; at run time nothing asks isinstance of it, so a
    # plain base does (as pipvet.system.process's Runner).
    Protocol = object

__all__ = ["BrokenTables", "KeyTables", "StoredKeys", "dump_tables", "load_tables"]

_FORMAT = 1
# The tables that map a spelling to key ids or targets, in their order in the text: the keys
# themselves (one line per key id) come first, the family prefixes (one per line) last.
_LOOKUPS = (
    "key_ids", "deletes", "near2", "letter_sets", "stripped", "folded", "word_sets", "cores",
)  # fmt: skip
_VIAS = frozenset((VIA_NAME, VIA_BASE, VIA_IMPORT))


class BrokenTables(Exception):
    """A stored line that does not parse or points outside the list."""


class Lookup(Protocol):
    def get(self, key: str, default: Sequence[int], /) -> Sequence[int]: ...
    def __len__(self) -> int: ...


class KeyList(Protocol):
    def __getitem__(self, key_id: int, /) -> tuple[str, int, int]: ...


class KeyTables(Protocol):
    """The tables a lookup reads (see ``typosquat_build.NameKeys`` for what each holds)."""

    @property
    def keys(self) -> KeyList: ...
    @property
    def key_ids(self) -> Lookup: ...
    @property
    def deletes(self) -> Lookup: ...
    @property
    def near2(self) -> Lookup: ...
    @property
    def near2_longest(self) -> int: ...
    @property
    def letter_sets(self) -> Lookup: ...
    @property
    def stripped(self) -> Lookup: ...
    @property
    def folded(self) -> Lookup: ...
    @property
    def word_sets(self) -> Lookup: ...
    @property
    def cores(self) -> Lookup: ...
    @property
    def families(self) -> AbstractSet[str]: ...
    def word_counts(self) -> dict[str, int]: ...


def dump_tables(table: NameKeys, stamp: str) -> bytes | None:
    """The tables as bytes, marked with ``stamp`` (what they were built from); None when a key
    holds a tab or a line break, or is not UTF-8 (a list no index publishes: then the tables
    are built every time)."""
    sections = [[f"{key}\t{target}\t{via}" for key, target, via in table.keys]]
    for name in _LOOKUPS:
        mapping: dict[str, list[int]] = getattr(table, name)
        sections.append(sorted(f"{key}\t{' '.join(map(str, ids))}" for key, ids in mapping.items()))
    sections.append(sorted(table.families))
    lines = [line for section in sections for line in section]
    text = "\n".join(lines)
    tabs = len(table.keys) + sum(map(len, sections[:-1]))  # two on a key's line, one elsewhere
    if text.count("\n") != len(lines) - 1 or text.count("\t") != tabs:
        return None
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    header = {
        "format": _FORMAT,
        "stamp": stamp,
        "sections": [len(s) for s in sections],
        "near2_longest": table.near2_longest,
        "crc32": zlib.crc32(body),
    }
    return json.dumps(header).encode() + b"\n" + body


def load_tables(data: bytes, stamp: str, names: Sequence[str]) -> StoredKeys | None:
    """The tables ``dump_tables`` wrote for ``stamp`` over ``names``; None when ``data`` is
    not that (another stamp, another format, torn)."""
    head, newline, body = data.partition(b"\n")
    try:
        header = json.loads(head)
        if (
            not newline
            or header["format"] != _FORMAT
            or header["stamp"] != stamp
            or header["crc32"] != zlib.crc32(body)
        ):
            return None
        sizes, longest = header["sections"], header["near2_longest"]
        lines = body.decode("utf-8").split("\n")
    except (ValueError, KeyError, TypeError):
        return None
    if (
        type(longest) is not int
        or type(sizes) is not list
        or len(sizes) != len(_LOOKUPS) + 2
        or not all(type(n) is int and n >= 0 for n in sizes)
        or sum(sizes) != len(lines)
    ):
        return None
    sections: list[list[str]] = []
    start = 0
    for size in sizes:
        sections.append(lines[start : start + size])
        start += size
    return StoredKeys(sections, longest, names)


class StoredKeys:
    """The tables read back: each lookup bisects its sorted lines."""

    def __init__(self, sections: list[list[str]], near2_longest: int, names: Sequence[str]) -> None:
        keys = len(sections[0])
        targets = len(names)
        self.keys = _KeyLines(sections[0], targets)
        self.key_ids = _Lines(sections[1], keys)
        self.deletes = _Lines(sections[2], keys << POSITION_BITS)  # key id << 8 | position
        self.near2 = _Lines(sections[3], keys)
        self.letter_sets = _Lines(sections[4], keys)
        self.stripped = _Lines(sections[5], targets)
        self.folded = _Lines(sections[6], targets)
        self.word_sets = _Lines(sections[7], targets)
        self.cores = _Lines(sections[8], targets)
        self.families = frozenset(sections[9])
        self.near2_longest = near2_longest
        self._names = names
        self._vocabulary: dict[str, int] | None = None

    def word_counts(self) -> dict[str, int]:
        if self._vocabulary is None:
            self._vocabulary = word_counts(self._names)
        return self._vocabulary


class _Lines:
    """One table: ``key<TAB>n n n`` lines sorted, each ``n`` below ``bound``.

    The lines are sorted as text and no key holds a tab, so the first line at or after
    ``key<TAB>`` is ``key``'s line when there is one."""

    __slots__ = ("_bound", "_lines")

    def __init__(self, lines: list[str], bound: int) -> None:
        self._lines = lines
        self._bound = bound

    def __len__(self) -> int:
        return len(self._lines)

    def get(self, key: str, default: Sequence[int], /) -> Sequence[int]:
        probe = key + "\t"
        lines = self._lines
        at = bisect_left(lines, probe)
        if at == len(lines) or not lines[at].startswith(probe):
            return default
        try:
            values = [int(v) for v in lines[at][len(probe) :].split(" ")]
        except ValueError:
            raise BrokenTables(f"unreadable line for {key!r}") from None
        if min(values) < 0 or max(values) >= self._bound:
            raise BrokenTables(f"the line for {key!r} points outside the list")
        return values


class _KeyLines:
    """The keys, ``key<TAB>target<TAB>via`` by key id."""

    __slots__ = ("_lines", "_targets")

    def __init__(self, lines: list[str], targets: int) -> None:
        self._lines = lines
        self._targets = targets

    def __getitem__(self, key_id: int, /) -> tuple[str, int, int]:
        try:
            if key_id < 0:
                raise IndexError(key_id)
            key, target, via = self._lines[key_id].split("\t")
            found = key, int(target), int(via)
        except (ValueError, IndexError):
            raise BrokenTables(f"unreadable key {key_id}") from None
        if not 0 <= found[1] < self._targets or found[2] not in _VIAS:
            raise BrokenTables(f"key {key_id} points outside the list")
        return found
