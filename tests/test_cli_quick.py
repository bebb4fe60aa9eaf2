"""A command line read without argparse (cli._quick) means what argparse reads in it: each
table matches the command's parser, and on any command line the quick reader either gives
argparse's namespace or leaves the line to argparse."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipvet.cli import Output, audit, build_parser, main, vet
from pipvet.cli._parser import ArgumentError
from pipvet.cli._quick import APPEND, FLAG, VALUE, quick_parse

# Commands that keep a table, and the options each leaves to argparse on purpose.
_QUICK_COMMANDS = {
    "audit": (audit, {"-h", "--help", "--http-timeout"}),
    "vet": (vet, {"-h", "--help", "--http-timeout"}),
}


def _subparser(command: str) -> argparse.ArgumentParser:
    parser = build_parser(only=command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = sub.choices[command]
    return found


def _kind(action: argparse.Action) -> str | None:
    if isinstance(action, argparse._StoreTrueAction):
        return FLAG
    if action.type is not None or action.nargs is not None:
        return None  # converted, or not one value: argparse's
    if isinstance(action, argparse._AppendAction):
        return APPEND
    if type(action) is argparse._StoreAction:
        return VALUE
    return None


@pytest.mark.parametrize("command", sorted(_QUICK_COMMANDS))
def test_the_table_is_the_parsers(command: str) -> None:
    module, left_out = _QUICK_COMMANDS[command]
    expected: dict[str, tuple[str, str, tuple[str, ...] | None]] = {}
    for action in _subparser(command)._actions:
        kind = _kind(action)
        for option in action.option_strings:
            if option in left_out:
                assert kind is None or option == "--http-timeout"
                continue
            assert kind is not None, option
            choices = tuple(action.choices) if action.choices is not None else None
            expected[option] = (action.dest, kind, choices)
    assert expected == module.QUICK_OPTIONS
    # The one list of positional arguments the table's reader takes, if any.
    positionals = [a for a in _subparser(command)._actions if not a.option_strings]
    quick_positional = getattr(module, "QUICK_POSITIONAL", None)
    assert [(a.dest, a.nargs, a.type, a.choices) for a in positionals] == (
        [] if quick_positional is None else [(quick_positional, "*", None, None)]
    )
    parsed = build_parser(only=command).parse_args([command])
    assert vars(parsed) == {"command": command, **module.quick_defaults()}


def _argparse_reads(argv: list[str]) -> dict[str, Any] | None:
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return vars(build_parser(only=argv[0]).parse_args(argv))
    except (ArgumentError, SystemExit):
        return None


_TOKENS = [*audit.QUICK_OPTIONS, "-h", "--help", "--http-timeout", "--version", "5", "x", "a b"]
_TOKENS += ["json", "sarif", "markdown", "text", "xml", "", "-", "--", "-1", "--off", "-qo"]
_TOKENS += ["--format=json", "-rq", "--output=x", "audit", "=", "-r=x"]


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_TOKENS), max_size=8))
@example(["--offline", "--format", "json", "-q", "-o", "/dev/null", "--path", "site"])
@example(["-o", "-q"])
@example(["--format", "xml"])
@example(["-r", "a", "--requirement", "b", "-r", "c"])
def test_the_quick_reader_reads_as_argparse_or_not_at_all(tokens: list[str]) -> None:
    argv = ["audit", *tokens]
    quick = quick_parse(argv, "audit", audit.QUICK_OPTIONS, audit.quick_defaults())
    if quick is not None:
        assert vars(quick) == _argparse_reads(argv)


_VET_TOKENS = [*vet.QUICK_OPTIONS, "-h", "--help", "--http-timeout", "--version", "5", "x"]
_VET_TOKENS += ["requests", "a b", "x==1", "y[z]>=2; python_version<'4'", "", "-", "--", "-1"]
_VET_TOKENS += ["json", "markdown", "text", "pip", "metadata", "sarif", "--deep=1", "-qo", "vet"]
_VET_TOKENS += ["--res", "=", "-r=x", "--format=json"]


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_VET_TOKENS), max_size=9))
@example(["requests", "pandas", "--venv", "v", "--format", "json"])
@example(["--venv", "v", "requests", "pandas"])
@example(["a", "--deep", "b"])
@example(["--deep", "a", "b", "--format", "json"])
@example(["a", "--venv", "v", "b"])
@example(["--resolver", "pip", "a", "-r", "req.txt"])
def test_the_quick_reader_reads_vet_as_argparse_or_not_at_all(tokens: list[str]) -> None:
    argv = ["vet", *tokens]
    quick = quick_parse(argv, "vet", vet.QUICK_OPTIONS, vet.quick_defaults(), "names")
    if quick is not None:
        assert vars(quick) == _argparse_reads(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["vet", "requests", "pandas", "--venv", "v", "--format", "json"],
        ["vet", "--deep", "-r", "requirements.txt"],
        ["vet", "-q", "--offline", "six"],
    ],
)
def test_usual_vet_command_lines_take_the_quick_path(argv: list[str]) -> None:
    quick = quick_parse(argv, "vet", vet.QUICK_OPTIONS, vet.quick_defaults(), "names")
    assert quick is not None
    assert vars(quick) == _argparse_reads(argv)


def test_a_second_run_of_names_is_left_to_argparse() -> None:
    # argparse reads the first run and refuses the second ("unrecognized arguments: b").
    argv = ["vet", "a", "--deep", "b"]
    assert quick_parse(argv, "vet", vet.QUICK_OPTIONS, vet.quick_defaults(), "names") is None
    assert _argparse_reads(argv) is None
    err = io.StringIO()
    assert main(argv, Output(io.StringIO(), err)) == 2
    assert "unrecognized arguments: b" in err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--offline", "--format", "json", "-q", "-o", "/dev/null", "--path", "site"],
        ["audit", "--offline", "--format", "json", "-q", "-o", "/dev/null", "-r", "req.txt"],
        ["audit"],
        ["audit", "-r", "a.txt", "--requirement", "b.txt", "--fix", "--dry-run"],
    ],
)
def test_usual_command_lines_take_the_quick_path(argv: list[str]) -> None:
    quick = quick_parse(argv, "audit", audit.QUICK_OPTIONS, audit.quick_defaults())
    assert quick is not None
    assert vars(quick) == _argparse_reads(argv)


def test_defaults_are_not_shared_between_runs() -> None:
    defaults = audit.quick_defaults()
    first = quick_parse(["audit", "-r", "a"], "audit", audit.QUICK_OPTIONS, defaults)
    second = quick_parse(["audit"], "audit", audit.QUICK_OPTIONS, defaults)
    assert first is not None
    assert second is not None
    assert first.requirement == ["a"]
    assert second.requirement == defaults["requirement"] == []


def test_the_handler_is_the_modules_at_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # As set_defaults(func=handle) reads it when the parser is built (tests replace it).
    monkeypatch.setattr(audit, "handle", lambda args, out: 0)
    quick = quick_parse(["audit"], "audit", audit.QUICK_OPTIONS, audit.quick_defaults())
    assert quick is not None
    assert quick.func is audit.handle


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["audit", "-o"], "argument --output/-o: expected one argument"),
        (["audit", "--http-timeout", "0"], "expected seconds from 1 to 3600"),
        (["audit", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_what_the_quick_path_leaves_argparse_still_says(argv: list[str], message: str) -> None:
    err = io.StringIO()
    assert main(argv, Output(io.StringIO(), err)) == 2
    assert message in err.getvalue()


def test_help_of_the_command_is_argparses(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert main(["audit", "--help"], Output(out, io.StringIO())) == 0
    assert "usage: pipvet audit" in capsys.readouterr().out + out.getvalue()


def test_a_usual_vet_imports_no_argparse() -> None:
    code = (
        "import io, sys\n"
        "from pipvet.cli import Output, _parse\n"
        "out = Output(io.StringIO(), io.StringIO())\n"
        "args = _parse(['vet', 'requests', '--format', 'json'], out)\n"
        "loaded = sorted(m for m in ('argparse', 'gettext') if m in sys.modules)\n"
        "print(args.names, args.format, loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['requests'] json []"
