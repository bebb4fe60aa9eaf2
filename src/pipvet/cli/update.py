"""`pipvet update`: upgrade the project's environment with a cooldown, then audit what arrived
and vet the packages that are new to it."""

from __future__ import annotations

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
    add_allow_unchecked,
    add_environment_options,
    add_source_options,
    advisory_data,
    advisory_data_error,
    one_environment,
    rebuild_advisory_data,
)
from pipvet.errors import InputError
from pipvet.report.formats import UPDATE_FORMATS

# Not typing's (see cli._common); pip's runner, the update, the vetting and the renderer are
# imported by ``handle``: `pipvet update --help`, and a mistake on its command line, need
# only the parser (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any

    from pipvet.advisories.sync_model import SyncOutcome
    from pipvet.cli._context import RunContext
    from pipvet.models import Progress
    from pipvet.system.http import HttpClient
    from pipvet.system.process import Runner
    from pipvet.update.model import Environment, NewPackage, UpdateResult
    from pipvet.update.vet_new import VetNew
    from pipvet.vetting.model import PackageVet, VetReport

DEFAULT_SARIF = "pipvet.sarif"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "update",
        help="upgrade the project's environment (cooldown, final releases), then audit it "
        "and vet what is new",
        description=(
            "Ensure the project's virtual environment (creating .venv if there is none), "
            "upgrade pip, then upgrade everything the project's requirements files (and "
            "pyproject.toml) name and every other installed package, eagerly and "
            "transitively, final releases only and only releases older than the policy's "
            "cooldown. Security fixes are not delayed. With --offline pip gets --no-index and "
            "keeps what is installed. Then "
            "print what changed, audit the environment, vet the packages new to it (as "
            "pipvet vet does, at their installed versions) and show new start-up code, "
            "commands and source builds."
        ),
        epilog="Exit codes: 0 clean; 1 audit findings at or above the fail level, a new "
        "package whose verdict reaches the policy's vet-fail-on, or an unexpected "
        "install-surface change; 2 usage error, pip failure, no advisory data, or anything "
        "left unchecked (a package the audit or the vetting could not check, e.g. an "
        "unreachable index or --offline without a cached answer; the next update vets it "
        "again; --allow-unchecked reports it without exit 2).",
    )
    p.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file to upgrade from (repeatable; default: *requirements*.txt/.in "
        "and requirements/*.txt/.in in the project, plus '.' when pyproject.toml has a "
        "[project])",
    )
    add_environment_options(
        p,
        python="the interpreter whose environment to update",
        venv="the virtual environment to update",
    )
    p.add_argument(
        "--create-venv",
        action="store_true",
        help="create .venv even when the folder is no project yet (no requirements file, no "
        "pyproject.toml); without it, such a folder is refused and nothing is created",
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
    # No --index-url: next to pip it would read as pip's. The metadata index for vetting
    # comes from PIPVET_INDEX_URL or the policy.
    add_source_options(p, index_url=False)
    add_allow_unchecked(p, what="some installed packages could not be audited or vetted")
    add_common_options(p, formats=UPDATE_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    from pathlib import Path

    from pipvet.cli import _vetting
    from pipvet.cli._context import build_context
    from pipvet.report.update import render_update
    from pipvet.system.process import SubprocessRunner
    from pipvet.update.model import UpdateOptions
    from pipvet.update.precheck import PreCheck
    from pipvet.update.run import run_update

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
        create_venv=args.create_venv,
        offline=ctx.offline,
    )
    runner = SubprocessRunner(env=environ, cwd=str(ctx.cwd))
    http = ctx.http()
    result = run_update(
        options,
        environ=environ,
        runner=runner,
        policy=ctx.policy,
        advisories=lambda: advisory_data(ctx, http, progress=out.progress),
        rebuild=lambda: rebuild_advisory_data(ctx, http, progress=out.progress),
        vet=_vetter(ctx, http, runner, out.progress),
        clock=ctx.clock,
        note=out.info,
        precheck=PreCheck(http, lambda python: _vetting.describe_target(python, runner,
                                                                       ctx.cache_dir)),
    )  # fmt: skip
    base_dir = str(ctx.cwd)
    emit(out, render_update(result, args.format, color=out.color, base_dir=base_dir), args.output)
    sarif = args.sarif or (DEFAULT_SARIF if args.ci else None)
    if sarif:
        write_report(Path(sarif), render_update(result, "sarif", base_dir=base_dir))
        out.info(f"SARIF written to {sarif}")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if args.ci and summary:
        _append(Path(summary), render_update(result, "markdown"))
        out.info(f"summary appended to {summary}")
    data_error = advisory_data_error(result.audit, ctx.policy, ci=args.ci)
    if data_error is not None:
        out.err(data_error)
        return EXIT_ERROR
    return _exit_code(result, ctx.policy, allow_unchecked=args.allow_unchecked)


def _vetter(ctx: RunContext, http: HttpClient, runner: Runner, progress: Progress) -> VetNew:
    """Vetting as ``pipvet vet`` does it, of packages already installed in ``env``."""

    def vet(env: Environment, packages: Sequence[NewPackage], advisories: SyncOutcome) -> VetReport:
        from pipvet.cli import _vetting

        target = _vetting.describe_target(env.python, runner, ctx.cache_dir)
        setup = _vetting.build(
            ctx, target, f"{env.description}: {target.label}", http=http, runner=runner,
            resolver="pip", advisories=advisories, progress=progress,
        )  # fmt: skip
        try:
            wanted = [(p.name, p.version) for p in packages if p.direct is None and p.version]
            found = {v.name: v for v in _vetting.vet_installed(setup, wanted)}
        finally:
            setup.close()
        rows = [found.get(p.name) or _not_vetted(p) for p in packages]
        return _vetting.build_report(ctx, setup, rows, resolver="pip")

    return vet


def _not_vetted(package: NewPackage) -> PackageVet:
    from pipvet.vetting.model import PackageVet

    if package.direct is not None:
        # Like a policy-internal name: never looked up on an index (its name may be private).
        return PackageVet(
            package.name, None, package.version, "internal",
            problem=f"installed from {package.direct}, not from a package index: there is no "
            "index project to vet it against",
        )  # fmt: skip
    return PackageVet(
        package.name, None, None, "unchecked",
        problem=f"its metadata ({package.location}) names no usable version, so pipvet cannot "
        "tell which release to vet",
    )  # fmt: skip


def _exit_code(result: UpdateResult, policy: Any, *, allow_unchecked: bool) -> int:
    """Unchecked (audit or vetting) is 2 before findings are 1: fail closed, as audit does."""
    if (result.unchecked or result.unvetted) and not allow_unchecked:
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
