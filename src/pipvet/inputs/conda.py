"""conda's ``environment.yml``: a small, strict reader for the YAML subset conda writes.

Accepted: top-level ``name``, ``channels``, ``dependencies``, ``prefix`` and ``variables``;
block lists (``- item``), one nested ``- pip:`` list under ``dependencies``, plain or quoted
scalars, comments. Anything else (flow collections, anchors, tags, block scalars, several
documents, tabs) is an error naming the file and line: pipvet does not guess at YAML.

The ``pip:`` items are read as requirements-file lines (``-r`` relative to the file). The
conda packages are listed as installed by conda: their names and versions are conda's, not
PyPI's, so the environment itself is what can be audited (``--python ENV/bin/python``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from pipvet.errors import InputError
from pipvet.frozen import frozen
from pipvet.inputs.lock_common import cut, read_lock_text
from pipvet.inputs.requirement_plain import MAX_NAME_LENGTH
from pipvet.inputs.requirements_model import RequirementEntry, RequirementsFile
from pipvet.models import CONDA_REASON, Location
from pipvet.system.files import MAX_REQUIREMENTS_BYTES

__all__ = ["CONDA_REASON", "conda_entry", "read_environment_yml"]

_KEYS = ("name", "channels", "dependencies", "prefix", "variables")
_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s+(.*))?$")
_ITEM_RE = re.compile(r"^-(?:\s+(.*))?$")
_CONDA_NAME_RE = re.compile(r"^(?:[^:\s]+::)?([A-Za-z0-9_][A-Za-z0-9._-]*)\s*(.*)$")
_FORBIDDEN = ("&", "*", "!", "|", ">", "{", "[", "%", "@", "`")


def conda_entry(spec: str, location: Location, *, section: str | None = None) -> RequirementEntry:
    """One conda package spec (``numpy=1.26``, ``conda-forge::pandas>=2``): listed as
    installed by conda, never looked up on PyPI."""
    match = _CONDA_NAME_RE.match(spec)
    name = match.group(1) if match else spec
    if len(name) > MAX_NAME_LENGTH or match is None:
        raise InputError(
            f"{location}: '{cut(spec)}' is not a conda package spec",
            hint="write NAME, NAME=VERSION or CHANNEL::NAME",
        )
    return RequirementEntry(
        name=canonicalize_name(name),
        display_name=name,
        specifier=SpecifierSet(),
        extras=(),
        marker=None,
        location=location,
        raw=cut(spec, 200),
        kind="url",
        url="conda:" + cut(spec, 200),
        reason=CONDA_REASON,
        section=section,
    )


@frozen
class _Line:
    number: int
    indent: int
    text: str


class _Problem(Exception):
    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line = line
        self.what = what


def _scalar(text: str, line: int) -> str:
    text = text.strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        if len(text) < 2 or not text.endswith(quote) or quote in text[1:-1].replace("''", ""):
            raise _Problem(line, f"unbalanced quotes in {cut(text)}")
        inner = text[1:-1]
        return inner.replace("''", "'") if quote == "'" else inner
    if text[:1] in _FORBIDDEN or text in ("-", "---", "...") or ": " in text:
        raise _Problem(line, f"'{cut(text)}' uses YAML that conda files do not need")
    return text


def _strip_comment(raw: str) -> str:
    quote = ""
    for i, ch in enumerate(raw):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "#" and (i == 0 or raw[i - 1] in " \t"):
            return raw[:i].rstrip()
    return raw.rstrip()


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        body = _strip_comment(raw)
        if not body.strip():
            continue
        stripped = body.lstrip(" ")
        if stripped.startswith("\t") or "\t" in body[: len(body) - len(stripped) + 1]:
            raise _Problem(number, "a tab in the indentation (YAML allows spaces only)")
        if number == 1 and stripped == "---":
            continue
        if stripped in ("---", "..."):
            raise _Problem(number, "a second YAML document; conda reads one")
        out.append(_Line(number, len(body) - len(stripped), stripped))
    return out


class _Parser:
    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        self.i = 0

    def items(self, indent: int) -> list[tuple[_Line, str | list[tuple[_Line, str]]]]:
        """A block list at ``indent``: scalars, and ``pip:`` with its own list."""
        out: list[tuple[_Line, str | list[tuple[_Line, str]]]] = []
        while self.i < len(self.lines) and self.lines[self.i].indent == indent:
            line = self.lines[self.i]
            item = _ITEM_RE.match(line.text)
            if item is None:
                break
            self.i += 1
            value = (item.group(1) or "").strip()
            key = _KEY_RE.match(value)
            if key is not None and not value.startswith(("'", '"')):
                if key.group(1) != "pip" or key.group(2):
                    raise _Problem(line.number, f"'{cut(value)}': only '- pip:' may hold a list")
                nested = self._nested(line, indent)
                out.append((line, [(n, v) for n, v in nested if isinstance(v, str)]))
                continue
            out.append((line, _scalar(value, line.number)))
        return out

    def _nested(
        self, owner: _Line, indent: int
    ) -> list[tuple[_Line, str | list[tuple[_Line, str]]]]:
        if self.i >= len(self.lines) or self.lines[self.i].indent <= indent:
            return []
        inner = self.lines[self.i].indent
        got = self.items(inner)
        if any(not isinstance(v, str) for _, v in got):
            raise _Problem(owner.number, "a list inside the pip: list")
        return got

    def document(self) -> dict[str, tuple[_Line, object]]:
        doc: dict[str, tuple[_Line, object]] = {}
        while self.i < len(self.lines):
            line = self.lines[self.i]
            key = _KEY_RE.match(line.text)
            if line.indent != 0 or key is None:
                raise _Problem(line.number, f"'{cut(line.text)}' is not a top-level 'key:' line")
            name = key.group(1)
            if name not in _KEYS:
                raise _Problem(line.number, f"'{name}' is not a key of a conda environment file")
            if name in doc:
                raise _Problem(line.number, f"'{name}' is given twice")
            self.i += 1
            if key.group(2):
                doc[name] = (line, _scalar(key.group(2), line.number))
            elif name == "variables":
                doc[name] = (line, self._mapping())
            elif self.i < len(self.lines) and self.lines[self.i].text.startswith("-"):
                doc[name] = (line, self.items(self.lines[self.i].indent))
            else:
                doc[name] = (line, [])
        return doc

    def _mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        while self.i < len(self.lines) and self.lines[self.i].indent > 0:
            line = self.lines[self.i]
            key = _KEY_RE.match(line.text)
            if key is None:
                raise _Problem(line.number, "variables: write one 'NAME: value' per line")
            out[key.group(1)] = _scalar(key.group(2) or "''", line.number)
            self.i += 1
        return out


def read_environment_yml(
    path: Path, *, environ: Mapping[str, str] | None = None
) -> RequirementsFile:
    """Read a conda ``environment.yml``; InputError naming the file and line when it holds
    anything outside the subset conda writes."""
    from pipvet.inputs.requirements_txt import read_embedded_lines

    text = read_lock_text(path, "conda environment file", cap=MAX_REQUIREMENTS_BYTES)
    try:
        doc = _Parser(_lines(text)).document()
        if "dependencies" not in doc:
            raise _Problem(1, "no 'dependencies:' list")
        line, deps = doc["dependencies"]
        if not isinstance(deps, list):
            raise _Problem(line.number, "'dependencies' must be a list ('- name' lines)")
    except _Problem as exc:
        raise InputError(
            f"cannot read {path} as a conda environment file",
            problems=(f"{path}:{exc.line}: {exc.what}",),
            hint="pipvet reads the YAML conda writes (conda env export): name, channels, "
            "dependencies with '- pip:', prefix, variables",
        ) from None
    conda: list[RequirementEntry] = []
    pip_lines: list[tuple[Location, str]] = []
    for item_line, value in deps:
        if isinstance(value, list):
            pip_lines += [(Location(str(path), n.number), v) for n, v in value]
        else:
            conda.append(conda_entry(value, Location(str(path), item_line.number), section="conda"))
    parsed = read_embedded_lines(path, pip_lines, environ=environ, section="pip")
    warnings = list(parsed.warnings)
    if conda:
        warnings.append(
            f"{path}: {len(conda)} package{'s are' if len(conda) != 1 else ' is'} installed by "
            "conda (listed, not audited by version: conda's names and builds are not PyPI's); "
            "audit the environment itself with --python ENV/bin/python to check them and "
            "everything pip installed there"
        )
    return RequirementsFile(
        path=path,
        entries=(*conda, *parsed.entries),
        options=parsed.options,
        files=parsed.files,
        warnings=tuple(warnings),
    )
