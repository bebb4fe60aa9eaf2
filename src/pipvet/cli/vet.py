"""``pipvet vet``: should I depend on this package? A verdict with its evidence."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from pipvet.cli import _vetting
from pipvet.cli._common import Output, add_common_options, apply_output_options, emit
from pipvet.cli._context import build_context
from pipvet.errors import UsageError
from pipvet.report.vet import VET_FORMATS, render_vet
from pipvet.vetting.runner import Runner, SubprocessRunner
from pipvet.vetting.service import VetRequest, parse_request

if TYPE_CHECKING:
    from pipvet.requirements import RequirementEntry

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "vet",
        help="should I depend on this package? a verdict (ok, review, avoid) with evidence",
        description=(
            "Vet packages before adopting them: does the name exist, is it a look-alike of a "
            "popular package, known malware or vulnerabilities in the release that would be "
            "installed, popularity, maintainers, activity, funding and security-policy links, "
            "source repository, install-time code, and how many packages it would add to the "
            "target environment. Verdict: avoid if any signal says avoid, else review if any "
            "asks for a look, else ok."
        ),
        epilog="Exit codes: 0 nothing at the policy's vet-fail-on level (default avoid); 1 a "
        "package at or above it; 2 usage error, bad input, or a package that could not be "
        "checked (an unreachable index never counts as ok).",
    )
    p.add_argument("names", nargs="*", metavar="NAME[SPEC]", help="packages, e.g. requests>=2")
    p.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="vet every requirement of a requirements file or pyproject.toml; repeatable",
    )
    p.add_argument(
        "--deep", action="store_true", help="vet every package they would bring in as well"
    )
    p.add_argument(
        "--resolver",
        choices=("metadata", "pip"),
        default="metadata",
        help="how to find the packages each one adds: from index metadata (fast, default) or "
        "by asking the target's pip (pip install --dry-run --report: exact, slower)",
    )
    _vetting.add_target_options(p, "vet")
    _vetting.add_source_options(p)
    add_common_options(p, formats=VET_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    return run(args, out)


def run(
    args: argparse.Namespace,
    out: Output,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    clock: Callable[[], float] = time.time,
    runner: Runner | None = None,
) -> int:
    """The command with its collaborators passed in (tests give a clock and a runner)."""
    apply_output_options(args, out)
    ctx = build_context(args, environ=environ, cwd=cwd, clock=clock)
    requests, warnings = _requests(args, ctx.environ, ctx.cwd)
    chosen = _vetting.choose_target(args, ctx)
    setup = _vetting.prepare(
        ctx,
        chosen,
        runner or SubprocessRunner(env=ctx.environ, cwd=str(ctx.cwd)),
        resolver=args.resolver,
        progress=out.progress,
    )
    try:
        out.progress(f"vetting {len(requests)} package{'s' if len(requests) != 1 else ''}")
        packages = setup.vetter.vet(requests, deep=args.deep)
    finally:
        setup.close()
    report = _vetting.build_report(
        ctx, setup, packages, resolver=args.resolver, extra_warnings=warnings
    )
    emit(out, render_vet(report, args.format, color=out.color), args.output)
    return _vetting.exit_code(report)


def _requests(
    args: argparse.Namespace, environ: Mapping[str, str], cwd: Path
) -> tuple[list[VetRequest], list[str]]:
    wanted: dict[str, VetRequest] = {}
    warnings: list[str] = []
    for text in args.names:
        request = parse_request(text)
        wanted.setdefault(request.name, request)
    for name in args.requirement:
        from pipvet.requirements import parse_pyproject, parse_requirements_file

        path = Path(name) if Path(name).is_absolute() else cwd / name
        parsed = (
            parse_pyproject(path)
            if path.name == "pyproject.toml"
            else parse_requirements_file(path, environ=environ)
        )
        warnings += parsed.warnings
        for entry in parsed.requirements:
            request = _from_entry(entry)
            wanted.setdefault(request.name, request)
    if not wanted:
        raise UsageError(
            "nothing to vet",
            hint="name packages (pipvet vet requests pandas) or a file (pipvet vet -r "
            "requirements.txt)",
        )
    return list(wanted.values()), warnings


def _from_entry(entry: RequirementEntry) -> VetRequest:
    shown = entry.raw.strip()
    if entry.kind in ("editable", "url") or entry.name is None:
        return VetRequest(
            shown,
            entry.name or canonicalize_name(entry.display_name),
            problem=(
                f"{entry.location}: {entry.reason or 'not from the index'}; pipvet vets "
                "packages from the index only"
            ),
        )
    return VetRequest(shown, entry.name, entry.specifier, frozenset(entry.extras))
