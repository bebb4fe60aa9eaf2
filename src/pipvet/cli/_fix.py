"""``pipvet audit --fix``: after the audit, raise each vulnerable requirement in its file."""

from __future__ import annotations

from pipvet.cli._common import Output
from pipvet.errors import UsageError

# Not typing's (see cli._common): `pipvet audit --help` imports this module to register the
# options, and typing would be its only import of it.
TYPE_CHECKING = False
if TYPE_CHECKING:  # `pipvet audit --help` registers the options without these
    import argparse
    from pathlib import Path

    from pipvet.models import AuditReport


def add_fix_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("fixing the files (--fix)")
    g.add_argument(
        "--fix",
        action="store_true",
        help="raise each vulnerable requirement, in the file that declares it (-r files and "
        "their includes; without -r the project's requirements files and pyproject.toml), to "
        "the release that fixes it; lock files are named with the command that refreshes them",
    )
    g.add_argument(
        "--dry-run", action="store_true", help="with --fix: show the diff; write nothing"
    )
    g.add_argument(
        "--relax",
        action="store_true",
        help="with --fix: an exact pin becomes a floor at the fixed release (>=) instead of "
        "the fixed pin (==)",
    )


def check_fix_options(args: argparse.Namespace) -> None:
    if (args.dry_run or args.relax) and not args.fix:
        flag = "--dry-run" if args.dry_run else "--relax"
        raise UsageError(f"{flag} only applies with --fix", hint="add --fix, or drop " + flag)
    if args.fix and args.explain:
        raise UsageError("--fix and --explain do not combine", hint="run them one at a time")
    if args.fix and (args.path or args.python):
        raise UsageError(
            "--fix edits requirements files: it cannot follow --path or --python",
            hint="audit --venv or the project's files (-r), or run from the project folder",
        )


def fix_files(args: argparse.Namespace, report: AuditReport, out: Output, *, cwd: Path) -> None:
    """Plan (and unless --dry-run, write) the fixes; show them where the report went."""
    from pathlib import Path

    from pipvet.project.fix import apply_fix, plan_fix
    from pipvet.report.fix import render_fix_text

    files = [Path(r) for r in args.requirement]
    plan = plan_fix(cwd, files, report.results, relax=args.relax)
    written = () if args.dry_run else apply_fix(plan)
    text = render_fix_text(plan, dry_run=args.dry_run, written=written)
    if args.format == "text" and args.output is None:
        out.write("\n" + text)
    else:
        out.err(text.rstrip("\n"))
