"""The fleet inventory in SQLite: one row per (project, source file, distribution, version or
specifier, kind), so the whole fleet can be queried later with any SQLite client.

Schema (``PRAGMA user_version`` = 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)            -- origin, made_at, tool version
    project(id INTEGER PRIMARY KEY, path TEXT UNIQUE, sources TEXT, problem TEXT)
    dependency(project_id INTEGER, source TEXT, line INTEGER, name TEXT, kind TEXT,
               version TEXT, specifier TEXT, relation TEXT, floats INTEGER)

``kind`` is installed / pinned / locked / declared; ``relation`` direct / transitive /
undeclared (NULL: not known). The file is a disposable cache: each run writes a new one beside
it and renames it into place, so a reader never sees half a run and a damaged file is simply
replaced.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import cast

from pipvet.errors import DataError
from pipvet.fleet.model import Inventory, Project, Relation, Row, RowKind
from pipvet.models import NormalizedName

__all__ = ["SCHEMA_VERSION", "load_inventory", "save_inventory"]

SCHEMA_VERSION = 1
# The checks are written with OR, not IN (...): SQLite 3.40 evaluates an IN list in a CHECK
# per row at a cost that made writing 220,000 rows take 1.7 s of CPU instead of 0.6 s.
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE project(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sources TEXT NOT NULL, problem TEXT
);
CREATE TABLE dependency(
    project_id INTEGER NOT NULL REFERENCES project(id),
    source TEXT NOT NULL,
    line INTEGER,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (
        kind = 'installed' OR kind = 'pinned' OR kind = 'locked' OR kind = 'declared'
    ),
    version TEXT,
    specifier TEXT NOT NULL,
    relation TEXT CHECK (
        relation = 'direct' OR relation = 'transitive' OR relation = 'undeclared'
    ),
    floats INTEGER NOT NULL
);
"""
_INDEXES = """
CREATE INDEX dependency_name ON dependency(name);
CREATE INDEX dependency_project ON dependency(project_id);
"""


def save_inventory(path: Path, inventory: Inventory, *, made_at: str, tool_version: str) -> None:
    """Write the inventory to ``path``, replacing whatever was there (atomically)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise DataError(
            f"cannot write the fleet inventory {path}: {exc.strerror or exc}",
            hint="pass --db a file in a folder you can write to",
        ) from None
    try:
        conn = sqlite3.connect(tmp)
        try:
            _write(conn, inventory, made_at=made_at, tool_version=tool_version)
        finally:
            conn.close()
        os.replace(tmp, path)
    except (sqlite3.Error, OSError) as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise DataError(
            f"cannot write the fleet inventory {path}: {exc}",
            hint="check the disk space and the folder's permissions, or pass --db another file",
        ) from None


def _write(conn: sqlite3.Connection, inv: Inventory, *, made_at: str, tool_version: str) -> None:
    # A new file renamed into place when complete: no journal, no fsync per page needed.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(_SCHEMA)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    with conn:
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("origin", inv.origin), ("made_at", made_at), ("tool_version", tool_version)],
        )
        ids: dict[str, int] = {}
        for number, project in enumerate(inv.projects, start=1):
            ids[project.path] = number
            conn.execute(
                "INSERT INTO project VALUES (?, ?, ?, ?)",
                (number, project.path, "\n".join(project.sources), project.problem),
            )
        conn.executemany(
            "INSERT INTO dependency VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    ids[r.project], r.source, r.line, r.name, r.kind, r.version, r.specifier,
                    r.relation, int(r.floats),
                )
                for r in inv.rows
            ),
        )  # fmt: skip
    conn.executescript(_INDEXES)  # after the rows: one sort instead of 200,000 inserts


def load_inventory(path: Path) -> Inventory:
    """Read an inventory back; DataError when the file is not one."""
    if not path.is_file():
        raise DataError(f"no fleet inventory at {path}", hint="run pipvet fleet DIR first")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _read(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DataError(
            f"{path} is not a readable fleet inventory ({exc})",
            hint="delete it; the next pipvet fleet run writes a new one",
        ) from None


def _read(conn: sqlite3.Connection) -> Inventory:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version != SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    projects: list[Project] = []
    paths: dict[int, str] = {}
    for pid, ppath, sources, problem in conn.execute(
        "SELECT id, path, sources, problem FROM project ORDER BY id"
    ):
        paths[pid] = ppath
        projects.append(Project(ppath, tuple(s for s in sources.split("\n") if s), problem))
    rows = tuple(
        Row(
            project=paths[pid],
            source=source,
            name=cast(NormalizedName, name),
            kind=cast(RowKind, kind),
            version=version_,
            specifier=spec,
            relation=cast("Relation | None", relation),
            line=line,
            floats=bool(floats),
        )
        for pid, source, line, name, kind, version_, spec, relation, floats in conn.execute(
            "SELECT project_id, source, line, name, kind, version, specifier, relation, floats "
            "FROM dependency ORDER BY rowid"
        )
    )
    return Inventory(tuple(projects), rows, meta.get("origin", ""))
