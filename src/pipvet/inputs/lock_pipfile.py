"""``Pipfile.lock``: the ``default`` and ``develop`` sections and every other package
category (a Pipfile's ``[docs]`` is locked as ``"docs"`` and installed with ``pipenv install
--categories docs``), each package pinned ``==``.

Packages with ``git``, ``path`` or ``file`` instead of a version are listed as not from a
package index. ``markers`` are kept and reported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipvet.errors import InputError
from pipvet.inputs.lock_common import LockReader, cut, read_lock_text
from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["read_pipfile_lock"]

_SECTIONS = ("default", "develop")
_LOCAL_KINDS = ("git", "hg", "svn", "bzr", "path", "file")


def read_pipfile_lock(path: Path) -> RequirementsFile:
    """Read a ``Pipfile.lock``; InputError naming the file (and line) for anything malformed."""
    text = read_lock_text(path, "Pipfile.lock")
    data = load_json(path, text)
    reader = LockReader(path, text, "Pipenv lock file (Pipfile.lock)")
    if not isinstance(data, dict) or not any(s in data for s in (*_SECTIONS, "_meta")):
        reader.problem(None, "no 'default' or 'develop' section", "is this a Pipfile.lock?")
        data = {}
    lines = text.splitlines()
    categories = [k for k in data if k not in (*_SECTIONS, "_meta")]
    for section in (*_SECTIONS, *categories):
        packages = data.get(section, {})
        if not isinstance(packages, dict):
            reader.problem(None, f"'{section}' is not an object", "regenerate it: pipenv lock")
            continue
        start = _line(lines, f'"{section}"', 0) or 0
        for name, pkg in packages.items():
            line = _line(lines, json.dumps(name), start)
            _package(reader, section, name, pkg, line)
    reader.finish()
    return RequirementsFile(
        path=path, entries=tuple(reader.entries), files=(path,), warnings=tuple(reader.warnings)
    )


def load_json(path: Path, text: str) -> Any:
    """Parse JSON; invalid JSON is an InputError naming the file, line and column."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(
            f"cannot read {path}: it is not valid JSON",
            problems=(f"{path}: arrays or objects nested too deeply",),
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"cannot read {path}: it is not valid JSON",
            problems=(f"{path}:{exc.lineno}:{exc.colno}: {exc.msg} (fix the syntax there)",),
        ) from None
    except ValueError as exc:  # a number of over 4,300 digits
        raise InputError(f"cannot read {path}: it is not usable JSON ({exc})") from None


def _line(lines: list[str], needle: str, start: int) -> int | None:
    for i in range(start, len(lines)):
        if needle in lines[i]:
            return i + 1
    return None


def _package(reader: LockReader, section: str, name: str, pkg: object, line: int | None) -> None:
    got = reader.name_and_version({"name": name, "version": None}, 0, -1)
    if got is None:
        return
    if not isinstance(pkg, dict):
        reader.problem(line, f"{cut(name)}: not an object", "regenerate it: pipenv lock")
        return
    marker = reader.marker(name, pkg.get("markers"), line)
    version = pkg.get("version")
    kind = next((k for k in _LOCAL_KINDS if k in pkg), None)
    pinned = None
    if isinstance(version, str) and re.fullmatch(r"===?\s*\S+", version):
        pinned = version.lstrip("=").strip()
    elif version is not None:
        reader.problem(
            line, f"{name}: version '{cut(str(version))}' is not ==X", "regenerate: pipenv lock"
        )
        return
    if kind is None and pinned is not None:
        reader.locked(name, pinned, line, marker=marker, section=section)
        return
    if kind is None:
        reader.unversioned(name, line, "from the index", marker=marker)
        return
    where = str(pkg.get(kind or "", "")) if kind else "no version recorded"
    ref = pkg.get("ref")
    if isinstance(ref, str) and ref:
        where += f"@{ref}"
    reader.not_from_index(
        name, pinned, line, f"{kind or 'source'}: {where}", marker=marker, section=section
    )
