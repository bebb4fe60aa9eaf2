"""A bug in pipvet is one line and exit 2, never a traceback that exits 1 like a finding."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from pipvet.cli import audit as audit_cli

SECRET = "hunter2-do-not-print"


def _boom(*_args: object) -> int:
    url = f"https://someone:{SECRET}@mirror.example/simple"
    raise KeyError(f"unexpected field while reading {url}")


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, output=Output(out, err))
    return code, out.getvalue(), err.getvalue()


def test_an_unexpected_exception_is_exit_2_with_one_line_and_a_saved_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPVET_DEBUG", raising=False)
    monkeypatch.setattr(audit_cli, "handle", _boom)
    code, stdout, stderr = _run(["audit", "--offline", "--cache-dir", str(tmp_path)])
    assert code == 2
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines[0].startswith("pipvet: internal error: KeyError: ")
    assert "Traceback" not in stderr
    assert SECRET not in stderr
    assert "https://***@mirror.example" in lines[0]
    saved = list((tmp_path / "errors").glob("internal-error-*.txt"))
    assert len(saved) == 1
    assert str(saved[0]) in stderr
    text = saved[0].read_text()
    assert "Traceback (most recent call last)" in text
    assert "_boom" in text
    assert SECRET not in text
    assert saved[0].stat().st_mode & 0o777 == 0o600  # a traceback can quote what the run read


def test_pipvet_debug_prints_the_traceback_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPVET_DEBUG", "1")
    monkeypatch.setattr(audit_cli, "handle", _boom)
    code, _, stderr = _run(["audit", "--offline", "--cache-dir", str(tmp_path)])
    assert code == 2
    assert "Traceback (most recent call last)" in stderr
    assert SECRET not in stderr
    assert not (tmp_path / "errors").exists()


def test_a_traceback_that_cannot_be_saved_still_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPVET_DEBUG", raising=False)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(audit_cli, "handle", _boom)
    code, _, stderr = _run(["audit", "--offline", "--cache-dir", str(blocker)])
    assert code == 2
    assert "could not be saved" in stderr
    assert "PIPVET_DEBUG=1" in stderr


def test_no_traceback_is_saved_where_another_user_can_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shared folder: another user could read the traceback or plant a link where it goes.
    monkeypatch.delenv("PIPVET_DEBUG", raising=False)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setattr(audit_cli, "handle", _boom)
    code, _, stderr = _run(["audit", "--offline", "--cache-dir", str(shared)])
    assert code == 2
    assert "could not be saved" in stderr
    assert "can be written by every user" in stderr
    assert list(shared.iterdir()) == []


def test_a_bug_while_building_the_parser_is_caught_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPVET_DEBUG", raising=False)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path))

    def broken(_sub: object) -> None:
        raise RuntimeError("register failed")

    monkeypatch.setattr(audit_cli, "register", broken)
    # An abbreviated option: a command line that cli._quick leaves to argparse.
    code, _, stderr = _run(["audit", "--off"])
    assert code == 2
    assert stderr.startswith("pipvet: internal error: RuntimeError: register failed")
    assert len(list((tmp_path / "errors").glob("internal-error-*.txt"))) == 1


def test_a_bug_while_reading_the_command_line_quickly_is_caught_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipvet.cli import _quick

    monkeypatch.delenv("PIPVET_DEBUG", raising=False)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path))

    def broken(*_args: object) -> None:
        raise RuntimeError("quick_parse failed")

    monkeypatch.setattr(_quick, "quick_parse", broken)
    code, _, stderr = _run(["audit", "--offline"])
    assert code == 2
    assert stderr.startswith("pipvet: internal error: RuntimeError: quick_parse failed")
    assert len(list((tmp_path / "errors").glob("internal-error-*.txt"))) == 1


def test_the_boundary_names_pipvet_errors_and_interruptions_and_lets_an_exit_through() -> None:
    from pipvet.cli import handle_errors
    from pipvet.errors import UsageError

    err = io.StringIO()
    out = Output(io.StringIO(), err)
    with handle_errors(out) as status:
        raise UsageError("no such file: x.txt", hint="check the path")
    assert status.code == 2
    assert err.getvalue() == "pipvet: error: no such file: x.txt\nhint: check the path\n"
    with handle_errors(out) as status:
        raise KeyboardInterrupt
    assert status.code == 130
    assert err.getvalue().endswith("pipvet: interrupted\n")
    with pytest.raises(SystemExit), handle_errors(out) as status:
        raise SystemExit(3)
    with handle_errors(out) as status:
        status.code = 1
    assert status.code == 1
