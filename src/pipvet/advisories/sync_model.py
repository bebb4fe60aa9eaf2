"""What a sync or a freshness check of the advisory database did, as a value. Pure."""

from __future__ import annotations

from pathlib import Path

from pipvet.errors import DataError
from pipvet.frozen import field, frozen
from pipvet.models import Snapshot

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = ["Action", "SyncOutcome"]

Action: TypeAlias = 'Literal["full", "incremental", "up-to-date", "none", "stale"]'


@frozen
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
