"""``--output``/``-o`` means the same in every command: ``-`` is standard output (no file named
"-" appears), and a FILE in a folder that does not exist is an error naming that folder, given
before the command runs; no folder is ever made. Both command-line readers agree."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, audit, build_parser, main
from pipvet.cli._quick import quick_parse


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def _commands_with_output() -> list[tuple[list[str], argparse.ArgumentParser]]:
    found: list[tuple[list[str], argparse.ArgumentParser]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])
            elif "--output" in action.option_strings:
                found.append((path, parser))

    walk(build_parser(), [])
    return found


_COMMANDS = _commands_with_output()


def _required_positionals(parser: argparse.ArgumentParser) -> list[str]:
    return [
        "x"
        for a in parser._actions
        if not a.option_strings and a.nargs not in ("?", "*") and a.required
    ]


def test_every_command_with_output_is_covered() -> None:
    names = {" ".join(path) for path, _ in _COMMANDS}
    assert {"audit", "vet", "db sync", "db status", "sbom", "report", "fleet"} <= names
    assert len(names) >= 13


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[argparse.Namespace]:
    """Every command's handler replaced by one that records what it was given."""
    calls: list[argparse.Namespace] = []

    def record(args: argparse.Namespace, out: Output) -> int:
        calls.append(args)
        return 0

    for path, parser in _COMMANDS:
        func = parser.get_default("func")
        monkeypatch.setattr(sys.modules[func.__module__], func.__name__, record)
        del path
    return calls


@pytest.mark.parametrize("path", [p for p, _ in _COMMANDS], ids=" ".join)
def test_dash_is_standard_output_in_every_command(
    path: list[str],
    recorded: list[argparse.Namespace],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    parser = {" ".join(p): q for p, q in _COMMANDS}[" ".join(path)]
    code, _, err = run([*path, *_required_positionals(parser), "-o", "-"])
    assert code == 0, err
    (args,) = recorded
    assert args.output is None  # what every handler reads as "standard output"
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("path", [p for p, _ in _COMMANDS], ids=" ".join)
def test_a_missing_folder_is_an_error_in_every_command(
    path: list[str],
    recorded: list[argparse.Namespace],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    parser = {" ".join(p): q for p, q in _COMMANDS}[" ".join(path)]
    code, out, err = run([*path, *_required_positionals(parser), "-o", "typo/dir/x.out"])
    assert code == 2
    assert recorded == []  # refused before the command ran
    assert "the folder typo/dir does not exist" in err
    assert not (tmp_path / "typo").exists()
    assert out == ""


def test_update_sarif_is_checked_like_output(
    recorded: list[argparse.Namespace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["update", "--sarif", "ci/out/pipvet.sarif"])
    assert code == 2
    assert "the folder ci/out does not exist" in err
    code, _, err = run(["update", "--sarif", "-"])
    assert code == 2
    assert "--format sarif -o -" in err
    assert recorded == []
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_the_folder_should_be_is_named(
    recorded: list[argparse.Namespace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notdir").write_text("", encoding="utf-8")
    code, _, err = run(["audit", "-o", "notdir/x.json"])
    assert code == 2
    assert "notdir is not a folder" in err
    assert recorded == []


def test_the_quick_reader_takes_a_dash_as_argparse_does() -> None:
    argv = ["audit", "--offline", "--format", "json", "-q", "-o", "-", "-r", "-"]
    quick = quick_parse(argv, "audit", audit.QUICK_OPTIONS, audit.quick_defaults())
    assert quick is not None
    assert vars(quick) == vars(build_parser(only="audit").parse_args(argv))
    assert quick.output == "-"


# ------------------------------------------------------------------------ real audits


@pytest.mark.parametrize(
    "options",
    [
        ["--format", "json", "-q", "-o", "-"],  # read by cli._quick
        ["--format=json", "-q", "--output", "-"],  # read by argparse
        ["--format", "json", "-q", "--output=-"],  # argparse, the value glued on
    ],
)
def test_audit_dash_writes_the_report_to_standard_output(
    snapshot_project: Path, options: list[str]
) -> None:
    Path("requirements.txt").write_text("jinja2==2.10\n", encoding="utf-8")
    code, out, err = run(["audit", "--offline", "-r", "requirements.txt", *options])
    assert code == 1, err
    report: dict[str, Any] = json.loads(out)
    assert [d["name"] for d in report["dependencies"]] == ["jinja2"]
    assert not Path("-").exists()
    assert "report written to" not in err


def test_audit_to_a_missing_folder_fails_before_auditing_and_leaves_no_tree(
    snapshot_project: Path,
) -> None:
    Path("requirements.txt").write_text("jinja2==2.10\n", encoding="utf-8")
    code, out, err = run(["audit", "--offline", "-r", "requirements.txt", "-o", "reprot/a.json"])
    assert code == 2
    assert "cannot write the report to reprot/a.json: the folder reprot does not exist" in err
    assert "auditing" not in err
    assert out == ""
    assert not Path("reprot").exists()


def test_audit_to_an_existing_folder_still_writes_the_file(snapshot_project: Path) -> None:
    Path("requirements.txt").write_text("jinja2==2.10\n", encoding="utf-8")
    Path("out").mkdir()
    code, out, err = run(["audit", "--offline", "-r", "requirements.txt", "-o", "out/a.json"])
    assert code == 1, err
    assert out == ""
    assert "jinja2" in Path("out/a.json").read_text(encoding="utf-8")
    assert [p.name for p in Path("out").iterdir()] == ["a.json"]  # no temporary file left


def test_a_folder_removed_while_the_command_ran_is_not_made_again(tmp_path: Path) -> None:
    from pipvet.cli._common import write_report
    from pipvet.errors import InputError

    with pytest.raises(InputError, match=r"the folder .*gone does not exist"):
        write_report(tmp_path / "gone" / "a.txt", "text")
    assert not (tmp_path / "gone").exists()


def test_db_status_dash_is_standard_output(snapshot_project: Path) -> None:
    code, out, err = run(["db", "status", "--format", "json", "-o", "-"])
    assert code == 0, err
    assert json.loads(out)
    assert not Path("-").exists()
