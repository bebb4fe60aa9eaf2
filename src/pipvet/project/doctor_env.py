"""``pipvet doctor``'s checks on the environment itself: which one doctor looks at, whether
it is isolated, and whether pip's guard is on.

``find_environment`` reads files only; ``scan_environment`` asks the environment's interpreter
for its site-packages folders through the runner passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import PipvetError
from pipvet.frozen import frozen
from pipvet.inputs import installed as environment
from pipvet.inputs import interpreter
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.project.guard import (
    TRUE_VALUES,
    config_requires_venv,
    system_pip_configs,
    user_guard_set,
)
from pipvet.project.model import Check
from pipvet.system.process import Runner

__all__ = ["DoctorEnv", "find_environment", "guard_check", "isolation_check", "scan_environment"]


@frozen
class DoctorEnv:
    target: interpreter.Target | None
    kind: str  # "venv", "conda", "system", "none"
    problem: str | None = None


def find_environment(project: Path, environ: Mapping[str, str], running: Path) -> DoctorEnv:
    try:
        target = interpreter.discover_target(environ, project, running)
    except PipvetError as exc:
        return DoctorEnv(None, "none", exc.message)
    if target.source == "running":
        return DoctorEnv(target, "none")
    return DoctorEnv(target, "conda" if target.source == "conda" else "venv")


def scan_environment(env: DoctorEnv, runner: Runner) -> EnvironmentScan | None:
    if env.target is None or env.kind == "none":
        return None
    try:
        return environment.read_environment(interpreter.site_packages_of(env.target.python, runner))
    except PipvetError:
        return None


def isolation_check(env: DoctorEnv) -> Check:
    title = "Isolated environment"
    if env.problem:
        return Check(
            "environment",
            title,
            "fail",
            env.problem,
            fix="pipvet init   (creates .venv with the Python that runs pipvet)",
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


def guard_check(env: DoctorEnv, environ: Mapping[str, str]) -> Check:
    title = "pip refuses installs outside an environment"
    evidence: list[str] = []
    if environ.get("PIP_REQUIRE_VIRTUALENV", "").strip().lower() in TRUE_VALUES:
        evidence.append("PIP_REQUIRE_VIRTUALENV is set")
    user = user_guard_set(environ)
    if user is not None:
        evidence.append(f"require-virtualenv = true in {user}")
    for path in system_pip_configs(environ):
        if config_requires_venv(path):
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
        fix="pipvet init --guard-pip   (sets global.require-virtualenv true in your user "
        "pip configuration file)",
    )
