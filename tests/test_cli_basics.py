from __future__ import annotations

import io
import subprocess
import sys

from pipvet import __version__
from pipvet.cli import Output, main


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_version_flag() -> None:
    code, out, err = run(["--version"])
    assert (code, out, err) == (0, f"pipvet {__version__}\n", "")


def test_unknown_option_is_usage_error_with_hint() -> None:
    code, _out, err = run(["--no-such-option"])
    assert code == 2
    assert "unrecognized arguments: --no-such-option" in err
    assert "hint:" in err
    assert "Traceback" not in err


def test_python_dash_m_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipvet", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"pipvet {__version__}"
