"""``pipvet install ARGS...``: vet what pip would install, then let the environment's pip do it.

1. Refuse unless the target is an isolated environment (a venv or a conda environment).
2. Ask the target's own pip what ``pip install ARGS`` would install (``--dry-run --report``):
   the exact set, dependencies included, with the user's own pip configuration.
3. Vet every package in that set. ``avoid`` blocks (unless ``--yes``); anything that could not
   be checked blocks too (fail closed, unless ``--yes``); ``review`` follows the policy's
   ``on-review``: ``ask`` asks when stdin is a terminal and otherwise proceeds with a
   warning, ``allow`` proceeds with a warning, ``block`` blocks (unless ``--yes``).
4. Run ``<python> -m pip install ARGS`` and show what changed (added, upgraded, removed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from packaging.specifiers import SpecifierSet

from pipvet.cli import _vetting
from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    PipvetArgumentParser,
    add_common_options,
    apply_output_options,
    emit,
)
from pipvet.cli._context import RunContext, build_context
from pipvet.errors import EnvironmentProblem, PipError, UsageError
from pipvet.inputs import interpreter
from pipvet.models import NormalizedName
from pipvet.report.vet import VET_FORMATS, render_vet, vet_to_dict
from pipvet.system.process import Runner
from pipvet.vetting.model import VetReport
from pipvet.vetting.service import VetRequest
from pipvet.vetting.subtree import PipReportEntry, pip_dry_run

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "install",
        help="vet what pip would install, then install it with the environment's own pip",
        description=(
            "Ask the target environment's pip what 'pip install ARGS' would install, vet every "
            "package in that set, and only then run '<python> -m pip install ARGS'. Refuses to "
            "install outside a virtual or conda environment. A package to avoid blocks the "
            "install unless --yes; one to review follows the policy's on-review (ask when "
            "interactive, else proceed with a warning)."
        ),
        epilog="pipvet's own options go before the pip arguments: pipvet install --yes -r "
        "requirements.txt. Exit codes: 0 installed (or nothing to do); 1 blocked by the "
        "vetting; 2 usage error, no isolated environment, pip failed, or a package could not "
        "be vetted.",
    )
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="install even what vetting says to avoid (the report is still shown)",
    )
    _vetting.add_target_options(p, "install into")
    # No --index-url here: after the pip arguments start it is pip's, and before them it
    # would silently mean something else. The metadata index comes from PIPVET_INDEX_URL or
    # the policy.
    _vetting.add_source_options(p, index_url=False)
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


@dataclass(frozen=True)
class _Decision:
    proceed: bool
    code: int  # the exit code when not proceeding
    notes: tuple[str, ...]


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
    run_cmd = runner or ctx.runner()
    chosen = _isolated_target(args, ctx, run_cmd)
    out.info(f"installing into {chosen.description}")

    out.progress("asking pip what it would install")
    try:
        planned = pip_dry_run(str(chosen.python), pip_args, run_cmd)
    except PipError:
        _vet_what_pip_could_not_resolve(ctx, chosen, run_cmd, pip_args, fmt=args.format, out=out)
        raise
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
    # Packages pip brings in as dependencies were not asked for by name.
    requested = {e.name for e in planned if e.requested}
    packages = tuple(p if p.name in requested else replace(p, requested=None) for p in vetted)
    report = _vetting.build_report(ctx, setup, packages, resolver="pip")
    # On a terminal the report comes first: the question and pip's output refer to it.
    streaming = args.format != "json" and args.output is None
    if streaming:
        out.write(render_vet(report, args.format, color=out.color))
    decision = _decide(report, args.yes, ctx, out, stdin if stdin is not None else sys.stdin)
    changes: dict[str, Any] | None = None
    if decision.proceed and planned:
        _install(chosen.python, pip_args, run_cmd, out)
        after = _vetting.describe_target(chosen.python, run_cmd, ctx.cache_dir).installed
        changes = _changes(setup.target.installed, after)
    tail = _tail(planned, decision, changes)
    if streaming and tail:
        out.write("\n" + "\n".join(tail))
    elif args.format == "json":
        doc = vet_to_dict(report)
        doc["install"] = {
            "planned": [
                {"name": e.name, "version": e.version, "requested": e.requested} for e in planned
            ],
            "installed": changes is not None,
            "notes": list(decision.notes),
            "changes": changes,
        }
        emit(out, json.dumps(doc, indent=2, ensure_ascii=False), args.output)
    else:
        emit(out, render_vet(report, args.format) + "\n" + "\n".join(tail), args.output)
    return EXIT_OK if decision.proceed else decision.code


# pip options that take a value: the token after them is not a requirement.
_PIP_VALUE_OPTIONS = frozenset(
    {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
     "--extra-index-url", "-f", "--find-links", "--trusted-host", "-t", "--target",
     "--prefix", "--root", "--platform", "--python-version", "--implementation", "--abi",
     "--src", "--upgrade-strategy", "--progress-bar", "--report", "--log", "--cache-dir",
     "--config-settings", "-C", "--only-binary", "--no-binary", "--uploaded-prior-to"}
)  # fmt: skip


def _named_requirements(pip_args: Sequence[str]) -> list[VetRequest]:
    """The plain ``NAME[SPEC]`` arguments of a pip install command line."""
    from pipvet.vetting.service import parse_request

    found: list[VetRequest] = []
    skip_next = False
    for token in pip_args:
        if skip_next:
            skip_next = False
            continue
        if token.startswith("-"):
            skip_next = token in _PIP_VALUE_OPTIONS
            continue
        if "/" in token or "\\" in token or token.startswith("."):
            continue  # a path or URL: nothing to look up by name
        try:
            found.append(parse_request(token))
        except UsageError:
            continue
    return found


def _vet_what_pip_could_not_resolve(
    ctx: RunContext,
    chosen: _vetting.Chosen,
    runner: Runner,
    pip_args: Sequence[str],
    *,
    fmt: str,
    out: Output,
) -> None:
    """pip failing to find a name is exactly when a typo or an invented name is likely: show
    the vet verdict ("did you mean ...?") before pip's error, instead of pip's error alone."""
    requests = _named_requirements(pip_args)
    if not requests:
        return
    setup = _vetting.prepare(ctx, chosen, runner, progress=out.progress)
    try:
        vetted = setup.vetter.vet(requests, subtree=False)
    finally:
        setup.close()
    report = _vetting.build_report(ctx, setup, vetted, resolver="pip")
    out.write(render_vet(report, fmt, color=out.color))


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


def _decide(
    report: VetReport, yes: bool, ctx: RunContext, out: Output, stdin: IO[str]
) -> _Decision:
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
            return _Decision(False, EXIT_FINDINGS if avoid else EXIT_ERROR, tuple(notes))
        notes.append(f"installing although {text} (--yes)")
    if review and not yes:
        listed = ", ".join(review)
        match ctx.policy.on_review:
            case "block":
                notes.append(
                    f"not installed: {listed} need review and the policy says on-review = "
                    '"block". Review them, then re-run with --yes.'
                )
                return _Decision(False, EXIT_FINDINGS, tuple(notes))
            case "ask" if stdin.isatty():
                out.err(f"pipvet: {listed} need review (see the report above).")
                out.stderr.write("Install anyway? [y/N] ")
                out.stderr.flush()
                answer = stdin.readline().strip().lower()
                if answer not in ("y", "yes"):
                    notes.append(f"not installed: you declined after reviewing {listed}.")
                    return _Decision(False, EXIT_FINDINGS, tuple(notes))
            case _:
                notes.append(
                    f"warning: installing {listed}, which need review; read the notes above"
                )
    return _Decision(True, EXIT_OK, tuple(notes))


def _install(python: Path, pip_args: list[str], runner: Runner, out: Output) -> None:
    argv = [str(python), "-m", "pip", "install", *pip_args]
    out.info(f"running {' '.join(argv)}")
    result = runner(argv, on_line=out.info)
    if result.returncode != 0:
        lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
        raise PipError(
            f"pip install failed (exit code {result.returncode})"
            + (f": {lines[-1].strip()}" if lines else ""),
            hint="pip's own messages are shown above; nothing was vetted differently",
        )


def _changes(
    before: Mapping[NormalizedName, str], after: Mapping[NormalizedName, str]
) -> dict[str, Any]:
    return {
        "added": [{"name": n, "version": after[n]} for n in sorted(after.keys() - before.keys())],
        "upgraded": [
            {"name": n, "from": before[n], "to": after[n]}
            for n in sorted(after.keys() & before.keys())
            if before[n] != after[n]
        ],
        "removed": [
            {"name": n, "version": before[n]} for n in sorted(before.keys() - after.keys())
        ],
    }


def _tail(
    planned: tuple[PipReportEntry, ...], decision: _Decision, changes: dict[str, Any] | None
) -> list[str]:
    lines: list[str] = []
    if not planned:
        lines.append("pip has nothing to install: everything asked for is already there.")
    lines += decision.notes
    if changes is not None:
        lines += _change_lines(changes)
    return lines


def _change_lines(changes: dict[str, Any]) -> list[str]:
    lines = ["What changed in the environment:"]
    for item in changes["added"]:
        lines.append(f"  added     {item['name']} {item['version']}")
    for item in changes["upgraded"]:
        lines.append(f"  upgraded  {item['name']} {item['from']} -> {item['to']}")
    for item in changes["removed"]:
        lines.append(f"  removed   {item['name']} {item['version']}")
    if len(lines) == 1:
        lines.append("  nothing (everything was already installed)")
    return lines
