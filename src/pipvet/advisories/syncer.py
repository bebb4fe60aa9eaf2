"""One sync of the advisory database, run while holding the sync lock: a full rebuild from
the source's archive, or an incremental fetch of the records changed since the newest stored
one, and moving an unreadable database aside. I/O: HTTP, the file system, SQLite.

``pipvet.advisories.sync`` decides when to run one and takes the lock.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

from pipvet.advisories.osv import MalformedRecord
from pipvet.advisories.records import (
    Tally,
    archive_records,
    overlay_fingerprint,
    overlay_records,
    prepare_record,
    safe_id,
)
from pipvet.advisories.source import OsvSource
from pipvet.advisories.store import AdvisoryStore, build_store
from pipvet.advisories.store_model import CorruptStore, StoredRecord, modified_key, utc_now_text
from pipvet.advisories.sync_model import Action, SyncOutcome
from pipvet.errors import DataError, NetworkError
from pipvet.frozen import replace
from pipvet.models import Progress
from pipvet.system.http import HttpClient
from pipvet.system.http_model import HttpResponse
from pipvet.system.paths import local_path

__all__ = ["Syncer"]


_SCRATCH_PREFIX = ".pipvet-sync-"  # a full sync's scratch folder beside the database


class Syncer:
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
        self._remove_leftovers()
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

    def _remove_leftovers(self) -> None:
        """Scratch folders of full syncs that were killed (``kill -9`` skips the clean-up of
        a TemporaryDirectory): each may hold a whole archive. We hold the sync lock, so no
        live sync owns one."""
        import shutil

        try:
            leftovers = [p for p in self.path.parent.glob(f"{_SCRATCH_PREFIX}*") if p.is_dir()]
        except OSError:
            return
        for folder in leftovers:
            shutil.rmtree(folder, ignore_errors=True)

    def _full_reason(self, store: AdvisoryStore, full: bool) -> str | None:
        if full:
            return "a full sync was asked for"
        if store.source != self.source.identity:
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

        with tempfile.TemporaryDirectory(prefix=_SCRATCH_PREFIX, dir=self.path.parent) as tmp:
            archive = self._archive(Path(tmp))
            read = [0, 0]  # records, and those naming a PyPI package

            def records() -> Iterator[StoredRecord]:
                for record in archive_records(archive, tally, self.progress):
                    read[0] += 1
                    read[1] += bool(record.names)
                    yield record

            now = self.clock()
            new_db = Path(tmp) / "advisories.sqlite3"
            meta = {
                "source": self.source.identity,
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
            if not read[1]:
                # Another ecosystem's data in the PyPI place: every audit would pass.
                raise DataError(
                    f"the advisory archive {self.source.zip_url} holds {read[0]:,} OSV records, "
                    "none of them about a PyPI package",
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
        # Listed but not served at the last sync: older than what that sync stored, so the
        # listing's new rows no longer reach them; asked for again until they come.
        pending = set((store.meta("missing_ids") or "").split())
        try:
            changed = _changed_since(listing, store.newest_modified_key or "", pending)
        except ValueError as exc:
            self.warnings.append(f"{exc}; read the whole archive instead")
            return "modified_id.csv is malformed"
        since = store.info().newest_modified  # before this sync adds newer records
        stored = store.modified_keys(changed)
        todo = [rid for rid, key in changed.items() if stored.get(rid, "") < key]
        if len(todo) > max_incremental:
            return f"{len(todo)} records changed (more than {max_incremental})"
        tally = Tally("advisory records")
        missing: list[str] = []
        fetched = self._fetch(todo, tally, missing)
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
                "missing_ids": " ".join(sorted(missing)),
                **(self._overlay_meta() if overlay is not None else {}),
            },
        )
        if not todo:
            return self._outcome("up-to-date", "nothing changed at the source", 0, overlay_tally)
        reason = f"{len(todo)} records changed since {since}"
        return self._outcome("incremental", reason, len(fetched), tally, overlay_tally)

    def _fetch(self, ids: list[str], tally: Tally, missing: list[str]) -> list[StoredRecord]:
        """The records ``ids`` from the source; the ids it does not serve go to ``missing``."""
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
                    f"(HTTP {answer.status}); skipped, and asked for again at the next sync"
                )
                missing.append(rid)
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


def _changed_since(
    listing: HttpResponse, newest_key: str, pending: AbstractSet[str] = frozenset()
) -> dict[str, str]:
    """Ids of the rows of ``modified_id.csv`` at or after ``newest_key``, in any row order,
    and of the rows naming a ``pending`` id whatever their time.

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
            if not sep or not safe_id().match(record_id) or ".." in record_id:
                raise ValueError
            key = modified_key(when)
        except ValueError:
            raise ValueError(
                f"modified_id.csv line {number} is malformed: {line[:120]!r}"
            ) from None
        # The bucket lists newest first, but a mirror may not: read every row, never stop
        # at the first old one, so an oldest-first listing misses nothing.
        if (key >= newest_key or record_id in pending) and key > changed.get(record_id, ""):
            changed[record_id] = key
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
