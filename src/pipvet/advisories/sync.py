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
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pipvet.advisories.osv import MalformedRecord
from pipvet.advisories.records import (
    SAFE_ID,
    Tally,
    archive_records,
    overlay_fingerprint,
    overlay_records,
    prepare_record,
)
from pipvet.advisories.source import DEFAULT_OSV_URL, OsvSource
from pipvet.advisories.store import AdvisoryStore, build_store
from pipvet.advisories.store_model import CorruptStore, StoredRecord, modified_key, utc_now_text
from pipvet.errors import DataError, NetworkError
from pipvet.models import Progress, Snapshot
from pipvet.system.http import HttpClient, HttpResponse, OfflineMiss, local_path
from pipvet.system.lock import sync_lock

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

# Past this many changed records one archive download is cheaper than many small requests.
MAX_INCREMENTAL = 5000

Action = Literal["full", "incremental", "up-to-date", "none", "stale"]


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
    fingerprint = overlay_fingerprint(overlay)
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
        try:
            with store:
                full_reason = self._full_reason(store, full)
                if full_reason is None:
                    result = self._incremental(store, max_incremental)
                    if isinstance(result, SyncOutcome):
                        return result
                    full_reason = result
        except CorruptStore as exc:
            # Damage inside the file shows only when a query reaches the bad page; the header
            # check at open time cannot see it.
            self._move_aside(exc)
            full_reason = "rebuilt"
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
        fingerprint = overlay_fingerprint(self.overlay)
        if outcome.overlay_fingerprint == fingerprint:
            return outcome
        tally = Tally("overlay records")
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

    def _overlay(self, tally: Tally) -> list[StoredRecord]:
        return [] if self.overlay is None else overlay_records(self.overlay, tally)

    def _overlay_meta(self) -> dict[str, str]:
        return {
            "overlay": "" if self.overlay is None else str(self.overlay),
            "overlay_fingerprint": overlay_fingerprint(self.overlay),
        }

    def _open_existing(self) -> AdvisoryStore | None:
        if not self.path.exists():
            return None
        try:
            return AdvisoryStore.open(self.path)
        except CorruptStore as exc:
            self._move_aside(exc)
            return None

    def _move_aside(self, exc: CorruptStore) -> None:
        """Keep the damaged file for inspection (only the latest one), then start afresh."""
        for older in self.path.parent.glob(f"{self.path.name}.unreadable-*"):
            with contextlib.suppress(OSError):
                older.unlink()
        aside = self.path.with_name(f"{self.path.name}.unreadable-{int(self.clock())}")
        os.replace(self.path, aside)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path.with_name(self.path.name + "-journal"))
        self.warnings.append(
            f"the advisory database was unusable ({exc}); moved it to {aside.name} and "
            "rebuilt it from the source"
        )

    # ------------------------------------------------------------------ full

    def _full(self, reason: str) -> SyncOutcome:
        tally = Tally("advisory records")
        overlay_tally = Tally("overlay records")
        overlay = self._overlay(overlay_tally)  # a bad overlay fails before any download
        import tempfile  # only a full sync needs a scratch folder

        with tempfile.TemporaryDirectory(prefix=".pipvet-sync-", dir=self.path.parent) as tmp:
            archive = self._archive(Path(tmp))
            read = [0]

            def records() -> Iterator[StoredRecord]:
                for record in archive_records(archive, tally, self.progress):
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
        since = store.info().newest_modified  # before this sync adds newer records
        stored = store.modified_keys(changed)
        todo = [rid for rid, key in changed.items() if stored.get(rid, "") < key]
        if len(todo) > max_incremental:
            return f"{len(todo)} records changed (more than {max_incremental})"
        tally = Tally("advisory records")
        fetched = self._fetch(todo, tally)
        overlay_tally = Tally("overlay records")
        overlay: list[StoredRecord] | None = None
        if store.meta("overlay_fingerprint") != overlay_fingerprint(self.overlay):
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
        reason = f"{len(todo)} records changed since {since}"
        return self._outcome("incremental", reason, len(fetched), tally, overlay_tally)

    def _fetch(self, ids: list[str], tally: Tally) -> list[StoredRecord]:
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

    def _outcome(self, action: Action, reason: str, fetched: int, *tallies: Tally) -> SyncOutcome:
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
            if not sep or not SAFE_ID.match(record_id) or ".." in record_id:
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
