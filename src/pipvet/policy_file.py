"""Reading a policy file: capped, never through a link out to a file of another kind, and
never one another user could have planted where every user can write. I/O at the edge of
``policy``, which validates what is read here."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import PolicyError
from pipvet.system.files import MAX_POLICY_BYTES, FileProblem, foreign_link, read_bytes_capped

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["candidate", "has_pipvet_table", "pipvet_table", "pyproject_table", "read_toml"]


def candidate(path: Path, skipped: list[str], *, uid: int | None = None) -> bool:
    """Whether the walk up from the working folder may read ``path`` as a policy: a file, and
    not one that belongs to another user below a folder every user can write (``/tmp``,
    ``/var/tmp``, a shared scratch folder). Anyone could have put such a file above a user's
    work, and a policy decides what fails, which advisories count and where they come from.
    A skipped file is said in ``skipped``. ``uid``: the user running pipvet (default: this
    process's; nothing is checked where there are no user ids)."""
    try:
        info, own = path.stat(), path.lstat()  # a planted link is the planter's, too
    except (OSError, ValueError):
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if uid is None:
        getuid = getattr(os, "getuid", None)
        if getuid is None:
            return True
        uid = int(getuid())
    strangers = {info.st_uid, own.st_uid} - {uid, 0}
    if not strangers:
        return True
    # Below a folder every user can write, anyone could have made the folders on the way
    # down too (/tmp/x/build/pipvet.toml, with /tmp/x the stranger's), not only this file.
    open_to_all = next((f for f in path.parents if _writable_by_all(f)), None)
    if open_to_all is None:
        return True
    skipped.append(
        f"{path} is not applied: it belongs to another user (uid {min(strangers)}) and sits "
        f"below {open_to_all}, which every user can write, so anyone could have put it there; "
        "pass it with --policy if you trust it"
    )
    return False


def _writable_by_all(folder: Path) -> bool:
    try:
        return bool(folder.stat().st_mode & stat.S_IWOTH)
    except OSError:
        return False


def read_toml(path: Path) -> dict[str, Any]:
    return _parse(path, _read_text(path))


def pyproject_table(path: Path) -> Mapping[str, Any] | None:
    """The ``[tool.pipvet]`` table of a pyproject.toml found on the way up, or ``None``. A
    file whose text has no "pipvet" and no escape (``\\u``, ``\\U``) that could spell it
    cannot hold one, and is not parsed: most projects' pyproject.toml, whose TOML is their
    build tools' business (a broken one still stops pip, not pipvet)."""
    text = _read_text(path)
    if "pipvet" not in text and "\\u" not in text and "\\U" not in text:
        return None
    return pipvet_table(path, _parse(path, text))


def _read_text(path: Path) -> str:
    # A policy is found by walking up from the working folder: a checkout's pipvet.toml or
    # pyproject.toml can be a link to a credentials file, and errors quote values.
    target = foreign_link(path)
    if target is not None:
        raise PolicyError(
            f"policy file {path} links to {target}, outside its folder, which is not a .toml "
            "file; it is not read",
            hint="replace the link with the policy file itself (or pass one with --policy)",
        )
    try:
        return read_bytes_capped(path, cap=MAX_POLICY_BYTES).decode("utf-8")
    except (FileProblem, UnicodeDecodeError) as exc:
        detail = exc.reason if isinstance(exc, FileProblem) else "not UTF-8 text"
        raise PolicyError(f"cannot read policy file {path}: {detail}") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    if _blank(text):
        return {}  # what tomllib reads there; a policy of defaults need not import it
    import tomllib  # only when there is a policy to read

    try:
        return tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nested array or table
        raise PolicyError(
            f"{path} is not valid TOML: arrays or tables nested too deeply",
            hint="fix the file (or pass another file with --policy)",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(
            f"{path} is not valid TOML: {exc}",
            hint="fix the syntax at that line (or pass another file with --policy)",
        ) from exc
    except ValueError as exc:  # a number of over 4,300 digits
        raise PolicyError(
            f"{path} is not usable TOML: {exc}", hint="fix the file (or pass another with --policy)"
        ) from None


def _blank(text: str) -> bool:
    """Whether ``text`` is a TOML document with nothing in it but blank lines and comments
    (``tomllib.loads`` gives ``{}``): every line, after spaces and tabs, is empty or a comment
    of printable characters and tabs. Anything else, a valid document or not, is left to
    tomllib (which refuses a control character in a comment, a lone carriage return, a BOM)."""
    for line in text.replace("\r\n", "\n").split("\n"):
        body = line.lstrip(" \t")
        if body and not (body[0] == "#" and body.replace("\t", " ").isprintable()):
            return False
    return True


def pipvet_table(path: Path, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tool = data.get("tool")
    if not isinstance(tool, dict) or "pipvet" not in tool:
        return None
    table = tool["pipvet"]
    if not isinstance(table, dict):
        from pipvet.policy_schema import show_toml  # (see policy.parse_policy)

        raise PolicyError(f"{path}: [tool.pipvet] must be a table, got {show_toml(table)}")
    return table


def has_pipvet_table(path: Path) -> bool:
    try:
        return pyproject_table(path) is not None
    except PolicyError:
        return False  # only used for a warning; the file pipvet reads is the other one
