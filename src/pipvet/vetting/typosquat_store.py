"""The look-alike index's tables as JSON, and back. Pure.

Building the tables from the 15,000-name popularity list is most of a warm ``pipvet vet``;
loading them is a fraction of that, provided single ids are stored as plain numbers (most
keys have one) rather than as lists. ``stored`` writes them, ``loaded`` reads them back and
checks every type and every id's range, so a damaged or foreign copy is refused (``None``:
the caller builds the index instead) and never points a lookup outside the list.

``fingerprint`` names what the tables were built with (the rules, the pipvet version and the
builder's own source): a copy made by other code is never used.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from pipvet import __version__
from pipvet.models import NormalizedName
from pipvet.vetting.typosquat_build import POSITION_BITS, NameKeys, vocabulary
from pipvet.vetting.typosquat_model import TyposquatRules

__all__ = ["FORMAT", "Ids", "LoadedKeys", "fingerprint", "loaded", "stored"]

FORMAT = 1

# Tables of key ids (positions in ``keys``), of deletion codes (a key id shifted left by
# POSITION_BITS), and of targets (positions in the ranked names).
_KEY_TABLES = ("key_ids", "near2", "letter_sets")
_TARGET_TABLES = ("stripped", "folded", "word_sets", "cores")
_TABLES = (*_KEY_TABLES, "deletes", *_TARGET_TABLES)


class Ids:
    """One table as stored: a key with a single id maps to that number, one with several to
    a list. Read like the built table's dictionary: ``get(key, ())``."""

    __slots__ = ("many", "one")

    def __init__(self, one: dict[str, int], many: dict[str, list[int]]) -> None:
        self.one = one
        self.many = many

    def get(self, key: str, default: Sequence[int] = ()) -> Sequence[int]:
        found = self.one.get(key)
        if found is not None:
            return (found,)
        return self.many.get(key, default)

    def __len__(self) -> int:
        return len(self.one) + len(self.many)


class LoadedKeys:
    """The tables of a ``NameKeys``, loaded instead of built; read the same way."""

    def __init__(
        self,
        names: Sequence[NormalizedName],
        keys: list[tuple[str, int, int]],
        tables: Mapping[str, Ids],
        near2_longest: int,
        families: frozenset[str],
    ) -> None:
        self.names = names
        self.keys = keys
        self.key_ids = tables["key_ids"]
        self.deletes = tables["deletes"]
        self.near2 = tables["near2"]
        self.letter_sets = tables["letter_sets"]
        self.stripped = tables["stripped"]
        self.folded = tables["folded"]
        self.word_sets = tables["word_sets"]
        self.cores = tables["cores"]
        self.near2_longest = near2_longest
        self.families = families
        self._vocabulary: dict[str, int] | None = None

    def word_counts(self) -> dict[str, int]:
        """How many listed names use each word; built the first time a rule asks."""
        if self._vocabulary is None:
            self._vocabulary = vocabulary(self.names)
        return self._vocabulary


def fingerprint(rules: TyposquatRules) -> str:
    """What the tables depend on besides the list: the rules, the version, the builder."""
    here = Path(__file__).parent
    sources = b"".join(
        (here / name).read_bytes()
        for name in ("typosquat_build.py", "nearmiss.py", "import_names.py", "typosquat_store.py")
    )
    return (
        f"{FORMAT}:{__version__}:{zlib.crc32(sources):08x}:{zlib.crc32(repr(rules).encode()):08x}"
    )


def stored(table: NameKeys) -> dict[str, Any]:
    """The tables of a built index as a JSON-able value."""
    out: dict[str, Any] = {
        "keys": [list(key) for key in table.keys],
        "near2_longest": table.near2_longest,
        "families": sorted(table.families),
    }
    for name in _TABLES:
        ids: Mapping[str, list[int]] = getattr(table, name)
        out[name] = [
            {k: v[0] for k, v in ids.items() if len(v) == 1},
            {k: v for k, v in ids.items() if len(v) != 1},
        ]
    return out


def loaded(data: object, names: Sequence[NormalizedName]) -> LoadedKeys | None:
    """The tables ``stored`` wrote for the list ``names``; None for anything else."""
    if not isinstance(data, dict):
        return None
    try:
        keys = [(k, t, v) for k, t, v in data["keys"]]
        near2_longest, families = data["near2_longest"], data["families"]
        parts = {name: data[name] for name in _TABLES}
    except (KeyError, TypeError, ValueError):
        return None
    if not (
        {*map(type, itertools.chain.from_iterable(keys))} <= {str, int}
        and all(type(k) is str and type(t) is int and type(v) is int for k, t, v in keys)
        and _within((t for _, t, _ in keys), len(names))
        and type(near2_longest) is int
        and isinstance(families, list)
        and {*map(type, families)} <= {str}
    ):
        return None
    tables: dict[str, Ids] = {}
    for name, part in parts.items():
        ids = _ids(part)
        if ids is None:
            return None
        values = itertools.chain(ids.one.values(), itertools.chain.from_iterable(ids.many.values()))
        if name == "deletes":
            fits = _within((code >> POSITION_BITS for code in values), len(keys))
        else:
            fits = _within(values, len(keys) if name in _KEY_TABLES else len(names))
        if not fits:
            return None
        tables[name] = ids
    return LoadedKeys(names, keys, tables, near2_longest, frozenset(families))


def _ids(part: object) -> Ids | None:
    if not (isinstance(part, list) and len(part) == 2):
        return None
    one, many = part
    if not (isinstance(one, dict) and isinstance(many, dict)):
        return None
    if not {*map(type, one), *map(type, many)} <= {str} or not {*map(type, one.values())} <= {int}:
        return None
    lists = cast(dict[str, object], many).values()
    if not {*map(type, lists)} <= {list}:
        return None
    if not {*map(type, itertools.chain.from_iterable(cast(Iterable[list[object]], lists)))} <= {
        int
    }:
        return None
    return Ids(cast(dict[str, int], one), cast(dict[str, list[int]], many))


def _within(values: Iterable[int], limit: int) -> bool:
    """Every value is a position in a sequence of ``limit`` items."""
    seen = list(values)
    return not seen or (min(seen) >= 0 and max(seen) < limit)
