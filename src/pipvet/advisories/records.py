"""OSV records on their way into the store: checked, reduced, counted when skipped.

Promises: ``prepare_record`` accepts exactly the records the OSV parser accepts whose id is
safe to use in a URL path and whose ``modified`` is a time; everything else raises
``MalformedRecord``. Archive and overlay readers skip such records and count them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from pipvet.advisories.digest import digests_of
from pipvet.advisories.osv import MalformedRecord, parse_advisory
from pipvet.advisories.store_model import StoredRecord, modified_key
from pipvet.errors import DataError
from pipvet.models import Progress
from pipvet.system.files import MAX_OSV_RECORD_BYTES, FileProblem, read_bytes_capped

__all__ = [
    "SAFE_ID",
    "Tally",
    "archive_records",
    "overlay_fingerprint",
    "overlay_records",
    "prepare_record",
]

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_LISTED_WARNINGS = 5


def prepare_record(raw: bytes | str) -> StoredRecord:
    """Check one OSV record and extract what the store indexes; MalformedRecord if unusable."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRecord(f"OSV record is not valid JSON: {exc}") from None
    advisory = parse_advisory(data)
    if not SAFE_ID.match(advisory.id) or ".." in advisory.id:
        raise MalformedRecord(f"OSV record id {advisory.id!r} has characters ids never use")
    try:
        modified_key(advisory.modified)
    except ValueError:
        raise MalformedRecord(
            f"OSV record {advisory.id}: field 'modified' is not a time: {advisory.modified!r}"
        ) from None
    names = tuple(sorted({a.package for a in advisory.affected}))
    return StoredRecord(
        advisory.id,
        advisory.modified,
        advisory.withdrawn,
        names,
        text,
        digests_of(advisory, names),
    )


class Tally:
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


def archive_records(path: Path, tally: Tally, progress: Progress | None) -> Iterator[StoredRecord]:
    from pipvet.advisories.archive import iter_json_members  # zipfile: only a full sync reads one

    for read, (name, data) in enumerate(iter_json_members(path, on_skip=tally.skip), 1):
        if progress is not None and read % 1000 == 0:
            progress(f"reading advisory archive: {read} records")
        try:
            yield prepare_record(data)
        except MalformedRecord as exc:
            tally.skip(f"{name}: {exc}")


def overlay_records(folder: Path, tally: Tally) -> list[StoredRecord]:
    if not folder.is_dir():
        raise DataError(
            f"the advisory overlay folder {folder} does not exist",
            hint="point --osv-overlay (or PIPVET_OSV_OVERLAY) at a folder of OSV JSON files",
        )
    records: dict[str, StoredRecord] = {}
    for path in sorted(folder.rglob("*.json")):
        try:
            record = prepare_record(read_bytes_capped(path, cap=MAX_OSV_RECORD_BYTES))
        except MalformedRecord as exc:
            tally.skip(f"{path}: {exc}")
            continue
        except FileProblem as exc:
            tally.skip(f"{path}: cannot read it: {exc.reason}")
            continue
        records[record.id] = record
    return list(records.values())


def overlay_fingerprint(folder: Path | None) -> str:
    """Changes whenever a file in the overlay is added, removed or rewritten."""
    if folder is None:
        return ""
    try:
        stats = [(str(p), p.stat()) for p in sorted(folder.rglob("*.json"))]
    except OSError:
        return "unreadable"
    return json.dumps([str(folder), [(n, s.st_size, s.st_mtime_ns) for n, s in stats]])
