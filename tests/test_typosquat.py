"""The typosquat detector on the real popularity list and on small crafted lists."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pipvet.index.popularity import PopularityTable, parse_popularity
from pipvet.vetting.nearmiss import affix_cores, classify_edit, homoglyph_fold, osa_distance
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_model import TyposquatRules

POPULARITY_FILE = "top-pypi-packages-30-days.min.json"


@pytest.fixture(scope="module")
def table(shared_data: Path) -> PopularityTable:
    return parse_popularity((shared_data / POPULARITY_FILE).read_bytes(), source=POPULARITY_FILE)


@pytest.fixture(scope="module")
def index(table: PopularityTable) -> TyposquatIndex:
    return TyposquatIndex.build(table.top())


def crafted(*names: str, rules: TyposquatRules | None = None) -> TyposquatIndex:
    """An index of ``names``, most popular first, each 10 times as popular as the next."""
    count = 10 ** (len(names) + 6)
    pairs = []
    for name in names:
        pairs.append((name, count))
        count //= 10
    return TyposquatIndex.build(pairs, rules=rules)


# ---------------------------------------------------------------- the real list


@pytest.mark.parametrize(
    ("name", "technique", "target"),
    [
        ("colourama", "insertion", "colorama"),
        ("reqeusts", "transposition", "requests"),
        ("python3-dateutil", "prefix-suffix", "python-dateutil"),
        ("jeIlyfish", "homoglyph", "jellyfish"),
        ("urlib3", "deletion", "urllib3"),
        ("setup-tools", "separator", "setuptools"),
        ("pythondateutil", "separator", "python-dateutil"),
        ("dateutil-python", "word-order", "python-dateutil"),
        ("reqquests", "repeated-letter", "requests"),
        ("requezts", "substitution", "requests"),
        ("typing-extension", "deletion", "typing-extensions"),
        ("rnatplotlib", "homoglyph", "matplotlib"),
        ("vvheel", "homoglyph", "wheel"),
        ("c1ick", "homoglyph", "click"),
        ("python-requests", "prefix-suffix", "requests"),
        ("numpy-py", "prefix-suffix", "numpy"),
        ("requests2", "version-digits", "requests"),
        ("urllib", "version-digits", "urllib3"),
        ("requestsaa", "two-edits", "requests"),
        ("colouramas", "two-edits", "colorama"),
        ("matlibplot", "word-order", "matplotlib"),
        ("sklearns", "insertion", "scikit-learn"),
        ("google-cloud-storgae", "transposition", "google-cloud-storage"),
    ],
)
def test_near_misses_of_popular_names(
    index: TyposquatIndex, name: str, technique: str, target: str
) -> None:
    result = index.check(name)
    assert result is not None
    assert (result.kind, result.technique, result.target) == ("typosquat", technique, target)
    assert result.level == "avoid"
    assert result.did_you_mean == target
    assert result.message.endswith(f"Did you mean {target}?")


def test_squat_result_carries_both_popularity_figures(index: TyposquatIndex) -> None:
    result = index.check("colourama")
    assert result is not None
    assert result.name == "colourama"
    assert result.detail == "extra 'u'"
    assert (result.target_rank, result.target_downloads) == (65, 386_047_995)
    assert (result.candidate_rank, result.candidate_downloads) == (None, None)
    assert result.message == (
        "'colourama' looks like a mistyped 'colorama' (extra letter: extra 'u'). 'colorama' "
        "ranks 65 with 386,047,995 downloads a month; 'colourama' is not among the 15,000 most "
        "downloaded projects. Names like this are registered to catch typos, and installing "
        "one runs its code with your permissions. Did you mean colorama?"
    )


def test_message_quotes_the_name_as_typed(index: TyposquatIndex) -> None:
    result = index.check("  jeIlyfish ")
    assert result is not None
    assert result.name == "jeilyfish"
    assert result.message.startswith("'jeIlyfish' looks like a mistyped 'jellyfish'")


@pytest.mark.parametrize(
    "name",
    ["requests", "pandas", "numpy", "REQUESTS", "Typing_Extensions", "black", "fastapi", ""],
)
def test_popular_and_empty_names_are_not_flagged(index: TyposquatIndex, name: str) -> None:
    assert index.check(name) is None


def test_no_name_in_the_top_5000_is_called_a_squat(
    index: TyposquatIndex, table: PopularityTable
) -> None:
    flagged = [
        e.name
        for e in table.entries[:5000]
        if (result := index.check(e.name)) is not None and result.kind == "typosquat"
    ]
    assert flagged == []


@pytest.mark.parametrize(
    ("name", "distribution"),
    [
        ("sklearn", "scikit-learn"),
        ("cv2", "opencv-python"),
        ("bs4", "beautifulsoup4"),
        ("yaml", "pyyaml"),
        ("PIL", "pillow"),
        ("dateutil", "python-dateutil"),
        ("attr", "attrs"),
        ("jwt", "pyjwt"),
        ("Crypto", "pycryptodome"),
        ("dotenv", "python-dotenv"),
        ("skimage", "scikit-image"),
        ("docx", "python-docx"),
    ],
)
def test_import_names_point_to_their_distribution(
    index: TyposquatIndex, name: str, distribution: str
) -> None:
    result = index.check(name)
    assert result is not None
    assert (result.kind, result.technique, result.level) == ("import-name", "import-name", "avoid")
    assert result.target == distribution
    assert result.did_you_mean == distribution
    assert f"the package that provides it is {distribution!r}" in result.message
    assert result.message.endswith(f"Did you mean {distribution}?")


def test_import_name_messages(index: TyposquatIndex) -> None:
    listed = index.check("sklearn")
    unlisted = index.check("cv2")
    assert listed is not None
    assert unlisted is not None
    assert listed.message == (
        "'sklearn' is the name you import, but the package that provides it is 'scikit-learn'; "
        "the project named 'sklearn' is not it (at best a placeholder). Did you mean "
        "scikit-learn?"
    )
    assert (listed.candidate_rank, listed.target_rank) == (2765, 144)
    assert unlisted.message == (
        "'cv2' is the name you import, but the package that provides it is 'opencv-python'; "
        "a project named 'cv2', if there is one, is not it. Did you mean opencv-python?"
    )


@pytest.mark.parametrize("name", ["asyncio", "dataclasses", "typing", "pathlib", "crypt"])
def test_standard_library_names_are_a_review_note(index: TyposquatIndex, name: str) -> None:
    result = index.check(name)
    assert result is not None
    assert (result.kind, result.technique, result.level) == ("stdlib", "stdlib-shadowing", "review")
    assert result.target == name
    assert result.did_you_mean is None
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert result.message == (
        f"'{name}' shadows the standard-library module '{name}' of Python {version}; you "
        "probably don't need to install it (such projects are mostly old backports, and an "
        "installed copy can hide the real module)."
    )


# ---------------------------------------------------------------- rules, on crafted lists


def test_short_names_only_count_for_swaps_and_look_alikes() -> None:
    index = crafted("tqdm", "click")
    assert _technique(index, "tqmd") == "transposition"
    assert _technique(index, "tqdn") is None  # one changed letter in a 4-letter name
    assert _technique(index, "tqd") is None
    assert _technique(index, "c1ick") == "homoglyph"


def test_weaker_evidence_needs_a_more_popular_target() -> None:
    rules = TyposquatRules(strong_tier=3, medium_tier=2, weak_tier=1, first_letter_tier=1)
    index = crafted("requests", "colorama", "jellyfish", rules=rules)
    assert _technique(index, "requezts") == "substitution"  # rank 1: within the weak tier
    assert _technique(index, "colorapa") is None  # rank 2: a changed letter is not enough
    assert _technique(index, "colorana") == "substitution"  # ... unless a key next to it
    assert _technique(index, "colourama") == "insertion"  # rank 2: within the medium tier
    assert _technique(index, "jellyfsh") is None  # rank 3: a missing letter is not enough
    assert _technique(index, "jelylfish") == "transposition"  # rank 3: within the strong tier


def test_a_changed_first_letter_needs_one_of_the_most_popular_targets() -> None:
    rules = TyposquatRules(first_letter_tier=1)
    index = crafted("requests", "colorama", rules=rules)
    assert _technique(index, "gequests") == "substitution"
    assert _technique(index, "kolorama") is None
    assert _technique(index, "colorame") == "substitution"


def test_a_listed_candidate_must_be_far_less_popular() -> None:
    def index_with(candidate_downloads: int) -> TyposquatIndex:
        pairs = [(f"filler{i}", 10**12) for i in range(10)]
        pairs += [("colorama", 10**9), ("colourama", candidate_downloads)]
        return TyposquatIndex.build(pairs, rules=TyposquatRules(popular_tier=11))

    assert _technique(index_with(10**7), "colourama") == "insertion"  # 100 times less
    assert _technique(index_with(10**7 + 1), "colourama") is None
    unlisted = index_with(10**7)
    assert _technique(unlisted, "coloramma") == "repeated-letter"


def test_a_popular_candidate_needs_an_extreme_gap() -> None:
    rules = TyposquatRules(popular_tier=2)
    close = TyposquatIndex.build([("colorama", 10**9), ("colourama", 10**6 + 1)], rules=rules)
    far = TyposquatIndex.build([("colorama", 10**9), ("colourama", 10**6)], rules=rules)
    assert _technique(close, "colourama") is None  # popular, gap just under 1,000 times
    assert _technique(far, "colourama") == "insertion"


def test_targets_outside_the_target_tier_are_never_suggested() -> None:
    rules = TyposquatRules(strong_tier=1, medium_tier=1, weak_tier=1, first_letter_tier=1)
    index = crafted("requests", "colorama", rules=rules)
    assert index.check("colroama") is None
    assert _technique(index, "reqeusts") == "transposition"


def test_siblings_sharing_an_owner_are_not_squats() -> None:
    index = crafted("requests", "colorama", "beautifulsoup4")
    owners = {"colourama": frozenset({"alice"}), "colorama": frozenset({"alice", "bob"})}

    def owners_of(name: str) -> frozenset[str]:
        return owners.get(name, frozenset({f"owner-of-{name}"}))

    assert index.check("colourama", owners_of=owners_of) is None
    assert _technique(index, "colourama") == "insertion"
    assert index.check("reqeusts", owners_of=owners_of) is not None


def test_an_import_name_owned_by_its_distributions_owner_is_a_review_note() -> None:
    index = crafted("beautifulsoup4")
    result = index.check("bs4", owners_of=lambda name: frozenset({"leonard"}))
    assert result is not None
    assert (result.kind, result.level, result.target) == ("import-name", "review", "beautifulsoup4")
    assert "shares an owner with it" in result.message


def test_family_members_with_short_names_are_siblings() -> None:
    family = ["types-boto3-s3", "types-boto3-ec2", "types-boto3-sqs", "types-boto3-lambda"]
    index = crafted("requests", *family)
    assert index.check("types-boto3-sns") is None  # a changed letter in a short member name
    assert _technique(index, "types-boto3-sqq") is None
    assert _technique(index, "types-boto3-lamdba") == "transposition"  # swaps still count
    assert _technique(index, "types-boto3-lambd") == "deletion"  # a long member name


def test_a_word_other_names_use_reads_as_deliberate() -> None:
    index = crafted("identify", "requests", "azure-identity")
    assert index.check("identity") is None
    assert _technique(crafted("identify", "requests"), "identity") == "substitution"
    # A plural or singular is still a squat even when the word is in use elsewhere.
    index = crafted("typing-extensions", "requests", "jupyter-extension")
    assert _technique(index, "typing-extension") == "deletion"


def test_version_digits_are_judged_as_one_change() -> None:
    index = crafted("beautifulsoup4", "requests", "elasticsearch")
    assert _technique(index, "beautifulsoup") == "version-digits"
    assert _technique(index, "elasticsearch8") == "version-digits"
    soop = index.check("BeautifulSoop")
    assert soop is not None
    assert (soop.technique, soop.target) == ("substitution", "beautifulsoup4")
    assert soop.detail == "'u' changed to 'o', and the digits '4' left out"


def test_spelling_of_the_candidate_does_not_matter() -> None:
    index = crafted("python-dateutil", "requests")
    results = [index.check(n) for n in ("Python3_Dateutil", "python3.dateutil", "PYTHON3-DATEUTIL")]
    assert {(r.technique, r.target) for r in results if r is not None} == {
        ("prefix-suffix", "python-dateutil")
    }
    assert all(r is not None and r.name == "python3-dateutil" for r in results)


def test_build_ranks_by_downloads_and_merges_spellings() -> None:
    index = TyposquatIndex.build([("small", 5), ("Colorama", 100), ("colorama", 300)])
    assert len(index) == 2
    result = index.check("colourama")
    assert result is not None
    assert (result.target_rank, result.target_downloads) == (1, 300)


# ---------------------------------------------------------------- string helpers


@pytest.mark.parametrize(
    ("candidate", "key", "kind", "detail", "at"),
    [
        ("reqeusts", "requests", "transposition", "'ue' swapped to 'eu'", 3),
        ("colourama", "colorama", "insertion", "extra 'u'", 4),
        ("reqquests", "requests", "repeated-letter", "'q' doubled", 2),
        ("urlib3", "urllib3", "deletion", "'l' left out", 2),
        ("requezts", "requests", "substitution", "'s' changed to 'z'", 5),
        ("pand0s", "pandas", "substitution", "'a' changed to '0'", 4),
        ("p1llow", "pillow", "homoglyph", "'i' written as '1'", 1),
        ("jeilyfish", "jellyfish", "homoglyph", "'l' written as 'i'", 2),
    ],
)
def test_classify_edit(candidate: str, key: str, kind: str, detail: str, at: int) -> None:
    edit = classify_edit(candidate, key, two_edit_length=10)
    assert edit is not None
    assert (edit.kind, edit.detail, edit.at) == (kind, detail, at)


def test_classify_edit_words_and_distance_limits() -> None:
    edit = classify_edit("types-boto3-sns", "types-boto3-s3", two_edit_length=10)
    assert edit is not None
    assert (edit.kind, edit.word, edit.target_word) == ("two-edits", "sns", "s3")
    assert classify_edit("requestsaa", "requests", two_edit_length=10) is None  # too short
    assert classify_edit("abcdef", "uvwxyz", two_edit_length=3) is None
    assert classify_edit("same", "same", two_edit_length=10) is None


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("abc", "abc", 0), ("abc", "acb", 1), ("abc", "abxc", 1), ("ab", "ba", 1),
     ("kitten", "sitting", 3), ("abcdef", "a", 5)],
)  # fmt: skip
def test_osa_distance(a: str, b: str, distance: int) -> None:
    assert osa_distance(a, b, limit=5) == distance
    assert osa_distance(b, a, limit=5) == distance
    assert osa_distance(a, b, limit=1) == min(distance, 2)


@pytest.mark.parametrize(
    ("name", "folded"),
    [("rnatplotlib", "matplotllb"), ("vvheel", "wheel"), ("c1ick", "dlck"), ("py-yaml", "pyyaml"),
     ("djang0", "django"), ("reque5ts", "requests"), ("r3quests", "requests")],
)  # fmt: skip
def test_homoglyph_fold(name: str, folded: str) -> None:
    assert homoglyph_fold(name) == folded


@pytest.mark.parametrize(
    ("name", "bare", "cores"),
    [
        ("python3-dateutil", False, {"dateutil"}),
        ("python-dateutil", False, {"dateutil"}),
        ("requests-py", False, {"requests"}),
        ("py-requests-lib", False, {"requests-lib", "py-requests", "requests"}),
        ("pyrequests", True, {"requests"}),
        ("pyrequests", False, set()),
        ("pytest", True, {"test"}),
        ("pyjwt", True, set()),  # "jwt" is too short to be a core
        ("py-", False, set()),
    ],
)
def test_affix_cores(name: str, bare: bool, cores: Sequence[str]) -> None:
    assert affix_cores(name, bare=bare) == set(cores)


def _technique(index: TyposquatIndex, name: str) -> str | None:
    result = index.check(name)
    return None if result is None else result.technique
