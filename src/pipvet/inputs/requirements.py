"""Requirements files read the way pip reads them, and the turn from their entries into what
the audit checks.

``parse_requirements_file`` and ``parse_pyproject`` are the entry points: they read the file
they are given (nothing here runs a process or fetches anything). The entry types live in
``requirements_model``, one requirement string in ``requirement_text``, the file formats in
``requirements_txt`` (pip's requirements files) and ``pyproject`` (``pyproject.toml``). Every
entry keeps where it came from (file and first physical line) and the text as written, so
reports, SARIF and ``pipvet relax`` can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipvet.inputs.requirements_model import (
    NOT_FROM_INDEX,
    UNPINNED_REASON,
    RequirementEntry,
    RequirementsFile,
)
from pipvet.models import Dependency, NormalizedName, canonicalize_name

__all__ = [
    "declared_kind",
    "is_conda_name",
    "parse_declared",
    "parse_pyproject",
    "parse_requirements_file",
    "to_dependencies",
]


# ------------------------------------------------------------------- to dependencies


def to_dependencies(entries: Iterable[RequirementEntry]) -> list[Dependency]:
    """Turn entries into what the audit checks, in order, without exact duplicates.

    - pinned (``==X`` / ``===X``) -> ``Dependency(name, X)``, audited as written;
    - unpinned -> skipped, "not pinned: ...", *unless* a constraints file pins the same name
      to a version the requirement allows: pip would install exactly that version, so it is
      audited, located at the constraint line (where the version is decided and fixed);
    - editable / URL / path / VCS whose file name states a version -> audited by it, labelled
      ``local_build`` (the code comes from outside the index);
    - any other URL, VCS or archive -> skipped and *unchecked* (its release cannot be known);
    - a local folder (editable or not) -> skipped, listed as not from the index;
    - constraint lines alone produce nothing: a constraint only limits what is installed.
    Markers are not evaluated: a pin is audited whatever platform it is meant for.
    """
    items = list(entries)
    constraint_pins: dict[NormalizedName, RequirementEntry] = {}
    for e in items:
        if e.kind == "constraint" and e.name and e.pinned_version:
            constraint_pins.setdefault(e.name, e)
    out: list[Dependency] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for e in items:
        dep = _dependency(e, constraint_pins)
        if dep is None:
            continue
        key = (dep.name, dep.version, dep.skipped)
        if key not in seen:
            seen.add(key)
            out.append(dep)
    return out


def _dependency(
    e: RequirementEntry, constraint_pins: Mapping[NormalizedName, RequirementEntry]
) -> Dependency | None:
    # an unnamed editable or URL gets its label as a key; it is skipped, never looked up
    name = e.name or (
        canonicalize_name(e.display_name)
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", e.display_name)
        else NormalizedName(e.display_name)
    )
    if e.kind == "constraint":
        return None
    if e.kind == "pinned":
        return Dependency(name, e.pinned_version, e.display_name, e.location)
    if e.kind == "unpinned":
        pin = constraint_pins.get(name)
        if pin is None or pin.pinned_version is None:
            why = e.reason or UNPINNED_REASON
            return Dependency(name, None, e.display_name, e.location, skipped=why)
        if e.specifier.contains(pin.pinned_version, prereleases=True):
            return Dependency(name, pin.pinned_version, e.display_name, pin.location)
        return Dependency(
            name,
            None,
            e.display_name,
            e.location,
            skipped=(
                f"not pinned: the constraint '{pin.raw}' ({pin.location}) does not satisfy "
                f"'{e.raw}', so pip cannot install it; fix one of the two"
            ),
        )
    if e.pinned_version is not None:
        # A locked VCS, folder or URL package that records its version: audited by it, and
        # labelled, as an installed local build is (no source kind hides a finding).
        return Dependency(
            name,
            e.pinned_version,
            e.display_name,
            e.location,
            local=True,
            local_build=e.reason or NOT_FROM_INDEX,
        )
    from pipvet.inputs.requirement_urls import version_unknowable

    return Dependency(
        name,
        None,
        e.display_name,
        e.location,
        skipped=e.reason or f"{e.kind}: {NOT_FROM_INDEX}",
        # A URL, VCS or archive line could install any release: not checked (the audit
        # fails closed). A local folder is the user's own code: listed, as no advisory names it.
        local=not (e.url is not None and version_unknowable(e.url)),
    )


# ------------------------------------------------------------------------ entry points


def parse_requirements_file(
    path: Path, *, environ: Mapping[str, str] | None = None, constraint: bool = False
) -> RequirementsFile:
    """Read a pip requirements file (or, with ``constraint=True``, a constraints file).

    ``-r``/``-c`` includes are followed relative to the including file, with cycles detected;
    ``${VAR}`` is expanded from ``environ`` (default ``os.environ``) as pip does. All problems
    of the file and its includes are raised together as one ``InputError`` whose problems
    read ``FILE:LINE: 'TEXT' — what is wrong (what to do)``.
    """
    from pipvet.inputs.requirements_txt import read_requirements_file

    return read_requirements_file(path, environ=environ, constraint=constraint)


def parse_pyproject(path: Path) -> RequirementsFile:
    """Read ``[project].dependencies``, ``[project.optional-dependencies]`` and
    ``[dependency-groups]`` (PEP 735) of a ``pyproject.toml``; see ``requirements_pyproject``.
    """
    from pipvet.inputs.pyproject import read_pyproject

    return read_pyproject(path)


# An environment file's name, as conda's tools write them (a pattern compiled when asked).
_CONDA = r"^(.*[._-])?environment([._-].*)?\.ya?ml$"


def is_conda_name(name: str) -> bool:
    """Whether a file name is an environment file's (``_CONDA``, ignoring case)."""
    # An ASCII name without "environment" in any case cannot match: asked first, so reading
    # requirements.txt compiles no pattern (about a million instructions). Other names are
    # left to the pattern, whose case folding knows more than str.lower().
    if name.isascii() and "environment" not in name.lower():
        return False
    return re.match(_CONDA, name, re.IGNORECASE) is not None


def declared_kind(path: Path) -> str:
    """What ``-r FILE`` holds, by its name: "pyproject", "lock", "conda", "notebook" or
    "requirements" (anything else is read as a pip requirements file)."""
    from pipvet.inputs.lockfiles import is_lock_file

    if path.name == "pyproject.toml":
        return "pyproject"
    if is_lock_file(path):
        return "lock"
    if is_conda_name(path.name):
        return "conda"
    if path.suffix.lower() == ".ipynb":
        return "notebook"
    return "requirements"


def parse_declared(path: Path, *, environ: Mapping[str, str] | None = None) -> RequirementsFile:
    """The one reader behind ``-r FILE``: the format is told by the file name (see
    ``declared_kind``): ``pyproject.toml``, a lock file (``uv.lock``, ``poetry.lock``,
    ``Pipfile.lock``, ``pylock.toml``), a conda ``environment.yml``, a notebook (``.ipynb``),
    else a pip requirements file."""
    match declared_kind(path):
        case "pyproject":
            return parse_pyproject(path)
        case "lock":
            from pipvet.inputs.lockfiles import read_lock_file

            return read_lock_file(path)
        case "conda":
            from pipvet.inputs.conda import read_environment_yml

            return read_environment_yml(path, environ=environ)
        case "notebook":
            from pipvet.inputs.notebooks import read_notebook

            return read_notebook(path, environ=environ)
        case _:
            return parse_requirements_file(path, environ=environ)
