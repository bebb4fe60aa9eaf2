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
I/O: the lock file here; the sync itself (HTTP, SQLite) in ``pipvet.advisories.syncer``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipvet.advisories.source import OsvSource
from pipvet.advisories.store import AdvisoryStore
from pipvet.advisories.store_model import CorruptStore
from pipvet.advisories.sync_model import SyncOutcome
from pipvet.errors import DataError
from pipvet.frozen import replace
from pipvet.models import Progress, Snapshot

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # an audit of fresh data fetches nothing: it never imports the HTTP client
    from pipvet.system.http import HttpClient

__all__ = ["MAX_INCREMENTAL", "default_store_path", "ensure_fresh", "sync"]


# Past this many changed records one archive download is cheaper than many small requests.
MAX_INCREMENTAL = 5000


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


class _NotWritable(DataError):
    """The cache folder cannot be written (permissions, a read-only or full disk)."""


def _write_error(store_path: Path, exc: OSError) -> DataError:
    return _NotWritable(
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
    from pipvet.advisories.syncer import Syncer
    from pipvet.system.lock import sync_lock  # fcntl: only a run that syncs takes the lock

    with _cache_errors(store_path), sync_lock(store_path):
        return Syncer(
            store_path, source, http, overlay=overlay, clock=clock, progress=progress
        ).run(full=full, max_incremental=max_incremental)


def ensure_fresh(
    store_path: Path,
    source: OsvSource,
    http: HttpClient | Callable[[], HttpClient],
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
    data at all. ``http`` may be a function that makes the client: it is called only when a
    sync runs, so a run on fresh data never loads the HTTP machinery.
    """
    if overlay is None:
        fingerprint = ""  # overlay_fingerprint's answer: an audit without one imports no records
    else:
        from pipvet.advisories.records import overlay_fingerprint

        fingerprint = overlay_fingerprint(overlay)
    decision = _freshness(store_path, source, max_age_seconds, offline, clock)
    if isinstance(decision, SyncOutcome):
        if decision.overlay_fingerprint == fingerprint:
            return decision
    elif offline and not source.is_local:
        from pipvet.system.http import OfflineMiss

        raise OfflineMiss(
            f"no usable advisory data for {source} is cached in {store_path.parent} and "
            "--offline forbids downloading it",
            url=source.zip_url,
            hint="run 'pipvet db sync' once with network access",
        )
    try:
        return _refresh(
            store_path, source, http, max_age_seconds, offline, overlay, clock, progress
        )
    except _NotWritable as exc:
        # Not even the lock could be taken: a read-only cache. Old data that is readable is
        # still data (used with the stale warning); say plainly when it is not readable.
        try:
            with AdvisoryStore.open(store_path) as store:
                snap = _kept(store, source, clock())
        except CorruptStore as bad:
            raise DataError(
                f"{bad.message}, and it cannot be rebuilt: {exc.message}", hint=exc.hint
            ) from None
        except DataError:
            raise exc from None
        why = decision if isinstance(decision, str) else "the overlay changed"
        return SyncOutcome(
            "stale", snap, store_path, f"{why}, and the cache folder cannot be written", error=exc
        )


def _refresh(  # noqa: PLR0917 - ensure_fresh's own arguments, passed on
    store_path: Path,
    source: OsvSource,
    http: HttpClient | Callable[[], HttpClient],
    max_age_seconds: float,
    offline: bool,
    overlay: Path | None,
    clock: Callable[[], float],
    progress: Progress | None,
) -> SyncOutcome:
    """Take the lock and sync, or use what another process synced meanwhile."""
    from pipvet.advisories.syncer import Syncer
    from pipvet.system.lock import sync_lock

    with _cache_errors(store_path), sync_lock(store_path):
        client = http() if callable(http) else http
        syncer = Syncer(store_path, source, client, overlay=overlay, clock=clock, progress=progress)
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
                    snap = _kept(store, source, clock())
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


def _kept(store: AdvisoryStore, source: OsvSource, now: float) -> Snapshot:
    """The snapshot of data a refresh could not replace, marked when it is not from
    ``source`` (the configured one)."""
    snap = store.snapshot(now)
    if store.source == source.identity:
        return snap
    return replace(snap, configured_source=str(source))


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
        if store_path.exists():  # there, but not readable by this user: say so, as it is
            raise
        return "there is no advisory data yet"
    with store:
        now = clock()
        snap = store.snapshot(now)
        last = store.last_sync_epoch
        fingerprint = store.meta("overlay_fingerprint") or ""
        if offline:
            warnings: tuple[str, ...] = ()
            if store.source != source.identity:
                warnings = (
                    f"the cached advisory data comes from {store.source}, not {source}; "
                    "--offline: using it anyway",
                )
                # What only the configured source carries was not checked: judged like
                # data a failed switch left behind (stale; --ci fails).
                snap = _kept(store, source, now)
            return SyncOutcome(
                "none", snap, store_path, "offline: using the cached data",
                warnings=warnings, overlay_fingerprint=fingerprint,
            )  # fmt: skip
        if store.source != source.identity:
            return f"the source changed from {store.source or 'nothing'} to {source}"
        if last is not None and now - last <= max_age_seconds:
            return SyncOutcome(
                "none", snap, store_path, "the data is fresh enough",
                overlay_fingerprint=fingerprint,
            )  # fmt: skip
        return "the data is older than the maximum age"
