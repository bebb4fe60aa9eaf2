"""A command's own help, and a mistake on its command line, pay for its parser only: what
the command needs to run (the index client, the database, pip, packaging's grammar, the
renderers) is imported when it runs, not when it is described."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipvet.cli import _COMMANDS

# Each is what one command or another needs to run, and nothing of a parser: a module here
# imported by `pipvet CMD --help` is start-up paid for nothing.
_RUN_TIME_ONLY = (
    "packaging",
    "sqlite3",
    "_sqlite3",  # what the advisory store opens (pipvet.advisories.store_rows)
    "_hashlib",
    "json",
    "concurrent",
    "logging",
    "dataclasses",
    "inspect",
    "subprocess",
    "tomllib",
    "hashlib",
    "uuid",
    "email",
    "socket",
    "ssl",
    "http",
    "zipfile",
    "tempfile",
    "threading",
    "zlib",
    "ast",
    "base64",
    "typing",
    "pathlib",
    "datetime",
    "pipvet.system.process",
    "pipvet.cli._vetting",
    "pipvet.cli._context",
    "pipvet.cli._install_run",
    "pipvet.cli._install_steps",
)

_PROBE = """
import io, os, sys
os.environ["COLUMNS"] = "80"
from pipvet.cli import Output, main
out, err = io.StringIO(), io.StringIO()
code = main(sys.argv[1:], Output(out, err))
heavy = sorted(m for m in {run_time_only!r} if m in sys.modules)
sys.stdout.write(out.getvalue())
print(code, heavy, err.getvalue().replace("\\n", " "), file=sys.stderr)
"""


def _run(argv: list[str]) -> tuple[str, str]:
    """(standard output, the probe's last line: exit code, run-time modules, messages)."""
    probe = _PROBE.format(run_time_only=_RUN_TIME_ONLY)
    proc = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
    )
    return proc.stdout, proc.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("command", _COMMANDS)
def test_a_commands_help_imports_only_its_parser(command: str) -> None:
    out, last = _run([command, "--help"])
    assert out.startswith(f"usage: pipvet {command} ")
    assert last == "0 []"


@pytest.mark.parametrize("command", _COMMANDS)
def test_a_mistake_on_a_commands_line_imports_only_its_parser(command: str) -> None:
    # (Not an unknown option: install hands those to pip.)
    out, last = _run([command, "--format", "no-such-format"])
    assert out == ""
    assert last.startswith("2 [] pipvet")
    assert "error" in last
