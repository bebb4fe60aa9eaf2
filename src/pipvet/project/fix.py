"""``pipvet audit --fix``: raise each vulnerable requirement, in the file that declares it, to
the release that fixes it.

pip-audit's ``--fix`` upgrades the environment and leaves the files behind; this keeps the
files the truth: ``plan_fix`` reads the audited requirements files (and their ``-r``/``-c``
includes; without any, the project's usual files and ``pyproject.toml``) and computes every
edit without writing; ``apply_fix`` writes the changed files atomically. A file that cannot be
read or parsed is listed as a problem and never touched. Lock files are not edited: the plan
says which command of the lock's tool refreshes them. ``pipvet update`` then installs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from pipvet.errors import InputError
from pipvet.frozen import frozen
from pipvet.inputs.discover import discover_requirement_files
from pipvet.inputs.requirements import parse_requirements_file
from pipvet.models import DependencyResult
from pipvet.project.fix_pyproject import fix_pyproject_text
from pipvet.project.fix_text import TextFix, fix_requirements_text
from pipvet.project.model import NotRelaxed
from pipvet.project.relax import find_lock_files
from pipvet.project.relax_text import relax_requirements_text
from pipvet.project.textdiff import unified_diff
from pipvet.project.within import as_shown, outside
from pipvet.system.files import read_text_exact, write_texts_atomic

__all__ = ["FileFix", "FixPlan", "LockAdvice", "Targets", "apply_fix", "plan_fix"]


class Targets:
    """The fixed release to require per package, from the audit's results."""

    def __init__(self, results: Iterable[DependencyResult]) -> None:
        self.exact: dict[tuple[str, str], str] = {}
        self.best: dict[str, str] = {}
        self.audited: dict[str, str] = {}  # name -> "name version" as audited, for messages
        self.no_fix: list[str] = []
        for r in results:
            dep = r.dependency
            active = [f for f in r.findings if not f.ignored]
            if not active or dep.version is None:
                continue
            if r.fix_requirement is None:
                self.no_fix.append(f"{dep.label} {dep.version}")
                continue
            target = r.fix_requirement.rpartition(">=")[2]
            self.exact[(dep.name, dep.version)] = target
            if dep.name not in self.best or _v(target) > _v(self.best[dep.name]):
                self.best[dep.name] = target
            self.audited.setdefault(dep.name, f"{dep.label} {dep.version}")

    def __call__(self, name: NormalizedName, pinned: str | None) -> str | None:
        best = self.best.get(name)
        if best is None:
            return None
        if pinned is None:
            return best
        if (name, pinned) in self.exact:
            return self.exact[(name, pinned)]
        try:
            return best if Version(pinned) < _v(best) else None
        except InvalidVersion:
            return None


def _v(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")


@frozen
class FileFix:
    path: Path
    display: str
    kind: Literal["requirements", "pyproject"]
    original: str
    result: TextFix

    @property
    def changed(self) -> bool:
        return self.result.text != self.original

    def diff(self) -> str:
        return unified_diff(self.original, self.result.text, self.display) if self.changed else ""


@frozen
class LockAdvice:
    display: str
    tool: str
    command: str


@frozen
class FixPlan:
    files: tuple[FileFix, ...]
    locks: tuple[LockAdvice, ...]
    problems: tuple[str, ...]  # files that could not be read or parsed: left untouched
    no_fix: tuple[str, ...]  # vulnerable, and no fixed release exists yet
    undeclared: tuple[str, ...]  # vulnerable with a fix, declared in none of the files
    left: tuple[str, ...] = ()  # audited files of a kind pipvet does not edit, and why

    @property
    def changed(self) -> tuple[FileFix, ...]:
        return tuple(f for f in self.files if f.changed)

    @property
    def not_fixed(self) -> tuple[tuple[FileFix, NotRelaxed], ...]:
        return tuple((f, n) for f in self.files for n in f.result.not_fixed)


def plan_fix(
    project: Path,
    requirement_files: Sequence[Path],
    results: Iterable[DependencyResult],
    *,
    relax: bool = False,
) -> FixPlan:
    """Every edit that raises a vulnerable requirement to its fix; nothing is written."""
    targets = Targets(results)
    collector = _Collector(project, targets, relax=relax)
    tops = list(requirement_files) or list(discover_requirement_files(project))
    if not requirement_files and (project / "pyproject.toml").is_file():
        tops.append(project / "pyproject.toml")
    lock_dirs = {project}
    left: list[str] = []
    for top in tops:
        if top not in requirement_files and not collector.inside(top):
            continue  # found, not named: a link out of the project
        if top.resolve() in {lock.path.resolve() for lock in find_lock_files(top.parent)}:
            lock_dirs.add(top.parent)  # a lock is refreshed by its tool, never edited
        elif top.suffix in (".ipynb", ".yml", ".yaml"):
            left.append(
                f"{as_shown(project, top)}: pipvet does not edit notebooks or conda "
                "environment files; raise the versions named above by hand"
            )
        elif top.name == "pyproject.toml":
            collector.pyproject(top)
        else:
            collector.tree(top)
    files = collector.files
    declared = {name for f in files for name in f.result.declared}
    undeclared = tuple(
        f"{targets.audited[name]}: require {name}>={target}"
        for name, target in sorted(targets.best.items())
        if name not in declared
    )
    return FixPlan(
        files=tuple(files),
        locks=_lock_advice(lock_dirs, sorted(targets.best)) if targets.best else (),
        problems=tuple(collector.problems),
        left=tuple(left + collector.left),
        no_fix=tuple(targets.no_fix),
        undeclared=undeclared,
    )


class _Collector:
    def __init__(self, project: Path, targets: Targets, *, relax: bool) -> None:
        self.project = project
        self.targets = targets
        self.relax = relax
        self.files: list[FileFix] = []
        self.problems: list[str] = []
        self.left: list[str] = []
        self.seen: set[Path] = set()

    def tree(self, top: Path) -> None:
        """A requirements file and its includes; the whole tree must parse first."""
        try:
            parse_requirements_file(top)
        except InputError as err:
            self.problems.extend(err.problems or (str(err),))
            return
        queue = [top]
        while queue:
            path = queue.pop(0)
            if path.resolve() in self.seen:
                continue
            self.seen.add(path.resolve())
            display = as_shown(self.project, path)
            try:
                text = read_text_exact(path)
                includes = relax_requirements_text(text, constraints=True).includes
                result = fix_requirements_text(text, self.targets, relax=self.relax)
            except InputError as err:
                self.problems.append(str(err))
                continue
            except ValueError as err:
                self.problems.append(f"{display}: {err}")
                continue
            self.files.append(FileFix(path, display, "requirements", text, result))
            children = [path.parent / target for target, _ in includes if "://" not in target]
            queue += [child for child in children if self.inside(child)]

    def inside(self, path: Path) -> bool:
        """Is ``path`` (links resolved) in the project? A file an include or a link leads out
        to (another project's, or one a pull request points at) is audited, never edited."""
        target = outside(self.project, path)
        if target is None:
            return True
        self.left.append(
            f"{target}: outside {self.project.resolve()} (through an include or a "
            "link), so pipvet does not edit it; raise the versions named above in its own project"
        )
        return False

    def pyproject(self, path: Path) -> None:
        if path.resolve() in self.seen:
            return
        self.seen.add(path.resolve())
        display = as_shown(self.project, path)
        try:
            text = read_text_exact(path)
            result = fix_pyproject_text(text, self.targets, relax=self.relax)
        except InputError as err:
            self.problems.append(str(err))
            return
        except ValueError as err:
            self.problems.append(f"{display}: {err}")
            return
        self.files.append(FileFix(path, display, "pyproject", text, result))


_LOCK_COMMANDS = {
    "uv": "uv lock {upgrade}",
    "Poetry": "poetry update {names}",
    "Pipenv": "pipenv update {names}",
    "PDM": "pdm update {names}",
    "conda-lock": "conda-lock lock (after raising the floors in its source files)",
}


_RELOCK = "lock again with the tool that wrote it, upgrading {names}"


def _lock_advice(folders: set[Path], names: Sequence[str]) -> tuple[LockAdvice, ...]:
    """Lock files are never edited: say which command of their tool moves them."""
    out: list[LockAdvice] = []
    found = {lock.path.resolve(): lock for d in sorted(folders) for lock in find_lock_files(d)}
    for lock in found.values():
        template = _LOCK_COMMANDS.get(lock.tool, _RELOCK)
        command = template.format(
            upgrade=" ".join(f"--upgrade-package {n}" for n in names), names=" ".join(names)
        )
        out.append(LockAdvice(lock.display, lock.tool, command))
    return tuple(out)


def apply_fix(plan: FixPlan) -> tuple[str, ...]:
    """Write every changed file, all or none; return their display names."""
    # A link in the project is written through, as relax does: its target is in the project.
    write_texts_atomic((f.path.resolve(), f.result.text) for f in plan.changed)
    return tuple(f.display for f in plan.changed)
