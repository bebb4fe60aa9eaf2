"""The text of a requirements file as pip splits it: logical lines (continuations joined),
comments, ``${VAR}`` expansion, and a line's requirement part and options. Pure; reading files
and following includes is ``requirements_txt``'s job."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

from pipvet.inputs.requirements_model import LineProblem

__all__ = [
    "STRONG_HASHES",
    "break_args_options",
    "comment_re",
    "expand_variables",
    "logical_lines",
    "parse_options",
]


# pip's own patterns: a comment starts a line or follows whitespace (so "#egg=" in a URL is
# not a comment); variables are ${NAME} with uppercase letters, digits and underscores only.
@functools.cache  # compiled when first used: a file of pins has no "#"
def comment_re() -> re.Pattern[str]:
    return re.compile(r"(^|\s+)#.*$")


@functools.cache  # compiled when first used: most files name no variable
def _env_var_re() -> re.Pattern[str]:
    return re.compile(r"\$\{([A-Z0-9_]+)\}")


def logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, text) per logical line, joining backslash continuations.

    Mirrors pip: a line ending in a backslash continues unless it is a comment line; the
    pieces are joined without adding spaces.
    """
    start: int | None = None
    parts: list[str] = []
    lineno = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not parts and not line.endswith("\\"):  # the commonest line: whole on its own
            yield lineno, lineno, line
            continue
        is_comment = "#" in line and comment_re().match(line) is not None
        if not line.endswith("\\") or is_comment:
            piece = " " + line if is_comment else line
            if parts:
                assert start is not None
                yield start, lineno, "".join([*parts, piece])
                parts, start = [], None
            else:
                yield lineno, lineno, line
        else:
            if not parts:
                start = lineno
            parts.append(line.strip("\\"))
    if parts:
        assert start is not None
        yield start, lineno, "".join(parts)


def expand_variables(line: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """Expand ``${NAME}`` like pip: unset or empty variables stay as written."""
    if "${" not in line:  # most lines: nothing to expand
        return line, []
    missing: list[str] = []

    def sub(m: re.Match[str]) -> str:
        value = environ.get(m.group(1))
        if not value:
            missing.append(m.group(1))
            return m.group(0)
        return value

    return _env_var_re().sub(sub, line), missing


def break_args_options(line: str) -> tuple[str, str]:
    """Split a line into the requirement part and the options part, exactly as pip does."""
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return line, ""


# Options pip accepts in requirements files: long name -> (short name, takes a value).
_OPTIONS: dict[str, tuple[str | None, bool]] = {
    "--index-url": ("-i", True),
    "--pypi-url": (None, True),
    "--extra-index-url": (None, True),
    "--no-index": (None, False),
    "--constraint": ("-c", True),
    "--requirement": ("-r", True),
    "--editable": ("-e", True),
    "--find-links": ("-f", True),
    "--no-binary": (None, True),
    "--only-binary": (None, True),
    "--prefer-binary": (None, False),
    "--require-hashes": (None, False),
    "--no-require-hashes": (None, False),
    "--pre": (None, False),
    "--all-releases": (None, True),
    "--only-final": (None, True),
    "--trusted-host": (None, True),
    "--use-feature": (None, True),
    "--hash": (None, True),
    "--config-settings": ("-C", True),
}
_SHORT = {short: long for long, (short, _) in _OPTIONS.items() if short}
STRONG_HASHES = ("sha256", "sha384", "sha512")


def parse_options(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The (option, value) pairs of an options string, and the stray words pip ignores."""
    import shlex  # a tenth of reading a file of pins, which has no option to split

    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise LineProblem(f"cannot split the options: {exc}", "close the quote") from exc
    out: list[tuple[str, str | None]] = []
    stray: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        value: str | None = None
        if token.startswith("--"):
            name, eq, inline = token.partition("=")
            if name not in _OPTIONS:
                # optparse accepts any unambiguous prefix of a long option; so does pip.
                matches = [o for o in _OPTIONS if o.startswith(name)]
                if len(matches) > 1:
                    raise LineProblem(
                        f"ambiguous option '{name}' (it could be {', '.join(matches)})",
                        "write the option in full",
                    )
                if not matches:
                    raise LineProblem(
                        f"unknown option '{name}'",
                        "pip does not accept it in requirements files; remove it or fix "
                        "the spelling",
                    )
                name = matches[0]
            if eq:
                value = inline
        elif token.startswith("-") and len(token) >= 2 and token[:2] in _SHORT:
            name = _SHORT[token[:2]]
            if len(token) > 2:
                value = token[2:]
        elif token.startswith("-"):
            raise LineProblem(
                f"unknown option '{token}'",
                "pip does not accept it in requirements files; remove it or fix the spelling",
            )
        else:
            stray.append(token)  # pip's option parser leaves these over and ignores them
            continue
        takes_value = _OPTIONS[name][1]
        if takes_value and value is None:
            if i >= len(tokens):
                raise LineProblem(f"option '{name}' needs a value", f"write {name} VALUE")
            value = tokens[i]
            i += 1
        elif not takes_value and value is not None:
            raise LineProblem(f"option '{name}' takes no value", f"write {name} alone")
        out.append((name, value))
    return out, stray
