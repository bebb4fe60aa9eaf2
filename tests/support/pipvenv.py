"""Virtual environments that have their own pip, made fast.

Creating a venv with pip takes seconds (ensurepip installs from a bundled wheel), so one
template is made per test process and copied for each test that needs a fresh environment.
A venv copy works as long as its scripts are not used by absolute path: tests run
``<venv>/bin/python -m pip``, never ``<venv>/bin/pip``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from tests.support.wheels import Venv, _python_in, create_venv

__all__ = ["venv_with_pip"]

_lock = threading.Lock()
_templates: dict[str, Path] = {}  # one per test process


def _make_template() -> Path:
    with _lock:
        if "venv" not in _templates:
            root = Path(tempfile.mkdtemp(prefix="pipvet-venv-template-"))
            atexit.register(shutil.rmtree, root, True)
            create_venv(root / "venv", with_pip=True)
            _templates["venv"] = root / "venv"
        return _templates["venv"]


def venv_with_pip(dest: Path) -> Venv:
    """A fresh virtual environment at ``dest`` with pip installed in it."""
    shutil.copytree(_make_template(), dest, symlinks=True)
    return Venv(root=dest, python=_python_in(dest))
