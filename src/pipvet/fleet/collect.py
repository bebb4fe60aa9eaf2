"""Reading one project folder into inventory rows, through the readers every command uses:
``pipvet.inputs.requirements`` for requirements files (``-r`` / ``-c`` followed),
``pyproject.toml``, lock files (rows of kind ``locked``: the locked version, no relation),
conda ``environment.yml`` and notebooks (the one ``-r`` reader, ``parse_declared``);
``pipvet.inputs.installed`` for the venv's site-packages (metadata only, nothing is run);
and ``pipvet relax``'s own rule for which ``==`` pins it would float.

Installed distributions are related to what the project declares through their metadata's
``Requires-Dist``: named by the project -> direct; needed (transitively) by something named
-> transitive; neither -> undeclared. A ``Requires-Dist`` under an ``extra`` counts only when
that extra is asked for; other markers count as met (a dependency for some platform is not
"undeclared"). The installers themselves (pip, setuptools, wheel) are never undeclared.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipvet.errors import PipvetError
from pipvet.fleet.model import Project, Relation, Row, RowKind
from pipvet.fleet.simple_reqs import read_simple
from pipvet.fleet.walk import ProjectFolder, site_packages_in
from pipvet.inputs.installed import read_environment
from pipvet.inputs.installed_model import Distribution
from pipvet.inputs.requirements import declared_kind, parse_declared, parse_requirements_file
from pipvet.inputs.requirements_model import RequirementEntry
from pipvet.models import NormalizedName, canonicalize_name

__all__ = ["INSTALLERS", "read_project"]

INSTALLERS = frozenset({"pip", "setuptools", "wheel"})
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def read_project(folder: ProjectFolder, environ: Mapping[str, str]) -> tuple[Project, list[Row]]:
    """The project and its rows. A manifest or venv that cannot be read becomes the project's
    ``problem`` (file, line, what to do); what could be read is still returned."""
    rows: list[Row] = []
    problems: list[str] = []
    sources: list[str] = []
    seen: set[tuple[str, int | None, str]] = set()
    extras: dict[NormalizedName, set[str]] = {}
    sources_of: dict[str, str] = {}  # an entry's file -> as shown: string work, once per file
    for manifest in folder.manifests:
        sources.append(_relative(manifest, folder.path))
        try:
            kind = declared_kind(manifest)
            if kind == "requirements":
                simple = read_simple(manifest)
                found: list[tuple[str, int | None, RequirementEntry]]
                if simple:
                    # the commonest file: entries shared across the fleet, lines beside them
                    where = str(manifest)
                    found = [(where, line, entry) for entry, line in simple]
                else:
                    found = _located(parse_requirements_file(manifest, environ=environ).entries)
            else:
                found = _located(parse_declared(manifest, environ=environ).entries)
        except PipvetError as exc:
            problems.append(_describe(exc))
            continue
        locked = kind == "lock"
        cached = kind in ("requirements", "pyproject")
        for path, line, entry in found:
            shown = sources_of.get(path)
            if shown is None:
                shown = sources_of[path] = _relative(path, folder.path)
            row = _manifest_row(folder, shown, line, entry, locked=locked, cached=cached)
            if row is None:
                continue
            key = (shown, line, row.name)
            if key not in seen:
                seen.add(key)
                rows.append(row)
                known = extras.setdefault(row.name, set())
                if entry.extras:
                    known.update(canonicalize_name(e) for e in entry.extras)
    if folder.venv is not None:
        sources.append(folder.venv.name)
        try:
            rows.extend(_installed_rows(folder, extras))
        except PipvetError as exc:
            problems.append(_describe(exc))
    problem = "; ".join(problems) if problems else None
    return Project(folder.display, tuple(sources), problem), rows


def _describe(exc: PipvetError) -> str:
    text = str(exc)
    return f"{text} ({exc.hint})" if exc.hint else text


def _relative(path: str | Path, folder: Path) -> str:
    text, prefix = str(path), str(folder) + os.sep
    if text.startswith(prefix):  # string work: a fleet has hundreds of thousands of rows
        return text[len(prefix) :].replace(os.sep, "/")
    return text  # an include outside the project: shown as it is


def _located(entries: Iterable[RequirementEntry]) -> list[tuple[str, int | None, RequirementEntry]]:
    return [(e.location.path, e.location.line, e) for e in entries]


def _manifest_row(
    folder: ProjectFolder,
    source: str,
    line: int | None,
    entry: RequirementEntry,
    *,
    locked: bool,
    cached: bool,
) -> Row | None:
    if entry.kind == "constraint" or entry.name is None:
        return None  # a constraint limits, it declares nothing; an unnamed URL names nothing
    if locked:
        # A lock file states what gets installed, direct and transitive alike (it does not
        # say which is which), and `pipvet relax` never rewrites it.
        return Row(
            project=folder.display,
            source=source,
            name=entry.name,
            kind="locked" if entry.pinned_version else "declared",
            version=entry.pinned_version,
            specifier=_spec(entry),
            relation=None,
            line=line,
        )
    kind: RowKind = "pinned" if entry.kind == "pinned" else "declared"
    spec, floats = _shape(entry, cached=cached and "${" not in entry.raw)
    return Row(
        project=folder.display,
        source=source,
        name=entry.name,
        kind=kind,
        version=entry.pinned_version if kind == "pinned" else None,
        specifier=spec,
        relation="direct",
        line=line,
        floats=floats,
    )


def _spec(entry: RequirementEntry) -> str:
    return f"@ {entry.url}" if entry.url is not None else str(entry.specifier)


_SHAPES: dict[tuple[str, str, str | None], tuple[str, bool]] = {}
_MAX_SHAPES = 65536


def _shape(entry: RequirementEntry, *, cached: bool) -> tuple[str, bool]:
    """The row's specifier text and whether ``relax`` would float it. With ``cached``, once
    per (text, kind, URL): in a requirements or pyproject file (no ``${VAR}``) the same text
    always parses the same way, and a fleet repeats its lines in hundreds of projects."""
    if not cached:
        return _spec(entry), entry.kind in ("pinned", "unpinned") and _relax_floats(entry)
    key = (entry.raw, entry.kind, entry.url)
    found = _SHAPES.get(key)
    if found is None:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        found = _SHAPES[key] = _shape(entry, cached=False)
    return found


def _relax_floats(entry: RequirementEntry) -> bool:
    """Whether ``pipvet relax`` would turn this requirement's ``==`` into a floor: its rule
    (``project.relax_text``) read off the parsed specifier, without parsing the line again —
    an ``==`` that is not ``===``, names no local version (``+cpu``) and no ``${VAR}``."""
    pins = [s for s in entry.specifier if s.operator == "=="]
    if not pins or "${" in entry.raw:
        return False
    return all("+" not in s.version for s in pins)


def _installed_rows(folder: ProjectFolder, extras: dict[NormalizedName, set[str]]) -> list[Row]:
    assert folder.venv is not None
    scan = read_environment(site_packages_in(folder.venv), missing_ok=True)
    relation = _relations(scan.distributions, extras)
    source = folder.venv.name
    return [
        Row(
            project=folder.display,
            source=source,
            name=d.name,
            kind="installed",
            version=d.version,
            relation=relation.get(d.name),
        )
        for d in scan.distributions
    ]


def _relations(
    dists: Iterable[Distribution], declared: Mapping[NormalizedName, set[str]]
) -> dict[NormalizedName, Relation]:
    by_name = {d.name: d for d in dists}
    out: dict[NormalizedName, Relation] = {n: "direct" for n in by_name if n in declared}
    wanted: dict[NormalizedName, set[str]] = {n: set(declared[n]) for n in out}
    todo = list(out)
    while todo:
        name = todo.pop()
        dist = by_name.get(name)
        if dist is None:
            continue
        for dep, dep_extras in _requires(dist.requires_dist, wanted.get(name, set())):
            if dep not in by_name:
                continue
            known = wanted.setdefault(dep, set())
            if dep not in out or not dep_extras <= known:
                out.setdefault(dep, "transitive")
                known.update(dep_extras)
                todo.append(dep)
    for name in by_name:
        if name not in out and name not in INSTALLERS:  # an installer's relation is unknown
            out[name] = "undeclared"
    return out


def _requires(lines: Iterable[str], extras: set[str]) -> Iterable[tuple[NormalizedName, set[str]]]:
    for line in lines:
        match = _NAME.match(line)
        if match is None:
            continue
        _, _, marker = line.partition(";")
        needs = {canonicalize_name(e) for e in _EXTRA.findall(marker)}
        if needs and not needs & extras:
            continue
        asked: set[str] = {
            canonicalize_name(e.strip()) for e in (match.group(2) or "").split(",") if e.strip()
        }
        yield canonicalize_name(match.group(1)), asked
