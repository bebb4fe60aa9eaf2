"""``pipvet install ARGS...``: vet what pip would install, then let the environment's pip do it.

Nothing of any package runs before the user accepts the verdict, and pip installs exactly
what was vetted:

1. Refuse unless the target is an isolated environment (a venv or a conda environment), and
   refuse arguments pip could only read by building them (paths, URLs, ``-e``,
   ``--no-binary``, also inside ``-r`` files).
2. Ask the target's own pip what ``pip install ARGS`` would install (``--dry-run --report``,
   wheels only: ``--only-binary :all:``), with the user's own pip configuration. When that
   needs a build (a release published as source only), vet what was asked for from the index
   instead; a source-only release's dependencies are ``unchecked``, and nothing is installed
   without ``--yes``.
3. Vet every package in that set. ``avoid`` blocks (unless ``--yes``); anything that could not
   be checked blocks too (fail closed, unless ``--yes``); ``review`` follows the policy's
   ``on-review``: ``ask`` asks when stdin is a terminal and otherwise proceeds with a
   warning, ``allow`` proceeds with a warning, ``block`` blocks (unless ``--yes``).
4. Install the vetted set: every distribution pinned ``==``, ``--no-deps``, pip's ``--report``
   compared with what was vetted (a difference exits 1). Show what changed, then audit what
   was installed with the advisory data the vetting used (exit 1 at the policy's fail level).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet

from pipvet.cli import _install_steps as steps
from pipvet.cli import _vetting
from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
)
from pipvet.cli._context import RunContext, build_context
from pipvet.cli._install_output import (
    Decision,
    Outcome,
    changes,
    difference_doc,
    tail_lines,
    tail_text,
)
from pipvet.cli._options import add_source_options, add_target_options
from pipvet.cli._parser import PipvetArgumentParser
from pipvet.errors import EnvironmentProblem, PipError, PipvetError, UsageError
from pipvet.frozen import frozen, replace
from pipvet.inputs import interpreter
from pipvet.redact import mask_userinfo
from pipvet.report.jsonout import audit_to_dict
from pipvet.report.safe import json_safe
from pipvet.report.vet import VET_FORMATS, render_vet, vet_to_dict
from pipvet.system.process import Runner
from pipvet.vetting.model import PackageVet, VetReport
from pipvet.vetting.service import VetRequest
from pipvet.vetting.subtree import PipReportEntry, pip_dry_run

if TYPE_CHECKING:
    from pipvet.index.client import IndexClient

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "install",
        help="vet what pip would install, then install it with the environment's own pip",
        description=(
            "Ask the target environment's pip what 'pip install ARGS' would install (wheels "
            "only: no package's build code runs before you accept), vet every package in that "
            "set, then install exactly that set (pinned, --no-deps) and audit it. Refuses to "
            "install outside a virtual or conda environment, and paths, URLs, -e and "
            "--no-binary. A package to avoid blocks the install unless --yes; one to review "
            "follows the policy's on-review (ask when interactive, else proceed with a "
            "warning); a release published only as source is installed only with --yes."
        ),
        epilog="pipvet's own options go before the pip arguments: pipvet install --yes -r "
        "requirements.txt. Exit codes: 0 installed (or nothing to do); 1 blocked by the "
        "vetting, pip installed something that was not vetted, or the audit of what was "
        "installed fails at the policy's level; 2 usage error, no isolated environment, pip "
        "failed, a package could not be vetted, or no advisory data to audit with.",
    )
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="install even what vetting says to avoid (the report is still shown)",
    )
    add_target_options(p, "install into")
    # No --index-url here: after the pip arguments start it is pip's, and before them it
    # would silently mean something else. The metadata index comes from PIPVET_INDEX_URL or
    # the policy.
    add_source_options(p, index_url=False)
    add_common_options(p, formats=VET_FORMATS)
    p.add_argument(
        "pip_args",
        nargs="*",
        metavar="ARGS",
        help="arguments for pip install (NAME, -r FILE, -U, --index-url URL, ...)",
    )
    p.set_defaults(func=handle)
    # pip's arguments often start with an option (-r, -U, -e): argparse would reject those as
    # unknown, so this parser stops at the first argument that is not one of pipvet's own.
    p.__class__ = _InstallParser


class _InstallParser(PipvetArgumentParser):
    """pipvet's options first; from the first argument that is not one (or after ``--``),
    everything belongs to pip, exactly as written."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        given = list(sys.argv[1:] if args is None else args)
        split = self._first_pip_argument(given)
        rest = given[split:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        ns, extras = super().parse_known_args(given[:split], namespace)
        ns.pip_args = rest
        return ns, extras

    def _first_pip_argument(self, args: list[str]) -> int:
        # argparse keeps its option table in a private attribute; it has for decades.
        known = self._option_string_actions
        i = 0
        while i < len(args):
            token = args[i]
            name, has_value = token.split("=", 1)[0], "=" in token
            action = known.get(name)
            if token == "--" or action is None:
                return i
            takes_value = action.nargs != 0
            i += 1 if (has_value or not takes_value) else 2
        return len(args)


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
    stdin: IO[str] | None = None,
) -> int:
    """The command with its collaborators passed in (tests give a clock, runner and stdin)."""
    apply_output_options(args, out)
    pip_args = list(args.pip_args)
    if not pip_args:
        raise UsageError(
            "nothing to install",
            hint="pipvet install NAME ... or pipvet install -r requirements.txt",
        )
    ctx = build_context(args, environ=environ, cwd=cwd, clock=clock)
    # Before anything runs: what pip could only read by building it is refused.
    steps.check_no_builds(pip_args, cwd=ctx.cwd, environ=ctx.environ)
    run_cmd = runner or ctx.runner()
    chosen = _isolated_target(args, ctx, run_cmd)
    _vetting.check_pip_settings(pip_args, ctx, chosen, run_cmd, installing=True)
    out.info(f"installing into {chosen.description}")
    job = _Job(args, ctx, chosen, run_cmd, pip_args, out, stdin if stdin is not None else sys.stdin)

    out.progress("asking pip what it would install (wheels only: nothing is built)")
    try:
        planned = pip_dry_run(str(chosen.python), pip_args, run_cmd)
    except PipError as exc:
        return _unresolved(job, exc)
    setup = _vetting.prepare(ctx, chosen, run_cmd, progress=out.progress)
    try:
        # Every package of pip's exact set is vetted, so no subtree is estimated.
        requests = [
            VetRequest(f"{e.name}=={e.version}", e.name, SpecifierSet(f"=={e.version}"))
            for e in planned
        ]
        vetted = setup.vetter.vet(requests, subtree=False)
    finally:
        setup.close()
    vetted = _check_files(setup.vetter.index, planned, vetted)
    # Packages pip brings in as dependencies were not asked for by name.
    requested = {e.name for e in planned if e.requested}
    packages = tuple(p if p.name in requested else replace(p, requested=None) for p in vetted)
    report = _vetting.build_report(ctx, setup, packages, resolver="pip")
    pinned = [steps.Pinned(e.name, e.version, sha256=e.sha256) for e in planned]
    return _finish(job, setup, report, pinned)


def _check_files(
    index: IndexClient, planned: Sequence[PipReportEntry], vetted: Sequence[PackageVet]
) -> tuple[PackageVet, ...]:
    """Each package whose file pip would take from somewhere else than the vetted index (no
    listed hash is its hash) is unchecked: its verdict is about other bytes."""
    from pipvet.vetting.files_match import file_signal, unread_signal, with_file_signal

    entries = {e.name: e for e in planned}
    shown = mask_userinfo(index.base_url)
    out: list[PackageVet] = []
    for package in vetted:
        entry = entries.get(package.name)
        if entry is None or index.is_internal(package.name):
            out.append(package)
            continue
        try:
            digests = index.file_digests(package.name, entry.version)
        except PipvetError as exc:  # fail closed: nothing says the file is the index's
            out.append(with_file_signal(package, unread_signal(shown, str(exc))))
            continue
        found = (  # no hash listed: nothing ties pip's file to the verdict
            unread_signal(shown, "it lists no sha256 for the release's files")
            if digests is None
            else file_signal(entry.version, entry.url, entry.sha256, digests, shown)
        )
        out.append(with_file_signal(package, found) if found else package)
    return tuple(out)


@frozen
class _Job:
    """One ``pipvet install``: its arguments and collaborators."""

    args: argparse.Namespace
    ctx: RunContext
    chosen: _vetting.Chosen
    runner: Runner
    pip_args: list[str]
    out: Output
    stdin: IO[str]


def _finish(
    job: _Job,
    setup: _vetting.Setup,
    report: VetReport,
    pinned: Sequence[steps.Pinned],
    *,
    unresolved: PipError | None = None,
) -> int:
    """Show the verdict, decide, install exactly ``pinned``, check and audit what pip did."""
    args, ctx, chosen, runner, out = job.args, job.ctx, job.chosen, job.runner, job.out
    # On a terminal the report comes first: the question and pip's output refer to it.
    streaming = args.format != "json" and args.output is None
    if streaming:
        out.write(render_vet(report, args.format, color=out.color))
    if unresolved is not None and not args.yes:
        decision = Decision(False, EXIT_ERROR, (_UNRESOLVED_NOTE,))
    else:
        decision = _decide(report, args.yes, ctx, out, job.stdin)
    outcome = Outcome()
    if decision.proceed and pinned:
        with tempfile.TemporaryDirectory(prefix="pipvet-install-") as work:
            installed = steps.install_vetted(
                chosen.python, job.pip_args, pinned, runner, Path(work), on_line=out.info,
                say=out.info,
                name_pins=not steps.checks_hashes(job.pip_args, cwd=ctx.cwd, environ=ctx.environ),
            )  # fmt: skip
        after = _vetting.describe_target(chosen.python, runner, ctx.cache_dir).installed
        outcome.changes = changes(setup.target.installed, after)
        outcome.difference = steps.difference(pinned, installed)
        outcome.built = tuple(p.name for p in pinned if p.build)
        if setup.advisories is not None and installed:
            outcome.audit = steps.audit_installed(
                chosen.python,
                {e.name for e in installed},
                setup.advisories,
                policy=ctx.policy,
                environ=ctx.environ,
                cwd=ctx.cwd,
                runner=runner,
                clock=ctx.clock,
                description=f"what pipvet installed into {chosen.description}",
            )
        outcome.unaudited = setup.advisories is None and bool(installed)
    code = outcome.code(ctx) if decision.proceed else decision.code
    planned = [{"name": p.name, "version": p.version} for p in pinned]
    tail = tail_lines(bool(pinned) or unresolved is not None, decision, outcome, ctx)
    if streaming and tail:
        out.write("\n" + tail_text(tail, args.format))
    elif args.format == "json":
        doc = vet_to_dict(report)
        doc["install"] = {
            "resolved": unresolved is None,
            "planned": planned,
            "installed": outcome.changes is not None,
            "notes": list(decision.notes),
            "changes": outcome.changes,
            "unvetted": difference_doc(outcome.difference),
            "audit": audit_to_dict(outcome.audit) if outcome.audit is not None else None,
            "exit_code": code,
        }
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        emit(out, json_safe(mask_userinfo(text)), args.output)
    else:
        emit(
            out, render_vet(report, args.format) + "\n" + tail_text(tail, args.format), args.output
        )
    if unresolved is not None and not decision.proceed:
        raise unresolved
    return code


_UNRESOLVED_NOTE = (
    "not installed: pip could not tell what it would install from wheels alone (its error "
    "follows). "
    "pipvet never lets pip run a package's build code before you accept the verdict, so "
    "what it would bring in could not all be vetted (see above). If you accept the verdict, "
    "re-run with --yes: pipvet then installs exactly the packages vetted above, building the "
    "source-only ones, without their unknown dependencies."
)


def _unresolved(job: _Job, error: PipError) -> int:
    """pip cannot tell what it would install without building something (or at all: a name
    it cannot find, which is when a typo or an invented name is likely). Vet what was asked
    for from the index, each with what pip would add from wheels alone; a source-only
    release's dependencies are ``unchecked``. Nothing is installed without ``--yes``."""
    ctx = job.ctx
    requests = steps.requested(job.pip_args, cwd=ctx.cwd, environ=ctx.environ)
    if not requests:
        raise error
    setup = _vetting.prepare(ctx, job.chosen, job.runner, resolver="pip", progress=job.out.progress)
    setup.vetter.pip_options = tuple(_pip_options(job.pip_args))
    try:
        vetted = setup.vetter.vet(requests, deep=True)
    finally:
        setup.close()
    report = _vetting.build_report(ctx, setup, vetted, resolver="pip")
    pinned = [
        steps.Pinned(p.name, p.version, build=_source_only(p))
        for p in vetted
        if p.version is not None and p.verdict != "internal"
    ]
    return _finish(job, setup, report, pinned, unresolved=error)


def _source_only(package: PackageVet) -> bool:
    code = next((s for s in package.signals if s.id == "install-code"), None)
    return code is not None and code.value is None


def _pip_options(pip_args: Sequence[str]) -> list[str]:
    """The options of a pip command line that say where packages come from."""
    keep = {"-i", "--index-url", "--pypi-url", "--extra-index-url", "-f", "--find-links",
            "--no-index", "--pre", "--trusted-host"}  # fmt: skip
    out: list[str] = []
    i = 0
    while i < len(pip_args):
        token = pip_args[i]
        name = token.split("=", 1)[0]
        takes_value = name in steps.PIP_VALUE_OPTIONS and "=" not in token
        if name in keep:
            out += pip_args[i : i + (2 if takes_value else 1)]
        i += 2 if takes_value else 1
    return out


def _isolated_target(args: argparse.Namespace, ctx: RunContext, runner: Runner) -> _vetting.Chosen:
    chosen = _vetting.choose_target(args, ctx)
    if chosen.source == "running":
        raise EnvironmentProblem(
            "no virtual environment is active and none was found in ./.venv or ./venv; "
            "pipvet install only installs into an isolated environment",
            hint="create one (python -m venv .venv) and activate it, or pass --venv DIR",
        )
    info = interpreter.inspect_interpreter(chosen.python, runner)
    kind = "venv" if info.is_virtual_env else interpreter.environment_kind(info.prefix)
    if kind == "system":
        raise EnvironmentProblem(
            f"{chosen.python} is not an isolated environment (its prefix {info.prefix} is "
            "neither a virtual environment nor a conda environment): a package installed "
            "there is shared by everything that uses that Python",
            hint="create a virtual environment (python -m venv .venv) and pass --venv .venv",
        )
    return chosen


def _decide(report: VetReport, yes: bool, ctx: RunContext, out: Output, stdin: IO[str]) -> Decision:
    avoid = [p.name for p in report.packages if p.verdict == "avoid"]
    unchecked = [p.name for p in report.packages if p.verdict == "unchecked"]
    review = [p.name for p in report.packages if p.verdict == "review"]
    notes: list[str] = []
    if avoid or unchecked:
        parts = []
        if avoid:
            parts.append(f"vetting says to avoid {', '.join(avoid)}")
        if unchecked:
            parts.append(f"{', '.join(unchecked)} could not be vetted")
        text = " and ".join(parts)
        if not yes:
            notes.append(f"not installed: {text}. Re-run with --yes to install anyway.")
            return Decision(False, EXIT_FINDINGS if avoid else EXIT_ERROR, tuple(notes))
        notes.append(f"installing although {text} (--yes)")
    if review and not yes:
        listed = ", ".join(review)
        match ctx.policy.on_review:
            case "block":
                notes.append(
                    f"not installed: {listed} need review and the policy says on-review = "
                    '"block". Review them, then re-run with --yes.'
                )
                return Decision(False, EXIT_FINDINGS, tuple(notes))
            case "ask" if stdin.isatty():
                out.err(f"pipvet: {listed} need review (see the report above).")
                out.stderr.write("Install anyway? [y/N] ")
                out.stderr.flush()
                answer = stdin.readline().strip().lower()
                if answer not in ("y", "yes"):
                    notes.append(f"not installed: you declined after reviewing {listed}.")
                    return Decision(False, EXIT_FINDINGS, tuple(notes))
            case _:
                notes.append(
                    f"warning: installing {listed}, which need review; read the notes above"
                )
    return Decision(True, EXIT_OK, tuple(notes))
