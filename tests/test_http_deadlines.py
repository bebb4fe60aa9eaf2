"""Every HTTP request ends by its deadline: a source that stalls, trickles or asks to be
retried much later is given up on in time, and the error names it. Real loopback servers
that misbehave on purpose; short deadlines keep the tests fast."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipvet.errors import NetworkError
from pipvet.system.http import HttpClient
from tests.support.interrupt import press_ctrl_c, start_pipvet

Behaviour = Callable[[socket.socket], None]


@contextlib.contextmanager
def misbehaving(behaviour: Behaviour) -> Iterator[str]:
    """A loopback server that reads each request, then does ``behaviour`` with the socket."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            behaviour(conn)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def stall_after_headers(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{")
    time.sleep(30)


def trickle(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(100000 // 20):  # 200 bytes a second: never a socket timeout
        conn.sendall(b"x" * 20)
        time.sleep(0.1)


def come_back_in_an_hour(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 429 Too Many\r\nRetry-After: 3600\r\nContent-Length: 0\r\n\r\n")


def silent(conn: socket.socket) -> None:
    time.sleep(30)


@pytest.mark.parametrize("behaviour", [stall_after_headers, trickle, come_back_in_an_hour, silent])
def test_a_slow_source_is_given_up_on_by_the_deadline(tmp_path: Path, behaviour: Behaviour) -> None:
    with misbehaving(behaviour) as base:
        client = HttpClient(tmp_path / "http", timeout=0.3, deadline=0.6)
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            client.get(f"{base}/pypi/demo/json")
        took = time.monotonic() - started
    assert took < 2.5, took
    message = str(caught.value)
    assert f"{base}/pypi/demo/json" in message  # which source was slow
    if behaviour is not come_back_in_an_hour:
        assert "no complete answer within 0.6 s" in message
    else:
        assert "asked to wait" in message or "429" in message
    assert "http-timeout" in (caught.value.hint or "") or "rate-limiting" in (
        caught.value.hint or ""
    )


def test_a_download_that_trickles_ends_by_its_own_deadline(tmp_path: Path) -> None:
    with misbehaving(trickle) as base:
        client = HttpClient(tmp_path / "http", timeout=0.3, download_deadline=0.6)
        started = time.monotonic()
        with pytest.raises(NetworkError, match=r"no complete answer within 0\.6 s"):
            client.download(f"{base}/all.zip", tmp_path / "all.zip")
    assert time.monotonic() - started < 2.5
    assert not (tmp_path / "all.zip").exists()


def test_the_command_budget_ends_every_request(tmp_path: Path) -> None:
    with misbehaving(trickle) as base:
        client = HttpClient(tmp_path / "http", timeout=0.3, deadline=60, budget=0.5)
        started = time.monotonic()
        with pytest.raises(NetworkError, match=r"network budget of 0\.5 s ran out"):
            client.get(f"{base}/a.json")
        with pytest.raises(NetworkError, match="network budget"):
            client.get(f"{base}/b.json")  # the budget is spent: fails at once
    assert time.monotonic() - started < 2.5


def test_a_fast_answer_is_untouched_by_the_deadline(tmp_path: Path) -> None:
    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    with misbehaving(answer) as base:
        client = HttpClient(tmp_path / "http", timeout=1.0, deadline=2.0)
        assert client.get(f"{base}/x.json").body == b"{}"


def test_the_policy_and_the_flag_set_the_deadline(tmp_path: Path) -> None:
    from pipvet.cli import build_parser
    from pipvet.cli._context import build_context
    from pipvet.errors import PolicyError

    (tmp_path / "pipvet.toml").write_text("http-timeout = 5\n", encoding="utf-8")
    parser = build_parser()
    ctx = build_context(parser.parse_args(["audit"]), environ={}, cwd=tmp_path)
    assert ctx.http().deadline == 5.0
    args = parser.parse_args(["audit", "--http-timeout", "2.5"])
    assert build_context(args, environ={}, cwd=tmp_path).http().deadline == 2.5
    (tmp_path / "pipvet.toml").write_text("http-timeout = 100000\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        build_context(parser.parse_args(["audit"]), environ={}, cwd=tmp_path)
    assert "expected a number of seconds from 1 to 3600" in str(caught.value)


@pytest.mark.slow  # two pipvet processes
@pytest.mark.parametrize(
    "command",
    [["vet", "six", "numpy", "pandas"], ["vet", "six"]],
    ids=["concurrent lookups", "one lookup"],
)
def test_ctrl_c_ends_a_run_waiting_on_a_stalled_index_at_once(
    tmp_path: Path, shared_data: Path, command: list[str]
) -> None:
    import os
    import sys

    answered = threading.Event()

    def stalls(conn: socket.socket) -> None:
        answered.set()
        time.sleep(30)

    with misbehaving(stalls) as base:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "PYTHONPATH": os.pathsep.join(sys.path),
            "PIPVET_CACHE_DIR": str(tmp_path / "cache"),
            "PIPVET_INDEX_URL": base,
            "PIPVET_OSV_URL": str(shared_data / "osv"),
            "PIPVET_TOP_PACKAGES_URL": str(shared_data / "top-pypi-packages-30-days.min.json"),
        }
        proc = start_pipvet([*command, "--python", sys.executable], env)
        try:
            assert answered.wait(60)  # a request is waiting on the stalled index
            took, err = press_ctrl_c(proc, timeout=40)
        finally:
            proc.kill()
    assert took < 5
    assert proc.returncode == 130
    assert err.endswith("pipvet: interrupted\n")
