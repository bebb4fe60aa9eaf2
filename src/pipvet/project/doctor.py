"""``pipvet doctor``: how this project and machine score against the safe-dependency routine.

Each check is pass / warn / fail with the evidence it saw and the one command that fixes it.
Checks read files and metadata only; the one subprocess is the environment's interpreter
asked for its site-packages folders (with ``-S -E``: its ``.pth`` files are not run). The
audit uses the advisory data already cached (never a download) and says when there is none.
"""

from __future__ import annotations

import configparser
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipvet.audit import run as auditing
from pipvet.errors import PipvetError
from pipvet.exposure.inventory import scan_exposure
from pipvet.exposure.model import summarize
from pipvet.inputs import installed as environment
from pipvet.inputs import interpreter
from pipvet.inputs.discover import discover_requirement_files
from pipvet.inputs.requirements import RequirementsFile, parse_pyproject, parse_requirements_file
from pipvet.policy import Policy, Sources, fails
from pipvet.project.init import user_guard_set
from pipvet.project.model import Check, DoctorReport
from pipvet.project.templates import inspect_workflow
from pipvet.project.vscode import inspect_tasks
from pipvet.system.http import HttpClient
from pipvet.system.process import Runner

__all__ = ["run_doctor"]

LOCK_FILES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml")
_TRUE = ("true", "yes", "1", "on")


@dataclass(frozen=True)
class _Env:
    target: interpreter.Target | None
    kind: str  # "venv", "conda", "system", "none"
    problem: str | None = None


def run_doctor(
    project: Path,
    *,
    environ: Mapping[str, str],
    home: Path,
    policy: Policy,
    sources: Sources,
    http: HttpClient,
    cache_dir: Path,
    clock: Callable[[], float],
    runner: Runner,
    running_python: Path | None = None,
) -> DoctorReport:
    """Run every check against ``project`` with this environment and home folder."""
    env = _environment(project, environ, running_python or Path(sys.executable))
    requirement_files = discover_requirement_files(project)
    parsed, problems = _parse_requirements(project, requirement_files, environ)
    scan = _scan(env, runner)
    checks = [
        _isolation_check(env),
        _guard_check(env, environ),
        _floors_check(project, parsed, problems),
        _index_check(parsed, environ),
        _ide_task_check(project),
        _ci_check(project),
        _audit_check(env, environ, project, policy, sources, http, cache_dir, clock, runner),
        _startup_code_check(env, scan),
        _persistence_check(project),
        _exposure_check(home, environ, project),
    ]
    return DoctorReport(str(project), tuple(checks))


# ---------------------------------------------------------------------------- environment


def _environment(project: Path, environ: Mapping[str, str], running: Path) -> _Env:
    try:
        target = interpreter.discover_target(environ, project, running)
    except PipvetError as exc:
        return _Env(None, "none", exc.message)
    if target.source == "running":
        return _Env(target, "none")
    return _Env(target, "conda" if target.source == "conda" else "venv")


def _scan(env: _Env, runner: Runner) -> environment.EnvironmentScan | None:
    if env.target is None or env.kind == "none":
        return None
    try:
        return environment.read_environment(interpreter.site_packages_of(env.target.python, runner))
    except PipvetError:
        return None


def _isolation_check(env: _Env) -> Check:
    title = "Isolated environment"
    if env.problem:
        return Check(
            "environment",
            title,
            "fail",
            env.problem,
            fix="python -m venv .venv   (or: pipvet init)",
        )
    assert env.target is not None
    if env.kind == "none":
        return Check(
            "environment",
            title,
            "fail",
            "no virtual environment: none is active and the project has no .venv or venv, "
            "so installs would go into " + str(env.target.python),
            fix="pipvet init   (creates .venv)",
        )
    what = "conda environment (counts as isolated)" if env.kind == "conda" else "virtual env"
    return Check(
        "environment",
        title,
        "pass",
        f"{what}: {env.target.description}",
        (f"interpreter: {env.target.python}",),
    )


def _guard_check(env: _Env, environ: Mapping[str, str]) -> Check:
    title = "pip refuses installs outside an environment"
    evidence: list[str] = []
    if environ.get("PIP_REQUIRE_VIRTUALENV", "").strip().lower() in _TRUE:
        evidence.append("PIP_REQUIRE_VIRTUALENV is set")
    user = user_guard_set(environ)
    if user is not None:
        evidence.append(f"require-virtualenv = true in {user}")
    for path in _other_pip_configs(environ):
        if _config_requires_venv(path):
            evidence.append(f"require-virtualenv = true in {path}")
    if evidence:
        return Check("pip-guard", title, "pass", "pip's guard is on", tuple(evidence))
    if env.kind == "conda":
        return Check(
            "pip-guard",
            title,
            "warn",
            "pip's guard is off; with conda it would also block installs into conda "
            "environments, so use pipvet's commands (they refuse a system Python) instead",
            fix="pipvet update   (refuses a system Python)",
        )
    return Check(
        "pip-guard",
        title,
        "warn",
        "pip's guard is off: a 'pip install' typed outside the environment changes the "
        "system or user Python",
        fix="pipvet init --guard-pip   (python -m pip config --user set "
        "global.require-virtualenv true)",
    )


def _other_pip_configs(environ: Mapping[str, str]) -> list[Path]:
    paths = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf")]
    if environ.get("PIP_CONFIG_FILE"):
        paths.append(Path(environ["PIP_CONFIG_FILE"]))
    return paths


def _config_requires_venv(path: Path) -> bool:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return False
    return any(
        parser.get(section, key, fallback="").strip().lower() in _TRUE
        for section in ("global", "install")
        for key in ("require-virtualenv", "require_virtualenv")
    )


# ---------------------------------------------------------------------------- requirements


def _parse_requirements(
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


def _floors_check(
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


def _index_check(parsed: Sequence[RequirementsFile], environ: Mapping[str, str]) -> Check:
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


# ---------------------------------------------------------------------------- automation


def _ide_task_check(project: Path) -> Check:
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
    seen = inspect_tasks(path.read_text(encoding="utf-8", errors="replace"))
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
            return Check(
                "ide-task", title, "pass", "pipvet's task is present and unchanged", (str(path),)
            )
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


def _ci_check(project: Path) -> Check:
    title = "CI workflow updates and audits on a schedule"
    folder = project / ".github" / "workflows"
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    running: list[tuple[Path, bool, bool]] = []
    for path in files:
        seen = inspect_workflow(path.read_text(encoding="utf-8", errors="replace"))
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


# ---------------------------------------------------------------------------- environment content


def _audit_check(  # noqa: PLR0917
    env: _Env,
    environ: Mapping[str, str],
    project: Path,
    policy: Policy,
    sources: Sources,
    http: HttpClient,
    cache_dir: Path,
    clock: Callable[[], float],
    runner: Runner,
) -> Check:
    title = "Audit of the environment"
    if env.target is None or env.kind == "none":
        return Check(
            "audit",
            title,
            "warn",
            "no project environment to audit",
            fix="pipvet init && pipvet update",
        )
    try:
        outcome = auditing.prepare_advisories(
            sources, http, cache_dir=cache_dir, policy=policy, offline=True, clock=clock
        )
        collected = auditing.collect(
            auditing.Inputs(python=env.target.python), environ=environ, cwd=project, runner=runner
        )
        report = auditing.audit(collected, outcome, policy=policy, clock=clock)
    except PipvetError as exc:
        return Check(
            "audit",
            title,
            "warn",
            f"not audited: {exc.message} (doctor uses cached advisory data only)",
            fix="pipvet db sync   (then run pipvet doctor again)",
        )
    active = report.active_findings
    evidence = tuple(f"{d.label} {d.version}: {f.id} ({f.kind})" for d, f in active[:8])
    data = f"advisory data: {report.snapshot.records} records from {report.snapshot.source}"
    if fails(report, policy):
        return Check(
            "audit",
            title,
            "fail",
            f"{len(active)} known vulnerabilit{'ies' if len(active) != 1 else 'y'} "
            f"or malware in the environment",
            (*evidence, data),
            fix="pipvet update   (then pipvet audit for details)",
        )
    if report.unchecked:
        return Check(
            "audit",
            title,
            "warn",
            f"{len(report.unchecked)} installed package(s) could not be checked",
            tuple(r.dependency.skipped or "" for r in report.unchecked[:5]),
            fix="pipvet audit   (lists what could not be checked and why)",
        )
    return Check(
        "audit",
        title,
        "pass",
        f"no known vulnerabilities in {len(report.results)} installed packages",
        (data,),
    )


def _startup_code_check(env: _Env, scan: environment.EnvironmentScan | None) -> Check:
    title = "No start-up code that no package owns"
    if scan is None:
        return Check("startup-code", title, "warn", "no environment to inspect", fix="pipvet init")
    executable = [p for p in scan.pth_files if p.executes_code]
    owners = scan.owners(p.path for p in executable)
    orphans = [p for p in executable if p.path not in owners]
    if orphans:
        return Check(
            "startup-code",
            title,
            "fail",
            f"{len(orphans)} .pth file(s) run code at every Python start-up and no installed "
            "package's RECORD lists them: a known persistence trick",
            tuple(f"{p.path}: {'; '.join(p.code_lines[:2])[:120]}" for p in orphans),
            fix=f"inspect and delete them (rm {orphans[0].path}); if unexplained, recreate "
            "the environment",
        )
    owned = tuple(f"{p.path.name} (from {owners[p.path].display_name})" for p in executable)
    return Check(
        "startup-code",
        title,
        "pass",
        f"{len(executable)} executable .pth file(s), all owned by a package",
        owned,
    )


def _persistence_check(project: Path) -> Check:
    title = "No unexpected auto-run hooks (IDE, agents)"
    evidence: list[str] = []
    tasks = project / ".vscode" / "tasks.json"
    if tasks.is_file():
        seen = inspect_tasks(tasks.read_text(encoding="utf-8", errors="replace"))
        evidence += [
            f"{tasks}: task '{label}' runs on folder open and was not written by pipvet"
            for label in seen.folder_open
        ]
    for name in ("settings.json", "settings.local.json"):
        path = project / ".claude" / name
        evidence += _agent_hooks(path)
    if evidence:
        return Check(
            "persistence",
            title,
            "warn",
            "commands run automatically when the project is opened or an agent acts in it: a "
            "possible persistence mechanism, check each one is yours",
            tuple(evidence),
            fix="review each command above and delete the ones you did not add",
        )
    return Check(
        "persistence", title, "pass", "no folder-open tasks or agent hooks besides pipvet's"
    )


def _agent_hooks(path: Path) -> list[str]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [f"{path}: cannot be read as JSON (check it by hand)"]
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, dict):
        return []
    return [
        f"{path}: hook on {event}: {'; '.join(_commands(spec))[:160]}"
        for event, spec in hooks.items()
    ]


def _commands(spec: object) -> Iterable[str]:
    if isinstance(spec, dict):
        if isinstance(spec.get("command"), str):
            yield spec["command"]
        for value in spec.values():
            if isinstance(value, (list, dict)):
                yield from _commands(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _commands(item)


def _exposure_check(home: Path, environ: Mapping[str, str], project: Path) -> Check:
    title = "Credentials a package could read"
    summary = summarize(scan_exposure(home, environ, project))
    if summary.exposed == 0:
        return Check("exposure", title, "pass", "no credentials found in reach")
    harms = ", ".join(f"{n} {h.name.lower().replace('_', ' ')}" for h, n in summary.by_harm)
    return Check(
        "exposure",
        title,
        "warn",
        f"{summary.exposed} credential(s) readable by any installed package, "
        f"{summary.long_lived} long-lived or of unknown lifetime ({harms})",
        summary.top,
        fix="pipvet exposure   (what each one is and how to move it out of reach)",
    )
