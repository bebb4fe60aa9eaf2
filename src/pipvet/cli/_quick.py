"""A command line that argparse would read one way only, read without argparse.

argparse was a twentieth of a 300-package audit's instructions (19M of 370M): its import (with
gettext, and locale on its first message), building the command's parser, then parsing. A
command line that is the command's name followed by its own options, each written out in full
(``--offline``, ``-q``, ``--format json``, ``-r FILE``), means the same to any reader: this
module reads exactly those, from a table the command module keeps beside ``register``, and
gives up (None) on everything else: an abbreviation, ``--option=value``, ``-qo FILE``, ``--``,
a value that starts with "-" (but "-" alone, which argparse takes as a value too) or is
missing, a choice that is not offered, ``--help``, an option whose value argparse converts.
argparse then reads the command line as always, errors included.
A command with one list of positional arguments (``nargs="*"``, as ``pipvet vet NAME...``) has
them read when they stand together in one run (``vet a b --format json``, ``vet --deep a b``);
anything after an option's value and before the next option that is not one of them, or a
second run, is argparse's (which refuses a second run).

tests/test_cli_quick.py checks each table against the command's argparse parser and compares
the two readers on generated command lines.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: see pipvet.cli
if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Mapping, Sequence

__all__ = [
    "APPEND",
    "FLAG",
    "VALUE",
    "Namespace",
    "common_defaults",
    "common_options",
    "quick_parse",
]

# What an option does with the command line, as argparse's action of the same name.
FLAG = "store_true"  # no value; True when given
VALUE = "store"  # one value; the last one given counts
APPEND = "append"  # one value each time; all of them, in order


if not TYPE_CHECKING:  # type checkers see argparse's, of which handlers use this part

    class Namespace:
        """The parsed values as attributes, as ``argparse.Namespace`` holds them."""

        def __init__(self, **values):
            self.__dict__.update(values)

        def __repr__(self):
            shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
            return f"Namespace({shown})"


def common_options(formats: tuple[str, ...]) -> dict[str, tuple[str, str, tuple[str, ...] | None]]:
    """The table of the options ``cli._common.add_common_options`` adds, for a command of
    ``formats`` (all but --http-timeout, whose value argparse converts)."""
    return {
        "--format": ("format", VALUE, formats),
        "--output": ("output", VALUE, None),
        "-o": ("output", VALUE, None),
        "--quiet": ("quiet", FLAG, None),
        "-q": ("quiet", FLAG, None),
        "--no-color": ("no_color", FLAG, None),
        "--offline": ("offline", FLAG, None),
        "--cache-dir": ("cache_dir", VALUE, None),
        "--policy": ("policy", VALUE, None),
    }


def common_defaults(formats: tuple[str, ...]) -> dict[str, object]:
    """What argparse sets for each of those options (and --http-timeout) when not given."""
    return {
        "format": formats[0],
        "output": None,
        "quiet": False,
        "no_color": False,
        "offline": False,
        "http_timeout": None,
        "cache_dir": None,
        "policy": None,
    }


def quick_parse(
    argv: Sequence[str],
    command: str,
    options: Mapping[str, tuple[str, str, tuple[str, ...] | None]],
    defaults: Mapping[str, object],
    positional: str | None = None,
) -> Namespace | None:
    """``argv`` read as argparse reads it, when it is ``command`` followed only by options of
    ``options`` (option string -> (attribute, FLAG / VALUE / APPEND, the values a VALUE
    option allows or None)) and, when ``positional`` names the attribute of the command's one
    ``nargs="*"`` positional argument, one run of those; None when argparse is needed.
    ``defaults``: every attribute the command's parser sets (``func`` included), with the
    value it has when not given."""
    if not argv or argv[0] != command:
        return None
    values: dict[str, object] = {"command": command, **defaults}
    appended: dict[str, list[str]] = {}
    at, end = 1, len(argv)
    ran = False  # the run of positional arguments was read
    while at < end:
        known = options.get(argv[at])
        if known is None:
            if positional is None or ran or argv[at][:1] == "-":
                return None  # an option of argparse's, or a second run (an error there)
            first = at
            while at < end and argv[at][:1] != "-":
                at += 1
            values[positional] = list(argv[first:at])
            ran = True
            continue
        name, kind, choices = known
        if kind == FLAG:
            values[name] = True
            at += 1
            continue
        if at + 1 == end:
            return None
        value = argv[at + 1]
        if (value[:1] == "-" and value != "-") or (choices is not None and value not in choices):
            return None  # an option, a negative number or "--" to argparse; or refused
        if kind == APPEND:  # argparse appends to a copy of the default
            if name not in appended:
                start = defaults.get(name)
                appended[name] = list(start) if isinstance(start, list) else []
            appended[name].append(value)
        else:
            values[name] = value
        at += 2
    values.update(appended)
    return Namespace(**values)
