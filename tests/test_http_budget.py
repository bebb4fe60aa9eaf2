"""One command holds a bounded amount of oversized answers, however many a hostile source
sends.

Each answer has its own cap; these tests are about the sum: an index answering every name
with a small gzip body that inflates to nearly that cap must not fill memory and the
response cache once per name, while a command that looks up thousands of real answers (each
under the allowance) is never stopped.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipvet.errors import NetworkError
from pipvet.system.http import HttpClient
from tests.support.httpserver import LoopbackServer, Reply

MiB = 1024 * 1024


def bomb(size: int) -> Reply:
    """A gzip answer of a few kilobytes that inflates to ``size`` bytes of JSON."""
    body = b"[" + b" " * (size - 2) + b"]"
    return Reply(200, gzip.compress(body, 9), headers={"Content-Encoding": "gzip"})


def client(cache: Path | None = None, **kw: object) -> HttpClient:
    return HttpClient(cache, timeout=5, sleep=lambda _s: None, **kw)  # type: ignore[arg-type]


def serve_bombs(server: LoopbackServer, count: int, size: int) -> list[str]:
    for i in range(count):
        server.route(f"/pypi/bomb{i}/json", bomb(size))
    return [f"{server.url}/pypi/bomb{i}/json" for i in range(count)]


def test_answers_past_the_commands_limit_are_refused(http_server: LoopbackServer) -> None:
    urls = serve_bombs(http_server, 3, 2 * MiB)
    c = client(max_body=3 * MiB, max_run_bytes=2 * MiB, answer_allowance=MiB)
    assert len(c.get(urls[0]).body) == 2 * MiB  # each answer is within its own cap
    assert len(c.get(urls[1]).body) == 2 * MiB
    with pytest.raises(NetworkError) as info:
        c.get(urls[2])
    assert str(info.value) == (
        f"{urls[2]}: this command has received more than 2 MiB of oversized answers in all; "
        "refusing more"
    )
    assert info.value.hint is not None
    assert "index and advisory URLs" in info.value.hint
    # Final, not retried: asking again would only inflate it again.
    assert sum(r.path == "/pypi/bomb2/json" for r in http_server.requests) == 1


def test_concurrent_bombs_are_counted_as_they_inflate(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    urls = serve_bombs(http_server, 8, 2 * MiB)
    c = client(tmp_path / "http", max_body=3 * MiB, max_run_bytes=2 * MiB, answer_allowance=MiB)
    answers = c.get_many(urls, max_workers=8)
    assert sum(not isinstance(a, NetworkError) for a in answers) <= 2
    refused = [a for a in answers if isinstance(a, NetworkError)]
    assert refused
    assert all("MiB of oversized answers in all" in str(a) for a in refused)
    stored = sum(p.stat().st_size for p in (tmp_path / "http").rglob("*") if p.is_file())
    assert stored <= 5 * MiB  # the response cache holds no more than was allowed


def test_answers_served_from_the_cache_count_too(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    urls = serve_bombs(http_server, 2, 2 * MiB)
    filling = client(tmp_path / "http", max_body=3 * MiB, answer_allowance=MiB)
    for url in urls:
        filling.get(url)
    offline = client(tmp_path / "http", offline=True, max_run_bytes=MiB, answer_allowance=MiB)
    assert offline.get(urls[0]).from_cache
    with pytest.raises(NetworkError, match="more than 1 MiB of oversized answers in all"):
        offline.get(urls[1])


def test_answers_within_the_allowance_are_never_counted(http_server: LoopbackServer) -> None:
    """A fleet or a deep vet looks up thousands of names, a few MB each: together far more
    than the limit, and all of them real."""
    urls = serve_bombs(http_server, 20, MiB // 2)
    c = client(max_body=3 * MiB, max_run_bytes=MiB, answer_allowance=MiB)
    answers = c.get_many(urls, max_workers=8)
    assert [len(a.body) for a in answers if not isinstance(a, NetworkError)] == [MiB // 2] * 20


def test_one_answer_past_its_own_cap_is_still_refused_alone(http_server: LoopbackServer) -> None:
    (url,) = serve_bombs(http_server, 1, 4 * MiB)
    c = client(max_body=3 * MiB)
    with pytest.raises(NetworkError, match=r"could not be decoded \(decompressed size exceeds 3"):
        c.get(url)


def test_a_cut_gzip_stream_is_still_an_error(http_server: LoopbackServer) -> None:
    whole = gzip.compress(b"[" + b"0," * 100_000 + b"0]")
    http_server.route("/cut", Reply(200, whole[: len(whole) // 2], {"Content-Encoding": "gzip"}))
    with pytest.raises(NetworkError, match="the compressed stream is truncated"):
        client().get(http_server.url + "/cut")
