"""`pipvet sbom` of real virtual environments (real wheels installed by real pip): licences
from metadata, the Requires-Dist graph under the target's markers, a hash of RECORD, what a
wheel's PEP 770 SBOM declares, the official schema, and SBOMs other tools wrote
(``cyclonedx-py environment``) read back to the same inventory."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.sbom.read import read_sbom
from tests.support.cyclonedx_schema import schema_errors
from tests.support.wheels import build_wheel, create_venv, pip_env, pip_install

pytestmark = pytest.mark.slow

BUNDLED = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "components": [
        {
            "type": "library",
            "name": "zlib",
            "version": "1.3.1",
            "purl": "pkg:generic/zlib@1.3.1",
            "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
            "licenses": [{"license": {"id": "Zlib"}}],
        }
    ],
}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sbom-venv")
    wheels = root / "wheels"
    sboms = "acme_app-1.0.dist-info/sboms"
    build_wheel(
        wheels,
        "Acme.App",
        "1.0",
        requires=[
            "tinylib>=1",
            "winlib; sys_platform == 'win32'",
            "extralib; extra == 'fast'",
            "notinstalled>=2",
        ],
        extra_headers=[("License-Expression", "MIT OR Apache-2.0")],
        files={
            "acme_app/__init__.py": "",
            f"{sboms}/bundled.cdx.json": json.dumps(BUNDLED),
            f"{sboms}/broken.json": "{not json",
        },
    )
    build_wheel(wheels, "tinylib", "1.0", extra_headers=[("License", "BSD 3-Clause\n  long")])
    build_wheel(
        wheels,
        "winlib",
        "1.0",
        extra_headers=[("Classifier", "License :: OSI Approved :: MIT License")],
    )
    build_wheel(wheels, "extralib", "1.0")
    build_wheel(wheels, "requests", "2.19.0")
    env = create_venv(root / "venv")
    pip_install(  # --no-deps: notinstalled stays missing, as in a broken environment
        env,
        "--no-deps",
        "acme.app==1.0",
        "tinylib==1.0",
        "winlib==1.0",
        "extralib==1.0",
        "requests==2.19.0",
        find_links=wheels,
    )
    return env.root


@pytest.fixture
def env(tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIPVET_OSV_URL", str(shared_data / "osv"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.delenv("PIPVET_OSV_OVERLAY", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pipvet.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(project)
    return project


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def sbom(argv: list[str]) -> tuple[dict[str, Any], str]:
    code, out, err = run(["sbom", *argv])
    assert code == 0, err
    return json.loads(out), err


def test_a_venv_sbom_is_valid_and_says_what_metadata_says(env: Path, venv: Path) -> None:
    doc, err = sbom(["--venv", str(venv)])
    assert schema_errors(doc, "1.6") == []
    comps = {c["name"]: c for c in doc["components"]}
    assert set(comps) == {"Acme.App", "extralib", "requests", "tinylib", "winlib"}
    app = comps["Acme.App"]
    assert app["purl"] == "pkg:pypi/acme-app@1.0"
    assert app["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert comps["tinylib"]["licenses"] == [{"license": {"name": "BSD 3-Clause"}}]
    assert comps["winlib"]["licenses"] == [{"license": {"name": "MIT License"}}]
    record = site_packages(venv) / "acme_app-1.0.dist-info" / "RECORD"
    assert app["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(record.read_bytes()).hexdigest()}
    ]
    assert {"name": "pipvet:hash-of", "value": "the installed dist-info RECORD file"} in app[
        "properties"
    ]
    graph = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
    # winlib is installed but its marker is false on this (non-Windows) interpreter; extralib
    # only comes with an extra; notinstalled is not there
    assert graph["pkg:pypi/acme-app@1.0"] == ["pkg:pypi/tinylib@1.0"]
    assert graph["pkg:pypi/tinylib@1.0"] == []
    [zlib] = app["components"]
    assert zlib["name"] == "zlib"
    assert zlib["version"] == "1.3.1"
    assert zlib["purl"] == "pkg:generic/zlib@1.3.1"
    assert zlib["bom-ref"].startswith("pkg:pypi/acme-app@1.0#bundled-")
    assert {
        "name": "pipvet:declared-in",
        "value": "acme_app-1.0.dist-info/sboms/bundled.cdx.json",
    } in zlib["properties"]
    assert "broken.json is not valid JSON" in err
    vulnerable = {a["ref"] for v in doc["vulnerabilities"] for a in v["affects"]}
    assert vulnerable == {"pkg:pypi/requests@2.19.0"}
    older, _ = sbom(["--venv", str(venv), "--spec", "1.5", "--offline"])
    assert older["specVersion"] == "1.5"
    assert schema_errors(older, "1.5") == []


@pytest.mark.skipif(sys.platform == "win32", reason="the marker test needs a non-Windows target")
def test_a_site_packages_folder_has_no_markers_so_only_extras_are_left_out(
    env: Path, venv: Path
) -> None:
    doc, _ = sbom(["--path", str(site_packages(venv)), "--without-vulnerabilities"])
    graph = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
    assert graph["pkg:pypi/acme-app@1.0"] == ["pkg:pypi/tinylib@1.0", "pkg:pypi/winlib@1.0"]


def test_spdx_of_a_venv_has_dependencies_and_bundled_packages(env: Path, venv: Path) -> None:
    doc, _ = sbom(["--venv", str(venv), "--format", "spdx"])
    by_id = {p["SPDXID"]: p for p in doc["packages"]}
    name_of = {i: p["name"] for i, p in by_id.items()}
    rels = {(name_of[r["spdxElementId"]], r["relationshipType"], name_of[r["relatedSpdxElement"]])
            for r in doc["relationships"] if r["spdxElementId"] != "SPDXRef-DOCUMENT"}  # fmt: skip
    assert ("Acme.App", "DEPENDS_ON", "tinylib") in rels
    assert ("Acme.App", "CONTAINS", "zlib") in rels
    app = next(p for p in doc["packages"] if p["name"] == "Acme.App")
    assert app["licenseDeclared"] == "MIT OR Apache-2.0"


def test_round_trip_and_cyclonedx_py_agree_with_the_audit(
    env: Path, venv: Path, tmp_path: Path
) -> None:
    code, out, _ = run(["audit", "-q", "--format", "json", "--venv", str(venv)])
    assert code == 1
    audited = {(d["name"], d["version"]) for d in json.loads(out)["dependencies"]}
    ours = tmp_path / "ours.cdx.json"
    assert run(["sbom", "-q", "--venv", str(venv), "-o", str(ours)])[0] == 0
    assert read_sbom(ours).names_and_versions() == audited
    theirs = tmp_path / "cyclonedx-py.cdx.json"
    tool = shutil.which("cyclonedx-py", path=str(Path(sys.executable).parent))
    assert tool is not None, "cyclonedx-bom (the test extra) provides cyclonedx-py"
    proc = subprocess.run(
        [tool, "environment", str(venv / "bin" / "python"), "--of", "JSON", "--sv", "1.6",
         "-o", str(theirs)],
        capture_output=True, text=True, env=pip_env(), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    inventory = read_sbom(theirs)
    assert inventory.names_and_versions() == audited
    assert inventory.spec == "CycloneDX 1.6"
    assert any(t.startswith("cyclonedx-py") for t in inventory.tool)


def test_hostile_wheel_sboms_are_warnings_not_crashes(
    env: Path, venv: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "site-packages"
    shutil.copytree(site_packages(venv), copy)
    sboms = copy / "acme_app-1.0.dist-info" / "sboms"
    os.mkfifo(sboms / "pipe.json")
    (sboms / "huge.json").write_bytes(b" " * (10 * 1024 * 1024 + 1))
    (sboms / "deep.json").write_bytes(b"[" * 200_000)
    (sboms / "array.json").write_text("[1, 2, 3]", encoding="utf-8")
    code, out, err = run(["sbom", "--path", str(copy), "--without-vulnerabilities"])
    assert code == 0, err
    assert "Traceback" not in err
    assert "pipe.json was not read: it is a FIFO" in err
    assert "huge.json was not read: it is larger than 10 MiB" in err
    assert "deep.json is not valid JSON" in err
    assert "array.json is not a CycloneDX or SPDX JSON document" in err
    doc = json.loads(out)
    app = next(c for c in doc["components"] if c["name"] == "Acme.App")
    assert [c["name"] for c in app["components"]] == ["zlib"]
