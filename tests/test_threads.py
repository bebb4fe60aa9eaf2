"""pipvet.system.threads against concurrent.futures, whose four calls it stands in for: the same
values, exceptions and orders; a pool left normally waits for its calls, one left by Ctrl-C
does not (unless asked to)."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import threading
import time

import pytest

from pipvet.system.threads import Future, RequestPool, as_completed


class Boom(Exception):
    pass


def _slow(value: int) -> int:
    time.sleep(0.002 * (value % 5))
    if value == 7:
        raise Boom(value)
    return value * value


@pytest.mark.parametrize("workers", [1, 2, 5, 32])
@pytest.mark.parametrize("count", [0, 1, 6, 7, 20])
def test_map_and_submit_answer_as_the_executor_does(workers: int, count: int) -> None:
    def run(pool: object) -> tuple[object, list[object]]:
        assert isinstance(pool, RequestPool | concurrent.futures.ThreadPoolExecutor)
        with pool:
            try:
                mapped: object = list(pool.map(_slow, range(count)))
            except Boom as exc:
                mapped = ("raised", exc.args)
            submitted: list[object] = []
            for future in [pool.submit(_slow, i) for i in range(count)]:
                try:
                    submitted.append(future.result())
                except Boom as exc:
                    submitted.append(("raised", exc.args))
        return mapped, submitted

    ours = run(RequestPool(max_workers=workers))
    theirs = run(concurrent.futures.ThreadPoolExecutor(max_workers=workers))
    assert ours == theirs


def test_no_more_threads_than_workers() -> None:
    gate = threading.Event()
    seen: set[int] = set()

    def wait(_: int) -> None:
        seen.add(threading.get_ident())
        gate.wait(5)

    with RequestPool(max_workers=3) as pool:
        futures = [pool.submit(wait, i) for i in range(10)]
        time.sleep(0.05)
        gate.set()
    assert all(f.done() for f in futures)
    assert len(seen) == 3


def test_as_completed_yields_each_future_as_it_is_set() -> None:
    futures: list[Future[int]] = [Future() for _ in range(4)]
    futures[2].set_result(2)  # set before anyone waits: yielded first
    order: list[int] = []

    def later() -> None:
        for i in (3, 0, 1):
            time.sleep(0.01)
            futures[i].set_result(i)

    threading.Thread(target=later).start()
    for future in as_completed(futures):
        order.append(future.result())
    assert order == [2, 3, 0, 1]


def test_a_future_is_set_once_and_waited_for() -> None:
    future: Future[str] = Future()
    assert not future.done()
    threading.Timer(0.02, future.set_result, ["x"]).start()
    assert future.result() == "x"
    assert future.result() == "x"
    with pytest.raises(RuntimeError):
        future.set_result("y")
    with pytest.raises(RuntimeError):
        future.set_exception(Boom())
    failed: Future[str] = Future()
    failed.set_exception(Boom("no"))
    with pytest.raises(Boom, match="no"):
        failed.result()
    called: list[Future[str]] = []
    failed.add_done_callback(called.append)  # already set: called at once
    assert called == [failed]


def test_an_exception_leaves_the_block_after_every_call_ended() -> None:
    ended: list[int] = []

    def call(i: int) -> None:
        time.sleep(0.05)
        ended.append(i)

    def leave() -> None:
        with RequestPool(max_workers=2) as pool:
            for i in (1, 2, 3):
                pool.submit(call, i)
            raise Boom

    with pytest.raises(Boom):
        leave()
    assert sorted(ended) == [1, 2, 3]


def _interrupted(wait_on_interrupt: bool) -> tuple[float, list[Future[bool]]]:
    gate = threading.Event()
    futures: list[Future[bool]] = []
    start = time.monotonic()

    def leave() -> None:
        with RequestPool(max_workers=1, wait_on_interrupt=wait_on_interrupt) as pool:
            futures.extend(pool.submit(gate.wait, 0.5) for _ in range(3))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        leave()
    took = time.monotonic() - start
    gate.set()
    return took, futures


def test_ctrl_c_leaves_the_block_without_waiting() -> None:
    took, futures = _interrupted(wait_on_interrupt=False)
    assert took < 0.3
    # the calls not started are dropped, and say so to whoever asks
    with pytest.raises(RuntimeError, match="left before"):
        futures[2].result()


def test_ctrl_c_waits_when_asked_to() -> None:
    took, futures = _interrupted(wait_on_interrupt=True)
    assert took >= 0.5
    assert all(f.done() for f in futures)


def test_waiting_for_a_future_is_interrupted_by_ctrl_c() -> None:
    # The main thread's wait on a value no thread sets ends with the signal.
    code = (
        "import os, signal, threading, time\n"
        "from pipvet.system.threads import Future\n"
        "threading.Timer(0.2, os.kill, [os.getpid(), signal.SIGINT]).start()\n"
        "try:\n"
        "    Future().result()\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.stdout.strip() == "interrupted"


@pytest.mark.parametrize("ours", [True, False])
def test_shutdown_waits_by_default(ours: bool) -> None:
    ended: list[int] = []
    pool = RequestPool(max_workers=2) if ours else concurrent.futures.ThreadPoolExecutor(2)

    def call(i: int) -> None:
        time.sleep(0.02)
        ended.append(i)

    for i in range(4):
        pool.submit(call, i)
    pool.shutdown()
    assert sorted(ended) == [0, 1, 2, 3]


def test_a_vet_imports_no_concurrent_futures() -> None:
    code = (
        "import sys\n"
        "import pipvet.cli._vetting, pipvet.vetting.service, pipvet.index.client\n"
        "import pipvet.vetting.subtree, pipvet.system.http\n"
        "print(sorted(m for m in sys.modules if m.startswith(('concurrent', 'logging'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
