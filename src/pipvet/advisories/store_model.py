"""What the advisory store keeps and reports, as values: a stored record, the database's
status, its error type, the ``modified`` time key that orders records, and how old a
``modified`` time is. Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipvet.errors import DataError
from pipvet.frozen import frozen
from pipvet.models import NormalizedName

__all__ = [
    "REBUILD_HINT",
    "CorruptStore",
    "StoreInfo",
    "StoredRecord",
    "age_since",
    "modified_key",
    "utc_now_text",
]

REBUILD_HINT = "run 'pipvet db sync --full' to rebuild it"


class CorruptStore(DataError):
    """The file exists but is not a readable pipvet advisory database of this version."""


@frozen
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


@frozen
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
    overlay_replaced: tuple[str, ...] = ()  # public ids the overlay's records replace


def modified_key(text: str) -> str:
    """A ``modified`` timestamp as fixed-width UTC text, so string order is time order.

    Raises ValueError for text that is not an RFC 3339 / ISO 8601 time. Times without a zone
    are taken as UTC.
    """
    when = datetime.fromisoformat(text.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        utc = when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first representable UTC
        raise ValueError(f"time out of range: {text[:60]!r}") from None
    # isoformat, unlike strftime("%Y"), pads years below 1000 to four digits.
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def utc_now_text(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def age_since(iso: str | None, now: float | None) -> float | None:
    """Seconds from the OSV ``modified`` time ``iso`` to ``now`` (unix time); None when either
    is unknown, or ``iso`` is unreadable or more than a day in the future (a clock that far
    off, or a forged timestamp, says nothing about how fresh the data is)."""
    if not iso or now is None:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    then = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if then > now + 86400:
        return None
    return max(0.0, now - then)
