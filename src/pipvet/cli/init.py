"""``pipvet init``: set a project up for the init-and-update routine."""

from __future__ import annotations

import os
import sys

from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
)

# Not typing's (see cli._common); what init plans, writes and prints is imported by ``run``:
# `pipvet init --help` needs only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "init",
        help="set the project up: .venv, policy, IDE task, CI workflow",
        description=(
            "Set a project up for the init-and-update routine: create .venv with this Python "
            "when the project has no environment (nothing is installed into it), write the "
            "policy ([tool.pipvet] in pyproject.toml, else pipvet.toml), a VS Code folder-open "
            "task that runs pipvet update, a GitHub Actions workflow, and .venv/ in "
            ".gitignore. Running it again writes nothing. A file pipvet did not write, or "
            "wrote and someone changed since, is never replaced without --force; an existing "
            "policy is always kept."
        ),
        epilog="Exit codes: 0 done; 2 a step failed, or a file could not be read or parsed "
        "(the other files are still written; the file that could not be parsed is named).",
    )
    parser.add_argument(
        "--project", metavar="DIR", default=".", help="project folder (default: here)"
    )
    parser.add_argument(
        "--guard-pip",
        action="store_true",
        help="make pip refuse installs outside a virtual environment, for this user "
        "(pip config --user set global.require-virtualenv true; not under conda)",
    )
    parser.add_argument(
        "--devcontainer",
        action="store_true",
        help="also write .devcontainer/devcontainer.json (updates in updateContentCommand)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace files pipvet did not write or that changed"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show every file and diff; change nothing"
    )
    parser.add_argument(
        "--pipvet-source",
        metavar="SOURCE",
        help="where the CI workflow and devcontainer install pipvet from: "
        "git+https://HOST/OWNER/REPO@<full commit SHA>, or a pipvet .whl inside the project "
        "(default: pipvet==the version running init)",
    )
    parser.add_argument("--no-venv", action="store_true", help="do not create .venv")
    parser.add_argument("--no-vscode", action="store_true", help="do not write .vscode/tasks.json")
    parser.add_argument("--no-ci", action="store_true", help="do not write the GitHub workflow")
    add_common_options(parser, formats=("text", "json"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.project.init import InitOptions, apply_init, plan_init
    from pipvet.project.pipvet_source import parse_pipvet_source
    from pipvet.report.init import render_init_json, render_init_text
    from pipvet.system.process import SubprocessRunner

    apply_output_options(args, out)
    project = Path(args.project).absolute()
    source = (
        parse_pipvet_source(args.pipvet_source, project) if args.pipvet_source is not None else None
    )
    options = InitOptions(
        project=project,
        python=Path(sys.executable),
        environ=dict(os.environ),
        guard_pip=args.guard_pip,
        devcontainer=args.devcontainer,
        force=args.force,
        venv=not args.no_venv,
        vscode=not args.no_vscode,
        ci=not args.no_ci,
        pipvet_source=source,
    )
    plan = plan_init(options)
    if plan.venv.action == "create" and not args.dry_run:
        out.progress("creating .venv ...")
    runner = SubprocessRunner(env=options.environ, cwd=str(options.project))
    result = None if args.dry_run else apply_init(plan, runner)
    render = render_init_json if args.format == "json" else render_init_text
    emit(out, render(plan, result), args.output)
    if plan.bad_inputs:
        # Bad input fails the command (exit 2) even though the other files were written.
        for message in plan.bad_inputs:
            out.err(f"pipvet: error: {message}")
        out.err("hint: fix the file at that line and run pipvet init again")
        return EXIT_ERROR
    return EXIT_OK
