"""A fleet from a folder of SBOM files (``fleet --from-sboms DIR``): each CycloneDX or SPDX
JSON file (``*.json`` at any depth, read by ``pipvet.sbom.read``) is one project, named by the
file's path inside DIR; every PyPI component it lists is an installed row.

What an SBOM does not say is not guessed: rows have no relation (direct or transitive is
not known from a component list), so "used once" and "undeclared" stay empty, and there are
no pins to float. Drift and vulnerabilities work as for folders. A file that cannot be read
is a project with a problem (listed, exit 2).
"""

from __future__ import annotations

from pathlib import Path

from pipvet.errors import PipvetError, UsageError
from pipvet.fleet.model import Inventory, Project, Row
from pipvet.sbom.read import read_sbom
from pipvet.system.files import TooManyEntries, files_below

__all__ = ["MAX_SBOM_ENTRIES", "inventory_from_sboms"]

MAX_SBOM_ENTRIES = 100_000  # files and folders looked at: a folder of SBOMs, not a disk


def inventory_from_sboms(folder: Path) -> Inventory:
    if not folder.is_dir():
        raise UsageError(
            f"{folder} is not a folder", hint="pass --from-sboms a folder of SBOM JSON files"
        )
    projects: list[Project] = []
    rows: list[Row] = []
    warnings: list[str] = []
    try:
        paths = files_below(folder, ".json", limit=MAX_SBOM_ENTRIES)
    except TooManyEntries:
        raise UsageError(
            f"{folder} holds more than {MAX_SBOM_ENTRIES:,} files and folders: it is not a "
            "folder of SBOMs",
            hint="pass --from-sboms the folder your SBOM files are collected in",
        ) from None
    for path in paths:
        name = path.relative_to(folder).as_posix()
        try:
            sbom = read_sbom(path)
        except PipvetError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            projects.append(Project(name, (name,), f"{exc}{hint}"))
            continue
        projects.append(Project(name, (name,)))
        warnings.extend(f"{name}: {w}" for w in sbom.warnings)
        seen: set[tuple[str, str | None]] = set()
        for c in sbom.components:
            if (c.name, c.version) in seen:
                continue
            seen.add((c.name, c.version))
            rows.append(Row(name, f"{sbom.spec} SBOM", c.name, "installed", version=c.version))
    return Inventory(tuple(projects), tuple(rows), f"SBOM files in {folder}", tuple(warnings))
