"""The thread pool pipvet sends concurrent requests from, and the one-value ``Future`` its
threads hand answers over with.

Both are made of ``threading`` alone: ``concurrent.futures`` imports logging, traceback,
tokenize and more (about 45 million instructions, most of what a warm ``pipvet vet`` paid for
imports it did not otherwise need), and pipvet uses four of its calls.

A ``with`` block of ``ThreadPoolExecutor`` waits for every worker when it ends, also when it
ends because the user pressed Ctrl-C: a request to a stalled server then holds the
interruption up until that request's own timeout (55 s for a vet against an index that
accepts connections and never answers). ``RequestPool`` waits when the block ends normally or
with an error, and not when it is interrupted; its workers are daemons, so the requests left
running end with the process (``console_main`` leaves with ``os._exit`` anyway).
"""

from __future__ import annotations

import threading
from _queue import SimpleQueue  # queue's own, without queue's heapq and deque
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType

TYPE_CHECKING = False  # not typing's: a vet imports no concurrent.futures and no more typing
if TYPE_CHECKING:
    from typing import Generic, TypeVar

    _T = TypeVar("_T")
    _R = TypeVar("_R")
else:

    class Generic:  # subscripted for type checkers only
        def __class_getitem__(cls, _item: object) -> type:
            return cls

    _T = _R = None

__all__ = ["Future", "RequestPool", "as_completed"]

_CALLBACKS = threading.Lock()  # a future's state and callbacks change together


class Future(Generic[_T]):
    """A value (or an exception) one thread sets once and others wait for, as
    ``concurrent.futures.Future``'s ``set_result``, ``set_exception`` and ``result`` do."""

    __slots__ = ("_callbacks", "_error", "_set", "_unset", "_value")

    def __init__(self) -> None:
        self._set = False
        self._value: _T | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future[_T]], object]] = []
        # Held until the value is set: waiting is acquiring it (which Ctrl-C interrupts).
        self._unset = threading.Lock()
        self._unset.acquire()

    def set_result(self, value: _T) -> None:
        self._finish(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._finish(None, error)

    def done(self) -> bool:
        return self._set

    def result(self) -> _T:
        """The value, once set (waited for); the exception set instead is raised."""
        if not self._set:
            with self._unset:
                pass
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set, by set_result

    def add_done_callback(self, fn: Callable[[Future[_T]], object]) -> None:
        """``fn(self)`` once the value is set: at once if it is, else on the thread setting it."""
        with _CALLBACKS:
            if not self._set:
                self._callbacks.append(fn)
                return
        fn(self)

    def _finish(self, value: _T | None, error: BaseException | None) -> None:
        with _CALLBACKS:
            if self._set:
                raise RuntimeError("a future's value is set once")
            self._value, self._error, self._set = value, error, True
            callbacks, self._callbacks = self._callbacks, []
        self._unset.release()
        for fn in callbacks:
            fn(self)


def as_completed(futures: Iterable[Future[_T]]) -> Iterator[Future[_T]]:
    """Each of ``futures`` once its value is set, in the order they are set."""
    finished: SimpleQueue[Future[_T]] = SimpleQueue()
    waiting = list(futures)
    for future in waiting:
        future.add_done_callback(finished.put)
    for _ in waiting:
        yield finished.get()


class RequestPool:
    """Runs calls on up to ``max_workers`` daemon threads, each started as a call is submitted
    while fewer are running. Leaving the ``with`` block waits for every call, unless it is
    left by Ctrl-C (or another BaseException): then calls not started are dropped and those
    running are not waited for; ``wait_on_interrupt`` waits for them then as well (calls that
    run a subprocess, which the same Ctrl-C reaches, end soon)."""

    def __init__(self, max_workers: int, *, wait_on_interrupt: bool = False) -> None:
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self._max_workers = max_workers
        self._wait_on_interrupt = wait_on_interrupt
        self._work: SimpleQueue[tuple[Future[object], Callable[[], object]] | None]
        self._work = SimpleQueue()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> RequestPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        interrupted = exc_type is not None and not issubclass(exc_type, Exception)
        self.shutdown(wait=self._wait_on_interrupt or not interrupted)

    def submit(self, fn: Callable[..., _R], /, *args: object) -> Future[_R]:
        future: Future[_R] = Future()
        self._work.put((future, lambda: fn(*args)))  # type: ignore[arg-type]
        if len(self._threads) < self._max_workers:
            worker = threading.Thread(target=self._run, name="pipvet-request", daemon=True)
            worker.start()
            self._threads.append(worker)
        return future

    def map(self, fn: Callable[[_T], _R], items: Iterable[_T]) -> Iterator[_R]:
        """``fn`` of each item, concurrently; the values in the items' order (the first
        exception is raised where its value would be)."""
        futures = [self.submit(fn, item) for item in items]
        return (future.result() for future in futures)

    def shutdown(self, *, wait: bool = True) -> None:
        if not wait:  # calls not started yet are dropped: whoever waits for one is told
            while not self._work.empty():
                if (item := self._work.get_nowait()) is not None:
                    item[0].set_exception(RuntimeError("left before this call started"))
        for _ in self._threads:
            self._work.put(None)
        if wait:
            for worker in self._threads:
                worker.join()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            future, call = item
            try:
                value = call()
            except BaseException as exc:  # the caller's to see, where it asks for the value
                future.set_exception(exc)
            else:
                future.set_result(value)
            del item, future, call  # nothing of a finished call kept alive while waiting
