"""``pipvet doctor``: how this project and machine score against the safe-dependency routine.

Each check is pass / warn / fail with the evidence it saw and the one command that fixes it.
Checks read files and metadata only; the subprocesses are the environment's interpreter
asked for its site-packages folders (with ``-S -E``: its ``.pth`` files are not run) and the
IDE task's command asked for ``--version``. The
audit uses the advisory data already cached (never a download) and says when there is none.

This module runs the checks in order; they live by theme in ``doctor_env`` (isolation, pip's
guard), ``doctor_files`` (requirements, index options, IDE task, CI) and ``doctor_content``
(audit, start-up code, auto-run hooks, credentials).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from pipvet.inputs.discover import discover_requirement_files
from pipvet.policy import Policy, Sources
from pipvet.project.doctor_content import (
    audit_check,
    exposure_check,
    persistence_check,
    startup_code_check,
)
from pipvet.project.doctor_env import (
    find_environment,
    guard_check,
    isolation_check,
    scan_environment,
)
from pipvet.project.doctor_files import (
    ci_check,
    floors_check,
    ide_task_check,
    index_check,
    parse_requirements,
)
from pipvet.project.model import DoctorReport
from pipvet.system.http import HttpClient
from pipvet.system.process import Runner

__all__ = ["run_doctor"]


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
    env = find_environment(project, environ, running_python or Path(sys.executable))
    requirement_files = discover_requirement_files(project)
    parsed, problems = parse_requirements(project, requirement_files, environ)
    scan = scan_environment(env, runner)
    checks = [
        isolation_check(env),
        guard_check(env, environ),
        floors_check(project, parsed, problems),
        index_check(parsed, environ),
        ide_task_check(project, environ, runner),
        ci_check(project),
        audit_check(env, environ, project, policy, sources, http, cache_dir, clock, runner),
        startup_code_check(env, scan),
        persistence_check(project),
        exposure_check(home, environ, project),
    ]
    return DoctorReport(str(project), tuple(checks))
