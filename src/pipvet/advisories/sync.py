"""Keeping the local advisory database in step with an OSV source.

Promises:
- ``sync``: the first time (or ``full=True``, or when the source changed) the whole
  ``PyPI/all.zip`` is read into a new database file that replaces the old one with one rename;
  after that only the records ``PyPI/modified_id.csv`` lists as newer than the newest stored
  ``modified`` are fetched and written in one transaction. A sync that fails or is interrupted
  leaves the previous database as it was.
- Concurrent syncs are serialised by a lock file; a process that waited sees the other's data.
- A database that cannot be read is moved aside and rebuilt, with a warning in the outcome.
- Malformed records are skipped and counted, never fatal.
- ``ensure_fresh``: what an audit calls; syncs only when the data is older than its max age,
  never fetches when offline, and says how old the data is.
Nothing here prints: progress goes to the ``progress`` callback, warnings into the outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pipvet.advisories.archive import iter_json_members
from pipvet.advisories.osv import MalformedRecord, parse_advisory
from pipvet.advisories.store import (
    AdvisoryStore,
    CorruptStore,
    StoredRecord,
    build_store,
    modified_key,
    utc_now_text,
)
from pipvet.errors import DataError, NetworkError
from pipvet.http import HttpClient, HttpResponse, OfflineMiss, local_path
from pipvet.models import Snapshot

__all__ = [
    "DEFAULT_OSV_URL",
    "MAX_INCREMENTAL",
    "OsvSource",
    "SyncOutcome",
    "default_store_path",
    "ensure_fresh",
    "prepare_record",
    "sync",
    "sync_lock",
]

DEFAULT_OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
ECOSYSTEM = "PyPI"
# Past this many changed records one archive download is cheaper than many small requests.
MAX_INCREMENTAL = 5000
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_LISTED_WARNINGS = 5

Progress = Callable[[str], None]
Action = Literal["full", "incremental", "up-to-date", "none", "stale"]


@dataclass(frozen=True)
class OsvSource:
    """Where advisories come from: a base in the OSV bucket layout, or a zip file itself."""

    location: str  # URL or absolute path, as stored in the database and shown to users
    zip_only: bool = False

    @classmethod
    def parse(cls, text: str) -> OsvSource:
        """``https://``/``http://``/``file://`` URL or path of a bucket-layout folder or zip."""
        text = text.strip()
        path = local_path(text)
        if path is not None and "://" not in text:
            path = path.resolve()
            return cls(str(path), zip_only=path.suffix.lower() == ".zip" or path.is_file())
        base = text.rstrip("/") or text
        return cls(base, zip_only=base.lower().endswith(".zip"))

    def _join(self, *parts: str) -> str:
        if "://" in self.location:
            return "/".join((self.location, *parts))
        return str(Path(self.location, *parts))

    @property
    def zip_url(self) -> str:
        return self.location if self.zip_only else self._join(ECOSYSTEM, "all.zip")

    @property
    def csv_url(self) -> str | None:
        return None if self.zip_only else self._join(ECOSYSTEM, "modified_id.csv")

    def record_url(self, record_id: str) -> str:
        return self._join(ECOSYSTEM, f"{record_id}.json")

    @property
    def is_local(self) -> bool:
        return local_path(self.location) is not None

    def __str__(self) -> str:
        return self.location


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync (or a freshness check) did.

    ``action``: "full" (archive read), "incremental" (changed records fetched), "up-to-date"
    (the source had nothing new), "none" (the data was fresh enough, or offline: not asked),
    "stale" (a refresh failed; ``error`` says why and the older data is still usable).
    """

    action: Action
    snapshot: Snapshot
    store_path: Path
    reason: str
    fetched: int = 0  # records read from the archive or fetched individually
    malformed_skipped: int = 0  # in this run
    warnings: tuple[str, ...] = ()
    error: DataError | None = field(default=None, compare=False)
    overlay_fingerprint: str = field(default="", repr=False)


def default_store_path(cache_dir: Path) -> Path:
    return cache_dir / "advisories.sqlite3"


# ---------------------------------------------------------------------------- records


def prepare_record(raw: bytes | str) -> StoredRecord:
    """Check one OSV record and extract what the store indexes; MalformedRecord if unusable."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRecord(f"OSV record is not valid JSON: {exc}") from None
    advisory = parse_advisory(data)
    if not _SAFE_ID.match(advisory.id) or ".." in advisory.id:
        raise MalformedRecord(f"OSV record id {advisory.id!r} has characters ids never use")
    try:
        modified_key(advisory.modified)
    except ValueError:
        raise MalformedRecord(
            f"OSV record {advisory.id}: field 'modified' is not a time: {advisory.modified!r}"
        ) from None
    names = tuple(sorted({a.package for a in advisory.affected}))
    return StoredRecord(advisory.id, advisory.modified, advisory.withdrawn, names, text)


class _Tally:
    """Counts skipped records and keeps the first few reasons as warnings."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0
        self.examples: list[str] = []

    def skip(self, reason: str) -> None:
        self.count += 1
        if len(self.examples) < _MAX_LISTED_WARNINGS:
            self.examples.append(reason)

    def warnings(self) -> list[str]:
        if not self.count:
            return []
        more = self.count - len(self.examples)
        tail = [f"... and {more} more"] if more else []
        return [f"skipped {self.count} malformed {self.what}:", *self.examples, *tail]


def _archive_records(
    path: Path, tally: _Tally, progress: Progress | None
) -> Iterator[StoredRecord]:
    for read, (name, data) in enumerate(iter_json_members(path, on_skip=tally.skip), 1):
        if progress is not None and read % 1000 == 0:
            progress(f"reading advisory archive: {read} records")
        try:
            yield prepare_record(data)
        except MalformedRecord as exc:
            tally.skip(f"{name}: {exc}")


def _overlay_records(folder: Path, tally: _Tally) -> list[StoredRecord]:
    if not folder.is_dir():
        raise DataError(
            f"the advisory overlay folder {folder} does not exist",
            hint="point --osv-overlay (or PIPVET_OSV_OVERLAY) at a folder of OSV JSON files",
        )
    records: dict[str, StoredRecord] = {}
    for path in sorted(folder.rglob("*.json")):
        try:
            record = prepare_record(path.read_bytes())
        except MalformedRecord as exc:
            tally.skip(f"{path}: {exc}")
            continue
        except OSError as exc:
            tally.skip(f"{path}: cannot read it: {exc.strerror or exc}")
            continue
        records[record.id] = record
    return list(records.values())


def _overlay_fingerprint(folder: Path | None) -> str:
    """Changes whenever a file in the overlay is added, removed or rewritten."""
    if folder is None:
        return ""
    try:
        stats = [(str(p), p.stat()) for p in sorted(folder.rglob("*.json"))]
    except OSError:
        return "unreadable"
    return json.dumps([str(folder), [(n, s.st_size, s.st_mtime_ns) for n, s in stats]])


# ---------------------------------------------------------------------------- locking


@contextlib.contextmanager
def _cache_errors(store_path: Path) -> Iterator[None]:
    """File-system failures in the cache folder (permissions, a full disk) as DataError."""
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise _write_error(store_path, exc) from None


def _write_error(store_path: Path, exc: OSError) -> DataError:
    return DataError(
        f"cannot write the advisory database in {store_path.parent}: {exc.strerror or exc}",
        hint="check that the cache folder is writable and has free space "
        "(--cache-dir chooses another)",
    )


@contextlib.contextmanager
def sync_lock(store_path: Path, *, timeout: float = 900.0) -> Iterator[None]:
    """Hold the exclusive sync lock of ``store_path``, waiting up to ``timeout`` seconds.

    An OS-level lock (flock on POSIX, msvcrt on Windows) that the OS releases if its holder
    dies, so it is never stale.
    """
    lock_path = store_path.with_name(store_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise DataError(
                    f"another pipvet process has been syncing {store_path} for over "
                    f"{timeout:.0f} s",
                    hint="wait for it to finish, or stop it and try again",
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------- sync


def sync(
    store_path: Path,
    source: OsvSource,
    http: HttpClient,
    *,
    full: bool = False,
    overlay: Path | None = None,
    clock: Callable[[], float] = time.time,
    progress: Progress | None = None,
    max_incremental: int = MAX_INCREMENTAL,
) -> SyncOutcome:
    """Bring the database at ``store_path`` up to date with ``source`` (see module docs).

    Raises NetworkError when the source cannot be reached and DataError when its data is
    unusable; either way the previous database is untouched.
    """
    with _cache_errors(store_path), sync_lock(store_path):
        return _Syncer(
            store_path, source, http, overlay=overlay, clock=clock, progress=progress
        ).run(full=full, max_incremental=max_incremental)


def ensure_fresh(
    store_path: Path,
    source: OsvSource,
    http: HttpClient,
    *,
    max_age_seconds: float,
    offline: bool = False,
    overlay: Path | None = None,
    clock: Callable[[], float] = time.time,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Make sure usable advisory data exists, syncing only when it is older than the max age.

    Offline, nothing is fetched from the network (a local source may still be read when there
    is no database yet). When a due refresh fails but older data exists, the outcome is
    "stale" with the error attached instead of an exception: the caller decides whether old
    data is acceptable. Raises DataError (NetworkError, OfflineMiss) when there is no usable
    data at all.
    """
    fingerprint = _overlay_fingerprint(overlay)
    decision = _freshness(store_path, source, max_age_seconds, offline, clock)
    if isinstance(decision, SyncOutcome):
        if decision.overlay_fingerprint == fingerprint:
            return decision
    elif offline and not source.is_local:
        raise OfflineMiss(
            f"no usable advisory data for {source} is cached in {store_path.parent} and "
            "--offline forbids downloading it",
            url=source.zip_url,
            hint="run 'pipvet db sync' once with network access",
        )
    with _cache_errors(store_path), sync_lock(store_path):
        syncer = _Syncer(store_path, source, http, overlay=overlay, clock=clock, progress=progress)
        # Another process may have synced while we waited for the lock: decide again.
        decision = _freshness(store_path, source, max_age_seconds, offline, clock)
        if isinstance(decision, SyncOutcome):
            return syncer.refresh_overlay(decision)
        try:
            return syncer.run(full=False, max_incremental=MAX_INCREMENTAL)
        except (DataError, OSError) as failure:
            exc = failure if isinstance(failure, DataError) else _write_error(store_path, failure)
            try:
                with AdvisoryStore.open(store_path) as store:
                    snap = store.snapshot(clock())
            except DataError:
                raise exc from None
            return SyncOutcome(
                "stale",
                snap,
                store_path,
                f"{decision}, and the refresh failed",
                # ``error`` carries the failure; callers word it for their own report.
                warnings=tuple(syncer.warnings),
                error=exc,
            )


def _freshness(
    store_path: Path,
    source: OsvSource,
    max_age_seconds: float,
    offline: bool,
    clock: Callable[[], float],
) -> SyncOutcome | str:
    """An outcome when no sync is needed, else the reason one is."""
    try:
        store = AdvisoryStore.open(store_path)
    except CorruptStore:
        return "the advisory database is unreadable"
    except DataError:
        return "there is no advisory data yet"
    with store:
        now = clock()
        snap = store.snapshot(now)
        last = store.last_sync_epoch
        fingerprint = store.meta("overlay_fingerprint") or ""
        if offline:
            warnings: tuple[str, ...] = ()
            if store.source != source.location:
                warnings = (
                    f"the cached advisory data comes from {store.source}, not {source}; "
                    "--offline: using it anyway",
                )
            return SyncOutcome(
                "none", snap, store_path, "offline: using the cached data",
                warnings=warnings, overlay_fingerprint=fingerprint,
            )  # fmt: skip
        if store.source != source.location:
            return f"the source changed from {store.source or 'nothing'} to {source}"
        if last is not None and now - last <= max_age_seconds:
            return SyncOutcome(
                "none", snap, store_path, "the data is fresh enough",
                overlay_fingerprint=fingerprint,
            )  # fmt: skip
        return "the data is older than the maximum age"


class _Syncer:
    """One sync, run while holding the lock."""

    def __init__(
        self,
        store_path: Path,
        source: OsvSource,
        http: HttpClient,
        *,
        overlay: Path | None,
        clock: Callable[[], float],
        progress: Progress | None,
    ) -> None:
        self.path = store_path
        self.source = source
        self.http = http
        self.overlay = overlay
        self.clock = clock
        self.progress = progress
        self.warnings: list[str] = []

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def run(self, *, full: bool, max_incremental: int) -> SyncOutcome:
        store = self._open_existing()
        if store is None:
            return self._full("first sync" if not self.warnings else "rebuilt")
        with store:
            full_reason = self._full_reason(store, full)
            if full_reason is None:
                result = self._incremental(store, max_incremental)
                if isinstance(result, SyncOutcome):
                    return result
                full_reason = result
        # The old database is closed before a new one is renamed over it.
        return self._full(full_reason)

    def _full_reason(self, store: AdvisoryStore, full: bool) -> str | None:
        if full:
            return "a full sync was asked for"
        if store.source != self.source.location:
            return f"the source changed from {store.source or 'nothing'}"
        if self.source.zip_only:
            return "the source is a single archive"
        if not store.newest_modified_key:
            return "the database holds no records yet"
        return None

    def refresh_overlay(self, outcome: SyncOutcome) -> SyncOutcome:
        """Re-apply the overlay folder when it changed; otherwise return ``outcome``."""
        fingerprint = _overlay_fingerprint(self.overlay)
        if outcome.overlay_fingerprint == fingerprint:
            return outcome
        tally = _Tally("overlay records")
        with AdvisoryStore.open(self.path) as store:
            store.update(overlay=self._overlay(tally), meta=self._overlay_meta())
            snap = store.snapshot(self.clock())
        return replace(
            outcome,
            snapshot=snap,
            reason=outcome.reason + "; the overlay was reloaded",
            malformed_skipped=tally.count,
            warnings=(*outcome.warnings, *tally.warnings()),
            overlay_fingerprint=fingerprint,
        )

    def _overlay(self, tally: _Tally) -> list[StoredRecord]:
        return [] if self.overlay is None else _overlay_records(self.overlay, tally)

    def _overlay_meta(self) -> dict[str, str]:
        return {
            "overlay": "" if self.overlay is None else str(self.overlay),
            "overlay_fingerprint": _overlay_fingerprint(self.overlay),
        }

    def _open_existing(self) -> AdvisoryStore | None:
        if not self.path.exists():
            return None
        try:
            return AdvisoryStore.open(self.path)
        except CorruptStore as exc:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(self.clock())}")
            os.replace(self.path, aside)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path.with_name(self.path.name + "-journal"))
            self.warnings.append(
                f"the advisory database was unusable ({exc}); moved it to {aside.name} and "
                "rebuilt it from the source"
            )
            return None

    # ------------------------------------------------------------------ full

    def _full(self, reason: str) -> SyncOutcome:
        tally = _Tally("advisory records")
        overlay_tally = _Tally("overlay records")
        overlay = self._overlay(overlay_tally)  # a bad overlay fails before any download
        with tempfile.TemporaryDirectory(prefix=".pipvet-sync-", dir=self.path.parent) as tmp:
            archive = self._archive(Path(tmp))
            read = [0]

            def records() -> Iterator[StoredRecord]:
                for record in _archive_records(archive, tally, self.progress):
                    read[0] += 1
                    yield record

            now = self.clock()
            new_db = Path(tmp) / "advisories.sqlite3"
            meta = {
                "source": self.source.location,
                "last_sync": utc_now_text(now),
                "last_sync_epoch": repr(now),
                "last_full_sync": utc_now_text(now),
                "malformed_skipped": str(tally.count),
                **self._overlay_meta(),
            }
            build_store(new_db, records(), meta, overlay)
            if not read[0]:
                raise DataError(
                    f"the advisory archive {self.source.zip_url} holds no usable OSV records",
                    hint="check that --osv-url points at the OSV data for PyPI",
                )
            if tally.count:  # only known once the archive was read
                with AdvisoryStore.open(new_db) as fresh:
                    fresh.update(meta={"malformed_skipped": str(tally.count)})
            self.say("replacing the advisory database")
            _install(new_db, self.path)
        return self._outcome("full", reason, read[0], tally, overlay_tally)

    def _archive(self, tmp: Path) -> Path:
        url = self.source.zip_url
        archive = local_path(url)
        if archive is not None:
            if not archive.is_file():
                raise NetworkError(
                    f"no advisory archive at {archive}",
                    url=url,
                    hint="point --osv-url at a folder holding PyPI/all.zip (the OSV bucket "
                    "layout) or at a zip file",
                )
            return archive
        self.say(f"downloading {url}")
        got = self.http.download(url, tmp / "all.zip", progress=self.say)
        if got.path is None:
            raise NetworkError(
                f"no advisory archive at {url} (HTTP {got.status})",
                url=url,
                status=got.status,
                hint="check --osv-url / PIPVET_OSV_URL: it should be the base holding "
                "PyPI/all.zip (the OSV bucket layout) or a zip file",
            )
        return got.path

    # ------------------------------------------------------------------ incremental

    def _incremental(self, store: AdvisoryStore, max_incremental: int) -> SyncOutcome | str:
        """Fetch what changed; a string is the reason to read the whole archive instead."""
        csv_url = self.source.csv_url
        assert csv_url is not None
        listing = self.http.get(csv_url)
        if listing.status != 200:
            self.warnings.append(
                f"{csv_url} is missing (HTTP {listing.status}); read the whole archive instead"
            )
            return "the source has no modified_id.csv"
        try:
            changed = _changed_since(listing, store.newest_modified_key or "")
        except ValueError as exc:
            self.warnings.append(f"{exc}; read the whole archive instead")
            return "modified_id.csv is malformed"
        stored = store.modified_keys(changed)
        todo = [rid for rid, key in changed.items() if stored.get(rid, "") < key]
        if len(todo) > max_incremental:
            return f"{len(todo)} records changed (more than {max_incremental})"
        tally = _Tally("advisory records")
        fetched = self._fetch(todo, tally)
        overlay_tally = _Tally("overlay records")
        overlay: list[StoredRecord] | None = None
        if store.meta("overlay_fingerprint") != _overlay_fingerprint(self.overlay):
            overlay = self._overlay(overlay_tally)
        now = self.clock()
        previous = int(store.meta("malformed_skipped") or "0")
        store.update(
            fetched,
            overlay=overlay,
            meta={
                "last_sync": utc_now_text(now),
                "last_sync_epoch": repr(now),
                "malformed_skipped": str(previous + tally.count),
                **(self._overlay_meta() if overlay is not None else {}),
            },
        )
        if not todo:
            return self._outcome("up-to-date", "nothing changed at the source", 0, overlay_tally)
        reason = f"{len(todo)} records changed since {store.info().newest_modified}"
        return self._outcome("incremental", reason, len(fetched), tally, overlay_tally)

    def _fetch(self, ids: list[str], tally: _Tally) -> list[StoredRecord]:
        if not ids:
            return []
        self.say(f"fetching {len(ids)} changed advisory records")
        answers = self.http.get_many([self.source.record_url(r) for r in ids], cache=False)
        fetched: list[StoredRecord] = []
        for rid, answer in zip(ids, answers, strict=True):
            if isinstance(answer, NetworkError):
                raise answer  # nothing written yet: the database stays as it was
            if answer.status != 200:
                self.warnings.append(
                    f"{rid} is listed in modified_id.csv but missing from the source "
                    f"(HTTP {answer.status}); skipped"
                )
                continue
            try:
                record = prepare_record(answer.body)
            except MalformedRecord as exc:
                tally.skip(f"{rid}.json: {exc}")
                continue
            if record.id != rid:
                tally.skip(f"{rid}.json: holds record {record.id!r} instead")
                continue
            fetched.append(record)
        return fetched

    def _outcome(self, action: Action, reason: str, fetched: int, *tallies: _Tally) -> SyncOutcome:
        with AdvisoryStore.open(self.path) as store:
            snap = store.snapshot(self.clock())
            fingerprint = store.meta("overlay_fingerprint") or ""
        warnings = list(self.warnings)
        for tally in tallies:
            warnings.extend(tally.warnings())
        return SyncOutcome(
            action,
            snap,
            self.path,
            reason,
            fetched=fetched,
            malformed_skipped=sum(t.count for t in tallies),
            warnings=tuple(warnings),
            overlay_fingerprint=fingerprint,
        )


def _changed_since(listing: HttpResponse, newest_key: str) -> dict[str, str]:
    """Ids (newest first) of the rows of ``modified_id.csv`` at or after ``newest_key``.

    Rows at exactly the newest stored time are included (the caller skips those it already
    has): two records can share a timestamp and only one may have reached us.
    """
    changed: dict[str, str] = {}
    text = listing.body.decode("utf-8", errors="replace").lstrip("\ufeff")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        when, sep, record_id = line.strip().partition(",")
        record_id = record_id.strip()
        try:
            if not sep or not _SAFE_ID.match(record_id) or ".." in record_id:
                raise ValueError
            key = modified_key(when)
        except ValueError:
            raise ValueError(
                f"modified_id.csv line {number} is malformed: {line[:120]!r}"
            ) from None
        if key < newest_key:
            break  # newest first: everything below is already stored
        changed.setdefault(record_id, key)
    return changed


def _install(new_db: Path, target: Path) -> None:
    """Rename the finished database over ``target`` durably."""
    with open(new_db, "rb+") as fh:
        os.fsync(fh.fileno())
    # A journal left by a crashed writer belongs to the old file; SQLite would otherwise
    # "roll it back" into the new one. We hold the sync lock, so no writer is live.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target.with_name(target.name + "-journal"))
    os.replace(new_db, target)
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
