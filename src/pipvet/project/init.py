"""``pipvet init``: set a project up for the init-and-update routine.

``plan_init`` decides everything without side effects (that is ``--dry-run``);
``apply_init`` then creates the environment, writes the files and sets pip's guard, through
a runner that is passed in. What it does:

* ``.venv`` with the Python running pipvet, unless an environment is active (virtual or
  conda) or the project has one (``.venv`` / ``venv``); nothing is installed into it;
* the policy: ``[tool.pipvet]`` appended to ``pyproject.toml`` when there is one, else
  ``pipvet.toml``; an existing policy is kept (even with ``--force``: it holds decisions);
* ``.vscode/tasks.json``: pipvet's folder-open task merged in, other tasks untouched;
* ``.github/workflows/pipvet.yml``; with ``devcontainer``, ``.devcontainer/devcontainer.json``;
* ``.venv/`` in ``.gitignore``;
* with ``guard_pip``: ``python -m pip config --user set global.require-virtualenv true``
  (not under conda, whose environments pip's guard would block).

Idempotent: a second run finds everything in place and writes nothing. A file pipvet did not
write, or wrote and someone changed since, is never replaced without ``force``.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from pipvet.errors import EnvironmentProblem, InputError
from pipvet.frozen import frozen
from pipvet.inputs.interpreter import is_conda_env
from pipvet.policy import parse_policy
from pipvet.project.guard import user_guard_set
from pipvet.project.jsonc import JsoncError, parse_jsonc
from pipvet.project.model import FileAction, FileChange, GuardStep, InitPlan, InitResult, VenvStep
from pipvet.project.pipvet_source import PipvetSource, default_source
from pipvet.project.templates import (
    GITIGNORE_ENTRY,
    WORKFLOW_PATH,
    daily_cron,
    devcontainer_json,
    github_workflow,
    policy_text,
    vscode_task,
    workflow_fingerprint,
)
from pipvet.project.venv import create_venv, plan_venv, run_command
from pipvet.project.vscode import merge_task
from pipvet.system.files import read_text_exact, write_text_atomic
from pipvet.system.process import Runner

__all__ = ["InitOptions", "apply_init", "plan_init"]


@frozen
class InitOptions:
    project: Path
    python: Path  # the interpreter running pipvet: it creates .venv
    environ: Mapping[str, str]
    guard_pip: bool = False
    devcontainer: bool = False
    force: bool = False
    venv: bool = True
    vscode: bool = True
    ci: bool = True
    # Where the written files install pipvet from (None: pipvet==this version).
    pipvet_source: PipvetSource | None = None

    @property
    def source(self) -> PipvetSource:
        return self.pipvet_source or default_source()

    @property
    def python_version(self) -> str:
        return f"{sys.version_info.major}.{sys.version_info.minor}"


# ---------------------------------------------------------------------- planning


def _display(project: Path, path: Path) -> str:
    try:
        return path.relative_to(project).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path) -> str | None:
    return read_text_exact(path) if path.is_file() else None


def _task_python(project: Path, prefix: Path | None) -> tuple[str | None, str | None]:
    """The interpreter the VS Code task runs ``-m pipvet`` with, workspace-relative; or None:
    the task runs ``pipvet`` from PATH. The environment's interpreter only when pipvet is
    installed in it and it lies inside the project (any other path is this machine's own and
    would break for everyone who clones the project)."""
    if prefix is None or not _has_pipvet(prefix):
        return None, None
    try:
        rel = prefix.relative_to(project)
    except ValueError:
        return None, None
    posix = "${workspaceFolder}/" + rel.as_posix() + "/bin/python"
    windows = "${workspaceFolder}\\" + "\\".join(rel.parts) + "\\Scripts\\python.exe"
    return posix, windows


def _policy_change(project: Path) -> FileChange:
    pipvet_toml = project / "pipvet.toml"
    pyproject = project / "pyproject.toml"
    if pipvet_toml.is_file():
        return FileChange(pipvet_toml, "pipvet.toml", "unchanged", "the project has a policy")
    old = _read(pyproject)
    if old is None:
        new = policy_text(in_pyproject=False)
        return FileChange(
            pipvet_toml, "pipvet.toml", "create", "policy with pipvet's defaults", None, new
        )
    try:
        data = tomllib.loads(old.removeprefix("\ufeff"))
    except (tomllib.TOMLDecodeError, RecursionError) as exc:  # nesting too deep to read
        return FileChange(
            pyproject,
            "pyproject.toml",
            "skip",
            f"not valid TOML ({exc}); fix it first",
            bad_input=f"{pyproject}: not valid TOML ({exc}); the policy was not added",
        )
    tool = data.get("tool")
    if isinstance(tool, dict) and "pipvet" in tool:
        return FileChange(pyproject, "pyproject.toml", "unchanged", "it has [tool.pipvet]")
    newline = "\r\n" if "\r\n" in old else "\n"
    separator = "" if not old or old.endswith(("\n", "\r")) else newline
    table = policy_text(in_pyproject=True).replace("\n", newline)
    new = old + separator + (newline if old.strip() else "") + table
    _check_policy(new, pyproject)
    return FileChange(
        pyproject, "pyproject.toml", "append", "[tool.pipvet] with pipvet's defaults", old, new
    )


def _check_policy(text: str, path: Path) -> None:
    """The appended policy must parse back (PolicyError otherwise): a template bug must not
    reach the user's file."""
    data = tomllib.loads(text.removeprefix("\ufeff"))
    parse_policy(data["tool"]["pipvet"], path, in_pyproject=True, today=date.today())


def _replaceable(
    path: Path, display: str, new: str, *, managed: bool, force: bool, what: str
) -> FileChange:
    """A whole file pipvet owns: create it, keep it, update it while unchanged, or skip."""
    old = _read(path)
    if old is None:
        return FileChange(path, display, "create", what, None, new)
    if old == new:
        return FileChange(path, display, "unchanged", "already in place")
    if managed:
        recorded, actual = workflow_fingerprint(old)
        if recorded is not None and recorded == actual:
            return FileChange(path, display, "update", "pipvet's file, updated", old, new)
        why = "changed since pipvet wrote it" if recorded else "not written by pipvet"
    else:
        why = "exists with other content"
    if force:
        return FileChange(path, display, "update", f"{why}; replaced (--force)", old, new)
    return FileChange(path, display, "skip", f"{why}; --force replaces it")


def _gitignore_change(project: Path) -> FileChange:
    path = project / ".gitignore"
    old = _read(path)
    covered = {".venv", ".venv/", "/.venv", "/.venv/", ".venv*", ".venv*/", "*/.venv/"}
    if old is not None and any(line.strip() in covered for line in old.splitlines()):
        return FileChange(path, ".gitignore", "unchanged", "already ignores .venv/")
    if old is None:
        return FileChange(
            path, ".gitignore", "create", "ignores .venv/", None, GITIGNORE_ENTRY + "\n"
        )
    newline = "\r\n" if "\r\n" in old else "\n"
    separator = "" if not old or old.endswith(("\n", "\r")) else newline
    new = old + separator + GITIGNORE_ENTRY + newline
    return FileChange(path, ".gitignore", "append", "adds .venv/", old, new)


def _conda_in_use(opts: InitOptions, venv: VenvStep) -> str | None:
    for name in ("CONDA_PREFIX", "CONDA_DEFAULT_ENV"):
        if opts.environ.get(name):
            return f"{name} is set"
    prefix = Path(sys.prefix) if opts.python == Path(sys.executable) else opts.python.parent.parent
    if is_conda_env(prefix) or (venv.prefix is not None and is_conda_env(venv.prefix)):
        return f"{prefix} is a conda environment"
    return None


def _guard_step(opts: InitOptions, venv: VenvStep) -> GuardStep | None:
    if not opts.guard_pip:
        return None
    conda = _conda_in_use(opts, venv)
    if conda and not opts.force:
        return GuardStep(
            "skip",
            f"conda is in use ({conda}): pip's require-virtualenv does not count conda "
            "environments as environments, so pip would refuse to install into them. pipvet "
            "did not set it (--force sets it anyway). pipvet's own guard covers conda instead: "
            "pipvet doctor treats conda environments as isolated and fails the system Python, "
            "and pipvet update refuses to install outside an environment",
        )
    already = user_guard_set(opts.environ)
    if already is not None:
        return GuardStep(
            "already",
            f"pip already refuses installs outside a virtual environment for this user ({already})",
        )
    python = (
        venv.prefix / "bin" / "python"
        if venv.prefix and venv.action in ("create", "present")
        else opts.python
    )
    if venv.prefix and sys.platform == "win32" and venv.action in ("create", "present"):
        python = venv.prefix / "Scripts" / "python.exe"
    command = (
        str(python),
        "-I",  # never a checkout's pip.py or pip/ folder
        "-m",
        "pip",
        "config",
        "--user",
        "set",
        "global.require-virtualenv",
        "true",
    )
    return GuardStep(
        "set",
        "make pip refuse to install outside a virtual environment, for this user",
        command,
    )


_MERGE_ACTIONS: dict[str, FileAction] = {
    "create": "create",
    "add": "update",
    "update": "update",
    "unchanged": "unchanged",
    "skip": "skip",
}


def _tasks_change(opts: InitOptions, venv: VenvStep) -> FileChange:
    python, python_windows = _task_python(opts.project, venv.prefix)
    path = opts.project / ".vscode" / "tasks.json"
    old = _read(path)
    merged = merge_task(old, vscode_task(python, python_windows), force=opts.force)
    action = _MERGE_ACTIONS[merged.action]
    bad_input = None
    if old is not None and action == "skip":
        try:
            parse_jsonc(old)
        except JsoncError as exc:  # the message names the line and column
            bad_input = f"{path}: not valid JSON with comments ({exc}); the task was not added"
    return FileChange(
        path, ".vscode/tasks.json", action, merged.reason, old, merged.text, bad_input=bad_input
    )


def plan_init(opts: InitOptions) -> InitPlan:
    """Everything ``init`` would do, computed without side effects."""
    project = opts.project
    if not project.is_dir():
        raise EnvironmentProblem(
            f"project folder {project} does not exist", hint="create it or pass --project DIR"
        )
    venv = plan_venv(opts.project, opts.python, opts.environ, create=opts.venv)
    files = [_policy_change(project)]
    notes: list[str] = []
    if opts.vscode:
        files.append(_tasks_change(opts, venv))
    if opts.vscode and files[-1].writes:
        notes.append(
            'VS Code asks once per workspace before it runs folder-open tasks ("Allow '
            'automatic tasks"): allow it for this folder. Folder-open tasks run code when a '
            "folder opens, which attackers use too; pipvet doctor lists the ones pipvet did "
            "not write"
        )
    if opts.vscode and files[-1].writes:
        note = _task_note(opts, venv)
        if note:
            notes.append(note)
    if opts.ci:
        workflow = github_workflow(
            opts.python_version, daily_cron(project.resolve().name), opts.source
        )
        files.append(
            _replaceable(
                project / WORKFLOW_PATH,
                WORKFLOW_PATH,
                workflow,
                managed=True,
                force=opts.force,
                what="CI: update, audit and vet on push, pull request, daily",
            )
        )
    if opts.ci and files[-1].writes:
        notes.append(
            "GitHub disables scheduled workflows in public repositories after 60 days without "
            "activity; re-enable it in the Actions tab if the daily run stops. Uploading SARIF "
            "needs code scanning enabled for the repository"
        )
    if opts.devcontainer:
        files.append(
            _replaceable(
                project / ".devcontainer" / "devcontainer.json",
                ".devcontainer/devcontainer.json",
                devcontainer_json(project.resolve().name, opts.python_version, opts.source),
                managed=True,
                force=opts.force,
                what="runs pipvet update in updateContentCommand",
            )
        )
    files.append(_gitignore_change(project))
    _refuse_links_out(project, files)
    return InitPlan(project, venv, tuple(files), _guard_step(opts, venv), tuple(notes))


def _refuse_links_out(project: Path, files: Sequence[FileChange]) -> None:
    """InputError when a file init would write leads out of the project through a link: a
    checkout's .vscode linked to the user's editor settings, or .gitignore linked to
    ~/.bashrc, would have init write there, or copy that file's content into the project. A
    file left as it is (a pipvet.toml linked to a team's shared policy) may be a link."""
    root = project.resolve()
    outside = [
        (c.display, c.path.resolve())
        for c in files
        if c.writes and not c.path.resolve().is_relative_to(root)
    ]
    if outside:
        raise InputError(
            "pipvet init neither reads nor writes through links that leave the project",
            problems=tuple(f"{shown} leads to {target}" for shown, target in outside),
            hint="replace those links with the project's own files or folders, then run init",
        )


def _task_note(opts: InitOptions, venv: VenvStep) -> str | None:
    """What to install so the task finds pipvet (None: it will)."""
    python, _ = _task_python(opts.project, venv.prefix)
    if python is not None:
        return None
    if shutil.which("pipvet", path=opts.environ.get("PATH", "")) is not None:
        return None
    requirement = opts.source.requirement
    return (
        "the task runs `pipvet update` from PATH, where pipvet is not installed: install it "
        f"for this user (pipx install {requirement}, or uv tool install {requirement}) so "
        "VS Code finds it, or into the project environment "
        f"({_env_python(opts, venv)} -m pip install {requirement}) and run pipvet init again; "
        "pipvet doctor checks that the task's command answers"
    )


def _env_python(opts: InitOptions, venv: VenvStep) -> str:
    prefix = venv.prefix or opts.project / ".venv"
    return _display(opts.project, prefix) + "/bin/python"


def _has_pipvet(prefix: Path | None) -> bool:
    if prefix is None or not prefix.is_dir():
        return False
    patterns = (
        "lib/python*/site-packages/pipvet-*.dist-info",
        "lib/python*/site-packages/__editable__*pipvet*",
        "Lib/site-packages/pipvet-*.dist-info",
    )
    return any(any(prefix.glob(p)) for p in patterns)


# ---------------------------------------------------------------------- applying


def apply_init(plan: InitPlan, runner: Runner) -> InitResult:
    """Create the environment, write the files, set the guard, in that order.

    A failing step raises (EnvironmentProblem / PipError) before anything after it runs.
    """
    created = create_venv(plan.venv, runner)
    written: list[str] = []
    for change in plan.files:
        if change.writes and change.new is not None:
            write_text_atomic(change.path, change.new)
            written.append(change.display)
    guard_set = False
    if plan.guard is not None and plan.guard.action == "set":
        run_command(runner, plan.guard.command, "pip config")
        guard_set = True
    return InitResult(plan, tuple(written), created, guard_set)
