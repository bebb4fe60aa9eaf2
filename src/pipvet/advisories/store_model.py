"""What the advisory store keeps and reports, as values: a stored record, the database's
status, its error type, the ``modified`` time key that orders records, and how old a
``modified`` time is. Pure."""

from __future__ import annotations

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
    "utc_micros",
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
    from datetime import UTC, datetime  # a sync's: an audit reads the keys it wrote

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
    from datetime import UTC, datetime  # (see modified_key)

    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_DAYS_BEFORE_MONTH = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def utc_micros(text: str) -> int | None:
    """Microseconds from the Unix epoch to ``text`` when it is a UTC time as OSV records and
    pipvet's metadata write it, ``2024-05-01T12:00:00Z`` (a fraction of up to six digits,
    ``Z`` or ``+00:00``), exactly as ``datetime.fromisoformat`` reads it; None for any other
    text (another spelling, or a date or time out of range), which callers hand to datetime.
    Read without datetime: its import was what an audit paid for a few timestamps."""
    if text[-1:] == "Z":
        body = text[:-1]
    elif text[-6:] == "+00:00":
        body = text[:-6]
    else:
        return None
    head, dot, fraction = body.partition(".")
    if (
        len(head) != 19
        or head[4] != "-"
        or head[7] != "-"
        or head[10] != "T"
        or head[13] != ":"
        or head[16] != ":"
        or (dot and not 1 <= len(fraction) <= 6)
    ):
        return None
    digits = head[:4] + head[5:7] + head[8:10] + head[11:13] + head[14:16] + head[17:] + fraction
    if not (digits.isascii() and digits.isdigit()):
        return None
    year, month, day = int(head[:4]), int(head[5:7]), int(head[8:10])
    hour, minute, second = int(head[11:13]), int(head[14:16]), int(head[17:])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not (
        year >= 1
        and 1 <= month <= 12
        and 1 <= day <= _DAYS_IN_MONTH[month] + (month == 2 and leap)
        and hour <= 23
        and minute <= 59
        and second <= 59
    ):
        return None
    y = year - 1  # days as date.toordinal counts them
    days = y * 365 + y // 4 - y // 100 + y // 400 + _DAYS_BEFORE_MONTH[month]
    days += (month > 2 and leap) + day - _EPOCH_ORDINAL
    micros = int(fraction.ljust(6, "0")) if fraction else 0
    return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros


def age_since(iso: str | None, now: float | None) -> float | None:
    """Seconds from the OSV ``modified`` time ``iso`` to ``now`` (unix time); None when either
    is unknown, or ``iso`` is unreadable or more than a day in the future (a clock that far
    off, or a forged timestamp, says nothing about how fresh the data is)."""
    if not iso or now is None:
        return None
    micros = utc_micros(iso)
    if micros is not None:
        then = micros / 1_000_000  # what datetime's timestamp() divides
    else:
        from datetime import UTC, datetime

        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            return None
        then = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if then > now + 86400:
        return None
    return max(0.0, now - then)
