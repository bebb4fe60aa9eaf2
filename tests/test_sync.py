"""Syncing the advisory database from a real OSV layout: paths, file:// and loopback HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipvet.advisories.archive import iter_json_members
from pipvet.advisories.source import OsvSource
from pipvet.advisories.store import AdvisoryStore
from pipvet.advisories.sync import ensure_fresh, sync
from pipvet.advisories.sync_model import SyncOutcome
from pipvet.errors import DataError, NetworkError
from pipvet.models import NormalizedName
from pipvet.system.http import HttpClient, OfflineMiss
from pipvet.system.lock import sync_lock
from tests.support.deep import deep_folder
from tests.support.httpserver import LoopbackServer, Reply, loopback_server
from tests.support.osv_bucket import (
    OsvBucket,
    build_zip,
    csv_for,
    newest_first,
    records_by_id,
    write_bucket,
    zip_of,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def client(cache: Path, **kw: Any) -> HttpClient:
    return HttpClient(cache / "http", sleep=lambda _s: None, timeout=10, **kw)


def stored_ids(path: Path, *names: str) -> dict[str, set[str]]:
    with AdvisoryStore.open(path) as store:
        found = store.raw_records_for([NormalizedName(n) for n in names])
    return {n: {json.loads(t)["id"] for t in texts} for n, texts in found.items()}


def leftovers(folder: Path) -> list[str]:
    """Files a sync may leave in the cache folder besides the database, its lock and caches."""
    keep = {"advisories.sqlite3", "advisories.sqlite3.lock", "http"}
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture(scope="module")
def real(shared_data: Path) -> dict[str, dict[str, Any]]:
    return records_by_id(shared_data / "osv" / "PyPI" / "all.zip")


@pytest.fixture(scope="module")
def module_bucket(shared_data: Path) -> Iterator[OsvBucket]:
    pypi = shared_data / "osv" / "PyPI"
    with loopback_server() as server:
        yield OsvBucket(
            server, (pypi / "all.zip").read_bytes(), (pypi / "modified_id.csv").read_bytes()
        )


def restore_real_snapshot(module_bucket: OsvBucket, shared_data: Path) -> OsvBucket:
    """Undo what earlier tests did to the shared bucket: the real zip and CSV, no requests."""
    pypi = shared_data / "osv" / "PyPI"
    module_bucket.set_zip((pypi / "all.zip").read_bytes())
    module_bucket.csv = (pypi / "modified_id.csv").read_bytes()
    OsvBucket.__init__(
        module_bucket, module_bucket.server, module_bucket.zip_bytes, module_bucket.csv
    )
    module_bucket.server.requests.clear()
    return module_bucket


@pytest.fixture
def bucket(module_bucket: OsvBucket, shared_data: Path) -> OsvBucket:
    """The real snapshot over HTTP, with a clean request log and the real zip and CSV."""
    return restore_real_snapshot(module_bucket, shared_data)


@pytest.fixture(scope="module")
def baseline(
    module_bucket: OsvBucket, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A database fully synced from the real snapshot; tests copy it instead of re-syncing.

    Built on first use, which may come after a test that left the shared bucket serving a
    40-record archive (depending on how xdist spreads the tests), so it restores it first.
    """
    restore_real_snapshot(module_bucket, shared_data)
    cache = tmp_path_factory.mktemp("baseline")
    path = cache / "advisories.sqlite3"
    sync(path, OsvSource.parse(module_bucket.url), client(cache))
    return path


@pytest.fixture
def synced(baseline: Path, tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(baseline, cache / "advisories.sqlite3")
    return cache / "advisories.sqlite3"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, real: dict[str, dict[str, Any]]) -> Path:
    """A bucket-layout folder of 40 real records (including PYSEC-2018-28, for requests), for
    tests about behaviour rather than volume."""
    chosen = [*newest_first(real.values())[:39], real["PYSEC-2018-28"]]
    base = tmp_path_factory.mktemp("small-osv")
    (base / "PyPI").mkdir()
    (base / "PyPI" / "all.zip").write_bytes(zip_of(chosen))
    (base / "PyPI" / "modified_id.csv").write_bytes(csv_for(chosen))
    return base


def newest_modified(records: dict[str, dict[str, Any]]) -> str:
    return str(newest_first(records.values())[0]["modified"])


# ---------------------------------------------------------------------------- full sync


# The default run reads the whole snapshot once, from a path; CI also over file:// and HTTP.
@pytest.mark.parametrize(
    "kind",
    [
        "path",
        pytest.param("file-url", marks=pytest.mark.slow),
        pytest.param("http", marks=pytest.mark.slow),
    ],
)
def test_full_sync_reads_every_record(
    kind: str, tmp_path: Path, shared_data: Path, bucket: OsvBucket, real: dict[str, Any]
) -> None:
    base = {
        "path": str(shared_data / "osv"),
        "file-url": (shared_data / "osv").as_uri(),
        "http": bucket.url + "/",
    }[kind]
    path = tmp_path / "advisories.sqlite3"
    messages: list[str] = []
    outcome = sync(path, OsvSource.parse(base), client(tmp_path), progress=messages.append)
    assert (outcome.action, outcome.fetched, outcome.malformed_skipped) == ("full", 2661, 0)
    assert outcome.warnings == ()
    assert outcome.snapshot.records == len(real) == 2661
    assert outcome.snapshot.newest_modified == newest_modified(real)
    assert any("reading advisory archive: 2000 records" in m for m in messages)
    with AdvisoryStore.open(path) as store:
        assert store.info().withdrawn == sum(1 for r in real.values() if r.get("withdrawn"))
        assert store.integrity_ok()
    expected_requests = ["all.zip"] if kind == "http" else []
    assert bucket.requested() == expected_requests
    assert leftovers(tmp_path) == []  # the downloaded zip and the temporary database are gone


def test_second_sync_asks_only_for_the_listing(synced: Path, bucket: OsvBucket) -> None:
    cache = synced.parent
    first = sync(synced, OsvSource.parse(bucket.url), client(cache))
    second = sync(synced, OsvSource.parse(bucket.url), client(cache))
    assert (first.action, second.action) == ("up-to-date", "up-to-date")
    assert bucket.requested() == ["modified_id.csv", "modified_id.csv"]
    # The listing is cached with its ETag: the second time it was revalidated (304).
    assert bucket.server.requests[-1].headers.get("if-none-match")
    assert second.snapshot.records == 2661


# ---------------------------------------------------------------------------- incremental


def test_incremental_sync_fetches_only_what_changed(
    tmp_path: Path, bucket: OsvBucket, real: dict[str, dict[str, Any]]
) -> None:
    ordered = newest_first(real.values())
    missing = [str(r["id"]) for r in ordered[:7]]
    # Start from a database synced from an archive without the newest seven records.
    bucket.set_zip(zip_of(ordered[7:]))
    path = tmp_path / "advisories.sqlite3"
    http = client(tmp_path)
    first = sync(path, OsvSource.parse(bucket.url), http)
    assert first.snapshot.records == 2654
    assert first.snapshot.newest_modified == ordered[7]["modified"]

    # The source moves on: the seven records appear and one old record is revised, which
    # puts it at the top of the listing.
    revised_id = str(ordered[20]["id"])
    revised = dict(real[revised_id], modified="2024-10-11T08:00:00Z", summary="revised")
    upstream = [revised if r["id"] == revised_id else r for r in ordered]
    bucket.set_zip(zip_of(upstream))
    bucket.csv = csv_for(upstream)
    bucket.server.requests.clear()
    second = sync(path, OsvSource.parse(bucket.url), http)
    assert (second.action, second.fetched) == ("incremental", 8)
    assert second.reason == f"8 records changed since {ordered[7]['modified']}"
    assert bucket.requested()[0] == "modified_id.csv"
    assert sorted(bucket.requested()[1:]) == sorted(f"{i}.json" for i in [*missing, revised_id])
    assert second.snapshot.records == 2661
    assert second.snapshot.newest_modified == "2024-10-11T08:00:00Z"
    with AdvisoryStore.open(path) as store:
        assert json.loads(store.raw_record(revised_id) or "") == revised
        assert store.integrity_ok()


def test_too_many_changes_fall_back_to_the_archive(
    tmp_path: Path, bucket: OsvBucket, real: dict[str, dict[str, Any]]
) -> None:
    ordered = newest_first(real.values())[:40]
    bucket.set_zip(zip_of(ordered[10:]))
    bucket.csv = csv_for(ordered)
    path = tmp_path / "advisories.sqlite3"
    sync(path, OsvSource.parse(bucket.url), client(tmp_path))
    bucket.set_zip(zip_of(ordered))
    bucket.server.requests.clear()
    outcome = sync(path, OsvSource.parse(bucket.url), client(tmp_path), max_incremental=5)
    assert outcome.action == "full"
    assert outcome.reason == "10 records changed (more than 5)"
    assert bucket.requested() == ["modified_id.csv", "all.zip"]
    assert outcome.snapshot.records == 40


@pytest.mark.parametrize(
    ("csv", "warning"),
    [
        (None, "modified_id.csv is missing (HTTP 404)"),
        (b"2099-01-01T00:00:00Z,PYSEC-1\nnot a row\n", "modified_id.csv line 2 is malformed"),
        (b"2099-01-01T00:00:00Z,../../etc/passwd\n", "modified_id.csv line 1 is malformed"),
    ],
)
def test_bad_listing_falls_back_to_the_archive(
    synced: Path, bucket: OsvBucket, csv: bytes | None, warning: str, small: Path
) -> None:
    bucket.csv = csv
    bucket.set_zip((small / "PyPI" / "all.zip").read_bytes())
    outcome = sync(synced, OsvSource.parse(bucket.url), client(synced.parent))
    assert outcome.action == "full"
    assert any(warning in w for w in outcome.warnings), outcome.warnings
    assert bucket.requested() == ["modified_id.csv", "all.zip"]
    assert outcome.snapshot.records == 40


def test_listed_record_missing_at_source_is_skipped_with_a_warning(
    synced: Path, bucket: OsvBucket, real: dict[str, dict[str, Any]]
) -> None:
    fresh = {"id": "PYSEC-2099-1", "modified": "2099-01-01T00:00:00Z", "affected": []}
    bucket.csv = b"2099-01-02T00:00:00Z,PYSEC-2099-2\n2099-01-01T00:00:00Z,PYSEC-2099-1\n" + (
        bucket.csv or b""
    )
    bucket.members["PYSEC-2099-1.json"] = json.dumps(fresh).encode()
    outcome = sync(synced, OsvSource.parse(bucket.url), client(synced.parent))
    assert (outcome.action, outcome.fetched) == ("incremental", 1)
    assert any(
        "PYSEC-2099-2 is listed in modified_id.csv but missing" in w for w in outcome.warnings
    )
    assert outcome.snapshot.records == len(real) + 1
    assert outcome.snapshot.newest_modified == "2099-01-01T00:00:00Z"


def test_a_listed_record_missing_at_source_is_fetched_at_the_next_sync(
    synced: Path, bucket: OsvBucket
) -> None:
    """A record the listing names but the source does not serve yet (a mirror copied half
    way) was lost for good when a newer record came in the same sync: the next sync starts
    at the newest stored record, so the older one was never asked for again."""
    package = {"ecosystem": "PyPI", "name": "requests"}
    older = {
        "id": "PYSEC-2099-1",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": package, "versions": ["2.32.3"]}],
    }
    newer = {"id": "PYSEC-2099-2", "modified": "2099-01-02T00:00:00Z", "affected": []}
    bucket.csv = csv_for([older, newer]) + (bucket.csv or b"")
    bucket.members["PYSEC-2099-2.json"] = json.dumps(newer).encode()
    first = sync(synced, OsvSource.parse(bucket.url), client(synced.parent))
    assert (first.action, first.fetched) == ("incremental", 1)
    assert any("PYSEC-2099-1 is listed in modified_id.csv but missing" in w for w in first.warnings)
    assert "PYSEC-2099-1" not in stored_ids(synced, "requests")["requests"]

    bucket.members["PYSEC-2099-1.json"] = json.dumps(older).encode()
    bucket.server.requests.clear()
    second = sync(synced, OsvSource.parse(bucket.url), client(synced.parent))
    assert (second.action, second.fetched) == ("incremental", 1)
    assert bucket.requested() == ["modified_id.csv", "PYSEC-2099-1.json"]
    assert "PYSEC-2099-1" in stored_ids(synced, "requests")["requests"]
    third = sync(synced, OsvSource.parse(bucket.url), client(synced.parent))
    assert (third.action, third.fetched) == ("up-to-date", 0)


def test_an_archive_with_no_pypi_advisory_is_refused(tmp_path: Path) -> None:
    """Another ecosystem's data copied into a mirror's PyPI folder synced fine, and every
    audit against it passed: no record names a PyPI package."""
    npm = {"ecosystem": "npm", "name": "jinja2"}
    records = [
        {"id": f"GHSA-{i}", "modified": "2026-12-01T00:00:00Z", "affected": [{"package": npm}]}
        for i in range(3)
    ]
    source = write_bucket(tmp_path / "osv", records)
    with pytest.raises(DataError) as info:
        sync(tmp_path / "advisories.sqlite3", OsvSource.parse(str(source)), client(tmp_path))
    assert str(info.value).endswith("holds 3 OSV records, none of them about a PyPI package")
    assert not (tmp_path / "advisories.sqlite3").exists()


def test_failed_fetch_leaves_the_database_as_it_was(synced: Path, bucket: OsvBucket) -> None:
    with AdvisoryStore.open(synced) as store:
        before = store.info()
    bucket.csv = b"2099-01-02T00:00:00Z,PYSEC-2099-2\n2099-01-01T00:00:00Z,PYSEC-2099-1\n"
    bucket.members["PYSEC-2099-1.json"] = json.dumps(
        {"id": "PYSEC-2099-1", "modified": "2099-01-01T00:00:00Z"}
    ).encode()
    bucket.server.route(f"{bucket.prefix}/PyPI/PYSEC-2099-2.json", Reply(500))
    with pytest.raises(NetworkError) as info:
        sync(synced, OsvSource.parse(bucket.url), client(synced.parent))
    assert "PYSEC-2099-2.json: HTTP 500" in str(info.value)
    with AdvisoryStore.open(synced) as store:
        assert store.info() == before
        assert store.raw_record("PYSEC-2099-1") is None


# ---------------------------------------------------------------------------- never half-written


def test_sync_interrupted_midway_keeps_the_previous_database(
    synced: Path, bucket: OsvBucket
) -> None:
    with AdvisoryStore.open(synced) as store:
        before = store.info()

    def interrupt(message: str) -> None:
        if "1000 records" in message:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync(
            synced,
            OsvSource.parse(bucket.url),
            client(synced.parent),
            full=True,
            progress=interrupt,
        )
    with AdvisoryStore.open(synced) as store:
        assert store.info() == before
        assert store.integrity_ok()
        assert stored_ids(synced, "requests")["requests"]
    assert leftovers(synced.parent) == []


@pytest.mark.parametrize("damage", ["cut-in-transit", "cut-at-source", "not-a-zip", "empty-zip"])
def test_broken_archive_keeps_the_previous_database(
    synced: Path, bucket: OsvBucket, damage: str
) -> None:
    with AdvisoryStore.open(synced) as store:
        before = store.info()
    whole = bucket.zip_bytes
    reply = {
        "cut-in-transit": Reply(200, whole[: len(whole) // 2], content_length=len(whole)),
        "cut-at-source": Reply(200, whole[: len(whole) // 2]),
        "not-a-zip": Reply(200, b"<html>maintenance</html>"),
        "empty-zip": Reply(200, build_zip({})),
    }[damage]
    bucket.server.route(f"{bucket.prefix}/PyPI/all.zip", reply)
    message = {
        "cut-in-transit": "cut short",
        "cut-at-source": "damaged or not a zip file",
        "not-a-zip": "damaged or not a zip file",
        "empty-zip": "holds no usable OSV records",
    }[damage]
    with pytest.raises(DataError, match=message) as info:
        sync(synced, OsvSource.parse(bucket.url), client(synced.parent, retries=0), full=True)
    assert info.value.hint
    with AdvisoryStore.open(synced) as store:
        assert store.info() == before
    assert leftovers(synced.parent) == []


def test_garbage_database_is_moved_aside_and_rebuilt(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "advisories.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    outcome = sync(path, OsvSource.parse(str(small)), client(tmp_path), clock=lambda: 1234.0)
    assert outcome.action == "full"
    assert outcome.snapshot.records == 40
    (warning,) = outcome.warnings
    assert "the advisory database was unusable" in warning
    assert "moved it to advisories.sqlite3.unreadable-1234" in warning
    assert (tmp_path / "advisories.sqlite3.unreadable-1234").read_bytes().startswith(b"SQLite")


def test_ensure_fresh_rebuilds_a_garbage_database(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "advisories.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    outcome = ensure_fresh(
        path, OsvSource.parse(str(small)), client(tmp_path), max_age_seconds=3600
    )
    assert outcome.action == "full"
    assert outcome.reason == "rebuilt"
    assert any("unusable" in w for w in outcome.warnings)


# ---------------------------------------------------------------------------- concurrency


def test_two_processes_syncing_at_once_end_consistent(tmp_path: Path, shared_data: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from pipvet.advisories.source import OsvSource
        from pipvet.advisories.sync import sync
        from pipvet.system.http import HttpClient
        cache = Path(sys.argv[1])
        out = sync(cache / "advisories.sqlite3", OsvSource.parse(sys.argv[2]),
                   HttpClient(cache / "http"), full=True)
        print(out.action, out.snapshot.records)
        """
    )
    args = [sys.executable, "-c", script, str(tmp_path), str(shared_data / "osv")]
    procs = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert [out.split() for out, _ in results] == [["full", "2661"], ["full", "2661"]]
    with AdvisoryStore.open(tmp_path / "advisories.sqlite3") as store:
        assert store.integrity_ok()
        assert store.info().records == 2661
    assert leftovers(tmp_path) == []


def test_waiting_process_sees_the_fresh_data(tmp_path: Path, bucket: OsvBucket) -> None:
    path = tmp_path / "advisories.sqlite3"
    source = OsvSource.parse(bucket.url)
    release = threading.Event()
    started = threading.Event()

    def slow_progress(message: str) -> None:
        if "1000 records" in message:
            started.set()
            release.wait(10)

    first = threading.Thread(
        target=sync, args=(path, source, client(tmp_path)), kwargs={"progress": slow_progress}
    )
    first.start()
    assert started.wait(10)
    outcomes: list[SyncOutcome] = []
    second = threading.Thread(
        target=lambda: outcomes.append(
            ensure_fresh(path, source, client(tmp_path), max_age_seconds=3600)
        )
    )
    second.start()
    time.sleep(0.3)
    assert second.is_alive()  # waiting for the lock, not syncing alongside
    release.set()
    first.join(20)
    second.join(20)
    (outcome,) = outcomes
    assert (outcome.action, outcome.reason) == ("none", "the data is fresh enough")
    assert outcome.snapshot.records == 2661
    assert bucket.requested() == ["all.zip"]  # one download between the two of them


def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite3"
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from pipvet.system.lock import sync_lock
        print("waiting", flush=True)
        with sync_lock(Path(sys.argv[1])):
            print("locked", flush=True)
        """
    )
    with sync_lock(path):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == "waiting\n"
        time.sleep(0.5)
        assert proc.poll() is None  # blocked on our lock
    out, _ = proc.communicate(timeout=20)
    assert (proc.returncode, out) == (0, "locked\n")  # and it got the lock once we let go


# ---------------------------------------------------------------------------- archive safety


def test_unsafe_and_odd_members_are_skipped_and_counted(tmp_path: Path) -> None:
    good = {"id": "PYSEC-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "alpha"}}]}  # fmt: skip
    evil = dict(good, id="EVIL-1")
    archive = tmp_path / "all.zip"
    archive.write_bytes(
        build_zip(
            {
                "PYSEC-1.json": json.dumps(good).encode(),
                "bad-time.json": b'{"id": "PYSEC-3", "modified": "last tuesday"}',
                "../evil.json": json.dumps(evil).encode(),
                "sub/nested.json": json.dumps(evil).encode(),
                "README.txt": b"not a record",
                "broken.json": b"{not json",
                "list.json": b"[1, 2]",
                "no-modified.json": b'{"id": "PYSEC-2"}',
            }
        )
    )
    path = tmp_path / "db" / "advisories.sqlite3"
    outcome = sync(path, OsvSource.parse(str(archive)), client(tmp_path))
    assert (outcome.action, outcome.snapshot.records) == ("full", 1)
    assert outcome.malformed_skipped == 6
    text = "\n".join(outcome.warnings)
    assert "skipped 6 malformed advisory records:" in text
    assert "'../evil.json': member name tries to leave the archive" in text
    assert "'sub/nested.json': member names with folders" in text
    assert "field 'modified' is not a time: 'last tuesday'" in text
    assert "... and 1 more" in text  # only the first five reasons are spelled out
    assert "is missing or empty" not in text
    assert "README" not in text  # other files are simply not records
    with AdvisoryStore.open(path) as store:
        assert store.raw_record("EVIL-1") is None
        assert store.info().malformed_skipped == 6


def test_oversized_members_and_bombs_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    archive.write_bytes(
        build_zip({"BIG-1.json": b" " * 5000, "A-1.json": b"{}" * 100, "A-2.json": b"{}" * 100})
    )
    skipped: list[str] = []
    got = [n for n, _ in iter_json_members(archive, on_skip=skipped.append, max_member=1000)]
    assert got == ["A-1.json", "A-2.json"]
    assert skipped == ["all.zip: skipped 'BIG-1.json': member is 5000 bytes, over the 1000 limit"]
    with pytest.raises(DataError, match="expands to more than"):
        list(iter_json_members(archive, on_skip=skipped.append, max_total=300))


def test_an_archive_listing_too_many_members_is_refused_before_it_is_opened(
    tmp_path: Path,
) -> None:
    """zipfile reads the whole list of members into memory (~600 bytes each) when it opens an
    archive: 178 MB of empty members took a sync to 1.1 GB before any check could run."""
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(20_000):
            z.writestr(f"M-{i}.json", b"")
        z.comment = b"a comment after the list"
    with zipfile.ZipFile(archive) as z:  # each entry: 46 bytes and the name
        listed = sum(46 + len(i.filename) for i in z.infolist())
    with pytest.raises(DataError) as info:
        list(iter_json_members(archive, on_skip=lambda _m: None, max_directory=listed - 1))
    assert info.value.message == (
        f"the advisory archive {archive} lists {listed / 2**20:.1f} MiB of member names, more "
        f"than the {(listed - 1) / 2**20:.1f} MiB any OSV archive needs; refusing to open it"
    )
    # The same archive under a limit it fits is read as before.
    members = list(iter_json_members(archive, on_skip=lambda _m: None, max_directory=listed))
    assert len(members) == 20_000


def test_the_end_record_signature_planted_in_its_own_fields_hides_nothing(tmp_path: Path) -> None:
    """Four bytes "PK\\x05\\x06" written into the end record's entry counts made the last copy
    of the signature a record too short to read, so the size check found nothing; zipfile
    still reads the real record (at the very end) and its 20,000 members."""
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(20_000):
            z.writestr(f"M-{i}.json", b"")
    data = bytearray(archive.read_bytes())
    end = len(data) - 22  # no comment: the end record is the last 22 bytes
    assert data[end : end + 4] == b"PK\x05\x06"
    data[end + 8 : end + 12] = b"PK\x05\x06"  # entries on this disk and in all, as counts
    archive.write_bytes(bytes(data))
    with zipfile.ZipFile(archive) as z:
        assert len(z.infolist()) == 20_000  # zipfile is not fooled
    with pytest.raises(DataError, match="refusing to open it"):
        list(iter_json_members(archive, on_skip=lambda _m: None, max_directory=1 << 16))


def test_a_zip64_record_outside_the_tail_is_read_too(tmp_path: Path) -> None:
    """A 64 KiB comment after an end record stating 0 puts the ZIP64 locator before the
    tail the check read; zipfile still follows it to the real directory."""
    import io
    import struct

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(200):
            z.writestr(f"PYSEC-{i}.json", "{}")
    raw = buf.getvalue()
    eocd = raw.rfind(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", raw, eocd + 12)
    body = raw[:eocd]
    z64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 200, 200, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(body), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0, 0, 65535)
    archive = tmp_path / "all.zip"
    archive.write_bytes(body + z64 + locator + end + b"x" * 65535)
    with zipfile.ZipFile(archive) as z:
        assert len(z.infolist()) == 200
    with pytest.raises(DataError, match="refusing to open it"):
        list(iter_json_members(archive, on_skip=lambda _m: None, max_directory=1000))


# ---------------------------------------------------------------------------- overlay


def write_overlay(folder: Path, records: dict[str, Any]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, record in records.items():
        (folder / name).write_text(record if isinstance(record, str) else json.dumps(record))
    return folder


def test_overlay_overrides_and_adds_private_advisories(
    tmp_path: Path, small: Path, real: dict[str, dict[str, Any]]
) -> None:
    override = dict(real["PYSEC-2018-28"], summary="patched by our security team")
    private = {
        "id": "ACME-2024-1",
        "modified": "2024-05-01T00:00:00Z",
        "summary": "internal",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Acme_Internal"}}],
    }
    overlay = write_overlay(
        tmp_path / "overlay",
        {"PYSEC-2018-28.json": override, "acme.json": private, "broken.json": "{nope"},
    )
    path = tmp_path / "advisories.sqlite3"
    source = OsvSource.parse(str(small))
    outcome = sync(path, source, client(tmp_path), overlay=overlay)
    assert outcome.snapshot.records == 40 + 1
    assert outcome.snapshot.source == f"{source} + overlay {overlay}"
    assert any(
        f"{overlay / 'broken.json'}: OSV record is not valid JSON" in w for w in outcome.warnings
    )
    with AdvisoryStore.open(path) as store:
        requests = store.raw_records_for([NormalizedName("requests")])[NormalizedName("requests")]
        summaries = {json.loads(t)["id"]: json.loads(t).get("summary") for t in requests}
        assert summaries["PYSEC-2018-28"] == "patched by our security team"
        assert len(requests) == len(stored_ids(path, "requests")["requests"])
    assert stored_ids(path, "acme-internal") == {"acme-internal": {"ACME-2024-1"}}

    # Fresh data, changed overlay: ensure_fresh reloads the overlay without touching the source.
    (overlay / "acme.json").unlink()
    again = ensure_fresh(path, source, client(tmp_path), max_age_seconds=3600, overlay=overlay)
    assert again.action == "none"
    assert again.reason.endswith("the overlay was reloaded")
    assert stored_ids(path, "acme-internal") == {}
    gone = ensure_fresh(path, source, client(tmp_path), max_age_seconds=3600, overlay=None)
    assert gone.snapshot.records == 40
    assert gone.snapshot.source == str(source)


def test_missing_overlay_folder_is_an_error_before_anything_changes(
    tmp_path: Path, shared_data: Path
) -> None:
    with pytest.raises(DataError, match=r"overlay folder .* does not exist") as info:
        sync(tmp_path / "advisories.sqlite3", OsvSource.parse(str(shared_data / "osv")),
             client(tmp_path), overlay=tmp_path / "nope")  # fmt: skip
    assert "PIPVET_OSV_OVERLAY" in (info.value.hint or "")
    assert not (tmp_path / "advisories.sqlite3").exists()


# ---------------------------------------------------------------------------- ensure_fresh


def last_sync(path: Path) -> float:
    with AdvisoryStore.open(path) as store:
        value = store.last_sync_epoch
    assert value is not None
    return value


def test_fresh_data_is_used_without_asking(synced: Path, bucket: OsvBucket) -> None:
    now = last_sync(synced) + 3000
    outcome = ensure_fresh(synced, OsvSource.parse(bucket.url), client(synced.parent),
                           max_age_seconds=3600, clock=lambda: now)  # fmt: skip
    assert (outcome.action, outcome.reason) == ("none", "the data is fresh enough")
    assert outcome.snapshot.age_seconds == pytest.approx(3000)
    assert bucket.requested() == []


def test_old_data_is_refreshed_incrementally(synced: Path, bucket: OsvBucket) -> None:
    now = last_sync(synced) + 90_000
    outcome = ensure_fresh(synced, OsvSource.parse(bucket.url), client(synced.parent),
                           max_age_seconds=86_400, clock=lambda: now)  # fmt: skip
    assert outcome.action == "up-to-date"
    assert bucket.requested() == ["modified_id.csv"]
    assert outcome.snapshot.age_seconds == 0
    assert last_sync(synced) == now


def test_offline_uses_old_data_and_says_how_old(synced: Path, bucket: OsvBucket) -> None:
    now = last_sync(synced) + 10 * 86_400
    outcome = ensure_fresh(synced, OsvSource.parse(bucket.url), client(synced.parent, offline=True),
                           max_age_seconds=86_400, offline=True, clock=lambda: now)  # fmt: skip
    assert (outcome.action, outcome.reason) == ("none", "offline: using the cached data")
    assert outcome.snapshot.age_seconds == pytest.approx(10 * 86_400)
    assert bucket.requested() == []


def test_failed_refresh_of_old_data_is_stale_not_fatal(synced: Path, bucket: OsvBucket) -> None:
    bucket.server.route(f"{bucket.prefix}/PyPI/modified_id.csv", Reply(503))
    now = last_sync(synced) + 90_000
    outcome = ensure_fresh(synced, OsvSource.parse(bucket.url), client(synced.parent),
                           max_age_seconds=86_400, clock=lambda: now)  # fmt: skip
    assert outcome.action == "stale"
    assert isinstance(outcome.error, NetworkError)
    assert outcome.error.status == 503
    assert outcome.snapshot.records == 2661
    assert outcome.snapshot.age_seconds == pytest.approx(90_000)
    assert outcome.reason == "the data is older than the maximum age, and the refresh failed"


def test_changed_source_means_a_full_sync(synced: Path, small: Path) -> None:
    outcome = ensure_fresh(synced, OsvSource.parse(str(small)), client(synced.parent),
                           max_age_seconds=3600)  # fmt: skip
    assert outcome.action == "full"
    assert outcome.reason.startswith("the source changed from http://127.0.0.1:")
    assert outcome.snapshot.source == str(small)
    assert outcome.snapshot.records == 40


def test_zip_file_source_is_read_whole(tmp_path: Path, small: Path) -> None:
    source = OsvSource.parse(str(small / "PyPI" / "all.zip"))
    assert source.zip_only
    first = sync(tmp_path / "advisories.sqlite3", source, client(tmp_path))
    again = sync(tmp_path / "advisories.sqlite3", source, client(tmp_path))
    assert (first.action, again.action) == ("full", "full")
    assert again.reason == "the source is a single archive"
    assert again.snapshot.records == 40


# ---------------------------------------------------------------------------- no data at all


def unreachable_url() -> str:
    with loopback_server() as server:
        url = server.url
    return url  # the server is gone: nothing listens there now


def test_unreachable_source_with_empty_cache_is_an_error_with_a_hint(tmp_path: Path) -> None:
    url = unreachable_url()
    waits: list[float] = []
    http = HttpClient(tmp_path / "http", sleep=waits.append)
    with pytest.raises(NetworkError) as info:
        ensure_fresh(
            tmp_path / "advisories.sqlite3", OsvSource.parse(url), http, max_age_seconds=60
        )
    assert str(info.value).startswith(f"cannot reach {url}/PyPI/all.zip")
    assert "--offline" in (info.value.hint or "")
    assert waits == [0.5, 1.0, 2.0]
    assert not (tmp_path / "advisories.sqlite3").exists()


def test_offline_with_empty_cache_never_fetches(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    with pytest.raises(OfflineMiss) as info:
        ensure_fresh(tmp_path / "advisories.sqlite3", OsvSource.parse(http_server.url),
                     client(tmp_path, offline=True), max_age_seconds=60, offline=True)  # fmt: skip
    assert "no usable advisory data" in str(info.value)
    assert "pipvet db sync" in (info.value.hint or "")
    assert http_server.paths_requested() == []


def test_offline_with_a_local_source_can_still_build(tmp_path: Path, small: Path) -> None:
    source = OsvSource.parse(str(small))
    http = client(tmp_path, offline=True)
    path = tmp_path / "advisories.sqlite3"
    outcome = ensure_fresh(path, source, http, max_age_seconds=60, offline=True)
    assert (outcome.action, outcome.snapshot.records) == ("full", 40)


def test_source_parsing(tmp_path: Path) -> None:
    assert (
        OsvSource.parse("https://example.org/osv/").zip_url
        == "https://example.org/osv/PyPI/all.zip"
    )
    assert OsvSource.parse("https://example.org/osv").record_url("GHSA-1") == (
        "https://example.org/osv/PyPI/GHSA-1.json"
    )
    assert OsvSource.parse("https://example.org/mirror/pypi.zip").csv_url is None
    local = OsvSource.parse(str(tmp_path))
    assert local.location == str(tmp_path.resolve())
    assert local.zip_url == str(tmp_path.resolve() / "PyPI" / "all.zip")
    assert OsvSource.parse(tmp_path.as_uri()).zip_url == tmp_path.as_uri() + "/PyPI/all.zip"


def test_an_overlay_is_a_folder_of_advisories_not_a_disk(tmp_path: Path) -> None:
    from pipvet.advisories.records import overlay_files

    overlay = tmp_path / "overlay"
    (overlay / "private").mkdir(parents=True)
    for i in range(3):
        (overlay / "private" / f"ACME-{i}.json").write_text("{}", encoding="utf-8")
    (overlay / "notes.txt").write_text("", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "OTHER-1.json").write_text("{}", encoding="utf-8")
    (overlay / "linked").symlink_to(elsewhere)  # links are not followed
    (overlay / "LINKED-1.json").symlink_to(elsewhere / "OTHER-1.json")  # nor read
    assert [p.name for p in overlay_files(overlay)] == ["ACME-0.json", "ACME-1.json", "ACME-2.json"]
    # 990 levels deep: os.walk recursed once a level and ended the run in RecursionError.
    with deep_folder(overlay) as deep:
        (deep / "DEEP-1.json").write_text("{}", encoding="utf-8")
        assert "DEEP-1.json" in [p.name for p in overlay_files(overlay)]
    # A policy naming "/" or a home folder: refused once the walk passes the limit.
    with pytest.raises(DataError, match="holds more than 5 files and folders") as info:
        overlay_files(overlay, limit=5)
    assert "osv-overlay" in (info.value.hint or "")
    with pytest.raises(DataError, match="is not a folder"):
        overlay_files(overlay / "notes.txt")
