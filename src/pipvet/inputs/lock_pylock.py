"""``pylock.toml`` (PEP 751): every ``[[packages]]`` with its name, version and marker.

Packages installed from ``wheels`` / ``sdist`` (or naming only an ``index``) are from a
package index, at their ``version`` or, when the lock leaves it out, the one their file names
state; ``vcs``, ``directory`` and ``archive`` packages are listed as not from a
package index (audited by their version when they record one).
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from pipvet.inputs.lock_common import LockReader, load_toml, read_lock_text
from pipvet.inputs.release_files import file_release
from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["read_pylock"]

_LOCAL_KINDS = ("vcs", "directory", "archive")


def read_pylock(path: Path) -> RequirementsFile:
    """Read a PEP 751 lock; InputError naming the file (and line) for anything malformed."""
    text = read_lock_text(path, "pylock.toml")
    data = load_toml(path, text)
    reader = LockReader(path, text, "PEP 751 lock file (pylock.toml)", header="packages")
    lock_version = data.get("lock-version")
    if not isinstance(lock_version, str):
        reader.problem(None, "no lock-version", "is this a PEP 751 pylock.toml?")
    elif lock_version.split(".")[0] != "1":
        reader.problem(
            None,
            f"lock-version {lock_version!r} is not one pipvet knows (1.x)",
            "regenerate it with a tool writing PEP 751 lock-version 1.0",
        )
    packages = reader.packages(data, "packages")
    for index, pkg in enumerate(packages):
        got = reader.name_and_version(pkg, index, len(packages))
        if got is None:
            continue
        name, version, line = got
        marker = reader.marker(name, pkg.get("marker"), line)
        kind = next((k for k in _LOCAL_KINDS if k in pkg), None)
        if kind is None and version is None:
            version = _stated_version(name, pkg)
            if version is None:
                reader.unversioned(name, line, "nor do its file names state one", marker=marker)
                continue
        if kind is None and version is not None:
            reader.locked(name, version, line, marker=marker)
            continue
        source = pkg.get(kind or "", {})
        where = ""
        if isinstance(source, dict):
            where = str(source.get("url") or source.get("path") or "")
        reader.not_from_index(name, version, line, f"{kind or 'source'}: {where}", marker=marker)
    reader.finish()
    return RequirementsFile(
        path=path, entries=tuple(reader.entries), files=(path,), warnings=tuple(reader.warnings)
    )


def _stated_version(name: str, pkg: dict[str, object]) -> str | None:
    """The version the file names of a package's wheels and sdist state, when the lock
    leaves ``version`` out (PEP 751 allows it) and they all state the same one."""
    files = pkg.get("wheels")
    tables = [*(files if isinstance(files, list) else []), pkg.get("sdist")]
    stated: set[str] = set()
    for table in tables:
        if not isinstance(table, dict):
            continue
        for key in ("name", "url", "path"):
            text = table.get(key)
            release = file_release(text) if isinstance(text, str) else None
            if release is not None and release[0] == canonicalize_name(name):
                stated.add(release[1])
                break
    return stated.pop() if len(stated) == 1 else None
