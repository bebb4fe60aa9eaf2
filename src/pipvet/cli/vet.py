"""``pipvet vet``: should I depend on this package? A verdict with its evidence."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from pipvet.cli._common import Output, add_common_options, apply_output_options, emit
from pipvet.cli._options import add_source_options, add_target_options
from pipvet.cli._quick import APPEND, FLAG, VALUE, common_defaults, common_options
from pipvet.errors import UsageError
from pipvet.frozen import frozen
from pipvet.report.formats import VET_FORMATS

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    import argparse  # a command line cli._quick reads needs no argparse
    from pathlib import Path
    from typing import Any

    from packaging.markers import Marker

    from pipvet.inputs.requirements_model import RequirementEntry
    from pipvet.system.process import Runner
    from pipvet.vetting import requires
    from pipvet.vetting.request import VetRequest
    from pipvet.vetting.target import TargetEnvironment

# What vetting takes (the index client, the advisory store, the target's probe, threads,
# packaging) is imported by ``run``: `pipvet vet --help`, and a mistake on its command line,
# need only the parser (tests/test_cli_help_startup.py).

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
        help="vet every requirement of a requirements file, pyproject.toml, lock file (uv.lock, "
        "poetry.lock, Pipfile.lock, pylock.toml), environment.yml or notebook (.ipynb); "
        "repeatable",
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
    add_target_options(p, "vet")
    add_source_options(p)
    add_common_options(p, formats=VET_FORMATS)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, out: Output) -> int:
    return run(args, out)


# `pipvet vet NAME...` as most runs write it, read without argparse (see cli._quick; a test
# checks the table against the parser): what argparse cost a warm vet, about 24M instructions
# of its import, parser and parsing.
QUICK_POSITIONAL = "names"
QUICK_OPTIONS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "-r": ("requirement", APPEND, None),
    "--requirement": ("requirement", APPEND, None),
    "--deep": ("deep", FLAG, None),
    "--resolver": ("resolver", VALUE, ("metadata", "pip")),
    "--python": ("python", VALUE, None),
    "--venv": ("venv", VALUE, None),
    "--index-url": ("index_url", VALUE, None),
    "--top-packages-url": ("top_packages_url", VALUE, None),
    "--osv-url": ("osv_url", VALUE, None),
    "--osv-overlay": ("osv_overlay", VALUE, None),
    **common_options(VET_FORMATS),
}


def quick_defaults() -> dict[str, object]:
    """What argparse sets for each argument not given, and the handler: made at each call, so
    ``handle`` is the module's at the time (as ``set_defaults`` reads it at registration)."""
    return {
        "names": [],
        "requirement": [],
        "deep": False,
        "resolver": "metadata",
        "python": None,
        "venv": None,
        "index_url": None,
        "top_packages_url": None,
        "osv_url": None,
        "osv_overlay": None,
        **common_defaults(VET_FORMATS),
        "func": handle,
    }


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
    from pipvet.cli import _vetting
    from pipvet.cli._context import build_context
    from pipvet.report.vet import render_vet

    apply_output_options(args, out)
    ctx = build_context(args, environ=environ, cwd=cwd, clock=clock)
    wanted, warnings = _collect(args, ctx.environ, ctx.cwd)
    chosen = _vetting.choose_target(args, ctx)
    run_cmd = runner or ctx.runner()
    if args.resolver == "pip":
        _vetting.check_pip_settings([], ctx, chosen, run_cmd, installing=False)
    # Names whose request applies whatever the target (no marker) are asked for at once.
    early = [w.request.name for w in wanted if w.marker is None and w.request.problem is None]
    setup = _vetting.prepare(
        ctx, chosen, run_cmd, resolver=args.resolver, progress=out.progress, names=early
    )
    try:
        requests, notes = _requests(wanted, setup.target)
        warnings += notes
        out.progress(f"vetting {len(requests)} package{'s' if len(requests) != 1 else ''}")
        packages = setup.vetter.vet(requests, deep=args.deep)
    finally:
        setup.close()
    report = _vetting.build_report(
        ctx, setup, packages, resolver=args.resolver, extra_warnings=warnings
    )
    emit(out, render_vet(report, args.format, color=out.color), args.output)
    return _vetting.exit_code(report)


@frozen
class _Wanted:
    """One request as written, with its environment marker and where it was written."""

    request: VetRequest
    marker: Marker | None
    where: str  # "requirements.txt:3", or "the command line"


def _collect(
    args: argparse.Namespace, environ: Mapping[str, str], cwd: Path
) -> tuple[list[_Wanted], list[str]]:
    """Every request of the command line and the -r files, in order, markers not yet applied.

    Parsed before the target is asked about itself, so bad input fails fast."""
    from pathlib import Path

    from pipvet.vetting import requires
    from pipvet.vetting.request import parse_request

    wanted: list[_Wanted] = []
    warnings: list[str] = []
    for text in args.names:
        request = parse_request(text)
        found = requires.read(text)
        wanted.append(_Wanted(request, _marker(text, found), "the command line"))
    for name in args.requirement:
        from pipvet.inputs.requirements import parse_declared

        path = Path(name) if Path(name).is_absolute() else cwd / name
        parsed = parse_declared(path, environ=environ)
        warnings += parsed.warnings
        for entry in parsed.requirements:
            if (entry.url or "").startswith("conda:"):
                # conda's names are not PyPI's (pytorch, python, pip): vetting them against
                # the index would judge another project.
                warnings.append(
                    f"not vetted: {entry.raw} ({entry.location}) is installed by conda, whose "
                    "names and packages are not PyPI's"
                )
                continue
            wanted.append(_Wanted(_from_entry(entry), entry.marker, str(entry.location)))
    if not wanted:
        raise UsageError(
            "nothing to vet",
            hint="name packages (pipvet vet requests pandas) or a file (pipvet vet -r "
            "requirements.txt)",
        )
    return wanted, warnings


def _requests(
    wanted: Sequence[_Wanted], target: TargetEnvironment
) -> tuple[list[VetRequest], list[str]]:
    """What to vet for ``target``, with a note for everything not vetted as written.

    A request whose marker is false for the target is skipped, as pip skips it. Requests of
    one name are vetted as one, with their specifiers intersected and extras united: pip
    installs one release of a name, and it must satisfy every request of it."""
    from pipvet.vetting.request import VetRequest

    notes: list[str] = []
    applying: list[_Wanted] = []
    for w in wanted:
        if w.marker is None:
            applying.append(w)
            continue
        from packaging.markers import UndefinedEnvironmentName

        try:
            applies = w.marker.evaluate(target.marker_environment())
        except UndefinedEnvironmentName as exc:
            # Fail closed: a marker pipvet cannot decide is vetted rather than skipped.
            notes.append(
                f"vetted {w.request.requested} ({w.where}) although its marker {w.marker} "
                f"cannot be evaluated for the target ({exc})"
            )
            applies = True
        if applies:
            applying.append(w)
        else:
            notes.append(
                f"skipped {_text(w)} ({w.where}): its marker {w.marker} does not apply to the "
                "target"
            )
    groups: dict[str, list[_Wanted]] = {}
    for w in applying:
        # Requests that cannot be vetted (URLs, editables) stay apart, each with its problem.
        key = w.request.name if w.request.problem is None else f"{w.request.name}\0{id(w)}"
        groups.setdefault(key, []).append(w)
    requests: list[VetRequest] = []
    for group in groups.values():
        if len(group) == 1:
            requests.append(group[0].request)
            continue
        from packaging.specifiers import SpecifierSet

        specifier = SpecifierSet()
        extras: frozenset[str] = frozenset()
        for w in group:
            specifier &= w.request.specifier
            extras |= w.request.extras
        first = group[0].request
        shown = " and ".join(dict.fromkeys(_text(w) for w in group))
        requests.append(VetRequest(shown, first.name, specifier, extras))
        places = ", ".join(dict.fromkeys(w.where for w in group))
        notes.append(
            f"{first.name} is requested {len(group)} times ({places}): vetted once, for a "
            f"release satisfying all of them ({specifier or 'any version'}), as pip installs "
            "one release that must satisfy every request"
        )
    return requests, notes


def _marker(text: str, found: requires.Read | None) -> Marker | None:
    """The marker of a request of the command line: none when ``requires`` read it without
    one (as packaging reads it), else packaging's."""
    if found is not None and found[4] is None:
        return None
    from packaging.requirements import Requirement

    return Requirement(text).marker


def _text(w: _Wanted) -> str:
    """The request without its marker (which the note states on its own)."""
    return w.request.requested.split(";", 1)[0].strip()


def _from_entry(entry: RequirementEntry) -> VetRequest:
    from pipvet.models import canonicalize_name
    from pipvet.vetting.request import VetRequest

    shown = entry.raw.strip()
    if entry.location.cell is not None:  # a notebook's install line: say which one
        shown = f"{shown} ({entry.location})"
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
