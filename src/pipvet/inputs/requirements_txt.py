"""pip's requirements-file syntax: logical lines, comments, ``${VAR}``, options, includes.

Mirrors pip's own reader (join continuations, then strip comments, then expand variables;
split a line into requirement and options the way pip does). Differences, on purpose:
- a file included twice through different paths (a diamond, not a cycle) is read once;
- ``-r``/``-c`` with a URL is an error: pipvet reads local files only;
- outside the folder of the file given to pipvet, ``-r``/``-c`` read only files named as
  requirements files (``*.txt``, ``*.in``): a file from someone else must not make pipvet
  read and show ``~/.netrc`` or ``/proc/self/environ``;
- every problem in the whole include tree is collected and raised together.

Splitting the text into logical lines, variables and options is ``requirements_lines``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipvet.errors import InputError
from pipvet.frozen import frozen
from pipvet.inputs.requirement_text import entry_from_text, format_problem, plain_entry
from pipvet.inputs.requirements_lines import (
    STRONG_HASHES,
    break_args_options,
    comment_re,
    expand_variables,
    logical_lines,
    parse_options,
)
from pipvet.inputs.requirements_model import (
    LineProblem,
    OptionLine,
    RequirementEntry,
    RequirementsFile,
    decode_requirements,
)
from pipvet.models import Location
from pipvet.system.files import (
    MAX_REQUIREMENTS_BYTES,
    FileProblem,
    linked_out,
    read_bytes_capped,
)

__all__ = ["read_embedded_lines", "read_requirements_file"]


# ------------------------------------------------------------------------ files


@frozen
class _Source:
    path: Path  # as pipvet opens it
    display: str  # as messages show it: relative to the including file, like pip
    constraint: bool
    chain: tuple[Path, ...]  # resolved paths from the top file down to this one
    chain_display: tuple[str, ...]


# How much of a bad line in an included file a message may quote.
_INCLUDED_LINE_WIDTH = 60


# An include can name any file the user can read (``-r ~/.netrc``, ``-r /proc/self/environ``),
# and a requirements file from someone else (a pull request) would then make pipvet show its
# lines: a token is even a valid package name, reported as "not pinned". Outside the folder of
# the file given to pipvet, only files named as requirements files are read: ``*.txt``,
# ``*.in``, or a name with "requirements" or "constraints" in it (``requirements.lock``), and
# never a dotfile.
_REQUIREMENTS_SUFFIXES = (".txt", ".in")
_REQUIREMENTS_WORDS = ("requirements", "constraints")


def _requirements_named(resolved: Path) -> bool:
    name = resolved.name.lower()
    if name.startswith("."):
        return False
    return resolved.suffix in _REQUIREMENTS_SUFFIXES or any(w in name for w in _REQUIREMENTS_WORDS)


class _Reader:
    def __init__(self, environ: Mapping[str, str], root: Path) -> None:
        self.environ = environ
        self.root = root  # the resolved folder of the file given to pipvet
        self.entries: list[RequirementEntry] = []
        self.options: list[OptionLine] = []
        self.files: list[Path] = []
        self.problems: list[str] = []
        self.stopped: list[str] = []  # included files not read past their first problem
        self.warnings: list[str] = []
        self.done: set[tuple[Path, bool]] = set()
        self.unset_reported: set[str] = set()

    def read_file(self, src: _Source, text: str) -> None:
        self.files.append(src.path)
        for first, last, line in logical_lines(text):
            raw = (comment_re().sub("", line) if "#" in line else line).strip()
            if not raw:
                continue
            location = Location(src.display, first)
            expanded, missing = expand_variables(raw, self.environ)
            for var in missing:
                if var not in self.unset_reported:
                    self.unset_reported.add(var)
                    self.warnings.append(
                        f"{location}: ${{{var}}} is not set, so it was left as written"
                    )
            try:
                self.read_line(src, location, raw, expanded, last)
            except LineProblem as err:
                if len(src.chain) > 1:
                    # An include may name any file (``-r ~/.aws/credentials``): like pip, stop
                    # at its first error and show no more of it than a cut of that line.
                    self.problems.append(
                        format_problem(location, raw, err, width=_INCLUDED_LINE_WIDTH)
                    )
                    self.stopped.append(src.display)
                    return
                self.problems.append(format_problem(location, raw, err))

    def read_line(
        self, src: _Source, location: Location, raw: str, expanded: str, last: int
    ) -> None:
        if expanded == raw:  # no option to parse in a plain line: the commonest
            end = last if last != location.line else None
            entry = plain_entry(raw, location, src.constraint, end, src.path)
            if entry is not None:
                self.entries.append(entry)
                return
        args, opts_text = break_args_options(expanded)
        shown_args, shown_opts = break_args_options(raw)
        opts, stray = parse_options(opts_text)
        if stray:
            self.warnings.append(
                f"{location}: pip ignores '{' '.join(stray)}' on this line (after an option, "
                "only options count); put a requirement or marker before the options"
            )
        # Values as written (before ${VAR} expansion) are what messages and reports show, so
        # a token kept in a variable never reaches them; fall back to the expanded values if
        # a variable changed the shape of the line.
        try:
            written = parse_options(shown_opts)[0]
        except LineProblem:
            written = []
        if [o for o, _ in written] != [o for o, _ in opts]:
            written = opts
        hashes = tuple(_check_hash(v) for o, v in opts if o == "--hash" and v is not None)
        end_line = last if last != location.line else None
        editables = [(i, v) for i, (o, v) in enumerate(opts) if o == "--editable" and v]
        if args or editables:
            editable = not args
            text = args or editables[0][1]
            if args:
                shown = shown_args if shown_args else args
            else:
                shown = written[editables[0][0]][1] or text
            self.entries.append(
                entry_from_text(
                    text,
                    location,
                    raw,
                    shown or text,
                    editable=editable,
                    constraint=src.constraint,
                    hashes=() if editable else hashes,
                    end_line=end_line,
                    section=None,
                    base=src.path.parent,
                )
            )
            return
        if hashes:
            self.warnings.append(f"{location}: --hash without a requirement is ignored (as pip)")
        for (option, value), (_, value_written) in zip(opts, written, strict=True):
            if option in ("--requirement", "--constraint"):
                assert value is not None
                self.include(src, value, constraint=option == "--constraint")
            elif option != "--hash":
                self.options.append(OptionLine(option, value_written, location, raw))

    def include(self, src: _Source, target: str, *, constraint: bool) -> None:
        from pipvet.inputs.requirement_urls import url_re  # (see requirement_text)

        if url_re().match(target):
            raise LineProblem(
                "remote requirements files are not read",
                "download the file and point -r or -c at the local copy",
            )
        if "\x00" in target:  # no file has such a name; resolve() would raise ValueError
            raise LineProblem(
                "the included path contains a NUL byte", "fix the path after -r or -c"
            )
        display = os.path.normpath(os.path.join(os.path.dirname(src.display), target))
        path = src.path.parent / target
        resolved = path.resolve()
        if resolved in src.chain:
            cycle = " -> ".join([*src.chain_display[src.chain.index(resolved) :], display])
            raise LineProblem(f"include cycle: {cycle}", "remove one of these includes")
        if (resolved, constraint) in self.done:
            return  # a diamond: already read through another path
        if not (resolved.is_relative_to(self.root) or _requirements_named(resolved)):
            shown = display if resolved == path.absolute() else f"{display} (a link to {resolved})"
            raise LineProblem(
                f"{shown} is outside {self.root} and not named as a requirements file "
                "(*.txt, *.in, *requirements*, *constraints*), so it is not read: an include "
                "can name any file on this machine",
                "include a requirements file, or give that file to pipvet yourself",
            )
        try:
            text = decode_requirements(read_bytes_capped(path, cap=MAX_REQUIREMENTS_BYTES))
        except FileProblem as exc:
            if exc.missing:
                raise LineProblem(
                    f"included file not found: {display}",
                    f"fix the path; it is relative to {src.display}, the including file",
                ) from None
            raise LineProblem(
                f"cannot read included file {exc.path}: {exc.reason}",
                "point -r or -c at a requirements file",
            ) from None
        except UnicodeDecodeError as exc:
            raise LineProblem(
                f"included file {display} is not {_text_in(exc)}", "save it as UTF-8"
            ) from None
        self.done.add((resolved, constraint))
        child = _Source(
            path,
            display,
            constraint,
            (*src.chain, resolved),
            (*src.chain_display, display),
        )
        self.read_file(child, text)


def _text_in(exc: UnicodeDecodeError) -> str:
    if exc.encoding == "utf-8":
        return "UTF-8 text"
    return f"text in the encoding its coding: comment names ({exc.encoding}: {exc.reason})"


def _check_hash(value: str) -> str:
    algo, sep, digest = value.partition(":")
    if not sep or algo not in STRONG_HASHES or not re.fullmatch(r"[0-9a-fA-F]+", digest):
        raise LineProblem(
            f"invalid --hash value '{value}'",
            "write --hash=sha256:HEXDIGEST (sha256, sha384 or sha512), as pip hash prints it",
        )
    return f"{algo}:{digest.lower()}"


def read_requirements_file(
    path: Path, *, environ: Mapping[str, str] | None = None, constraint: bool = False
) -> RequirementsFile:
    """Read a requirements file (``-r``) or constraints file (``constraint=True``, ``-c``).

    Includes are followed relative to the including file. ``${VAR}`` is expanded from
    ``environ`` (default ``os.environ``) as pip does. Every problem in the file and the files
    it includes is collected; if there is any, ``InputError`` carries all of them, each as
    ``FILE:LINE: 'TEXT' — what is wrong (what to do)``.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    display = str(path)
    try:
        text = decode_requirements(read_bytes_capped(path, cap=MAX_REQUIREMENTS_BYTES))
    except FileProblem as exc:
        if exc.missing:
            raise InputError(
                f"requirements file not found: {exc.path}", hint="check the path given to -r"
            ) from None
        raise InputError(
            f"cannot read requirements file {exc.path}: {exc.reason}",
            hint="give -r the path of a requirements file",
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{display} is not {_text_in(exc)}", hint="save the requirements file as UTF-8"
        ) from None
    target = linked_out(path)
    if target is not None and not _requirements_named(target):
        raise InputError(
            f"{display} links to {target}, outside its folder, which is not named as a "
            "requirements file (*.txt, *.in, *requirements*, *constraints*); it is not read",
            hint="point -r at the requirements file itself",
        )
    resolved = path.resolve()
    reader = _Reader(env, path.absolute().parent.resolve())
    reader.done.add((resolved, constraint))
    reader.read_file(_Source(path, display, constraint, (resolved,), (display,)), text)
    if reader.problems:
        count = len(reader.problems)
        raise InputError(
            f"cannot read requirements from {display}: {count} problem{'s' if count != 1 else ''}",
            problems=tuple(reader.problems),
            hint="fix the lines listed above; every problem found is listed"
            + (
                f" ({', '.join(reader.stopped)} not read past the first problem, as pip does)"
                if reader.stopped
                else ""
            ),
        )
    return RequirementsFile(
        path=path,
        entries=tuple(reader.entries),
        options=tuple(reader.options),
        files=tuple(reader.files),
        warnings=tuple(reader.warnings),
    )


def read_embedded_lines(
    path: Path,
    lines: Iterable[tuple[Location, str]],
    *,
    environ: Mapping[str, str] | None = None,
    section: str | None = None,
) -> RequirementsFile:
    """Requirements lines written inside another file (the ``pip:`` list of an
    ``environment.yml``, a notebook's ``%pip install``), each with its own location, read as
    the lines of a requirements file at ``path``: ``-r``/``-c`` relative to its folder,
    options, editables. Raises InputError with every problem, as ``read_requirements_file``.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    resolved = path.resolve()
    reader = _Reader(env, path.absolute().parent.resolve())
    reader.done.add((resolved, False))
    src = _Source(path, str(path), False, (resolved,), (str(path),))
    for location, raw in lines:
        expanded, _missing = expand_variables(raw, env)
        try:
            reader.read_line(src, location, raw, expanded, location.line or 0)
        except LineProblem as err:
            reader.problems.append(format_problem(location, raw, err))
    if reader.problems:
        count = len(reader.problems)
        raise InputError(
            f"cannot read requirements from {path}: {count} problem{'s' if count != 1 else ''}",
            problems=tuple(reader.problems),
            hint="fix the lines listed above; every problem found is listed",
        )
    entries = tuple(
        e if e.section is not None or section is None else _with_section(e, section)
        for e in reader.entries
    )
    return RequirementsFile(
        path=path,
        entries=entries,
        options=tuple(reader.options),
        files=(path, *reader.files),
        warnings=tuple(reader.warnings),
    )


def _with_section(entry: RequirementEntry, section: str) -> RequirementEntry:
    from pipvet.frozen import replace

    return replace(entry, section=section)
