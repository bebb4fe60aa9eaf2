"""``pipvet doctor``'s checks on the project's own files: requirements that float (floors,
not pins or lock files), index options, the IDE's folder-open task and the CI workflow.

Reads files; the one process is the IDE task's own command asked for ``--version`` (through
the runner passed in), so a task that would fail on every folder open does not pass.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipvet import __version__
from pipvet.errors import EnvironmentProblem, PipvetError
from pipvet.inputs.requirements import parse_pyproject, parse_requirements_file
from pipvet.inputs.requirements_model import RequirementsFile
from pipvet.project.model import Check
from pipvet.project.templates import inspect_workflow
from pipvet.project.vscode import inspect_tasks
from pipvet.system.files import read_checked_text
from pipvet.system.process import Runner

__all__ = [
    "LOCK_FILES",
    "ci_check",
    "floors_check",
    "ide_task_check",
    "index_check",
    "parse_requirements",
]


LOCK_FILES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml")


def parse_requirements(
    project: Path, files: Sequence[Path], environ: Mapping[str, str]
) -> tuple[list[RequirementsFile], list[str]]:
    parsed: list[RequirementsFile] = []
    problems: list[str] = []
    candidates = list(files)
    if (project / "pyproject.toml").is_file():
        candidates.append(project / "pyproject.toml")
    for path in candidates:
        try:
            if path.name == "pyproject.toml":
                parsed.append(parse_pyproject(path))
            else:
                parsed.append(parse_requirements_file(path, environ=environ))
        except PipvetError as exc:
            problems.append(str(exc).splitlines()[0])
    return parsed, problems


def floors_check(
    project: Path, parsed: Sequence[RequirementsFile], problems: Sequence[str]
) -> Check:
    title = "Requirements use floors, not pins"
    if problems:
        return Check(
            "floors",
            title,
            "fail",
            "a requirements file cannot be read",
            tuple(problems),
            fix="fix the lines named above",
        )
    locks = [name for name in LOCK_FILES if (project / name).is_file()]
    pins = [
        f"{e.location}: {e.raw.strip()}"
        for f in parsed
        for e in f.entries
        if e.pinned_version is not None or any(s.operator in ("==", "===") for s in e.specifier)
    ]
    entries = sum(len(f.entries) for f in parsed)
    evidence = tuple(pins[:8]) + tuple(
        f"{name}: a lock file freezes every version in time; updates need a re-lock"
        for name in locks
    )
    if pins or locks:
        what = []
        if pins:
            what.append(f"{len(pins)} exact pin{'s' if len(pins) != 1 else ''}")
        if locks:
            what.append(", ".join(locks))
        return Check(
            "floors",
            title,
            "warn",
            f"frozen in time: {' and '.join(what)}; pinned versions never receive fixes "
            "unless someone bumps them",
            evidence,
            fix="pipvet relax   (rewrites == pins as >= floors)",
        )
    if entries == 0:
        return Check(
            "floors",
            title,
            "warn",
            "no requirements found (*requirements*.txt/.in, "
            "requirements/*.txt/.in, pyproject.toml dependencies)",
            fix="declare dependencies with minimum versions in requirements.txt",
        )
    return Check("floors", title, "pass", f"{entries} requirements, none pinned")


def index_check(parsed: Sequence[RequirementsFile], environ: Mapping[str, str]) -> Check:
    title = "No risky index options"
    bad: list[str] = []
    for f in parsed:
        for opt in f.options:
            if opt.option == "--extra-index-url":
                bad.append(
                    f"{opt.location}: --extra-index-url: pip takes the highest version "
                    "from any index, so a public package with your internal name wins "
                    "(dependency confusion)"
                )
            elif opt.option == "--trusted-host":
                bad.append(
                    f"{opt.location}: --trusted-host {opt.value}: downloads without "
                    "TLS verification can be swapped in transit"
                )
            elif opt.option == "--index-url" and (opt.value or "").startswith("http://"):
                bad.append(f"{opt.location}: --index-url over plain http")
    for name in ("PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST"):
        if environ.get(name):
            bad.append(f"{name} is set in the environment")
    if bad:
        return Check(
            "index-options",
            title,
            "fail",
            f"{len(bad)} risky index option{'s' if len(bad) != 1 else ''}",
            tuple(bad),
            fix="use one --index-url that proxies everything (internal names first), with TLS; "
            "delete --extra-index-url and --trusted-host",
        )
    return Check("index-options", title, "pass", "no --extra-index-url or --trusted-host")


def ide_task_check(project: Path, environ: Mapping[str, str], runner: Runner) -> Check:
    title = "IDE runs pipvet update on folder open"
    path = project / ".vscode" / "tasks.json"
    if not path.is_file():
        return Check(
            "ide-task",
            title,
            "warn",
            "no .vscode/tasks.json",
            fix="pipvet init   (writes the folder-open task)",
        )
    seen = inspect_tasks(read_checked_text(path))
    if seen.error:
        return Check(
            "ide-task",
            title,
            "warn",
            f"{path} cannot be read: {seen.error}",
            fix=f"fix the JSON in {path}, then: pipvet init",
        )
    match seen.pipvet:
        case "ok":
            return _task_runs_check(project, path, seen.argv, environ, runner)
        case "modified":
            return Check(
                "ide-task",
                title,
                "fail",
                "pipvet's folder-open task was changed since pipvet wrote it: it runs "
                "automatically when the folder opens, so review the change",
                (str(path),),
                fix="pipvet init --force   (after reviewing the change)",
            )
        case "foreign":
            return Check(
                "ide-task",
                title,
                "fail",
                "a task uses pipvet's label but pipvet did not write it",
                (str(path),),
                fix="review it, then: pipvet init --force",
            )
        case _:
            return Check(
                "ide-task",
                title,
                "warn",
                "tasks.json has no pipvet task",
                (str(path),),
                fix="pipvet init",
            )


def _task_runs_check(
    project: Path,
    path: Path,
    argv: tuple[str, ...],
    environ: Mapping[str, str],
    runner: Runner,
) -> Check:
    """pipvet's task is unchanged; does the command it runs exist and answer ``--version``?"""
    title = "IDE runs pipvet update on folder open"
    pin = f"pipvet=={__version__}"  # never an unpinned name: see project.pipvet_source
    fix = (
        f"install pipvet where the task looks for it: for this user (pipx install {pin}, or "
        f"uv tool install {pin}) for a task that runs pipvet from PATH, or into the project "
        f"environment (.venv/bin/python -m pip install {pin}), then: pipvet init"
    )
    shown = " ".join(argv)
    if not _task_shape_ok(argv):
        # The fingerprint is no secret: anyone can write a matching one. Run only the two
        # commands pipvet writes, never whatever a cloned repository put there.
        return Check(
            "ide-task",
            title,
            "fail",
            f"pipvet's task runs {shown!r}, which is not a command pipvet writes",
            (str(path),),
            fix="review it, then: pipvet init --force",
        )
    command = argv[0].replace("${workspaceFolder}", str(project))
    if argv[0] != "pipvet" and not (Path(command).parent.parent / "pyvenv.cfg").is_file():
        return Check(
            "ide-task",
            title,
            "fail",
            f"pipvet's task runs {shown}, but {Path(command).parent.parent} is not a virtual "
            "environment: pipvet does not run it",
            (str(path),),
            fix="review it, then: pipvet init --force",
        )
    if argv[0] != "pipvet":
        from pipvet.inputs.interpreter import project_venv_python

        try:  # the same test as for a .venv found in the folder: a checkout can bring one
            project_venv_python(Path(command).parent.parent, project)
        except EnvironmentProblem as exc:
            return Check(
                "ide-task",
                title,
                "fail",
                f"pipvet's task runs {shown}, which pipvet does not run: {exc.message}",
                (str(path),),
                fix="review it, then: pipvet init --force",
            )
    if argv[0] == "pipvet":
        found = shutil.which(command, path=environ.get("PATH", ""))
        if found is None:
            return Check(
                "ide-task",
                title,
                "fail",
                f"the task runs {shown}, but there is no {command} on PATH: it fails every "
                "time the folder opens",
                (str(path), f"PATH={environ.get('PATH', '')}"),
                fix=fix,
            )
        command = found
    # -I: the checkout's own folders are not imported in place of pipvet (see interpreter).
    isolated = ("-I",) if argv[0] != "pipvet" else ()
    probe = (command, *isolated, *argv[1:-1], "--version")
    try:
        answer = runner(probe, timeout=60)
    except EnvironmentProblem as exc:
        why, detail = "cannot be run", str(exc)
    else:
        if answer.returncode == 0 and answer.stdout.startswith("pipvet "):
            return Check(
                "ide-task",
                title,
                "pass",
                f"pipvet's task is present and unchanged, and {answer.stdout.strip()} answers",
                (str(path), " ".join(probe)),
            )
        why = f"does not answer --version (exit {answer.returncode})"
        lines = (answer.stderr or answer.stdout).strip().splitlines()
        detail = lines[-1] if lines else "no output"
    return Check(
        "ide-task",
        title,
        "fail",
        f"the task runs {shown}, but {' '.join(probe)} {why}: it fails every time the folder opens",
        (str(path), detail),
        fix=fix,
    )


_VENV_PYTHON = re.compile(r"\$\{workspaceFolder\}/(?:[A-Za-z0-9._-]+/)*bin/python")


def _task_shape_ok(argv: tuple[str, ...]) -> bool:
    if argv == ("pipvet", "update"):
        return True
    venv = len(argv) == 4 and argv[1:] == ("-m", "pipvet", "update")
    return venv and bool(_VENV_PYTHON.fullmatch(argv[0])) and "/../" not in argv[0] + "/"


def ci_check(project: Path) -> Check:
    title = "CI workflow updates and audits on a schedule"
    folder = project / ".github" / "workflows"
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    running: list[tuple[Path, bool, bool]] = []
    for path in files:
        seen = inspect_workflow(read_checked_text(path))
        if seen.runs_pipvet:
            running.append((path, seen.has_schedule, seen.modified))
    if not running:
        return Check(
            "ci-workflow",
            title,
            "warn",
            "no workflow runs pipvet",
            tuple(str(p) for p in files),
            fix="pipvet init   (writes .github/workflows/pipvet.yml)",
        )
    evidence = tuple(
        f"{p}: {'scheduled' if s else 'no schedule'}"
        + (", changed since pipvet wrote it" if m else "")
        for p, s, m in running
    )
    if not any(s for _, s, _ in running):
        return Check(
            "ci-workflow",
            title,
            "warn",
            "pipvet runs in CI but not on a schedule: new advisories for unchanged "
            "code are only seen on the next push",
            evidence,
            fix="add a daily 'schedule: - cron' trigger (pipvet init writes one)",
        )
    return Check(
        "ci-workflow",
        title,
        "pass",
        "pipvet runs in CI on a schedule (GitHub disables schedules after 60 days "
        "without repository activity)",
        evidence,
    )
