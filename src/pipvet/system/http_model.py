"""The answers the HTTP client hands back: one in-memory response, one streamed download.

Pure values (frozen value classes, no I/O and no I/O imports), so that the index client, the
advisory syncer and tests can name and build them without loading the HTTP machinery. The
client that produces them is ``pipvet.system.http``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipvet.frozen import field, frozen

__all__ = ["Downloaded", "HttpResponse"]


@frozen
class HttpResponse:
    """One answer. ``fetched_at`` is when this answer was last confirmed by its source."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]  # header names lower-cased
    from_cache: bool = False
    fetched_at: float = 0.0
    # The body's SHA-256 (hex) when the response cache worked it out already (storing or
    # reading the body): the index client keys its parsed copies by it, and a large body
    # hashed twice cost a cold vet about 30 ms. Not part of the answer's value.
    body_sha256: str | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


@frozen
class Downloaded:
    """A body streamed to ``path`` (``None`` when the status is 404/410 and nothing was kept)."""

    url: str
    status: int
    path: Path | None
    size: int
    headers: Mapping[str, str]
    fetched_at: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300
