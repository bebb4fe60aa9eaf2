"""The parsed cache's copies (pipvet.index.parsed_cache): a project read back is the project
stored, its releases made one at a time (ReleaseTable) answer as a tuple of them does, a copy
written again from one read back is the same bytes, and a copy torn or grown is a miss."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipvet.frozen import replace
from pipvet.index.packed import EARLIEST, LATEST, DistFile, PackedFiles, pack
from pipvet.index.parse import OwnerRole, ProjectInfo, Release
from pipvet.index.parsed_cache import ParsedCache
from pipvet.index.release_table import (
    ReleaseTable,
    count_with_files,
    upload_times,
    yanked_versions,
)
from tests.support.parsed_copy import Copy

URL = "https://pypi.example/pypi/demo/json"

_TEXT = st.text(st.characters(blacklist_characters="\t\n"), max_size=6)
_TIMES = st.one_of(
    st.none(),
    st.floats(EARLIEST, LATEST),
    st.sampled_from([0.0, -0.0, EARLIEST, LATEST, 1_700_000_000.123456]),
)
_FILES = st.lists(
    st.builds(
        DistFile,
        _TEXT,
        st.sampled_from(["sdist", "bdist_wheel", ""]),
        _TIMES,
        st.booleans(),
        st.one_of(st.none(), st.sampled_from([">=3.8", "é"])),
    ),
    max_size=3,
)
_RELEASES = st.lists(
    st.builds(
        Release,
        st.text(st.characters(blacklist_characters="\n"), max_size=5),
        st.one_of(_FILES, _FILES.map(lambda files: PackedFiles(pack(files) or ""))),
        _TIMES,
        st.booleans(),
    ),
    max_size=8,
)


def _project(releases: Sequence[Release]) -> ProjectInfo:
    return ProjectInfo(
        name="demo",  # type: ignore[arg-type]
        display_name="Demo",
        version="1.0",
        summary="\ud800 a lone surrogate",
        releases=tuple(releases),
        roles=(OwnerRole("Owner", "someone"),),
        organization=None,
        project_urls=(("Source", "https://example.org"),),
        home_page=None,
        requires_dist=("six",),
        requires_python=">=3.8",
        license_expression="MIT",
        license=None,
        classifiers=(),
        author=None,
        source_url=URL,
    )


def _unrecoverable() -> ProjectInfo:
    raise AssertionError("a whole copy was found damaged")


def _stored(tmp: Path, project: ProjectInfo) -> tuple[ParsedCache, Path]:
    cache = ParsedCache(tmp)
    cache.store(URL, "0" * 64, 1_800_000_000.0, project)
    return cache, next(tmp.rglob("*.parsed"))


@settings(max_examples=200)
@given(_RELEASES, st.data())
def test_a_copy_reads_back_as_the_project_stored(
    tmp_path_factory: pytest.TempPathFactory, releases: list[Release], data: st.DataObject
) -> None:
    project = _project(releases)
    cache, path = _stored(tmp_path_factory.mktemp("parsed"), project)
    found = cache.fresh(URL, None, _unrecoverable)
    assert found is not None
    back, fetched_at = found
    assert back is not None
    assert fetched_at == 1_800_000_000.0
    assert isinstance(back.releases, ReleaseTable)
    assert back == project
    # The table answers from its columns what a tuple of the releases answers one by one.
    table, plain = back.releases, project.releases
    assert list(upload_times(table)) == list(upload_times(plain))
    assert yanked_versions(table) == yanked_versions(plain)
    assert count_with_files(table) == count_with_files(plain)
    # Made when asked for, in any order, by index (negative too) or slice.
    if plain:
        i = data.draw(st.integers(-len(plain), len(plain) - 1))
        assert table[i] == plain[i]
        assert (table[i].uploaded, table[i].yanked) == (plain[i].uploaded, plain[i].yanked)
    j, k = data.draw(st.integers(-9, 9)), data.draw(st.integers(-9, 9))
    assert table[j:k] == plain[j:k]
    assert len(table) == len(plain)
    assert [r.version for r in table] == [r.version for r in plain]
    # Written again from what was read (the index confirmed it): the same bytes; and from
    # the releases made of it (their files' bytes as read) too.
    whole = path.read_bytes()
    cache.store(URL, "0" * 64, 1_800_000_000.0, back)
    assert path.read_bytes() == whole
    cache.store(URL, "0" * 64, 1_800_000_000.0, replace(back, releases=tuple(back.releases)))
    assert path.read_bytes() == whole


@settings(max_examples=100)
@given(_RELEASES.filter(bool), st.data())
def test_a_copy_torn_or_grown_is_a_miss(
    tmp_path_factory: pytest.TempPathFactory, releases: list[Release], data: st.DataObject
) -> None:
    cache, path = _stored(tmp_path_factory.mktemp("parsed"), _project(releases))
    whole = path.read_bytes()
    cut = data.draw(st.integers(0, len(whole) - 1))
    path.write_bytes(whole[:cut])
    assert cache.fresh(URL, None, _unrecoverable) is None
    path.write_bytes(whole + data.draw(st.binary(min_size=1, max_size=3)))
    assert cache.fresh(URL, None, _unrecoverable) is None


def test_a_damaged_time_or_flag_is_a_miss(tmp_path: Path) -> None:
    files = (DistFile("demo-1.0.tar.gz", "sdist", 1_700_000_000.0),)
    releases = [
        Release("1.1", files, 1_700_000_100.0, False),
        Release("1.0", files, 1_700_000_000.0, False),
        Release("0.9", (), None, True),
        Release("0.8", files, 1_600_000_000.0, True),
    ]
    cache, path = _stored(tmp_path, _project(releases))
    whole = path.read_bytes()
    columns = Copy.read(whole).head["releases"]
    assert columns == {"yanked": "0011", "dated": "1101", "versions": 15}
    # Any one time that is none (nan is neither the least nor the greatest of the times).
    for at in range(3):
        for time in (float("nan"), float("inf"), -float("inf"), LATEST * 2, EARLIEST * 2):
            copy = Copy.read(whole)
            copy.times[at] = time
            path.write_bytes(copy.bytes())
            assert cache.fresh(URL, None, _unrecoverable) is None
    for flags in (
        {"yanked": "001"},  # a release short: the versions do not add up
        {"yanked": "00x1"},
        {"dated": "1111"},  # a time more than there are
        {"dated": "11?1"},
        {"dated": "1101x"},  # a flag too many, of no kind
    ):
        copy = Copy.read(whole)
        copy.head["releases"] = {**columns, **flags}
        path.write_bytes(copy.bytes())
        assert cache.fresh(URL, None, _unrecoverable) is None
    path.write_bytes(whole)
    assert cache.fresh(URL, None, _unrecoverable) is not None
    # No releases, and text where their versions would be.
    cache.store(URL, "0" * 64, 1_800_000_000.0, _project([]))
    copy = Copy.read(path.read_bytes())
    copy.versions, copy.head["releases"]["versions"] = b"1.0", 3
    path.write_bytes(copy.bytes())
    assert cache.fresh(URL, None, _unrecoverable) is None


def test_damaged_files_are_recovered_when_first_read(tmp_path: Path) -> None:
    files = (DistFile("demo-1.0.tar.gz", "sdist", 1_700_000_000.0),)
    project = _project([Release("1.0", files, 1_700_000_000.0, False)])
    cache, path = _stored(tmp_path, project)
    copy = Copy.read(path.read_bytes())
    for damaged in (b"\xff" + copy.files[0][1:], copy.files[0].replace(b"\t0\t", b"\tno\t")):
        copy.files[0] = damaged
        path.write_bytes(copy.bytes())
        found = cache.fresh(URL, None, lambda: project)
        assert found is not None
        assert found[0] is not None
        release = found[0].releases[0]
        assert release.files == files
        assert len(release.files) == 1


def test_a_version_with_a_line_break_keeps_no_copy(tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path)
    cache.store(URL, "0" * 64, 1.0, _project([Release("1.0\n2.0", (), None, False)]))
    assert not list(tmp_path.rglob("*.parsed"))
