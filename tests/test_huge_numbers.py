"""A number of over 4,300 digits: Python's int() refuses it with ValueError, which every reader
of JSON or TOML met as an internal error (nothing checked, a traceback file). Each is now a
clear error naming the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipvet.errors import InputError, PolicyError
from pipvet.inputs.requirements import parse_declared
from pipvet.policy import load_policy

HUGE = "1" * 5000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("uv.lock", f"version = {HUGE}\n"),
        ("pyproject.toml", f'[project]\nname = "x"\nversion = "1"\n[tool.x]\nv = {HUGE}\n'),
        ("analysis.ipynb", f'{{"cells": [], "x": {HUGE}}}'),
        ("Pipfile.lock", f'{{"default": {{}}, "x": {HUGE}}}'),
    ],
)
def test_an_input_with_a_huge_number_is_a_clear_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        parse_declared(path)
    assert str(path.name) in str(caught.value)
    assert "4300 digits" in str(caught.value)


def test_a_policy_with_a_huge_number_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pipvet.toml").write_text(f"max-age-hours = {HUGE}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="is not usable TOML"):
        load_policy(tmp_path, today=date(2026, 12, 2))
