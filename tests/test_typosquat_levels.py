"""Typosquat rules that weigh the length of a name, its first letters and the popularity of
the name being checked: two edits, moved blocks of letters, short names, popular candidates."""

from __future__ import annotations

from pipvet.vetting.nearmiss import moved_blocks
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_model import TyposquatRules
from tests.test_typosquat import _technique, crafted


def test_two_edits_need_a_long_single_word_name_with_its_first_letters_kept() -> None:
    index = crafted("requests", "botocore", "pytest-cov")
    assert _technique(index, "requestsaa") == "two-edits"  # two letters added
    assert _technique(index, "requetses") == "two-edits"  # a swap and an added letter
    assert _technique(index, "botoceor") == "two-edits"
    assert _technique(index, "moocore") is None  # the start of the name changed
    assert _technique(index, "pytest-cpp") is None  # another word in a many-word name
    assert _technique(index, "reqsts") is None  # too short: six letters


def test_two_edits_in_a_name_under_ten_letters_need_a_top_target() -> None:
    rules = TyposquatRules(short_two_edit_tier=1)
    index = crafted("requests", "colorama", "matplotlib", rules=rules)
    assert _technique(index, "requestsaa") == "two-edits"  # rank 1
    assert _technique(index, "colouramas") is None  # rank 2, eight letters
    assert _technique(index, "matplobblib") == "two-edits"  # rank 3, ten letters


def test_a_moved_block_of_letters_is_word_order() -> None:
    assert moved_blocks("matlibplot", "matplotlib") == ("plot", "lib")
    assert moved_blocks("matplotlib", "matplotlib") is None
    assert moved_blocks("matplotlbi", "matplotlib") is None  # one letter moved is a swap
    index = crafted("matplotlib", "pygithub")
    assert _technique(index, "matlibplot") == "word-order"
    assert _technique(index, "githubpy") is None  # the start of the name moved


def test_swaps_in_short_names_need_a_more_popular_target() -> None:
    index = crafted("tqdm", "numpy", rules=TyposquatRules(short_tier=1))
    assert _technique(index, "tdqm") == "transposition"  # rank 1
    assert _technique(index, "nupmy") == "transposition"  # five letters: the strong tier
    index = crafted("numpy", "tqdm", rules=TyposquatRules(short_tier=1))
    assert _technique(index, "tdqm") is None  # rank 2: another acronym, as often as not


def test_a_doubled_first_letter_needs_one_of_the_most_popular_targets() -> None:
    rules = TyposquatRules(first_letter_tier=1)
    index = crafted("requests", "chardet", rules=rules)
    assert _technique(index, "rrequests") == "repeated-letter"
    assert _technique(index, "cchardet") is None
    assert _technique(index, "charrdet") == "repeated-letter"


def _with_listed(candidate: str, downloads: int, *targets: str) -> TyposquatIndex:
    pairs = [(target, 10**10) for target in targets] + [(candidate, downloads)]
    return TyposquatIndex.build(pairs)


def test_a_listed_candidate_gets_a_review_note_unless_it_is_a_look_alike() -> None:
    unlisted = crafted("requests").check("requestes")
    assert unlisted is not None
    assert unlisted.level == "avoid"
    listed = _with_listed("requestes", 10**7, "requests").check("requestes")
    assert listed is not None
    assert (listed.technique, listed.level) == ("insertion", "review")
    assert "make sure it is the one you meant. Did you mean requests?" in listed.message
    homoglyph = _with_listed("c1ick", 10**7, "click").check("c1ick")
    assert homoglyph is not None
    assert (homoglyph.technique, homoglyph.level) == ("homoglyph", "avoid")


def test_an_import_name_in_real_use_is_a_review_note() -> None:
    in_use = _with_listed("zmq", 10**9 + 1, "pyzmq").check("zmq")  # 1/10 of the downloads
    assert in_use is not None
    assert (in_use.kind, in_use.level) == ("import-name", "review")
    assert "is popular too (rank 2" in in_use.message
    placeholder = _with_listed("sklearn", 10**9 - 1, "scikit-learn").check("sklearn")
    assert placeholder is not None
    assert (placeholder.kind, placeholder.level) == ("import-name", "avoid")
