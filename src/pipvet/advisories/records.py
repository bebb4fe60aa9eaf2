"""OSV records on their way into the store: checked, reduced, counted when skipped.

Promises: ``prepare_record`` accepts exactly the records the OSV parser accepts whose id is
safe to use in a URL path and whose ``modified`` is a time; everything else raises
``MalformedRecord``. Archive and overlay readers skip such records and count them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path

from pipvet.advisories.digest import digests_of
from pipvet.advisories.osv import MalformedRecord, parse_advisory
from pipvet.advisories.store_model import StoredRecord, modified_key
from pipvet.errors import DataError
from pipvet.models import Progress
from pipvet.system.files import (
    MAX_OSV_RECORD_BYTES,
    FileProblem,
    TooManyEntries,
    files_below,
    read_bytes_capped,
)

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Tally",
    "archive_records",
    "overlay_fingerprint",
    "overlay_records",
    "prepare_record",
    "safe_id",
    "trim_record",
]


@functools.cache
def safe_id() -> re.Pattern[str]:
    """What an advisory id may look like; compiled on first use: only a sync checks ids."""
    return re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


_MAX_LISTED_WARNINGS = 5


# What the store keeps of an advisory's free text: far more than any real record holds (the
# longest PyPI details are ~30 KB), far less than a hostile one may send. A 50 MB summary
# would otherwise be stored, parsed and rendered into every report.
MAX_SUMMARY_CHARS = 1024
MAX_DETAILS_CHARS = 64 * 1024
MAX_REFERENCES = 100
MAX_URL_CHARS = 2048
MAX_ALIASES = 100
MAX_ID_CHARS = 200


def _cut_text(text: str, limit: int) -> str:
    return f"{text[:limit]} [cut by pipvet: {len(text) - limit} more characters]"


def trim_record(data: Any) -> tuple[Any, bool]:
    """The record with its free text capped (summary, details, references, aliases), and
    whether anything was cut. What was cut is said in the text itself, so a report shows it."""
    if not isinstance(data, dict):
        return data, False
    out = dict(data)
    notes: list[str] = []
    summary = out.get("summary")
    if isinstance(summary, str) and len(summary) > MAX_SUMMARY_CHARS:
        out["summary"] = _cut_text(summary, MAX_SUMMARY_CHARS)
    refs = out.get("references")
    if isinstance(refs, list):
        kept = [
            r
            for r in refs[:MAX_REFERENCES]
            if not (isinstance(r, dict) and isinstance(r.get("url"), str))
            or len(r["url"]) <= MAX_URL_CHARS
        ]
        if len(kept) != len(refs):
            notes.append(f"{len(refs) - len(kept)} references (too many or too long) not kept")
            out["references"] = kept
    aliases = out.get("aliases")
    if isinstance(aliases, list) and len(aliases) > MAX_ALIASES:
        notes.append(f"{len(aliases) - MAX_ALIASES} aliases not kept")
        out["aliases"] = aliases[:MAX_ALIASES]
    details = out.get("details")
    if isinstance(details, str) and len(details) > MAX_DETAILS_CHARS:
        out["details"] = _cut_text(details, MAX_DETAILS_CHARS)
    if notes:
        text = out["details"] if isinstance(out.get("details"), str) else ""
        out["details"] = f"{text}\n\n[cut by pipvet: {'; '.join(notes)}]".lstrip()
    changed = any(out.get(k) is not data.get(k) for k in out)
    return (out, True) if changed else (data, False)


def prepare_record(raw: bytes | str) -> StoredRecord:
    """Check one OSV record and extract what the store indexes; MalformedRecord if unusable.
    Free text over the caps is cut (see ``trim_record``) before it is stored."""
    import json  # a sync prepares records; an audit reads digests (see advisories.digest)

    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRecord(f"OSV record is not valid JSON: {str(exc)[:200]}") from None
    except RecursionError:
        raise MalformedRecord("OSV record is not valid JSON: nested too deeply") from None
    data, cut = trim_record(data)
    if cut:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    advisory = parse_advisory(data)
    if len(advisory.id) > MAX_ID_CHARS:
        raise MalformedRecord(f"OSV record id {advisory.id[:60]!r}... is too long to be an id")
    if not safe_id().match(advisory.id) or ".." in advisory.id:
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


# An overlay is a folder of advisories, not a disk: a policy naming "/" (or a home folder)
# would otherwise have every run walk all of it, and read every JSON file found.
MAX_OVERLAY_ENTRIES = 100_000  # files and folders looked at
_OVERLAY_HINT = (
    "point --osv-overlay, PIPVET_OSV_OVERLAY or the policy's osv-overlay at a folder of OSV "
    "JSON files"
)


def overlay_files(folder: Path, *, limit: int = MAX_OVERLAY_ENTRIES) -> list[Path]:
    """The overlay's ``*.json`` files, sorted; links are neither followed nor read. DataError
    when the folder is missing, is not a folder, or holds more than ``limit`` entries."""
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DataError(f"the advisory overlay folder {folder} {what}", hint=_OVERLAY_HINT)
    try:
        return files_below(folder, ".json", limit=limit)
    except TooManyEntries:
        raise DataError(
            f"the advisory overlay folder {folder} holds more than "
            f"{limit:,} files and folders: it is not a folder of advisories",
            hint=_OVERLAY_HINT,
        ) from None


def overlay_records(folder: Path, tally: Tally) -> list[StoredRecord]:
    records: dict[str, StoredRecord] = {}
    for path in overlay_files(folder):
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
        stats = [(str(p), p.stat()) for p in overlay_files(folder)]
    except OSError:
        return "unreadable"
    import json  # only with an overlay

    return json.dumps([str(folder), [(n, s.st_size, s.st_mtime_ns) for n, s in stats]])
