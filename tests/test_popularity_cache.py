from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from packaging.utils import NormalizedName

from pipvet.index.popularity_cache import (
    FILE_NAME,
    Loaded,
    PopularitySnapshot,
    _read,
    _write,
    load_popularity,
)
from pipvet.system.http import HttpClient
from tests.support.httpserver import Reply
from tests.support.index_server import POPULARITY_PATH, IndexServer, index_server

DAY = 86400.0
T0 = 1_790_000_000.0


@pytest.fixture
def index(shared_data: Path) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        yield server


def fetches(index: IndexServer) -> int:
    return index.server.paths_requested().count(POPULARITY_PATH)


def load(
    index: IndexServer, cache: Path, now: float, *, offline: bool = False, url: str = ""
) -> Loaded:
    http = HttpClient(cache / "http", offline=offline, retries=0, clock=lambda: now)
    return load_popularity(
        http, url or index.popularity_url, cache, now=lambda: now, offline=offline
    )


def test_fetched_once_then_read_from_sqlite(index: IndexServer, tmp_path: Path) -> None:
    first = load(index, tmp_path, T0)
    assert first.warnings == ()
    assert first.snapshot is not None
    assert len(first.snapshot.ranks) == 15000
    assert first.snapshot.ranks["boto3"] == 1
    assert first.snapshot.ranks["requests"] == 7
    assert first.snapshot.pairs[0] == ("boto3", 1880218825)
    assert (tmp_path / FILE_NAME).is_file()
    again = load(index, tmp_path, T0 + 29 * DAY)
    assert again.snapshot == first.snapshot
    assert fetches(index) == 1


def test_refreshed_when_older_than_30_days(index: IndexServer, tmp_path: Path) -> None:
    load(index, tmp_path, T0)
    later = load(index, tmp_path, T0 + 31 * DAY)
    assert fetches(index) == 2
    assert later.snapshot is not None
    assert later.snapshot.fetched_at == T0 + 31 * DAY


def test_a_failed_refresh_keeps_the_old_list_and_says_so(
    index: IndexServer, tmp_path: Path
) -> None:
    load(index, tmp_path, T0)
    index.server.route(POPULARITY_PATH, Reply(500, b"down"))
    stale = load(index, tmp_path, T0 + 40 * DAY)
    assert stale.snapshot is not None
    assert stale.snapshot.fetched_at == T0
    assert len(stale.warnings) == 1
    assert "using the copy from 40 days ago" in stale.warnings[0]


def test_offline(index: IndexServer, tmp_path: Path) -> None:
    nothing = load(index, tmp_path, T0, offline=True)
    assert nothing.snapshot is None
    assert "--offline forbids fetching it" in nothing.warnings[0]
    load(index, tmp_path, T0)
    old = load(index, tmp_path, T0 + 90 * DAY, offline=True)
    assert old.snapshot is not None
    assert "90 days old" in old.warnings[0]
    assert fetches(index) == 1


def test_a_damaged_cache_is_fetched_again(index: IndexServer, tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database")
    loaded = load(index, tmp_path, T0)
    assert loaded.snapshot is not None
    assert "unreadable" in loaded.warnings[0]
    assert load(index, tmp_path, T0 + 1).warnings == ()


def test_another_source_is_fetched(index: IndexServer, tmp_path: Path, shared_data: Path) -> None:
    load(index, tmp_path, T0)
    local = shared_data / "top-pypi-packages-30-days.min.json"
    other = load(index, tmp_path, T0 + 1, url=str(local))
    assert other.snapshot is not None
    assert other.snapshot.source == str(local)
    assert fetches(index) == 1  # the file was read directly, not from the server


def test_malformed_list_without_a_cache_is_no_list(index: IndexServer, tmp_path: Path) -> None:
    index.server.route(POPULARITY_PATH, Reply(200, b'{"rows": []}'))
    loaded = load(index, tmp_path, T0)
    assert loaded.snapshot is None
    assert "'rows' is empty" in loaded.warnings[0]


def _columns(cache: Path) -> tuple[object, object]:
    with sqlite3.connect(cache / FILE_NAME) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    return meta.get("names"), meta.get("downloads")


def _rows(cache: Path) -> list[tuple[str, int, int]]:
    with sqlite3.connect(cache / FILE_NAME) as conn:
        return conn.execute("SELECT name, rank, downloads FROM ranks ORDER BY rank").fetchall()


def _as_an_earlier_pipvet_wrote_it(cache: Path, snapshot: PopularitySnapshot | None) -> None:
    """The rows an earlier pipvet kept of every list, beside or instead of its columns."""
    assert snapshot is not None
    rows = [(name, rank, count) for rank, (name, count) in enumerate(snapshot.pairs, 1)]
    with sqlite3.connect(cache / FILE_NAME) as conn:
        conn.executemany("INSERT INTO ranks VALUES (?, ?, ?)", rows)


def test_a_list_the_columns_hold_is_kept_in_no_rows(index: IndexServer, tmp_path: Path) -> None:
    # 15,000 rows cost five times the rest of the file to write, and are never read.
    first = load(index, tmp_path, T0)
    assert _rows(tmp_path) == []
    names, downloads = _columns(tmp_path)
    assert isinstance(names, str)
    assert isinstance(downloads, bytes)
    assert len(names.split("\n")) == len(downloads) // 8 == 15000
    assert load(index, tmp_path, T0 + 1).snapshot == first.snapshot
    assert fetches(index) == 1


@pytest.mark.parametrize(
    ("names", "downloads"),
    [
        (None, None),  # a file written before the packed copy existed
        ("boto3\npackaging", None),
        ("boto3", b"\x01" * 16),  # two counts for one name
        ("boto3\npackaging", b"\x01" * 15),  # not whole 64-bit numbers
        (b"boto3\npackaging", b"\x01" * 16),  # names that are not text
        ("boto3\npackaging", "not bytes"),
    ],
)
def test_without_a_usable_packed_list_the_rows_are_read(
    index: IndexServer, tmp_path: Path, names: object, downloads: object
) -> None:
    first = load(index, tmp_path, T0)
    stored, counts = _columns(tmp_path)
    assert isinstance(stored, str)
    assert stored.split("\n")[:2] == ["boto3", "packaging"]
    assert isinstance(counts, bytes)
    assert int.from_bytes(counts[:8], "little") == 1880218825
    _as_an_earlier_pipvet_wrote_it(tmp_path, first.snapshot)
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        conn.execute("DELETE FROM meta WHERE key IN ('names', 'downloads')")
        for key, value in (("names", names), ("downloads", downloads)):
            if value is not None:
                conn.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
    again = load(index, tmp_path, T0 + 1)
    assert again.warnings == ()
    assert again.snapshot == first.snapshot
    assert fetches(index) == 1  # read from the rows, not fetched again


def test_the_packed_list_is_what_is_read(index: IndexServer, tmp_path: Path) -> None:
    load(index, tmp_path, T0)
    assert _rows(tmp_path) == []  # only the packed copy is there
    again = load(index, tmp_path, T0 + 1)
    assert again.snapshot is not None
    assert again.snapshot.ranks["requests"] == 7
    assert len(again.snapshot.pairs) == 15000
    assert again.snapshot.names[6] == "requests"


@pytest.mark.parametrize(
    "packed",
    [
        None,  # no copy at all: the rows
        '[["boto3", "packaging"], [1, 2], [1880218825, 1000]]',
        "not json",
        '[["boto3"], [1], [1, 2]]',  # columns of different lengths
        '[["boto3"], ["1"], [5]]',  # a rank that is not a number
        '{"names": []}',
    ],
)
def test_a_file_an_earlier_pipvet_wrote_is_read(
    index: IndexServer, tmp_path: Path, packed: str | None
) -> None:
    first = load(index, tmp_path, T0)
    assert first.snapshot is not None
    _as_an_earlier_pipvet_wrote_it(tmp_path, first.snapshot)
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        conn.execute("DELETE FROM meta WHERE key IN ('names', 'downloads')")
        if packed is not None:
            conn.execute("INSERT INTO meta VALUES ('packed', ?)", (packed,))
    again = load(index, tmp_path, T0 + 1)
    assert again.warnings == ()
    assert again.snapshot is not None
    if packed is not None and packed.startswith('[["boto3", "packaging"]'):
        assert again.snapshot.pairs == (("boto3", 1880218825), ("packaging", 1000))
        assert again.snapshot.ranks == {"boto3": 1, "packaging": 2}
    else:
        assert again.snapshot == first.snapshot


@pytest.mark.parametrize("reply", [Reply(500, b"down"), Reply(200, b"<html>captive portal")])
def test_a_list_that_cannot_be_had_names_the_settings_that_point_elsewhere(
    index: IndexServer, tmp_path: Path, reply: Reply
) -> None:
    index.server.route(POPULARITY_PATH, reply)
    loaded = load(index, tmp_path, T0)
    assert loaded.snapshot is None
    [warning] = loaded.warnings
    assert warning.startswith("cannot load the popularity list: ")
    assert "PIPVET_TOP_PACKAGES_URL" in warning
    assert "top-packages-url" in warning
    # A failed refresh with a copy in hand says the same.
    fresh = tmp_path / "fresh"
    index.server.route(
        POPULARITY_PATH,
        lambda req: Reply(200, (index.data / "top-pypi-packages-30-days.min.json").read_bytes()),
    )
    load(index, fresh, T0)
    index.server.route(POPULARITY_PATH, reply)
    [stale] = load(index, fresh, T0 + 40 * DAY).warnings
    assert "PIPVET_TOP_PACKAGES_URL" in stale


def test_an_unreachable_list_names_the_settings(tmp_path: Path) -> None:
    http = HttpClient(tmp_path / "http", retries=0, clock=lambda: T0)
    url = "http://127.0.0.1:9/top.json"  # the discard port: nothing listens
    loaded = load_popularity(http, url, tmp_path, now=lambda: T0)
    assert loaded.snapshot is None
    assert "PIPVET_TOP_PACKAGES_URL" in loaded.warnings[0]
    assert url in loaded.warnings[0]


def _snapshot(names: tuple[str, ...], downloads: tuple[int, ...]) -> PopularitySnapshot:
    ranks = {name: rank for rank, name in enumerate(names, 1)}
    return PopularitySnapshot(ranks, cast(tuple[NormalizedName, ...], names), downloads, "x", T0)


def test_a_list_the_packed_copy_cannot_hold_is_kept_in_rows(tmp_path: Path) -> None:
    snapshot = _snapshot(("boto3", "line\nbreak"), (5, 4))
    _write(tmp_path / FILE_NAME, snapshot)
    assert _columns(tmp_path) == (None, None)
    assert _read(tmp_path / FILE_NAME) == snapshot


def test_a_list_no_file_can_hold_is_not_kept(tmp_path: Path) -> None:
    _write(tmp_path / FILE_NAME, _snapshot(("boto3", "packaging"), (2**70, 4)))
    assert list(tmp_path.iterdir()) == []
