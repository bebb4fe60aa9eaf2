"""``pipvet relax``: rewrite exact pins (==) in requirements as minimum bounds (>=)."""

from __future__ import annotations

from pipvet.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
)
from pipvet.errors import InputError, UsageError

# Not typing's (see cli._common); the rewriting and its renderer are imported by ``run``:
# `pipvet relax --help` needs only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "relax",
        help="rewrite exact pins (==) in requirements as minimum bounds (>=)",
        description=(
            "Rewrite exact pins (NAME==X) as minimum bounds (NAME>=X) in requirements files "
            "(following -r includes) and in pyproject.toml dependency arrays, keeping "
            "comments, markers, extras, line order and line endings. --hash options are "
            "removed (hash checking needs pins). Constraints files (-c) and lock files are "
            "reported, never changed. Wildcards become floors (==1.4.* -> >=1.4); ===, local "
            "versions (+cpu), versions from an environment variable (==${VAR}), URLs, "
            "paths, VCS and editable installs are reported as not relaxed. A file that "
            "cannot be parsed stops the whole run: nothing is written."
        ),
        epilog="Exit codes: 0 done (or nothing to do); 1 with --check, there is something to "
        "relax; 2 a file could not be read or parsed.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="requirements files or pyproject.toml (default: *requirements*.txt/.in, "
        "requirements/*.txt/.in and pyproject.toml in the project folder)",
    )
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file or pyproject.toml to relax, as for the other commands; "
        "repeatable, and the same as naming FILE",
    )
    parser.add_argument(
        "--project", metavar="DIR", default=".", help="project folder (default: here)"
    )
    parser.add_argument(
        "--no-pyproject",
        action="store_true",
        help="leave pyproject.toml alone when discovering files",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the diff of every change; write nothing"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when there is something to relax (the pre-commit hook "
        "pipvet-relax: a file that gains an exact pin fails)",
    )
    add_common_options(parser, formats=("text", "json"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.project.relax import apply_relax, plan_relax
    from pipvet.report.relax import render_relax_json, render_relax_text

    apply_output_options(args, out)
    project = Path(args.project)
    if not project.is_dir():
        raise UsageError(
            f"project folder {project} does not exist", hint="pass an existing folder to --project"
        )
    paths = [Path(f) for f in (*args.files, *args.requirement)]
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path} is not a file", hint="check the file names given")
    plan = plan_relax(project, paths, pyproject=not args.no_pyproject)
    if plan.problems:
        raise InputError(
            "nothing was relaxed: some requirements could not be read",
            problems=plan.problems,
            hint="fix the lines listed above, then run pipvet relax again",
        )
    written: tuple[str, ...] = ()
    dry_run = args.dry_run or args.check
    if not dry_run:
        paths_written = apply_relax(plan)
        names = {f.path: f.display for f in plan.files}
        written = tuple(names[p] for p in paths_written)
    render = render_relax_json if args.format == "json" else render_relax_text
    emit(out, render(plan, dry_run=dry_run, written=written), args.output)
    return EXIT_FINDINGS if args.check and plan.changed else EXIT_OK
