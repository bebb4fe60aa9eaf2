"""``pipvet --help`` (and a bare ``pipvet``) without argparse.

Listing the commands is the one thing a user runs to learn the tool, and argparse's import
(with gettext and locale) is most of what it cost. This module lays the listing out exactly
as argparse's ``HelpFormatter`` lays out ``build_parser(listing=True)`` (a test compares the
two at many widths) for every terminal at least ``MIN_WIDTH`` wide; a narrower one, where
argparse moves help texts around, gets argparse itself. The terminal width is read as
``shutil.get_terminal_size`` reads it, without importing shutil.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: see pipvet.cli
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DESCRIPTION", "EPILOG", "MIN_WIDTH", "columns", "listing_help"]

DESCRIPTION = (
    "Keep your Python dependencies safe: audit them for known vulnerabilities and malware, "
    "vet packages before adopting them, keep them updated."
)
EPILOG = (
    "Exit codes: 0 all good, 1 findings at or above the policy's fail level, 2 usage error, "
    "bad input, data unavailable or anything left unchecked."
)
# Below this many columns argparse narrows its help column; those layouts are left to it.
MIN_WIDTH = 60

# argparse's own texts for the two options of the top-level parser.
_OPTIONS = (("-h, --help", "show this help message and exit"),
            ("--version", "show program's version number and exit"))  # fmt: skip


def columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` reads it (COLUMNS, then the
    terminal, else 80), without importing shutil (and bz2, lzma)."""
    try:
        found = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        found = 0
    if found <= 0:
        try:
            found = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            found = 0
    return found if found > 0 else 80


def listing_help(summaries: Mapping[str, str], width: int) -> str | None:
    """The help of the command listing at ``width`` (argparse's: the terminal's columns
    minus 2), or None when the terminal is too narrow for this layout."""
    if width < MIN_WIDTH:
        return None
    import textwrap  # what argparse wraps with, so lines break where its lines break

    indent = 2
    names = [*summaries, "COMMAND", *(option for option, _ in _OPTIONS)]
    position = min(max(map(len, names)) + indent + 2, 24)  # where the help texts start
    if any(len(name) > position - indent - 4 for name in summaries):
        return None  # argparse would put that help on a line of its own
    help_width = max(width - position, 11)

    def entry(invocation: str, text: str, at: int) -> list[str]:
        lines = textwrap.wrap(" ".join(text.split()), help_width)
        first = f"{'':{at}}{invocation:<{position - at - 2}}  {lines[0]}"
        return [first, *(f"{'':{position}}{line}" for line in lines[1:])]

    out = ["usage: pipvet [-h] [--version] COMMAND ...", ""]
    out += [textwrap.fill(DESCRIPTION, width), "", "positional arguments:", "  COMMAND"]
    for name, text in summaries.items():
        out += entry(name, text, indent + 2)
    out += ["", "options:"]
    for invocation, text in _OPTIONS:
        out += entry(invocation, text, indent)
    out += ["", textwrap.fill(EPILOG, width)]
    return "\n".join(out) + "\n"
