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

import sys
import time
from collections.abc import Callable, Mapping, Sequence

from pipvet.cli._common import Output, add_common_options, apply_output_options
from pipvet.cli._options import add_source_options, add_target_options
from pipvet.cli._parser import PipvetArgumentParser
from pipvet.errors import PipError, UsageError
from pipvet.frozen import replace
from pipvet.report.formats import VET_FORMATS

# Not typing's (see cli._common). What installing takes (pip's dry run, the vetting, the
# index, the audit, packaging, json, the renderers) is imported by ``run``: `pipvet install
# --help`, and a mistake on its command line, need only the parser
# (tests/test_cli_help_startup.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import IO, Any

    from pipvet.system.process import Runner

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
    from packaging.specifiers import SpecifierSet

    from pipvet.cli import _install_run as running
    from pipvet.cli import _install_steps as steps
    from pipvet.cli import _vetting
    from pipvet.cli._context import build_context
    from pipvet.vetting.request import VetRequest
    from pipvet.vetting.subtree import pip_dry_run

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
    chosen = running.isolated_target(args, ctx, run_cmd)
    _vetting.check_pip_settings(pip_args, ctx, chosen, run_cmd, installing=True)
    out.info(f"installing into {chosen.description}")
    job = running.Job(
        args, ctx, chosen, run_cmd, pip_args, out, stdin if stdin is not None else sys.stdin
    )

    out.progress("asking pip what it would install (wheels only: nothing is built)")
    try:
        planned = pip_dry_run(str(chosen.python), pip_args, run_cmd)
    except PipError as exc:
        return running.vet_requested(job, exc)
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
    vetted = running.check_files(setup.vetter.index, planned, vetted)
    # Packages pip brings in as dependencies were not asked for by name.
    requested = {e.name for e in planned if e.requested}
    packages = tuple(p if p.name in requested else replace(p, requested=None) for p in vetted)
    report = _vetting.build_report(ctx, setup, packages, resolver="pip")
    pinned = [steps.Pinned(e.name, e.version, sha256=e.sha256) for e in planned]
    return running.finish(job, setup, report, pinned)
