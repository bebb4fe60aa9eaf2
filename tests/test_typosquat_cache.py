"""The typosquat tables kept in the cache: the same answers as built ones, for this list only,
and a torn or damaged file is a miss, never a crash or another answer."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from pipvet.index.popularity import parse_popularity
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_build import NameKeys
from pipvet.vetting.typosquat_cache import FILE_NAME, load_index
from pipvet.vetting.typosquat_tables import StoredKeys

Pairs = tuple[tuple[NormalizedName, int], ...]


@pytest.fixture(scope="module")
def pairs(shared_data: Path) -> Pairs:
    raw = (shared_data / "top-pypi-packages-30-days.min.json").read_bytes()
    return parse_popularity(raw).top()


@pytest.fixture(scope="module")
def reference(pairs: Pairs) -> TyposquatIndex:
    return TyposquatIndex.build(pairs)


def _candidates(pairs: Pairs) -> list[str]:
    """Listed names, and near misses of the most popular ones of every kind of edit."""
    rnd = random.Random(7)
    names = [name for name, _ in pairs]
    found = names[:300] + rnd.sample(names, 300) + ["sklearn", "asyncio", "matlibplot"]
    for name in names[:400]:
        at = rnd.randrange(len(name))
        letter = rnd.choice("abeilmnorsty0135-")
        found += [
            name[:at] + name[at + 1 :],
            name[:at] + letter + name[at:],
            name[:at] + letter + name[at + 1 :],
            name[:at] + name[at + 1 : at + 2] + name[at] + name[at + 2 :],
            "python-" + name,
            name + "2",
        ]
    return [c for c in found if c]


def _columns(pairs: Sequence[tuple[NormalizedName, int]]) -> tuple[list[NormalizedName], list[int]]:
    return [name for name, _ in pairs], [count for _, count in pairs]


def _same_answers(index: TyposquatIndex, reference: TyposquatIndex, pairs: Pairs) -> None:
    def owners(name: str) -> frozenset[str]:
        return frozenset({name[:3]})  # some near misses share an "owner" with their target

    for candidate in _candidates(pairs):
        assert index.check(candidate) == reference.check(candidate), candidate
        assert index.check(candidate, owners_of=owners) == reference.check(
            candidate, owners_of=owners
        ), candidate


def test_stored_tables_answer_as_built_ones(
    pairs: Pairs, reference: TyposquatIndex, tmp_path: Path
) -> None:
    first = load_index(*_columns(pairs), tmp_path)
    assert isinstance(first.tables, NameKeys)
    assert (tmp_path / FILE_NAME).is_file()
    again = load_index(*_columns(pairs), tmp_path)
    assert isinstance(again.tables, StoredKeys)
    _same_answers(again, reference, pairs)


def test_another_list_builds_its_own_tables(pairs: Pairs, tmp_path: Path) -> None:
    load_index(*_columns(pairs), tmp_path)
    # "requests" and "reqeusts" swap places: the tables of the first list would name the
    # wrong project as the target.
    swapped = [(name, count) for name, count in pairs[:50]]
    at = next(i for i, (name, _) in enumerate(swapped) if name == "requests")
    swapped[at] = (NormalizedName("reqeusts"), swapped[at][1])
    other = load_index(*_columns(tuple(swapped)), tmp_path)
    assert isinstance(other.tables, NameKeys)
    assert other.check("requests") is not None
    assert other.check("requests") == TyposquatIndex.build(swapped).check("requests")
    counts = [(name, count + 1) for name, count in pairs]  # same names, new counts
    assert isinstance(load_index(*_columns(tuple(counts)), tmp_path).tables, NameKeys)
    assert isinstance(load_index(*_columns(tuple(counts)), tmp_path).tables, StoredKeys)


def test_an_unranked_list_is_ranked_and_not_stored(tmp_path: Path) -> None:
    pairs = ((NormalizedName("small"), 5), (NormalizedName("requests"), 900))
    index = load_index(*_columns(pairs), tmp_path)
    assert index.check("reqests") == TyposquatIndex.build(pairs).check("reqests") is not None
    assert not (tmp_path / FILE_NAME).exists()


@pytest.mark.parametrize("cut", [0, 10, 5000, -1])
def test_a_torn_file_is_a_miss(
    pairs: Pairs, reference: TyposquatIndex, tmp_path: Path, cut: int
) -> None:
    load_index(*_columns(pairs), tmp_path)
    path = tmp_path / FILE_NAME
    path.write_bytes(path.read_bytes()[:cut])
    index = load_index(*_columns(pairs), tmp_path)
    assert isinstance(index.tables, NameKeys)
    assert index.check("reqeusts") == reference.check("reqeusts")
    assert isinstance(load_index(*_columns(pairs), tmp_path).tables, StoredKeys)  # written again


def _tamper(path: Path, change: str) -> None:
    """Change every line of the file the way ``change`` says, with the checksum made to fit:
    what a hostile or buggy writer could leave."""
    head, body = path.read_bytes().split(b"\n", 1)
    lines = body.decode().split("\n")
    for i, line in enumerate(lines):
        key, tab, values = line.partition("\t")
        if not tab:
            continue
        if change == "garbage":
            lines[i] = f"{key}\tx y"
        elif change == "out of range":
            lines[i] = f"{key}\t{10**9}"
        elif change == "negative":
            lines[i] = f"{key}\t-1"
        elif change == "short key line" and values.count("\t") == 1:
            lines[i] = f"{key}\t3"
        elif change == "bad via" and values.count("\t") == 1:
            lines[i] = f"{key}\t{values.split(chr(9))[0]}\t7"
    body = "\n".join(lines).encode()
    header = json.loads(head)
    header["crc32"] = zlib.crc32(body)
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


@pytest.mark.parametrize(
    "change", ["garbage", "out of range", "negative", "short key line", "bad via"]
)
def test_a_damaged_file_is_a_miss_never_a_crash(
    pairs: Pairs, reference: TyposquatIndex, tmp_path: Path, change: str
) -> None:
    load_index(*_columns(pairs), tmp_path)
    _tamper(tmp_path / FILE_NAME, change)
    index = load_index(*_columns(pairs), tmp_path)
    assert isinstance(index.tables, StoredKeys)  # the checksum fits: read, then found out
    for candidate in ("reqeusts", "requests", "nunpy", "python-dateutil", "matlibplot", "bot03"):
        assert index.check(candidate) == reference.check(candidate), candidate
    assert isinstance(index.tables, NameKeys)


def test_names_no_line_can_hold_are_not_stored(tmp_path: Path) -> None:
    pairs = ((NormalizedName("requests"), 900), (NormalizedName("tab\there"), 800))
    index = load_index(*_columns(pairs), tmp_path)
    assert not (tmp_path / FILE_NAME).exists()
    assert index.check("reqests") is not None


def test_a_cache_that_cannot_be_written_costs_only_the_build(pairs: Pairs, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    index = load_index(*_columns(pairs[:100]), blocked)
    assert index.check("reqeusts") == TyposquatIndex.build(pairs[:100]).check("reqeusts")
