"""`pipvet audit` end to end: real SQLite store synced from the real snapshot, real files,
real environments, a real loopback HTTP source."""

from __future__ import annotations

import functools
import io
import itertools
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pipvet.audit import run as audit_run
from pipvet.cli import Output, main
from pipvet.policy import Policy, resolve_sources
from pipvet.system.http import HttpClient
from pipvet.system.process import SubprocessRunner
from tests.support.httpserver import LoopbackServer
from tests.support.osv_bucket import OsvBucket, write_bucket
from tests.support.wheels import (
    build_wheel,
    create_venv,
    pip_env,
    pip_install,
    write_local_project,
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(snapshot_project: Path) -> Path:
    return snapshot_project


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def audit_json(argv: list[str]) -> tuple[int, dict[str, Any]]:
    code, out, err = run(["audit", "--format", "json", *argv])
    assert "Traceback" not in err
    return code, json.loads(out)


def findings_by_dep(report: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for dep in report["dependencies"]:
        ids: set[str] = set()
        for f in dep["findings"]:
            ids.add(f["id"])
            ids.update(f["aliases"])
        out[(dep["name"], dep["version"])] = ids
    return out


def test_exit_codes_clean_vulnerable_unchecked(env: Path) -> None:
    clean = write(env / "clean.txt", "requests==2.32.3\n")
    code, report = audit_json(["-r", str(clean)])
    assert code == 0
    assert report["summary"] == {**report["summary"], "findings": 0, "unchecked": 0}
    assert report["advisory_db"]["records"] == 2661
    assert report["advisory_db"]["newest_modified"].startswith("2024-10-10T17:22")

    vulnerable = write(env / "vuln.txt", "requests==2.19.0\n")
    code, report = audit_json(["-r", str(vulnerable)])
    assert code == 1
    (dep,) = report["dependencies"]
    pysec = next(f for f in dep["findings"] if f["id"] == "PYSEC-2018-28")
    assert set(pysec["aliases"]) == {"CVE-2018-18074", "GHSA-x84v-xcm2-53pg"}
    assert pysec["fixed_in"] == ["2.20.0"]
    assert pysec["kind"] == "vulnerability"

    unpinned = write(env / "loose.txt", "requests==2.32.3\nnumpy>=1.0\n")
    code, report = audit_json(["-r", str(unpinned)])
    assert code == 2, "an unpinned requirement is unchecked: the audit must not pass"
    assert report["summary"]["unchecked"] == 1
    code, _ = audit_json(["-r", str(unpinned), "--allow-unchecked"])
    assert code == 0


def test_text_report_never_claims_safety_when_something_was_unchecked(env: Path) -> None:
    req = write(env / "r.txt", "numpy\n")
    code, out, _ = run(["audit", "-r", str(req)])
    assert code == 2
    assert "no known vulnerabilities" not in out.lower()
    assert "numpy" in out
    assert "not pinned" in out


def test_a_wheel_named_by_url_is_audited_by_the_release_its_file_name_states(env: Path) -> None:
    """'jinja2 @ .../Jinja2-2.10-py2.py3-none-any.whl' passed as 'not audited by version'."""
    url = "https://files.pythonhosted.org/packages/7f/ff/ae64/Jinja2-2.10-py2.py3-none-any.whl"
    req = write(env / "r.txt", f"six==1.16.0\njinja2 @ {url}\n")
    code, report = audit_json(["-r", str(req)])
    assert code == 1
    assert "PYSEC-2019-217" in findings_by_dep(report)[("jinja2", "2.10")]


def test_uv_dev_dependencies_of_a_pyproject_are_audited(env: Path) -> None:
    """'uv sync' installs [tool.uv] dev-dependencies: 'pipvet audit -r pyproject.toml' had
    passed with jinja2==2.10 there."""
    text = '[project]\nname = "x"\ndependencies = ["six==1.16.0"]\n\n[tool.uv]\n'
    path = write(env / "pyproject.toml", text + 'dev-dependencies = ["jinja2==2.10"]\n')
    code, report = audit_json(["-r", str(path)])
    assert code == 1
    assert "PYSEC-2019-217" in findings_by_dep(report)[("jinja2", "2.10")]


Pair = tuple[str, str, set[str]]


@functools.cache
def _listed_pairs(shared_data: Path, per_record: int) -> list[Pair]:
    """(package, version, ids of the record's alias group) for versions records list."""
    rng = random.Random(1234)
    pairs: list[Pair] = []
    with zipfile.ZipFile(shared_data / "osv" / "PyPI" / "all.zip") as zf:
        for member in zf.namelist():
            rec = json.loads(zf.read(member))
            if rec.get("withdrawn"):
                continue
            ids = {rec["id"], *rec.get("aliases", [])}
            for aff in rec.get("affected", []):
                pkg = aff.get("package", {})
                if pkg.get("ecosystem") != "PyPI":
                    continue
                valid = []
                for v in aff.get("versions", []):
                    try:
                        valid.append(str(Version(v)))
                    except InvalidVersion:
                        continue
                for v in rng.sample(valid, min(per_record, len(valid))):
                    pairs.append((canonicalize_name(pkg["name"]), v, ids))
    assert len(pairs) > 2500 * per_record  # 2,612 per record in the snapshot
    return pairs


# The default run checks a fixed-seed sample of the listed versions: the full set (2,612 or
# 5,224 packages in one audit, a 215 MB JSON report) takes tens of seconds and up to 1 GB,
# so it is marked slow and runs in CI. The sample still goes through the full sync.
SAMPLE = 150
EVERY = None


def _chosen(pairs: list[Pair], sample: int | None) -> list[Pair]:
    if sample is None:
        return pairs
    return random.Random(2661).sample(pairs, sample)


@pytest.mark.parametrize(
    ("source_kind", "sample"),
    [
        # The default run reads the snapshot from a path; CI also syncs it from a file: URL
        # and over HTTP (each a full sync) and checks every listed version from each.
        pytest.param("path", SAMPLE, id="path-sample"),
        *[
            pytest.param(kind, size, id=f"{kind}-{label}", marks=pytest.mark.slow)
            for kind in ("path", "file-url", "http")
            for size, label in ((SAMPLE, "sample"), (EVERY, "all"))
            if (kind, label) != ("path", "sample")
        ],
    ],
)
def test_every_listed_version_is_reported(  # noqa: PLR0917
    env: Path,
    shared_data: Path,
    source_kind: str,
    sample: int | None,
    http_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    osv = shared_data / "osv"
    if source_kind == "file-url":
        monkeypatch.setenv("PIPVET_OSV_URL", osv.resolve().as_uri())
    elif source_kind == "http":
        zip_bytes = (osv / "PyPI" / "all.zip").read_bytes()
        csv = (osv / "PyPI" / "modified_id.csv").read_bytes()
        OsvBucket(http_server, zip_bytes, csv)
        monkeypatch.setenv("PIPVET_OSV_URL", http_server.url + "/osv")
    listed = _listed_pairs(shared_data, per_record=2 if source_kind == "path" else 1)
    pairs = _chosen(listed, sample)
    req = write(env / "all.txt", "".join(f"{n}=={v}\n" for n, v, _ in pairs))
    code, report = audit_json(["-r", str(req)])  # the first audit syncs by itself
    assert code == 1
    assert report["advisory_db"]["records"] == 2661
    found = findings_by_dep(report)
    missing = [(n, v, sorted(ids)[0]) for n, v, ids in pairs if not (found[(n, v)] & ids)]
    assert not missing, f"{len(missing)} listed versions not reported, e.g. {missing[:5]}"


def test_versions_outside_every_range_are_not_reported(env: Path) -> None:
    # Releases published after the snapshot, far above every fix.
    req = write(env / "new.txt", "django==9.0\nrequests==9.0\nurllib3==9.0\njinja2==9.0\n")
    code, report = audit_json(["-r", str(req)])
    assert code == 0
    assert all(not d["findings"] for d in report["dependencies"])


def test_a_new_source_that_cannot_be_read_is_named_and_the_old_data_is_labelled(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache holds data from the snapshot; the configured source is now a mirror that is
    not there. The audit may use the older data, but it must say which source it is from and
    that the configured one failed."""
    monkeypatch.setenv("PIPVET_OSV_URL", str(env / "moved-mirror"))
    req = write(env / "r.txt", "requests==2.19.0\n")
    code, report = audit_json(["-r", str(req)])
    assert code == 1
    assert report["advisory_db"]["source"].endswith("osv")
    (warning,) = [w for w in report["warnings"] if "could not be refreshed" in w]
    assert "moved-mirror" in warning
    assert warning.endswith(
        f"this audit used the older data, from {report['advisory_db']['source']}"
    )


def test_a_source_without_data_and_an_empty_cache_fail_closed(
    env: Path, snapshot_source: Path, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (A source that cannot be reached at all is the same failure after retries: test_cli_db.)
    (snapshot_source / "advisories.sqlite3").unlink()
    monkeypatch.setenv("PIPVET_OSV_URL", http_server.url + "/nothing-here")
    req = write(env / "r.txt", "requests==2.32.3\n")
    code, out, err = run(["audit", "-r", str(req)])
    assert code == 2
    assert out == ""
    assert "pipvet: error:" in err
    assert "Traceback" not in err
    code, out, err = run(["audit", "-r", str(req), "--offline"])
    assert code == 2
    assert "no vulnerabilities" not in (out + err).lower()


def test_offline_uses_the_cache_and_says_how_old(env: Path) -> None:
    req = write(env / "r.txt", "requests==2.19.0\n")
    assert run(["audit", "-r", str(req)])[0] == 1
    code, out, _ = run(["audit", "-r", str(req), "--offline"])
    assert code == 1
    assert "2,661 records" in out
    assert "synced" in out


def test_malware_from_overlay_is_its_own_fatal_class(
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
    write(overlay / "MAL-2026-0001.json", json.dumps(record))
    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    (env / "pipvet.toml").write_text('fail-on = "critical"\n', encoding="utf-8")
    req = write(env / "r.txt", "reqeusts==2.28.1\n")
    code, report = audit_json(["-r", str(req)])
    assert code == 1, "malware fails whatever the fail level"
    (finding,) = report["dependencies"][0]["findings"]
    assert finding["kind"] == "malware"
    code, out, _ = run(["audit", "-r", str(req)])
    assert "credentials" in out.lower()


def test_fail_level_and_ignores_from_policy(env: Path) -> None:
    (env / "pipvet.toml").write_text(
        '[[ignore]]\nid = "CVE-2018-18074"\nreason = "not using redirects"\n'
        "expires = 2999-01-01\n"
        '[[ignore]]\nid = "PYSEC-2023-74"\nreason = "old"\nexpires = 2001-01-01\n',
        encoding="utf-8",
    )
    req = write(env / "r.txt", "requests==2.19.0\n")
    code, report = audit_json(["-r", str(req)])
    findings = {f["id"]: f for f in report["dependencies"][0]["findings"]}
    assert findings["PYSEC-2018-28"]["ignored"] is True
    assert findings["PYSEC-2023-74"]["ignored"] is False, "expired ignores do not apply"
    assert code == 1
    notes = json.dumps(report.get("ignore_notes"))
    assert "expired" in notes


def test_sarif_and_markdown_are_well_formed(env: Path) -> None:
    req = write(env / "requirements.txt", "# top\nrequests==2.19.0\n")
    code, out, _ = run(["audit", "-r", str(req), "--format", "sarif"])
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert results
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 2
    code, out, _ = run(["audit", "-r", str(req), "--format", "markdown"])
    assert out.lstrip().startswith("#")
    assert "| " in out
    assert "PYSEC-2018-28" in out


def test_output_file_is_written_atomically(env: Path) -> None:
    req = write(env / "r.txt", "requests==2.19.0\n")
    target = env / "report.json"
    code, out, _ = run(["audit", "-r", str(req), "--format", "json", "-o", str(target)])
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text())["summary"]["findings"] >= 1
    assert [p.name for p in env.iterdir() if p.name.startswith(".report")] == []


def test_explain_shows_the_deciding_event(env: Path) -> None:
    req = write(env / "r.txt", "requests==2.19.0\n")
    code, out, _ = run(["audit", "-r", str(req), "--explain", "CVE-2018-18074"])
    assert code == 1
    assert "PYSEC-2018-28" in out
    assert "AFFECTED" in out
    assert "2.20.0" in out
    req2 = write(env / "r2.txt", "requests==2.20.0\n")
    code, out, _ = run(["audit", "-r", str(req2), "--explain", "PYSEC-2018-28"])
    assert code == 0
    assert "not affected" in out
    code, _, err = run(["audit", "-r", str(req2), "--explain", "PYSEC-1999-1"])
    assert code == 2
    assert "no advisory" in err


def test_bad_requirements_file_is_a_clear_error(env: Path) -> None:
    req = write(env / "bad.txt", "requests==2.19.0\nreqeusts>=\n")
    code, _out, err = run(["audit", "-r", str(req)])
    assert code == 2
    assert "bad.txt:2" in err
    assert "reqeusts>=" in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    wheels = root / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "requests", "2.19.0")
    build_wheel(wheels, "tinylib", "1.0")
    venv = create_venv(root / "venv")
    pip_install(venv, "requests==2.19.0", "tinylib==1.0", find_links=wheels)
    return root / "venv"


@pytest.mark.slow
def test_audit_a_real_venv_and_its_site_packages(env: Path, installed_venv: Path) -> None:
    code, report = audit_json(["--venv", str(installed_venv)])
    assert code == 1
    names = {d["name"]: d for d in report["dependencies"]}
    assert names["requests"]["findings"]
    assert names["tinylib"]["findings"] == []
    assert str(installed_venv) in report.get("target", "")
    site = next(installed_venv.glob("lib/python*/site-packages"))
    code, report = audit_json(["--path", str(site)])
    assert code == 1
    assert {"requests", "tinylib"} <= {d["name"] for d in report["dependencies"]}


@pytest.mark.slow
def test_default_target_is_the_project_venv_and_is_named(env: Path, installed_venv: Path) -> None:
    (env / ".venv").symlink_to(installed_venv, target_is_directory=True)
    code, out, err = run(["audit"])
    assert code == 1
    assert ".venv" in out + err


@pytest.mark.slow
def test_an_editable_install_is_audited_by_version_and_labelled(env: Path, tmp_path: Path) -> None:
    """Data projects are routinely installed with `pip install -e .`: that is checked by its
    name and version like anything else (an advisory for that release may apply to it), named
    as a local build, and a clean one does not make the audit fail or partial."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "requests", "2.32.3")
    project = write_local_project(tmp_path / "mytool", "mytool", "0.1")
    venv = create_venv(tmp_path / "venv")
    pip_install(venv, "requests==2.32.3", find_links=wheels)
    pip_install(venv, "-e", str(project), "--no-build-isolation")
    code, report = audit_json(["--venv", str(venv.root)])
    assert code == 0
    mytool = next(d for d in report["dependencies"] if d["name"] == "mytool")
    assert (mytool["local"], mytool["version"], mytool["skipped"]) == (True, "0.1", None)
    assert report["summary"]["unchecked"] == 0
    assert report["summary"]["not_from_index"] == 0
    code, out, _ = run(["audit", "--venv", str(venv.root)])
    assert code == 0
    assert "no known vulnerabilities or malware in 2 dependencies" in out.lower()


@pytest.mark.slow
def test_a_package_in_a_folder_a_pth_file_adds_is_audited(env: Path, tmp_path: Path) -> None:
    """A folder named by a .pth line is on the venv's sys.path: what pip installed there is
    imported and listed by pip, so the audit checks it (it had passed the venv)."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "Jinja2", "2.10")
    build_wheel(wheels, "tinylib", "1.0")
    venv = create_venv(tmp_path / "venv")
    pip_install(venv, "tinylib==1.0", find_links=wheels)
    extra = tmp_path / "extra"
    pip_install(venv, "--target", str(extra), "Jinja2==2.10", find_links=wheels)
    (venv.site_packages / "extra.pth").write_text(f"{extra}\n", encoding="utf-8")
    ask = "import importlib.metadata as m; print(m.version('jinja2'))"
    seen = subprocess.run([str(venv.python), "-c", ask], capture_output=True, text=True, check=True)
    assert seen.stdout.strip() == "2.10"
    code, report = audit_json(["--venv", str(venv.root)])
    assert code == 1
    assert "PYSEC-2019-217" in findings_by_dep(report)[("jinja2", "2.10")]


@pytest.mark.slow
def test_what_pip_reads_in_a_file_that_declares_its_encoding_is_audited(
    env: Path, tmp_path: Path
) -> None:
    """pip decodes a requirements file by its "coding:" comment: in UTF-7 the comment after
    six==1.16.0 ends at "+AAo-" and jinja2==2.10 is installed; read as UTF-8 it passed."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "six", "1.16.0")
    build_wheel(wheels, "Jinja2", "2.10")
    req = env / "requirements.txt"
    req.write_bytes(b"# -*- coding: utf-7 -*-\nsix==1.16.0 # +AAo-jinja2==2.10\n")
    report = tmp_path / "pip-report.json"
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q"]
    pip += ["--no-index", "--find-links", str(wheels), "--report", str(report), "-r", str(req)]
    subprocess.run(pip, check=True, capture_output=True, env=pip_env())
    installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    assert {i["metadata"]["name"] for i in installs} == {"six", "Jinja2"}
    code, audited = audit_json(["-r", str(req)])
    assert code == 1
    assert "PYSEC-2019-217" in findings_by_dep(audited)[("jinja2", "2.10")]


@pytest.mark.parametrize(
    "sample",
    [pytest.param(SAMPLE, id="sample"), pytest.param(EVERY, id="all", marks=pytest.mark.slow)],
)
def test_every_listed_version_is_reported_from_a_site_packages_folder(
    env: Path, shared_data: Path, tmp_path: Path, sample: int | None
) -> None:
    """The same check through --path: metadata folders only, no pip, no imports."""
    site = tmp_path / "site-packages"
    site.mkdir()
    pairs = _chosen(_listed_pairs(shared_data, per_record=1), sample)
    for i, (name, version, _) in enumerate(pairs):
        # One folder per pair; several versions of one name coexist as separate records.
        info = site / f"{name.replace('-', '_')}-{version}-{i}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n", encoding="utf-8"
        )
    code, report = audit_json(["--path", str(site)])
    assert code == 1
    found = findings_by_dep(report)
    missing = [(n, v) for n, v, ids in pairs if not (found.get((n, v), set()) & ids)]
    assert not missing, f"{len(missing)} listed versions not reported, e.g. {missing[:5]}"


@pytest.mark.slow
def test_a_folder_without_installed_packages_does_not_pass(env: Path, installed_venv: Path) -> None:
    """Giving --path the venv root instead of its site-packages checks nothing: exit 2."""
    code, out, _ = run(["audit", "--path", str(installed_venv)])
    assert code == 2
    assert "INCOMPLETE: nothing was checked" in out
    assert "no installed distributions found" in out


def _damage_inside(db: Path) -> None:
    """Zero most of the file but its first pages: opening works, queries hit bad pages."""
    data = bytearray(db.read_bytes())
    start, end = 64 * 1024, len(data) - 64 * 1024
    data[start:end] = bytes(end - start)
    db.write_bytes(bytes(data))


def test_a_database_damaged_inside_is_rebuilt_with_a_warning(env: Path) -> None:
    req = write(env / "r.txt", "requests==2.19.0\n")
    assert run(["audit", "-r", str(req)])[0] == 1
    db = Path(os.environ["PIPVET_CACHE_DIR"]) / "advisories.sqlite3"
    _damage_inside(db)
    code, report = audit_json(["-r", str(req)])
    assert code == 1
    assert report["advisory_db"]["records"] == 2661
    assert any("rebuilt" in w for w in report["warnings"])
    assert report["dependencies"][0]["findings"]

    _damage_inside(db)
    code, out, err = run(["db", "sync"])  # an ordinary sync repairs it too
    assert code == 0, err
    assert "rebuilt" in out + err
    assert len(list(db.parent.glob("advisories.sqlite3.unreadable-*"))) == 1


def test_an_unsupported_source_scheme_is_a_usage_error_even_with_cached_data(
    env: Path,
) -> None:
    req = write(env / "r.txt", "requests==2.19.0\n")
    assert run(["audit", "-r", str(req)])[0] == 1  # data is cached now
    code, out, err = run(["audit", "-r", str(req), "--osv-url", "ftp://mirror.example/osv"])
    assert code == 2
    assert out == ""
    assert "unsupported advisory source 'ftp://mirror.example/osv'" in err


# ---------------------------------------------------------------------- stale advisory data


def fresh_bucket(folder: Path, days_old: float) -> Path:
    """A small OSV folder (all.zip + modified_id.csv) whose newest record changed
    ``days_old`` days ago: a mirror that is still updating, unlike the shared snapshot."""
    modified = (datetime.now(UTC) - timedelta(days=days_old)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "id": "PYSEC-2099-1",
        "modified": modified,
        "summary": "vulnerable lib",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "vulnlib"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}],
    }  # fmt: skip
    return write_bucket(folder, [record])


def test_the_old_snapshot_says_it_is_stale_at_the_top_of_every_format(env: Path) -> None:
    """The shared snapshot's newest record is from 2024-10: it synced minutes ago, but a mirror
    that stopped updating must not read as a clean result."""
    req = write(env / "r.txt", "requests==2.32.3\n")
    code, out, err = run(["audit", "-r", str(req)])
    assert code == 0, err  # stale-data = "warn" by default: it warns, it does not fail
    head = out.splitlines()[:5]
    assert "WARNING: STALE ADVISORY DATA" in head
    assert "newest change 2024-10-10T17:22:00.587279Z (" in head[1]
    # synced this session (the test process's copy of the store): minutes ago at most
    assert re.search(r" days ago\), synced (just now|1 minute ago|\d+ minutes ago)\)$", head[1])
    flat = " ".join(out.split())
    assert "its newest record changed on 2024-10-10" in flat
    assert "the policy allows 7 days (max-data-age-days)" in flat
    assert "STALE advisory data: the newest record is" in out.splitlines()[-1]

    code, report = audit_json(["-r", str(req)])
    db = report["advisory_db"]
    assert (db["stale"], db["max_data_age_days"]) == (True, 7)
    assert db["newest_age_seconds"] > 700 * 86400
    assert "stale" in db["stale_text"]
    _, md, _ = run(["audit", "-r", str(req), "--format", "markdown"])
    assert "> **Warning: stale advisory data.**" in md
    _, sarif, _ = run(["audit", "-r", str(req), "--format", "sarif"])
    sarif_run = json.loads(sarif)["runs"][0]
    assert sarif_run["properties"]["advisoryStale"] is True
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"].startswith("The advisory data is stale")


def test_stale_data_exits_2_with_ci_or_the_policy(env: Path) -> None:
    req = write(env / "r.txt", "requests==2.32.3\n")
    code, out, err = run(["audit", "-r", str(req), "--ci"])
    assert code == 2
    assert "WARNING: STALE ADVISORY DATA" in out
    assert "pipvet: error: the advisory data is older than max-data-age-days (7)" in err
    write(env / "pipvet.toml", 'stale-data = "fail"\n')
    code, _, err = run(["audit", "-r", str(req)])
    assert code == 2
    assert "older than max-data-age-days" in err
    # a finding does not hide it either: exit 2 (cannot vouch for the data) before 1
    vulnerable = write(env / "vuln.txt", "requests==2.19.0\n")
    assert run(["audit", "-r", str(vulnerable)])[0] == 2


def test_a_fresh_mirror_is_not_stale_and_the_limit_is_the_policys(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = write(env / "r.txt", "vulnlib==3.0\n")
    monkeypatch.setenv("PIPVET_OSV_URL", str(fresh_bucket(tmp_path / "fresh", days_old=1)))
    code, out, err = run(["audit", "-r", str(req), "--ci"])
    assert code == 0, err
    assert "STALE" not in out
    assert "newest change" in out
    assert "(24 hours ago)" in out
    code, report = audit_json(["-r", str(req)])
    assert report["advisory_db"]["stale"] is False

    # ten days old: stale at the default 7, fresh under max-data-age-days = 30
    monkeypatch.setenv("PIPVET_OSV_URL", str(fresh_bucket(tmp_path / "ten", days_old=10)))
    code, out, _ = run(["audit", "-r", str(req), "--ci"])
    assert code == 2
    assert "10 days ago" in out
    write(env / "pipvet.toml", "max-data-age-days = 30\n")
    code, out, _ = run(["audit", "-r", str(req), "--ci"])
    assert code == 0
    assert "STALE" not in out


def test_data_from_another_source_fails_closed_when_the_configured_one_cannot_be_synced(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team points pipvet at its mirror (say, with records for its internal names); when
    that mirror cannot be synced, the fresh data of the old source must not read as current."""
    req = write(env / "r.txt", "vulnlib==3.0\n")
    monkeypatch.setenv("PIPVET_OSV_URL", str(fresh_bucket(tmp_path / "public", days_old=1)))
    assert run(["audit", "-r", str(req), "--ci"])[0] == 0  # synced, fresh
    mirror = tmp_path / "mirror-not-there"
    monkeypatch.setenv("PIPVET_OSV_URL", str(mirror))
    code, out, err = run(["audit", "-r", str(req)])
    assert code == 0, err  # stale-data = "warn": a warning
    assert "WARNING: STALE ADVISORY DATA" in out
    flat = " ".join(out.split())
    assert f"not from the configured source ({mirror}), which could not be synced" in flat
    assert "STALE advisory data: not from the configured source" in out.splitlines()[-1]
    code, _, err = run(["audit", "-r", str(req), "--ci"])
    assert code == 2
    assert f"not from the configured source ({mirror})" in err
    _, report = audit_json(["-r", str(req)])
    db = report["advisory_db"]
    assert (db["stale"], db["configured_source"]) == (True, str(mirror))
    # Offline too: --offline asks for no download, not for another source's data. It had
    # passed 'pipvet audit --ci --offline' with the mirror's records never checked.
    code, report = audit_json(["-r", str(req), "--offline"])
    assert code == 0  # stale-data = "warn"
    assert (report["advisory_db"]["stale"], report["advisory_db"]["configured_source"]) == (
        True,
        str(mirror),
    )
    assert any("not " + str(mirror) in w for w in report["warnings"])
    code, _, err = run(["audit", "-r", str(req), "--offline", "--ci"])
    assert code == 2
    assert f"not from the configured source ({mirror})" in err


def test_staleness_follows_the_injected_clock(env: Path, shared_data: Path) -> None:
    """The library takes the clock: the same snapshot is fresh on 2024-10-12, stale later."""
    req = write(env / "r.txt", "requests==2.32.3\n")
    collected = audit_run.collect(
        audit_run.Inputs(requirement_files=(req,)),
        environ={},
        cwd=env,
        runner=SubprocessRunner(),
    )
    for day, stale in (("2024-10-12", False), ("2024-10-17", False), ("2024-10-18", True)):
        clock = itertools.repeat(datetime.fromisoformat(day + "T12:00:00+00:00").timestamp())
        now = clock.__next__
        outcome = audit_run.prepare_advisories(
            resolve_sources(Policy(), {"PIPVET_OSV_URL": str(shared_data / "osv")}),
            HttpClient(env / "http", offline=True, clock=now),
            cache_dir=env / "cache",  # synced on the first day, then incrementally
            policy=Policy(),
            offline=False,
            clock=now,
        )
        report = audit_run.audit(collected, outcome, policy=Policy(), clock=now)
        assert report.snapshot.stale is stale, day


@pytest.mark.parametrize(
    ("origins", "said"),
    [
        ((), "point PIPVET_OSV_URL or the policy's osv-url at a mirror or a local copy"),
        ((("osv_url", "PIPVET_OSV_URL"),), "the URL comes from PIPVET_OSV_URL"),
    ],
)
def test_no_data_and_no_source_says_where_else_data_can_come_from(
    tmp_path: Path, origins: tuple[tuple[str, str], ...], said: str
) -> None:
    # A first run on a machine that cannot reach the source (air-gapped, behind a proxy).
    from pipvet.errors import NetworkError
    from pipvet.policy import Sources

    sources = Sources("http://127.0.0.1:9/osv", None, "http://127.0.0.1:9", "x", origins)
    with pytest.raises(NetworkError) as caught:
        audit_run.prepare_advisories(
            sources,
            HttpClient(tmp_path / "http", retries=0),
            cache_dir=tmp_path / "cache",
            policy=Policy(),
            offline=False,
            clock=lambda: 1_800_000_000.0,
        )
    assert "http://127.0.0.1:9/osv/PyPI/all.zip" in str(caught.value)
    assert said in (caught.value.hint or "")
