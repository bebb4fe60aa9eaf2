"""The SQLite advisory store, on real files built from the real OSV snapshot."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.advisories.records import prepare_record
from pipvet.advisories.store import AdvisoryStore, build_store
from pipvet.advisories.store_model import CorruptStore, StoredRecord, modified_key
from pipvet.advisories.store_rows import SCHEMA_VERSION
from pipvet.errors import DataError
from pipvet.models import NormalizedName, canonicalize_name


@pytest.fixture(scope="module")
def raw_snapshot(shared_data: Path) -> dict[str, dict[str, object]]:
    """Every record of the real archive, parsed independently of the store."""
    with zipfile.ZipFile(shared_data / "osv" / "PyPI" / "all.zip") as z:
        return {n: json.loads(z.read(n)) for n in z.namelist()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    path = tmp_path_factory.mktemp("store") / "advisories.sqlite3"
    with zipfile.ZipFile(shared_data / "osv" / "PyPI" / "all.zip") as z:
        records = [prepare_record(z.read(n)) for n in z.namelist()]
    build_store(path, records, {"source": "test-source", "last_sync_epoch": "1000.0"})
    return path


def expected_index(raw: dict[str, dict[str, object]]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for record in raw.values():
        for entry in record.get("affected", []):  # type: ignore[attr-defined]
            package = entry["package"]
            if package["ecosystem"] == "PyPI":
                index[canonicalize_name(package["name"])].add(str(record["id"]))
    return index


def ids(texts: list[str]) -> set[str]:
    return {json.loads(t)["id"] for t in texts}


def record(rid: str, *names: str, modified: str = "2024-01-01T00:00:00Z") -> StoredRecord:
    data = {
        "id": rid,
        "modified": modified,
        "affected": [{"package": {"ecosystem": "PyPI", "name": n}} for n in names],
    }
    canonical = tuple(sorted({canonicalize_name(n) for n in names}))
    return StoredRecord(rid, modified, None, canonical, json.dumps(data))


# ---------------------------------------------------------------------------- the snapshot


def test_counts_and_newest_match_the_archive(
    built: Path, raw_snapshot: dict[str, dict[str, object]]
) -> None:
    newest = max(raw_snapshot.values(), key=lambda r: datetime.fromisoformat(str(r["modified"])))
    withdrawn = sum(1 for r in raw_snapshot.values() if r.get("withdrawn"))
    with AdvisoryStore.open(built) as store:
        info = store.info()
        snap = store.snapshot(now=1060.0)
        assert store.integrity_ok()
    assert (info.records, info.withdrawn) == (len(raw_snapshot), withdrawn)
    assert (info.records, info.withdrawn) == (2661, 10)  # as the data README says
    assert info.newest_modified == newest["modified"] == "2024-10-10T17:22:00.587279Z"
    assert (snap.source, snap.records, snap.newest_modified) == (
        "test-source",
        2661,
        newest["modified"],
    )
    assert snap.age_seconds == 60.0


def test_lookup_by_name_matches_a_brute_force_index(
    built: Path, raw_snapshot: dict[str, dict[str, object]]
) -> None:
    index = expected_index(raw_snapshot)
    assert len(index) == 664
    names = [NormalizedName(n) for n in index]
    with AdvisoryStore.open(built) as store:
        found = store.raw_records_for([*names, NormalizedName("no-such-package")])
    assert set(found) == set(index)
    for name, texts in found.items():
        assert ids(texts) == index[name], name
        assert len(texts) == len(index[name])  # each record once per name


def test_lookup_of_thousands_of_names_crosses_the_parameter_limit(
    built: Path, raw_snapshot: dict[str, dict[str, object]]
) -> None:
    index = expected_index(raw_snapshot)
    filler = [NormalizedName(f"filler-{i}") for i in range(5000)]
    real = sorted(index)
    wanted = filler[:2500] + [NormalizedName(n) for n in real] + filler[2500:]
    with AdvisoryStore.open(built) as store:
        found = store.raw_records_for(wanted)
    assert {n: ids(t) for n, t in found.items()} == index


def test_raw_record_by_id(built: Path, raw_snapshot: dict[str, dict[str, object]]) -> None:
    some = next(iter(raw_snapshot.values()))
    with AdvisoryStore.open(built) as store:
        text = store.raw_record(str(some["id"]))
        assert store.raw_record("PYSEC-0000-0") is None
    assert text is not None
    assert json.loads(text) == some  # the raw JSON as published


# ---------------------------------------------------------------------------- writing


def test_names_are_canonical_and_other_ecosystems_ignored(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "id": "PYSEC-1",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "Foo_Bar.baz"}},
                {"package": {"ecosystem": "npm", "name": "left-pad"}},
            ],
        }
    )
    path = tmp_path / "db.sqlite3"
    build_store(path, [prepare_record(text)], {"source": "s"})
    with AdvisoryStore.open(path) as store:
        found = store.raw_records_for([NormalizedName("foo-bar-baz"), NormalizedName("left-pad")])
    assert list(found) == ["foo-bar-baz"]


def test_update_replaces_a_record_and_its_names(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [record("A-1", "alpha"), record("A-2", "alpha", "beta")], {"source": "s"})
    with AdvisoryStore.open(path) as store:
        store.update(
            [record("A-2", "gamma", modified="2024-02-01T00:00:00Z"), record("A-3", "beta")]
        )
        found = store.raw_records_for([NormalizedName(n) for n in ("alpha", "beta", "gamma")])
        assert {n: ids(t) for n, t in found.items()} == {
            "alpha": {"A-1"},
            "beta": {"A-3"},
            "gamma": {"A-2"},
        }
        assert store.info().records == 3
        assert store.info().newest_modified == "2024-02-01T00:00:00Z"
    with sqlite3.connect(path) as conn:  # nothing stale left behind in the index
        assert conn.execute("SELECT count(*) FROM affected").fetchone() == (3,)


def test_failed_update_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [record("A-1", "alpha")], {"source": "s"})

    def records() -> object:
        yield record("A-2", "beta")
        raise RuntimeError("connection lost halfway")

    with AdvisoryStore.open(path) as store:
        with pytest.raises(RuntimeError):
            store.update(records(), meta={"last_sync": "later"})  # type: ignore[arg-type]
        assert store.raw_records_for([NormalizedName("beta")]) == {}
    with AdvisoryStore.open(path) as store:
        assert store.info().records == 1
        assert store.info().last_sync is None


def test_overlay_overrides_by_id_and_adds_private_records(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(
        path, [record("PYSEC-1", "alpha", "beta"), record("PYSEC-2", "beta")], {"source": "s"}
    )
    with AdvisoryStore.open(path) as store:
        # The overlay's PYSEC-1 no longer names beta: beta must not see the snapshot's copy.
        store.update(overlay=[record("PYSEC-1", "alpha"), record("ACME-1", "acme-internal")])
        found = store.raw_records_for(
            [NormalizedName(n) for n in ("alpha", "beta", "acme-internal")]
        )
        assert {n: ids(t) for n, t in found.items()} == {
            "alpha": {"PYSEC-1"},
            "beta": {"PYSEC-2"},
            "acme-internal": {"ACME-1"},
        }
        assert json.loads(store.raw_record("PYSEC-1") or "")["affected"] == [
            {"package": {"ecosystem": "PyPI", "name": "alpha"}}
        ]
        assert (store.info().records, store.info().overlay_records) == (3, 2)
        store.update(overlay=[])  # overlay removed: the snapshot shows through again
        found = store.raw_records_for([NormalizedName("beta")])
        assert ids(found[NormalizedName("beta")]) == {"PYSEC-1", "PYSEC-2"}
        assert store.info().records == 2


# ---------------------------------------------------------------------------- bad files


def test_missing_database_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        AdvisoryStore.open(tmp_path / "absent.sqlite3")
    assert "no advisory database at" in str(info.value)
    assert "pipvet db sync" in (info.value.hint or "")
    assert not (tmp_path / "absent.sqlite3").exists()  # opening never creates by accident


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a database at all" * 100, "unreadable"),
        (b"", "unreadable"),
    ],
)
def test_garbage_file_is_a_corrupt_store(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(content)
    with pytest.raises(CorruptStore, match=message):
        AdvisoryStore.open(path)


def test_other_schema_version_is_a_corrupt_store(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [record("A-1", "alpha")], {"source": "s"})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(CorruptStore) as info:
        AdvisoryStore.open(path)
    assert f"schema version 0, this pipvet uses {SCHEMA_VERSION}" in str(info.value)
    assert "--full" in (info.value.hint or "")


def test_damaged_record_body_is_reported_not_crashed(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [record("A-1", "alpha")], {"source": "s"})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE records SET body = x'00ff00ff'")
    with AdvisoryStore.open(path) as store, pytest.raises(CorruptStore, match="damaged"):
        store.raw_records_for([NormalizedName("alpha")])


def test_create_makes_an_empty_usable_database(tmp_path: Path) -> None:
    with AdvisoryStore.open(tmp_path / "new.sqlite3", create=True) as store:
        assert store.info().records == 0
        assert store.raw_records_for([NormalizedName("alpha")]) == {}
        store.update([record("A-1", "alpha")], meta={"source": "s"})
        assert store.snapshot().records == 1


# ---------------------------------------------------------------------------- modified times


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2024-10-10T17:21:59.999999Z", "2024-10-10T17:22:00Z"),  # text order says otherwise
        ("2024-10-10T17:22:00Z", "2024-10-10T17:22:00.5Z"),
        ("2024-10-10T19:00:00+02:00", "2024-10-10T17:00:01Z"),
        ("0001-01-01T00:00:00Z", "2010-05-27T05:47:00Z"),
    ],
)
def test_modified_key_orders_by_time(earlier: str, later: str) -> None:
    assert modified_key(earlier) < modified_key(later)


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=4000)),
)
def test_modified_key_order_is_time_order(when: datetime, delta: timedelta) -> None:
    later = when + delta if when < datetime.max.replace(tzinfo=UTC) - delta else when
    short = when.isoformat().replace("+00:00", "Z")
    assert modified_key(short) <= modified_key(later.isoformat())
    assert (modified_key(short) < modified_key(later.isoformat())) == (when < later)


def test_modified_key_rejects_non_times() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        modified_key("yesterday")


@pytest.mark.parametrize(
    ("iso", "now", "age"),
    [
        ("2024-10-10T00:00:00Z", "2024-10-17T00:00:00+00:00", 7 * 86400.0),
        ("2024-10-10T00:00:00.5Z", "2024-10-10T00:00:00.5+00:00", 0.0),
        ("2024-10-10T00:00:00", "2024-10-11T00:00:00+00:00", 86400.0),  # no zone: UTC
        ("2024-10-11T12:00:00Z", "2024-10-11T00:00:00+00:00", 0.0),  # clock skew: now
        ("2024-10-13T00:00:00Z", "2024-10-11T00:00:00+00:00", None),  # days ahead: unknown
        ("not a time", "2024-10-11T00:00:00+00:00", None),
        (None, "2024-10-11T00:00:00+00:00", None),
    ],
)
def test_age_of_the_newest_record(iso: str | None, now: str, age: float | None) -> None:
    """A forged or broken timestamp in the future must not make old data look fresh."""
    from datetime import datetime

    from pipvet.advisories.store_model import age_since

    assert age_since(iso, datetime.fromisoformat(now).timestamp()) == age


# ---------------------------------------------------------------------------- many names


def _asked_one_by_one(store: AdvisoryStore, *, scan: bool) -> None:
    # The store reads its stored names first when asked for more than half as many names as
    # it has records: the record count decides which way it goes.
    store._meta["records"] = "0" if scan else str(10**9)


@given(
    picks=st.lists(st.integers(min_value=0, max_value=663), max_size=40),
    unknown=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), max_size=40),
)
def test_reading_the_stored_names_first_finds_what_asking_each_name_finds(
    built: Path, picks: list[int], unknown: list[str]
) -> None:
    with AdvisoryStore.open(built) as store:
        stored = sorted(expected_names(store))
        names = [NormalizedName(stored[i]) for i in picks] + [NormalizedName(u) for u in unknown]
        _asked_one_by_one(store, scan=False)
        raw, records = store.raw_records_for(names), store.package_records_for(names)
        _asked_one_by_one(store, scan=True)
        assert store.raw_records_for(names) == raw
        assert store.package_records_for(names) == records
    assert set(raw) == set(records) == {stored[i] for i in picks} | (set(unknown) & set(stored))


def expected_names(store: AdvisoryStore) -> list[str]:
    return [name for (name,) in store._conn.execute("SELECT DISTINCT name FROM affected")]


def test_reading_the_stored_names_first_sees_the_overlay(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [record("PYSEC-1", "alpha")], {"source": "s"})
    with AdvisoryStore.open(path) as store:
        store.update(overlay=[record("ACME-1", "acme-internal")])
        names = [NormalizedName(n) for n in ("alpha", "acme-internal", "gamma")]
        for scan in (False, True):
            _asked_one_by_one(store, scan=scan)
            found = store.raw_records_for(names)
            assert {n: ids(t) for n, t in found.items()} == {
                "alpha": {"PYSEC-1"},
                "acme-internal": {"ACME-1"},
            }
            assert set(store.package_records_for(names)) == {"alpha", "acme-internal"}
