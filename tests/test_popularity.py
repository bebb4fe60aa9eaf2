from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import NormalizedName

from pipvet.errors import DataError
from pipvet.index.popularity import PopularityEntry, parse_popularity, parse_ranked


def entry(name: str, rank: int, downloads: int) -> PopularityEntry:
    return PopularityEntry(NormalizedName(name), rank, downloads)


POPULARITY_FILE = "top-pypi-packages-30-days.min.json"


def test_parses_the_real_list(shared_data: Path) -> None:
    raw = (shared_data / POPULARITY_FILE).read_bytes()
    table = parse_popularity(raw, source=POPULARITY_FILE)

    assert len(table) == 15_000
    assert table.last_update == "2026-04-01 06:34:06"
    assert table.entries[0] == entry("boto3", 1, 1_880_218_825)
    assert [e.rank for e in table.entries[:3]] == [1, 2, 3]
    requests = table.lookup("Requests")
    assert requests is not None
    assert requests.name == "requests"
    assert requests.rank == 7
    # Ranks follow downloads, most first.
    counts = [e.downloads for e in table]
    assert counts == sorted(counts, reverse=True)
    assert table.lookup("surely-not-a-popular-project-name") is None


def test_names_are_canonicalised_and_duplicates_merged() -> None:
    table = parse_popularity(
        {
            "rows": [
                {"project": "Foo_Bar", "download_count": 10},
                {"project": "zope.interface", "download_count": 50},
                {"project": "foo-bar", "download_count": 30},
                {"project": "Small", "download_count": 1},
            ]
        }
    )

    assert table.entries == (
        entry("zope-interface", 1, 50),
        entry("foo-bar", 2, 30),
        entry("small", 3, 1),
    )
    assert table.lookup("FOO.bar") == entry("foo-bar", 2, 30)
    assert table.top(2) == (("zope-interface", 50), ("foo-bar", 30))
    assert table.top() == (("zope-interface", 50), ("foo-bar", 30), ("small", 1))


def test_equal_counts_rank_alphabetically() -> None:
    table = parse_popularity(
        json.dumps(
            {
                "rows": [
                    {"project": "b", "download_count": 5},
                    {"project": "a", "download_count": 5},
                ]
            }
        )
    )
    assert [(e.name, e.rank) for e in table] == [("a", 1), ("b", 2)]


def test_the_ranked_columns_are_the_tables(shared_data: Path) -> None:
    # What the popularity cache keeps, read without an entry object per project.
    raw = (shared_data / POPULARITY_FILE).read_bytes()
    ranked = parse_ranked(raw, source=POPULARITY_FILE)
    table = parse_popularity(raw, source=POPULARITY_FILE)
    assert tuple(zip(ranked.names, ranked.downloads, strict=True)) == table.top()
    assert ranked.last_update == table.last_update == "2026-04-01 06:34:06"
    assert [e.rank for e in table] == list(range(1, len(ranked.names) + 1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "top.json: invalid JSON at line 1, column 2: Expecting property name"),
        (b"\xff\xfe", "top.json: not UTF-8 text (bad byte at offset 0)"),
        ("[1, 2]", "top.json: expected a JSON object with a 'rows' list, got a list"),
        ("{}", "top.json: no 'rows' list (found nothing under 'rows')"),
        ('{"rows": "x"}', "top.json: no 'rows' list (found a string under 'rows')"),
        ('{"rows": []}', "top.json: 'rows' is empty, so no project has a rank"),
        # A hostile mirror's answers: an internal error (a traceback file) before.
        (
            '{"rows": [{"project": "a", "download_count": 1' + "0" * 5000 + "}]}",
            "top.json: not a usable JSON document: Exceeds the limit",
        ),
        ("[" * 100_000 + "]" * 100_000, "top.json: not a usable JSON document: nested too deeply"),
    ],
)
def test_document_errors_name_the_source(data: bytes | str, message: str) -> None:
    with pytest.raises(DataError) as caught:
        parse_popularity(data, source="top.json")
    assert str(caught.value).startswith(message)
    assert caught.value.hint is not None
    assert "popularity list" in caught.value.hint


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("boto3", "row 2: expected an object, got a string"),
        ({"download_count": 3}, "row 2: 'project' must be a non-empty string, got None"),
        ({"project": "  ", "download_count": 3}, "row 2: 'project' must be a non-empty string"),
        (
            {"project": "bad name!", "download_count": 3},
            "row 2: 'project' 'bad name!' is not a valid project name",
        ),
        (
            {"project": "ok", "download_count": "12"},
            "row 2: 'download_count' must be a whole number, got '12'",
        ),
        (
            {"project": "ok", "download_count": 1.5},
            "row 2: 'download_count' must be a whole number, got 1.5",
        ),
        (
            {"project": "ok", "download_count": True},
            "row 2: 'download_count' must be a whole number, got True",
        ),
        (
            {"project": "ok", "download_count": -4},
            "row 2: 'download_count' must not be negative, got -4",
        ),
        (  # SQLite could not store it: the cache write raised OverflowError
            {"project": "ok", "download_count": 2**64},
            "row 2: 'download_count' is larger than any real count (1.845e+19)",
        ),
    ],
)
def test_row_errors_name_row_and_bad_value(row: object, problem: str) -> None:
    document = {"rows": [{"project": "fine", "download_count": 9}, row]}
    with pytest.raises(DataError) as caught:
        parse_popularity(document, source="https://example.test/top.json")
    text = str(caught.value)
    assert text.startswith("https://example.test/top.json: 1 malformed row(s):")
    assert problem in text


def test_every_bad_row_is_counted_and_a_few_are_shown() -> None:
    rows = [{"project": f"p{i}", "download_count": -1} for i in range(8)]
    with pytest.raises(DataError) as caught:
        parse_popularity({"rows": rows}, source="top.json")
    text = str(caught.value)
    assert "8 malformed row(s)" in text
    assert "row 5: 'download_count' must not be negative" in text
    assert "row 6:" not in text
    assert "... and 3 more" in text


_NAMES = st.sampled_from(["boto3", "Boto3", "foo_bar", "foo-bar", "a", "x--y", "-x", "", " ", "é"])
_COUNTS = st.one_of(st.integers(-2, 5), st.booleans(), st.none(), st.just("7"), st.just(1.0))
_ROWS: st.SearchStrategy[list[object]] = st.lists(
    st.one_of(
        st.fixed_dictionaries({"project": _NAMES, "download_count": _COUNTS}),
        st.fixed_dictionaries({"project": _NAMES}),
        st.just([]),
        st.text(max_size=3),
    ),
    max_size=8,
)


@given(_ROWS)
def test_the_column_reading_agrees_with_the_row_reading(rows: list[object]) -> None:
    from pipvet.index.popularity import _downloads, _plain_downloads

    plain = _plain_downloads(rows)
    by_row, problems = _downloads(rows)
    if plain is not None:  # taken only for lists the rows read without a problem
        assert problems == []
        assert plain == by_row
    # Either way, the table is the same.
    if rows and not problems:
        table = parse_popularity({"rows": rows})
        assert {e.name: e.downloads for e in table.entries} == by_row


@given(st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True), max_size=8))
def test_a_canonical_list_is_read_by_columns(names: list[str]) -> None:
    from pipvet.index.popularity import _plain_downloads

    rows: list[object] = [{"project": n, "download_count": i} for i, n in enumerate(names)]
    plain = _plain_downloads(rows)
    if names and len(set(names)) == len(names) and not any("--" in n for n in names):
        assert plain == {n: i for i, n in enumerate(names)}
    else:
        assert plain is None
