"""``pipvet relax``: turn exact pins into floors in the project's requirements.

``plan_relax`` reads the files and computes every change without writing; ``apply_relax``
writes the changed files atomically. The plan is also what ``pipvet doctor`` reads to tell
whether a project pins (``RelaxPlan.pins``) and whether lock files freeze it.

Which files: the ones given, else ``*requirements*.txt`` / ``*requirements*.in`` at the top of
the project and ``requirements/*.txt`` / ``*.in``, plus ``pyproject.toml``. ``-r`` includes are
followed and relaxed too; ``-c`` constraints files are read and reported but never changed
(they cap versions on purpose). Every requirements file is first parsed in full by pipvet's
requirements reader: if any file has a problem, the plan carries the problems and
``apply_relax`` refuses to write anything at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from pipvet.errors import InputError
from pipvet.inputs.discover import discover_requirement_files
from pipvet.inputs.lockfiles import is_lock_file
from pipvet.inputs.requirements import parse_pyproject, parse_requirements_file
from pipvet.project.model import FileRelax, FileRole, LockFile, RelaxPlan, TextRelax
from pipvet.project.relax_pyproject import relax_pyproject_text
from pipvet.project.relax_text import relax_requirements_text
from pipvet.project.within import as_shown, outside
from pipvet.system.files import read_text_exact, write_texts_atomic

__all__ = ["apply_relax", "find_lock_files", "plan_relax"]

# ---------------------------------------------------------------------- finding files

_LOCKS: tuple[tuple[str, str, str, str], ...] = (
    # file pattern, tool, how it installs, how it is refreshed
    ("poetry.lock", "Poetry", "poetry install", "poetry update"),
    ("uv.lock", "uv", "uv sync", "uv lock --upgrade"),
    ("Pipfile.lock", "Pipenv", "pipenv sync / pipenv install", "pipenv update"),
    ("pdm.lock", "PDM", "pdm install", "pdm update"),
    ("pylock.toml", "PEP 751 lock", "an installer reading pylock.toml", "re-locking"),
    ("pylock.*.toml", "PEP 751 lock", "an installer reading the lock", "re-locking"),
    ("conda-lock.yml", "conda-lock", "conda-lock install", "conda-lock lock"),
)


def find_lock_files(project: Path) -> tuple[LockFile, ...]:
    found: list[LockFile] = []
    for pattern, tool, install, refresh in _LOCKS:
        for path in sorted(project.glob(pattern)):
            if not path.is_file():
                continue
            meaning = (
                f"frozen in time: {install} installs exactly the versions recorded when the "
                f"lock was last made, so new releases, security fixes included, arrive only "
                f"when someone runs {refresh}. pipvet relax does not edit lock files: refresh "
                "this one on a schedule (the CI job pipvet init writes is a good place) or, for "
                "a project that should float, stop committing it"
            )
            found.append(LockFile(path, as_shown(project, path), tool, meaning))
    return tuple(found)


# ---------------------------------------------------------------------- planning


def plan_relax(
    project: Path,
    paths: Sequence[Path] = (),
    *,
    pyproject: bool = True,
    environ: Mapping[str, str] | None = None,
) -> RelaxPlan:
    """Compute every rewrite without writing. ``paths`` empty: discover the usual files.

    ``pyproject`` (when ``paths`` is empty) adds the project's ``pyproject.toml``; a
    ``pyproject.toml`` named in ``paths`` is always treated as one.

    Roles: a file named by any ``-c`` (and by no ``-r``) is a constraints file and is never
    changed; so is a discovered file whose name says "constraint". Everything else is
    relaxed.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    targets = list(paths) or list(discover_requirement_files(project))
    if not paths and pyproject and (project / "pyproject.toml").is_file():
        targets.append(project / "pyproject.toml")
    planner = _Planner(project, env)
    named_locks: list[LockFile] = []
    for target in targets:
        if is_lock_file(target):  # reported, never rewritten: its tool re-locks it
            named_locks += [lock for lock in find_lock_files(target.parent) if lock.path == target]
            continue
        if target.name == "pyproject.toml":
            if paths or planner.inside(target):  # found, not named: maybe a link out
                planner.pyproject(target)
        else:
            planner.requirements_tree(target, discovered=not paths)
    planner.finish()
    return RelaxPlan(
        project=project,
        files=tuple(planner.files),
        lock_files=tuple(dict.fromkeys((*find_lock_files(project), *named_locks)).keys()),
        warnings=tuple(planner.warnings),
        problems=tuple(planner.problems),
    )


class _StandIns(Mapping[str, str]):
    """The environment, with a valid stand-in for every unset variable.

    Used only to validate requirements files: ``zed==${ZED_VERSION}`` is valid for pip
    wherever the variable is set at install time, so an unset variable here must not make
    the line (and with it the whole run) a parse error. Such pins are reported as not
    relaxed, never rewritten."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, key: str) -> str:
        return self._environ.get(key) or "0"

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


class _Planner:
    def __init__(self, project: Path, environ: Mapping[str, str]) -> None:
        self.project = project
        self.environ = environ
        self.files: list[FileRelax] = []
        self.warnings: list[str] = []
        self.problems: list[str] = []
        # requirements files in the order met: resolved path -> (path, text); and who names them
        self.texts: dict[Path, tuple[Path, str]] = {}
        self.as_requirements: set[Path] = set()
        self.as_constraints: set[Path] = set()
        self.by_name_constraints: set[Path] = set()
        self.pyprojects: list[FileRelax] = []

    def inside(self, path: Path) -> bool:
        """Is ``path`` (links resolved) in the project? Another project's file, or one a
        pull request's include or link leads to, is read for the audit but never rewritten
        here; the warning says so."""
        target = outside(self.project, path)
        if target is None:
            return True
        self.warnings.append(
            f"{target} is outside {self.project.resolve()} (through an include or "
            "a link): it is not rewritten; relax it in its own project"
        )
        return False

    def requirements_tree(self, top: Path, *, discovered: bool) -> None:
        """Validate the whole include tree, then remember each file and how it is named."""
        try:
            parse_requirements_file(top, environ=_StandIns(self.environ))
        except InputError as err:
            self.problems.extend(err.problems or (str(err),))
            return
        # A file named on the command line is relaxed; a discovered one only says "I exist":
        # if an -c names it, or its name says so, it is a constraints file.
        if not discovered:
            self.as_requirements.add(top.resolve())
        elif "constraint" in top.name.lower():
            self.by_name_constraints.add(top.resolve())
        if discovered and not self.inside(top):
            return
        queue = [top]
        while queue:
            path = queue.pop(0)
            resolved = path.resolve()
            if resolved in self.texts:
                continue
            try:
                text = read_text_exact(path)
                includes = relax_requirements_text(text, constraints=True).includes
            except InputError as err:
                self.problems.append(str(err))
                continue
            except ValueError as err:
                self.problems.append(f"{as_shown(self.project, path)}: {err}")
                continue
            self.texts[resolved] = (path, text)
            for target, is_constraint in includes:
                if "://" in target:
                    continue
                child = path.parent / target
                if not self.inside(child):
                    continue
                named = self.as_constraints if is_constraint else self.as_requirements
                named.add(child.resolve())
                queue.append(child)

    def finish(self) -> None:
        """Relax every remembered requirements file according to its role."""
        for resolved, (path, text) in self.texts.items():
            constraint = resolved not in self.as_requirements and (
                resolved in self.as_constraints or resolved in self.by_name_constraints
            )
            if resolved in self.as_requirements and resolved in self.as_constraints:
                self.warnings.append(
                    f"{as_shown(self.project, path)} is used both as requirements (-r) and as "
                    "constraints (-c); it is relaxed as requirements"
                )
            display = as_shown(self.project, path)
            try:
                result = relax_requirements_text(text, constraints=constraint)
            except ValueError as err:
                self.problems.append(f"{display}: {err}")
                continue
            role: FileRole = "constraints" if constraint else "requirements"
            self.files.append(FileRelax(path, display, role, text, result))
            self.note(display, role, result)
        for file in self.pyprojects:
            self.files.append(file)
            self.note(file.display, "pyproject", file.result)

    def pyproject(self, path: Path) -> None:
        display = as_shown(self.project, path)
        try:
            parse_pyproject(path)
        except InputError as err:
            self.problems.extend(err.problems or (str(err),))
            return
        try:
            original = read_text_exact(path)
            result = relax_pyproject_text(original)
        except InputError as err:
            self.problems.append(str(err))
            return
        except ValueError as err:
            self.problems.append(f"{display}: {err}")
            return
        self.pyprojects.append(FileRelax(path, display, "pyproject", original, result))

    def note(self, display: str, role: FileRole, result: TextRelax) -> None:
        if role == "constraints" and result.relaxed:
            count = len(result.relaxed)
            self.warnings.append(
                f"{display} is a constraints file and was left as it is ({count} exact "
                f"pin{'s' if count != 1 else ''}): constraints cap what pip may install; relax "
                "them by hand if they should float too"
            )
        for why in result.unsafe:
            self.warnings.append(f"{display} was left as it is: {why}")
        if result.hashes_dropped:
            self.warnings.append(
                f"{display}: {result.hashes_dropped} --hash option"
                f"{'s' if result.hashes_dropped != 1 else ''} removed, because hash-checking "
                "needs every requirement pinned; if you need hashes, generate a separate lock "
                "file from these floors (pip-compile --generate-hashes, uv pip compile)"
            )
        for line in result.require_hashes_dropped:
            self.warnings.append(
                f"{display}:{line}: --require-hashes removed (it would refuse the floors)"
            )
        if result.generated_by and result.relaxed:
            self.warnings.append(
                f"{display} looks generated ({result.generated_by}): compiling it again pins "
                "it again; relax its source (requirements.in or pyproject.toml) instead"
            )


# ---------------------------------------------------------------------- applying


def apply_relax(plan: RelaxPlan) -> tuple[Path, ...]:
    """Write every changed file atomically; return their paths.

    Raises InputError (and writes nothing) when the plan has problems.
    """
    if plan.problems:
        raise InputError(
            "nothing was relaxed: some requirements could not be read",
            problems=plan.problems,
            hint="fix the lines listed above, then run pipvet relax again",
        )
    # All or none: a requirements file and its includes are relaxed together. A link in the
    # project is written through (its target was checked to be in the project too), keeping
    # the target's mode: replaced, it became a 0644 copy of a 0600 file.
    write_texts_atomic((file.path.resolve(), file.result.text) for file in plan.changed)
    return tuple(file.path for file in plan.changed)
