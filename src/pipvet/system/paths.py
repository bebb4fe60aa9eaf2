"""Where pipvet keeps its cache, per platform, overridable by PIPVET_CACHE_DIR; how a
suggested command names an interpreter."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("PIPVET_CACHE_DIR"):
        return Path(env["PIPVET_CACHE_DIR"]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "pipvet"
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "pipvet" / "Cache"
    xdg = env.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else home / ".cache") / "pipvet"


def interpreter_shown(python: Path, base: Path) -> str:
    """How a suggested command names an interpreter: relative to ``base`` (the project) when
    inside it (``.venv/bin/python``, ``.venv\\Scripts\\python.exe`` on Windows), else the full
    path; quoted for a shell when it holds a space. Never a bare ``python``, which may be any
    interpreter on the user's PATH."""
    try:
        shown = str(python.absolute().relative_to(base.absolute()))
    except ValueError:
        shown = str(python)
    return f'"{shown}"' if " " in shown else shown


def pip_shown(python: Path, base: Path) -> str:
    """``<interpreter> -m pip``, the environment's own pip, for a suggested command."""
    return f"{interpreter_shown(python, base)} -m pip"
