"""Package-record digests: what the store keeps beside each record so an audit matches without
parsing whole records. They must give exactly the answers the records give, be rebuilt when
missing or stale (never a crash), and a damaged one must be reported, not trusted."""

from __future__ import annotations

import json
import json.scanner
import sqlite3
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pipvet.advisories import digest
from pipvet.advisories.findings import summary_of
from pipvet.advisories.match import (
    closing_fix,
    closing_version,
    find,
    find_in,
    package_record,
)
from pipvet.advisories.osv import parse_advisory_json
from pipvet.advisories.records import prepare_record
from pipvet.advisories.store import AdvisoryStore, build_store
from pipvet.advisories.store_model import CorruptStore, StoredRecord
from pipvet.advisories.versions import version_or_none
from pipvet.audit.match import match_dependencies, match_records, with_fix_requirements
from pipvet.frozen import replace
from pipvet.models import Advisory, Dependency, NormalizedName, canonicalize_name
from pipvet.severity import severity_of


@pytest.fixture(scope="module")
def archive_records(shared_data: Path) -> list[StoredRecord]:
    with zipfile.ZipFile(shared_data / "osv" / "PyPI" / "all.zip") as z:
        return [prepare_record(z.read(n)) for n in z.namelist()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, archive_records: list[StoredRecord]) -> Path:
    path = tmp_path_factory.mktemp("digests") / "advisories.sqlite3"
    build_store(path, archive_records, {"source": "test-source"})
    return path


ALPHA = NormalizedName("alpha")


def _versions_to_try(advisory: Advisory) -> set[str]:
    """Listed versions, range bounds, and a few around them: hits and misses alike."""
    out = {"0.0.1", "999"}
    for entry in advisory.affected:
        out.update(entry.versions)
        for rng in entry.ranges:
            for event in rng.events:
                out.add(event.version)
                out.add(event.version + ".post1")
                out.add(event.version + "+local.1")
    return {v for v in out if version_or_none(v) is not None}


@pytest.mark.slow  # every record of the snapshot
def test_every_snapshot_digest_round_trips_and_matches_like_its_record(
    archive_records: list[StoredRecord],
) -> None:
    checked = 0
    for stored in archive_records:
        advisory = parse_advisory_json(stored.json)
        assert stored.digests is not None
        assert len(stored.digests) == len(stored.names)
        for name, text in zip(stored.names, stored.digests, strict=True):
            record = digest.decode(text)
            full = package_record(advisory, name)
            assert record.entries == full.entries
            facts, original = record.advisory, advisory
            assert (facts.id, facts.modified, facts.aliases, facts.withdrawn) == (
                original.id,
                original.modified,
                original.aliases,
                original.withdrawn,
            )
            assert (facts.malicious, facts.cvss) == (original.malicious, original.cvss)
            assert summary_of(facts) == summary_of(original)
            assert severity_of(facts) == severity_of(original)
            tried = sorted(_versions_to_try(advisory))
            for text_version in tried[:: max(1, len(tried) // 6)]:
                version = Version(text_version)
                assert find_in([record], version) == find([advisory], name, version)
                assert closing_fix([record], version) == closing_version([advisory], name, version)
                checked += 1
    assert checked > 15_000


def test_encode_decode_table() -> None:
    advisory = Advisory(
        id="GHSA-1",
        modified="2024-01-01T00:00:00Z",
        aliases=("CVE-1",),
        summary="",
        details="\n  first line  \nsecond",
        cvss=(("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
        database_severity="HIGH",
        malicious=True,
        withdrawn=None,
    )
    record = digest.decode(digest.encode(package_record(advisory, NormalizedName("x"))))
    assert record.entries == ()
    # every fact in its own field (decode builds the Advisory positionally)
    assert record.advisory == replace(advisory, details="first line")
    assert record.advisory.details == "first line"
    assert record.advisory.cvss == advisory.cvss
    assert record.advisory.malicious is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"id": "x"}',
        '["A","m",[],"",[],null,"yes",null,[]]\n',  # malicious must be a boolean
        '["A","m",[1],"",[],null,false,null,[]]\n',  # aliases must be text
        '["A","m",[],"",[["CVSS_V3"]],null,false,null,[]]\n',  # pairs have two
        '["A","m",[],"",[["CVSS_V3",9.8]],null,false,null,[]]\n',
        '["A","m",[],"",[],7,false,null,[]]\n',  # severity is text or null
        '["A","m",[],"",[],null,false,1,[]]\n',  # withdrawn is text or null
        '["A","m",[],"",[],null,false,null]\n',  # a field short
        '["A","m",[],"",[],null,false,null,[]] []\n',  # text after the facts
        '["A","m",[],"",[],null,false,null,[]\n',  # facts cut short
        '[1,"m",[],"",[],null,false,null,[]]\n',
        '["A","m",[],"",[],null,false,null,[]]',  # no details line
        '["A","m",[],"",[],null,false,null,[[]]]\n',  # an entry without its versions line
        '["A","m",[],"",[],null,false,null,[]]\n\n 1 ',  # a versions line without its entry
        # ranges: [bounds, states, fixed, events]
        '["A","m",[],"",[],null,false,null,[[[["k"],"-A",[],null]]]]\n\n',  # states too short
        '["A","m",[],"",[],null,false,null,[[[["k"],"-x-",[],null]]]]\n\n',  # not A or -
        '["A","m",[],"",[],null,false,null,[[[[1],"-A-",[],null]]]]\n\n',  # bounds are text
        '["A","m",[],"",[],null,false,null,[[["k","-A-",[],null]]]]\n\n',  # bounds a list
        '["A","m",[],"",[],null,false,null,[[[[],"-",[["k","1"]],null]]]]\n\n',  # fixed: 3
        '["A","m",[],"",[],null,false,null,[[[[],"-",[["k","1",2]],null]]]]\n\n',
        '["A","m",[],"",[],null,false,null,[[[[],"-",[],[["fixed"]]]]]]\n\n',  # events: 2
        '["A","m",[],"",[],null,false,null,[[[[],"-",[],[["fixed",2]]]]]]\n\n',
        '["A","m",[],"",[],null,false,null,[[[[],"-",[]]]]]\n\n',  # a range field short
        '["A","m",[],"",[],null,false,null,{"a":1}]\n\n',  # entries are a list
        '["A","m",[],"",[],null,false,null,[{"a":1}]]\n\n',  # an entry's ranges too
        '["A","m",[],"",[],null,false,null,[[[[],"-",0,null]]]]\n\n',  # fixed is a list
        '["A","m",[],"",[],null,false,null,[[[[],"-",["k1e"],null]]]]\n\n',  # a fix is a list
        '["A","m",[],"",[],null,false,null,[[[[],"-",[["k","1","e"],"k1e"],null]]]]\n\n',
        '["A","m",[],"",[],null,false,null,[[[[],"-",[],["ab"]]]]]\n\n',  # an event is a list
        '["A","m",[],"",["ab"],null,false,null,[]]\n',  # and a CVSS pair
        '["A","m",[],"",0,null,false,null,[]]\n',  # so is cvss
    ],
)
def test_decode_rejects_what_is_not_a_digest(text: str) -> None:
    with pytest.raises(ValueError, match="not a package record digest"):
        digest.decode(text)


def test_store_package_records_are_the_raw_records(built: Path) -> None:
    names = [canonicalize_name(n) for n in ("django", "requests", "jinja2", "no-such")]
    with AdvisoryStore.open(built) as store:
        assert store.has_package_records
        raw = store.raw_records_for(names)
        records = store.package_records_for(names)
    assert set(raw) == set(records) == {"django", "requests", "jinja2"}
    for name, texts in raw.items():
        assert [json.loads(t)["id"] for t in texts] == [r.advisory.id for r in records[name]]


def _deps(store_path: Path) -> list[Dependency]:
    """Every package of the snapshot at a few versions, plus versions nobody lists."""
    with AdvisoryStore.open(store_path) as store:
        everything = store.raw_records_for([canonicalize_name(n) for n in _all_names(store_path)])
    deps = []
    for name, texts in sorted(everything.items()):
        advisory = parse_advisory_json(texts[0])
        tried = sorted(_versions_to_try(advisory))
        for version in tried[:: max(1, len(tried) // 4)]:
            deps.append(Dependency(name, version))
    deps.append(Dependency(NormalizedName("no-such"), "1.0"))
    deps.append(Dependency(NormalizedName("django"), "not a version"))
    return deps


def _all_names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [n for (n,) in conn.execute("SELECT DISTINCT name FROM affected")]


@pytest.mark.slow  # every package of the snapshot
def test_audit_from_digests_equals_audit_from_raw_records(built: Path) -> None:
    deps = _deps(built)
    assert len(deps) > 1500
    with AdvisoryStore.open(built) as store:
        fast = match_records(deps, store.package_records_for)
        slow = match_dependencies(deps, store.raw_records_for)
    assert fast.results == slow.results
    assert sum(len(r.findings) for r in fast.results) > 1000
    assert with_fix_requirements(fast.results, fast.records) == with_fix_requirements(
        slow.results, slow.records
    )


def _as_older_pipvet(path: Path) -> None:
    """What a database written before digests existed looks like."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX affected_without_digest")
        conn.execute("ALTER TABLE affected DROP COLUMN data")
        conn.execute("DELETE FROM meta WHERE key = 'match_format'")


def _record(
    rid: str, name: str, *, fixed: str = "2.0", modified: str = "2024-01-01T00:00:00Z"
) -> StoredRecord:
    data = {
        "id": rid,
        "modified": modified,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    return prepare_record(json.dumps(data))


def test_a_database_without_digests_is_read_raw_until_its_next_write_adds_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha"), _record("B-1", "beta")], {"source": "s"})
    _as_older_pipvet(path)
    alpha = [Dependency(NormalizedName("alpha"), "1.0")]
    with AdvisoryStore.open(path) as store:
        assert not store.has_package_records
        with pytest.raises(Exception, match="no package records yet"):
            store.package_records_for([NormalizedName("alpha")])
        slow = match_dependencies(alpha, store.raw_records_for)
        # an incremental sync's write: one new record, and every old one gets its digest
        store.update([_record("C-1", "alpha", fixed="3.0")], meta={"last_sync": "now"})
        assert store.has_package_records
        fast = match_records(alpha, store.package_records_for)
        assert store.integrity_ok()
    assert [f.id for f in slow.results[0].findings] == ["A-1"]
    assert [f.id for f in fast.results[0].findings] == ["A-1", "C-1"]
    with AdvisoryStore.open(path) as store:  # and it stays that way
        assert store.has_package_records
        assert [
            r.advisory.id
            for r in store.package_records_for([NormalizedName("beta")])[NormalizedName("beta")]
        ] == ["B-1"]


def test_a_stale_digest_format_is_rebuilt_on_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha")], {"source": "s"})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'match_format'")
        conn.execute("UPDATE affected SET data = x'00'")  # whatever an old format held
    with AdvisoryStore.open(path) as store:
        assert not store.has_package_records
        store.update(meta={"last_sync": "now"})
        records = store.package_records_for([NormalizedName("alpha")])
    assert [r.advisory.id for r in records[ALPHA]] == ["A-1"]


def test_rebuilding_digests_drops_a_record_that_no_longer_parses(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha"), _record("B-1", "alpha")], {"source": "s"})
    _as_older_pipvet(path)
    import zlib

    broken = json.dumps({"id": "B-1", "modified": "2024-01-01T00:00:00Z", "affected": "x"})
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE records SET body = ? WHERE id = 'B-1'", (zlib.compress(broken.encode()),)
        )
    with AdvisoryStore.open(path) as store:
        store.update(meta={"last_sync": "now"})
        records = store.package_records_for([NormalizedName("alpha")])
        info = store.info()
    assert [r.advisory.id for r in records[ALPHA]] == ["A-1"]
    assert (info.records, info.malformed_skipped) == (1, 1)


def test_a_failed_rebuild_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha")], {"source": "s"})
    _as_older_pipvet(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE records SET body = x'00ff'")  # not even zlib
    with AdvisoryStore.open(path) as store:
        with pytest.raises(CorruptStore):
            store.update(meta={"last_sync": "now"})
        assert not store.has_package_records
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(affected)")}
    assert "data" not in columns  # the whole transaction was rolled back


@pytest.mark.parametrize(
    "value", [b"\x00\xff", json.dumps(["A-1"]), zlib.compress(b'["A-1"]'), "not json"]
)
def test_a_damaged_digest_is_reported_not_trusted(tmp_path: Path, value: str | bytes) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha")], {"source": "s"})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE affected SET data = ?", (value,))
    with AdvisoryStore.open(path) as store, pytest.raises(CorruptStore) as info:
        store.package_records_for([NormalizedName("alpha")])
    assert "matching data of advisory A-1 is damaged" in str(info.value)
    assert "--full" in (info.value.hint or "")


@pytest.mark.parametrize(
    "ceiling",
    ["!", "0", "zz", "A0 A0", "\x00A0! \x00A0!", "A0A3A1!EAB", "A0A3A1!EAB A0A7A1!EAB"],
)
def test_a_damaged_ceiling_leaves_nothing_out(tmp_path: Path, ceiling: str) -> None:
    # A ceiling line encode() cannot write, a key's two copies that differ among them: the
    # shortcut never reads it as "below every version asked about", so the record is decoded
    # and matched as if it had no ceiling. (A ceiling "A0A1!EAB A0A1!EAB", below 2.0, would
    # leave the package out: the control case.)
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha")], {"source": "s"})
    deps = [Dependency(ALPHA, "1.0")]
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE affected SET data = ? || substr(data, instr(data, char(10)))", (ceiling,)
        )
    with AdvisoryStore.open(path) as store:
        records = store.package_records_for({ALPHA: "A9!" + "9" * 9})  # above any release
        assert [r.advisory.id for r in records[ALPHA]] == ["A-1"]
        (result,) = match_records(deps, store.package_records_for).results
    assert [f.id for f in result.findings] == ["A-1"]


def test_a_ceiling_below_the_version_leaves_the_package_out(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha")], {"source": "s"})  # fixed in 2.0
    with AdvisoryStore.open(path) as store:
        assert store.package_records_for({ALPHA: "A9!" + "9" * 9}) == {}
        assert list(store.package_records_for({ALPHA: "A0A1!EAB"})) == [ALPHA]  # 1.0


def test_records_without_digests_get_them_when_stored(tmp_path: Path) -> None:
    text = _record("A-1", "alpha").json
    bare = StoredRecord("A-1", "2024-01-01T00:00:00Z", None, (NormalizedName("alpha"),), text)
    path = tmp_path / "db.sqlite3"
    build_store(path, [bare], {"source": "s"})
    with AdvisoryStore.open(path) as store:
        records = store.package_records_for([NormalizedName("alpha")])
    assert records[ALPHA][0].entries == _record_entries(text)


def _record_entries(text: str) -> object:
    return package_record(parse_advisory_json(text), NormalizedName("alpha")).entries


def test_rows_an_older_pipvet_added_without_digests_are_completed(tmp_path: Path) -> None:
    """Two pipvet versions sharing one cache folder: the older one's incremental sync adds
    records and names the way it always did, with no digest."""
    import zlib

    path = tmp_path / "db.sqlite3"
    build_store(path, [_record("A-1", "alpha")], {"source": "s"})
    older = _record("B-1", "alpha", fixed="3.0")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO records (layer, id, modified, modified_key, withdrawn, body) "
            "VALUES (0, 'B-1', ?, ?, NULL, ?)",
            (older.modified, "2024-01-01T00:00:00.000000Z", zlib.compress(older.json.encode())),
        )
        conn.execute("INSERT INTO affected (name, layer, id) VALUES ('alpha', 0, 'B-1')")
    alpha = [Dependency(ALPHA, "2.5")]
    with AdvisoryStore.open(path) as store:
        assert not store.has_package_records  # so an audit reads the raw records
        slow = match_dependencies(alpha, store.raw_records_for)
        store.update(meta={"last_sync": "now"})
        assert store.has_package_records
        fast = match_records(alpha, store.package_records_for)
    assert [f.id for f in slow.results[0].findings] == ["B-1"]
    assert fast.results == slow.results


_IDS = st.sampled_from(["A-1", "A-2", "B-1", "C-1"])
_NAMES = st.sampled_from(["alpha", "beta"])


@settings(max_examples=25, deadline=None)
@given(
    public=st.dictionaries(_IDS, _NAMES, max_size=4),
    overlay=st.none() | st.dictionaries(_IDS, _NAMES, max_size=3),
)
def test_package_records_are_the_raw_records_with_and_without_an_overlay(
    public: dict[str, str], overlay: dict[str, str] | None
) -> None:
    """Without an overlay the store reads rows by its key alone; with one, an overlay record
    replaces the public one of its id whatever package it names. Either way: the records the
    raw lookup gives, in the same order."""
    names = [ALPHA, NormalizedName("beta"), NormalizedName("gamma")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db.sqlite3"
        build_store(path, [_record(i, n) for i, n in public.items()], {"source": "s"})
        with AdvisoryStore.open(path) as store:
            if overlay is not None:
                store.update(
                    overlay=[
                        _record(i, n, modified="2025-01-01T00:00:00Z") for i, n in overlay.items()
                    ]
                )
            raw = store.raw_records_for(names)
            records = store.package_records_for(names)
    assert {n: [json.loads(t)["id"] for t in texts] for n, texts in raw.items()} == {
        n: [r.advisory.id for r in rs] for n, rs in records.items()
    }
    for name, texts in raw.items():  # the overlay's version where it has one
        assert [json.loads(t)["modified"] for t in texts] == [
            r.advisory.modified for r in records[name]
        ]


_text = st.text(max_size=8)
_facts = st.fixed_dictionaries(
    {
        "id": _text,
        "modified": _text,
        "aliases": st.lists(_text, max_size=3).map(tuple),
        "summary": _text,
        "details": st.text(max_size=20),
        "cvss": st.lists(st.tuples(_text, _text), max_size=2).map(tuple),
        "database_severity": st.none() | _text,
        "malicious": st.booleans(),
        "withdrawn": st.none() | _text,
    }
)
_NOT_TEXT: list[object] = [1, 2.5, None, True, [], {}]


@given(_facts, st.data())
def test_a_digest_round_trips_and_a_field_of_the_wrong_type_is_refused(
    facts: dict[str, object], data: st.DataObject
) -> None:
    advisory = Advisory(**facts)  # type: ignore[arg-type]
    text = digest.encode(package_record(advisory, NormalizedName("x")))
    record = digest.decode(text)
    assert record.advisory == replace(
        advisory, details=summary_of(advisory) if not advisory.summary.strip() else ""
    )
    ceiling, line, rest = text.split("\n", 2)
    fields = json.loads(line)
    where = data.draw(st.sampled_from([0, 1, 2, 3, 4, 5, 7]))
    bad = data.draw(st.sampled_from(_NOT_TEXT))
    if where == 2:  # an alias
        fields[where] = [bad, *fields[where][1:]]
    elif where == 4:  # a score of a (type, score) pair
        fields[where] = [["CVSS_V3", bad], *fields[where][1:]]
    elif bad is None and where in (5, 7):
        return  # severity and withdrawn may be null
    else:
        fields[where] = bad
    with pytest.raises(ValueError, match="not a package record digest"):
        digest.decode(ceiling + "\n" + json.dumps(fields) + "\n" + rest)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
# Texts json.dumps never writes: raw control characters in strings (strict refuses them),
# NaN and the infinities (parse_constant), numbers in other spellings, broken syntax.
_JSON_PIECES = st.sampled_from(
    [
        *['"a\tb"', '"a\nb"', "NaN", "-Infinity", "Infinity", "1e400", "-0", "1.5E+3", "01"],
        *['{"a":1,"a":2}', "[", '"\\ud800"', "tru", "nul", " [1 , 2] ", '"\\u00e9"', "2" * 30],
        "[1,]",
    ]
)


@given(
    _JSON_VALUES.map(json.dumps)
    | _JSON_PIECES
    | st.lists(_JSON_PIECES, min_size=1, max_size=3).map(",".join).map("[{}]".format)
)
def test_the_digest_scanner_reads_as_json_loads_scanner(text: str) -> None:
    # decode() scans with _json's scanner made from its own context, not json.JSONDecoder()
    # (importing json compiles six patterns): both must read every text alike.
    def scanned(scan: Any) -> str:
        try:
            value, end = scan(text, 0)
        except StopIteration:
            return "no value"
        except ValueError as exc:  # json.JSONDecodeError
            return f"error {exc}"
        return f"{json.dumps(value)} {end} {type(value).__name__}"

    loads_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
    assert scanned(digest._scan) == scanned(loads_scan)


def test_leaving_out_packages_below_their_ceilings_changes_no_result(snapshot_db: Path) -> None:
    # Every package of the real snapshot at every version its records name (bounds and
    # listed versions), just above and below them, and as local builds: the audit's lookup,
    # which leaves out the packages no record can affect, gives exactly the results of one
    # that reads every record.
    with AdvisoryStore.open(snapshot_db) as store:
        conn = sqlite3.connect(snapshot_db)
        names = sorted({NormalizedName(n) for (n,) in conn.execute("SELECT name FROM affected")})
        conn.close()
        texts: dict[NormalizedName, set[str]] = {}
        for name, raws in store.raw_records_for(names).items():
            for raw in raws:
                for entry in json.loads(raw).get("affected", []):
                    if canonicalize_name(entry.get("package", {}).get("name", "")) != name:
                        continue
                    found = texts.setdefault(name, {"0.0.1", "99999"})
                    found.update(entry.get("versions", []))
                    for rng in entry.get("ranges", []):
                        found.update(v for e in rng.get("events", []) for v in e.values())
        # One version per package in each round (the store judges a package by the lowest
        # version asked about): a spread of each package's versions, always with its highest.
        rounds: list[list[Dependency]] = []
        for name, found in texts.items():
            parsed = sorted({v for t in found if (v := version_or_none(t)) is not None})
            for k, v in enumerate([*parsed[:: max(1, len(parsed) // 6)], parsed[-1]]):
                variants = (v.public, f"{v.public}.post1", f"{v.public}+cpu", f"{v.public}.dev0")
                for m, text in enumerate(variants):
                    while len(rounds) <= 4 * k + m:
                        rounds.append([])
                    rounds[4 * k + m].append(Dependency(name, text))
        stored = store.package_records_for(list(texts))  # every record, read once
        left_out: set[str] = set()
        for deps in rounds:
            every = match_records(deps, lambda wanted: {n: stored[n] for n in wanted})
            skipping = match_records(deps, store.package_records_for)
            assert skipping.results == every.results
            left_out |= set(every.records) - set(skipping.records)
    assert sum(map(len, rounds)) > 5_000
    assert len(left_out) > 100  # the shortcut is taken, not only harmless
