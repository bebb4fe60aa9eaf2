"""The GitHub Action (action.yml): checked against the action metadata rules, its scripts
parsed by bash, and (slow) its steps run the way the runner runs them: pipvet installed from
the action's own checkout, an audit that writes the job summary, SARIF and the exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT
from tests.support.wheels import pip_env

ACTION = PROJECT_ROOT / "action.yml"
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_action_has_the_required_keys_and_is_composite() -> None:
    data = action()
    assert isinstance(data["name"], str)
    assert data["name"]
    assert isinstance(data["description"], str)
    assert data["description"]
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    assert steps
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step
        if "uses" in step:  # a pinned major or a commit, never a branch
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", step["uses"]), step


def test_inputs_are_valid_and_every_reference_is_declared() -> None:
    data = action()
    inputs = data["inputs"]
    for name, spec in inputs.items():
        assert _ID.match(name), name
        assert spec["description"]
        assert isinstance(spec.get("default", ""), str)
    text = ACTION.read_text(encoding="utf-8")
    referenced = {m for e in _EXPR.findall(text) for m in re.findall(r"inputs\.([\w-]+)", e)}
    assert referenced
    assert referenced <= set(inputs)
    for output in data["outputs"].values():
        assert output["description"]
        assert "value" in output  # a composite action's outputs say where they come from
    step_ids = {s["id"] for s in data["runs"]["steps"] if "id" in s}
    for e in _EXPR.findall(text):
        assert set(re.findall(r"steps\.([\w-]+)\.", e)) <= step_ids


def test_no_input_is_pasted_into_a_script() -> None:
    """Inputs reach the shell through env: pasted text would be script injection."""
    for step in action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_pipvet_is_installed_from_the_actions_own_checkout() -> None:
    install = action()["runs"]["steps"][0]
    assert install["env"]["PIPVET_SOURCE"] == "${{ github.action_path }}"
    assert re.search(r'pip install [^\n]*"\$PIPVET_SOURCE"', install["run"])
    assert not re.search(r"pip install[^\n]*\bpipvet\b", install["run"])


def test_every_script_is_valid_bash() -> None:
    for step in action()["runs"]["steps"]:
        if "run" in step:
            done = subprocess.run(
                ["bash", "-n"], input=step["run"], text=True, capture_output=True, check=False
            )
            assert done.returncode == 0, done.stderr


def test_the_readme_shows_the_two_line_uses_form() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"\n- uses: [\w-]+/pipvet@<tag or commit>\n  with: \{ command: ", readme)


def _run_step(step: dict[str, Any], env: dict[str, str], cwd: Path) -> None:
    step_env = {**env}
    for key, value in step.get("env", {}).items():
        step_env[key] = _EXPR.sub(lambda m: env["__" + m.group(1).strip()], value)
    subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=step_env, cwd=cwd, check=True, timeout=900
    )


@pytest.mark.slow
def test_the_steps_run_as_the_runner_runs_them(tmp_path: Path, shared_data: Path) -> None:
    wheels = PROJECT_ROOT / "tests" / ".wheels"
    wheels.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--only-binary", ":all:", "--no-deps",
         "-d", str(wheels), "setuptools>=68", "packaging>=24"],
        check=True, capture_output=True,
    )  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    (work / "pipvet.toml").write_text("", encoding="utf-8")
    (work / "requirements.txt").write_text("urllib3==1.24.1\n", encoding="utf-8")
    files = {n: tmp_path / n for n in ("env", "output", "summary")}
    for f in files.values():
        f.write_text("", encoding="utf-8")
    env = {
        **pip_env(),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_ENV": str(files["env"]),
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "PIPVET_CACHE_DIR": str(tmp_path / "cache"),
        "PIPVET_OSV_URL": str(shared_data / "osv"),
        "HOME": str(tmp_path),
        "__inputs.python": sys.executable,
        "__github.action_path": str(PROJECT_ROOT),
        "__inputs.command": "audit",
        "__inputs.requirements": "requirements.txt",
        "__inputs.args": "--allow-unchecked",
    }
    install, audit = action()["runs"]["steps"][:2]
    _run_step(install, env, work)
    key, _, value = files["env"].read_text(encoding="utf-8").strip().partition("=")
    env[key] = value
    _run_step(audit, env, work)
    assert files["output"].read_text(encoding="utf-8") in {"exit-code=1\n", "exit-code=2\n"}
    assert "urllib3" in files["summary"].read_text(encoding="utf-8")
    sarif = (work / "pipvet.sarif").read_text(encoding="utf-8")
    assert "PYSEC-2019-132" in sarif
    assert os.path.getsize(work / "pipvet.sarif") > 0
