"""A policy file with nothing but blank lines and comments is read without tomllib: the
shortcut must give exactly what tomllib gives, and leave every other text to it."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipvet.errors import PolicyError
from pipvet.models import SeverityLabel
from pipvet.policy import Policy, load_policy
from pipvet.policy_file import _blank, read_toml

# What TOML treats specially around blank lines and comments, and a few characters it does not.
_PIECES = [" ", "\t", "\n", "\r\n", "\r", "#", "a", "=", '"', "[", "]", "1", "é", "\u00a0"]
_PIECES += ["\x00", "\x1f", "\x7f", "\x85", "\ufeff", "\u2028", "\U0001f600"]


@settings(max_examples=2000)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
@example("")
@example("#\x00")
@example("# a\rb\n")
@example("\ufeff# x\n")
def test_a_blank_text_is_what_tomllib_reads_as_empty(text: str) -> None:
    try:
        parsed: object = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        parsed = "refused"
    if _blank(text):
        assert parsed == {}


@pytest.mark.parametrize(
    "text",
    ["", "\n", "\n\n  \t\n", "# a policy of defaults\n", "  \t# x\ty\r\n\r\n", "#é 😀\n# [x]"],
)
def test_blank_policies_take_the_shortcut(text: str) -> None:
    assert _blank(text)
    assert tomllib.loads(text) == {}


@pytest.mark.parametrize("text", ["a = 1", "# x\nfail-on = 'high'\n", "[tool.pipvet]", "\ufeff"])
def test_anything_else_goes_to_tomllib(text: str) -> None:
    assert not _blank(text)


@pytest.mark.parametrize("text", ["#\x00\n", "# a\rb\n", "\r", "\ufeff# policy\n"])
def test_a_comment_tomllib_refuses_is_still_refused(tmp_path: Path, text: str) -> None:
    policy = tmp_path / "pipvet.toml"
    policy.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(PolicyError, match="is not valid TOML"):
        read_toml(policy)


def test_a_blank_policy_file_is_the_defaults_from_that_file(tmp_path: Path) -> None:
    policy = tmp_path / "pipvet.toml"
    policy.write_text("# nothing to change\n\n", encoding="utf-8")
    loaded = load_policy(tmp_path, today=date(2026, 1, 1))
    assert loaded == Policy(source=policy)
    assert loaded.source == policy
    (tmp_path / "pipvet.toml").write_text("# changed\nfail-on = 'high'\n", encoding="utf-8")
    assert load_policy(tmp_path, today=date(2026, 1, 1)).fail_on == SeverityLabel.HIGH


def test_each_key_with_a_pattern_still_reads_as_before(tmp_path: Path) -> None:
    # The validator's patterns are compiled when a key needs them (policy_schema).
    (tmp_path / "pipvet.toml").write_text(
        'osv-url = "C:\\\\osv"\nindex-url = "https://mirror.example/simple"\n'
        'internal = ["Acme._x"]\noverlay-replaces = [" PYSEC-1 "]\n'
        '[[ignore]]\nid = "PYSEC-2"\nreason = "r"\nexpires = "2026-02-01"\n',
        encoding="utf-8",
    )
    policy = load_policy(tmp_path, today=date(2026, 1, 1))
    assert policy.osv_url == str(tmp_path / "C:\\osv")  # a drive, not a URL scheme
    assert policy.index_url == "https://mirror.example/simple"
    assert policy.internal == ("acme-x",)
    assert policy.overlay_replaces == ("PYSEC-1",)
    assert policy.ignores[0].expires == date(2026, 2, 1)
    (tmp_path / "pipvet.toml").write_text('overlay-replaces = ["-x"]\n', encoding="utf-8")
    with pytest.raises(PolicyError):
        load_policy(tmp_path, today=date(2026, 1, 1))


@pytest.mark.parametrize("in_pyproject", [False, True])
def test_an_empty_table_is_what_the_key_checks_make_of_it(
    tmp_path: Path, in_pyproject: bool
) -> None:
    # parse_policy answers an empty table without importing policy_schema: what check_table
    # accepts from it (nothing) and finds wrong with it (nothing) must stay that.
    from pipvet.policy import parse_policy
    from pipvet.policy_schema import check_table

    source = tmp_path / ("pyproject.toml" if in_pyproject else "pipvet.toml")
    assert check_table({}, tmp_path) == ({}, [])
    parsed = parse_policy({}, source, in_pyproject=in_pyproject, today=date(2026, 1, 1))
    assert parsed == Policy(source=source)
    assert parsed.warnings == ()
