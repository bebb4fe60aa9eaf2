"""``uv.lock``: every ``[[package]]`` with its name, version and source.

The project itself and the workspace members (``source = { editable = "." }`` or
``{ virtual = ... }`` naming a member) are not dependencies and are skipped. ``registry``
sources are package indexes; ``git``, ``path``, ``url``, ``directory`` and editable sources
outside the workspace are listed as not from a package index.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from pipvet.inputs.lock_common import LockReader, load_toml, read_lock_text
from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["read_uv_lock"]

_LOCAL_KINDS = ("git", "path", "url", "directory", "editable", "virtual")


def read_uv_lock(path: Path) -> RequirementsFile:
    """Read a ``uv.lock``; InputError naming the file (and line) for anything malformed."""
    text = read_lock_text(path, "uv.lock")
    data = load_toml(path, text)
    reader = LockReader(path, text, "uv lock file (uv.lock)")
    if not isinstance(data.get("version"), int):
        reader.problem(None, "no 'version = N' at the top", "is this a uv.lock? regenerate it")
    members = _members(data, reader)
    packages = reader.packages(data, "package")
    markers = 0
    for index, pkg in enumerate(packages):
        got = reader.name_and_version(pkg, index, len(packages))
        if got is None:
            continue
        name, version, line = got
        markers += _edge_markers(pkg)
        source = pkg.get("source")
        if not isinstance(source, dict) or not source:
            reader.not_from_index(name, version, line, "no source recorded in uv.lock")
            continue
        kind = next((k for k in _LOCAL_KINDS if k in source), None)
        # A registry entry is audited whatever else the source claims: uv installs such a
        # package from the index, and an added "virtual" key must not make it the project.
        if "registry" in source:
            if version is None:
                reader.unversioned(name, line, "a registry package", marker=None)
            else:
                reader.locked(name, version, line)
            continue
        value = str(source.get(kind or "", source))
        if kind in ("editable", "virtual") and (value == "." or canonicalize_name(name) in members):
            continue  # the project or a workspace member: the code being locked, not a dep
        reader.not_from_index(name, version, line, f"{kind or 'source'}: {value}")
    if markers:
        reader.warnings.append(
            f"{path}: {markers} dependenc{'ies are' if markers != 1 else 'y is'} declared "
            "for some platforms or Pythons only (markers in uv.lock); markers are not "
            "evaluated: every locked package is audited at its locked version"
        )
    reader.finish()
    return RequirementsFile(
        path=path, entries=tuple(reader.entries), files=(path,), warnings=tuple(reader.warnings)
    )


def _members(data: dict[str, object], reader: LockReader) -> set[str]:
    manifest = data.get("manifest")
    if not isinstance(manifest, dict):
        return set()
    members = manifest.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        reader.problem(None, "[manifest] members is not a list of names", "regenerate the lock")
        return set()
    return {canonicalize_name(m) for m in members}


def _edge_markers(pkg: dict[str, object]) -> int:
    deps = pkg.get("dependencies", [])
    if not isinstance(deps, list):
        return 0
    return sum(1 for d in deps if isinstance(d, dict) and d.get("marker"))
