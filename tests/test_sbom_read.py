"""Reading SBOMs back (``sbom.read.read_sbom``): CycloneDX 1.3-1.6 and SPDX 2.3 from pipvet,
from pip-audit's own CycloneDX formatter and in GitHub's dependency-graph export shape; and
hostile files: too big, not regular, not JSON, unknown specs, wrong types, huge strings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pipvet.errors import InputError
from pipvet.sbom.model import SbomComponent
from pipvet.sbom.parse_fields import MAX_STRING, parse_purl
from pipvet.sbom.read import read_sbom


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def cdx(spec: str, components: list[Any], **extra: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": spec, "components": components, **extra}


@pytest.mark.parametrize("spec", ["1.3", "1.4", "1.5", "1.6"])
def test_cyclonedx_versions_give_pypi_components_and_the_graph(tmp_path: Path, spec: str) -> None:
    doc = cdx(
        spec,
        [
            {"type": "library", "bom-ref": "a", "name": "Requests", "version": "2.19.0",
             "purl": "pkg:pypi/requests@2.19.0",
             "hashes": [{"alg": "SHA-256", "content": "AB" * 32}],
             "licenses": [{"license": {"id": "Apache-2.0"}}]},
            {"type": "library", "bom-ref": "b", "name": "urllib3",
             "purl": "pkg:pypi/urllib3@1.24.1"},
            {"type": "library", "bom-ref": "c", "name": "left-pad", "version": "1.3.0",
             "purl": "pkg:npm/left-pad@1.3.0"},
        ],
        dependencies=[{"ref": "a", "dependsOn": ["b"]}, {"ref": "b"}],
        metadata={"component": {"type": "application", "name": "my-service"},
                  "tools": [{"vendor": "x", "name": "some-tool", "version": "9"}]},
    )  # fmt: skip
    inv = read_sbom(write_json(tmp_path / "bom.json", doc))
    assert inv.spec == f"CycloneDX {spec}"
    assert inv.format == "cyclonedx"
    assert inv.names_and_versions() == {("requests", "2.19.0"), ("urllib3", "1.24.1")}
    by_name: dict[str, SbomComponent] = {c.name: c for c in inv.components}
    assert by_name["requests"].display_name == "Requests"
    assert by_name["requests"].depends_on == ("b",)
    assert by_name["requests"].hashes[0].value == "ab" * 32
    assert by_name["requests"].licenses == ("Apache-2.0",)
    assert by_name["urllib3"].version == "1.24.1"  # from the purl when the field is missing
    assert inv.other == 1
    assert inv.subject == "my-service"
    assert inv.tool == ("some-tool 9",)
    deps = inv.dependencies()
    assert {(d.name, d.version) for d in deps} == inv.names_and_versions()
    assert all(d.skipped is None and str(d.location) == str(inv.source) for d in deps)


def test_a_component_without_a_version_is_unchecked_not_clean(tmp_path: Path) -> None:
    doc = cdx("1.6", [{"type": "library", "name": "flask", "purl": "pkg:pypi/flask"}])
    [dep] = read_sbom(write_json(tmp_path / "bom.json", doc)).dependencies()
    assert dep.version is None
    assert dep.skipped is not None
    assert "bom.json" in dep.skipped


def test_pip_audit_cyclonedx_output_is_read(tmp_path: Path) -> None:
    """pip-audit's own formatter (what ``pip-audit -f cyclonedx-json`` prints) names no purls."""
    from packaging.version import Version
    from pip_audit._format.cyclonedx import CycloneDxFormat  # type: ignore[import-untyped]
    from pip_audit._service.interface import (  # type: ignore[import-untyped]
        ResolvedDependency,
        SkippedDependency,
        VulnerabilityResult,
    )

    vuln = VulnerabilityResult(
        id="PYSEC-2018-28",
        description="leaks credentials on redirect",
        fix_versions=[Version("2.20.0")],
        aliases={"CVE-2018-18074"},
        published=None,
    )
    result = {
        ResolvedDependency("Requests", Version("2.19.0")): [vuln],
        ResolvedDependency("tinylib", Version("1.0")): [],
        SkippedDependency("private-thing", "not on PyPI"): [],
    }
    text = CycloneDxFormat(CycloneDxFormat.InnerFormat.Json).format(result, [])
    inv = read_sbom(write_json(tmp_path / "pip-audit.cdx.json", json.loads(text)))
    assert inv.names_and_versions() == {("requests", "2.19.0"), ("tinylib", "1.0")}
    assert any("read as PyPI packages" in w for w in inv.warnings)


def test_components_without_purl_beside_another_ecosystem_are_not_taken_as_pypi(
    tmp_path: Path,
) -> None:
    doc = cdx(
        "1.5",
        [
            {"type": "library", "name": "openssl", "version": "3.0.0"},
            {"type": "library", "name": "lodash", "purl": "pkg:npm/lodash@4.17.21"},
        ],
    )
    inv = read_sbom(write_json(tmp_path / "bom.json", doc))
    assert inv.components == ()
    assert inv.other == 2


def github_export() -> dict[str, Any]:
    """The shape of GitHub's ``GET /repos/{owner}/{repo}/dependency-graph/sbom`` answer."""
    return {
        "sbom": {
            "SPDXID": "SPDXRef-DOCUMENT",
            "spdxVersion": "SPDX-2.3",
            "creationInfo": {"created": "2024-05-01T10:00:00Z",
                             "creators": ["Tool: GitHub.com-Dependency-Graph"]},
            "name": "com.github.acme/analytics",
            "dataLicense": "CC0-1.0",
            "documentNamespace": "https://github.com/acme/analytics/dependency_graph/sbom-1",
            "packages": [
                {"SPDXID": "SPDXRef-com.github.acme-analytics", "name": "com.github.acme/analytics",
                 "versionInfo": "", "downloadLocation": "git+https://github.com/acme/analytics",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": "pkg:github/acme/analytics"}]},
                {"SPDXID": "SPDXRef-pypi-requests-2.31.0", "name": "pypi:requests",
                 "versionInfo": "2.31.0", "downloadLocation": "NOASSERTION",
                 "licenseConcluded": "Apache-2.0",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": "pkg:pypi/requests@2.31.0"}]},
                {"SPDXID": "SPDXRef-pypi-urllib3-2.0.7", "name": "urllib3",
                 "versionInfo": "2.0.7", "downloadLocation": "NOASSERTION",
                 "checksums": [{"algorithm": "SHA256", "checksumValue": "cd" * 32}],
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": "pkg:pypi/urllib3@2.0.7"}]},
                {"SPDXID": "SPDXRef-actions-checkout-4", "name": "actions:actions/checkout",
                 "versionInfo": "4.*.*",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator":
                                       "pkg:githubactions/actions/checkout@4.%2A.%2A"}]},
            ],
            "relationships": [
                {"relationshipType": "DESCRIBES", "spdxElementId": "SPDXRef-DOCUMENT",
                 "relatedSpdxElement": "SPDXRef-com.github.acme-analytics"},
                {"relationshipType": "DEPENDS_ON",
                 "spdxElementId": "SPDXRef-com.github.acme-analytics",
                 "relatedSpdxElement": "SPDXRef-pypi-requests-2.31.0"},
                {"relationshipType": "DEPENDS_ON", "spdxElementId": "SPDXRef-pypi-requests-2.31.0",
                 "relatedSpdxElement": "SPDXRef-pypi-urllib3-2.0.7"},
            ],
        }
    }  # fmt: skip


def test_github_dependency_graph_export_is_read(tmp_path: Path) -> None:
    inv = read_sbom(write_json(tmp_path / "github-sbom.json", github_export()))
    assert inv.format == "spdx"
    assert inv.spec == "SPDX-2.3"
    assert inv.names_and_versions() == {("requests", "2.31.0"), ("urllib3", "2.0.7")}
    by_name: dict[str, SbomComponent] = {c.name: c for c in inv.components}
    assert by_name["requests"].depends_on == ("SPDXRef-pypi-urllib3-2.0.7",)
    assert by_name["requests"].licenses == ("Apache-2.0",)
    assert by_name["urllib3"].hashes[0].alg == "SHA-256"
    assert inv.other == 2  # the repository itself and a GitHub action
    assert inv.tool == ("GitHub.com-Dependency-Graph",)
    assert inv.subject == "com.github.acme/analytics"


def test_plain_spdx_with_dependency_of_relationships(tmp_path: Path) -> None:
    doc = github_export()["sbom"]
    doc["relationships"] = [
        {"relationshipType": "DEPENDENCY_OF", "spdxElementId": "SPDXRef-pypi-urllib3-2.0.7",
         "relatedSpdxElement": "SPDXRef-pypi-requests-2.31.0"},
    ]  # fmt: skip
    inv = read_sbom(write_json(tmp_path / "plain.spdx.json", doc))
    assert {str(c.name): c.depends_on for c in inv.components}["requests"] == (
        "SPDXRef-pypi-urllib3-2.0.7",
    )


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:pypi/requests@2.31.0", ("pypi", "requests", "2.31.0")),
        ("pkg:pypi/torch@2.1.0%2Bcu118?arch=x86_64#sub", ("pypi", "torch", "2.1.0+cu118")),
        ("pkg:PyPI/Django", ("pypi", "Django", None)),
        ("pkg:npm/%40angular/core@17.0.0", ("npm", "core", "17.0.0")),
        ("pkg:pypi", None),
        ("npm:left-pad", None),
    ],
)
def test_purls_are_taken_apart(purl: str, expected: tuple[str, str, str | None] | None) -> None:
    found = parse_purl(purl)
    assert (None if found is None else (found.type, found.name, found.version)) == expected


# ------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe<bom/>", "is not UTF-8"),
        (b"[1, 2]", "is not a CycloneDX or SPDX JSON document"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "2.0"}', "specVersion '2.0'"),
        (b'{"spdxVersion": "SPDX-3.0"}', "spdxVersion 'SPDX-3.0'"),
        (b"[" * 100_000 + b"]" * 100_000, "cannot be read as JSON"),
        (b"<?xml version='1.0'?><bom/>", "is not valid JSON"),
    ],
)
def test_bad_files_are_clear_errors_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad-sbom.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_sbom(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert err.value.hint


def test_too_big_missing_and_non_regular_files_are_refused(tmp_path: Path) -> None:
    big = write_json(tmp_path / "big.json", cdx("1.6", [{"name": "x" * 5000}]))
    with pytest.raises(InputError, match=r"big\.json: it is larger than 1000 bytes"):
        read_sbom(big, cap=1000)
    with pytest.raises(InputError, match="does not exist"):
        read_sbom(tmp_path / "absent.json")
    with pytest.raises(InputError, match="a folder, not a regular file"):
        read_sbom(tmp_path)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        read_sbom(fifo)  # refused without blocking on the pipe


def test_wrong_types_and_huge_strings_are_skipped_or_cut_with_warnings(tmp_path: Path) -> None:
    doc = cdx(
        "1.6",
        [
            "not an object",
            {"name": "ok", "version": "1.0", "purl": "pkg:pypi/ok@1.0"},
            {"name": "dup", "purl": "pkg:pypi/ok@1.0"},  # same bom-ref (the purl) again
            {"name": "../../etc", "purl": "pkg:pypi/..%2F..%2Fetc@1"},
            {"name": 42, "purl": ["pkg:pypi/x@1"]},
            {"name": "long", "version": "9" * 100_000, "purl": "pkg:pypi/long@1",
             "hashes": "nope", "licenses": [None, {"license": "x"}]},
        ],
        dependencies=[{"ref": 3}, "x", {"ref": "pkg:pypi/ok@1.0", "dependsOn": [None, "y"]}],
        metadata={"tools": {"components": "nope"}, "component": []},
    )  # fmt: skip
    inv = read_sbom(write_json(tmp_path / "odd.json", doc))
    assert {c.name for c in inv.components} == {"ok", "long"}
    long = next(c for c in inv.components if c.name == "long")
    assert long.version is not None
    assert len(long.version) == MAX_STRING
    text = "\n".join(inv.warnings)
    assert "components that are not objects" in text
    assert "a bom-ref used before" in text
    assert "not a valid project name" in text
    assert "dependency entries without a ref" in text
    assert "overlong strings were cut" in text
    assert all(str(inv.source) in w for w in inv.warnings)
    assert {str(c.name): c.depends_on for c in inv.components}["ok"] == ("y",)


def test_deeply_nested_components_are_bounded(tmp_path: Path) -> None:
    inner: dict[str, Any] = {"name": "leaf", "type": "library"}
    for _ in range(200):
        inner = {"name": "lib", "type": "library", "components": [inner]}
    doc = cdx("1.6", [{"name": "top", "purl": "pkg:pypi/top@1", "components": [inner]}])
    inv = read_sbom(write_json(tmp_path / "deep.json", doc))
    [top] = inv.components
    assert 0 < len(top.bundled) <= 40


def test_nested_components_count_towards_one_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each list was capped, not the file: 10 components of 150,000 children each made
    1,500,000 rows (3.6 GB) from one file. Here the cap is 1,000 (200,000 in use, which takes
    seconds to build a file for), against 3 npm components of 800 PyPI children each."""
    monkeypatch.setattr("pipvet.sbom.parse.MAX_COMPONENTS", 1_000)
    doc = cdx("1.6", [
        {"purl": f"pkg:npm/n{j}@1", "components": [{"purl": f"pkg:pypi/p{j}-{i}@1"}
                                                    for i in range(800)]}
        for j in range(3)
    ])  # fmt: skip
    inv = read_sbom(write_json(tmp_path / "many.json", doc))
    assert len(inv.components) == 1_000 - 2  # all but the two npm components met on the way
    assert any("past the first 1,000 (nested ones included)" in w for w in inv.warnings)
