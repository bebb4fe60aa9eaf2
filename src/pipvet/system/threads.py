"""The thread pool pipvet sends concurrent requests from.

A ``with`` block of ``ThreadPoolExecutor`` waits for every worker when it ends, also when it
ends because the user pressed Ctrl-C: a request to a stalled server then holds the
interruption up until that request's own timeout (55 s for a vet against an index that
accepts connections and never answers). ``RequestPool`` waits when the block ends normally or
with an error, and not when it is interrupted; the requests left running end with the process
(``console_main`` leaves with ``os._exit``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

__all__ = ["RequestPool"]


class RequestPool(ThreadPoolExecutor):
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            self.shutdown(wait=False, cancel_futures=True)
            return None
        return super().__exit__(exc_type, exc_val, exc_tb)
