"""Version clauses matched by ``pipvet.vetting.clauses`` against packaging's ``SpecifierSet``,
which it stands in for on a vet's path: the texts it reads are specifier sets, their
pre-release flag the same, and every version it decides it decides as ``contains(...,
prereleases=True)``; the release ``select_release`` picks from a clause text is the one it
picks from the ``SpecifierSet``."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pipvet import pep440
from pipvet.index.parse import DistFile, ProjectInfo, Release
from pipvet.models import NormalizedName
from pipvet.vetting import clauses
from pipvet.vetting.wheels import select_release

SPEC_VERSIONS = st.sampled_from(
    ["1", "1.0", "1.0.0", "2", "2.0", "2.1", "1.2.3", "0", "3.8", "3.11", "1.0a1", "2.0a0",
     "2.0rc1", "2.0b2", "1.*", "1.0.*", "2.*", "1.0.post1", "1.0.dev0", "1!1.0", "1.0+local",
     "01.2", "1.0A1", "1.0-rc1", "1..0", "", "a", "1.0 1", "1.*.0", "3.11.7"]
)  # fmt: skip
OPERATORS = st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "=", ""])
CANDIDATES = st.sampled_from(
    ["1", "1.0", "1.0.0", "1.0.1", "1.1", "2", "2.0", "2.0.0", "2.0a0", "2.0a1", "2.0rc1",
     "2.0.post1", "2.0.dev0", "2.0.0.dev0", "1.9", "1.9.9", "0.9", "1!1.0", "1!2.0", "3.8",
     "3.8.0", "3.8.1", "3.11", "3.11.7", "3.12", "1.0+local", "2.0+x", "1.2.3", "1.2.3a1",
     "1.2.3.post2", "1.2", "1.3.dev0", "1.2.dev0", "0", "10.0", "1.0-1", "v1.0", "1.0rc1.dev2",
     "not a version", "3.13.0rc1", "1.0.post1.dev1"]
)  # fmt: skip


@st.composite
def spec_texts(draw: st.DrawFn) -> str:
    space = st.sampled_from(["", "", " "])
    parts = [
        f"{draw(space)}{draw(OPERATORS)}{draw(space)}{draw(SPEC_VERSIONS)}{draw(space)}"
        for _ in range(draw(st.integers(1, 3)))
    ]
    return ",".join(parts)


def check(text: str, candidates: list[str]) -> None:
    read = clauses.read(text)
    if read is None:
        return  # SpecifierSet decides
    specifier = SpecifierSet(text)  # what is read is a specifier set: this must not raise
    assert clauses.prereleases(read) == bool(specifier.prereleases), text
    for candidate in candidates:
        parts = pep440.parse(candidate)
        if parts is None:
            continue
        mine = clauses.contains(read, parts)
        if mine is not None:
            expected = specifier.contains(Version(candidate), prereleases=True)
            assert mine == expected, (text, candidate)


@given(spec_texts(), st.lists(CANDIDATES, min_size=1, max_size=8))
@example(">1.0", ["1.0.post1", "1.0.1", "1.0+local"])
@example("<2.0", ["2.0a1", "2.0.dev0", "1.9"])
@example("<2.0a0", ["2.0.dev0", "1.9", "2.0a0"])
@example("<=2.0a0", ["2.0.dev0", "2.0a0", "2.0a1"])
@example("~=1.0", ["1.5", "2.0", "1.0", "1!1.5"])
@example("==1.0.*", ["1.0.5a1", "1.0", "1", "1.1.dev0"])
@example("!=3.0.*", ["3.0.1", "3.1"])
@example("!=2.0a0", ["2.0a0"])
@example(">=1.0,!=2.0a0", ["2.0a0"])
def test_clauses_match_as_a_specifier_set_does(text: str, candidates: list[str]) -> None:
    check(text, candidates)


@given(st.text(alphabet="<>=!~*.,0123456789ab ", max_size=12), st.lists(CANDIDATES, max_size=4))
def test_any_text_is_matched_as_packaging_matches_it_or_left_to_it(
    text: str, candidates: list[str]
) -> None:
    check(text, candidates)


@pytest.mark.parametrize(
    "text",
    [">=1.0.post1", ">1.0a1", "~=1", "===1.0", "==1.0+local", ">=1.*", "~=1.0.*", "<=1.0rc1.dev1",
     ">=1!1.0", ">=1.0A1", ">=1.0,", ",>=1.0", ">= 1.0 ,, <2", "\t>=1.0", ">=\u0661"],
)  # fmt: skip
def test_other_clauses_are_left_to_packaging(text: str) -> None:
    assert clauses.read(text) is None


def test_a_local_label_is_left_to_packaging() -> None:
    read = clauses.read(">=1.0")
    parts = pep440.parse("1.0+local")
    assert read is not None
    assert parts is not None
    assert clauses.contains(read, parts) is None


# --------------------------------------------------------------------------- select_release

_FILE_PYTHON = st.sampled_from(
    [None, "", ">=3.8", ">=3.12", "<3", ">=2.7, !=3.0.*, !=3.1.*", "~=3.11", ">=3.8.*", "nope",
     ">=3.11.7", "<3.11.7", "!=3.11.*", ">3.11"]
)  # fmt: skip


@st.composite
def projects(draw: st.DrawFn) -> ProjectInfo:
    versions = draw(st.lists(CANDIDATES, max_size=6, unique=True))
    releases = []
    for version in versions:
        files = tuple(
            DistFile(f"x-{version}.tar.gz", "sdist", None, draw(st.booleans()), draw(_FILE_PYTHON))
            for _ in range(draw(st.integers(0, 2)))
        )
        releases.append(Release.of(version, files))

    def order(release: Release) -> Version:
        try:
            return Version(release.version)
        except InvalidVersion:
            return Version("0.0.dev0")

    releases.sort(key=order, reverse=True)
    name = NormalizedName("x")
    return ProjectInfo(
        name, "x", "1.0", "", tuple(releases), (), None, (), None, (), None, None, None, (), None,
        "",
    )  # fmt: skip


@given(
    projects(),
    spec_texts() | st.sampled_from(["", ">=1.0", "<2.0a0", "==2.0.*", "~=1.0"]),
    st.sampled_from([None, "3.11.7", "3.8.0", "3.13.0rc1", "3.11.7+", "3.12"]),
)
def test_the_same_release_as_from_the_specifier_set(
    project: ProjectInfo, text: str, python: str | None
) -> None:
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier:
        return
    chosen = select_release(project, text, python_version=python)
    assert chosen == select_release(project, specifier, python_version=python)


def _releases(*versions: tuple[str, bool, str | None]) -> ProjectInfo:
    releases = tuple(
        Release.of(v, (DistFile(f"x-{v}.tar.gz", "sdist", None, yanked, python),))
        for v, yanked, python in versions
    )
    return ProjectInfo(
        NormalizedName("x"), "x", "1.0", "", releases, (), None, (), None, (), None, None, None,
        (), None, "",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("releases", "text", "python", "expected"),
    [
        # A clause naming a pre-release takes pre-releases as they come.
        ((("2.0rc1", False, None), ("1.9", False, None)), "<=2.0rc1", None, "2.0rc1"),
        ((("2.0rc1", False, None), ("1.9", False, None)), "<=2.0", None, "1.9"),
        # A yanked release counts for an exact pin only.
        ((("1.0", True, None), ("0.9", False, None)), "==1.0", None, "1.0"),
        ((("1.0", True, None), ("0.9", False, None)), ">=0.9", None, "0.9"),
        # A Python version packaging cannot read refuses nothing; one it can is checked.
        ((("2.0", False, ">=3.12"), ("1.0", False, None)), "", "3.11.7+", "2.0"),
        ((("2.0", False, ">=3.12"), ("1.0", False, None)), "", "3.11.7", "1.0"),
    ],
)
def test_these_releases_are_chosen(
    releases: tuple[tuple[str, bool, str | None], ...],
    text: str,
    python: str | None,
    expected: str,
) -> None:
    project = _releases(*releases)
    for spec in (text, SpecifierSet(text)):
        chosen = select_release(project, spec, python_version=python)
        assert chosen is not None
        assert chosen.version == expected
