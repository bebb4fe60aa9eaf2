"""Finding project folders under the folders a user names.

A folder is a project when it holds a manifest — a requirements file (``*requirements*.txt``
/ ``.in`` and ``requirements/*.txt`` / ``.in``, as every pipvet command finds them, plus any
other ``*.in`` at its top), a ``pyproject.toml``, a lock file (``uv.lock``, ``poetry.lock``,
``Pipfile.lock``, ``pylock*.toml``), a conda ``environment.yml`` or a notebook (``.ipynb``),
named as ``-r`` tells them apart — or a virtual environment (``.venv`` or ``venv`` with a
``pyvenv.cfg``). Projects may nest: the walk goes on below a project.

Never entered: ``.git``, ``.hg``, ``.venv``, ``venv``, ``.tox``, ``.nox``, ``node_modules``,
``build``, ``dist``, ``site-packages``, ``__pycache__``, ``.ipynb_checkpoints`` (Jupyter's
copies), a project's ``requirements/`` folder (its files belong to the project), what a
``.gitignore`` on the way ignores (see ``gitignore``), what ``--exclude`` names, and symbolic
links to folders (so a link loop cannot make the walk go round for ever).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

from pipvet.errors import UsageError
from pipvet.fleet.gitignore import (
    MAX_GLOB_LENGTH,
    MAX_GLOBS,
    IgnoreFile,
    ignored,
    parse_gitignore,
)
from pipvet.frozen import frozen
from pipvet.inputs.discover import sort_requirement_files
from pipvet.inputs.requirements import declared_kind

__all__ = ["SKIPPED_FOLDERS", "ProjectFolder", "Walked", "find_projects", "site_packages_in"]

SKIPPED_FOLDERS = frozenset(
    {
        ".git", ".hg", ".venv", "venv", ".tox", ".nox", "node_modules", "build", "dist",
        "site-packages", "__pycache__", ".ipynb_checkpoints",
    }
)  # fmt: skip
VENV_NAMES = (".venv", "venv")
# What `-r` reads besides requirements files and pyproject.toml (told by name, as it does).
_DECLARED_KINDS = frozenset({"lock", "conda", "notebook"})
_MAX_GITIGNORE_BYTES = 1_000_000
_MAX_COMPILED = 20_000  # globs compiled in one walk, all .gitignore files together


@frozen
class ProjectFolder:
    path: Path
    display: str
    manifests: tuple[Path, ...]
    venv: Path | None


@frozen
class Walked:
    projects: tuple[ProjectFolder, ...]
    warnings: tuple[str, ...]


def find_projects(
    roots: Sequence[Path], *, max_depth: int | None = None, exclude: Sequence[str] = ()
) -> Walked:
    """Every project folder under ``roots`` (each root itself included), in path order.
    ``max_depth`` 0 looks at the roots only. A root that is not a folder is a UsageError."""
    for root in roots:
        if not root.is_dir():
            raise UsageError(
                f"{root} is not a folder", hint="name the folders that hold your projects"
            )
    found: dict[Path, ProjectFolder] = {}
    warnings: list[str] = []
    for root in roots:
        _walk(root, max_depth, tuple(exclude), found, warnings)
    return Walked(tuple(sorted(found.values(), key=lambda p: p.display)), tuple(warnings))


def _walk(
    root: Path,
    max_depth: int | None,
    exclude: tuple[str, ...],
    found: dict[Path, ProjectFolder],
    warnings: list[str],
) -> None:
    # (folder, path relative to root, depth, the .gitignore rules in force there)
    stack: list[tuple[Path, str, int, tuple[IgnoreFile, ...]]] = [(root, "", 0, ())]
    compiled = [0]  # globs compiled so far
    while stack:
        folder, rel, depth, rules = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"{folder}: cannot be read ({exc.strerror or exc}); skipped")
            continue
        rules = rules + _gitignore(
            folder, rel, entries, rules, compiled=compiled, warnings=warnings
        )
        names = {e.name for e in entries}
        project = _project(root, folder, rel, names, rules)
        key = folder.resolve()
        if project is not None and key not in found:
            found[key] = project
        if max_depth is not None and depth >= max_depth:
            continue
        for entry in reversed(entries):
            if not _enter(entry, rel, rules, exclude, is_project=project is not None):
                continue
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            stack.append((Path(entry.path), child_rel, depth + 1, rules))


def _enter(
    entry: os.DirEntry[str],
    rel: str,
    rules: tuple[IgnoreFile, ...],
    exclude: tuple[str, ...],
    *,
    is_project: bool,
) -> bool:
    try:
        if not entry.is_dir(follow_symlinks=False):  # a link to a folder is never followed
            return False
    except OSError:
        return False
    name = entry.name
    if name in SKIPPED_FOLDERS or (is_project and name == "requirements"):
        return False
    child_rel = f"{rel}/{name}" if rel else name
    if any(fnmatch.fnmatch(name, g) or fnmatch.fnmatch(child_rel, g) for g in exclude):
        return False
    return not ignored(rules, child_rel, name, is_dir=True)


def _gitignore(
    folder: Path,
    rel: str,
    entries: list[os.DirEntry[str]],
    rules: tuple[IgnoreFile, ...],
    *,
    compiled: list[int],
    warnings: list[str],
) -> tuple[IgnoreFile, ...]:
    entry = next((e for e in entries if e.name == ".gitignore"), None)
    if entry is None or not entry.is_file(follow_symlinks=False):
        return ()
    try:
        with open(entry.path, "rb") as fh:
            data = fh.read(_MAX_GITIGNORE_BYTES)
    except OSError as exc:
        warnings.append(f"{entry.path}: cannot be read ({exc.strerror or exc}); not applied")
        return ()
    # The globs of every .gitignore above a folder are tried on each of its entries: at most
    # MAX_GLOBS in force, however deep the checkout nests its .gitignore files.
    # And a walk compiles at most _MAX_COMPILED globs in all, however many folders bring them.
    room = min(MAX_GLOBS - sum(len(f.globs) for f in rules), _MAX_COMPILED - compiled[0])
    found = parse_gitignore(data.decode("utf-8", errors="replace"), rel, max_globs=room)
    compiled[0] += len(found.globs)
    if found.dropped:
        warnings.append(
            f"{entry.path}: {found.dropped:,} of its glob lines are not applied, since at most "
            f"{MAX_GLOBS:,} are in force, each of at most {MAX_GLOB_LENGTH} characters, and "
            f"{_MAX_COMPILED:,} in one walk (plain names and paths all are); folders they name "
            "are walked"
        )
    return (found,)


def _project(
    root: Path,
    folder: Path,
    rel: str,
    names: set[str],
    rules: tuple[IgnoreFile, ...],
) -> ProjectFolder | None:
    found, special = sort_requirement_files(folder)
    manifests = [*found, *special]
    manifests.extend(
        folder / n
        for n in sorted(names)
        if n.endswith(".in") and n != "MANIFEST.in" and folder / n not in manifests
    )
    if "pyproject.toml" in names:
        manifests.append(folder / "pyproject.toml")
    # what `-r` reads besides: lock files, conda environment files, notebooks
    manifests.extend(
        folder / n
        for n in sorted(names)
        if declared_kind(Path(n)) in _DECLARED_KINDS and folder / n not in manifests
    )
    # A FIFO, device or broken link under a manifest's name stays one: the reader refuses it
    # by name, so its project is listed with that problem (exit 2), never silently left out.
    manifests = [
        m
        for m in manifests
        if not m.is_dir() and not ignored(rules, _rel(rel, m, folder), m.name, is_dir=False)
    ]
    venv = next(
        (folder / n for n in VENV_NAMES if n in names and (folder / n / "pyvenv.cfg").is_file()),
        None,
    )
    if not manifests and venv is None:
        return None
    display = os.path.normpath(os.path.join(str(root), rel)) if rel else str(root)
    return ProjectFolder(folder, display, tuple(manifests), venv)


def _rel(rel: str, path: Path, folder: Path) -> str:
    inner = path.relative_to(folder).as_posix()
    return f"{rel}/{inner}" if rel else inner


def site_packages_in(venv: Path) -> tuple[Path, ...]:
    """A venv's site-packages folders, found by their layout (nothing is run)."""
    found = sorted(venv.glob("lib/python*/site-packages")) + sorted(
        venv.glob("lib64/python*/site-packages")
    )
    windows = venv / "Lib" / "site-packages"
    if windows.is_dir():
        found.append(windows)
    return tuple(found)
