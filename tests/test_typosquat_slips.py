"""A changed letter is judged by how it could have happened: a key next to the intended one
or one vowel for another is a slip; any other change is weaker evidence, and none at all at
the start of a name or in a short one. A letter put in front of a name is how derived
projects are named ("grequests"), not a slip."""

from __future__ import annotations

import random
import string

from hypothesis import given
from hypothesis import strategies as st

from pipvet.vetting.nearmiss import is_slip
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_model import TyposquatRules
from tests.test_typosquat import crafted

KEYS = string.ascii_lowercase + string.digits + "-"


def technique(index: TyposquatIndex, name: str) -> str | None:
    result = index.check(name)
    return None if result is None else result.technique


def test_neighbouring_keys_and_vowels_are_slips() -> None:
    assert is_slip("r", "t")  # same row
    assert is_slip("r", "d")  # the row below
    assert is_slip("r", "g")  # one key further, on the next row
    assert is_slip("3", "4")
    assert is_slip("o", "a")  # one vowel for another
    assert is_slip("y", "z")  # QWERTZ
    assert not is_slip("b", "x")
    assert not is_slip("s", "g")
    assert not is_slip("y", "p")
    assert not is_slip("d", "l")
    assert not is_slip("a", "_")  # not a key pipvet places


@given(st.sampled_from(KEYS), st.sampled_from(KEYS))
def test_a_slip_is_a_slip_both_ways(a: str, b: str) -> None:
    assert is_slip(a, b) == is_slip(b, a)


def test_a_first_letter_or_a_short_name_needs_a_slip() -> None:
    index = crafted("boto3", "sqlalchemy", "scipy", "tomli")
    assert technique(index, "voto3") == "substitution"  # b -> v: the next key
    assert technique(index, "xoto3") is None  # b -> x: no slip, and the first letter
    assert technique(index, "gqlalchemy") is None
    assert technique(index, "scipu") == "substitution"  # y -> u
    assert technique(index, "scipp") is None  # five letters, y -> p
    assert technique(index, "tomki") == "substitution"
    assert technique(index, "tombi") is None
    assert technique(index, "sqlalchemu") == "substitution"
    assert technique(index, "sqlalchemp") == "substitution"  # ten letters: still counts


def test_a_slip_counts_against_the_medium_tier_any_other_change_the_weak_one() -> None:
    rules = TyposquatRules(strong_tier=5, medium_tier=3, weak_tier=1, first_letter_tier=1)
    index = crafted("requests", "numpy", "django", rules=rules)
    assert technique(index, "diango") == "substitution"  # j -> i, rank 3
    assert technique(index, "djanga") == "substitution"  # o -> a
    assert technique(index, "dxango") is None  # j -> x at rank 3: the weak tier is 1


def test_a_letter_put_in_front_is_a_derived_name() -> None:
    index = crafted("requests", "pytest")
    assert technique(index, "grequests") is None
    assert technique(index, "ipytest") is None
    assert technique(index, "requestss") == "repeated-letter"
    assert technique(index, "equests") == "deletion"  # a missing first letter still counts


def test_the_first_two_letters_of_a_short_name_swapped_need_a_top_target() -> None:
    rules = TyposquatRules(first_letter_tier=1)
    index = crafted("filler", "adal", rules=rules)
    assert technique(index, "daal") is None
    assert technique(index, "adla") == "transposition"
    long_names = crafted("filler", "sniffio", rules=rules)
    assert technique(long_names, "nsiffio") == "transposition"  # long names: any position


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c-d", "C_d", "e.f", "zz", "y"]), st.integers(0, 5)),
        max_size=12,
    )
)
def test_ranking_is_by_count_then_name_whatever_the_input_order(
    pairs: list[tuple[str, int]],
) -> None:
    from pipvet.models import canonicalize_name
    from pipvet.vetting.typosquat_build import rank_popular

    best: dict[str, int] = {}
    for name, count in pairs:
        canonical = canonicalize_name(name)
        best[canonical] = max(count, best.get(canonical, 0))
    expected = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    names, counts = rank_popular(pairs)
    assert list(zip(names, counts, strict=True)) == expected


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c-d", "e", "zz", "y", "x-1"]), st.integers(0, 3)),
    st.randoms(use_true_random=False),
)
def test_a_ranked_list_is_kept_and_an_unranked_one_is_sorted(
    best: dict[str, int], rng: random.Random
) -> None:
    from pipvet.vetting.typosquat_build import rank_popular

    # What the popularity cache hands over (canonical, unique, ranked), and the same pairs in
    # another order: the same ranking either way, ties by name.
    expected = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    shuffled = list(expected)
    rng.shuffle(shuffled)
    for pairs in (expected, shuffled):
        names, counts = rank_popular(pairs)
        assert list(zip(names, counts, strict=True)) == expected
