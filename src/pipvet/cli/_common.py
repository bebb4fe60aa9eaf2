"""Shared CLI plumbing: output streams, common options, error translation."""

from __future__ import annotations

import os
import sys

from pipvet.errors import InputError, PipvetError
from pipvet.redact import mask_userinfo

# Not typing's: `pipvet --help` imports this module, and typing alone would cost it ~5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse  # not at run time: a command line cli._quick reads needs no argparse
    from collections.abc import Iterable, Iterator
    from pathlib import Path
    from typing import IO

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
_WRITE_SLICE = 1 << 20

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "Output",
    "add_common_options",
    "apply_output_options",
    "emit",
    "handle_errors",
    "settle_output",
    "write_report",
]


class Output:
    """Where the CLI writes. Tests pass their own streams; nothing else touches sys.stdout.

    A plain class, not a dataclass: every run makes one, and ``pipvet --help`` should not pay
    for importing ``dataclasses``."""

    def __init__(
        self,
        stdout: IO[str],
        stderr: IO[str],
        quiet: bool = False,
        color: bool = False,
        progress_enabled: bool = False,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.quiet = quiet
        self.color = color
        self.progress_enabled = progress_enabled
        self._progress_shown = False
        self._reader_gone = False

    @classmethod
    def from_sys(cls) -> Output:
        # A stream the caller closed (`pipvet audit >&-` from cron) is None here: what would
        # go there goes nowhere, and the command still runs and exits with its own code.
        stdout = sys.stdout or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        stderr = sys.stderr or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        return cls(
            stdout=stdout,
            stderr=stderr,
            color=stdout.isatty() and "NO_COLOR" not in os.environ,
            progress_enabled=stderr.isatty(),
        )

    def write(self, text: str) -> None:
        self.clear_progress()
        text = mask_userinfo(text)  # the last guard: no URL credential reaches the screen
        if text and not text.endswith("\n"):
            text += "\n"
        self._send(text)
        self._flush()

    def write_pieces(self, pieces: Iterable[str]) -> None:
        """``write`` of the pieces joined, each written as it comes (a long report is never
        held whole); a newline ends the output when the last piece did not."""
        self.clear_progress()
        last = ""
        for piece in pieces:
            text = mask_userinfo(piece)
            self._send(text)
            last = text[-1:] or last
        if last != "\n":
            self._send("\n")
        self._flush()

    def _send(self, text: str) -> None:
        # In slices: the stream encodes what it is given in one piece, and a report of
        # thousands of packages is megabytes (its encoded copy would add to the peak memory).
        if self._reader_gone:
            return
        try:
            for start in range(0, len(text), _WRITE_SLICE):
                self.stdout.write(text[start : start + _WRITE_SLICE])
        except BrokenPipeError:
            self._stop_writing()
        except OSError as exc:
            raise _unwritable(exc) from None

    def _flush(self) -> None:
        if self._reader_gone:
            return
        try:
            self.stdout.flush()
        except BrokenPipeError:
            self._stop_writing()
        except OSError as exc:
            raise _unwritable(exc) from None

    def _stop_writing(self) -> None:
        """The reader of stdout went away (``pipvet audit | head``): that is no error of the
        command, which finishes and exits with its own code; nothing more goes to stdout."""
        self._reader_gone = True
        from pipvet.system.files import point_nowhere  # not imported for a bare --help

        point_nowhere(self.stdout)

    def err(self, text: str) -> None:
        from pipvet.report.safe import escape_controls  # not imported for a bare --help

        self.clear_progress()
        self.stderr.write(escape_controls(mask_userinfo(text)) + "\n")
        self.stderr.flush()

    def info(self, text: str) -> None:
        """A side note on stderr that ``--quiet`` silences."""
        if not self.quiet:
            self.err(text)

    def progress(self, text: str) -> None:
        """A transient status line on stderr, only when stderr is a terminal."""
        if not self.progress_enabled or self.quiet:
            return
        from pipvet.report.safe import escape_controls

        self.stderr.write("\r\x1b[2K" + escape_controls(mask_userinfo(text))[:120])
        self.stderr.flush()
        self._progress_shown = True

    def clear_progress(self) -> None:
        if self._progress_shown:
            self.stderr.write("\r\x1b[2K")
            self.stderr.flush()
            self._progress_shown = False


class _Status:
    def __init__(self) -> None:
        self.code = EXIT_ERROR


class handle_errors:  # lower case: it reads as the function it replaced
    """The one error boundary: pipvet's own errors become their message and exit 2; any
    other exception is a bug, reported in one line (traceback kept in a file) and exit 2.
    A class rather than a generator context manager: ``pipvet --help`` runs through it, and
    contextlib is not worth its import there."""

    __slots__ = ("_cache_dir", "_out", "_status")

    def __init__(self, out: Output, cache_dir: Path | None = None) -> None:
        self._out = out
        self._cache_dir = cache_dir
        self._status = _Status()

    def __enter__(self) -> _Status:
        return self._status

    def __exit__(self, kind: object, exc: BaseException | None, trace: object) -> bool:
        out, status = self._out, self._status
        if exc is None:
            return False
        if isinstance(exc, PipvetError):
            out.err(f"pipvet: error: {exc}")
            if exc.hint:
                out.err(f"hint: {exc.hint}")
        elif isinstance(exc, KeyboardInterrupt):
            out.err("pipvet: interrupted")
            status.code = 130
            return True
        elif isinstance(exc, Exception):  # the catch-all: a bug must never look like a finding
            from pipvet.cli._internal import report_internal_error
            from pipvet.system.paths import default_cache_dir

            cache_dir = self._cache_dir
            report_internal_error(
                exc,
                out.err,
                environ=os.environ,
                cache_dir=lambda: cache_dir if cache_dir is not None else default_cache_dir(),
            )
        else:  # SystemExit and the like: not errors of the command
            return False
        status.code = EXIT_ERROR
        return True


def add_common_options(
    parser: argparse.ArgumentParser, *, formats: tuple[str, ...] = ("text", "json")
) -> None:
    g = parser.add_argument_group("common options")
    g.add_argument("--format", choices=formats, default=formats[0], help="output format")
    g.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE (atomically; its folder must exist); - is standard output",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="print only the report")
    g.add_argument("--no-color", action="store_true", help="never use colour")
    g.add_argument("--offline", action="store_true", help="use only cached data; never fetch")
    g.add_argument(
        "--http-timeout",
        metavar="SECONDS",
        type=_http_seconds,
        help="seconds one request may take, retries included (default: the policy's "
        "http-timeout, 60); downloading the advisory archive has its own 30 minutes",
    )
    g.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder (default: PIPVET_CACHE_DIR or the user cache directory)",
    )
    g.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (default: pipvet.toml or "
        "[tool.pipvet] in pyproject.toml, searched upwards from here)",
    )


def _http_seconds(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 1 <= value <= 3600:  # also false for nan
        raise argparse.ArgumentTypeError(f"expected seconds from 1 to 3600, got {text[:40]!r}")
    return value


def _unwritable(exc: OSError) -> PipvetError:
    return InputError(
        f"cannot write the report to standard output: {exc.strerror or exc}",
        hint="free some space or redirect the output elsewhere (or write it with -o FILE)",
    )


def apply_output_options(args: argparse.Namespace, out: Output) -> None:
    if getattr(args, "quiet", False):
        out.quiet = True
    if getattr(args, "no_color", False):
        out.color = False


def settle_output(args: argparse.Namespace) -> None:
    """``--output -`` is standard output, as for most command-line tools (a file named "-" is
    ``-o ./-``); any other FILE (and ``update --sarif FILE``) must be in a folder that
    exists. Asked before the command runs, so a mistyped folder costs no audit; a folder is
    never made, since a typo would silently make a tree and leave the report where nobody
    looks."""
    output = getattr(args, "output", None)
    if output == "-":
        args.output = None
    elif output is not None:
        check_output_folder(output)
    sarif = getattr(args, "sarif", None)  # pipvet update's second report
    if sarif == "-":
        from pipvet.errors import UsageError

        raise UsageError(
            "--sarif - would mix the SARIF report into the report on standard output",
            hint="give --sarif a file, or write the SARIF alone with --format sarif -o -",
        )
    if sarif is not None:
        check_output_folder(sarif)


def check_output_folder(output: str) -> None:
    """InputError naming the missing folder when ``output``'s folder does not exist."""
    folder = os.path.dirname(output)
    if folder and not os.path.isdir(folder):
        raise InputError(
            f"cannot write the report to {output}: the folder {folder} does not exist"
            if not os.path.exists(folder)
            else f"cannot write the report to {output}: {folder} is not a folder",
            hint="fix the path, or create the folder first (pipvet does not create folders for -o)",
        )


def emit(out: Output, text: str, output_file: str | None) -> None:
    """Write a report to stdout or, atomically, to a file."""
    if output_file is None:
        out.write(text)
        return
    from pathlib import Path

    write_report(Path(output_file), text)
    out.info(f"report written to {output_file}")


def emit_pieces(out: Output, pieces: Iterable[str], output_file: str | None) -> None:
    """``emit`` for a report made in pieces, written as they are made."""
    if output_file is None:
        out.write_pieces(pieces)
        return
    from pathlib import Path

    write_report_pieces(Path(output_file), pieces)
    out.info(f"report written to {output_file}")


def write_report_pieces(path: Path, pieces: Iterable[str]) -> None:
    """``write_report`` for a report made in pieces."""
    from pipvet.system.files import write_chunks_atomic

    check_output_folder(str(path))  # again: the folder may have gone while the command ran

    def encoded() -> Iterator[bytes]:
        last = ""
        for piece in pieces:
            text = mask_userinfo(piece)
            last = text[-1:] or last
            yield text.encode("utf-8")
        if last != "\n":
            yield b"\n"

    write_chunks_atomic(path, encoded())


def write_report(path: Path, text: str) -> None:
    """A report file ends with a newline, and is written atomically like every file."""
    write_report_pieces(path, (text,))
