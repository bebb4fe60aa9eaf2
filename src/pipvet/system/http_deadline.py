"""Deadlines for HTTP requests: every request ends by its deadline (connecting, retries,
Retry-After waits and reading the body included), and all of a command's requests by its
budget, so a source that stalls, trickles or asks to be retried in an hour cannot hold
pipvet for ever; the error names the URL that was too slow.

``RequestDeadlines`` runs one request's attempts against its deadline (per thread: the
client is shared by ``get_many``'s workers); ``Deadlined`` wraps a response body so that
each read ends by the time left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pipvet.errors import NetworkError
from pipvet.system.http_transport import MAX_RETRY_AFTER, Readable, Retryable

__all__ = ["DEFAULT_DEADLINE", "DOWNLOAD_DEADLINE", "Deadlined", "RequestDeadlines"]

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import TypeVar

    _T = TypeVar("_T")

# A JSON answer gets a minute, retries and waits included; an archive download half an hour.
DEFAULT_DEADLINE = 60.0
DOWNLOAD_DEADLINE = 1800.0


class RequestDeadlines:
    """The end of the request each thread is making, and the command's budget (seconds for
    all requests together, ``None`` for no budget), counted from creation."""

    def __init__(self, budget: float | None = None) -> None:
        self.budget = budget
        self._budget_end = time.monotonic() + budget if budget is not None else None
        self._ends = threading.local()

    def remaining(self, timeout: float) -> float:
        """A socket timeout for the current request: ``timeout``, or less near its end."""
        end = getattr(self._ends, "end", None)
        return timeout if end is None else max(0.01, min(timeout, end - time.monotonic()))

    def run(
        self,
        url: str,
        attempt_once: Callable[[], _T],
        *,
        limit: float,
        retries: int,
        backoff: float,
        sleep: Callable[[float], None],
    ) -> _T:
        """``attempt_once`` until it answers, retrying what is retryable while time is left.

        Waits count at the length asked for, whatever ``sleep`` does (a test's sleep returns
        at once), so the deadline means the same with a real clock and a fake one."""
        start = time.monotonic()
        end = start + limit
        by_budget = self._budget_end is not None and self._budget_end < end
        if self._budget_end is not None:
            end = min(end, self._budget_end)
        outer = getattr(self._ends, "end", None)
        self._ends.end = end
        attempt = 0
        skew = 0.0  # waits asked for minus the time sleep really took

        def now() -> float:
            return time.monotonic() + skew

        try:
            while True:
                if now() >= end:
                    raise self._too_slow(url, limit, "no time was left", by_budget)
                try:
                    return attempt_once()
                except Retryable as exc:
                    if now() >= end:
                        raise self._too_slow(url, limit, exc.reason, by_budget) from None
                    if attempt >= retries:
                        raise _give_up(url, exc, attempt + 1) from None
                    if exc.wait is not None and exc.wait > MAX_RETRY_AFTER:
                        raise _come_back_later(url, exc, exc.wait) from None
                    wait = _wait_for(exc, attempt, backoff)
                    if now() + wait >= end:
                        why = f"{exc.reason}; the server asked to wait {wait:.0f} s more"
                        raise self._too_slow(url, limit, why, by_budget) from None
                    before = time.monotonic()
                    sleep(wait)
                    skew += wait - (time.monotonic() - before)
                    self._ends.end = end - skew
                    attempt += 1
        finally:
            self._ends.end = outer

    def _too_slow(self, url: str, limit: float, why: str, by_budget: bool) -> NetworkError:
        if by_budget:
            return NetworkError(
                f"{url}: the command's network budget of {_seconds(self.budget)} ran out ({why})",
                url=url,
                hint="a source is too slow; point it at a closer mirror, or try again later",
            )
        return NetworkError(
            f"{url}: no complete answer within {_seconds(limit)} ({why})",
            url=url,
            hint="the source is stalled or too slow; try again later, point it at a closer "
            "mirror, or allow more time (policy http-timeout = 120, or --http-timeout 120)",
        )


def _seconds(value: float | None) -> str:
    """60 s, 1.5 s: whole seconds unless the limit is shorter than ten."""
    seconds = value or 0.0
    return f"{seconds:.0f} s" if seconds >= 10 or seconds == int(seconds) else f"{seconds:.1f} s"


def _wait_for(exc: Retryable, attempt: int, backoff: float) -> float:
    if exc.wait is not None:
        return exc.wait
    return float(min(backoff * (2**attempt), MAX_RETRY_AFTER))


def _come_back_later(url: str, exc: Retryable, wait: float) -> NetworkError:
    if wait < 600:
        later = f"{wait:.0f} s"
    elif wait < 5400:
        later = f"{wait / 60:.0f} min"
    else:
        later = f"{wait / 3600:.1f} h"
    busy = "is rate-limiting pipvet" if exc.status == 429 else "is busy or down for maintenance"
    return NetworkError(
        f"{url}: {exc.reason}; the server asks to wait {later} before trying again "
        f"(pipvet waits at most {MAX_RETRY_AFTER:.0f} s)",
        url=url,
        status=exc.status,
        hint=f"the server {busy}; try again after that time, or point pipvet at a mirror",
    )


def _give_up(url: str, exc: Retryable, attempts: int) -> NetworkError:
    tries = f" (tried {attempts} times)" if attempts > 1 else ""
    if exc.status is not None:
        hint = "the server is overloaded or failing; try again later"
        if exc.status == 429:
            hint = "the server is rate-limiting pipvet; wait a while and try again"
        return NetworkError(f"{url}: {exc.reason}{tries}", url=url, status=exc.status, hint=hint)
    return NetworkError(
        f"cannot reach {url}: {exc.reason}{tries}",
        url=url,
        hint="check the network connection, proxy settings (HTTPS_PROXY) and the URL; "
        "with --offline pipvet uses only what it has cached",
    )


class Deadlined:
    """A response body whose every read ends by the request's deadline: each read takes what
    has arrived (``read1``), under a socket timeout no longer than the time left."""

    def __init__(self, resp: Readable, remaining: Callable[[], float]) -> None:
        self._resp = resp
        self._remaining = remaining
        raw = getattr(getattr(resp, "fp", None), "raw", None)
        self._sock = getattr(raw, "_sock", None)

    def read(self, size: int = -1, /) -> bytes:
        left = self._remaining()
        if left <= 0.01:
            raise TimeoutError("the deadline passed while reading the answer")
        if self._sock is not None and hasattr(self._sock, "settimeout"):
            self._sock.settimeout(left)
        read1 = getattr(self._resp, "read1", None)
        data = read1(size) if read1 is not None and size > 0 else self._resp.read(size)
        return bytes(data)
