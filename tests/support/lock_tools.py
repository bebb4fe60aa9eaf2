"""The lock tools the lock-file tests run for real: uv, poetry, pipenv (and pip's own
``pip lock``), each pointed at a loopback index only.

``lock_tool(name)`` finds the tool on PATH, beside the running interpreter or in a venv this
module made before (``$TMPDIR/pipvet-lock-tools/NAME``); failing that it installs it there
with pip (network to the package index needed, once per machine). When the tool cannot be
had, the test is skipped with the reason, except under CI, where it fails: CI must run every
reader against files the real tool wrote. uv is light (one binary wheel) and is in the
``test`` extra; poetry and pipenv pull dozens of packages (poetry: keyring, dulwich,
cryptography; pipenv: virtualenv), so they are installed here on first use instead of
weighing on every ``pip install -e .[test]``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import in_ci

__all__ = ["lock_tool", "tool_env"]

_CACHE = Path(tempfile.gettempdir()) / "pipvet-lock-tools"
_PACKAGES = {"uv": "uv", "poetry": "poetry>=2", "pipenv": "pipenv"}


def _find(name: str) -> Path | None:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    cached = _CACHE / name / "bin" / name
    if cached.is_file():
        return cached
    found = shutil.which(name)
    return Path(found) if found else None


def _install(name: str) -> tuple[Path | None, str]:
    venv = _CACHE / name
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120
        )
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", _PACKAGES[name]],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, str(exc)
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        return None, done.stderr.strip().splitlines()[-1:][0] if done.stderr.strip() else "failed"
    tool = venv / "bin" / name
    return (tool, "") if tool.is_file() else (None, f"{tool} missing after install")


def lock_tool(name: str) -> Path:
    """The tool's executable; skips (fails under CI) when it can be neither found nor
    installed."""
    found = _find(name)
    if found is not None:
        return found
    installed, why = _install(name)
    if installed is not None:
        return installed
    message = f"{name} is not installed and could not be installed ({why})"
    if in_ci():
        pytest.fail(f"{message}; CI must run the {name} lock-file test")
    pytest.skip(message)


def tool_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment where no tool reads the machine's configuration or caches."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("PIP_", "UV_", "POETRY_", "PIPENV_"))
        and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_CACHE_DIR=str(root / "uv-cache"),
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON=sys.executable,
        POETRY_CACHE_DIR=str(root / "poetry-cache"),
        POETRY_CONFIG_DIR=str(root / "poetry-config"),
        POETRY_VIRTUALENVS_CREATE="false",
        PIPENV_VENV_IN_PROJECT="1",
        PIPENV_CACHE_DIR=str(root / "pipenv-cache"),
        PIPENV_NOSPIN="1",
        PIPENV_YES="1",
        PIPENV_PYTHON=sys.executable,
        XDG_CACHE_HOME=str(root / "xdg-cache"),
    )
    return env
