"""A pyproject.toml found on the way up is parsed only when its text could hold a
``[tool.pipvet]`` table: the skip must never miss a table tomllib would find, however its key
is spelled, and a pyproject.toml that cannot hold one (even broken TOML) is not pipvet's."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipvet.errors import PolicyError
from pipvet.models import SeverityLabel
from pipvet.policy import load_policy
from pipvet.policy_file import pipvet_table, pyproject_table

TODAY = date(2026, 12, 3)


def _spelled(word: str, escapes: list[int]) -> str:
    """``word`` as a TOML basic-string key, with the letters at ``escapes`` written as
    \\uXXXX or \\UXXXXXXXX."""
    out = []
    for i, ch in enumerate(word):
        if i in escapes:
            out.append(f"\\u{ord(ch):04X}" if i % 2 else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@settings(max_examples=300, deadline=None)
@given(
    word=st.sampled_from(["pipvet", "pipvetx", "pipve", "other", "PIPVET"]),
    escapes=st.lists(st.integers(0, 6), max_size=3),
    style=st.sampled_from(["table", "dotted", "inline"]),
)
def test_the_skip_agrees_with_tomllib(
    tmp_path_factory: pytest.TempPathFactory, word: str, escapes: list[int], style: str
) -> None:
    key = _spelled(word, escapes) if escapes else word
    text = {
        "table": f'[project]\nname = "p"\n[tool.{key}]\nfail-on = "high"\n',
        "dotted": f'tool.{key}.fail-on = "high"\n',
        "inline": f'tool = {{ {key} = {{ fail-on = "high" }} }}\n',
    }[style]
    path = tmp_path_factory.mktemp("p") / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    assert pyproject_table(path) == pipvet_table(path, tomllib.loads(text))


def test_an_escaped_key_is_still_the_policy(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool."\\u0070ipvet"]\nfail-on = "high"\n', encoding="utf-8"
    )
    assert load_policy(tmp_path, today=TODAY).fail_on == SeverityLabel.HIGH


def test_a_broken_pyproject_without_pipvet_is_not_pipvets_business(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 1\n", encoding="utf-8")
    policy = load_policy(tmp_path, today=TODAY)
    assert policy.fail_on == "any"  # the defaults: there is no policy to read


def test_a_broken_pyproject_that_may_hold_the_policy_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pipvet\nfail-on = "high"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(tmp_path, today=TODAY)
