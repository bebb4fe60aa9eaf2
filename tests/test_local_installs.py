"""No install kind hides a finding: editable, local-folder, VCS and URL installs are audited by
their declared name and version, labelled as local builds, and fail like any other finding
unless the policy says ``local-installs = "list"``. A wheel cannot talk its way out of an
audit by shipping its own ``direct_url.json``.

Real wheels, real pip, real venvs; the advisories are the shared OSV snapshot plus small MAL-
records in an overlay folder.
"""

from __future__ import annotations

import io
import json
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import PolicyError
from pipvet.policy import parse_policy
from tests.support.wheels import Venv, build_wheel, create_venv, pip_install, write_local_project

LOCAL = "local build: the code may differ from the release"
BLEACH_3_1_0 = {"PYSEC-2020-27", "PYSEC-2020-28", "PYSEC-2020-340", "PYSEC-2021-865"}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def audit_json(argv: list[str]) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(["audit", "--format", "json", *argv])
    report: dict[str, Any] = json.loads(out)
    return code, report


def dependency(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in report["dependencies"] if d["name"] == name]
    (only,) = found
    return only


@pytest.fixture
def env(snapshot_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The synced snapshot, an overlay folder for MAL- records, and an empty policy."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    return snapshot_project


def malware(overlay: Path, name: str, versions: list[str]) -> str:
    record_id = f"MAL-2026-{zlib.crc32(repr((name, versions)).encode()) % 10**6:06d}"
    record = {
        "id": record_id,
        "modified": "2026-11-01T00:00:00Z",
        "summary": f"Malicious code in {name} (PyPI)",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": versions}],
    }
    (overlay / f"{record_id}.json").write_text(json.dumps(record), encoding="utf-8")
    return record_id


def set_policy(project: Path, text: str) -> None:
    (project / "pipvet.toml").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------- the policy key


def test_local_installs_key_defaults_to_audit_and_rejects_other_values(tmp_path: Path) -> None:
    today = date(2026, 1, 1)
    source = tmp_path / "pipvet.toml"
    assert parse_policy({}, source, today=today).local_installs == "audit"
    assert parse_policy({"local-installs": "list"}, source, today=today).local_installs == "list"
    with pytest.raises(PolicyError) as caught:
        parse_policy({"local-installs": "skip"}, source, today=today)
    assert "local-installs" in " ".join(caught.value.problems)


# ------------------------------------------------------ crafted site-packages (fast)


def dist_info(site: Path, name: str, version: str, direct_url: dict[str, object] | None) -> None:
    folder = site / f"{name}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if direct_url is not None:
        (folder / "direct_url.json").write_text(json.dumps(direct_url))


def test_a_local_build_is_audited_and_list_keeps_malware_failing(env: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    editable: dict[str, object] = {"url": checkout.as_uri(), "dir_info": {"editable": True}}
    site = tmp_path / "site-packages"
    dist_info(site, "bleach", "3.1.0", editable)
    code, report = audit_json(["--path", str(site)])
    assert code == 1
    bleach = dependency(report, "bleach")
    assert {f["id"] for f in bleach["findings"]} == BLEACH_3_1_0
    assert (bleach["version"], bleach["skipped"], bleach["local"]) == ("3.1.0", None, True)

    set_policy(env, 'local-installs = "list"\n')
    code, report = audit_json(["--path", str(site)])
    assert code == 0, "only listed"
    findings = dependency(report, "bleach")["findings"]
    assert {f["id"] for f in findings} == BLEACH_3_1_0
    assert all(f["ignored"] and "local-installs" in f["ignore_reason"] for f in findings)

    # Malware is never merely listed: the label comes from a file a wheel can write.
    malware(env.parent / "overlay", "bleach", ["3.1.0"])
    code, report = audit_json(["--path", str(site)])
    assert code == 1
    kinds = {(f["kind"], f["ignored"]) for f in dependency(report, "bleach")["findings"]}
    assert ("malware", False) in kinds


# ----------------------------------------------------------------- real pip (slow)


def forged_wheel(wheels: Path, name: str, version: str) -> Path:
    """A wheel that ships its own direct_url.json claiming to be an editable install."""
    module = name.replace("-", "_")
    claim = {"url": "file:///home/dev/src/" + name, "dir_info": {"editable": True}}
    return build_wheel(
        wheels,
        name,
        version,
        files={
            f"{module}/__init__.py": "import os\n",
            f"{module}-{version}.dist-info/direct_url.json": json.dumps(claim),
        },
    )


@pytest.fixture
def venv(tmp_path: Path) -> Venv:
    return create_venv(tmp_path / "venv")


@pytest.mark.slow
def test_a_wheel_with_its_own_direct_url_json_still_fails_on_malware(
    env: Path, tmp_path: Path, venv: Venv
) -> None:
    wheels = tmp_path / "wheels"
    forged_wheel(wheels, "colourama", "0.4.6")
    pip_install(venv, "colourama==0.4.6", find_links=wheels)
    shipped = venv.site_packages / "colourama-0.4.6.dist-info" / "direct_url.json"
    assert json.loads(shipped.read_text())["dir_info"] == {"editable": True}, "pip kept it"
    record_id = malware(env.parent / "overlay", "colourama", ["0.4.6"])

    code, report = audit_json(["--venv", str(venv.root)])
    assert code == 1
    dep = dependency(report, "colourama")
    assert (dep["version"], dep["skipped"]) == ("0.4.6", None)
    assert [(f["id"], f["kind"]) for f in dep["findings"]] == [(record_id, "malware")]
    code, out, _ = run(["audit", "--venv", str(venv.root)])
    assert code == 1
    assert "FAILED: malware" in out
    assert LOCAL not in out, "a claim about a folder that is not here labels nothing"

    set_policy(env, 'local-installs = "list"\n')
    code, out, _ = run(["audit", "--venv", str(venv.root)])
    assert code == 1
    assert "FAILED: malware" in out


@pytest.mark.slow
def test_a_malware_record_names_only_its_versions(env: Path, tmp_path: Path, venv: Venv) -> None:
    """One compromised release does not condemn the project: 1.0.0 passes, 1.0.1 fails."""
    wheels = tmp_path / "wheels"
    forged_wheel(wheels, "tidy-frames", "1.0.0")
    forged_wheel(wheels, "tidy-frames", "1.0.1")
    record_id = malware(env.parent / "overlay", "tidy-frames", ["1.0.1"])
    pip_install(venv, "tidy-frames==1.0.0", find_links=wheels)
    code, report = audit_json(["--venv", str(venv.root)])
    assert code == 0
    assert dependency(report, "tidy-frames")["findings"] == []

    pip_install(venv, "tidy-frames==1.0.1", find_links=wheels)
    code, report = audit_json(["--venv", str(venv.root)])
    assert code == 1
    (finding,) = dependency(report, "tidy-frames")["findings"]
    assert (finding["id"], finding["kind"]) == (record_id, "malware")


@pytest.mark.slow
def test_an_editable_checkout_of_a_vulnerable_release_is_reported_and_fails(
    env: Path, tmp_path: Path, venv: Venv
) -> None:
    checkout = write_local_project(tmp_path / "bleach", "bleach", "3.1.0")
    pip_install(venv, "-e", str(checkout))
    label = f"{LOCAL}; editable install of {checkout}"

    code, report = audit_json(["--venv", str(venv.root)])
    assert code == 1
    bleach = dependency(report, "bleach")
    assert (bleach["version"], bleach["skipped"], bleach["local"]) == ("3.1.0", None, True)
    assert {f["id"] for f in bleach["findings"]} == BLEACH_3_1_0
    assert report["summary"]["unchecked"] == 0
    code, out, _ = run(["audit", "--venv", str(venv.root)])
    assert code == 1
    assert "FAILED" in out
    assert f"bleach 3.1.0 ({LOCAL};" in out
    assert " ".join(label.split()) in " ".join(out.split())

    set_policy(env, 'local-installs = "list"\n')
    code, out, _ = run(["audit", "--venv", str(venv.root)])
    assert code == 0
    assert "Ignored by your policy: 4 findings" in out
    for record_id in BLEACH_3_1_0:
        assert record_id in out
    assert 'local-installs = "list"' in out
    assert "PASSED" in out
