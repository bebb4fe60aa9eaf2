"""``pipvet install`` once pip has said what it would install: the target checked to be an
isolated environment, the files pip would take checked against the vetted index, the
decision, the install of exactly what was vetted and its audit, and the report of it all.

Imported by ``cli.install``'s ``run`` only: `pipvet install --help` needs the parser alone.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pipvet.cli import _install_steps as steps
from pipvet.cli import _vetting
from pipvet.cli._common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, Output, emit
from pipvet.cli._context import RunContext
from pipvet.cli._install_output import (
    Decision,
    Outcome,
    changes,
    difference_doc,
    tail_lines,
    tail_text,
)
from pipvet.errors import EnvironmentProblem, PipError, PipvetError
from pipvet.frozen import frozen
from pipvet.inputs import interpreter
from pipvet.redact import mask_userinfo
from pipvet.report.jsonout import audit_to_dict
from pipvet.report.safe import json_safe
from pipvet.report.vet import render_vet, vet_to_dict
from pipvet.system.process import Runner
from pipvet.vetting.model import PackageVet, VetReport
from pipvet.vetting.subtree import PipReportEntry

TYPE_CHECKING = False  # not typing's (see cli._common)
if TYPE_CHECKING:
    import argparse
    from typing import IO

    from pipvet.index.client import IndexClient

__all__ = ["Job", "check_files", "finish", "isolated_target", "vet_requested"]


def check_files(
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
class Job:
    """One ``pipvet install``: its arguments and collaborators."""

    args: argparse.Namespace
    ctx: RunContext
    chosen: _vetting.Chosen
    runner: Runner
    pip_args: list[str]
    out: Output
    stdin: IO[str]


def finish(
    job: Job,
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


def vet_requested(job: Job, error: PipError) -> int:
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
    return finish(job, setup, report, pinned, unresolved=error)


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


def isolated_target(args: argparse.Namespace, ctx: RunContext, runner: Runner) -> _vetting.Chosen:
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
