"""Signals on recorded real index answers and on crafted ones, with a fixed clock."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from packaging import tags
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from pipvet.index.parse import ProjectInfo, parse_project
from pipvet.models import Finding, Severity, SeverityLabel
from pipvet.vetting import signals as S
from pipvet.vetting.model import NewDependency
from pipvet.vetting.wheels import install_kind, select_release
from tests.support.index_server import document, sdist_file, wheel_file

# The recorded answers were taken on this date (shared/data/pypi/RECORDED_AT).
NOW = datetime(2026, 11, 27, 11, 1, tzinfo=UTC)
LIMITS = S.Thresholds()
_GLIBC_2_28 = [*(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)), "linux_x86_64"]
LINUX_311 = [
    *tags.cpython_tags((3, 11), platforms=_GLIBC_2_28),
    *tags.compatible_tags((3, 11), "cp311", platforms=_GLIBC_2_28),
]


def recorded(shared_data: Path, name: str) -> ProjectInfo:
    body = gzip.decompress((shared_data / "pypi" / f"{name}.json.gz").read_bytes())
    return parse_project(body, f"https://pypi.org/pypi/{name}/json")


def crafted(doc: dict[str, Any]) -> ProjectInfo:
    return parse_project(json.dumps(doc), "https://idx.example/pypi/x/json")


def test_recorded_at_matches_the_test_clock(shared_data: Path) -> None:
    stamp = (shared_data / "pypi" / "RECORDED_AT").read_text().strip()
    assert stamp.startswith(NOW.date().isoformat())


# ------------------------------------------------------------------------ exists


def test_missing_name_is_avoid_and_mentions_invented_names() -> None:
    sig = S.exists("reqeusts", None)
    assert sig.level == "avoid"
    assert sig.value is False
    assert "whatever someone registers" in sig.message
    assert "invent" in sig.message


def test_existing_name(shared_data: Path) -> None:
    sig = S.exists("six", recorded(shared_data, "six"))
    assert sig.level == "ok"
    assert "29 releases" in sig.message


# ------------------------------------------------------------------------ maintainers


POPULAR = 10  # a download rank inside the list: no weak signal besides the maintainer count
LISTED = 15_000


@pytest.mark.parametrize(
    ("name", "rank", "level", "words"),
    [
        # A lone maintainer of a widely used, recently released project: a fact, not a reason.
        ("fastapi", POPULAR, "info", ["single maintainer", "tiangolo", "no reason to review"]),
        ("idna", POPULAR, "info", ["single maintainer", "kjd"]),
        # Paired with another weak signal it is a reason.
        ("fastapi", None, "review", ["single maintainer", "together with: not among the 15,000"]),
        # left-pad: one release in 2016, so silence pairs with the lone maintainer.
        ("left-pad", POPULAR, "review", ["single maintainer", "no release since 2016"]),
        ("black", POPULAR, "ok", ["5 maintainers"]),  # at the limit, not over it
        ("requests", POPULAR, "ok", ["3 maintainers"]),
        ("scikit-learn", POPULAR, "info", ["6 maintainers", "more than 5"]),
        ("scikit-learn", None, "review", ["6 maintainers", "more than 5", "together with"]),
        # 3 owners and 3 maintainers (people): 6, more than 5, alone only info.
        ("typing-extensions", POPULAR, "info", ["6 maintainers"]),
        ("attrs", POPULAR, "ok", ["organisation 'attrs'"]),
        # The organisation is one maintainer besides its two listed people.
        ("numpy", POPULAR, "ok", ["3 maintainers", "organisation 'numpy' (counted as one"]),
        ("certifi", POPULAR, "ok", ["2 maintainers (Lukasa, org:certifi)"]),
        # One shared login ('aws') is like a single maintainer: alone, on the most downloaded
        # project with weekly releases, a fact; with another weak signal, a reason.
        ("boto3", POPULAR, "info", ["'aws' looks like a shared account", "Amazon Web Services"]),
        ("boto3", None, "review", ["one account publishes every release", "together with"]),
        # dateutilbot is named, not counted: three people remain.
        ("python-dateutil", POPULAR, "ok", ["3 maintainers", "'dateutilbot' looks like a shared"]),
    ],
)
def test_maintainers_on_recorded_data(
    shared_data: Path, name: str, rank: int | None, level: str, words: list[str]
) -> None:
    project = recorded(shared_data, name)
    weak = S.weak_points(project, NOW, LIMITS, rank=rank, listed=LISTED)
    sig = S.maintainers(project, LIMITS, weak=weak)
    assert sig.level == level, sig.message
    for word in words:
        assert word.lower() in sig.message.lower()
    assert sig.threshold == "2 to 5 maintainers"
    assert sig.source.startswith("index: ownership")


def test_weak_points_name_what_pairs_with_the_maintainer_count(shared_data: Path) -> None:
    left_pad = recorded(shared_data, "left-pad")
    assert S.weak_points(left_pad, NOW, LIMITS, rank=None, listed=LISTED) == [
        "not among the 15,000 most downloaded projects",
        "no release since 2016-03-23",
    ]
    # No popularity list: nothing vouches for the project, so that is weak too.
    six = recorded(shared_data, "six")
    assert S.weak_points(six, NOW, LIMITS, rank=None, listed=None)[0] == (
        "its download rank is unknown (no popularity list)"
    )
    assert S.weak_points(recorded(shared_data, "fastapi"), NOW, LIMITS, rank=5, listed=9) == []


def test_only_owner_and_maintainer_roles_are_counted() -> None:
    doc = document("x", {"1.0": "2026-11-01T00:00:00Z"}, owners=["alice"])
    doc["ownership"]["roles"] += [{"role": "Contributor", "user": u} for u in "bcdefg"]
    sig = S.maintainers(crafted(doc), LIMITS, weak=[])
    assert sig.level == "info"
    assert sig.value["maintainers"] == 1  # type: ignore[call-overload,index]
    assert sig.message.startswith("Single maintainer (alice)")


def test_an_organisation_and_one_person_are_two_maintainers() -> None:
    doc = document("x", {"1.0": "2026-11-01T00:00:00Z"}, owners=["alice"], organization="acme")
    sig = S.maintainers(crafted(doc), LIMITS, weak=["not among the 15,000 most downloaded"])
    assert sig.level == "ok"
    assert sig.message.startswith("2 maintainers (alice, org:acme)")


def test_black_has_no_single_maintainer_note(shared_data: Path) -> None:
    sig = S.maintainers(recorded(shared_data, "black"), LIMITS)
    assert "single" not in sig.message.lower()
    assert isinstance(sig.value, dict)
    assert len(sig.value["accounts"]) == 5


def test_maintainer_thresholds_come_from_the_policy() -> None:
    info = crafted(document("x", {"1.0": "2020-01-01T00:00:00Z"}, owners=["a", "b", "c"]))
    assert S.maintainers(info, LIMITS).level == "ok"
    assert S.maintainers(info, S.Thresholds(max_maintainers=2)).level == "review"
    assert S.maintainers(info, S.Thresholds(min_maintainers=4, max_maintainers=9)).level == (
        "review"
    )


def test_no_roles_and_no_organisation_is_review() -> None:
    info = crafted(document("x", {"1.0": "2020-01-01T00:00:00Z"}, owners=[]))
    sig = S.maintainers(info, LIMITS)
    assert sig.level == "review"
    assert "no account" in sig.message.lower()


def test_index_without_ownership_is_info() -> None:
    doc = document("x", {"1.0": "2020-01-01T00:00:00Z"})
    del doc["ownership"]
    sig = S.maintainers(crafted(doc), LIMITS)
    assert sig.level == "info"
    assert sig.value is None


@pytest.mark.parametrize(
    ("user", "author", "org", "shared"),
    [
        ("aws", "Amazon Web Services", None, True),
        ("acme", None, "acme", True),
        ("x", None, None, True),  # named like the project
        ("release-bot", None, None, True),
        ("pypi-uploads", None, None, True),
        ("kjd", "Kim Davies", None, False),
        ("stub", "Stuart Bishop", None, False),
        ("tiangolo", None, None, False),
        ("abbot", None, None, False),  # a name ending in "bot" only as part of a word
    ],
)
def test_shared_account_heuristics(
    user: str, author: str | None, org: str | None, shared: bool
) -> None:
    info = crafted(
        document(
            "x", {"1.0": "2020-01-01T00:00:00Z"}, owners=[user], organization=org, author=author
        )
    )
    assert (S.shared_account_reason(user, info) is not None) is shared


# ------------------------------------------------------------------------ activity


def test_pycrypto_is_inactive(shared_data: Path) -> None:
    sig = S.activity(recorded(shared_data, "pycrypto"), NOW, LIMITS)
    assert sig.level == "review"
    assert "inactive" in sig.message.lower()
    assert "2014-06-20" in sig.message
    assert isinstance(sig.value, dict)
    assert sig.value["last_release"] == "2014-06-20"
    assert sig.value["releases_last_two_years"] == 0


@pytest.mark.parametrize("name", ["requests", "pandas", "numpy", "black", "fastapi", "attrs"])
def test_active_projects(shared_data: Path, name: str) -> None:
    sig = S.activity(recorded(shared_data, name), NOW, LIMITS)
    assert sig.level == "ok", sig.message


@pytest.mark.parametrize(
    ("name", "rank", "level", "words"),
    [
        # "finished": silent for 21 months, two owners: widely used, a fact, not a reason.
        ("finished", POPULAR, "info", ["no release since 2025-03-05", "no reason to review"]),
        ("finished", None, "review", ["inactive", "together with: not among the 15,000"]),
        # Over twice the limit (colorama: four years) it is a reason on its own.
        ("colorama", POPULAR, "review", ["inactive: no release since 2022-10-25"]),
        # six: silent and a single maintainer: both weak, so a reason.
        ("six", POPULAR, "review", ["inactive", "together with: a single maintainer"]),
        ("pycrypto", POPULAR, "review", ["inactive: no release since 2014-06-20"]),
    ],
)
def test_a_long_silence_is_review_only_with_another_weak_signal(
    shared_data: Path, name: str, rank: int | None, level: str, words: list[str]
) -> None:
    if name == "finished":
        project = crafted(document(name, {"1.0": "2025-03-05T00:00:00Z"}, owners=["ann", "bo"]))
    else:
        project = recorded(shared_data, name)
    weak = S.silence_partners(project, LIMITS, rank=rank, listed=LISTED)
    sig = S.activity(project, NOW, LIMITS, weak=weak)
    assert sig.level == level, sig.message
    for word in words:
        assert word.lower() in sig.message.lower()


def test_silence_partners(shared_data: Path) -> None:
    boto3 = recorded(shared_data, "boto3")  # one shared account
    assert S.silence_partners(boto3, LIMITS, rank=1, listed=LISTED) == ["a single maintainer"]
    numpy = recorded(shared_data, "numpy")
    assert S.silence_partners(numpy, LIMITS, rank=None, listed=None) == [
        "its download rank is unknown (no popularity list)"
    ]


def test_requests_yanked_releases_are_counted(shared_data: Path) -> None:
    sig = S.activity(recorded(shared_data, "requests"), NOW, LIMITS)
    assert isinstance(sig.value, dict)
    assert sig.value["yanked_releases"] == 2
    assert "2 yanked (2.32.1, 2.32.0)" in sig.message


def test_a_yanked_release_to_be_installed_is_review(shared_data: Path) -> None:
    requests = recorded(shared_data, "requests")
    sig = S.activity(requests, NOW, LIMITS, version="2.32.0")
    assert sig.level == "review"
    assert "Release 2.32.0 is yanked: its maintainers withdrew it" in sig.message
    assert S.activity(requests, NOW, LIMITS, version="2.32.3").level == "ok"


def test_young_project_is_review() -> None:
    info = crafted(document("x", {"0.1": "2026-11-20T08:00:00Z", "0.2": "2026-11-25T08:00:00Z"}))
    sig = S.activity(info, NOW, LIMITS)
    assert sig.level == "review"
    assert "new project" in sig.message.lower()
    assert "2026-11-20" in sig.message
    assert isinstance(sig.value, dict)
    assert sig.value["age_days"] == 7
    # Exactly at the threshold is not "younger than".
    assert S.activity(info, NOW, S.Thresholds(min_project_age_days=7)).level == "ok"


def test_a_release_with_a_file_inside_the_cooldown_is_review() -> None:
    old, fresh = "2026-01-01T00:00:00Z", "2026-11-27T09:00:00Z"  # two hours before NOW
    info = crafted(
        document("x", {"1.0": "2025-01-01T00:00:00Z",
                       "1.1": [sdist_file("x", "1.1", old), wheel_file("x", "1.1", fresh)]})
    )  # fmt: skip
    sig = S.activity(info, NOW, LIMITS, version="1.1")
    assert sig.level == "review"
    assert "Release 1.1 has a file uploaded 2026-11-27 09:00 UTC" in sig.message
    assert "3-day cooldown" in sig.message
    assert S.activity(info, NOW, LIMITS, version="1.0").level == "ok"
    assert S.activity(info, NOW, S.Thresholds(cooldown_days=0), version="1.1").level == "ok"
    future = crafted(document("x", {"1.0": "2025-01-01T00:00:00Z", "1.1": "2027-01-01T00:00:00Z"}))
    assert S.activity(future, NOW, LIMITS, version="1.1").level == "review"


def test_release_after_long_dormancy_is_review() -> None:
    info = crafted(document("x", {"1.0": "2019-03-01T00:00:00Z", "1.1": "2026-10-01T00:00:00Z"}))
    sig = S.activity(info, NOW, LIMITS)
    assert sig.level == "review"
    assert "released again on 2026-10-01 after 8 years of silence" in sig.message.lower()


def test_inactive_classifier_is_review() -> None:
    info = crafted(
        document(
            "x",
            {"1.0": "2026-06-01T00:00:00Z"},
            classifiers=["Development Status :: 7 - Inactive"],
        )
    )
    sig = S.activity(info, NOW, LIMITS)
    assert sig.level == "review"
    assert "Development Status :: 7 - Inactive" in sig.message


# ------------------------------------------------------------------------ links


@pytest.mark.parametrize(
    ("name", "funded", "security", "repository"),
    [
        ("attrs", "https://github.com/sponsors/hynek", None, "https://github.com/python-attrs/attrs"),
        ("pandas", "https://opencollective.com/pandas", None, "https://github.com/pandas-dev/pandas"),
        ("matplotlib", "https://numfocus.org/donate-to-matplotlib", None, "https://github.com/matplotlib/matplotlib"),
        ("urllib3", None, "https://urllib3.readthedocs.io/en/latest/security.html", "https://github.com/urllib3/urllib3"),
        ("requests", None, None, "https://github.com/psf/requests"),
        ("jellyfish", None, None, "https://codeberg.org/jpt/jellyfish"),
        ("pycrypto", None, None, None),
        ("left-pad", None, None, None),
    ],
)  # fmt: skip
def test_links_on_recorded_data(
    shared_data: Path, name: str, funded: str | None, security: str | None, repository: str | None
) -> None:
    info = recorded(shared_data, name)
    fund, sec, src = S.funding(info), S.security_policy(info), S.source(info)
    assert fund.value == funded
    assert fund.level == ("ok" if funded else "info")
    assert sec.value == security
    assert sec.level == ("ok" if security else "info")
    assert src.value == repository
    assert src.level == ("ok" if repository else "review")


@pytest.mark.parametrize(
    ("urls", "funded", "security"),
    [
        ({"Sponsor": "https://example.org/x"}, True, False),
        ({"Docs": "https://www.patreon.com/someone"}, True, False),
        ({"Docs": "https://liberapay.com/x"}, True, False),
        ({"Tidelift": "https://tidelift.com/x"}, True, False),
        ({"Policy": "https://github.com/o/x/blob/main/SECURITY.md"}, False, True),
        ({"SECURITY POLICY": "https://o.example/p"}, False, True),
        ({"Homepage": "https://o.example"}, False, False),
    ],
)
def test_link_words_are_case_insensitive(
    urls: dict[str, str], funded: bool, security: bool
) -> None:
    info = crafted(document("x", {"1.0": "2026-01-01T00:00:00Z"}, project_urls=urls))
    assert (S.funding(info).level == "ok") is funded
    assert (S.security_policy(info).level == "ok") is security


# ------------------------------------------------------------------------ install code


@pytest.mark.parametrize(
    ("name", "level", "wheel"),
    [
        ("pycrypto", "review", None),
        ("left-pad", "review", None),
        ("requests", "ok", "requests-2.34.2-py3-none-any.whl"),
    ],
)
def test_install_code_on_recorded_data(
    shared_data: Path, name: str, level: str, wheel: str | None
) -> None:
    info = recorded(shared_data, name)
    release = select_release(info, python_version="3.11.7")
    assert release is not None
    sig = S.install_code(install_kind(release, LINUX_311), release.version, "CPython 3.11")
    assert sig.level == level
    assert sig.value == wheel
    if wheel is None:
        assert "build code" in sig.message


def test_numpy_binary_wheel_matches_the_platform(shared_data: Path) -> None:
    info = recorded(shared_data, "numpy")
    release = select_release(info, python_version="3.11.7")
    assert release is not None
    kind = install_kind(release, LINUX_311)
    assert kind.wheel is not None
    assert "cp311" in kind.wheel
    assert "manylinux" in kind.wheel
    # On a platform it has no wheel for, pip would build numpy from source.
    other = list(tags.cpython_tags((3, 11), platforms=["freebsd_14_0_amd64"]))
    sig = S.install_code(install_kind(release, other), release.version, "CPython 3.11 on FreeBSD")
    assert sig.level == "review"
    assert "has wheels, but none for CPython 3.11 on FreeBSD" in sig.message


def test_selection_skips_yanked_and_prereleases_and_respects_pins() -> None:
    info = crafted(
        document(
            "x",
            {
                "1.0": [wheel_file("x", "1.0", "2025-01-01T00:00:00Z")],
                "1.1": [wheel_file("x", "1.1", "2025-02-01T00:00:00Z", yanked=True)],
                "2.0rc1": [wheel_file("x", "2.0rc1", "2025-03-01T00:00:00Z")],
                "0.9": [sdist_file("x", "0.9", "2024-01-01T00:00:00Z")],
            },
        )
    )
    assert select_release(info).version == "1.0"  # type: ignore[union-attr]
    assert select_release(info, SpecifierSet("==1.1")).version == "1.1"  # type: ignore[union-attr]
    assert select_release(info, SpecifierSet(">=2.0rc1")).version == "2.0rc1"  # type: ignore[union-attr]
    assert select_release(info, SpecifierSet("<1.0")).version == "0.9"  # type: ignore[union-attr]
    assert select_release(info, SpecifierSet(">5")) is None


def test_selection_honours_requires_python(shared_data: Path) -> None:
    info = recorded(shared_data, "requests")
    old = select_release(info, python_version="3.7.9")
    assert old is not None
    assert old.version.startswith("2.31")
    # The answer per Requires-Python text is remembered per Python version, not across them.
    newest = select_release(info, python_version="3.12.0")
    assert newest is not None
    assert newest.version == info.releases[0].version
    assert select_release(info, python_version="3.7.9") == old


def test_a_malformed_requires_python_is_ignored_as_pip_does() -> None:
    newer = {**wheel_file("x", "2.0", "2025-02-01T00:00:00Z"), "requires_python": ">=3.9,~"}
    older = {**wheel_file("x", "1.0", "2025-01-01T00:00:00Z"), "requires_python": ">=3.9"}
    info = crafted(document("x", {"2.0": [newer], "1.0": [older]}))
    assert select_release(info, python_version="3.7.9").version == "2.0"  # type: ignore[union-attr]
    assert select_release(info, SpecifierSet("<2"), python_version="3.7.9") is None
    assert select_release(info, SpecifierSet("<2"), python_version="3.9.1").version == "1.0"  # type: ignore[union-attr]


# ------------------------------------------------------------------------ advisories


def finding(kind: str, fid: str, fixed: tuple[str, ...] = ()) -> Finding:
    return Finding(
        kind=kind,  # type: ignore[arg-type]
        id=fid,
        aliases=(),
        summary="",
        severity=Severity(SeverityLabel.HIGH),
        fixed_in=fixed,
        records=(fid,),
        modified="2024-01-01T00:00:00Z",
    )


def test_vulnerabilities_levels() -> None:
    assert S.vulnerabilities([], "1.0").level == "ok"
    fixable = S.vulnerabilities([finding("vulnerability", "PYSEC-1", ("1.1",))], "1.0")
    assert fixable.level == "review"
    assert "Fixed in 1.1" in fixable.message
    unfixed = S.vulnerabilities([finding("vulnerability", "PYSEC-2")], "1.0")
    assert unfixed.level == "avoid"
    assert unfixed.value == ["PYSEC-2"]
    assert "No release fixes PYSEC-2" in unfixed.message


def test_nothing_to_check_when_no_release_matches() -> None:
    # Nothing that pip would install was checked: fail closed.
    assert S.vulnerabilities([], None).level == "unchecked"
    assert S.malware([], None).level == "unchecked"
    assert "no release to check" in S.malware([], None).message


def test_malware_is_avoid_and_missing_data_is_unchecked() -> None:
    sig = S.malware([finding("malware", "MAL-2024-1")], "1.0")
    assert sig.level == "avoid"
    assert "credential" in sig.message
    assert S.malware(None, "1.0").level == "unchecked"
    assert S.vulnerabilities(None, "1.0").level == "unchecked"
    assert "pipvet db sync" in S.vulnerabilities(None, "1.0").message


# ------------------------------------------------------------------------ name and rank


@dataclass(frozen=True)
class Squat:
    target: str
    technique: str
    message: str
    level: Literal["avoid", "review"] = "avoid"

    @property
    def did_you_mean(self) -> str | None:
        return None if self.technique == "stdlib-shadowing" else self.target


def test_typosquat_and_popularity() -> None:
    sig = S.typosquat(Squat("colorama", "substitution", "Did you mean colorama?"))
    assert sig.level == "avoid"
    assert sig.value == "colorama"
    assert "(substitution)" in sig.source
    assert sig.message.endswith("To install it: pip install colorama")
    shadow = S.typosquat(Squat("asyncio", "stdlib-shadowing", "Part of Python.", "review"))
    assert shadow.level == "review"
    assert "pip install" not in shadow.message
    assert S.typosquat(None).level == "ok"
    assert S.typosquat(None, checked=False).level == "unchecked"
    assert S.popularity(7, 15000).level == "ok"
    assert "rank 7 of the 15,000" in S.popularity(7, 15000).message
    assert S.popularity(None, 15000).level == "review"
    assert "not among the 15,000" in S.popularity(None, 15000).message.lower()
    assert S.popularity(None, None).level == "unchecked"


# ------------------------------------------------------------------------ subtree


def dep(name: str, *, on_index: bool = True) -> NewDependency:
    return NewDependency(canonicalize_name(name), "1.0", canonicalize_name("top"), on_index)


def test_subtree_threshold_and_missing_dependencies() -> None:
    few = [dep(f"p{i}") for i in range(20)]
    assert S.subtree(few, LIMITS, resolver="metadata").level == "ok"  # at the limit
    many = [*few, dep("p20")]
    sig = S.subtree(many, LIMITS, resolver="metadata")
    assert sig.level == "review"
    assert sig.value == 21
    assert "more than 20" in sig.message
    missing = S.subtree([dep("ghost", on_index=False)], LIMITS, resolver="pip")
    assert missing.level == "review"
    assert "Not on the index: ghost" in missing.message
    assert "pip install --dry-run" in missing.source
    assert S.subtree(None, LIMITS, resolver="metadata", problem="x").level == "unchecked"
    assert S.subtree([], LIMITS, resolver="metadata").message.startswith("Adds no packages")


def test_a_single_shared_account_is_not_called_a_lone_maintainer(shared_data: Path) -> None:
    sig = S.maintainers(recorded(shared_data, "boto3"), LIMITS)
    assert sig.level == "review"
    assert sig.message.startswith("One account publishes every release, 'aws'")
    assert "bus factor" not in sig.message
