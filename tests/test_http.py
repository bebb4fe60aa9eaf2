"""The HTTP layer against a real loopback server: statuses, retries, caching, files, gzip."""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipvet.errors import NetworkError
from pipvet.frozen import replace
from pipvet.system.http import HttpClient, OfflineMiss
from pipvet.system.http_model import HttpResponse
from pipvet.system.paths import local_path
from tests.support.httpserver import LoopbackServer, Reply, Request


class Waits:
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(cache: Path | None = None, **kw: object) -> tuple[HttpClient, Waits]:
    waits = Waits()
    return HttpClient(cache, sleep=waits, timeout=5, **kw), waits  # type: ignore[arg-type]


def sequence(*replies: Reply) -> tuple[list[Request], object]:
    """A handler answering with ``replies`` in turn (the last one repeats)."""
    seen: list[Request] = []

    def handler(req: Request) -> Reply:
        seen.append(req)
        return replies[min(len(seen), len(replies)) - 1]

    return seen, handler


# ---------------------------------------------------------------------------- statuses


@pytest.mark.parametrize("status", [404, 410])
def test_not_found_is_an_answer_not_an_error(http_server: LoopbackServer, status: int) -> None:
    http_server.route("/gone", Reply(status, b"nope"))
    c, waits = client()
    resp = c.get(http_server.url + "/gone")
    assert (resp.status, resp.ok, resp.from_cache) == (status, False, False)
    assert waits.calls == []


def test_forbidden_fails_at_once_with_url_status_and_hint(http_server: LoopbackServer) -> None:
    http_server.route("/secret", Reply(403, b"no"))
    c, waits = client()
    with pytest.raises(NetworkError) as info:
        c.get(http_server.url + "/secret")
    assert info.value.status == 403
    assert info.value.url == http_server.url + "/secret"
    assert "HTTP 403" in str(info.value)
    assert info.value.hint is not None
    assert "refused access" in info.value.hint
    assert waits.calls == []
    assert http_server.paths_requested() == ["/secret"]


def test_429_waits_as_retry_after_says(http_server: LoopbackServer) -> None:
    seen, handler = sequence(Reply(429, headers={"Retry-After": "7"}), Reply(200, b"ok"))
    http_server.route("/busy", handler)  # type: ignore[arg-type]
    c, waits = client()
    assert c.get(http_server.url + "/busy").body == b"ok"
    assert waits.calls == [7.0]
    assert len(seen) == 2


def test_retry_after_as_http_date_is_waited_for_up_to_a_minute(
    http_server: LoopbackServer,
) -> None:
    now = 1_700_000_000.0
    soon = email.utils.formatdate(now + 30, usegmt=True)
    a_minute = email.utils.formatdate(now + 60, usegmt=True)
    _, handler = sequence(
        Reply(429, headers={"Retry-After": soon}),
        Reply(503, headers={"Retry-After": a_minute}),
        Reply(200, b"ok"),
    )
    http_server.route("/busy", handler)  # type: ignore[arg-type]
    c, waits = client(clock=lambda: now, deadline=300)  # room for both waits
    assert c.get(http_server.url + "/busy").body == b"ok"
    assert waits.calls == [30.0, 60.0]


@pytest.mark.parametrize(
    ("status", "retry_after", "said", "hint"),
    [
        (429, "3600", "wait 60 min", "rate-limiting"),
        (503, "61", "wait 61 s", "maintenance"),
        (503, "1800", "wait 30 min", "maintenance"),
        (429, "HTTP date, 2 hours on", "wait 2.0 h", "rate-limiting"),
    ],
)
def test_a_server_asking_for_more_than_a_minute_is_given_up_on_at_once(
    http_server: LoopbackServer, status: int, retry_after: str, said: str, hint: str
) -> None:
    now = 1_700_000_000.0
    if retry_after.startswith("HTTP date"):
        retry_after = email.utils.formatdate(now + 7200, usegmt=True)
    seen, handler = sequence(Reply(status, headers={"Retry-After": retry_after}), Reply(200))
    http_server.route("/later", handler)  # type: ignore[arg-type]
    c, waits = client(clock=lambda: now, deadline=300)
    with pytest.raises(NetworkError) as caught:
        c.get(http_server.url + "/later")
    assert waits.calls == []  # not a minute at a time for a server that said an hour
    assert len(seen) == 1
    assert said in str(caught.value)
    assert str(status) in str(caught.value)
    assert hint in (caught.value.hint or "")


def test_500_then_success_backs_off(http_server: LoopbackServer) -> None:
    seen, handler = sequence(Reply(500), Reply(502), Reply(200, b"fine"))
    http_server.route("/flaky", handler)  # type: ignore[arg-type]
    c, waits = client()
    assert c.get(http_server.url + "/flaky").body == b"fine"
    assert waits.calls == [0.5, 1.0]
    assert len(seen) == 3


def test_persistent_500_gives_up_after_retries(http_server: LoopbackServer) -> None:
    http_server.route("/down", Reply(500))
    c, waits = client()
    with pytest.raises(NetworkError) as info:
        c.get(http_server.url + "/down")
    assert info.value.status == 500
    assert "HTTP 500" in str(info.value)
    assert "tried 4 times" in str(info.value)
    assert info.value.hint is not None
    assert "try again later" in info.value.hint
    assert waits.calls == [0.5, 1.0, 2.0]
    assert len(http_server.paths_requested()) == 4


def test_slow_answer_times_out(http_server: LoopbackServer) -> None:
    http_server.route("/slow", Reply(200, b"late", delay=2.0))
    waits = Waits()
    c = HttpClient(None, timeout=0.2, retries=1, sleep=waits)
    started = time.monotonic()
    with pytest.raises(NetworkError) as info:
        c.get(http_server.url + "/slow")
    assert time.monotonic() - started < 1.5
    assert "timed out" in str(info.value)
    assert "tried 2 times" in str(info.value)
    assert waits.calls == [0.5]


def test_truncated_answer_is_an_error(http_server: LoopbackServer) -> None:
    http_server.route("/cut", Reply(200, b"0123456789", content_length=50))
    c, _ = client(retries=0)
    with pytest.raises(NetworkError, match=r"cut short \(10 of 50 bytes"):
        c.get(http_server.url + "/cut")


def test_unreachable_host_retries_then_explains(tmp_path: Path) -> None:
    with LoopbackServerClosed() as url:
        c, waits = client(tmp_path)
        with pytest.raises(NetworkError) as info:
            c.get(url + "/x")
    assert str(info.value).startswith(f"cannot reach {url}/x")
    assert info.value.hint is not None
    assert "--offline" in info.value.hint
    assert waits.calls == [0.5, 1.0, 2.0]


class LoopbackServerClosed:
    """A loopback port with nothing listening on it."""

    def __enter__(self) -> str:
        srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        host, port = srv.server_address[:2]
        srv.server_close()
        return f"http://{host!s}:{port}"

    def __exit__(self, *exc: object) -> None:
        pass


def test_unsupported_scheme() -> None:
    c, _ = client()
    with pytest.raises(NetworkError) as info:
        c.get("ftp://example.org/x")
    assert info.value.hint is not None
    assert "file://" in info.value.hint


# ---------------------------------------------------------------------------- gzip


def test_gzip_body_is_decompressed(http_server: LoopbackServer) -> None:
    data = b'{"hello": "world"}' * 100
    http_server.route("/z", Reply(200, gzip.compress(data), headers={"Content-Encoding": "gzip"}))
    c, _ = client()
    resp = c.get(http_server.url + "/z")
    assert resp.body == data
    assert "content-encoding" not in resp.headers  # the body handed out is decoded
    assert http_server.requests[0].headers["accept-encoding"] == "gzip"


def test_malformed_gzip_is_an_error(http_server: LoopbackServer) -> None:
    http_server.route("/z", Reply(200, b"this is not gzip", headers={"Content-Encoding": "gzip"}))
    c, _ = client()
    with pytest.raises(NetworkError, match=r"could not be decoded \(Error -3"):
        c.get(http_server.url + "/z")


# ---------------------------------------------------------------------------- cache


def etag_handler(body: bytes, etag: str = '"v1"') -> tuple[list[Request], object]:
    seen: list[Request] = []

    def handler(req: Request) -> Reply:
        seen.append(req)
        if req.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, headers={"ETag": etag, "Last-Modified": "Mon, 01 Jan 2024 0:0 GMT"})

    return seen, handler


def test_etag_revalidation_serves_cached_body_on_304(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    seen, handler = etag_handler(b"payload")
    http_server.route("/doc", handler)  # type: ignore[arg-type]
    clock = [1000.0]
    c, _ = client(tmp_path, clock=lambda: clock[0])
    first = c.get(http_server.url + "/doc")
    assert (first.body, first.from_cache, first.fetched_at) == (b"payload", False, 1000.0)
    assert "if-none-match" not in seen[0].headers
    clock[0] = 2000.0
    second = c.get(http_server.url + "/doc")
    assert seen[1].headers["if-none-match"] == '"v1"'
    assert seen[1].headers["if-modified-since"] == "Mon, 01 Jan 2024 0:0 GMT"
    assert (second.status, second.body, second.from_cache) == (200, b"payload", True)
    assert second.fetched_at == 2000.0  # the 304 confirmed it now
    # A second client on the same folder (another run) sees the confirmed answer too.
    other, _ = client(tmp_path, clock=lambda: 2010.0)
    assert other.get(http_server.url + "/doc", max_age=60).fetched_at == 2000.0
    assert len(seen) == 2


def test_changed_resource_replaces_cache(http_server: LoopbackServer, tmp_path: Path) -> None:
    bodies = iter([(b"one", '"1"'), (b"two", '"2"')])

    def handler(req: Request) -> Reply:
        body, etag = next(bodies)
        return Reply(200, body, headers={"ETag": etag})

    http_server.route("/doc", handler)
    c, _ = client(tmp_path)
    assert c.get(http_server.url + "/doc").body == b"one"
    resp = c.get(http_server.url + "/doc")
    assert (resp.body, resp.from_cache) == (b"two", False)
    assert http_server.requests[1].headers["if-none-match"] == '"1"'
    assert c.get(http_server.url + "/doc", revalidate=False).body == b"two"


def test_each_answer_carries_its_bodys_digest_hashed_once(
    http_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index client keys its parsed copies by the body's SHA-256: the cache works it out
    # once (storing or reading the body) and the answer carries it, right after a change,
    # a 304 and a read from the cache alike; it is not part of the answer's value.
    import hashlib

    from pipvet.sha256 import body_sha256
    from pipvet.system import http_cache

    hashed: list[bytes] = []
    real = body_sha256

    def counted(data: bytes) -> str:
        hashed.append(data)
        return real(data)

    monkeypatch.setattr(http_cache, "body_sha256", counted)
    bodies = iter([(b"one", '"1"'), (b"two", '"2"'), (b"", '"2"'), (b"three", '"3"')])

    def handler(req: Request) -> Reply:
        body, etag = next(bodies)
        if req.headers.get("if-none-match") == etag:
            return Reply(304, b"", headers={"ETag": etag})
        return Reply(200, body, headers={"ETag": etag})

    http_server.route("/doc", handler)
    c, _ = client(tmp_path)
    url = http_server.url + "/doc"
    for expected in (b"one", b"two", b"two"):  # fetched, changed, confirmed by a 304
        hashed.clear()
        resp = c.get(url)
        assert resp.body == expected
        assert resp.body_sha256 == hashlib.sha256(expected).hexdigest()
        assert hashed.count(expected) == 1  # stored (or read back, for the 304), hashed once
    cached = c.get(url, revalidate=False)
    assert cached.body_sha256 == hashlib.sha256(b"two").hexdigest()
    assert cached == replace(cached, body_sha256=None)
    uncached, _ = client(None)
    assert uncached.get(url).body_sha256 is None  # no cache, no digest worked out


def test_max_age_serves_without_contacting_server(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    seen, handler = etag_handler(b"payload")
    http_server.route("/doc", handler)  # type: ignore[arg-type]
    clock = [0.0]
    c, _ = client(tmp_path, clock=lambda: clock[0])
    c.get(http_server.url + "/doc")
    clock[0] = 59.0
    assert c.get(http_server.url + "/doc", max_age=60).from_cache
    assert len(seen) == 1
    clock[0] = 61.0
    assert c.get(http_server.url + "/doc", max_age=60).from_cache
    assert len(seen) == 2  # too old: revalidated


def test_not_found_is_cached_for_offline_use(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.route("/missing", Reply(404, b""))
    c, _ = client(tmp_path)
    c.get(http_server.url + "/missing")
    offline, _ = client(tmp_path, offline=True)
    assert offline.get(http_server.url + "/missing").status == 404


def test_offline_hit_and_miss(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.route("/doc", Reply(200, b"cached", headers={"ETag": '"x"'}))
    online, _ = client(tmp_path, clock=lambda: 100.0)
    online.get(http_server.url + "/doc")
    offline, _ = client(tmp_path, offline=True, clock=lambda: 5000.0)
    hit = offline.get(http_server.url + "/doc")
    assert (hit.body, hit.from_cache, hit.age(5000.0)) == (b"cached", True, 4900.0)
    with pytest.raises(OfflineMiss) as info:
        offline.get(http_server.url + "/other")
    assert "not in the local cache" in str(info.value)
    assert info.value.hint is not None
    assert "without --offline" in info.value.hint
    assert http_server.paths_requested() == ["/doc"]


def test_offline_without_cache_dir_always_misses(http_server: LoopbackServer) -> None:
    c, _ = client(None, offline=True)
    with pytest.raises(OfflineMiss):
        c.get(http_server.url + "/doc")
    assert http_server.paths_requested() == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-3],  # truncated body
        lambda b: b"garbage",  # not a cache entry at all
        lambda b: b.replace(b'"status"', b'"stat"'),  # header missing a key
        lambda b: b[:-1] + b"X",  # body changed
        # What a power cut can leave of an entry written without waiting for the disk:
        lambda b: b"",
        lambda b: bytes(len(b)),
    ],
)
def test_damaged_cache_entry_is_ignored_and_refetched(
    http_server: LoopbackServer, tmp_path: Path, damage: object
) -> None:
    seen, handler = etag_handler(b"payload")
    http_server.route("/doc", handler)  # type: ignore[arg-type]
    c, _ = client(tmp_path)
    c.get(http_server.url + "/doc")
    (entry,) = tmp_path.rglob("*.http")
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    resp = c.get(http_server.url + "/doc")
    assert (resp.body, resp.from_cache) == (b"payload", False)
    assert "if-none-match" not in seen[1].headers
    assert c.get(http_server.url + "/doc").from_cache  # rewritten, usable again


def test_cache_false_neither_reads_nor_writes(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.route("/doc", Reply(200, b"x", headers={"ETag": '"x"'}))
    c, _ = client(tmp_path)
    c.get(http_server.url + "/doc", cache=False)
    assert list(tmp_path.rglob("*.http")) == []


# ---------------------------------------------------------------------------- files


def test_file_url_and_plain_path(tmp_path: Path) -> None:
    target = tmp_path / "some dir" / "data.json"
    target.parent.mkdir()
    target.write_bytes(b"[1, 2]")
    c, _ = client(None, offline=True)  # local files are not network: offline reads them
    for url in (str(target), target.as_uri()):
        resp = c.get(url)
        assert (resp.status, resp.body) == (200, b"[1, 2]")
        assert local_path(url) == target
    assert c.get(str(tmp_path / "absent.json")).status == 404
    assert c.get((tmp_path / "absent.json").as_uri()).status == 404
    with pytest.raises(NetworkError, match="is a folder"):
        c.get(str(tmp_path))


def test_file_url_on_another_host_is_refused() -> None:
    with pytest.raises(NetworkError, match="another host"):
        local_path("file://server/share/x.json")


# ---------------------------------------------------------------------------- get_many


def test_get_many_keeps_order_and_bounds_concurrency(http_server: LoopbackServer) -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def handler(req: Request, rest: str) -> Reply:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        if rest == "bad":
            return Reply(403)
        return Reply(200, rest.encode())

    http_server.route_prefix("/item/", handler)
    names = ["a", "b", "bad", "c", "d", "e", "f"]
    c, _ = client()
    results = c.get_many([f"{http_server.url}/item/{n}" for n in names], max_workers=3)
    assert [r.body if isinstance(r, HttpResponse) else "error" for r in results] == [
        b"a",
        b"b",
        "error",
        b"c",
        b"d",
        b"e",
        b"f",
    ]
    assert isinstance(results[2], NetworkError)
    assert results[2].status == 403
    assert 2 <= peak <= 3


# ---------------------------------------------------------------------------- download


def test_download_streams_to_file_with_progress(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    blob = bytes(range(256)) * 20_000  # ~5 MB: several chunks
    http_server.route("/all.zip", blob)
    messages: list[str] = []
    c, _ = client()
    got = c.download(http_server.url + "/all.zip", tmp_path / "all.zip", progress=messages.append)
    assert got.status == 200
    assert got.path == tmp_path / "all.zip"
    assert got.size == len(blob)
    assert (tmp_path / "all.zip").read_bytes() == blob
    assert len(messages) >= 2
    assert "of 5.1 MB" in messages[-1]
    assert http_server.requests[0].headers["accept-encoding"] == "identity"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.zip"]


def test_download_refuses_oversized_and_truncated_bodies(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    http_server.route("/big", b"x" * 3_000_000)
    http_server.route("/cut", Reply(200, b"x" * 1000, content_length=5000))
    c, _ = client(retries=0)
    with pytest.raises(NetworkError, match="larger than 2 MiB"):
        c.download(http_server.url + "/big", tmp_path / "big", max_bytes=2 * 1024 * 1024)
    with pytest.raises(NetworkError, match="cut short"):
        c.download(http_server.url + "/cut", tmp_path / "cut")
    assert list(tmp_path.iterdir()) == []  # no partial files left behind


def test_download_of_missing_and_local_files(http_server: LoopbackServer, tmp_path: Path) -> None:
    c, _ = client()
    assert c.download(http_server.url + "/nothing", tmp_path / "n").path is None
    src = tmp_path / "src.bin"
    src.write_bytes(b"local bytes")
    got = c.download(src.as_uri(), tmp_path / "copy.bin")
    assert got.status == 200
    assert (tmp_path / "copy.bin").read_bytes() == b"local bytes"
    assert c.download(str(tmp_path / "absent"), tmp_path / "x").status == 404


def test_download_retries_on_503(http_server: LoopbackServer, tmp_path: Path) -> None:
    _, handler = sequence(Reply(503, headers={"Retry-After": "2"}), Reply(200, b"zip"))
    http_server.route("/all.zip", handler)  # type: ignore[arg-type]
    c, waits = client()
    assert c.download(http_server.url + "/all.zip", tmp_path / "a").size == 3
    assert waits.calls == [2.0]


def test_download_offline_is_refused(tmp_path: Path) -> None:
    c, _ = client(tmp_path, offline=True)
    with pytest.raises(OfflineMiss):
        c.download("https://example.org/all.zip", tmp_path / "a")


# ---------------------------------------------------------------------------- TLS, proxies


@contextlib.contextmanager
def tls_server(
    tmp_path: Path, handler: type[http.server.BaseHTTPRequestHandler]
) -> Iterator[tuple[int, Path]]:
    """A loopback HTTPS server answering with ``handler``, and its self-signed certificate
    (for 127.0.0.1), which nothing trusts unless told to."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv.server_address[1], cert
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def https_url(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTPS server with a self-signed certificate nobody trusts."""
    with tls_server(tmp_path, http.server.SimpleHTTPRequestHandler) as (port, _cert):
        yield f"https://127.0.0.1:{port}"


def test_tls_is_always_verified(https_url: str) -> None:
    c, waits = client()
    with pytest.raises(NetworkError) as info:
        c.get(https_url + "/")
    assert "certificate verification failed" in str(info.value)
    assert info.value.hint is not None
    assert "SSL_CERT_FILE" in info.value.hint
    assert waits.calls == []  # a bad certificate is not retried


def counted_tls_contexts(monkeypatch: pytest.MonkeyPatch) -> list[ssl.SSLContext]:
    """Every context ``ssl.create_default_context`` makes from now on, in order."""
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    return made


def test_plain_http_loads_no_certificates(
    http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A verifying context loads the system's certificates (about 20 ms): made for https only.
    made = counted_tls_contexts(monkeypatch)
    http_server.route("/doc", Reply(200, b"{}"))
    c, _ = client()
    assert c.get(http_server.url + "/doc").body == b"{}"
    assert made == []


def test_tls_is_verified_when_https_comes_after_plain_http(
    http_server: LoopbackServer, https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = counted_tls_contexts(monkeypatch)
    http_server.route("/doc", Reply(200, b"{}"))
    http_server.route("/up", Reply(302, headers={"Location": https_url + "/"}))
    c, waits = client()
    c.get(http_server.url + "/doc")
    for url in (https_url + "/", http_server.url + "/up"):  # asked for, and redirected to
        with pytest.raises(NetworkError) as info:
            c.get(url)
        assert "certificate verification failed" in str(info.value)
    assert len(made) == 1  # one context, made at the first https request, for all of them
    assert made[0].verify_mode == ssl.CERT_REQUIRED
    assert made[0].check_hostname
    assert waits.calls == []


def test_proxy_from_environment_is_used(
    http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("http_proxy", http_server.url)
    http_server.route_prefix("http://", lambda req, rest: Reply(200, b"via proxy"))
    c, _ = client()
    assert c.get("http://pypi.invalid/simple/").body == b"via proxy"
    assert http_server.paths_requested() == ["http://pypi.invalid/simple/"]


# ---------------------------------------------------------------------------- redirects


def test_a_redirect_to_another_scheme_is_not_followed(http_server: LoopbackServer) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # an "FTP server" that must stay idle
    listener.settimeout(0.2)
    ftp = f"ftp://127.0.0.1:{listener.getsockname()[1]}/secret.json"
    http_server.route("/moved", lambda _r: Reply(302, headers={"Location": ftp}))
    c, waits = client()
    with listener:
        with pytest.raises(NetworkError) as info:
            c.get(http_server.url + "/moved")
        with pytest.raises(TimeoutError):  # nothing connected to it
            listener.accept()
    assert f"redirected to {ftp}; only http and https are followed" in str(info.value)
    assert waits.calls == []  # not retried either


def test_https_is_not_given_up_for_plain_http_on_a_redirect(
    http_server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = http_server.url + "/plain.json"
    http_server.route("/plain.json", lambda _r: Reply(200, b"{}"))

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target if self.path == "/down" else "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with tls_server(tmp_path, Redirect) as (port, cert):
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # this client trusts the test server
        c, _ = client()
        with pytest.raises(NetworkError) as info:
            c.get(f"https://127.0.0.1:{port}/down")
    assert "https is not given up for plain http" in str(info.value)
    assert http_server.paths_requested() == []


def test_a_stored_entry_is_the_head_line_then_the_body(tmp_path: Path) -> None:
    # Written in two pieces (the body is not copied to be joined to its head first): the
    # file is the magic line, the JSON line and the body, and reads back as the answer.
    import json

    from pipvet.system.http_cache import _CACHE_MAGIC, read_entry, write_entry
    from pipvet.system.http_model import HttpResponse

    body = b'{"info": {}}\n\x00\xff' * 1000
    response = HttpResponse("https://x/doc", 200, body, {"etag": '"1"'}, False, 5.0)
    path = tmp_path / "entry.http"
    digest = write_entry(path, response)
    magic, line, rest = path.read_bytes().split(b"\n", 2)
    assert magic + b"\n" == _CACHE_MAGIC
    assert rest == body
    assert json.loads(line)["sha256"] == digest == hashlib.sha256(body).hexdigest()
    entry = read_entry(path, "https://x/doc")
    assert entry is not None
    assert entry.response == replace(response, from_cache=True)
