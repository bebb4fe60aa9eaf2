"""From folders to an inventory: find the projects, read each one. A project that cannot be
read in part is kept with its problem (listed by every report, exit 2), never dropped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipvet.fleet.collect import read_project
from pipvet.fleet.model import Inventory, Project, Row
from pipvet.fleet.walk import find_projects
from pipvet.models import Progress

__all__ = ["scan_folders"]


def scan_folders(
    roots: Sequence[Path],
    *,
    environ: Mapping[str, str],
    max_depth: int | None = None,
    exclude: Sequence[str] = (),
    progress: Progress | None = None,
) -> Inventory:
    walked = find_projects(roots, max_depth=max_depth, exclude=exclude)
    projects: list[Project] = []
    rows: list[Row] = []
    total = len(walked.projects)
    for number, folder in enumerate(walked.projects, start=1):
        if progress is not None and number % 100 == 0:
            progress(f"reading projects {number}/{total}")
        project, found = read_project(folder, environ)
        projects.append(project)
        rows.extend(found)
    origin = "folders " + ", ".join(str(r) for r in roots)
    return Inventory(tuple(projects), tuple(rows), origin, walked.warnings)
