"""``pipvet fleet [DIR ...]``: the same dependencies across many projects; and
``pipvet fleet constraints -o FILE [DIR ...]``: one shared constraints file of safe floors."""

from __future__ import annotations

import argparse

from pipvet import __version__
from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
    write_report,
)
from pipvet.cli._options import (
    add_advisory_options,
    add_allow_unchecked,
    advisory_data,
    rebuild_advisory_data,
)
from pipvet.errors import UsageError
from pipvet.report.formats import FLEET_FORMATS

# The walk, the inventory and the renderers are imported where they are used: `pipvet fleet
# --help` needs only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False  # not typing's (see cli._common)
if TYPE_CHECKING:
    from typing import Any

    from pipvet.cli._context import RunContext
    from pipvet.fleet.model import Inventory


def register(sub: Any) -> None:
    p = sub.add_parser(
        "fleet",
        help="the same dependencies across many projects: drift, shared vulnerabilities, "
        "used once, undeclared, pins; 'fleet constraints' writes shared floors",
        description=(
            "Walk the folders given (default: here) for projects — folders with requirements "
            "files, a pyproject.toml or a .venv/venv — record what each declares, pins and has "
            "installed in an SQLite inventory, and report across them: versions that drift, "
            "vulnerabilities counted once with the fix that closes them for the most projects, "
            "direct dependencies only one project uses, installed packages declared nowhere, "
            "and the == pins 'pipvet relax' would float. 'pipvet fleet constraints -o FILE' "
            "writes one constraints file of floors (no known vulnerability, older than the "
            "cooldown) for pip install -c, PIP_CONSTRAINT or UV_CONSTRAINT. Skipped: .git, "
            "venvs, .tox, node_modules, build, dist, site-packages, what .gitignore ignores "
            "(names, dir/, globs, /anchored; not ! or **), symbolic links to folders."
        ),
        epilog="Exit codes: 0 done; 1 vulnerabilities at the policy's fail level (not for "
        "'constraints'); 2 usage error, a project that could not be read, no advisory data, "
        "versions or floors left unchecked (unless --allow-unchecked).",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="DIR",
        help="folders to walk (default: here); 'constraints' first writes the constraints "
        "file instead of the report (name a folder called constraints as ./constraints)",
    )
    p.add_argument("--max-depth", type=int, metavar="N", help="how deep to look below each DIR")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip folders whose name or path (relative to DIR) matches; repeatable",
    )
    p.add_argument(
        "--db", metavar="FILE", help="the inventory database (default: fleet.sqlite in the cache)"
    )
    p.add_argument(
        "--from-sboms",
        metavar="DIR",
        help="read the fleet from a folder of CycloneDX or SPDX files (one project each)",
    )
    p.add_argument("--index-url", metavar="URL", help="package index for release dates")
    add_advisory_options(p)
    add_allow_unchecked(p, what="some versions or floors could not be checked")
    add_common_options(p, formats=FLEET_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.cli._context import build_context

    apply_output_options(args, out)
    paths = list(args.paths)
    constraints = bool(paths) and paths[0] == "constraints"
    if constraints:
        paths = paths[1:]
    if args.max_depth is not None and args.max_depth < 0:
        raise UsageError("--max-depth must be 0 or more", hint="0 looks at the folders given only")
    ctx = build_context(args)
    inventory = _inventory(args, ctx, paths, out)
    if not inventory.projects:
        out.err(f"pipvet: error: no projects found in {inventory.origin}")
        out.err("hint: a project is a folder with requirements files, a pyproject.toml or a .venv")
        return EXIT_ERROR
    from pipvet.fleet.inventory import save_inventory

    db = Path(args.db) if args.db else ctx.cache_dir / "fleet.sqlite"
    save_inventory(db, inventory, made_at=_now(ctx), tool_version=__version__)
    out.info(f"inventory of {len(inventory.projects)} projects written to {db}")
    http = ctx.http()
    outcome = advisory_data(ctx, http, progress=out.progress)
    if constraints:
        return _constraints(args, ctx=ctx, inventory=inventory, outcome=outcome, http=http, out=out)
    return _report(args, ctx=ctx, inventory=inventory, outcome=outcome, http=http, out=out)


def _now(ctx: RunContext) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ctx.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _inventory(
    args: argparse.Namespace, ctx: RunContext, paths: list[str], out: Output
) -> Inventory:
    if args.from_sboms:
        if paths:
            raise UsageError("use either folders or --from-sboms, not both")
        from pathlib import Path

        from pipvet.fleet.sboms import inventory_from_sboms

        return inventory_from_sboms(Path(args.from_sboms))
    from pathlib import Path

    from pipvet.fleet.scan import scan_folders

    roots = [Path(p) for p in paths] or [Path(".")]
    return scan_folders(
        roots,
        environ=ctx.environ,
        max_depth=args.max_depth,
        exclude=args.exclude,
        progress=out.progress,
    )


def _report(
    args: argparse.Namespace,
    *,
    ctx: RunContext,
    inventory: Inventory,
    outcome: Any,
    http: Any,
    out: Output,
) -> int:
    from pipvet.fleet.analyse import analyse
    from pipvet.fleet.check import audit_versions
    from pipvet.report.fleet import render_fleet

    audit = audit_versions(
        inventory.rows,
        outcome,
        policy=ctx.policy,
        clock=ctx.clock,
        rebuild=lambda: rebuild_advisory_data(ctx, http, progress=out.progress),
        target=inventory.origin,
    )
    results = {(r.dependency.name, r.dependency.version or ""): r for r in audit.results}
    unchecked = [
        f"{r.dependency.name} {r.dependency.version or ''}: {r.dependency.skipped}"
        for r in audit.unchecked
    ]
    report = analyse(
        inventory,
        results,
        fail_on=ctx.policy.fail_on,
        unknown=ctx.policy.unknown_severity,
        advisory_source=f"{audit.snapshot.source} ({audit.snapshot.records:,} records)",
        unchecked=unchecked,
        warnings=audit.warnings,
        tool_version=__version__,
    )
    emit(out, render_fleet(report, args.format), args.output)
    if report.problems or (report.unchecked and not args.allow_unchecked):
        return EXIT_ERROR
    return EXIT_FINDINGS if report.failing else EXIT_OK


def _constraints(
    args: argparse.Namespace,
    *,
    ctx: RunContext,
    inventory: Inventory,
    outcome: Any,
    http: Any,
    out: Output,
) -> int:
    from pathlib import Path

    from pipvet.fleet.analyse import used_versions
    from pipvet.fleet.check import package_records
    from pipvet.fleet.floors import plan_constraints
    from pipvet.fleet.releases import release_info
    from pipvet.report.fleet import render_constraints_file, render_constraints_summary

    names = sorted(used_versions(inventory.rows))
    out.progress(f"reading advisories and release dates of {len(names)} distributions")
    records = package_records(outcome.store_path, names)
    index = ctx.index(http)
    plan = plan_constraints(
        inventory.rows,
        records,
        release_info(index, names),
        now=ctx.clock(),
        cooldown_days=ctx.policy.cooldown_days,
        origin=inventory.origin,
        made_at=_now(ctx),
        advisory_source=outcome.snapshot.source,
        index_source=ctx.sources.index_url,
    )
    text = render_constraints_file(plan, tool_version=__version__)
    summary = render_constraints_summary(plan, written_to=args.output)
    if args.output:
        write_report(Path(args.output), text)
        out.write(summary)
    else:
        out.write(text)
        out.info(summary.rstrip("\n"))
    for project in inventory.problems:
        out.err(f"pipvet: error: {project.path}: {project.problem}")
    if inventory.problems:
        return EXIT_ERROR
    if plan.unchecked and not args.allow_unchecked:
        out.err(
            f"pipvet: error: {len(plan.unchecked)} floors could not be checked "
            f"({', '.join(line.name for line in plan.unchecked)}); connect to the index or pass "
            "--allow-unchecked to use them as they are"
        )
        return EXIT_ERROR
    return EXIT_OK
