"""Renderers are pure: importing any module of ``pipvet.report`` loads no I/O machinery.

Each module is imported in a fresh interpreter, so what another test imported earlier cannot
hide (or fake) what the module pulls in by itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[1] / "src" / "pipvet" / "report"
FORBIDDEN = ("sqlite3", "_sqlite3", "subprocess", "urllib.request", "socket")

MODULES = sorted(
    ["pipvet.report"]
    + [f"pipvet.report.{p.stem}" for p in REPORT.glob("*.py") if p.stem != "__init__"]
)

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps([m for m in sys.argv[2:] if m in sys.modules]))
"""


def test_every_report_module_is_listed() -> None:
    assert "pipvet.report.text" in MODULES
    assert len(MODULES) > 10


@pytest.mark.parametrize("module", MODULES)
def test_report_module_imports_no_io(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module, *FORBIDDEN],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"importing {module} failed:\n{done.stderr}"
    loaded = json.loads(done.stdout)
    assert loaded == [], f"importing {module} loads {', '.join(loaded)}"
