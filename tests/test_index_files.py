"""The file list of an index answer: the fast reading of each entry gives exactly what the
field-by-field reading gives, the same files or the same error naming the bad field."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipvet.errors import DataError
from pipvet.index.packed import PackedFiles, pack
from pipvet.index.parse import DistFile, Release, _file, _files, _packed

URL = "https://pypi.example/pypi/demo/json"

_VALUES = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(
        ["2024-01-02T03:04:05.678901Z", "2024-01-02T03:04:05", "2019-05-06T07:08:09+02:00",
         "not a date", "", "demo-1.0-py3-none-any.whl", ">=3.8"]
    ),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=2), max_size=2),
)  # fmt: skip
_KEYS = ["filename", "packagetype", "upload_time_iso_8601", "upload_time", "yanked",
         "requires_python"]  # fmt: skip
_ENTRIES = st.one_of(
    st.dictionaries(st.sampled_from(_KEYS), _VALUES),
    st.lists(st.integers(), max_size=1),
    st.text(max_size=3),
)


def _one_by_one(items: list[object]) -> tuple[DistFile, ...] | str:
    try:
        return tuple(_file(item, "releases.1.0", i, URL) for i, item in enumerate(items))
    except DataError as exc:
        return str(exc)


def _fast(items: list[object]) -> tuple[DistFile, ...] | str:
    try:
        return _files(items, "releases.1.0", URL)
    except DataError as exc:
        return str(exc)


@given(st.lists(_ENTRIES, max_size=4))
def test_the_fast_reading_equals_the_checked_one(items: list[object]) -> None:
    assert _fast(items) == _one_by_one(items)


def test_a_real_entry_and_a_bad_one() -> None:
    good = {
        "filename": "demo-1.0.tar.gz",
        "packagetype": "sdist",
        "upload_time_iso_8601": "2024-01-02T03:04:05.5Z",
        "yanked": True,
        "requires_python": ">=3.9",
    }
    assert _files([good], "urls", URL) == (
        DistFile("demo-1.0.tar.gz", "sdist", 1704164645.5, True, ">=3.9"),
    )
    bad = {**good, "upload_time_iso_8601": "yesterday"}
    assert "'releases.1.0[1].upload_time_iso_8601' is not a date: 'yesterday'" in str(
        _fast([good, bad])
    )


_TIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.sampled_from(
        ["2024-01-02T03:04:05Z", "2024-13-02T03:04:05Z", "2024-01-02T03:04:05",
         "2024-01-02Z03:04:05Z", "2019-05-06T07:08:09+02:00", "", "Z"]
    ),
    _VALUES,
)  # fmt: skip
_TEXTS = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["a\tb", "a\nb", "x.whl"]))
_USUAL = st.fixed_dictionaries(
    {"filename": _TEXTS, "packagetype": _TEXTS, "upload_time_iso_8601": _TIMES},
    optional={"requires_python": _TEXTS, "yanked": st.one_of(st.booleans(), st.none()),
              "upload_time": _VALUES},
)  # fmt: skip


@settings(max_examples=300)  # about a tenth of the lists are usual ones
@given(st.lists(st.one_of(_USUAL, _ENTRIES), max_size=5))
def test_a_release_read_by_columns_equals_one_read_entry_by_entry(items: list[object]) -> None:
    packed = _packed(items)
    if packed is None:
        return  # read entry by entry: the test above
    files, uploaded, yanked = packed
    expected = Release.of("1.0", _files(items, "releases.1.0", URL))
    assert tuple(files) == tuple(expected.files)
    assert len(files) == len(expected.files)
    assert (uploaded, yanked) == (expected.uploaded, expected.yanked)
    # What the parsed cache stores gives the same files back.
    assert tuple(PackedFiles(pack(files) or "")) == tuple(expected.files)


def test_the_usual_release_is_read_by_columns() -> None:
    entry = {
        "filename": "demo-1.0-py3-none-any.whl",
        "packagetype": "bdist_wheel",
        "upload_time_iso_8601": "2024-01-02T03:04:05.500000Z",
        "upload_time": "2024-01-02T03:04:05",
        "yanked": False,
        "requires_python": None,
    }
    later = {**entry, "filename": "demo-1.0.tar.gz", "upload_time_iso_8601": "2024-01-03T00:00:00Z"}
    packed = _packed([later, entry])
    assert packed is not None
    files, uploaded, yanked = packed
    assert (len(files), uploaded, yanked) == (2, 1704164645.5, False)
    assert files[1] == DistFile("demo-1.0-py3-none-any.whl", "bdist_wheel", 1704164645.5)


@pytest.mark.parametrize("project", ["boto3", "numpy", "black", "pycrypto"])
def test_every_recorded_release_is_read_by_columns(shared_data: Path, project: str) -> None:
    # The index's own answers take the column reading, and it gives what the field-by-field
    # reading gives (2,000 releases of boto3; numpy's wheels; black's yanked ones).
    doc = json.loads(gzip.decompress((shared_data / "pypi" / f"{project}.json.gz").read_bytes()))
    for version, items in doc["releases"].items():
        if not items:
            continue
        packed = _packed(items)
        assert packed is not None, version
        files, uploaded, yanked = packed
        expected = Release.of(version, _files(items, f"releases.{version}", URL))
        assert tuple(files) == expected.files
        assert (uploaded, yanked) == (expected.uploaded, expected.yanked)


_ENTRY = {
    "filename": "demo-1.0-py3-none-any.whl",
    "packagetype": "bdist_wheel",
    "upload_time_iso_8601": "2024-01-02T03:04:05.500000Z",
    "yanked": False,
    "requires_python": None,
}


@pytest.mark.parametrize(
    "changes",
    [
        [{}, {"requires_python": ">=3.9"}],
        [{"yanked": True}, {"yanked": True}],
        [{"yanked": True}, {}],
        [{"yanked": 0}, {"yanked": None}, {"yanked": 1}, {"yanked": "true"}],
        [{"filename": None, "packagetype": None}, {}],
        [{"requires_python": ""}],
    ],
)
def test_usual_variations_are_read_by_columns(changes: list[dict[str, object]]) -> None:
    items: list[object] = [{**_ENTRY, **change} for change in changes]
    left_out = {k: v for k, v in _ENTRY.items() if k not in ("yanked", "requires_python")}
    for entries in (items, [left_out, *items]):  # a mirror leaving fields out too
        packed = _packed(entries)
        assert packed is not None
        files, uploaded, yanked = packed
        expected = Release.of("1.0", _files(entries, "releases.1.0", URL))
        assert tuple(files) == expected.files
        assert (uploaded, yanked) == (expected.uploaded, expected.yanked)


@pytest.mark.parametrize(
    "change",
    [
        {"filename": 5},
        {"packagetype": ["sdist"]},
        {"requires_python": {">=": 3}},
        {"requires_python": False},
        {"upload_time_iso_8601": None},
        {"upload_time_iso_8601": "2024-01-02T03:04:05+00:00"},
        {"upload_time_iso_8601": "2024-01-02T03:04:05Z\n2024-01-02T03:04:05"},
        {"upload_time_iso_8601": "2024-01-02T03:04:05ZZ"},
        {"upload_time_iso_8601": "2024-02-30T03:04:05Z"},
        {"filename": "a\tb"},
    ],
)
def test_anything_else_is_read_entry_by_entry(change: dict[str, object]) -> None:
    for items in ([{**_ENTRY, **change}], [_ENTRY, {**_ENTRY, **change}], [_ENTRY, "x"]):
        assert _packed(items) is None


_LINES = st.lists(
    st.sampled_from(
        [
            "a-1.0-py3-none-any.whl\tbdist_wheel\t1700000000.0\t0\t>=3.8",
            "a-1.0.tar.gz\tsdist\t\t1\t",
            "é-1.0.zip\tsdist\t2024-01-02T03:04:05Z\t0\t",
            "broken line",
            "x\ty\tz\t2\t",
            "",
        ]
    ),
    max_size=4,
).map("\n".join)


@settings(max_examples=300)
@given(st.lists(_LINES, min_size=1, max_size=4), st.integers(0, 3))
def test_a_release_in_a_shared_text_is_the_release_cut_out(texts: list[str], at: int) -> None:
    # The parsed cache hands each release its span of one text of the whole answer; that
    # must read as the release's own text would, damage (and its recovery) included.
    at = min(at, len(texts) - 1)
    shared = "".join(texts)
    start = sum(map(len, texts[:at]))
    end = start + len(texts[at])
    recovered = (DistFile("r-1.0.tar.gz", "sdist", None),)

    # And in the UTF-8 bytes of that text (as a copy is read from its file), spans in bytes.
    encoded = [t.encode() for t in texts]
    byte_start = sum(map(len, encoded[:at]))
    byte_span = (byte_start, byte_start + len(encoded[at]))

    def both() -> list[PackedFiles]:
        return [
            PackedFiles(texts[at], None, lambda _v: recovered, "1.0"),
            PackedFiles(shared, None, lambda _v: recovered, "1.0", (start, end)),
            PackedFiles(b"".join(encoded), None, lambda _v: recovered, "1.0", byte_span),
        ]

    cut, spanned, read = both()
    assert (len(spanned), bool(spanned)) == (len(read), bool(read)) == (len(cut), bool(cut))
    assert spanned.encoded == read.encoded == cut.encoded == encoded[at]
    assert spanned.packed == read.packed == cut.packed == texts[at]
    assert tuple(spanned) == tuple(read) == tuple(cut)
    assert len(spanned) == len(read) == len(cut)  # after unpacking (recovery sets the count)
    cut, spanned, read = both()
    assert pack(spanned) == pack(read) == pack(cut)
    assert list(spanned) == list(read) == list(cut)
    # Iterating (the unpacked files at once) gives what indexing them one by one gives.
    assert list(read) == list(itertools.takewhile(bool, map(_at(read), itertools.count())))


def _at(files: PackedFiles) -> Callable[[int], DistFile | None]:
    def at(i: int) -> DistFile | None:
        try:
            return files[i]
        except IndexError:
            return None

    return at


def test_bytes_that_are_not_utf8_are_damage() -> None:
    recovered = (DistFile("r-1.0.tar.gz", "sdist", None),)
    damaged = PackedFiles(b"x\xff\tsdist\t\t0\t", None, lambda _v: recovered, "1.0")
    assert len(damaged) == 1
    assert pack(damaged) is None  # nothing kept of it
    assert tuple(damaged) == recovered
    with pytest.raises(UnicodeDecodeError):
        tuple(PackedFiles(b"x\xff\tsdist\t\t0\t"))
