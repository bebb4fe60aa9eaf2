"""The command line: argv in, exit code out. The only package that prints or exits.

Each command lives in its own module exposing ``register(subparsers)``; the handler it sets
as ``func`` receives the parsed namespace and an ``Output`` and returns the exit code. This
module holds ``main`` (the ``pipvet`` entry point) and imports only the command that was
named, so a command does not pay for the others' imports at start-up.

The top of the house: may import every capability (``update``, ``project``, ``exposure``,
``vetting``, ``audit``, ``advisories``, ``index``, ``inputs``, ``system``) and ``report``;
nothing imports ``cli``.
"""

from __future__ import annotations

import gc
import os
import sys

from pipvet import __version__

# Not typing.TYPE_CHECKING: importing typing would cost `pipvet --version` a third of its time.
# mypy treats any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path
    from types import ModuleType

    from pipvet.cli._common import Output, handle_errors

__all__ = ["Output", "console_main", "handle_errors", "main"]


def __getattr__(name: str) -> object:
    # The public names of the CLI's seam (what ``main`` writes to, the error boundary a
    # command's handler runs in), imported when first asked for: `pipvet --version` does not
    # load argparse.
    if name in ("Output", "handle_errors"):
        from pipvet.cli import _common

        return getattr(_common, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Command modules, in the order `pipvet --help` lists them.
_COMMANDS: tuple[str, ...] = (
    "init", "update", "doctor", "audit", "db", "vet", "install", "relax", "exposure", "sbom",
    "fleet", "report",
)  # fmt: skip

# The one-line help each command module registers (tests/test_cli_startup.py checks they
# agree): `pipvet --help`, a bare `pipvet` and a misspelt command list the commands from here
# without importing any command module, so they answer in the time the interpreter starts.
_SUMMARIES: dict[str, str] = {
    "init": "set the project up: .venv, policy, IDE task, CI workflow",
    "update": "upgrade the project's environment (cooldown, final releases), then audit it "
    "and vet what is new",
    "doctor": "score this project and machine against the safe-dependency routine",
    "audit": "check installed packages or requirements for known vulnerabilities and malware",
    "db": "sync or inspect the local advisory database",
    "vet": "should I depend on this package? a verdict (ok, review, avoid) with evidence",
    "install": "vet what pip would install, then install it with the environment's own pip",
    "relax": "rewrite exact pins (==) in requirements as minimum bounds (>=)",
    "exposure": "list the credentials a malicious package running here could read",
    "sbom": "write an SBOM (CycloneDX 1.6 / 1.5 or SPDX 2.3 JSON) with known vulnerabilities",
    "fleet": "the same dependencies across many projects: drift, shared vulnerabilities, "
    "used once, undeclared, pins; 'fleet constraints' writes shared floors",
    "report": "one self-contained HTML page: vulnerabilities, release ages, scorecard, "
    "exposure, vetting, fleet drift",
}


def build_parser(only: str | None = None, *, listing: bool = False) -> argparse.ArgumentParser:
    """The parser of every command, or of ``only`` that one; with ``listing``, each command
    is only named with its one-line help (enough to list them, not to run one)."""
    from pipvet.cli._listing import DESCRIPTION, EPILOG
    from pipvet.cli._parser import PipvetArgumentParser

    parser = PipvetArgumentParser(
        prog="pipvet",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"pipvet {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=PipvetArgumentParser
    )
    for name in _COMMANDS if only is None else (only,):
        if listing:  # never parses a command's arguments: no -h of its own to build
            sub.add_parser(name, help=_SUMMARIES[name], add_help=False)
            continue
        module = _command_module(name)
        module.register(sub)
    return parser


def _command_module(name: str) -> ModuleType:
    """``pipvet.cli.<name>``, imported as ``importlib.import_module`` would, without importing
    importlib (and warnings with it), which no other module an audit needs imports."""
    full = f"pipvet.cli.{name}"
    __import__(full)
    return sys.modules[full]


def _chosen_command(args: Sequence[str]) -> str | None:
    """The command named on the command line, when it is a known one.

    Importing a command module pulls in everything that command needs; `pipvet audit` should
    not pay for `update` or `vet`. Help and unknown commands load none: no command runs
    then, so the parser only lists them (``_SUMMARIES``).
    """
    first = next((a for a in args if not a.startswith("-")), None)
    return first if first in _COMMANDS else None


def main(argv: Sequence[str] | None = None, output: Output | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:
        # Answered before anything else is imported: building the parser imports every command.
        return _answer(output, f"pipvet {__version__}\n", 0)
    if args_list in (["--help"], ["-h"], []):
        # The listing, laid out as argparse would, without importing it (see _listing).
        from pipvet.cli._listing import columns, listing_help

        text = listing_help(_SUMMARIES, columns() - 2)
        if text is not None:  # a bare `pipvet` names no command to run: exit 2
            return _answer(output, text, 0 if args_list else 2)
    from pipvet.cli._common import EXIT_ERROR, Output, handle_errors, settle_output

    out = output or Output.from_sys()
    parsed: argparse.Namespace | int = EXIT_ERROR
    with handle_errors(out):
        parsed = _parse(args_list, out)
    if isinstance(parsed, int):
        return parsed
    with handle_errors(out, _cache_dir_option(parsed)) as status:
        settle_output(parsed)
        status.code = int(parsed.func(parsed, out))
    return status.code


def _answer(output: Output | None, text: str, code: int) -> int:
    """Write an answer given before the CLI's machinery is loaded (``--version``, the
    listing), as ``Output`` writes: a closed standard output (``>&-``) or a reader that stopped
    reading is no error, a full disk is."""
    stream = output.stdout if output else sys.stdout
    if stream is None:
        return code
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        from pipvet.system.files import point_nowhere  # only a reader that went away needs it

        point_nowhere(stream)
    except OSError as exc:
        error = output.stderr if output else sys.stderr
        if error is not None:
            error.write(f"pipvet: error: cannot write to standard output: {exc.strerror or exc}\n")
        return 2
    return code


def _parse(args_list: list[str], out: Output) -> argparse.Namespace | int:
    """The parsed command line, or the exit code when there is no command to run."""
    chosen = _chosen_command(args_list)
    if chosen is not None:
        quick = _read_quickly(chosen, args_list)
        if quick is not None:
            return quick
    from pipvet.cli._common import EXIT_ERROR
    from pipvet.cli._parser import ArgumentError

    parser = build_parser(only=chosen, listing=chosen is None)
    try:
        args = parser.parse_args(args_list)
    except ArgumentError as exc:
        out.err(exc.message)
        if exc.hint:
            out.err(f"hint: {exc.hint}")
        return EXIT_ERROR
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return int(exc.code or 0)
    if getattr(args, "func", None) is None:
        out.write(parser.format_help())
        return EXIT_ERROR
    return args


def _read_quickly(chosen: str, args_list: list[str]) -> argparse.Namespace | None:
    """The command line read without argparse (cli._quick), when the command keeps a table
    of its options and the line is one that table reads; else None."""
    module = _command_module(chosen)  # what building the parser would import
    options = getattr(module, "QUICK_OPTIONS", None)
    if options is None:
        return None
    from pipvet.cli._quick import quick_parse

    positional = getattr(module, "QUICK_POSITIONAL", None)
    return quick_parse(args_list, chosen, options, module.quick_defaults(), positional)


def _cache_dir_option(args: argparse.Namespace) -> Path | None:
    from pipvet.errors import UsageError
    from pipvet.system.paths import expand_home

    chosen = getattr(args, "cache_dir", None)
    try:
        return expand_home(chosen, origin="--cache-dir") if chosen else None
    except UsageError:  # ~user that does not exist: the command itself will say so
        return None


def console_main() -> None:
    """The ``pipvet`` entry point: ``main``, then leave without tearing the interpreter down.

    Freeing every object of a large audit one by one takes longer than the audit's own
    rendering; the streams are flushed first, and every file pipvet writes is closed (or
    renamed into place) before ``main`` returns, so nothing is lost by not waiting.

    The cyclic garbage collector is off for the run: reference counting frees what pipvet
    makes (trees of values, few cycles), and the collector's passes over every object alive
    cost an audit of 20,000 packages half its time (3.9 s -> 2.0 s) while freeing nothing."""
    gc.disable()
    _defer_ipaddress()
    try:
        code = main()
    except Exception:
        # Only when even the error boundary could not say what went wrong (standard error is
        # a full disk): whatever it was, it must not exit 1, which means "findings".
        os._exit(2)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the caller closed it (`pipvet audit >&-`)
                stream.flush()
    except (OSError, ValueError):  # a closed pipe: what the normal exit would do
        sys.exit(code)
    os._exit(code)


def _defer_ipaddress() -> None:
    """Put a stand-in for ``ipaddress`` in ``sys.modules``, which imports the module the first
    time one of its names is read and then hands out the module's own objects.

    Every command imports pathlib, which imports urllib.parse, which imports ipaddress (about
    5 million instructions, 1.7 % of a 300-package audit) for one check that a URL's host in
    brackets (``http://[::1]/``) is an IP address; an offline audit parses no such URL. Only
    for the ``pipvet`` process itself, and only while nothing has imported the module yet."""
    if "ipaddress" in sys.modules:
        return
    import _thread
    from types import ModuleType  # loaded already: re imports it through enum

    # Threads (the index client's) may read it at once: the first imports it while the others
    # wait, and __import__ hands them the finished module, never a half-built one.
    lock = _thread.allocate_lock()

    class Deferred(ModuleType):
        def __getattr__(self, name: str) -> object:
            with lock:
                if sys.modules.get("ipaddress") is self:
                    del sys.modules["ipaddress"]
                real = __import__("ipaddress")
            return getattr(real, name)

    sys.modules["ipaddress"] = Deferred("ipaddress")
