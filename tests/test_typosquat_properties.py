"""Properties of the typosquat detector, checked against the real popularity list."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from pipvet.index.popularity import PopularityTable, parse_popularity
from pipvet.vetting.import_names import IMPORT_NAME_TO_DISTRIBUTION
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_build import NameKeys
from pipvet.vetting.typosquat_model import TyposquatResult

POPULARITY_FILE = "top-pypi-packages-30-days.min.json"
TOP_TIER = 5_000

# Module-scoped fixtures are built once; hypothesis may call the test body many times.
FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@pytest.fixture(scope="module")
def table(shared_data: Path) -> PopularityTable:
    return parse_popularity((shared_data / POPULARITY_FILE).read_bytes(), source=POPULARITY_FILE)


@pytest.fixture(scope="module")
def index(table: PopularityTable) -> TyposquatIndex:
    return TyposquatIndex.build(table.top())


@pytest.fixture(scope="module")
def top_names(table: PopularityTable) -> list[str]:
    return [entry.name for entry in table.entries[:TOP_TIER]]


def summary(result: TyposquatResult | None) -> tuple[str, str, str] | None:
    return None if result is None else (result.kind, result.technique, result.target)


@FIXTURES
@given(data=st.data())
def test_a_top_tier_name_is_never_called_a_squat(
    index: TyposquatIndex, top_names: list[str], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(top_names))
    result = index.check(name)
    # Import names and standard-library names that are themselves popular projects are still
    # reported as such; being a near miss of another popular name is what never happens here.
    assert result is None or result.kind in ("import-name", "stdlib")


@FIXTURES
@given(data=st.data())
def test_an_adjacent_swap_in_a_popular_long_name_is_caught(
    index: TyposquatIndex, table: PopularityTable, top_names: list[str], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from([n for n in top_names if len(n) >= 6]))
    at = data.draw(st.integers(min_value=0, max_value=len(name) - 2))
    swapped = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    canonical = canonicalize_name(swapped)
    assume(canonical != name and table.lookup(canonical) is None)
    assume(canonical == swapped)  # a swap next to '-' can leave an invalid or merged name

    result = index.check(swapped)

    assert result is not None
    assert result.kind == "typosquat"
    expected = IMPORT_NAME_TO_DISTRIBUTION.get(name, name)  # "slkearn" -> scikit-learn
    if result.target != expected:
        # The swap landed just as close to another popular name ("mypy-boto3-map" is a swap
        # of both "-mpa" and "-amp"): still flagged, with evidence as strong as a swap.
        assert result.technique in ("transposition", "homoglyph")
    else:
        # "zopfil" for "zopfli" is a swap that also reads alike (i/l): either name fits.
        assert result.technique in ("transposition", "homoglyph", "separator")


separators = st.sampled_from(["-", "_", ".", "--", "_.", "-_-"])


@st.composite
def respellings(draw: st.DrawFn, name: str) -> str:
    """``name`` with random letter case and random separator runs: the same project."""
    words = name.split("-")
    cased = ["".join(c.upper() if draw(st.booleans()) else c for c in word) for word in words]
    spelled = cased[0]
    for word in cased[1:]:
        spelled += draw(separators) + word
    return spelled


@FIXTURES
@given(data=st.data())
def test_spelling_never_changes_the_finding(
    index: TyposquatIndex, top_names: list[str], data: st.DataObject
) -> None:
    near_misses = ["colourama", "python3-dateutil", "reqeusts", "scikit-laern", "sklearn"]
    name = data.draw(st.sampled_from(near_misses + top_names[:300] + ["foo-bar-baz"]))
    variant = data.draw(respellings(name))
    assert canonicalize_name(variant) == name
    assert summary(index.check(variant)) == summary(index.check(name))


@FIXTURES
@given(
    name=st.from_regex(r"[a-z][a-z0-9]{0,6}([-_.][a-z0-9]{1,6}){0,2}", fullmatch=True),
    data=st.data(),
)
def test_canonicalisation_invariance_for_arbitrary_names(
    index: TyposquatIndex, name: str, data: st.DataObject
) -> None:
    canonical = canonicalize_name(name)
    variant = data.draw(respellings(canonical))
    assert summary(index.check(variant)) == summary(index.check(canonical))
    result = index.check(variant)
    assert result is None or result.name == canonical


class _EveryKeyDeleted(TyposquatIndex):
    """The index as it was first written: one-letter deletions of every key, not only of the
    keys whose targets rank high enough for a deletion or substitution to count."""

    def _build(self) -> NameKeys:
        self._deletes_tier = self.rules.target_tier
        return super()._build()


@pytest.fixture(scope="module")
def reference(table: PopularityTable) -> TyposquatIndex:
    return _EveryKeyDeleted.build(table.top())


_EDITS = st.sampled_from(["delete", "insert", "substitute", "swap", "look-alike", "double"])


@FIXTURES
@given(data=st.data())
def test_deletions_only_for_popular_targets_change_no_answer(
    index: TyposquatIndex,
    reference: TyposquatIndex,
    top_names: list[str],
    data: st.DataObject,
) -> None:
    name = data.draw(st.sampled_from(top_names))
    at = data.draw(st.integers(min_value=0, max_value=len(name) - 1))
    letter = data.draw(st.sampled_from("abcdeilmnorstuy0135-"))
    edit = data.draw(_EDITS)
    lookalike = {"l": "1", "1": "l", "i": "l", "o": "0", "0": "o", "s": "5", "e": "3"}
    candidate = {
        "delete": name[:at] + name[at + 1 :],
        "insert": name[:at] + letter + name[at:],
        "substitute": name[:at] + letter + name[at + 1 :],
        "swap": name[:at] + name[at + 1 : at + 2] + name[at] + name[at + 2 :],
        "look-alike": name[:at] + lookalike.get(name[at], name[at]) + name[at + 1 :],
        "double": name[:at] + name[at] + name[at:],
    }[edit]
    assume(candidate)
    assert index.check(candidate) == reference.check(candidate)
    assert index._deletes_tier < reference._deletes_tier  # the two really differ
