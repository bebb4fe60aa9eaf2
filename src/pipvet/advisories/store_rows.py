"""The advisory database's file format: its schema, and how records (zlib-compressed) and
their per-package digests (plain JSON text: an audit reads hundreds of them, and inflating
them cost more than reading the larger rows) are written as rows and read back. I/O:
``sqlite3``.

Callers hold the connection and the transaction; ``pipvet.advisories.store`` is the one that
does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pipvet.advisories import digest
from pipvet.advisories.match import PackageRecord
from pipvet.advisories.store_model import REBUILD_HINT, CorruptStore, StoredRecord, modified_key

# The C module the sqlite3 package re-exports: the same connect, Connection and exception
# classes (store.py catches them by these names), without the package's date adapters, which
# pipvet never binds, and the datetime module they import (~7M instructions of an audit).
try:
    import _sqlite3 as sqlite3
except ImportError:  # CPython and PyPy both have it; another interpreter may not
    import sqlite3  # type: ignore[no-redef]

__all__ = [
    "CHUNK",
    "INDEXES",
    "LAYER",
    "SCHEMA",
    "SCHEMA_VERSION",
    "WITHOUT_DIGEST_INDEX",
    "add_missing_digests",
    "connect",
    "decode_digest",
    "deflate",
    "effective_counts",
    "inflate",
    "insert_records",
    "replaced_ids",
    "sqlite3",
    "stored_names",
]

SCHEMA_VERSION = 1
LAYER = {"snapshot": 0, "overlay": 1}
# SQLite builds before 3.32 allow 999 bound parameters per statement; stay below that.
CHUNK = 900

# Rows still lacking their digest (an older pipvet sharing the cache folder may add some): an
# index that is normally empty, so asking whether there are any costs nothing.
WITHOUT_DIGEST_INDEX = """
CREATE INDEX IF NOT EXISTS affected_without_digest ON affected (layer, id) WHERE data IS NULL;
"""

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    layer INTEGER NOT NULL,          -- 0 upstream snapshot, 1 local overlay
    id TEXT NOT NULL,
    modified TEXT NOT NULL,          -- as published
    modified_key TEXT NOT NULL,      -- normalised UTC time, comparable as text
    withdrawn TEXT,
    body BLOB NOT NULL,              -- zlib-compressed JSON text of the record
    UNIQUE (layer, id)
);
CREATE TABLE affected (
    name TEXT NOT NULL,              -- canonical PyPI name (PEP 503)
    layer INTEGER NOT NULL,
    id TEXT NOT NULL,
    data BLOB,                       -- digest of the record for this name (JSON text)
    PRIMARY KEY (name, layer, id)
) WITHOUT ROWID;
"""
INDEXES = (
    """
CREATE INDEX affected_by_record ON affected (layer, id);
CREATE INDEX records_by_modified ON records (layer, modified_key);
"""
    + WITHOUT_DIGEST_INDEX
)


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    writable = create or os.access(path, os.W_OK)
    mode = ("rwc" if create else "rw") if writable else "ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=30)
    if writable:
        # Rollback journal (not WAL): a full sync renames a new file over this one, and a WAL
        # file left beside it would then belong to the wrong database.
        conn.execute("PRAGMA journal_mode=DELETE")
    return conn


def stored_names(conn: sqlite3.Connection) -> set[str]:
    """Every name the database has a row for, from the by-record index (the planner's choice:
    it holds every name and is small, the table holds the digests too)."""
    return {name for (name,) in conn.execute("SELECT name FROM affected")}


_BATCH = 500


def insert_records(conn: sqlite3.Connection, records: Iterable[StoredRecord], layer: int) -> None:
    """Upsert ``records`` into ``layer`` in batches; a replaced record's old names go away."""
    batch: dict[str, StoredRecord] = {}

    def flush() -> None:
        ids = [(layer, rid) for rid in batch]
        # A replaced record may no longer affect every name the old version named.
        conn.executemany("DELETE FROM affected WHERE layer = ? AND id = ?", ids)
        conn.executemany(
            "INSERT INTO records (layer, id, modified, modified_key, withdrawn, body) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (layer, id) DO UPDATE SET "
            "modified = excluded.modified, modified_key = excluded.modified_key, "
            "withdrawn = excluded.withdrawn, body = excluded.body",
            [
                (
                    layer,
                    r.id,
                    r.modified,
                    modified_key(r.modified),
                    r.withdrawn,
                    deflate(r.json),
                )
                for r in batch.values()
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO affected (name, layer, id, data) VALUES (?, ?, ?, ?)",
            [
                (name, layer, r.id, text)
                for r in batch.values()
                for name, text in zip(r.names, _digests(r), strict=True)
            ],
        )
        batch.clear()

    for record in records:
        if record.id in batch:  # the same id twice in one batch: the later one wins
            flush()
        batch[record.id] = record
        if len(batch) >= _BATCH:
            flush()
    if batch:
        flush()


def _digests(record: StoredRecord) -> tuple[str, ...]:
    if record.digests is not None:
        return record.digests
    from pipvet.advisories.osv import parse_advisory_json  # a sync's: an audit parses none

    return digest.digests_of(parse_advisory_json(record.json), record.names)


def add_missing_digests(conn: sqlite3.Connection) -> int:
    """Compute the digests the rows lack from the stored records. A record that no longer
    parses is dropped, as a sync would skip it; returns how many were dropped."""
    # Imported here: an audit reads digests, and parses no record (see advisories.digest).
    from pipvet.advisories.osv import MalformedRecord, parse_advisory_json

    rows = conn.execute(
        "SELECT r.layer, r.id, r.body FROM records r JOIN "
        "(SELECT DISTINCT layer, id FROM affected WHERE data IS NULL) m "
        "ON m.layer = r.layer AND m.id = r.id"
    ).fetchall()
    dropped = 0
    for layer, record_id, body in rows:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM affected WHERE layer = ? AND id = ?", (layer, record_id)
            )
        ]
        try:
            texts = digest.digests_of(parse_advisory_json(inflate(body)), names)
        except MalformedRecord:
            conn.execute("DELETE FROM affected WHERE layer = ? AND id = ?", (layer, record_id))
            conn.execute("DELETE FROM records WHERE layer = ? AND id = ?", (layer, record_id))
            dropped += 1
            continue
        conn.executemany(
            "UPDATE affected SET data = ? WHERE name = ? AND layer = ? AND id = ?",
            [(text, name, layer, record_id) for name, text in zip(names, texts, strict=True)],
        )
    return dropped


def deflate(text: str) -> bytes:
    import zlib  # records are read and written by a sync, an audit reads digests

    return zlib.compress(text.encode("utf-8"), 6)


def decode_digest(record_id: str, data: str | bytes | None) -> PackageRecord:
    try:
        if data is None:
            raise ValueError("missing")
        # Written as text; anything else (bytes a damaged or foreign file holds) must still
        # decode as UTF-8 and then parse as a digest.
        return digest.decode(data if isinstance(data, str) else bytes(data).decode("utf-8"))
    except ValueError as exc:
        raise CorruptStore(
            f"the stored matching data of advisory {record_id} is damaged: {exc}",
            hint=REBUILD_HINT,
        ) from None


def inflate(body: bytes) -> str:
    import zlib  # (see deflate)

    try:
        return zlib.decompress(body).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise CorruptStore(
            f"a stored advisory record is damaged: {exc}",
            hint=REBUILD_HINT,
        ) from None


def effective_counts(conn: sqlite3.Connection) -> dict[str, str]:
    """The meta values that describe the records in effect: snapshot plus overlay, the overlay
    winning by id."""
    effective = (
        "FROM records r WHERE r.layer = 1 OR NOT EXISTS "
        "(SELECT 1 FROM records o WHERE o.layer = 1 AND o.id = r.id)"
    )
    (records,) = conn.execute(f"SELECT count(*) {effective}").fetchone()
    (withdrawn,) = conn.execute(
        f"SELECT count(*) {effective} AND r.withdrawn IS NOT NULL"
    ).fetchone()
    (overlay,) = conn.execute("SELECT count(*) FROM records WHERE layer = 1").fetchone()
    newest = conn.execute(
        "SELECT modified, modified_key FROM records WHERE layer = 0 "
        "ORDER BY modified_key DESC LIMIT 1"
    ).fetchone()
    return {
        "records": str(records),
        "withdrawn": str(withdrawn),
        "overlay_records": str(overlay),
        "newest_modified": newest[0] if newest else "",
        "newest_modified_key": newest[1] if newest else "",
    }


def replaced_ids(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The public (snapshot) ids the overlay has records for, sorted. Such a record replaces
    the public one and can silence it, so reports name them."""
    rows = conn.execute(
        "SELECT o.id FROM records o WHERE o.layer = 1 AND EXISTS "
        "(SELECT 1 FROM records s WHERE s.layer = 0 AND s.id = o.id) ORDER BY o.id"
    )
    return tuple(row[0] for row in rows)
