"""``poetry.lock``: every ``[[package]]`` with its name, version, groups (Poetry 2) or
category (Poetry 1), markers and source; ``[metadata]`` must be there.

No ``source`` (PyPI) or a ``legacy`` source (another package index) is from an index;
``git``, ``directory``, ``file`` and ``url`` sources are listed as not from a package index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipvet.inputs.lock_common import LockReader, load_toml, read_lock_text
from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["read_poetry_lock"]

_INDEX_TYPES = ("legacy", "pypi", "")


def read_poetry_lock(path: Path) -> RequirementsFile:
    """Read a ``poetry.lock``; InputError naming the file (and line) for anything malformed."""
    text = read_lock_text(path, "poetry.lock")
    data = load_toml(path, text)
    reader = LockReader(path, text, "Poetry lock file (poetry.lock)")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        reader.problem(None, "no [metadata] table", "is this a poetry.lock? run poetry lock")
    elif not isinstance(metadata.get("content-hash"), str):
        reader.warnings.append(
            f"{path}: [metadata] has no content-hash, so Poetry cannot tell whether the lock "
            "still matches pyproject.toml; run poetry lock"
        )
    packages = reader.packages(data, "package")
    for index, pkg in enumerate(packages):
        got = reader.name_and_version(pkg, index, len(packages))
        if got is None:
            continue
        name, version, line = got
        section = _groups(pkg)
        marker = reader.marker(name, _marker_text(pkg.get("markers")), line)
        source = pkg.get("source")
        kind = source.get("type", "") if isinstance(source, dict) else ""
        if not isinstance(kind, str):
            kind = "unknown"
        if kind in _INDEX_TYPES and version is not None:
            reader.locked(name, version, line, marker=marker, section=section)
            continue
        if kind in _INDEX_TYPES:
            reader.unversioned(name, line, "from the index", marker=marker)
            continue
        where = source.get("url", "") if isinstance(source, dict) else ""
        reader.not_from_index(
            name, version, line, f"{kind or 'source'}: {where}", marker=marker, section=section
        )
    reader.finish()
    return RequirementsFile(
        path=path, entries=tuple(reader.entries), files=(path,), warnings=tuple(reader.warnings)
    )


def _groups(pkg: dict[str, Any]) -> str | None:
    groups = pkg.get("groups")
    if isinstance(groups, list) and groups:
        return "groups: " + ", ".join(str(g) for g in groups)
    category = pkg.get("category")
    return f"category: {category}" if isinstance(category, str) else None


def _marker_text(value: object) -> object:
    """Poetry 2 writes one marker, or one per group (``{main = "...", dev = "..."}``): the
    package is installed when any of them holds."""
    if isinstance(value, dict):
        texts = [v for v in value.values() if isinstance(v, str) and v]
        if len(texts) != len(value):
            return None  # a group without a marker: installed everywhere
        unique = list(dict.fromkeys(texts))
        return unique[0] if len(unique) == 1 else " or ".join(f"({t})" for t in unique)
    return value
