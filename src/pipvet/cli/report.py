"""``pipvet report``: one self-contained HTML page of the project's state.

Runs audit, doctor and exposure (vet of the direct dependencies with ``--vet``, fleet with
``--fleet DIR ...``) in this process with ``--format json``, or reads such JSON saved earlier
(``--from FILE ...``), adds the installed releases' ages from the local metadata cache
(never downloaded for this), and writes the page ``pipvet.report.html`` draws.
"""

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
)
from pipvet.cli._options import add_advisory_options, add_environment_options, one_environment
from pipvet.errors import UsageError
from pipvet.report.formats import STYLESHEET_NAME

# The parts' runner and reader, the page's values and renderer and the context are imported
# where they are used: `pipvet report --help` needs only the parser
# (tests/test_cli_help_startup.py).
TYPE_CHECKING = False  # not typing's (see cli._common)
if TYPE_CHECKING:
    from typing import Any

    from pipvet.cli._context import RunContext
    from pipvet.cli._report_parts import Ran
    from pipvet.report.html_model import Part


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="one self-contained HTML page: vulnerabilities, release ages, scorecard, "
        "exposure, vetting, fleet drift",
        description=(
            "Run audit, doctor and exposure here (and vet of the direct dependencies with "
            "--vet, fleet with --fleet DIR ...), or read their saved --format json output "
            "(--from FILE ...), and write one HTML page with charts drawn in SVG. The page "
            "runs no script and loads nothing (its Content-Security-Policy forbids both); "
            "release ages come from index metadata already cached, never downloaded."
        ),
        epilog="Exit codes: 0 all good; 1 findings at the fail level in a part (as that "
        "command would exit); 2 usage error, bad input, or a part that could not be made or "
        "is incomplete (the page is still written and says which).",
    )
    p.add_argument(
        "--from",
        dest="from_files",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="read saved JSON of pipvet audit, doctor, exposure, vet or fleet instead of "
        "running them (one file per command)",
    )
    p.add_argument(
        "--vet",
        action="store_true",
        help="also vet the direct dependencies (-r files, else ./requirements.txt or "
        "./pyproject.toml); needs the package index",
    )
    p.add_argument(
        "--fleet", nargs="+", action="extend", default=[], metavar="DIR",
        help="also report the fleet of projects under these folders",
    )  # fmt: skip
    p.add_argument(
        "--css",
        choices=("inline", "external"),
        default="inline",
        help=f"inline (default) or external: write {STYLESHEET_NAME} beside the page and link "
        "it, for servers that block inline styles (needs -o)",
    )
    src = p.add_argument_group("what to audit (as pipvet audit)")
    src.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE",
                     help="a requirements file or pyproject.toml; repeatable")  # fmt: skip
    src.add_argument("--path", action="append", default=[], metavar="DIR",
                     help="a site-packages folder; repeatable")  # fmt: skip
    add_environment_options(
        src, python="the interpreter whose packages to audit", venv="the environment to audit"
    )
    p.add_argument("--home", metavar="DIR", help="home folder for exposure (default: $HOME)")
    p.add_argument("--index-url", metavar="URL", help="package index (for --vet, release ages)")
    add_advisory_options(p)
    add_common_options(p, formats=("html",))
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from pipvet.cli._context import build_context
    from pipvet.cli._report_parts import Ran, release_ages
    from pipvet.report.html import render_report
    from pipvet.report.html_model import (
        AuditPart,
        DoctorPart,
        ExposurePart,
        FleetPart,
        PageData,
        VetPart,
    )
    from pipvet.system.files import write_text_atomic

    apply_output_options(args, out)
    one_environment(args)
    if args.css == "external" and not args.output:
        raise UsageError("--css external writes pipvet.css beside the page: name it with -o")
    if args.output and Path(args.output).name == STYLESHEET_NAME and args.css == "external":
        raise UsageError(f"the page cannot be called {STYLESHEET_NAME}: that is its stylesheet")
    if args.from_files:
        _no_runs_with_saved(args)
    ctx = build_context(args)
    if args.from_files:
        parts = _saved(args.from_files)
        title = "pipvet report"
    else:
        parts = _run(args, ctx, out)
        title = f"pipvet report: {ctx.cwd.name or ctx.cwd}"
    audit = parts.get("audit")
    ages = None
    if isinstance(audit, Ran) and isinstance(audit.part, AuditPart):
        installed = [(d.name, d.version) for d in audit.part.deps if d.version and not d.skipped]
        out.progress("reading release dates from the local metadata cache")
        ages = release_ages(ctx, installed)
    data = PageData(
        title=title,
        generated_at=datetime.fromtimestamp(ctx.clock(), UTC).strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=__version__,
        audit=_part(parts, "audit", AuditPart),
        doctor=_part(parts, "doctor", DoctorPart),
        exposure=_part(parts, "exposure", ExposurePart),
        vet=_part(parts, "vet", VetPart),
        fleet=_part(parts, "fleet", FleetPart),
        ages=ages,
        sources=tuple(_source(kind, ran) for kind, ran in parts.items()),
    )
    page = render_report(data, css=args.css)
    if args.css == "external":
        write_text_atomic(Path(args.output).parent / STYLESHEET_NAME, page.stylesheet)
    emit(out, page.html, args.output)
    return max((ran.code for ran in parts.values()), default=EXIT_OK)


def _no_runs_with_saved(args: argparse.Namespace) -> None:
    mixed = [
        opt
        for opt, given in (
            ("--vet", args.vet),
            ("--fleet", args.fleet),
            ("-r", args.requirement),
            ("--path", args.path),
            ("--python", args.python),
            ("--venv", args.venv),
            ("--home", args.home),
        )
        if given
    ]
    if mixed:
        raise UsageError(
            f"--from reads saved results; {', '.join(mixed)} would run a command",
            hint="either run everything (no --from) or save each part with --format json",
        )


def _saved(files: list[str]) -> dict[str, Ran]:
    from pathlib import Path

    from pipvet.cli._report_parts import Ran, read_saved

    parts: dict[str, Ran] = {}
    origin: dict[str, str] = {}
    for name in files:
        part = read_saved(Path(name))
        if part.kind in parts:
            raise UsageError(
                f"{name} and {origin[part.kind]} are both {part.kind} reports; give one of each"
            )
        parts[part.kind] = Ran(part, _saved_code(part), f"read from {name}")
        origin[part.kind] = name
    return parts


def _saved_code(part: Part) -> int:
    """The exit code the saved result would have had, as far as its JSON says."""
    from pipvet.report.html_model import AuditPart, DoctorPart, FleetPart, VetPart

    match part:
        case AuditPart():
            if part.verdict_status == "incomplete" or any(d.skipped for d in part.deps):
                return EXIT_ERROR
            failing = any(f.fails and not f.ignored for d in part.deps for f in d.findings)
            return EXIT_FINDINGS if failing else EXIT_OK
        case DoctorPart():
            return EXIT_FINDINGS if any(c.status == "fail" for c in part.checks) else EXIT_OK
        case VetPart():
            if any(p.verdict == "unchecked" for p in part.packages):
                return EXIT_ERROR
            return EXIT_FINDINGS if any(p.verdict == "avoid" for p in part.packages) else EXIT_OK
        case FleetPart():
            return EXIT_FINDINGS if any(v.fails for v in part.vulnerabilities) else EXIT_OK
    return EXIT_OK


def _common(args: argparse.Namespace, *, advisories: bool = True) -> list[str]:
    """The options every part shares with this command."""
    argv: list[str] = []
    if args.offline:
        argv.append("--offline")
    for flag, value in (("--cache-dir", args.cache_dir), ("--policy", args.policy)):
        if value:
            argv += [flag, value]
    if advisories:
        for flag, value in (("--osv-url", args.osv_url), ("--osv-overlay", args.osv_overlay)):
            if value:
                argv += [flag, value]
    return argv


def _run(args: argparse.Namespace, ctx: RunContext, out: Output) -> dict[str, Ran]:
    from pipvet.cli._report_parts import Ran, run_part
    from pipvet.report.html_model import Unavailable

    target: list[str] = []
    for flag, values in (("-r", args.requirement), ("--path", args.path)):
        for value in values:
            target += [flag, value]
    for flag, value in (("--python", args.python), ("--venv", args.venv)):
        if value:
            target += [flag, value]
    plan: list[tuple[str, list[str]]] = [
        ("audit", ["audit", *target, *_common(args)]),
        ("doctor", ["doctor", *_common(args, advisories=False)]),
        ("exposure", ["exposure", "--project", str(ctx.cwd)]
         + (["--home", args.home] if args.home else [])),
    ]  # fmt: skip
    if args.vet:
        plan.append(("vet", _vet_argv(args, ctx)))
    if args.fleet:
        plan.append(("fleet", ["fleet", *args.fleet, *_common(args)]))
    parts: dict[str, Ran] = {}
    for kind, argv in plan:
        out.progress(f"running pipvet {kind}")
        if not argv:
            parts[kind] = Ran(Unavailable(_NO_REQUIREMENTS), EXIT_ERROR, "not run")
            continue
        ran = run_part(argv)
        parts[kind] = Ran(ran.part, ran.code, "ran pipvet " + " ".join(argv))
    return parts


_NO_REQUIREMENTS = (
    "no requirements.txt or pyproject.toml here to take the direct dependencies from; "
    "name one with -r FILE"
)


def _vet_argv(args: argparse.Namespace, ctx: RunContext) -> list[str]:
    files = list(args.requirement)
    if not files:
        found = [n for n in ("requirements.txt", "pyproject.toml") if (ctx.cwd / n).is_file()]
        files = found[:1]
    if not files:
        return []
    argv = ["vet", *[x for f in files for x in ("-r", f)], *_common(args)]
    for flag, value in (("--python", args.python), ("--venv", args.venv),
                        ("--index-url", args.index_url)):  # fmt: skip
        if value:
            argv += [flag, value]
    return argv


def _part(parts: dict[str, Ran], kind: str, cls: type[Any]) -> Any:
    from pipvet.report.html_model import Unavailable

    ran = parts.get(kind)
    if ran is None:
        return None
    return ran.part if isinstance(ran.part, (cls, Unavailable)) else None


def _source(kind: str, ran: Ran) -> str:
    from pipvet.report.html_model import Unavailable

    return f"{kind}: {ran.origin}" + (
        f" (not available: {ran.part.reason})" if isinstance(ran.part, Unavailable) else ""
    )
