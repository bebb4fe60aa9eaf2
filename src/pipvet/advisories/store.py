"""The local advisory database: one SQLite file of raw OSV records indexed by package name.

Promises:
- an audit reads only the records of the names it asks for (``raw_records_for``), never the
  whole archive;
- records are kept as the raw JSON their source published (zlib-compressed on disk); parsing is
  the caller's job, so the store only knows each record's id, ``modified``, ``withdrawn`` and the
  canonical PyPI names it affects;
- beside each (name, record) pair it keeps the record's digest for that package
  (``pipvet.advisories.digest``): what matching and findings read, so an audit
  (``package_records_for``) neither decompresses nor parses records, and decodes no digest of
  a package whose every record ends below the version asked about. A database written before
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
from collections.abc import Generator, Iterable, Iterator, Mapping
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from pipvet.advisories import digest
from pipvet.advisories.match import PackageRecord
from pipvet.advisories.store_model import (
    REBUILD_HINT,
    CorruptStore,
    StoredRecord,
    StoreInfo,
    age_since,
)
from pipvet.advisories.store_rows import (
    CHUNK,
    INDEXES,
    LAYER,
    SCHEMA,
    SCHEMA_VERSION,
    WITHOUT_DIGEST_INDEX,
    add_missing_digests,
    connect,
    decode_digest,
    effective_counts,
    inflate,
    insert_records,
    replaced_ids,
    sqlite3,  # the C module (see store_rows): an audit imports no datetime
    stored_names,
)
from pipvet.errors import DataError
from pipvet.models import NormalizedName, Snapshot

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["AdvisoryStore", "build_store"]


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
            conn = connect(path, create=create)
        except (sqlite3.Error, OSError) as exc:
            raise CorruptStore(
                f"the advisory database {path} is unreadable: {exc}", hint=REBUILD_HINT
            ) from None
        store = cls(conn, path)
        try:
            if fresh and create:
                with conn:
                    conn.executescript(SCHEMA + INDEXES)
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
                f"the advisory database {path} is unreadable: {exc}", hint=REBUILD_HINT
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
            out.setdefault(name, []).append(inflate(body))
        return out

    def _rows_by_name(
        self, sql: str, names: Iterable[NormalizedName]
    ) -> Generator[Any, None, None]:
        """Rows of ``sql`` (whose ``{marks}`` is an IN list) for ``names``, asked in chunks
        small enough for SQLite's parameter limit."""
        wanted = sorted(set(names))
        with self._errors():
            # A name in an IN list costs about four stored rows read: when the audit asks for
            # more than half as many names as there are records, it asks only those stored.
            records = self._meta.get("records", "")
            if 2 * len(wanted) > (int(records) if records.isdigit() else 0):
                stored = stored_names(self._conn)
                wanted = [name for name in wanted if name in stored]
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
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
        self, names: Iterable[NormalizedName] | Mapping[NormalizedName, str]
    ) -> dict[NormalizedName, list[PackageRecord]]:
        """What matching needs of every record affecting each name, from the stored digests
        (names without records are absent). The same records as ``raw_records_for``: overlay
        over snapshot by id, withdrawn ones included. Only when ``has_package_records``.

        ``names`` may map each name to the order key of the lowest public version asked about
        (``pipvet.audit.match`` does): a name none of whose records can affect a version from
        there up (``digest.below``) is then absent too, its digests not decoded."""
        if not self.has_package_records:
            raise DataError(
                f"the advisory database {self.path} has no package records yet",
                hint="run 'pipvet db sync' to add them",
            )
        out: dict[NormalizedName, list[PackageRecord]] = {}
        # Without an overlay every row is a snapshot row: no record to look up per row, and
        # the primary key's own order (name, layer, id) needs no sorting. The count is written
        # in the transaction that writes the overlay; were it wrong, a public record would be
        # read beside the overlay's that replaces it: more to report, never less.
        sql = (
            "SELECT a.name, a.id, a.data FROM affected a WHERE a.name IN ({marks}) "
            "ORDER BY a.name, a.layer, a.id"
            if self._meta.get("overlay_records") == "0"
            else "SELECT a.name, a.id, a.data FROM affected a "
            "WHERE a.name IN ({marks}) AND (a.layer = 1 OR NOT EXISTS "
            "(SELECT 1 FROM records o WHERE o.layer = 1 AND o.id = a.id)) "
            "ORDER BY a.name, a.id"
        )
        if not isinstance(names, Mapping):
            for name, record_id, data in self._rows_by_name(sql, names):
                out.setdefault(name, []).append(decode_digest(record_id, data))
            return out
        below = digest.below
        # Closed here, not by the collector: a digest that fails to decode leaves the
        # generator suspended, and after the store closes its cursor could not be.
        with contextlib.closing(self._rows_by_name(sql, names)) as rows:
            for name, group in groupby(rows, itemgetter(0)):  # (rows come ordered by name)
                found = list(group)
                key = names.get(name)
                if key is not None and all(type(d) is str and below(d, key) for *_, d in found):
                    continue
                out[name] = [decode_digest(record_id, data) for _, record_id, data in found]
        return out

    def raw_record(self, record_id: str) -> str | None:
        """Raw JSON of one record by id (the overlay's version when it has one)."""
        with self._errors():
            row = self._conn.execute(
                "SELECT body FROM records WHERE id = ? ORDER BY layer DESC LIMIT 1", (record_id,)
            ).fetchone()
        return None if row is None else inflate(row[0])

    def modified_keys(self, ids: Iterable[str]) -> dict[str, str]:
        """Normalised ``modified`` of the given snapshot records that are stored."""
        wanted = sorted(set(ids))
        out: dict[str, str] = {}
        with self._errors():
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
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
            newest_age_seconds=age_since(info.newest_modified, now),
            overlay_replaced=info.overlay_replaced,
        )

    def info(self) -> StoreInfo:
        m = self._meta
        overlay = int(m.get("overlay_records", "0"))
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
            overlay_records=overlay,
            overlay_replaced=replaced_ids(self._conn) if overlay else (),
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
            insert_records(self._conn, records, LAYER["snapshot"])
            if overlay is not None:
                self._conn.execute("DELETE FROM affected WHERE layer = 1")
                self._conn.execute("DELETE FROM records WHERE layer = 1")
                insert_records(self._conn, overlay, LAYER["overlay"])
            dropped = add_missing_digests(self._conn)
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
                hint=REBUILD_HINT,
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
        self._conn.execute(WITHOUT_DIGEST_INDEX)
        self._conn.execute("UPDATE affected SET data = NULL")

    def _load_meta(self) -> None:
        rows = self._conn.execute("SELECT key, value FROM meta").fetchall()
        meta = {str(k): str(v) for k, v in rows}
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise CorruptStore(
                f"the advisory database {self.path} has schema version {version or 'none'}, "
                f"this pipvet uses {SCHEMA_VERSION}",
                hint=REBUILD_HINT,
            )
        self._meta = meta

    def _set_meta(self, values: Mapping[str, str]) -> None:
        self._conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            sorted(values.items()),
        )

    def _refresh_counts(self) -> None:
        self._set_meta(effective_counts(self._conn))


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
        conn.executescript(SCHEMA + INDEXES)
        insert_records(conn, records, LAYER["snapshot"])
        insert_records(conn, overlay, LAYER["overlay"])
        store = AdvisoryStore(conn, path)
        store._set_meta(
            {**meta, "schema_version": str(SCHEMA_VERSION), "match_format": digest.FORMAT}
        )
        store._refresh_counts()
        conn.commit()
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
