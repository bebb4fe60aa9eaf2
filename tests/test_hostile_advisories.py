"""Advisory data written to break pipvet: out-of-range times, versions past Python's integer
limit, listings in the wrong order. Each is skipped with a warning or read correctly; none is a
crash, on the sync that meets it or on any audit after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pipvet.advisories.match import find_in, package_record
from pipvet.advisories.osv import parse_advisory
from pipvet.advisories.source import OsvSource
from pipvet.advisories.store import AdvisoryStore
from pipvet.advisories.store_model import modified_key
from pipvet.advisories.sync import sync
from pipvet.advisories.versions import plain_key, version_or_none
from pipvet.models import NormalizedName
from pipvet.system.http import HttpClient
from tests.support.httpserver import loopback_server
from tests.support.osv_bucket import OsvBucket, build_zip, csv_for, zip_of

HUGE = "1" * 5000
OUT_OF_RANGE = "0001-01-01T00:00:00+05:00"


def record(rid: str, modified: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rid,
        "modified": modified,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}],
            }
        ],
    }
    base.update(extra)
    return base


def client(cache: Path) -> HttpClient:
    return HttpClient(cache / "http", sleep=lambda _s: None, timeout=10)


def test_a_time_before_the_first_utc_instant_is_not_a_time() -> None:
    with pytest.raises(ValueError, match="out of range"):
        modified_key(OUT_OF_RANGE)


def test_a_record_with_an_out_of_range_time_is_skipped_and_the_rest_synced(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "all.zip"
    good = record("PYSEC-1", "2024-01-01T00:00:00Z")
    bad = record("PYSEC-2", OUT_OF_RANGE)
    archive.write_bytes(
        build_zip(
            {"PYSEC-1.json": json.dumps(good).encode(), "PYSEC-2.json": json.dumps(bad).encode()}
        )
    )
    path = tmp_path / "db" / "advisories.sqlite3"
    outcome = sync(path, OsvSource.parse(str(archive)), client(tmp_path))
    assert (outcome.snapshot.records, outcome.malformed_skipped) == (1, 1)
    assert any("PYSEC-2" in w and "not a time" in w for w in outcome.warnings), outcome.warnings


def test_an_out_of_range_row_in_the_listing_falls_back_to_the_archive(tmp_path: Path) -> None:
    records = [record("PYSEC-1", "2024-01-01T00:00:00Z")]
    with loopback_server() as server:
        bucket = OsvBucket(server, zip_of(records), csv_for(records))
        path = tmp_path / "advisories.sqlite3"
        sync(path, OsvSource.parse(bucket.url), client(tmp_path))
        bucket.csv = f"{OUT_OF_RANGE},PYSEC-9\n".encode() + csv_for(records)
        outcome = sync(path, OsvSource.parse(bucket.url), client(tmp_path))
    assert outcome.action == "full"
    assert any("modified_id.csv line 1 is malformed" in w for w in outcome.warnings)


def test_an_oldest_first_listing_misses_no_new_record(tmp_path: Path) -> None:
    old = [record(f"PYSEC-{i}", f"2024-01-0{i}T00:00:00Z") for i in range(1, 4)]
    new = record("PYSEC-9", "2024-02-01T00:00:00Z")
    with loopback_server() as server:
        bucket = OsvBucket(server, zip_of(old), csv_for(old))
        path = tmp_path / "advisories.sqlite3"
        sync(path, OsvSource.parse(bucket.url), client(tmp_path))
        everything = [*old, new]
        bucket.set_zip(zip_of(everything))
        # The same rows, oldest first: the new record is on the last line.
        bucket.csv = b"".join(reversed(csv_for(everything).splitlines(keepends=True)))
        outcome = sync(path, OsvSource.parse(bucket.url), client(tmp_path))
    assert (outcome.action, outcome.fetched) == ("incremental", 1)
    with AdvisoryStore.open(path) as store:
        assert store.raw_record("PYSEC-9") is not None


@pytest.mark.parametrize("text", [HUGE, "0." + HUGE, f"1.{HUGE}.post1", "0" + HUGE])
def test_versions_past_the_integer_limit_are_not_versions(text: str) -> None:
    assert version_or_none(text) is None
    assert plain_key(text) is None


def test_a_record_with_huge_versions_still_matches_the_sane_ones() -> None:
    hostile = record(
        "PYSEC-7",
        "2024-01-01T00:00:00Z",
        affected=[
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "1.6"}, {"fixed": HUGE}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.5"}]},
                ],
                "versions": [HUGE, "1.2"],
            }
        ],
    )
    prepared = package_record(parse_advisory(hostile), NormalizedName("demo"))
    found = {v: find_in([prepared], Version(v)) for v in ("1.2", "1.3", "1.7", "0.5")}
    assert [f.id for f in found["1.2"]] == ["PYSEC-7"]  # listed, and inside 1.0..1.5
    assert [f.id for f in found["1.3"]] == ["PYSEC-7"]  # inside 1.0..1.5
    # An unreadable fix bound cannot close the range: fail closed, affected with no known fix.
    assert [(f.id, f.fixed_in) for f in found["1.7"]] == [("PYSEC-7", ())]
    assert found["0.5"] == ()


# ---------------------------------------------------------------------------- huge text


def test_huge_advisory_text_is_cut_at_ingest_with_a_note(tmp_path: Path) -> None:
    from pipvet.advisories.records import (
        MAX_DETAILS_CHARS,
        MAX_SUMMARY_CHARS,
        prepare_record,
    )

    huge = record(
        "PYSEC-9",
        "2024-01-01T00:00:00Z",
        summary="S" * 3_000_000,
        details="D" * 3_000_000,
        aliases=[f"CVE-2024-{i}" for i in range(500)],
        references=[{"type": "WEB", "url": f"https://e.example/{i}"} for i in range(1000)]
        + [{"type": "WEB", "url": "https://e.example/" + "u" * 5000}],
    )
    stored = prepare_record(json.dumps(huge).encode())
    assert len(stored.json) < 200_000
    kept = parse_advisory(json.loads(stored.json))
    assert kept.summary.startswith("S" * MAX_SUMMARY_CHARS + " [cut by pipvet: ")
    assert kept.details.startswith("D" * MAX_DETAILS_CHARS + " [cut by pipvet: ")
    assert "901 references (too many or too long) not kept" in kept.details
    assert "400 aliases not kept" in kept.details
    assert len(kept.aliases) == 100
    assert len(kept.references) == 100
    # an ordinary record is stored byte for byte
    plain = json.dumps(record("PYSEC-1", "2024-01-01T00:00:00Z", summary="short"))
    assert prepare_record(plain).json == plain


def test_a_deeply_nested_record_is_malformed_not_a_crash() -> None:
    from pipvet.advisories.osv import MalformedRecord
    from pipvet.advisories.records import prepare_record

    with pytest.raises(MalformedRecord, match="nested too deeply"):
        prepare_record("[" * 200_000 + "]" * 200_000)


def test_a_sync_removes_the_scratch_folders_of_killed_syncs(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    good = record("PYSEC-1", "2024-01-01T00:00:00Z")
    archive.write_bytes(build_zip({"PYSEC-1.json": json.dumps(good).encode()}))
    path = tmp_path / "db" / "advisories.sqlite3"
    for n in range(3):  # what kill -9 during a full sync leaves behind
        leftover = path.parent / f".pipvet-sync-killed{n}"
        leftover.mkdir(parents=True)
        (leftover / "all.zip").write_bytes(b"x" * 1000)
    (path.parent / ".pipvet-sync-note").write_text("a file, not ours to remove")
    sync(path, OsvSource.parse(str(archive)), client(tmp_path))
    assert sorted(p.name for p in path.parent.glob(".pipvet-sync-*")) == [".pipvet-sync-note"]
    sync(path, OsvSource.parse(str(archive)), client(tmp_path))  # and an incremental one
    assert sorted(p.name for p in path.parent.glob(".pipvet-sync-*")) == [".pipvet-sync-note"]


# ---------------------------------------------------------------------------- read-only cache


def _stale_store(tmp_path: Path) -> tuple[Path, OsvSource]:
    from datetime import UTC, datetime

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    archive = tmp_path / "all.zip"
    archive.write_bytes(build_zip({"PYSEC-1.json": json.dumps(record("PYSEC-1", now)).encode()}))
    path = tmp_path / "cache" / "advisories.sqlite3"
    source = OsvSource.parse(str(archive))
    sync(path, source, client(tmp_path))
    # What a read-only cache does to the sync lock (root may write anywhere, so the test
    # makes the lock file impossible to create instead of relying on permissions).
    path.with_name(path.name + ".lock").unlink(missing_ok=True)
    path.with_name(path.name + ".lock").mkdir()
    return path, source


def test_stale_data_in_a_cache_that_cannot_be_written_is_used_with_a_warning(
    tmp_path: Path,
) -> None:
    from pipvet.advisories.sync import ensure_fresh

    path, source = _stale_store(tmp_path)
    outcome = ensure_fresh(path, source, client(tmp_path), max_age_seconds=0)
    assert outcome.action == "stale"
    assert outcome.snapshot.records == 1
    assert "cannot write" in str(outcome.error)
    assert "cannot be written" in outcome.reason


def test_a_damaged_database_in_a_cache_that_cannot_be_written_says_both(
    tmp_path: Path,
) -> None:
    from pipvet.advisories.sync import ensure_fresh
    from pipvet.errors import DataError

    path, source = _stale_store(tmp_path)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError) as caught:
        ensure_fresh(path, source, client(tmp_path), max_age_seconds=0)
    message = str(caught.value)
    assert "unreadable" in message
    assert "cannot be rebuilt" in message
    assert "cannot write" in message


def test_an_archive_with_a_member_name_that_is_not_utf8_is_damaged_not_a_crash(
    tmp_path: Path,
) -> None:
    from pipvet.advisories.records import Tally, archive_records
    from pipvet.errors import DataError

    data = bytearray(build_zip({"PYSEC-1.json": json.dumps(record("PYSEC-1", "2024")).encode()}))
    # Set the UTF-8 flag (bit 11) of the local header and break the name's bytes after it.
    assert data[:4] == b"PK\x03\x04"
    data[7] |= 0x08
    data[30 + 2] = 0xF7
    archive = tmp_path / "all.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match="damaged or not a zip file"):
        list(archive_records(archive, Tally("records"), None))
