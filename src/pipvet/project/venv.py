"""The project's environment: which one a project has, and creating ``.venv``.

Shared by ``pipvet init`` (which plans and creates it) and ``pipvet update`` (which creates it
when a project has none). ``plan_venv`` only reads; ``create_venv`` and ``run_command`` start
processes through the runner passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipvet.errors import EnvironmentProblem, PipError
from pipvet.inputs.interpreter import discover_target
from pipvet.project.model import VenvStep
from pipvet.system.process import Runner

__all__ = ["create_venv", "plan_venv", "run_command"]


def plan_venv(
    project: Path, python: Path, environ: Mapping[str, str], *, create: bool = True
) -> VenvStep:
    """What to do about the project's environment (shared with ``pipvet update``).

    "present": the project has ``.venv`` / ``venv``; "active": a virtual or conda
    environment is active, so none is created; "create": ``python -m venv .venv`` (the
    ``command``); "skip": ``create`` is False, or ``.venv`` exists but is no environment.
    """
    target = discover_target(environ, project, python)
    if target.source == "project-venv":
        return VenvStep("present", target.prefix, f"found {target.prefix}; nothing created")
    if target.source in ("virtual-env", "conda"):
        kind = "virtual" if target.source == "virtual-env" else "conda"
        return VenvStep(
            "active",
            target.prefix,
            f"a {kind} environment is active ({target.prefix}); no .venv created. "
            "Deactivate it and run pipvet init again for a project environment",
        )
    venv = project / ".venv"
    if not create:
        return VenvStep("skip", None, "not creating .venv (--no-venv)")
    if venv.exists():
        return VenvStep(
            "skip", None, f"{venv} exists but is not a virtual environment (no pyvenv.cfg)"
        )
    command = (str(python), "-I", "-m", "venv", str(venv))  # never a checkout's venv/ folder
    return VenvStep("create", venv, f"with {python}", command)


def create_venv(step: VenvStep, runner: Runner) -> bool:
    """Run the step's ``python -m venv`` when it says "create"; True when it created one.

    Raises EnvironmentProblem with the tool's last line of output when that fails.
    """
    if step.action != "create":
        return False
    try:
        run_command(runner, step.command, "creating .venv")
    except PipError as exc:
        raise EnvironmentProblem(exc.message, hint=exc.hint) from None
    return True


def run_command(runner: Runner, command: Sequence[str], what: str) -> None:
    """Run one set-up command; a failure is a PipError naming ``what`` and the last line of
    its output."""
    try:
        proc = runner(command)
    except EnvironmentProblem as exc:
        raise PipError(f"{what} failed: {exc.message}", hint=exc.hint) from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise PipError(
            f"{what} failed (exit {proc.returncode}): {detail[-1] if detail else 'no output'}",
            hint="run the command yourself to see the full output: " + " ".join(command),
        )
