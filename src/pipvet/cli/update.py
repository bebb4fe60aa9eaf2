"""`pipvet update`: upgrade the project's environment with a cooldown, then audit what arrived."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
    write_atomic,
)
from pipvet.cli._context import build_context
from pipvet.cli._options import (
    add_advisory_options,
    add_allow_unchecked,
    add_environment_options,
    advisory_data,
    one_environment,
)
from pipvet.errors import InputError
from pipvet.report.update import UPDATE_FORMATS, render_update
from pipvet.vetting.runner import SubprocessRunner
from pipvet.workflow.update import UpdateOptions, UpdateResult, run_update

DEFAULT_SARIF = "pipvet.sarif"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "update",
        help="upgrade the project's environment (cooldown, final releases), then audit it",
        description=(
            "Ensure the project's virtual environment (creating .venv if there is none), "
            "upgrade pip, then upgrade everything the project's requirements files (and "
            "pyproject.toml) name, eagerly and transitively, final releases only and only "
            "releases older than the policy's cooldown. Security fixes are not delayed. Then "
            "print what changed, audit the environment and show new start-up code, commands "
            "and source builds."
        ),
        epilog="Exit codes: 0 clean; 1 audit findings at or above the fail level or an "
        "unexpected install-surface change; 2 usage error, pip failure, no advisory data, or "
        "anything left unchecked.",
    )
    p.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file to upgrade from (repeatable; default: requirements*.txt and "
        "requirements/*.txt in the project, plus '.' when pyproject.toml has a [project])",
    )
    add_environment_options(
        p,
        python="the interpreter whose environment to update",
        venv="the virtual environment to update",
    )
    p.add_argument(
        "--ci",
        action="store_true",
        help="non-interactive; append markdown to $GITHUB_STEP_SUMMARY when set; write SARIF",
    )
    p.add_argument(
        "--sarif",
        metavar="FILE",
        help=f"also write the SARIF report to FILE (with --ci: default {DEFAULT_SARIF})",
    )
    add_advisory_options(p)
    add_allow_unchecked(p, what="some installed packages could not be checked")
    add_common_options(p, formats=UPDATE_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    apply_output_options(args, out)
    one_environment(args)
    ctx = build_context(args)
    environ = dict(ctx.environ)
    if args.ci:
        environ["PIP_NO_INPUT"] = "1"  # pip must never wait for a prompt in CI
    options = UpdateOptions(
        project=ctx.cwd,
        requirement_files=tuple(Path(r) for r in args.requirement),
        python=Path(args.python) if args.python else None,
        venv=Path(args.venv) if args.venv else None,
    )
    result = run_update(
        options,
        environ=environ,
        runner=SubprocessRunner(env=environ, cwd=str(ctx.cwd)),
        policy=ctx.policy,
        advisories=lambda: advisory_data(ctx, ctx.http(), progress=out.progress),
        clock=ctx.clock,
        note=out.info,
    )
    base_dir = str(ctx.cwd)
    emit(out, render_update(result, args.format, color=out.color, base_dir=base_dir), args.output)
    sarif = args.sarif or (DEFAULT_SARIF if args.ci else None)
    if sarif:
        write_atomic(Path(sarif), render_update(result, "sarif", base_dir=base_dir))
        out.info(f"SARIF written to {sarif}")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if args.ci and summary:
        _append(Path(summary), render_update(result, "markdown"))
        out.info(f"summary appended to {summary}")
    return _exit_code(result, ctx.policy, allow_unchecked=args.allow_unchecked)


def _exit_code(result: UpdateResult, policy: Any, *, allow_unchecked: bool) -> int:
    if result.unchecked and not allow_unchecked:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.fails(policy) else EXIT_OK


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise InputError(
            f"cannot append the summary to {path} ($GITHUB_STEP_SUMMARY): {exc.strerror}"
        ) from exc
