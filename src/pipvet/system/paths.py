"""Where pipvet keeps its cache, per platform, overridable by PIPVET_CACHE_DIR; how a
suggested command names an interpreter; the one place a leading ``~`` is expanded; which
file a ``file://`` URL or a plain path names."""

from __future__ import annotations

import os
import re
import stat
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import NetworkError, UsageError


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("PIPVET_CACHE_DIR"):
        return expand_home(env["PIPVET_CACHE_DIR"], origin="PIPVET_CACHE_DIR")
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "pipvet"
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "pipvet" / "Cache"
    xdg = env.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else home / ".cache") / "pipvet"


def check_cache_dir(path: Path, *, uid: int | None = None) -> None:
    """Refuse a cache folder that another user could have written: the cache decides what
    pipvet reports (the advisory database, the popularity list, the index answers), so one
    planted there would hide a vulnerability or make a look-alike name look popular.

    The folder must belong to the user running pipvet (or to root, as a read-only copy
    prepared for many users does) and must not be writable by every user. A folder that does
    not exist yet is created by pipvet itself; where ownership is not kept in user ids
    (Windows), nothing is checked here. ``uid``: the user running pipvet (default: this
    process's)."""
    if uid is None:
        getuid = getattr(os, "getuid", None)
        if getuid is None:
            return
        uid = int(getuid())
    try:
        info = path.stat()
    except OSError:
        return  # missing (created on first use) or unreadable (said when it is used)
    where = f"the cache folder {path}"
    hint = "use a folder of your own: set PIPVET_CACHE_DIR or pass --cache-dir"
    if info.st_uid not in (uid, 0):
        raise UsageError(
            f"{where} belongs to another user (uid {info.st_uid}), who could change what "
            "pipvet reports (advisories, popularity, index answers)",
            hint=hint,
        )
    if info.st_mode & stat.S_IWOTH:
        raise UsageError(
            f"{where} can be written by every user of this machine, any of whom could change "
            "what pipvet reports (advisories, popularity, index answers)",
            hint=f"chmod o-w {path}, or {hint}",
        )


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


def expand_home(value: str | os.PathLike[str], *, origin: str) -> Path:
    """``value`` as a path with a leading ``~`` or ``~user`` expanded, as a shell would.

    Every ``~`` pipvet expands goes through here: ``Path.expanduser`` raises a bare
    RuntimeError for a user that does not exist (``~nosuchuser``) or a ``~`` with no home
    folder to find. That becomes a UsageError naming ``origin`` (the flag, environment
    variable or policy key the value came from), the value and what to write instead.
    """
    text = os.fspath(value)
    path = Path(text)
    if not text.startswith("~"):
        return path
    try:
        return path.expanduser()
    except RuntimeError:
        user = re.split(r"[\\/]", text[1:], maxsplit=1)[0]
        why = f'there is no user "{user[:60]}" on this machine' if user else "HOME is not set"
        raise UsageError(
            f'{origin}: cannot expand "{_cut(text)}": {why}',
            hint="write the full path of the folder or file instead of ~",
        ) from None


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def local_path(url: str) -> Path | None:
    """The file a ``file://`` URL or plain path names, or ``None`` for a network URL."""
    if "://" not in url:
        return expand_home(url, origin=url)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme.lower() != "file":
        return None
    if parsed.netloc not in ("", "localhost"):
        raise NetworkError(
            f"{url}: file:// URLs on another host are not supported",
            url=url,
            hint="use file:///absolute/path or a plain path",
        )
    if os.name == "nt":
        from urllib.request import url2pathname

        return Path(url2pathname(parsed.path))
    return Path(urllib.parse.unquote(parsed.path))
