from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import pytest
from packaging.utils import canonicalize_name

from pipvet.errors import PolicyError
from pipvet.frozen import replace
from pipvet.models import (
    UNKNOWN_SEVERITY,
    AuditReport,
    Dependency,
    DependencyResult,
    Finding,
    FindingKind,
    IgnoreNote,
    Severity,
    SeverityLabel,
    Snapshot,
)
from pipvet.policy import (
    DEFAULT_INDEX_URL,
    DEFAULT_OSV_URL,
    DEFAULT_TOP_PACKAGES_URL,
    FailOn,
    Policy,
    apply_ignores,
    fails,
    finding_fails,
    load_policy,
    resolve_sources,
    stale_data_fails,
)

TODAY = date(2025, 6, 1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> tuple[str, ...]:
    write(tmp_path / "pipvet.toml", text)
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, today=TODAY)
    assert info.value.message == f"invalid policy in {tmp_path / 'pipvet.toml'}"
    return info.value.problems


# ---------------------------------------------------------------------------- validation

VALIDATION_CASES = [
    ('fail_on = "high"', 'fail_on: unknown key; did you mean "fail-on"?'),
    ("failon = 1", 'failon: unknown key; did you mean "fail-on"?'),
    ("cooldown = 3", 'cooldown: unknown key; did you mean "cooldown-days"?'),
    ("Max-Age-Hours = 1", 'Max-Age-Hours: unknown key; did you mean "max-age-hours"?'),
    (
        "colour = 1",
        "colour: unknown key; valid keys are cooldown-days, fail-on, http-timeout, ignore, "
        "index-url, internal, local-installs, max-age-hours, max-data-age-days, max-maintainers, "
        "max-new-dependencies, max-release-silence-days, min-maintainers, min-project-age-days, "
        "on-review, osv-overlay, osv-url, overlay-replaces, stale-data, top-packages-url, "
        "unknown-severity, vet-fail-on",
    ),
    (
        "max-data-age-days = 0",
        "max-data-age-days: expected a whole number of days from 1 to 365; got 0",
    ),
    (
        "max-data-age-days = 366",
        "max-data-age-days: expected a whole number of days from 1 to 365; got 366",
    ),
    (
        'max-data-age-days = "7"',
        'max-data-age-days: expected a whole number of days from 1 to 365; got "7"',
    ),
    (
        "max-data-age-days = true",
        "max-data-age-days: expected a whole number of days from 1 to 365; got true",
    ),
    (
        'stale-data = "ignore"',
        'stale-data: "ignore" is not allowed; use one of "warn", "fail"',
    ),
    (
        'fail-on = "severe"',
        'fail-on: "severe" is not allowed; use one of "any", "low", "medium", "high", "critical"',
    ),
    (
        'fail-on = "HIGH"',
        'fail-on: "HIGH" is not allowed; use one of "any", "low", "medium", "high", "critical"',
    ),
    ('vet-fail-on = "ok"', 'vet-fail-on: "ok" is not allowed; use one of "avoid", "review"'),
    ("on-review = true", 'on-review: true is not allowed; use one of "ask", "allow", "block"'),
    (
        'cooldown-days = "3"',
        'cooldown-days: expected a whole number of days from 0 to 3650; got "3"',
    ),
    (
        "cooldown-days = 1.5",
        "cooldown-days: expected a whole number of days from 0 to 3650; got 1.5",
    ),
    (
        "cooldown-days = true",
        "cooldown-days: expected a whole number of days from 0 to 3650; got true",
    ),
    ("cooldown-days = -1", "cooldown-days: expected a whole number of days from 0 to 3650; got -1"),
    (
        "max-maintainers = 0",
        "max-maintainers: expected a whole number of maintainers from 1 to 10000; got 0",
    ),
    (
        "max-new-dependencies = [20]",
        "max-new-dependencies: expected a whole number of packages from 0 to 10000; got [20]",
    ),
    ("max-age-hours = -1", "max-age-hours: expected a number of hours from 0 to 87600; got -1"),
    ("max-age-hours = inf", "max-age-hours: expected a number of hours from 0 to 87600; got inf"),
    (
        'internal = "acme-*"',
        'internal: expected a list of name patterns such as ["acme-*"]; got "acme-*"',
    ),
    (
        'internal = ["ok", ""]',
        'internal: expected a list of name patterns such as ["acme-*"]; got ["ok", ""]',
    ),
    ("osv-url = 3", "osv-url: expected a URL or a path as a string; got 3"),
    ('index-url = ""', 'index-url: expected a URL or a path as a string; got ""'),
    ("[osv]\nurl = 'x'", 'osv: unknown key; did you mean "osv-url"?'),
    (
        "min-maintainers = 6",
        "min-maintainers (6) is greater than max-maintainers (5); every package would need review",
    ),
    (
        'ignore = "PYSEC-1"',
        'ignore: expected [[ignore]] tables with id, reason and expires; got "PYSEC-1"',
    ),
    (
        '[[ignore]]\nreason = "r"\nexpires = 2025-01-01',
        'ignore #1: id: required (the advisory id to ignore, e.g. "PYSEC-2018-28")',
    ),
    (
        '[[ignore]]\nid = 7\nreason = "r"\nexpires = 2025-01-01',
        'ignore #1: id: expected an advisory id such as "PYSEC-2018-28"; got 7',
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nexpires = 2025-01-01',
        "ignore #1 (PYSEC-1): reason: required, say why this finding is acceptable; got nothing",
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "  "\nexpires = 2025-01-01',
        'ignore #1 (PYSEC-1): reason: required, say why this finding is acceptable; got "  "',
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"',
        "ignore #1 (PYSEC-1): expires: required, the last day this ignore applies (YYYY-MM-DD)",
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = "2025-13-01"',
        'ignore #1 (PYSEC-1): expires: "2025-13-01" is not a date; write it as YYYY-MM-DD',
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = "next year"',
        'ignore #1 (PYSEC-1): expires: "next year" is not a date; write it as YYYY-MM-DD',
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = 2025-01-01T10:00:00',
        "ignore #1 (PYSEC-1): expires: 2025-01-01T10:00:00 has a time; "
        "give a date only (YYYY-MM-DD)",
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = 2025-01-01\npackage = "no good!"',
        'ignore #1 (PYSEC-1): package: "no good!" is not a valid package name',
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = 2025-01-01\nversions = "<<2"',
        'ignore #1 (PYSEC-1): versions: "<<2" is not a version specifier; '
        'write one like "<2.20" or ">=1.0,<1.4"',
    ),
    (
        '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = 2025-01-01\nversion = "<2"',
        'ignore #1 (PYSEC-1): version: unknown key; did you mean "versions"?',
    ),
    (
        '[[ignore]]\nid = "MAL-2024-9"\nreason = "r"\nexpires = 2025-01-01',
        "ignore #1 (MAL-2024-9): id: malware cannot be ignored; remove the package instead",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALIDATION_CASES)
def test_one_problem_is_named_exactly(tmp_path: Path, text: str, expected: str) -> None:
    assert problems_of(tmp_path, text) == (expected,)


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    text = """
fail_on = "high"
cooldown-days = "3"
[[ignore]]
id = "PYSEC-1"
reason = "fine"
expires = 2025-01-01
[[ignore]]
id = "GHSA-aaaa-bbbb-cccc"
reson = "typo"
expires = "soon"
"""
    assert problems_of(tmp_path, text) == (
        'fail_on: unknown key; did you mean "fail-on"?',
        'cooldown-days: expected a whole number of days from 0 to 3650; got "3"',
        'ignore #2 (GHSA-aaaa-bbbb-cccc): reson: unknown key; did you mean "reason"?',
        "ignore #2 (GHSA-aaaa-bbbb-cccc): reason: required, say why this finding is "
        "acceptable; got nothing",
        'ignore #2 (GHSA-aaaa-bbbb-cccc): expires: "soon" is not a date; write it as YYYY-MM-DD',
    )


def test_error_in_pyproject_names_the_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.pipvet]\nfail-on = "x"\nignore = 1\n')
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, today=TODAY)
    err = info.value
    assert err.message == f"invalid policy in {tmp_path / 'pyproject.toml'} [tool.pipvet]"
    assert err.problems == (
        'fail-on: "x" is not allowed; use one of "any", "low", "medium", "high", "critical"',
        "ignore: expected [[tool.pipvet.ignore]] tables with id, reason and expires; got 1",
    )
    assert "fail-on" in str(err)
    assert err.hint


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "pipvet.toml", 'fail-on = "high"\ncooldown-days = \n')
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, today=TODAY)
    assert str(info.value) == f"{path} is not valid TOML: Invalid value (at line 2, column 17)"


def test_pipvet_table_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool]\npipvet = "on"\n')
    with pytest.raises(PolicyError, match="must be a table") as info:
        load_policy(tmp_path, today=TODAY)
    assert str(info.value) == f'{path}: [tool.pipvet] must be a table, got "on"'


def test_valid_policy_with_every_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "proj" / "pipvet.toml",
        """
fail-on = "high"
max-age-hours = 6.5
cooldown-days = 0
vet-fail-on = "review"
on-review = "block"
min-maintainers = 1
max-maintainers = 9
max-new-dependencies = 5
min-project-age-days = 10
max-release-silence-days = 100
internal = ["Acme_*", "secret.thing"]
osv-url = "mirror/osv"
osv-overlay = "~/advisories"
index-url = "https://pypi.example/"
top-packages-url = "file:///srv/top.json"

[[ignore]]
id = "PYSEC-2018-28"
reason = "we never follow redirects"
expires = 2025-12-31
package = "Requests"
versions = "<2.20"
""",
    )
    policy = load_policy(tmp_path / "proj" / "sub" / "dir", today=TODAY)
    assert policy.source == path
    assert policy.fail_on == SeverityLabel.HIGH
    assert policy.max_age_hours == 6.5
    assert policy.cooldown_days == 0
    assert policy.vet_fail_on == "review"
    assert policy.on_review == "block"
    assert (policy.min_maintainers, policy.max_maintainers) == (1, 9)
    assert policy.max_new_dependencies == 5
    assert policy.min_project_age_days == 10
    assert policy.max_release_silence_days == 100
    assert policy.internal == ("acme-*", "secret-thing")
    assert policy.osv_url == str(tmp_path / "proj" / "mirror" / "osv")
    assert policy.osv_overlay == str(Path("~/advisories").expanduser())
    assert policy.index_url == "https://pypi.example/"
    assert policy.top_packages_url == "file:///srv/top.json"
    (rule,) = policy.ignores
    assert rule.id == "PYSEC-2018-28"
    assert rule.package == "requests"
    assert rule.expires == date(2025, 12, 31)
    assert str(rule.versions) == "<2.20"
    assert policy.warnings == ()


def test_string_expiry_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "pipvet.toml", '[[ignore]]\nid="X-1"\nreason="r"\nexpires="2025-07-01"\n')
    assert load_policy(tmp_path, today=TODAY).ignores[0].expires == date(2025, 7, 1)


def test_far_expiry_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "pipvet.toml", '[[ignore]]\nid="X-1"\nreason="r"\nexpires=2030-01-01\n')
    policy = load_policy(tmp_path, today=TODAY)
    assert policy.warnings == (
        f"{path}: the ignore for X-1 expires on 2030-01-01, more than a year from today; "
        "shorter expiry dates make sure accepted risks are looked at again",
    )


@pytest.mark.parametrize(
    ("name", "internal"),
    [
        ("acme-data", True),
        ("ACME_Data", True),
        ("acme", False),
        ("secret.thing", True),
        ("secret-things", False),
        ("notacme-x", False),
    ],
)
def test_internal_patterns_match_canonical_names(name: str, internal: bool) -> None:
    policy = Policy(internal=("acme-*", "secret-thing"))
    assert policy.is_internal(name) is internal


# ---------------------------------------------------------------------------- discovery


def test_defaults_when_no_policy_anywhere(tmp_path: Path) -> None:
    if any((p / "pipvet.toml").exists() for p in tmp_path.parents):
        pytest.skip("a pipvet.toml above the temporary folder would be found")
    policy = load_policy(tmp_path, today=TODAY)
    assert policy == Policy()
    assert policy.source is None
    assert policy.fail_on == "any"
    assert policy.max_age_hours == 24
    assert policy.cooldown_days == 3
    assert (policy.min_maintainers, policy.max_maintainers) == (2, 5)
    assert policy.max_new_dependencies == 20
    assert policy.vet_fail_on == "avoid"
    assert policy.on_review == "ask"


def test_pipvet_toml_wins_over_pyproject_in_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.pipvet]\nfail-on = "low"\n')
    write(tmp_path / "pipvet.toml", 'fail-on = "critical"\n')
    policy = load_policy(tmp_path, today=TODAY)
    assert policy.source == tmp_path / "pipvet.toml"
    assert policy.fail_on == SeverityLabel.CRITICAL
    assert policy.warnings == (
        f"both pipvet.toml and [tool.pipvet] in pyproject.toml exist in {tmp_path}; "
        "using pipvet.toml (remove one to avoid confusion)",
    )


def test_pyproject_without_table_does_not_stop_the_search(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.pipvet]\nfail-on = "medium"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "sub"\n')
    policy = load_policy(tmp_path / "sub", today=TODAY)
    assert policy.source == tmp_path / "pyproject.toml"
    assert policy.fail_on == SeverityLabel.MEDIUM


def test_nearest_policy_wins(tmp_path: Path) -> None:
    write(tmp_path / "pipvet.toml", 'fail-on = "medium"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[tool.pipvet]\nfail-on = "high"\n')
    assert load_policy(tmp_path / "sub", today=TODAY).fail_on == SeverityLabel.HIGH


def test_empty_pipvet_toml_stops_the_search_with_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pipvet.toml", 'fail-on = "medium"\n')
    write(tmp_path / "sub" / "pipvet.toml", "")
    policy = load_policy(tmp_path / "sub", today=TODAY)
    assert policy.source == tmp_path / "sub" / "pipvet.toml"
    assert policy.fail_on == "any"


def test_broken_pyproject_on_the_way_up_is_an_error(tmp_path: Path) -> None:
    # (one that could not hold [tool.pipvet] is not read: tests/test_policy_pyproject_skip.py)
    path = write(tmp_path / "pyproject.toml", "[project\n[tool.pipvet]\n")
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, today=TODAY)
    assert str(info.value).startswith(f"{path} is not valid TOML: ")
    assert "line 1" in str(info.value)


def test_explicit_policy_file(tmp_path: Path) -> None:
    write(tmp_path / "pipvet.toml", 'fail-on = "low"\n')
    other = write(tmp_path / "elsewhere" / "strict.toml", 'fail-on = "any"\n')
    policy = load_policy(tmp_path, other, today=TODAY)
    assert policy.source == other
    assert policy.fail_on == "any"


def test_explicit_pyproject_reads_its_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool.pipvet]\nfail-on = "critical"\n')
    assert load_policy(Path("/"), path, today=TODAY).fail_on == SeverityLabel.CRITICAL


def test_explicit_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, path, today=TODAY)
    assert str(info.value) == f"{path} has no [tool.pipvet] table"


@pytest.mark.parametrize(
    ("make_dir", "problem"), [(False, "does not exist"), (True, "is a folder, not a file")]
)
def test_explicit_policy_must_be_a_file(tmp_path: Path, make_dir: bool, problem: str) -> None:
    path = tmp_path / "policy.toml"
    if make_dir:
        path.mkdir()
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path, path, today=TODAY)
    assert str(info.value) == f"policy file {path} {problem}"
    assert info.value.hint is not None
    assert "--policy" in info.value.hint


# ---------------------------------------------------------------------------- ignores


def finding(
    id_: str,
    aliases: tuple[str, ...] = (),
    *,
    kind: FindingKind = "vulnerability",
    severity: Severity = UNKNOWN_SEVERITY,
    ignored: bool = False,
) -> Finding:
    return Finding(
        kind=kind,
        id=id_,
        aliases=aliases,
        summary="s",
        severity=severity,
        fixed_in=(),
        records=(id_,),
        modified="2024-01-01T00:00:00Z",
        ignored=ignored,
    )


def result(name: str, version: str | None, *findings: Finding) -> DependencyResult:
    return DependencyResult(Dependency(canonicalize_name(name), version), findings)


def policy_with(tmp_path: Path, ignores: str) -> Policy:
    write(tmp_path / "pipvet.toml", ignores)
    return load_policy(tmp_path, today=TODAY)


IGNORE_CASES = [
    # (ignore entry, (package, installed version), finding ids, ignored?)
    ('id = "PYSEC-1"', ("requests", "2.19.0"), ("PYSEC-1", ()), True),
    ('id = "pysec-1"', ("requests", "2.19.0"), ("PYSEC-1", ()), True),
    ('id = "cve-2018-1"', ("requests", "2.19.0"), ("PYSEC-1", ("CVE-2018-1",)), True),
    ('id = "PYSEC-2"', ("requests", "2.19.0"), ("PYSEC-1", ("CVE-2018-1",)), False),
    ('id = "PYSEC-1"\npackage = "Requests"', ("requests", "2.19.0"), ("PYSEC-1", ()), True),
    ('id = "PYSEC-1"\npackage = "urllib3"', ("requests", "2.19.0"), ("PYSEC-1", ()), False),
    ('id = "PYSEC-1"\nversions = "<2.20"', ("requests", "2.19.0"), ("PYSEC-1", ()), True),
    ('id = "PYSEC-1"\nversions = "<2.19"', ("requests", "2.19.0"), ("PYSEC-1", ()), False),
    ('id = "PYSEC-1"\nversions = "<2.20"', ("requests", "2.19.0rc1"), ("PYSEC-1", ()), True),
    # PEP 440: "<2.20" excludes pre-releases of 2.20 itself.
    ('id = "PYSEC-1"\nversions = "<2.20"', ("requests", "2.20.0rc1"), ("PYSEC-1", ()), False),
    ('id = "PYSEC-1"\nversions = "<2.20"', ("requests", "not-a-version"), ("PYSEC-1", ()), False),
    ('id = "PYSEC-1"\nversions = "<2.20"', ("requests", None), ("PYSEC-1", ()), False),
]


@pytest.mark.parametrize(("entry", "installed", "ids", "ignored"), IGNORE_CASES)
def test_ignore_matching(
    tmp_path: Path,
    entry: str,
    installed: tuple[str, str | None],
    ids: tuple[str, tuple[str, ...]],
    ignored: bool,
) -> None:
    name, version = installed
    policy = policy_with(
        tmp_path, f'[[ignore]]\n{entry}\nreason = "accepted"\nexpires = 2025-06-01\n'
    )
    results, notes = apply_ignores([result(name, version, finding(*ids))], policy, TODAY)
    (marked,) = results[0].findings
    assert marked.ignored is ignored
    assert marked.ignore_reason == ("accepted" if ignored else None)
    expected_notes = (
        () if ignored else (IgnoreNote(policy.ignores[0].id, "unused", "accepted", "2025-06-01"),)
    )
    assert notes == expected_notes


def test_expired_ignore_is_not_applied_and_reported(tmp_path: Path) -> None:
    policy = policy_with(
        tmp_path,
        '[[ignore]]\nid = "PYSEC-1"\nreason = "old"\nexpires = 2025-05-31\n'
        '[[ignore]]\nid = "PYSEC-9"\nreason = "nothing has it"\nexpires = 2025-06-30\n'
        '[[ignore]]\nid = "GHSA-x"\nreason = "still good"\nexpires = 2025-06-01\n',
    )
    results, notes = apply_ignores(
        [result("a", "1.0", finding("PYSEC-1")), result("b", "2.0", finding("GHSA-x"))],
        policy,
        TODAY,
    )
    assert [f.ignored for r in results for f in r.findings] == [False, True]
    assert notes == (
        IgnoreNote("PYSEC-1", "expired", "old", "2025-05-31"),
        IgnoreNote("PYSEC-9", "unused", "nothing has it", "2025-06-30"),
    )


def test_one_rule_ignores_the_finding_in_every_package(tmp_path: Path) -> None:
    policy = policy_with(
        tmp_path, '[[ignore]]\nid = "PYSEC-1"\nreason = "r"\nexpires = 2025-07-01\n'
    )
    results, notes = apply_ignores(
        [result("a", "1.0", finding("PYSEC-1")), result("b", "1.0", finding("PYSEC-1"))],
        policy,
        TODAY,
    )
    assert all(f.ignored for r in results for f in r.findings)
    assert notes == ()


def test_malware_is_never_ignored_even_through_an_alias(tmp_path: Path) -> None:
    policy = policy_with(
        tmp_path, '[[ignore]]\nid = "GHSA-m"\nreason = "r"\nexpires = 2025-07-01\n'
    )
    results, notes = apply_ignores(
        [result("evil", "1.0", finding("MAL-2024-1", ("GHSA-m",), kind="malware"))], policy, TODAY
    )
    assert results[0].findings[0].ignored is False
    assert notes == (IgnoreNote("GHSA-m", "unused", "r", "2025-07-01"),)


def test_no_ignores_leaves_results_equal(tmp_path: Path) -> None:
    results = (result("a", "1.0", finding("PYSEC-1")), result("b", None))
    assert apply_ignores(results, Policy(), TODAY) == (results, ())


# ---------------------------------------------------------------------------- deciding

LOW, MEDIUM, HIGH, CRITICAL = (
    SeverityLabel.LOW,
    SeverityLabel.MEDIUM,
    SeverityLabel.HIGH,
    SeverityLabel.CRITICAL,
)
FAIL_CASES: list[tuple[FailOn, SeverityLabel, FindingKind, bool, bool]] = [
    # fail-on, severity label, kind, ignored, fails?
    ("any", SeverityLabel.NONE, "vulnerability", False, True),
    ("any", LOW, "vulnerability", True, False),
    (HIGH, MEDIUM, "vulnerability", False, False),
    (HIGH, HIGH, "vulnerability", False, True),
    (HIGH, CRITICAL, "vulnerability", False, True),
    (CRITICAL, HIGH, "vulnerability", False, False),
    (LOW, SeverityLabel.NONE, "vulnerability", False, False),
    (CRITICAL, SeverityLabel.UNKNOWN, "vulnerability", False, True),  # fail closed
    (CRITICAL, SeverityLabel.UNKNOWN, "vulnerability", True, False),
    (CRITICAL, LOW, "malware", False, True),
    (CRITICAL, SeverityLabel.UNKNOWN, "malware", False, True),
]


@pytest.mark.parametrize(("fail_on", "label", "kind", "ignored", "expected"), FAIL_CASES)
def test_fail_decision(
    fail_on: FailOn, label: SeverityLabel, kind: FindingKind, ignored: bool, expected: bool
) -> None:
    f = finding("X-1", kind=kind, severity=Severity(label), ignored=ignored)
    assert finding_fails(f, fail_on) is expected
    report = AuditReport("0", "t", Snapshot("s", None, 1), (result("a", "1", f),), fail_on=fail_on)
    assert fails(report) is expected
    # The policy's level, when given, overrides the one recorded in the report.
    assert fails(replace(report, fail_on="any"), Policy(fail_on=fail_on)) is expected


def test_report_without_findings_does_not_fail() -> None:
    report = AuditReport("0", "t", Snapshot("s", None, 1), (result("a", "1"),))
    assert fails(report) is False


# ---------------------------------------------------------------------------- stale data

DAY = 86400.0
STALE_CASES = [
    # newest record's age (s), records, max days (None: not judged), stale-data, --ci, stale, exit 2
    (3 * DAY, 10, 7, "warn", False, False, False),
    (7 * DAY, 10, 7, "warn", True, False, False),  # exactly the limit is still fresh
    (7 * DAY + 1, 10, 7, "warn", False, True, False),
    (7 * DAY + 1, 10, 7, "warn", True, True, True),
    (7 * DAY + 1, 10, 7, "fail", False, True, True),
    (800 * DAY, 10, 365, "fail", False, True, True),
    (None, 10, 7, "warn", True, True, True),  # unknown age: fail closed
    (None, 0, 7, "fail", True, False, False),  # no data at all is reported as such elsewhere
    (800 * DAY, 10, None, "fail", True, False, False),  # not judged
]


@pytest.mark.parametrize(
    ("age", "records", "max_days", "mode", "ci", "stale", "exits"), STALE_CASES
)
def test_stale_data_decision(  # noqa: PLR0917 (one table row)
    age: float | None,
    records: int,
    max_days: int | None,
    mode: Literal["warn", "fail"],
    ci: bool,
    stale: bool,
    exits: bool,
) -> None:
    snapshot = Snapshot("s", "2024-10-10T00:00:00Z", records, None, None, age, max_days)
    assert snapshot.stale is stale
    report = AuditReport("0", "t", snapshot, (result("a", "1"),))
    assert stale_data_fails(report, Policy(stale_data=mode), ci=ci) is exits


def test_stale_data_keys_parse(tmp_path: Path) -> None:
    write(tmp_path / "pipvet.toml", 'max-data-age-days = 30\nstale-data = "fail"\n')
    policy = load_policy(tmp_path, today=TODAY)
    assert (policy.max_data_age_days, policy.stale_data) == (30, "fail")
    assert (Policy().max_data_age_days, Policy().stale_data) == (7, "warn")


# ---------------------------------------------------------------------------- sources


def test_sources_default() -> None:
    sources = resolve_sources(Policy(), {})
    assert sources.osv_url == DEFAULT_OSV_URL
    assert sources.osv_overlay is None
    assert sources.index_url == DEFAULT_INDEX_URL
    assert sources.top_packages_url == DEFAULT_TOP_PACKAGES_URL
    assert {sources.origin(n) for n in ("osv_url", "index_url", "top_packages_url")} == {"default"}


SOURCE_CASES = [
    # (cli, env, policy, expected value, expected origin)
    ("https://cli/", "https://env", "https://pol", "https://cli", "--osv-url"),
    (None, "https://env/", "https://pol", "https://env", "PIPVET_OSV_URL"),
    ("", "", "https://pol", "https://pol", "policy file /p/pipvet.toml"),
    (None, None, None, DEFAULT_OSV_URL, "default"),
]


@pytest.mark.parametrize(("cli", "env", "pol", "value", "origin"), SOURCE_CASES)
def test_source_precedence(
    cli: str | None, env: str | None, pol: str | None, value: str, origin: str
) -> None:
    environ = {} if env is None else {"PIPVET_OSV_URL": env}
    policy = Policy(source=Path("/p/pipvet.toml"), osv_url=pol)
    sources = resolve_sources(policy, environ, osv_url=cli)
    assert sources.osv_url == value
    assert sources.origin("osv_url") == origin


def test_every_source_has_its_own_variable() -> None:
    environ = {
        "PIPVET_OSV_URL": "/data/osv",
        "PIPVET_OSV_OVERLAY": "/data/overlay",
        "PIPVET_INDEX_URL": "http://127.0.0.1:8080",
        "PIPVET_TOP_PACKAGES_URL": "file:///data/top.json",
    }
    sources = resolve_sources(Policy(), environ, index_url="http://127.0.0.1:9090/")
    assert sources.osv_url == "/data/osv"
    assert sources.osv_overlay == "/data/overlay"
    assert sources.index_url == "http://127.0.0.1:9090"
    assert sources.origin("index_url") == "--index-url"
    assert sources.top_packages_url == "file:///data/top.json"


def test_policy_relative_source_is_next_to_the_policy(tmp_path: Path) -> None:
    write(tmp_path / "pipvet.toml", 'osv-overlay = "advisories"\n')
    policy = load_policy(tmp_path / "src", today=TODAY)
    sources = resolve_sources(policy, {})
    assert sources.osv_overlay == str(tmp_path / "advisories")
    assert sources.origin("osv_overlay") == f"policy file {tmp_path / 'pipvet.toml'}"


@pytest.mark.parametrize("name", ["pipvet.toml", "pyproject.toml"])
def test_a_policy_that_links_out_to_another_kind_of_file_is_not_read(
    tmp_path: Path, name: str
) -> None:
    # The policy is found by walking up from the working folder: a checkout's policy file can
    # be a link to a credentials file, and policy errors quote values.
    secret = write(tmp_path / "home" / ".pypirc", '[pypi]\npassword = "pypi-AgEIcHlwaS5vcmc"\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / name).symlink_to(secret)
    with pytest.raises(PolicyError) as caught:
        load_policy(repo, today=TODAY)
    assert f"links to {secret}, outside its folder" in str(caught.value)
    assert "pypi-AgE" not in str(caught.value) + str(caught.value.hint)


def test_a_policy_linked_to_a_shared_toml_file_is_read(tmp_path: Path) -> None:
    shared = write(tmp_path / "team" / "policy.toml", 'fail-on = "high"\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pipvet.toml").symlink_to(shared)
    assert load_policy(repo, today=TODAY).fail_on == SeverityLabel.HIGH
