"""`pipvet sbom` from requirements files: the real advisory snapshot in a real SQLite store,
output validated against the official CycloneDX 1.6 and 1.5 JSON schemas, SPDX 2.3 checked
for its required fields, everything read back with ``read_sbom``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, get_args

import pytest

from pipvet.cli import Output, main
from pipvet.report.formats import CYCLONEDX_VERSIONS
from pipvet.sbom.model import SpecVersion
from pipvet.sbom.read import read_sbom
from tests.support.cyclonedx_schema import schema_errors


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(snapshot_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    return snapshot_project


HASH = "0" * 63 + "1"


def requirements(env: Path, text: str = "") -> Path:
    path = env / "requirements.txt"
    path.write_text(
        text or f"requests==2.19.0 --hash=sha256:{HASH}\nurllib3==1.24.1\ncertifi==2024.8.30\n",
        encoding="utf-8",
    )
    return path


def sbom(argv: list[str], expect: int = 0) -> dict[str, Any]:
    code, out, err = run(["sbom", "-q", *argv])
    assert "Traceback" not in err
    assert code == expect, err
    return dict(json.loads(out))


def test_the_parser_offers_the_versions_the_writer_takes() -> None:
    # The parser's list lives in report.formats so that `pipvet sbom --help` does not load the
    # SBOM model; the writer's type says which versions it writes.
    assert set(CYCLONEDX_VERSIONS) == set(get_args(SpecVersion))
    assert CYCLONEDX_VERSIONS[0] == "1.6"  # the default the help text names


@pytest.mark.parametrize("spec", CYCLONEDX_VERSIONS)
def test_cyclonedx_is_valid_against_the_official_schema(env: Path, spec: str) -> None:
    doc = sbom(["-r", str(requirements(env)), "--spec", spec])
    assert doc["specVersion"] == spec
    assert doc["$schema"] == f"http://cyclonedx.org/schema/bom-{spec}.schema.json"
    assert schema_errors(doc, spec) == []
    # and the schema check is real: a licence id that SPDX does not know is refused
    broken = json.loads(json.dumps(doc))
    broken["components"][0]["licenses"] = [{"license": {"id": "Not-A-Licence"}}]
    assert schema_errors(broken, spec) != []


def test_components_purls_hashes_and_vulnerabilities(env: Path) -> None:
    doc = sbom(["-r", str(requirements(env))])
    comps = {c["name"]: c for c in doc["components"]}
    assert set(comps) == {"certifi", "requests", "urllib3"}
    assert comps["requests"]["purl"] == "pkg:pypi/requests@2.19.0"
    assert comps["requests"]["bom-ref"] == comps["requests"]["purl"]
    assert comps["requests"]["hashes"] == [{"alg": "SHA-256", "content": HASH}]
    assert "hashes" not in comps["urllib3"], "no hash is invented where none was given"
    refs = {c["bom-ref"] for c in doc["components"]}
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    assert {a["ref"] for v in vulns.values() for a in v["affects"]} <= refs
    leak = vulns["PYSEC-2018-28"]
    assert leak["affects"] == [
        {
            "ref": "pkg:pypi/requests@2.19.0",
            "versions": [{"version": "2.19.0", "status": "affected"}],
        }
    ]
    assert leak["recommendation"] == "Upgrade requests to 2.20.0 or later."
    assert {r["id"] for r in leak["references"]} == {"CVE-2018-18074", "GHSA-x84v-xcm2-53pg"}
    rated = vulns["PYSEC-2023-192"]["ratings"]
    assert rated == [
        {
            "severity": "high",
            "score": 8.1,
            "method": "CVSSv31",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
        }
    ]
    props = {p["name"]: p["value"] for p in doc["metadata"]["properties"]}
    assert props["pipvet:advisory-newest-modified"] == "2024-10-10T17:22:00.587279Z"
    assert props["pipvet:advisory-snapshot"].endswith("@2024-10-10T17:22:00.587279Z")
    assert doc["metadata"]["timestamp"] == "2026-01-01T00:00:00Z"
    assert not any(v["affects"][0]["ref"].startswith("pkg:pypi/certifi") for v in vulns.values())


def test_the_same_input_gives_the_same_document(env: Path) -> None:
    req = str(requirements(env))
    _, first, _ = run(["sbom", "-q", "-r", req])
    _, again, _ = run(["sbom", "-q", "-r", req, "--offline"])
    assert first == again
    doc = json.loads(first)
    assert doc["serialNumber"].startswith("urn:uuid:")
    other = sbom(["-r", str(requirements(env, "requests==2.32.3\n"))])
    assert other["serialNumber"] != doc["serialNumber"]
    given = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    assert sbom(["-r", req, "--serial-number", given.upper()])["serialNumber"] == given


def test_bad_serial_and_bad_source_date_epoch_are_usage_errors(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = str(requirements(env))
    code, _, err = run(["sbom", "-r", req, "--serial-number", "1234"])
    assert code == 2
    assert "--serial-number '1234' is not a urn:uuid:" in err
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, _, err = run(["sbom", "-r", req])
    assert code == 2
    assert "SOURCE_DATE_EPOCH" in err


def test_unpinned_requirements_are_written_and_exit_2(env: Path) -> None:
    req = requirements(env, "requests==2.19.0\nflask>=2\n")
    out_file = env / "bom.cdx.json"
    code, _, err = run(["sbom", "-r", str(req), "-o", str(out_file)])
    assert code == 2
    assert "1 dependencies could not be checked" in err
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    flask = next(c for c in doc["components"] if c["name"] == "flask")
    assert flask["purl"] == "pkg:pypi/flask"
    assert "version" not in flask
    assert {p["name"] for p in flask["properties"]} == {"pipvet:unchecked"}
    assert schema_errors(doc, "1.6") == []
    code, _, _ = run(["sbom", "-r", str(req), "-o", str(out_file), "--allow-unchecked"])
    assert code == 0


def test_malware_is_a_vulnerability_with_removal_advice(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    record = {
        "id": "MAL-2026-0001",
        "modified": "2026-11-01T00:00:00Z",
        "summary": "Malicious code in reqeusts (PyPI)",
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "reqeusts"}, "versions": ["2.28.1"]}
        ],
    }
    (overlay / "MAL-2026-0001.json").write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    doc = sbom(["-r", str(requirements(env, "reqeusts==2.28.1\n"))])
    [vuln] = doc["vulnerabilities"]
    assert vuln["recommendation"].startswith("Remove reqeusts 2.28.1 now")
    assert {"name": "pipvet:kind", "value": "malware"} in vuln["properties"]
    assert schema_errors(doc, "1.6") == []


def test_without_vulnerabilities_needs_no_advisory_data(
    env: Path, snapshot_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (snapshot_source / "advisories.sqlite3").unlink()
    monkeypatch.setenv("PIPVET_OSV_URL", str(env / "no-such-mirror"))
    doc = sbom(["-r", str(requirements(env)), "--without-vulnerabilities"])
    assert "vulnerabilities" not in doc
    props = {p["name"]: p["value"] for p in doc["metadata"]["properties"]}
    assert props["pipvet:vulnerabilities"].startswith("not checked")
    assert schema_errors(doc, "1.6") == []
    code, _, err = run(["sbom", "-r", str(requirements(env))])
    assert code == 2, "vulnerabilities were asked for and there is no data: fail closed"
    assert "no-such-mirror" in err


def test_spdx_has_packages_relationships_and_reads_back(env: Path) -> None:
    out_file = env / "bom.spdx.json"
    code, _, err = run(
        ["sbom", "-r", str(requirements(env)), "--format", "spdx", "-o", str(out_file)]
    )
    assert code == 0, err
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["dataLicense"] == "CC0-1.0"
    assert doc["documentNamespace"].startswith("https://spdx.org/spdxdocs/pipvet-")
    assert doc["creationInfo"] == {
        "created": "2026-01-01T00:00:00Z",
        "creators": ["Tool: pipvet-0.1.0"],
    }
    assert "vulnerabilities" not in doc
    for package in doc["packages"]:
        for field in ("SPDXID", "name", "downloadLocation", "licenseConcluded", "copyrightText"):
            assert field in package
        assert package["SPDXID"].startswith("SPDXRef-")
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(ids) == len(set(ids))
    described = {
        r["relatedSpdxElement"]
        for r in doc["relationships"]
        if r["relationshipType"] == "DESCRIBES"
    }
    assert described == set(ids)
    requests = next(p for p in doc["packages"] if p["name"] == "requests")
    assert requests["checksums"] == [{"algorithm": "SHA256", "checksumValue": HASH}]
    inv = read_sbom(out_file)
    assert inv.names_and_versions() == {
        ("certifi", "2024.8.30"),
        ("requests", "2.19.0"),
        ("urllib3", "1.24.1"),
    }


def test_cyclonedx_round_trip_gives_the_audited_names_and_versions(env: Path) -> None:
    req = requirements(env)
    out_file = env / "bom.cdx.json"
    assert run(["sbom", "-q", "-r", str(req), "-o", str(out_file)])[0] == 0
    code, out, _ = run(["audit", "-q", "--format", "json", "-r", str(req)])
    assert code == 1, "requests 2.19.0 and urllib3 1.24.1 are vulnerable"
    audited = {(d["name"], d["version"]) for d in json.loads(out)["dependencies"]}
    assert read_sbom(out_file).names_and_versions() == audited


def test_a_bad_requirements_file_is_a_clear_error(env: Path) -> None:
    bad = env / "requirements.txt"
    bad.write_text("requests==\n", encoding="utf-8")
    code, out, err = run(["sbom", "-r", str(bad)])
    assert code == 2
    assert out == ""
    assert "requirements.txt:1" in err
    assert "Traceback" not in err


def test_versions_that_encode_alike_stay_two_components(env: Path) -> None:
    """Each character of a version was written as %XX of its code point: U+0100 gave "%100",
    like the two characters "\\x10" "0", and U+02B0 gave "%2B0", like the "+0" of a real local
    version. Two installed versions shared a purl (the bom-ref) and one vanished from the SBOM."""
    from urllib.parse import unquote

    site = env / "site-packages"
    versions = ["1.0+0", "1.0\u02b0", "1.0\u0100", "1.0\x100"]
    for n, version in enumerate(versions):
        info = site / f"demo-{n}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: demo\nVersion: {version}\n", encoding="utf-8"
        )
    doc = sbom(["--path", str(site), "--without-vulnerabilities"])
    purls = {c["version"]: c["purl"] for c in doc["components"]}
    assert sorted(purls) == sorted(versions)
    assert len(set(purls.values())) == len(versions)
    assert purls["1.0+0"] == "pkg:pypi/demo@1.0%2B0"
    assert purls["1.0\u02b0"] == "pkg:pypi/demo@1.0%CA%B0"  # UTF-8 bytes, as the purl spec says
    assert all(unquote(purl.split("@", 1)[1]) == v for v, purl in purls.items())
    assert schema_errors(doc, "1.6") == []


def test_an_alias_cannot_leave_its_osv_url(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The references' URLs were osv.dev and the alias as written: a record's alias of
    "x) [evil](https://evil.example" made a URL with a space and a parenthesis in it, which
    an SBOM viewer that shows it as a markdown link turns into a link to evil.example."""
    from urllib.parse import unquote

    overlay = tmp_path / "overlay"
    overlay.mkdir()
    alias = "x) [evil](https://evil.example"
    record = {
        "id": "PYSEC-9999-1",
        "modified": "2026-11-01T00:00:00Z",
        "aliases": [alias],
        "summary": "crafted",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]}],
    }
    (overlay / "PYSEC-9999-1.json").write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    doc = sbom(["-r", str(requirements(env, "demo==1.0\n"))])
    (vuln,) = [v for v in doc["vulnerabilities"] if v["id"] == "PYSEC-9999-1"]
    (reference,) = vuln["references"]
    url = reference["source"]["url"]
    assert reference["id"] == alias
    assert url == "https://osv.dev/vulnerability/x%29%20%5Bevil%5D%28https%3A%2F%2Fevil.example"
    assert unquote(url.rsplit("/", 1)[1]) == alias
    assert schema_errors(doc, "1.6") == []
