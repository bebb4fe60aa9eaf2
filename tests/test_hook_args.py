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


def test_a_file_name_with_terminal_controls_is_shown_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vet hook's own error named the file as the checkout spelled it: a file named
    requirements<ESC>[2J...txt (matched by the hook's files: pattern) that is not UTF-8 text
    cleared the screen and wrote its own verdict."""
    name = "requirements\x1b[2J\x1b[32mPASSED\x1b]0;owned\x07.txt"
    (tmp_path / name).write_bytes(b"six==1.16.0\n\xff\n")
    monkeypatch.chdir(tmp_path)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        code = _hook.main(["vet", "--offline", name])
    assert code == 2
    shown = err.getvalue()
    assert "not vetted" in shown
    assert "\x1b" not in shown
    assert "\x07" not in shown
    assert "requirements\\x1b[2J\\x1b[32mPASSED\\x1b]0;owned\\x07.txt" in shown


def test_a_file_that_declares_another_coding_is_not_passed_unvetted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip decodes a requirements file by its coding: comment, and in UTF-7 '# +AAo-' starts
    a new line: pip installs jinja2==2.10 from what reads in UTF-8 as two comments. The vet
    hook read UTF-8, found nothing added and passed."""
    (tmp_path / "requirements.txt").write_text("# -*- coding: utf-7 -*-\n# +AAo-jinja2==2.10\n")
    assert (tmp_path / "requirements.txt").read_bytes().decode("utf-7").splitlines()[-1] == (
        "jinja2==2.10"
    )
    monkeypatch.chdir(tmp_path)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        code = _hook.main(["vet", "--offline", "requirements.txt"])
    assert code == 2
    assert "declares the coding 'utf-7'" in err.getvalue()
