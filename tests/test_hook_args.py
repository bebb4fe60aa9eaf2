"""The pre-commit hook's arguments: pre-commit names changed files after the hook's own
options, and a checkout chooses those names."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pipvet.cli import _hook


def test_a_file_named_like_an_option_stays_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder named '--python=evil' with a requirements.txt in it made the hook run
    'pipvet audit --python=evil/requirements.txt': an executable the checkout had committed."""
    marker = tmp_path / "ran"
    (tmp_path / "evil").mkdir()
    evil = tmp_path / "evil" / "requirements.txt"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\n")
    evil.chmod(0o755)
    (tmp_path / "--python=evil").mkdir()
    (tmp_path / "--python=evil" / "requirements.txt").write_text("six==1.16.0\n")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "requirements.txt").write_text("six==1.16.0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    argv = ["--offline", "--allow-unchecked", "--python=evil/requirements.txt"]
    argv.append("ok/requirements.txt")
    options, files = _hook._split(argv)
    assert options == ["--offline", "--allow-unchecked"]
    assert files == [Path("--python=evil/requirements.txt"), Path("ok/requirements.txt")]
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        code = _hook.main(["audit", *argv])
    assert code == 2  # no advisory data offline: an error, and nothing run
    assert not marker.exists()
    assert "Traceback" not in err.getvalue()
