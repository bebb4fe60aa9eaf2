"""Dependencies declared in ``pyproject.toml``: PEP 621 ``[project]``, PEP 735 groups, and what
uv, Poetry and PDM install from their own tables (``[tool.uv]``, ``[tool.poetry]``,
``[tool.pdm.dev-dependencies]``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from pipvet.errors import InputError
from pipvet.inputs.lock_common import cut
from pipvet.inputs.requirement_text import parse_requirement_text
from pipvet.inputs.requirements_model import RequirementEntry, RequirementsFile, decode_text
from pipvet.models import Location
from pipvet.system.files import (
    MAX_PYPROJECT_BYTES,
    FileProblem,
    foreign_link,
    read_bytes_capped,
)

__all__ = ["read_pyproject"]


_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


class _Pyproject:
    """Collects entries and problems from a parsed pyproject.

    tomllib does not report positions, so line numbers are found by searching the text for
    the quoted string, starting at the table it belongs to (approximate, but in the file).
    """

    def __init__(self, display: str, text: str) -> None:
        self.display = display
        self.lines = text.splitlines()
        self.cursor: dict[str, int] = {}
        self.entries: list[RequirementEntry] = []
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def table(self, *names: str) -> int:
        """0-based index of the first ``[name]`` header found (in the order given), else 0."""
        for name in names:
            dotted = r"\s*\.\s*".join(re.escape(part) for part in name.split("."))
            pattern = re.compile(r"^\s*\[\s*" + dotted + r"\s*\]")
            for i, line in enumerate(self.lines):
                if pattern.match(line):
                    return i
        return 0

    def line_of(self, key: str, start: int, value: str) -> int:
        """1-based line of the quoted ``value``; successive calls with one ``key`` move on."""
        begin = max(self.cursor.get(key, start), start)
        double, single = f'"{value}"', f"'{value}'"
        lines = self.lines
        for lo, hi in ((begin, len(lines)), (0, begin)):
            for i in range(lo, hi):
                if double in lines[i] or single in lines[i]:
                    self.cursor[key] = i + 1
                    return i + 1
        return start + 1

    def key(self, key: str, start: int) -> int:
        """0-based index of the line assigning ``key`` (bare or quoted) at or after ``start``."""
        pattern = re.compile(r"^\s*([\"']?)" + re.escape(key) + r"\1\s*=")
        for i in range(start, len(self.lines)):
            if pattern.match(self.lines[i]):
                return i
        return start

    def problem(self, line: int, text: str, what: str, todo: str) -> None:
        self.problems.append(f"{self.display}:{line}: {text} — {what} ({todo})")

    def requirements(
        self, value: object, section: str, key: str, table: int, *, constraint: bool = False
    ) -> None:
        start = self.key(key, table)
        if not isinstance(value, list):
            self.problem(
                start + 1,
                f"[{section}]",
                "must be a list of requirement strings",
                'write it like: ["requests>=2.31"]',
            )
            return
        for item in value:
            self.requirement(item, section, start, constraint=constraint)

    def requirement(
        self, item: object, section: str, start: int, *, constraint: bool = False
    ) -> None:
        if not isinstance(item, str):
            self.problem(
                start + 1,
                repr(item),
                f"in [{section}]: not a requirement string",
                "write each requirement as a quoted PEP 508 string",
            )
            return
        location = Location(self.display, self.line_of(section, start, item))
        editable = item.startswith("-e ")  # PDM writes editables so
        text = item[3:].strip() if editable else item
        try:
            self.entries.append(
                parse_requirement_text(
                    text,
                    location,
                    raw=item,
                    editable=editable,
                    constraint=constraint,
                    section=section,
                )
            )
        except InputError as err:
            self.problems.extend(err.problems)

    def project(self, project: object) -> None:
        if not isinstance(project, dict):
            self.problem(1, "[project]", "must be a table", "write it as a [project] table")
            return
        start = self.table("project")
        dynamic = project.get("dynamic", [])
        if isinstance(dynamic, list) and "dependencies" in dynamic:
            self.warnings.append(
                f"{self.display}: [project].dependencies are dynamic (computed by the build "
                "backend), so pipvet cannot read them; audit the installed environment instead"
            )
        deps = project.get("dependencies", [])
        self.requirements(deps, "project.dependencies", "dependencies", start)
        optional = project.get("optional-dependencies", {})
        opt_start = self.table("project.optional-dependencies", "project")
        if not isinstance(optional, dict):
            self.problem(
                opt_start + 1,
                "[project.optional-dependencies]",
                "must be a table",
                "write one line per extra: NAME = [requirement strings]",
            )
            return
        for extra, reqs in optional.items():
            self.requirements(reqs, f"project.optional-dependencies.{extra}", extra, opt_start)

    def tools(self, tool: object) -> None:
        """What uv and PDM install besides [project]: uv's dev-dependencies (installed by
        ``uv sync``) and override-dependencies (they replace what is asked for), its
        constraint-dependencies, and PDM's dev-dependencies groups (installed by ``pdm
        install``)."""
        if not isinstance(tool, dict):
            return
        uv = tool.get("uv")
        if isinstance(uv, dict):
            start = self.table("tool.uv")
            for key in ("dev-dependencies", "override-dependencies", "constraint-dependencies"):
                if key in uv:
                    constraint = key == "constraint-dependencies"
                    self.requirements(uv[key], f"tool.uv.{key}", key, start, constraint=constraint)
        poetry = tool.get("poetry")
        if isinstance(poetry, dict):
            self.poetry(poetry)
        pdm = tool.get("pdm")
        self.pdm_overrides(pdm)
        dev = pdm.get("dev-dependencies") if isinstance(pdm, dict) else None
        if dev is not None:
            start = self.table("tool.pdm.dev-dependencies", "tool.pdm")
            if not isinstance(dev, dict):
                self.problem(
                    start + 1,
                    "[tool.pdm.dev-dependencies]",
                    "must be a table",
                    "write one line per group: NAME = [requirement strings]",
                )
                return
            for group, reqs in dev.items():
                self.requirements(reqs, f"tool.pdm.dev-dependencies.{group}", group, start)

    def pdm_overrides(self, pdm: object) -> None:
        """PDM's ``[tool.pdm.resolution.overrides]``: NAME = "==2.10" (or a URL) replaces what
        anything asks for, so ``pdm install`` installs that."""
        resolution = pdm.get("resolution") if isinstance(pdm, dict) else None
        overrides = resolution.get("overrides") if isinstance(resolution, dict) else None
        if overrides is None:
            return
        section = "tool.pdm.resolution.overrides"
        start = self.table(section)
        if not isinstance(overrides, dict):
            self.problem(start + 1, f"[{section}]", "must be a table", 'write: NAME = "==1.2"')
            return
        for name, spec in overrides.items():
            if not isinstance(spec, str):
                self.requirement(spec, section, start)  # named as not a requirement string
                continue
            joined = _pdm_override(name, spec.strip())
            self.requirement(joined, section, start)

    def poetry(self, poetry: dict[str, object]) -> None:
        """Poetry's own tables (``poetry install`` installs them and every group): each
        dependency read as the requirement it means, in Poetry's version syntax."""
        tables: list[tuple[str, object]] = [
            ("tool.poetry.dependencies", poetry.get("dependencies")),
            ("tool.poetry.dev-dependencies", poetry.get("dev-dependencies")),
        ]
        groups = poetry.get("group")
        if isinstance(groups, dict):
            tables += [
                (f"tool.poetry.group.{name}.dependencies", group.get("dependencies"))
                for name, group in groups.items()
                if isinstance(group, dict)
            ]
        for section, deps in tables:
            if deps is None:
                continue
            start = self.table(section)
            if not isinstance(deps, dict):
                self.problem(start + 1, f"[{section}]", "must be a table", "run poetry check")
                continue
            for name, spec in deps.items():
                if canonicalize_name(name) == "python":
                    continue
                line = self.key(name, start) + 1
                for text, editable in _poetry_requirements(name, spec):
                    location = Location(self.display, line)
                    try:
                        entry = parse_requirement_text(
                            text, location, raw=f"{name} = {cut(str(spec), 200)}",
                            editable=editable, section=section,
                        )  # fmt: skip
                    except InputError as err:
                        self.problems.extend(err.problems)
                        continue
                    self.entries.append(entry)

    def groups(self, groups: object) -> None:
        """PEP 735 groups: strings and ``{include-group = "name"}`` tables, names normalised."""
        start = self.table("dependency-groups")
        if not isinstance(groups, dict):
            self.problem(
                start + 1,
                "[dependency-groups]",
                "must be a table",
                "write one line per group: NAME = [requirement strings]",
            )
            return
        by_name: dict[str, str] = {}
        includes: dict[str, list[tuple[str, int]]] = {}
        for group, items in groups.items():
            norm = canonicalize_name(group)
            section = f"dependency-groups.{group}"
            here = self.key(group, start)
            if norm in by_name:
                self.problem(
                    here + 1,
                    f"[dependency-groups] {group}",
                    f"the same group as '{by_name[norm]}' once names are normalised",
                    "merge the two groups",
                )
                continue
            by_name[norm] = group
            includes[norm] = []
            if not isinstance(items, list):
                self.requirements(items, section, group, start)
                continue
            for item in items:
                if not isinstance(item, dict):
                    self.requirement(item, section, here)
                    continue
                target = item.get("include-group")
                if set(item) != {"include-group"} or not isinstance(target, str):
                    self.problem(
                        here + 1,
                        repr(item),
                        f"in [{section}]: an include must be a table with one key",
                        'write it like: {include-group = "test"}',
                    )
                    continue
                includes[norm].append((target, self.line_of(section, here, target)))
        self._check_includes(by_name, includes)

    def _check_includes(
        self, by_name: Mapping[str, str], includes: Mapping[str, list[tuple[str, int]]]
    ) -> None:
        """Unknown groups (each where it is written) and include cycles. One walk with a stack,
        each group entered once: walking every path took 2**26 steps for 26 groups that each
        include the next twice, and a chain of 3,000 groups overflowed the recursion limit."""
        reported: set[frozenset[str]] = set()
        state: dict[str, bool] = {}  # True: on the current path; False: done
        for start in by_name:
            if start in state:
                continue
            path, pending = [start], [iter(includes.get(start, []))]
            state[start] = True
            while pending:
                step = next(pending[-1], None)
                if step is None:
                    state[path.pop()] = False
                    pending.pop()
                    continue
                target, line = step
                tnorm = canonicalize_name(target)
                if tnorm not in by_name:  # each group's includes are read once: said once
                    self.problem(
                        line,
                        f'{{include-group = "{target}"}}',
                        f"in [dependency-groups.{by_name[path[-1]]}]: no group named '{target}'",
                        "fix the name or add the group",
                    )
                    continue
                if state.get(tnorm) is False:
                    continue
                if state.get(tnorm):
                    cycle = path[path.index(tnorm) :]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        names = " -> ".join(by_name[n] for n in (*cycle, tnorm))
                        self.problem(
                            line,
                            f'{{include-group = "{target}"}}',
                            f"dependency group include cycle: {names}",
                            "remove one of these includes",
                        )
                    continue
                state[tnorm] = True
                path.append(tnorm)
                pending.append(iter(includes.get(tnorm, [])))


_POETRY_EXACT = re.compile(r"(?:==)?\s*([0-9][A-Za-z0-9.+!_-]*)")


def _poetry_requirements(name: str, spec: object) -> list[tuple[str, bool]]:
    """(requirement text, editable) for one Poetry dependency: a bare version is exact in
    Poetry (``"2.10"`` is ``==2.10``); ``^``, ``~``, ranges and ``*`` are not pins; a git,
    url or path table names where the code comes from; a list holds one table per marker."""
    if isinstance(spec, list):
        return [r for item in spec for r in _poetry_requirements(name, item)]
    table = spec if isinstance(spec, dict) else {"version": spec}
    for key, prefix in (("git", "git+"), ("url", "")):
        where = table.get(key)
        if isinstance(where, str):
            return [(f"{name} @ {prefix}{where}", False)]
    where = table.get("path")
    if isinstance(where, str):
        return [(where if "/" in where or "\\" in where else f"./{where}", True)]
    version = table.get("version")
    exact = _POETRY_EXACT.fullmatch(version.strip()) if isinstance(version, str) else None
    return [(f"{name}=={exact.group(1)}" if exact else name, False)]


def read_pyproject(path: Path) -> RequirementsFile:
    """Read ``[project].dependencies``, ``[project.optional-dependencies]`` and
    ``[dependency-groups]`` (PEP 735) from a ``pyproject.toml``.

    Each entry's ``section`` names where it was declared ("project.dependencies",
    "project.optional-dependencies.EXTRA", "dependency-groups.GROUP"); line numbers are found
    by searching the text and may be approximate. Group includes are checked (unknown groups,
    cycles); an included group's requirements are listed once, under their own group. Dynamic
    dependencies cannot be read statically and are reported as a warning. All problems are
    raised together as ``InputError``; invalid TOML names the line and column.
    """
    display = str(path)
    target = foreign_link(path)
    if target is not None:
        raise InputError(
            f"{path} links to {target}, outside its folder, which is not a .toml file; "
            "it is not read",
            hint="point pipvet at the pyproject.toml itself",
        )
    try:
        text = decode_text(read_bytes_capped(path, cap=MAX_PYPROJECT_BYTES))
    except FileProblem as exc:
        if exc.missing:
            raise InputError(
                f"pyproject file not found: {exc.path}", hint="check the path"
            ) from None
        raise InputError(f"cannot read {exc.path}: {exc.reason}", hint="check the path") from None
    except UnicodeDecodeError:
        raise InputError(f"{display} is not UTF-8 text", hint="save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nested array or table
        raise InputError(
            f"cannot read {display}: it is not valid TOML",
            problems=(f"{display}: arrays or tables nested too deeply",),
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS_RE.search(message)
        where = f"{display}:{pos.group(1)}:{pos.group(2)}" if pos else display
        detail = _TOML_POS_RE.sub("", message).strip()
        problem = f"{where}: invalid TOML: {detail} (fix the syntax at that position)"
        raise InputError(
            f"cannot read {display}: it is not valid TOML", problems=(problem,)
        ) from None
    except ValueError as exc:  # a number of over 4,300 digits
        raise InputError(f"cannot read {display}: it is not usable TOML ({exc})") from None

    reader = _Pyproject(display, text)
    if "project" in data:
        reader.project(data["project"])
    if "dependency-groups" in data:
        reader.groups(data["dependency-groups"])
    reader.tools(data.get("tool"))
    if reader.problems:
        count = len(reader.problems)
        raise InputError(
            f"cannot read dependencies from {display}: {count} problem{'s' if count != 1 else ''}",
            problems=tuple(reader.problems),
            hint="fix the entries listed above; every problem found is listed",
        )
    return RequirementsFile(
        path=path, entries=tuple(reader.entries), files=(path,), warnings=tuple(reader.warnings)
    )


def _pdm_override(name: str, spec: str) -> str:
    """An override as PDM reads it: a URL is where the package comes from, a specifier set
    constrains it, anything else is an exact version ("2.10" is ==2.10)."""
    if spec in ("", "*"):
        return name
    if "://" in spec or spec.startswith("file:"):
        return f"{name} @ {spec}"
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return f"{name}=={spec}"
    return f"{name}{spec}"
