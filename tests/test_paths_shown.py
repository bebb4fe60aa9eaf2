"""How a suggested command names an interpreter: by its path, never a bare ``python``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipvet.system.paths import interpreter_shown, pip_shown


@pytest.mark.parametrize(
    ("python", "base", "expected"),
    [
        ("/p/.venv/bin/python", "/p", ".venv/bin/python"),
        ("/elsewhere/env/bin/python", "/p", "/elsewhere/env/bin/python"),
        ("/my project/.venv/bin/python", "/other", '"/my project/.venv/bin/python"'),
    ],
)
def test_interpreter_is_named_by_path(python: str, base: str, expected: str) -> None:
    assert interpreter_shown(Path(python), Path(base)) == expected
    assert pip_shown(Path(python), Path(base)) == f"{expected} -m pip"
