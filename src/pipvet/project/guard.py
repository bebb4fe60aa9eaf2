"""pip's own guard, ``require-virtualenv``: is it set, and in which config file.

Read by ``pipvet init`` (which sets it only when it is not already) and ``pipvet doctor``
(which reports it). Reads config files only.
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["TRUE_VALUES", "config_requires_venv", "system_pip_configs", "user_guard_set"]

TRUE_VALUES = ("true", "yes", "1", "on")  # how pip's config spells a true boolean


def _pip_config_files(environ: Mapping[str, str], home: Path) -> list[Path]:
    xdg = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    files = [Path(xdg) / "pip" / "pip.conf", home / ".pip" / "pip.conf"]
    if sys.platform == "darwin":
        files.append(home / "Library" / "Application Support" / "pip" / "pip.conf")
    if sys.platform == "win32" and environ.get("APPDATA"):
        files.append(Path(environ["APPDATA"]) / "pip" / "pip.ini")
    return files


def user_guard_set(environ: Mapping[str, str]) -> Path | None:
    """The user pip config file that already sets ``require-virtualenv``, if any."""
    home = Path(environ.get("HOME") or Path.home())
    for path in _pip_config_files(environ, home):
        if config_requires_venv(path):
            return path
    return None


def system_pip_configs(environ: Mapping[str, str]) -> list[Path]:
    """pip config files outside the user's: the system-wide ones and ``PIP_CONFIG_FILE``."""
    paths = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf")]
    if environ.get("PIP_CONFIG_FILE"):
        paths.append(Path(environ["PIP_CONFIG_FILE"]))
    return paths


def config_requires_venv(path: Path) -> bool:
    """Does the pip config file at ``path`` set ``require-virtualenv`` (global or install)?
    An unreadable file sets nothing."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return False
    return any(
        parser.get(section, key, fallback="").strip().lower() in TRUE_VALUES
        for section in ("global", "install")
        for key in ("require-virtualenv", "require_virtualenv")
    )
