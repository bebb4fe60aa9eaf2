"""The local advisory database: one SQLite file of raw OSV records indexed by package name.

Promises:
- an audit reads only the records of the names it asks for (``raw_records_for``), never the
  whole archive;
- records are kept as the raw JSON their source published (zlib-compressed on disk); parsing is
  the caller's job, so the store only knows each record's id, ``modified``, ``withdrawn`` and the
  canonical PyPI names it affects;
- beside each (name, record) pair it keeps the record's digest for that package
  (``pipvet.advisories.digest``): what matching and findings read, so an audit
  (``package_records_for``) neither decompresses nor parses records. A database written before
  digests existed, with an older digest format, or with rows an older pipvet added without
  them, is completed by its next write, in the same transaction; until then
  ``has_package_records`` is False and callers use the raw records;
- two layers: the upstream snapshot and a local overlay whose records override snapshot records
  with the same id;
- every ``sqlite3`` failure leaves this module as a ``DataError`` (``CorruptStore`` when the
  file is not a pipvet advisory database at all), so callers can rebuild.

Writing happens through ``build_store`` (a fresh file, for a full sync: the caller renames it
into place) and ``AdvisoryStore.update`` (one transaction, for an incremental sync).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipvet.advisories import digest
from pipvet.advisories.match import PackageRecord
from pipvet.advisories.osv import MalformedRecord, parse_advisory_json
from pipvet.errors import DataError
from pipvet.models import NormalizedName, Snapshot

__all__ = [
    "SCHEMA_VERSION",
    "AdvisoryStore",
    "CorruptStore",
    "StoreInfo",
    "StoredRecord",
    "build_store",
    "modified_key",
]

SCHEMA_VERSION = 1
_LAYER = {"snapshot": 0, "overlay": 1}
# SQLite builds before 3.32 allow 999 bound parameters per statement; stay below that.
_CHUNK = 900
_REBUILD = "run 'pipvet db sync --full' to rebuild it"

# Rows still lacking their digest (an older pipvet sharing the cache folder may add some): an
# index that is normally empty, so asking whether there are any costs nothing.
_WITHOUT_DIGEST_INDEX = """
CREATE INDEX IF NOT EXISTS affected_without_digest ON affected (layer, id) WHERE data IS NULL;
"""

_SCHEMA = """
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
    data BLOB,                       -- zlib-compressed digest of the record for this name
    PRIMARY KEY (name, layer, id)
) WITHOUT ROWID;
"""
_INDEXES = (
    """
CREATE INDEX affected_by_record ON affected (layer, id);
CREATE INDEX records_by_modified ON records (layer, modified_key);
"""
    + _WITHOUT_DIGEST_INDEX
)


class CorruptStore(DataError):
    """The file exists but is not a readable pipvet advisory database of this version."""


@dataclass(frozen=True)
class StoredRecord:
    """What the store keeps of one OSV record.

    ``digests`` holds the record's digest for each of ``names``, in the same order; when it is
    None the store computes them from ``json`` (MalformedRecord if that does not parse).
    """

    id: str
    modified: str
    withdrawn: str | None
    names: tuple[NormalizedName, ...]
    json: str
    digests: tuple[str, ...] | None = None


@dataclass(frozen=True)
class StoreInfo:
    """Everything ``pipvet db status`` shows."""

    path: Path
    size_bytes: int
    source: str
    records: int  # effective records: snapshot plus overlay, overlay winning by id
    withdrawn: int
    malformed_skipped: int  # at the last sync
    newest_modified: str | None
    last_sync: str | None
    overlay: str | None
    overlay_records: int


def modified_key(text: str) -> str:
    """A ``modified`` timestamp as fixed-width UTC text, so string order is time order.

    Raises ValueError for text that is not an RFC 3339 / ISO 8601 time. Times without a zone
    are taken as UTC.
    """
    when = datetime.fromisoformat(text.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # isoformat, unlike strftime("%Y"), pads years below 1000 to four digits.
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def utc_now_text(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    writable = create or os.access(path, os.W_OK)
    mode = ("rwc" if create else "rw") if writable else "ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=30)
    if writable:
        # Rollback journal (not WAL): a full sync renames a new file over this one, and a WAL
        # file left beside it would then belong to the wrong database.
        conn.execute("PRAGMA journal_mode=DELETE")
    return conn


class AdvisoryStore:
    """An open advisory database. Use as a context manager or call ``close()``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._meta: dict[str, str] = {}

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> AdvisoryStore:
        """Open the database at ``path`` (with ``create``, make an empty one if missing).

        Raises DataError when it is missing, CorruptStore when it cannot be used.
        """
        if not create and not path.exists():
            raise DataError(
                f"no advisory database at {path}",
                hint="run 'pipvet db sync' once with network access (or point --osv-url at a "
                "local copy of the OSV data)",
            )
        if path.exists() and not os.access(path, os.R_OK):
            # Not corrupt: moving it aside and rebuilding would not be the right fix.
            raise DataError(
                f"the advisory database {path} is not readable by this user",
                hint="fix its permissions, or choose another cache folder with --cache-dir",
            )
        try:
            fresh = not path.exists() or path.stat().st_size == 0
            conn = _connect(path, create=create)
        except (sqlite3.Error, OSError) as exc:
            raise CorruptStore(
                f"the advisory database {path} is unreadable: {exc}", hint=_REBUILD
            ) from None
        store = cls(conn, path)
        try:
            if fresh and create:
                with conn:
                    conn.executescript(_SCHEMA + _INDEXES)
                    store._set_meta(
                        {
                            "schema_version": str(SCHEMA_VERSION),
                            "source": "",
                            "match_format": digest.FORMAT,
                        }
                    )
            store._load_meta()
        except sqlite3.Error as exc:
            conn.close()
            raise CorruptStore(
                f"the advisory database {path} is unreadable: {exc}", hint=_REBUILD
            ) from None
        except CorruptStore:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> AdvisoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    def raw_records_for(self, names: Iterable[NormalizedName]) -> dict[NormalizedName, list[str]]:
        """Raw JSON of every record affecting each name (names without records are absent).

        Overlay records replace snapshot records with the same id. Withdrawn records are
        included: deciding what they mean is the matcher's job.
        """
        out: dict[NormalizedName, list[str]] = {}
        sql = (
            "SELECT a.name, r.body FROM affected a "
            "JOIN records r ON r.layer = a.layer AND r.id = a.id "
            "WHERE a.name IN ({marks}) AND (a.layer = 1 OR NOT EXISTS "
            "(SELECT 1 FROM records o WHERE o.layer = 1 AND o.id = a.id)) "
            "ORDER BY a.name, a.id"
        )
        for name, body in self._rows_by_name(sql, names):
            out.setdefault(name, []).append(_inflate(body))
        return out

    def _rows_by_name(self, sql: str, names: Iterable[NormalizedName]) -> Iterator[Any]:
        """Rows of ``sql`` (whose ``{marks}`` is an IN list) for ``names``, asked in chunks
        small enough for SQLite's parameter limit."""
        wanted = sorted(set(names))
        with self._errors():
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                yield from self._conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)

    @property
    def has_package_records(self) -> bool:
        """Whether every record carries its digests in the current format."""
        if self._meta.get("match_format") != digest.FORMAT:
            return False
        with self._errors():
            missing = self._conn.execute(
                "SELECT 1 FROM affected WHERE data IS NULL LIMIT 1"
            ).fetchone()
        return missing is None

    def package_records_for(
        self, names: Iterable[NormalizedName]
    ) -> dict[NormalizedName, list[PackageRecord]]:
        """What matching needs of every record affecting each name, from the stored digests
        (names without records are absent). The same records as ``raw_records_for``: overlay
        over snapshot by id, withdrawn ones included. Only when ``has_package_records``."""
        if not self.has_package_records:
            raise DataError(
                f"the advisory database {self.path} has no package records yet",
                hint="run 'pipvet db sync' to add them",
            )
        out: dict[NormalizedName, list[PackageRecord]] = {}
        sql = (
            "SELECT a.name, a.id, a.data FROM affected a "
            "WHERE a.name IN ({marks}) AND (a.layer = 1 OR NOT EXISTS "
            "(SELECT 1 FROM records o WHERE o.layer = 1 AND o.id = a.id)) "
            "ORDER BY a.name, a.id"
        )
        for name, record_id, data in self._rows_by_name(sql, names):
            out.setdefault(name, []).append(_decode(record_id, data))
        return out

    def raw_record(self, record_id: str) -> str | None:
        """Raw JSON of one record by id (the overlay's version when it has one)."""
        with self._errors():
            row = self._conn.execute(
                "SELECT body FROM records WHERE id = ? ORDER BY layer DESC LIMIT 1", (record_id,)
            ).fetchone()
        return None if row is None else _inflate(row[0])

    def modified_keys(self, ids: Iterable[str]) -> dict[str, str]:
        """Normalised ``modified`` of the given snapshot records that are stored."""
        wanted = sorted(set(ids))
        out: dict[str, str] = {}
        with self._errors():
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                out.update(
                    self._conn.execute(
                        f"SELECT id, modified_key FROM records WHERE layer = 0 AND id IN ({marks})",
                        chunk,
                    ).fetchall()
                )
        return out

    def meta(self, key: str) -> str | None:
        return self._meta.get(key)

    @property
    def source(self) -> str:
        return self._meta.get("source", "")

    @property
    def newest_modified_key(self) -> str | None:
        return self._meta.get("newest_modified_key")

    @property
    def last_sync_epoch(self) -> float | None:
        value = self._meta.get("last_sync_epoch")
        return float(value) if value else None

    def snapshot(self, now: float | None = None) -> Snapshot:
        """The identity of this data for reports; ``now`` (unix time) fills in its age."""
        info = self.info()
        last = self.last_sync_epoch
        source = info.source + (f" + overlay {info.overlay}" if info.overlay else "")
        return Snapshot(
            source=source,
            newest_modified=info.newest_modified,
            records=info.records,
            last_sync=info.last_sync,
            age_seconds=None if now is None or last is None else max(0.0, now - last),
        )

    def info(self) -> StoreInfo:
        m = self._meta
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        return StoreInfo(
            path=self.path,
            size_bytes=size,
            source=m.get("source", ""),
            records=int(m.get("records", "0")),
            withdrawn=int(m.get("withdrawn", "0")),
            malformed_skipped=int(m.get("malformed_skipped", "0")),
            newest_modified=m.get("newest_modified") or None,
            last_sync=m.get("last_sync") or None,
            overlay=m.get("overlay") or None,
            overlay_records=int(m.get("overlay_records", "0")),
        )

    # ------------------------------------------------------------------ writing

    def update(
        self,
        records: Iterable[StoredRecord] = (),
        *,
        overlay: Iterable[StoredRecord] | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """In one transaction: upsert snapshot ``records``, replace the whole overlay layer
        when ``overlay`` is given, set ``meta``, and recompute counts and the newest
        ``modified``. On any error nothing changes."""
        values = dict(meta or {})
        with self._errors(), self._conn:
            # Explicitly: sqlite3 would start the transaction only at the first INSERT, after
            # an ALTER TABLE in _clear_digests had been committed on its own.
            self._conn.execute("BEGIN")
            if self._meta.get("match_format") != digest.FORMAT:
                self._reset_digests()
            _insert(self._conn, records, _LAYER["snapshot"])
            if overlay is not None:
                self._conn.execute("DELETE FROM affected WHERE layer = 1")
                self._conn.execute("DELETE FROM records WHERE layer = 1")
                _insert(self._conn, overlay, _LAYER["overlay"])
            dropped = self._add_missing_digests()
            if dropped:
                skipped = values.get("malformed_skipped") or self._meta.get("malformed_skipped")
                values["malformed_skipped"] = str(int(skipped or "0") + dropped)
            values["match_format"] = digest.FORMAT
            self._set_meta(values)
            self._refresh_counts()
        self._load_meta()

    def integrity_ok(self) -> bool:
        """SQLite's own consistency check of every page and index."""
        with self._errors():
            row = self._conn.execute("PRAGMA integrity_check").fetchone()
        return row is not None and row[0] == "ok"

    # ------------------------------------------------------------------ internals

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise CorruptStore(
                f"the advisory database {self.path} is damaged: {exc}",
                hint=_REBUILD,
            ) from None
        except sqlite3.Error as exc:
            raise DataError(
                f"the advisory database {self.path} could not be used: {exc}",
                hint="check that the cache folder is writable, then run 'pipvet db sync'",
            ) from None

    def _reset_digests(self) -> None:
        """Drop digests of another format (adding the column if the database predates them)."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(affected)")}
        if "data" not in columns:  # written before digests existed
            self._conn.execute("ALTER TABLE affected ADD COLUMN data BLOB")
        self._conn.execute(_WITHOUT_DIGEST_INDEX)
        self._conn.execute("UPDATE affected SET data = NULL")

    def _add_missing_digests(self) -> int:
        """Compute the digests the rows lack from the stored records. A record that no longer
        parses is dropped, as a sync would skip it; returns how many were dropped."""
        conn = self._conn
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
                texts = digest.digests_of(parse_advisory_json(_inflate(body)), names)
            except MalformedRecord:
                conn.execute("DELETE FROM affected WHERE layer = ? AND id = ?", (layer, record_id))
                conn.execute("DELETE FROM records WHERE layer = ? AND id = ?", (layer, record_id))
                dropped += 1
                continue
            conn.executemany(
                "UPDATE affected SET data = ? WHERE name = ? AND layer = ? AND id = ?",
                [
                    (_deflate(text), name, layer, record_id)
                    for name, text in zip(names, texts, strict=True)
                ],
            )
        return dropped

    def _load_meta(self) -> None:
        rows = self._conn.execute("SELECT key, value FROM meta").fetchall()
        meta = {str(k): str(v) for k, v in rows}
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise CorruptStore(
                f"the advisory database {self.path} has schema version {version or 'none'}, "
                f"this pipvet uses {SCHEMA_VERSION}",
                hint=_REBUILD,
            )
        self._meta = meta

    def _set_meta(self, values: Mapping[str, str]) -> None:
        self._conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            sorted(values.items()),
        )

    def _refresh_counts(self) -> None:
        conn = self._conn
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
        self._set_meta(
            {
                "records": str(records),
                "withdrawn": str(withdrawn),
                "overlay_records": str(overlay),
                "newest_modified": newest[0] if newest else "",
                "newest_modified_key": newest[1] if newest else "",
            }
        )


def build_store(
    path: Path,
    records: Iterable[StoredRecord],
    meta: Mapping[str, str],
    overlay: Iterable[StoredRecord] = (),
) -> None:
    """Write a complete new database at ``path`` (which must not exist yet).

    Durability shortcuts are safe here because nobody reads this file until the caller has
    renamed it into place; the caller fsyncs it first.
    """
    if path.exists():
        raise FileExistsError(path)
    try:
        _build(path, records, meta, overlay)
    except sqlite3.Error as exc:
        raise DataError(
            f"could not write the advisory database {path}: {exc}",
            hint="check that the cache folder is writable and has free space "
            "(--cache-dir chooses another)",
        ) from None


def _build(
    path: Path,
    records: Iterable[StoredRecord],
    meta: Mapping[str, str],
    overlay: Iterable[StoredRecord],
) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        # The by-record index exists from the start: batches delete the names of ids they
        # replace, and a scan per batch would make the load quadratic.
        conn.executescript(_SCHEMA + _INDEXES)
        _insert(conn, records, _LAYER["snapshot"])
        _insert(conn, overlay, _LAYER["overlay"])
        store = AdvisoryStore(conn, path)
        store._set_meta(
            {**meta, "schema_version": str(SCHEMA_VERSION), "match_format": digest.FORMAT}
        )
        store._refresh_counts()
        conn.commit()
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


_BATCH = 500


def _insert(conn: sqlite3.Connection, records: Iterable[StoredRecord], layer: int) -> None:
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
                    _deflate(r.json),
                )
                for r in batch.values()
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO affected (name, layer, id, data) VALUES (?, ?, ?, ?)",
            [
                (name, layer, r.id, _deflate(text))
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
    return digest.digests_of(parse_advisory_json(record.json), record.names)


def _deflate(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def _decode(record_id: str, data: bytes | None) -> PackageRecord:
    try:
        if data is None:
            raise ValueError("missing")
        return digest.decode(zlib.decompress(data).decode("utf-8"))
    except (ValueError, zlib.error) as exc:
        raise CorruptStore(
            f"the stored matching data of advisory {record_id} is damaged: {exc}",
            hint=_REBUILD,
        ) from None


def _inflate(body: bytes) -> str:
    try:
        return zlib.decompress(body).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise CorruptStore(
            f"a stored advisory record is damaged: {exc}",
            hint=_REBUILD,
        ) from None
