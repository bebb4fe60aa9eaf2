"""`pipvet doctor`: score the project and machine against the safe-dependency routine."""

from __future__ import annotations

from pipvet.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
)
from pipvet.report.formats import DOCTOR_FORMATS

# Not typing's (see cli._common); the checks and their renderer are imported by ``handle``:
# `pipvet doctor --help` needs only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "doctor",
        help="score this project and machine against the safe-dependency routine",
        description=(
            "Check each practice (isolated environment, pip's guard, requirement floors, index "
            "options, IDE and CI automation, audit, start-up code, auto-run hooks, credential "
            "exposure) and print pass / warn / fail with the evidence and the command that "
            "fixes it. Uses cached advisory data only; never downloads."
        ),
        epilog="Exit codes: 0 nothing failed (warnings allowed); 1 at least one check failed; "
        "2 usage error.",
    )
    add_common_options(p, formats=DOCTOR_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.cli._context import build_context
    from pipvet.project.doctor import run_doctor
    from pipvet.report.doctor import render_doctor

    apply_output_options(args, out)
    ctx = build_context(args)
    home = Path(ctx.environ.get("HOME") or Path.home())
    report = run_doctor(
        ctx.cwd,
        environ=ctx.environ,
        home=home,
        policy=ctx.policy,
        sources=ctx.sources,
        http=ctx.http(),
        cache_dir=ctx.cache_dir,
        clock=ctx.clock,
        runner=ctx.runner(),
    )
    emit(out, render_doctor(report, args.format, color=out.color), args.output)
    return EXIT_FINDINGS if report.failed else EXIT_OK
