"""TOML nested deeper than tomllib can recurse is bad input, never a crash."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from pipvet.project.added import requirement_strings

DEEP = "x = " + "[" * 5000 + "]" * 5000 + "\n"


def test_init_names_a_pyproject_nested_too_deep(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(DEEP, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["init", "--dry-run", "--no-venv", "--project", str(tmp_path)], Output(out, err))
    assert code == 2
    assert "pyproject.toml: not valid TOML (maximum recursion depth exceeded)" in err.getvalue()
    assert "internal error" not in err.getvalue()


def test_the_added_requirements_reader_reports_it_as_invalid() -> None:
    with pytest.raises(ValueError, match="not valid TOML"):
        requirement_strings(DEEP, pyproject=True)
