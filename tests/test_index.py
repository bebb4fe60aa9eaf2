from __future__ import annotations

import gzip
import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipvet.errors import DataError, NetworkError
from pipvet.frozen import replace
from pipvet.index.client import IndexClient, InternalName
from pipvet.index.parse import parse_project, project_url
from pipvet.system.http import HttpClient, OfflineMiss
from tests.support.httpserver import Reply, Request
from tests.support.index_server import IndexServer, document, index_server
from tests.support.parsed_copy import Copy


def recorded(shared_data: Path, name: str) -> bytes:
    return gzip.decompress((shared_data / "pypi" / f"{name}.json.gz").read_bytes())


@pytest.fixture
def index(shared_data: Path) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        yield server


def client(
    index: IndexServer, cache: Path | None, *, offline: bool = False, fresh: float = 0.0
) -> IndexClient:
    http = HttpClient(cache, offline=offline, retries=2, backoff=0.0, sleep=lambda _s: None)
    return IndexClient(http, index.url, fresh_seconds=fresh)


# ------------------------------------------------------------------------ parsing


def test_parses_recorded_black(shared_data: Path) -> None:
    info = parse_project(recorded(shared_data, "black"), "https://example/pypi/black/json")
    assert info.name == "black"
    assert info.version == "26.10.1"
    assert info.users == ("JelleZijlstra", "ambv", "cooperlees", "willingc", "zsolzsol")
    assert info.organization is None
    assert ("Repository", "https://github.com/psf/black") in info.project_urls
    assert any(r.startswith("click>=") for r in info.requires_dist)
    release = info.release("26.10.1")
    assert release is not None
    assert release.files
    assert release.upload_time is not None
    assert release.upload_time.tzinfo is not None
    assert any(f.is_wheel for f in release.files)
    assert [r.version for r in info.releases if r.yanked] == ["21.11b0"]


@pytest.mark.parametrize(
    ("name", "users", "organization"),
    [
        ("attrs", (), "attrs"),  # organisation, no listed roles
        ("fastapi", ("tiangolo",), None),
        ("boto3", ("aws",), None),
        ("python-dateutil", ("jarondl", "pganssle", "tpievila", "dateutilbot"), None),
    ],
)
def test_ownership(
    shared_data: Path, name: str, users: tuple[str, ...], organization: str | None
) -> None:
    info = parse_project(recorded(shared_data, name), name)
    assert info.roles is not None
    assert info.users == users
    assert info.organization == organization


def test_every_recorded_answer_parses(shared_data: Path) -> None:
    recorded_answers = sorted((shared_data / "pypi").glob("*.json.gz"))
    assert len(recorded_answers) == 26  # the projects listed in shared/data/README.md
    for path in recorded_answers:
        info = parse_project(gzip.decompress(path.read_bytes()), str(path))
        assert info.name == path.name.removesuffix(".json.gz")
        assert info.release(info.version) is not None, info.name


def test_left_pad_single_sdist_release(shared_data: Path) -> None:
    info = parse_project(recorded(shared_data, "left-pad"), "x")
    assert [r.version for r in info.releases] == ["0.0.3"]
    (release,) = info.releases
    assert [f.packagetype for f in release.files] == ["sdist"]
    assert release.upload_time == datetime(2016, 3, 23, 16, 40, 28, 833710, tzinfo=UTC)


def test_missing_ownership_is_unknown_not_empty() -> None:
    doc = document("x", {"1.0": "2026-01-01T00:00:00Z"})
    del doc["ownership"]
    assert parse_project(json.dumps(doc), "u").roles is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>captive portal</html>", "the answer is not JSON"),
        (b"[1, 2]", "the answer is not a JSON object"),
        (b'{"releases": {}}', "'info' is missing"),
        (b'{"info": {"name": "x", "classifiers": "oops"}}', "'info.classifiers' is not a list"),
        (b'{"info": {"name": "x"}, "releases": []}', "'releases' is not an object"),
        (
            b'{"info": {"name": "x"}, "releases": {"1": [{"upload_time_iso_8601": "soon"}]}}',
            "'releases.1[0].upload_time_iso_8601' is not a date: 'soon'",
        ),
        # A hostile index: an internal error (RecursionError) before, repeated from the cache.
        (b'{"info": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply"),
    ],
)
def test_malformed_answers_name_the_url(body: bytes, problem: str) -> None:
    with pytest.raises(DataError) as err:
        parse_project(body, "https://idx.example/pypi/x/json")
    assert "https://idx.example/pypi/x/json" in str(err.value)
    assert problem in str(err.value)


def test_project_url_canonicalises() -> None:
    assert project_url("https://pypi.org/", "Typing_Extensions") == (
        "https://pypi.org/pypi/typing-extensions/json"
    )
    assert project_url("https://pypi.org", "requests", "2.19.0") == (
        "https://pypi.org/pypi/requests/2.19.0/json"
    )


# ------------------------------------------------------------------------ client


def test_lookup_recorded_and_missing(index: IndexServer, tmp_path: Path) -> None:
    c = client(index, tmp_path)
    found = c.lookup("Requests")
    assert found.project is not None
    assert found.project.name == "requests"
    missing = c.lookup("reqeusts")
    assert missing.project is None
    assert index.lookups() == ["requests", "reqeusts"]


def test_lookup_many_is_concurrent_and_keeps_errors_in_place(
    index: IndexServer, tmp_path: Path
) -> None:
    index.server.latency = 0.2
    index.override("broken", Reply(500, b"oops"))
    c = client(index, tmp_path)
    answers = c.lookup_many(["requests", "numpy", "pandas", "six", "idna", "nope", "broken"])
    # Each answer takes 0.2 s, so the seven overlap only if they were sent side by side.
    assert index.server.max_in_flight >= 5
    ok = answers["requests"]
    assert not isinstance(ok, Exception)
    assert ok.project is not None
    nope = answers["nope"]
    assert not isinstance(nope, Exception)
    assert nope.project is None
    assert isinstance(answers["broken"], NetworkError)


def test_retry_after_429_is_honoured(index: IndexServer, tmp_path: Path) -> None:
    calls: list[Request] = []
    body = index.recorded("six")
    assert body is not None

    def flaky(req: Request) -> Reply:
        calls.append(req)
        if len(calls) == 1:
            return Reply(429, b"slow down", {"Retry-After": "7"})
        return Reply(200, body)

    index.override("six", flaky)
    waits: list[float] = []
    http = HttpClient(tmp_path, retries=2, backoff=0.0, sleep=waits.append)
    found = IndexClient(http, index.url).lookup("six")
    assert found.project is not None
    assert found.project.name == "six"
    assert len(calls) == 2
    assert waits == [7.0]


def test_server_error_raises_network_error(index: IndexServer, tmp_path: Path) -> None:
    index.override("six", Reply(500, b"boom"))
    with pytest.raises(NetworkError) as err:
        client(index, tmp_path).lookup("six")
    assert "/pypi/six/json" in str(err.value)


def test_malformed_json_from_the_server(index: IndexServer, tmp_path: Path) -> None:
    index.override("six", Reply(200, b'{"info": '))
    with pytest.raises(DataError) as err:
        client(index, tmp_path).lookup("six")
    assert f"{index.url}/pypi/six/json" in str(err.value)
    assert "not JSON" in str(err.value)


def test_slow_answer_times_out_as_network_error(index: IndexServer, tmp_path: Path) -> None:
    index.override("six", Reply(200, b"{}", delay=1.5))
    http = HttpClient(tmp_path, timeout=0.3, retries=0, sleep=lambda _s: None)
    with pytest.raises(NetworkError):
        IndexClient(http, index.url).lookup("six")


def test_etag_revalidation_and_fresh_window(index: IndexServer, tmp_path: Path) -> None:
    first = client(index, tmp_path).lookup("idna")
    assert not first.from_cache
    again = client(index, tmp_path).lookup("idna")  # fresh window 0: revalidates
    assert again.from_cache
    assert again.project == first.project
    conditional = index.requests_for("idna")[-1]
    assert conditional.headers.get("if-none-match")
    before = len(index.requests_for("idna"))
    client(index, tmp_path, fresh=3600).lookup("idna")  # inside the window: no request
    assert len(index.requests_for("idna")) == before


def test_offline_uses_the_cache_only(index: IndexServer, tmp_path: Path) -> None:
    client(index, tmp_path).lookup("idna")
    client(index, tmp_path).lookup("no-such-thing")
    seen = len(index.server.requests)
    offline = client(index, tmp_path, offline=True)
    assert offline.lookup("idna").project is not None
    assert offline.lookup("no-such-thing").project is None  # a cached 404 is an answer too
    with pytest.raises(OfflineMiss):
        offline.lookup("six")
    assert len(index.server.requests) == seen


def test_internal_names_are_never_sent(index: IndexServer, tmp_path: Path) -> None:
    http = HttpClient(tmp_path)
    c = IndexClient(http, index.url, is_internal=lambda n: n.startswith("acme-"))
    with pytest.raises(InternalName) as err:
        c.lookup("acme-billing")
    assert "internal" in str(err.value)
    answers = c.lookup_many(["acme-secrets", "six"])
    assert isinstance(answers["acme-secrets"], InternalName)
    assert index.lookups() == ["six"]


def test_a_fetched_body_is_hashed_by_the_cache_alone(
    index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The parsed copy is keyed by the body's SHA-256, which the response cache worked out
    # storing the body (a cold vet hashed 34 MB twice): the client asks for no other.
    import hashlib

    from pipvet.index import client as client_module
    from pipvet.sha256 import body_sha256
    from pipvet.system import http_cache

    bodies: list[bytes] = []
    real = body_sha256

    def counted(data: bytes) -> str:
        bodies.append(data)
        return real(data)

    def no_hashing(data: bytes) -> object:
        raise AssertionError("the index client hashed a body itself")

    monkeypatch.setattr(http_cache, "body_sha256", counted)
    monkeypatch.setattr(client_module, "body_sha256", no_hashing)
    http = HttpClient(tmp_path / "http", retries=0)
    c = IndexClient(http, index.url, parsed_cache=tmp_path / "parsed", fresh_seconds=0)
    body = index.recorded("six") or b""
    assert c.lookup("six").project == parse_project(body, f"{index.url}/pypi/six/json")
    assert bodies.count(body) == 1
    copy = next((tmp_path / "parsed").rglob("*.parsed")).read_bytes()
    assert hashlib.sha256(body).hexdigest().encode() in copy  # the copy names that body


def test_parsed_answers_are_kept_and_checked_against_the_body(
    index: IndexServer, tmp_path: Path
) -> None:
    def fresh_client() -> IndexClient:
        http = HttpClient(tmp_path / "http", retries=0)
        return IndexClient(http, index.url, parsed_cache=tmp_path / "parsed", fresh_seconds=0)

    first = fresh_client().lookup("boto3").project
    memo_files = list((tmp_path / "parsed").rglob("*.parsed"))
    assert len(memo_files) == 1
    again = fresh_client().lookup("boto3").project
    assert again == first  # the compact copy gives back exactly what parsing gave
    assert again == parse_project(index.recorded("boto3") or b"", f"{index.url}/pypi/boto3/json")
    # A damaged copy is ignored, and a changed answer is parsed afresh.
    whole = memo_files[0].read_bytes()
    copy = Copy.read(whole)
    assert copy.bytes() == whole
    magic, line, rest = whole.split(b"\n", 2)
    columns = copy.head["releases"]

    def head(**changes: object) -> bytes:
        return b"\n".join([magic, json.dumps({**copy.head, **changes}).encode(), rest])

    def releases(**changes: object) -> bytes:
        return head(releases={**columns, **changes})

    def at(offset: int, new: bytes) -> bytes:
        return whole[:offset] + new + whole[offset + len(new) :]

    versions_at = copy.files_at - len(copy.versions)
    for damaged in (
        b"{not json",
        b"",  # this and the next: a power cut's leftovers
        bytes(4096),
        whole[: len(whole) // 2],  # torn in the files
        whole[: len(magic) + len(line) // 2],  # torn in the JSON line
        whole[: copy.columns_at + 4],  # torn in the upload times
        whole[: versions_at - 2],  # torn in the lengths
        whole + b"x",  # lengths that do not add up
        releases(versions=columns["versions"] + 1),
        releases(versions=-1),
        releases(versions="12"),
        releases(yanked=columns["yanked"][1:]),  # a release short
        releases(yanked="x" + columns["yanked"][1:]),  # a flag that is none
        releases(dated=None),
        releases(dated="1" * len(columns["dated"])),  # times that are not there
        head(releases=[1]),
        at(copy.files_at, b"\xff"),  # files that are not UTF-8
        at(versions_at, b"\xff"),  # versions that are not UTF-8
        at(copy.columns_at, struct.pack("<d", float("nan"))),  # times that are none
        at(copy.columns_at, struct.pack("<d", float("inf"))),
        at(copy.columns_at, struct.pack("<d", 1e300)),
        at(copy.columns_at, struct.pack("<d", -1e300)),
        b"\n".join([magic, b"[" * 100_000, rest]),  # nested past the recursion limit
        head(fetched_at="1e300"),
        head(info=7),
    ):
        memo_files[0].write_bytes(damaged)
        assert fresh_client().lookup("boto3").project == first
    index.project("boto3", document("boto3", {"9.9": "2026-01-01T00:00:00Z"}))
    changed = fresh_client().lookup("boto3").project
    assert changed is not None
    assert changed.version == "9.9"


def test_a_fresh_parsed_answer_needs_no_request(index: IndexServer, tmp_path: Path) -> None:
    now = [1_800_000_000.0]

    def make(*, offline: bool = False) -> IndexClient:
        http = HttpClient(tmp_path / "http", offline=offline, clock=lambda: now[0])
        return IndexClient(http, index.url, parsed_cache=tmp_path / "parsed", clock=lambda: now[0])

    first = make().lookup("numpy")
    assert not first.from_cache
    import shutil

    shutil.rmtree(tmp_path / "http")  # the raw answer is not even needed any more
    now[0] += 600
    again = make().lookup("numpy")
    assert again.from_cache
    assert again.project == first.project
    assert again.fetched_at == first.fetched_at
    assert len(index.requests_for("numpy")) == 1
    # Past the freshness window the index is asked again; offline, any age will do.
    now[0] += 7200
    assert make(offline=True).lookup_many(["numpy"])["numpy"] == again
    make().lookup("numpy")
    assert len(index.requests_for("numpy")) == 2


def test_no_such_project_is_remembered_as_a_parsed_answer_is(
    index: IndexServer, tmp_path: Path
) -> None:
    # A warm vet asked the HTTP cache, on a thread each, about every subtree name that is not
    # on the index: the parsed cache keeps "no such project" too, with the same freshness.
    now = [1_800_000_000.0]

    def make(*, offline: bool = False) -> IndexClient:
        http = HttpClient(tmp_path / "http", offline=offline, clock=lambda: now[0])
        return IndexClient(http, index.url, parsed_cache=tmp_path / "parsed", clock=lambda: now[0])

    first = make().lookup("no-such-thing")
    assert (first.project, first.from_cache) == (None, False)
    import shutil

    shutil.rmtree(tmp_path / "http")  # answered without the HTTP layer
    now[0] += 600
    again = make().lookup_many(["no-such-thing", "six"])
    assert again["no-such-thing"] == replace(first, from_cache=True)
    assert len(index.requests_for("no-such-thing")) == 1
    # Past the freshness window the index is asked again; offline, any age will do.
    now[0] += 7200
    assert make(offline=True).lookup("no-such-thing") == replace(first, from_cache=True)
    assert len(index.requests_for("no-such-thing")) == 1
    make().lookup("no-such-thing")
    assert len(index.requests_for("no-such-thing")) == 2
    # A copy that says more than "absent" is damage: a miss (the HTTP cache answers, and the
    # copy is written again). A project that appears is seen once the answer is not fresh.
    copy = next(p for p in (tmp_path / "parsed").rglob("*.parsed") if b"absent" in p.read_bytes())
    whole = copy.read_bytes()
    for damaged in (whole + b"x\tsdist\t\t0\t", whole.replace(b"}", b', "info": 1}')):
        copy.write_bytes(damaged)
        assert make().lookup("no-such-thing").project is None
        assert copy.read_bytes() == whole
    assert len(index.requests_for("no-such-thing")) == 2
    index.project("no-such-thing", document("no-such-thing", {"1.0": "2026-01-01T00:00:00Z"}))
    now[0] += 7200
    found = make().lookup("no-such-thing").project
    assert found is not None
    assert found.version == "1.0"


def test_a_mirror_with_a_credential_gets_its_parsed_answers_back(
    index: IndexServer, tmp_path: Path
) -> None:
    """The parsed answer is stored under the answer's URL, which never holds the credential:
    it was looked up under the URL with it, so a private mirror's answers were parsed anew on
    every run."""
    base = index.url.replace("http://", "http://reader:s3cret@")

    def make() -> IndexClient:
        return IndexClient(HttpClient(tmp_path / "http"), base, parsed_cache=tmp_path / "parsed")

    first = make().lookup("numpy")
    import shutil

    shutil.rmtree(tmp_path / "http")
    again = make().lookup("numpy")
    assert again.project == first.project
    assert len(index.requests_for("numpy")) == 1
    assert "s3cret" not in again.url


def test_per_release_documents_are_fetched_together(index: IndexServer, tmp_path: Path) -> None:
    index.server.latency = 0.2
    for version in ("1.0", "2.0"):
        doc = document("x", {version: "2024-01-01T00:00:00Z"}, requires_dist=[f"dep{version}"])
        del doc["releases"]
        index.release("x", version, doc)
    found = client(index, tmp_path).lookup_releases([("x", "1.0"), ("X", "2.0"), ("x", "3.0")])
    assert index.server.max_in_flight == 3  # three requests at 0.2 s each, side by side
    one, two, three = found[("x", "1.0")], found[("x", "2.0")], found[("x", "3.0")]
    assert not isinstance(one, Exception)
    assert one.project is not None
    assert one.project.requires_dist == ("dep1.0",)
    assert [r.version for r in one.project.releases] == ["1.0"]
    assert not isinstance(two, Exception)
    assert two.project is not None
    assert two.project.requires_dist == ("dep2.0",)
    assert not isinstance(three, Exception)
    assert three.project is None


def test_names_started_early_are_asked_once_and_answered_the_same(
    index: IndexServer, tmp_path: Path
) -> None:
    """``start`` asks in the background; a later lookup of the same names waits for those
    answers (not asking again), and gets what a lookup without ``start`` gets."""
    index.server.latency = 0.2
    early = client(index, tmp_path / "early")
    early.start(["six", "Numpy", "no-such-thing"])
    early.start([])  # nothing to ask: nothing started
    for _, started in early._started:
        started.result()  # all asked and parsed before anyone needs the answers
    assert sorted(index.lookups()) == ["no-such-thing", "numpy", "six"]
    import shutil

    shutil.rmtree(tmp_path / "early")  # with the cache gone and offline, asking again fails:
    early.http.offline = True  # the answers must be those asked for by start
    found = early.lookup_many(["numpy", "six", "no-such-thing"])
    early.http.offline = False
    found |= early.lookup_many(["boto3"])
    assert sorted(index.lookups()) == ["boto3", "no-such-thing", "numpy", "six"]
    plain = client(index, tmp_path / "plain").lookup_many(["numpy", "six", "no-such-thing"])
    for name, answer in plain.items():
        assert not isinstance(answer, Exception)
        again = found[name]
        assert not isinstance(again, Exception)
        assert again.project == answer.project
    boto3 = found["boto3"]
    assert not isinstance(boto3, Exception)
    assert boto3.project is not None


def test_a_failure_started_early_stays_in_place(index: IndexServer, tmp_path: Path) -> None:
    c = client(index, tmp_path, offline=True)  # nothing cached: every lookup fails
    c.start(["six"])
    assert isinstance(c.lookup_many(["six"])["six"], NetworkError)
    assert index.lookups() == []


def test_an_answer_asked_for_by_two_threads_is_asked_once(
    index: IndexServer, tmp_path: Path
) -> None:
    """Two lookups of the same release at once (the roots' older releases and the subtree's
    first level can overlap) share one request."""
    index.server.latency = 0.3
    doc = document("x", {"1.0": "2024-01-01T00:00:00Z"}, requires_dist=["dep"])
    del doc["releases"]
    index.release("x", "1.0", doc)
    c = client(index, tmp_path)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(c.lookup_releases, [("x", "1.0")]) for _ in range(2)]
        first, second = (f.result()[("x", "1.0")] for f in futures)
    assert first is second  # the one answer, handed to both
    assert not isinstance(first, Exception)
    assert first.project is not None
    assert [r.path for r in index.server.requests] == ["/pypi/x/1.0/json"]
