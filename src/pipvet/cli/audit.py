"""`pipvet audit`: known vulnerabilities and malware, offline-first, failing closed."""

from __future__ import annotations

from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    add_common_options,
    apply_output_options,
    emit_pieces,
)
from pipvet.cli._options import (
    add_advisory_options,
    add_allow_unchecked,
    add_environment_options,
    advisory_data,
    advisory_data_error,
    one_environment,
    rebuild_advisory_data,
)
from pipvet.cli._quick import APPEND, FLAG, VALUE, common_defaults, common_options
from pipvet.report.audit import AUDIT_FORMATS

# Registering the command (and `pipvet audit --help`) imports only the above: the audit's
# machinery is imported by the handler that uses it.
TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from pipvet.audit import run
    from pipvet.cli._common import Output


def register(sub: Any) -> None:
    p = sub.add_parser(
        "audit",
        help="check installed packages or requirements for known vulnerabilities and malware",
        description=(
            "Check an environment, a site-packages folder or requirements files against the "
            "local OSV advisory database (synced automatically when older than the policy's "
            "max age). Without inputs, audits the active virtual environment, else ./.venv or "
            "./venv, else the Python running pipvet."
        ),
        epilog="Exit codes: 0 clean; 1 findings at or above the fail level (malware always); "
        "2 usage error, bad input, no advisory data, anything left unchecked, or (with --ci or "
        'stale-data = "fail") advisory data older than max-data-age-days.',
    )
    src = p.add_argument_group("what to audit (combinable)")
    src.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file, pyproject.toml, lock file (uv.lock, poetry.lock, "
        "Pipfile.lock, pylock.toml), environment.yml or notebook (.ipynb); repeatable",
    )
    src.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="DIR",
        help="a site-packages folder, read from metadata only; repeatable",
    )
    add_environment_options(
        src,
        python="the interpreter whose packages to audit",
        venv="the virtual environment to audit",
    )
    add_advisory_options(p)
    p.add_argument("--explain", metavar="ID", help="show exactly why advisory ID matched (or not)")
    p.add_argument(
        "--ci",
        action="store_true",
        help="for CI: advisory data older than the policy's max-data-age-days fails (exit 2), "
        'as stale-data = "fail" does',
    )
    add_allow_unchecked(p, what="some dependencies could not be checked")
    from pipvet.cli._fix import add_fix_options

    add_fix_options(p)
    add_common_options(p, formats=AUDIT_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.audit import run
    from pipvet.cli._context import build_context
    from pipvet.policy import fails
    from pipvet.report.audit import render_audit_pieces

    apply_output_options(args, out)
    one_environment(args)
    if args.fix or args.dry_run or args.relax:
        from pipvet.cli._fix import check_fix_options

        check_fix_options(args)
    ctx = build_context(args)
    inputs = run.Inputs(
        requirement_files=tuple(Path(r) for r in args.requirement),
        paths=tuple(Path(p) for p in args.path),
        python=Path(args.python) if args.python else None,
        venv=Path(args.venv) if args.venv else None,
    )
    collected = run.collect(inputs, environ=ctx.environ, cwd=ctx.cwd, runner=ctx.runner())
    out.info(f"auditing {collected.target}")
    outcome = advisory_data(ctx, progress=out.progress)
    if args.explain:
        return _explain(args.explain, collected, outcome, out)
    report = run.audit(
        collected,
        outcome,
        policy=ctx.policy,
        clock=ctx.clock,
        rebuild=lambda: rebuild_advisory_data(ctx, progress=out.progress),
    )
    pieces = render_audit_pieces(report, args.format, color=out.color, base_dir=str(ctx.cwd))
    emit_pieces(out, pieces, args.output)
    if args.fix:
        from pipvet.cli._fix import fix_files

        fix_files(args, report, out, cwd=ctx.cwd)
    if (report.unchecked or not report.results) and not args.allow_unchecked:
        return EXIT_ERROR
    data_error = advisory_data_error(report, ctx.policy, ci=args.ci)
    if data_error is not None:
        out.err(data_error)
        return EXIT_ERROR
    return EXIT_FINDINGS if fails(report, ctx.policy) else EXIT_OK


def _explain(record_id: str, collected: run.Collected, outcome: Any, out: Output) -> int:
    from pipvet.audit import run
    from pipvet.report.safe import escape_controls

    advisory, traces = run.explain(record_id, collected, outcome)
    lines = [f"{advisory.id} (modified {advisory.modified})"]
    if advisory.aliases:
        lines.append(f"  aliases: {', '.join(advisory.aliases)}")
    if advisory.summary:
        lines.append(f"  {advisory.summary}")
    if not traces:
        named = ", ".join(sorted({a.package for a in advisory.affected})) or "no PyPI package"
        lines.append(
            f"It names {named}; none of them is among the audited dependencies "
            f"({collected.target})."
        )
    for dep, trace, matched in traces:
        verdict = "AFFECTED" if matched else "not affected"
        lines.append("")
        lines.append(f"{dep.label} {dep.version or '(no version)'}: {verdict}")
        lines.extend(f"  {line}" for line in trace)
    out.write(escape_controls("\n".join(lines)))  # it quotes the advisory: a stranger's text
    return EXIT_FINDINGS if any(m for _, _, m in traces) else EXIT_OK


# `pipvet audit` as most runs write it, read without argparse (see cli._quick; a test checks
# this table against the parser ``register`` builds). Left to argparse: -h, --http-timeout.
QUICK_OPTIONS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "-r": ("requirement", APPEND, None),
    "--requirement": ("requirement", APPEND, None),
    "--path": ("path", APPEND, None),
    "--python": ("python", VALUE, None),
    "--venv": ("venv", VALUE, None),
    "--osv-url": ("osv_url", VALUE, None),
    "--osv-overlay": ("osv_overlay", VALUE, None),
    "--explain": ("explain", VALUE, None),
    "--ci": ("ci", FLAG, None),
    "--allow-unchecked": ("allow_unchecked", FLAG, None),
    "--fix": ("fix", FLAG, None),
    "--dry-run": ("dry_run", FLAG, None),
    "--relax": ("relax", FLAG, None),
    **common_options(AUDIT_FORMATS),
}


def quick_defaults() -> dict[str, object]:
    """What argparse sets for each option not given, and the handler: made at each call, so
    ``handle`` is the module's at the time (as ``set_defaults`` reads it at registration)."""
    return {
        "requirement": [],
        "path": [],
        "python": None,
        "venv": None,
        "osv_url": None,
        "osv_overlay": None,
        "explain": None,
        "ci": False,
        "allow_unchecked": False,
        "fix": False,
        "dry_run": False,
        "relax": False,
        **common_defaults(AUDIT_FORMATS),
        "func": handle,
    }
