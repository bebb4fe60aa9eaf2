"""Parsing OSV records: what is kept, and how a broken record is reported."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pipvet.advisories.osv import MalformedRecord, parse_advisory, parse_advisory_json
from pipvet.errors import DataError
from pipvet.models import Affected, AffectedRange, RangeEvent, canonicalize_name


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "GHSA-aaaa-bbbb-cccc",
        "modified": "2024-05-01T10:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}
                ],
                "versions": ["1.0", "1.1"],
            }
        ],
    }
    base.update(fields)
    return base


def test_minimal_record() -> None:
    advisory = parse_advisory(record())
    assert advisory.id == "GHSA-aaaa-bbbb-cccc"
    assert advisory.modified == "2024-05-01T10:00:00Z"
    assert advisory.affected == (
        Affected(
            package=canonicalize_name("foo-bar"),
            ranges=(
                AffectedRange(
                    "ECOSYSTEM", (RangeEvent("introduced", "0"), RangeEvent("fixed", "1.2"))
                ),
            ),
            versions=("1.0", "1.1"),
        ),
    )
    assert not advisory.malicious
    assert advisory.withdrawn is None
    assert advisory.cvss == ()
    assert advisory.database_severity is None


def test_only_pypi_entries_are_kept_and_all_range_types_survive() -> None:
    data = record(
        affected=[
            {"package": {"ecosystem": "npm", "name": "foo"}, "versions": ["1.0.0"]},
            {"package": {"ecosystem": "Root:PyPI", "name": "foo"}, "versions": ["1.0.0"]},
            {"ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "abc"}]}]},
            {
                "package": {"ecosystem": "PyPI", "name": "Zope.Interface"},
                "ranges": [
                    {"type": "GIT", "repo": "r", "events": [{"introduced": "0"}, {"fixed": "a1"}]},
                    {"type": "semver", "events": [{"introduced": "1.0.0"}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "1"}, {"limit": "3"}]},
                ],
            },
        ]
    )
    advisory = parse_advisory(data)
    assert [a.package for a in advisory.affected] == ["zope-interface"]
    assert [r.type for r in advisory.affected[0].ranges] == ["GIT", "SEMVER", "ECOSYSTEM"]
    assert advisory.affected[0].ranges[2].events == (
        RangeEvent("introduced", "1"),
        RangeEvent("limit", "3"),
    )


def test_descriptive_fields() -> None:
    data = record(
        aliases=["CVE-2024-1", "PYSEC-2024-9", "CVE-2024-1", "GHSA-aaaa-bbbb-cccc"],
        related=["CVE-2023-7"],
        summary="  Bad thing  ",
        details="Line one.\nLine two.",
        published="2024-04-01T00:00:00Z",
        withdrawn="2024-06-01T00:00:00Z",
        references=[{"type": "WEB", "url": "https://example.org/a"}, {"type": "WEB"}],
    )
    advisory = parse_advisory(data)
    # Duplicates and the record's own id are not aliases of itself.
    assert advisory.aliases == ("CVE-2024-1", "PYSEC-2024-9")
    assert advisory.related == ("CVE-2023-7",)
    assert advisory.summary == "Bad thing"
    assert advisory.details == "Line one.\nLine two."
    assert advisory.published == "2024-04-01T00:00:00Z"
    assert advisory.withdrawn == "2024-06-01T00:00:00Z"
    assert advisory.references == ("https://example.org/a",)


def test_severity_sources() -> None:
    v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    data = record(
        severity=[{"type": "CVSS_V3", "score": v31}, {"type": "CVSS_V4", "score": v4}],
        database_specific={"severity": "MODERATE", "cwe_ids": ["CWE-79"]},
    )
    advisory = parse_advisory(data)
    assert advisory.cvss == (("CVSS_V3", v31), ("CVSS_V4", v4))
    assert advisory.database_severity == "MODERATE"


def test_severity_from_affected_entries() -> None:
    data = record()
    data["affected"][0]["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L"}]
    data["affected"][0]["ecosystem_specific"] = {"severity": "HIGH"}
    advisory = parse_advisory(data)
    assert advisory.cvss == (("CVSS_V3", "CVSS:3.1/AV:L/AC:L"),)
    assert advisory.database_severity == "HIGH"

    data["affected"][0]["database_specific"] = {"severity": "low"}
    del data["affected"][0]["ecosystem_specific"]
    assert parse_advisory(data).database_severity == "low"


def test_top_level_database_label_wins_over_entry_label() -> None:
    data = record(database_specific={"severity": "CRITICAL"})
    data["affected"][0]["database_specific"] = {"severity": "LOW"}
    assert parse_advisory(data).database_severity == "CRITICAL"


@pytest.mark.parametrize(
    ("fields", "entry_extra", "malicious"),
    [
        ({"id": "MAL-2024-1234"}, {}, True),
        ({"aliases": ["MAL-2024-99"]}, {}, True),
        ({"database_specific": {"malicious-packages-origins": [{"source": "ghsa"}]}}, {}, True),
        ({"database_specific": {"malicious": True}}, {}, True),
        ({"database_specific": {"cwe_ids": ["CWE-506"]}}, {}, True),
        ({}, {"database_specific": {"malicious-packages-origins": []}}, True),
        ({"database_specific": {"malicious": "no"}}, {}, False),
        ({"database_specific": {"cwe_ids": ["CWE-79"]}, "summary": "malicious input"}, {}, False),
        ({"id": "PYSEC-2024-1"}, {}, False),
    ],
)
def test_malware_markers(
    fields: dict[str, Any], entry_extra: dict[str, Any], malicious: bool
) -> None:
    data = record(**fields)
    data["affected"][0].update(entry_extra)
    assert parse_advisory(data).malicious is malicious


def test_event_object_with_two_keys_is_split_not_dropped() -> None:
    data = record()
    data["affected"][0]["ranges"] = [
        {"type": "ECOSYSTEM", "events": [{"introduced": "1.0", "fixed": "2.0"}, {"future": "x"}]}
    ]
    (rng,) = parse_advisory(data).affected[0].ranges
    assert rng.events == (RangeEvent("introduced", "1.0"), RangeEvent("fixed", "2.0"))


def _with(path: list[str | int], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(record())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(["modified"], None), "GHSA-aaaa-bbbb-cccc: field 'modified' is missing or empty"),
        (_with(["modified"], 5), "GHSA-aaaa-bbbb-cccc: field 'modified' must be a string"),
        (_with(["aliases"], "CVE-1"), "field 'aliases' must be an array, got a string"),
        (_with(["aliases"], ["CVE-1", 3]), "field 'aliases[1]' must be a string, got a number"),
        (_with(["affected"], {}), "field 'affected' must be an array, got an object"),
        (_with(["affected", 0], "x"), "field 'affected[0]' must be an object, got a string"),
        (
            _with(["affected", 0, "package"], ["PyPI"]),
            "field 'affected[0].package' must be an object",
        ),
        (
            _with(["affected", 0, "package", "name"], 7),
            "field 'affected[0].package.name' must be a string, got a number",
        ),
        (_with(["affected", 0, "package", "name"], " "), "'affected[0].package.name' is missing"),
        (
            _with(["affected", 0, "versions"], ["1.0", None]),
            "field 'affected[0].versions[1]' must be a string, got null",
        ),
        (
            _with(["affected", 0, "ranges", 0, "events"], {"introduced": "0"}),
            "field 'affected[0].ranges[0].events' must be an array",
        ),
        (
            _with(["affected", 0, "ranges", 0, "events", 1], {"fixed": 1.2}),
            "field 'affected[0].ranges[0].events[1].fixed' must be a string, got a number",
        ),
        (
            _with(["affected", 0, "ranges", 0, "type"], None),
            "field 'affected[0].ranges[0].type' is missing or empty",
        ),
        (_with(["severity"], [{"type": 3, "score": "x"}]), "field 'severity[0].type'"),
        (_with(["withdrawn"], True), "field 'withdrawn' must be a string, got a boolean"),
        (_with(["summary"], ["a"]), "field 'summary' must be a string, got an array"),
    ],
)
def test_malformed_records_name_id_and_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedRecord) as caught:
        parse_advisory(data)
    assert message in str(caught.value)
    assert "GHSA-aaaa-bbbb-cccc" in str(caught.value)
    assert isinstance(caught.value, DataError)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "OSV record must be a JSON object, got an array"),
        ("text", "OSV record must be a JSON object, got a string"),
        ({"modified": "m"}, "OSV record without an id: field 'id' is missing"),
        ({"id": 12, "modified": "m"}, "field 'id' is invalid (12)"),
        ({"id": "  ", "modified": "m"}, "field 'id' is invalid"),
    ],
)
def test_records_without_identity(data: Any, message: str) -> None:
    with pytest.raises(MalformedRecord, match=r".") as caught:
        parse_advisory(data)
    assert message in str(caught.value)


def test_non_pypi_entries_are_not_type_checked_beyond_their_ecosystem() -> None:
    data = record()
    data["affected"].append({"package": {"ecosystem": "npm", "name": 5}, "versions": [1]})
    assert [a.package for a in parse_advisory(data).affected] == ["foo-bar"]


def test_json_text_and_bytes() -> None:
    text = json.dumps(record())
    assert (
        parse_advisory_json(text) == parse_advisory_json(text.encode()) == parse_advisory(record())
    )
    with pytest.raises(MalformedRecord, match="not valid JSON"):
        parse_advisory_json('{"id": "X-1",')
    with pytest.raises(MalformedRecord, match="not valid JSON"):
        parse_advisory_json(b"\xff\xfe{")


def test_a_real_record_from_the_snapshot(shared_data: Path) -> None:
    with zipfile.ZipFile(shared_data / "osv" / "PyPI" / "all.zip") as archive:
        advisory = parse_advisory_json(archive.read("PYSEC-2018-28.json"))
    assert advisory.id == "PYSEC-2018-28"
    assert "CVE-2018-18074" in advisory.aliases
    (entry,) = advisory.affected
    assert entry.package == "requests"
    assert [r.type for r in entry.ranges] == ["GIT", "ECOSYSTEM"]
    assert entry.ranges[1].events == (RangeEvent("introduced", "0"), RangeEvent("fixed", "2.20.0"))
    assert "2.19.1" in entry.versions
    assert "2.20.0" not in entry.versions
