"""Which environment ``pipvet update`` changes: the one named, else the active or project
virtual environment or the active conda environment, else a new ``.venv`` (only in a
project: a folder with requirements or a pyproject.toml, unless ``create_venv``). A system
interpreter is refused.

Reads ``pyvenv.cfg`` / ``conda-meta`` from disk; creating ``.venv`` runs through the runner
passed in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from pipvet.errors import EnvironmentProblem
from pipvet.inputs import interpreter
from pipvet.inputs.discover import discover_requirement_files
from pipvet.system.process import Runner
from pipvet.update.model import Environment, UpdateOptions

__all__ = ["ensure_environment"]


def ensure_environment(
    options: UpdateOptions,
    *,
    environ: Mapping[str, str],
    runner: Runner,
    note: Callable[[str], None],
) -> Environment:
    """The environment to update (see the module docstring); EnvironmentProblem for a system
    interpreter or when none exists and ``options.create`` is off."""
    if options.venv is not None:
        python = interpreter.venv_python(options.venv)
        return _checked(python, f"the virtual environment {options.venv}")
    if options.python is not None:
        return _checked(options.python, f"the interpreter {options.python}")
    found = interpreter.discover_target(environ, options.project, Path(sys.executable))
    if found.source != "running":
        assert found.prefix is not None
        kind = "conda" if found.source == "conda" else "venv"
        return Environment(found.python, found.prefix, kind, found.description)
    from pipvet.project.venv import create_venv, plan_venv

    if not options.create_venv and not _is_project(options):
        raise EnvironmentProblem(
            f"{options.project} is not a project: it has no requirements file, no "
            "pyproject.toml and no virtual environment, so there is nothing to update "
            "(nothing was created)",
            hint="start a project here with: pipvet init (or pipvet update --create-venv to "
            "create .venv anyway)",
        )
    step = plan_venv(options.project, Path(sys.executable), environ, create=options.create)
    if step.action != "create" or step.prefix is None:
        raise EnvironmentProblem(
            f"no virtual environment to update: {step.description}",
            hint="create one with: pipvet init (or pipvet update --create-venv)",
        )
    note(f"creating the virtual environment {step.prefix} {step.description}")
    create_venv(step, runner)
    return Environment(
        interpreter.venv_python(step.prefix),
        step.prefix,
        "venv",
        f"the new virtual environment {step.prefix}",
        created=True,
    )


def _is_project(options: UpdateOptions) -> bool:
    """Requirements named or found, or a pyproject.toml: a folder worth a ``.venv``."""
    return bool(
        options.requirement_files
        or discover_requirement_files(options.project)
        or (options.project / "pyproject.toml").is_file()
    )


def _checked(python: Path, description: str) -> Environment:
    # The prefix is read from disk (pyvenv.cfg or conda-meta), without running anything.
    for prefix in (python.parent.parent, python.parent):
        kind = interpreter.environment_kind(prefix)
        if kind != "system":
            return Environment(python, prefix, kind, description)
    raise EnvironmentProblem(
        f"{description} is not a virtual or conda environment: pipvet update will not "
        "change a system Python (every program that uses it would change too)",
        hint="create a project environment (pipvet init) and run pipvet update there",
    )
