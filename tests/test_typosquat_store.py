"""The look-alike index loaded from its stored tables checks every name exactly as the index
built from the list does; a damaged or foreign copy is refused, never half-used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipvet.index.popularity import PopularityTable, parse_popularity
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_build import NameKeys, rank_popular
from pipvet.vetting.typosquat_model import TyposquatResult, TyposquatRules
from pipvet.vetting.typosquat_store import fingerprint, loaded, stored

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pairs(shared_data: Path) -> tuple[list[Any], list[int]]:
    table: PopularityTable = parse_popularity(
        (shared_data / "top-pypi-packages-30-days.min.json").read_bytes(), source="list"
    )
    return rank_popular(table.top())


@pytest.fixture(scope="module")
def built(pairs: tuple[list[Any], list[int]]) -> TyposquatIndex:
    return TyposquatIndex(*pairs, TyposquatRules())


@pytest.fixture(scope="module")
def reloaded(pairs: tuple[list[Any], list[int]], built: TyposquatIndex) -> TyposquatIndex:
    assert isinstance(built.table, NameKeys)
    text = json.dumps(stored(built.table))  # what the cache file holds
    table = loaded(json.loads(text), pairs[0])
    assert table is not None
    return TyposquatIndex(*pairs, TyposquatRules(), table)


def same(result: TyposquatResult | None) -> object:
    return None if result is None else (result.kind, result.technique, result.target, result)


def test_every_listed_name_and_every_known_squat_gets_the_same_answer(
    pairs: tuple[list[Any], list[int]], built: TyposquatIndex, reloaded: TyposquatIndex
) -> None:
    names = list(pairs[0])
    squats = [
        line.split()[0]
        for line in (ROOT / "bench" / "squats.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sum(built.check(name) is not None for name in squats) > 200  # read them right
    # every 3rd listed name (5,000 of them, all tiers) and all of the bench's near misses
    for name in [*names[::3], *squats, "sklearn", "colourama", "reqeusts", "python3-dateutil"]:
        assert same(reloaded.check(name)) == same(built.check(name)), name


_LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(name=_LETTERS, data=st.data())
def test_any_name_and_any_near_miss_of_a_listed_name_gets_the_same_answer(
    pairs: tuple[list[Any], list[int]],
    built: TyposquatIndex,
    reloaded: TyposquatIndex,
    name: str,
    data: st.DataObject,
) -> None:
    listed = data.draw(st.sampled_from(pairs[0][:2000]))
    at = data.draw(st.integers(0, len(listed)))
    near = listed[:at] + data.draw(st.sampled_from(["", "x", "1", "-"])) + listed[at + 1 :]
    for candidate in (name, near):
        assert same(reloaded.check(candidate)) == same(built.check(candidate)), candidate


def _damaged(good: dict[str, Any]) -> list[object]:
    bad: list[object] = [None, [], "tables", {}]
    for table in ("key_ids", "deletes", "stripped"):
        one, many = good[table]
        key = next(iter(one))
        bad.append({**good, table: [{**one, key: 10**9}, many]})  # an id out of the list
        bad.append({**good, table: [{**one, key: -1}, many]})
        bad.append({**good, table: [{**one, key: True}, many]})  # a boolean is no id
        bad.append({**good, table: [{**one, key: "1"}, many]})
        bad.append({**good, table: [one, {**many, "x": [1, "2"]}]})
        bad.append({**good, table: [one]})
    bad.append({**good, "keys": [*good["keys"][:-1], ["name", 10**9, 0]]})
    bad.append({**good, "keys": [*good["keys"][:-1], "abc"]})
    bad.append({**good, "families": "python-"})
    bad.append({k: v for k, v in good.items() if k != "near2"})
    return bad


def test_a_damaged_copy_is_refused(
    pairs: tuple[list[Any], list[int]], built: TyposquatIndex
) -> None:
    assert isinstance(built.table, NameKeys)
    good = json.loads(json.dumps(stored(built.table)))
    assert loaded(good, pairs[0]) is not None
    for bad in _damaged(good):
        assert loaded(bad, pairs[0]) is None
    # a copy made for a shorter list points past its end: refused
    assert loaded(good, pairs[0][:100]) is None


def test_the_fingerprint_follows_the_rules() -> None:
    assert fingerprint(TyposquatRules()) == fingerprint(TyposquatRules())
    assert fingerprint(TyposquatRules()) != fingerprint(TyposquatRules(strong_tier=4_000))


def test_the_cache_file_is_used_only_for_the_same_list(shared_data: Path, tmp_path: Path) -> None:
    from pipvet.cli._vetting import squat_index
    from pipvet.frozen import replace
    from pipvet.index.popularity_cache import PopularitySnapshot
    from pipvet.vetting.typosquat_store import LoadedKeys

    table = parse_popularity(
        (shared_data / "top-pypi-packages-30-days.min.json").read_bytes(), source="list"
    )
    snapshot = PopularitySnapshot.of(table, "https://lists.example/top.json", 1_800_000_000.0)
    first = squat_index(snapshot, tmp_path)
    assert isinstance(first.table, NameKeys)  # built, then stored
    cached = tmp_path / "typosquat-index.json"
    assert cached.is_file()
    second = squat_index(snapshot, tmp_path)
    assert isinstance(second.table, LoadedKeys)
    for name in ("reqeusts", "colourama", "numpy", "surely-not-a-squat"):
        assert same(second.check(name)) == same(first.check(name))
    # A list fetched later (or from elsewhere) has tables of its own.
    later = replace(snapshot, fetched_at=snapshot.fetched_at + 86400)
    assert isinstance(squat_index(later, tmp_path).table, NameKeys)
    assert isinstance(squat_index(later, tmp_path).table, LoadedKeys)
    assert isinstance(squat_index(snapshot, tmp_path).table, NameKeys)
    # A damaged copy is built again, and written again.
    for damage in (b"", b"{", bytes(100), cached.read_bytes()[:-10]):
        cached.write_bytes(damage)
        rebuilt = squat_index(snapshot, tmp_path)
        assert isinstance(rebuilt.table, NameKeys)
        assert same(rebuilt.check("reqeusts")) == same(first.check("reqeusts"))
