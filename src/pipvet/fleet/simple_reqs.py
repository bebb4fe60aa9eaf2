"""A fast path for the commonest requirements file: nothing but ``name`` / ``name==1.2`` /
``name>=1,<2`` lines and ``#`` comment lines. A fleet repeats the same lines in hundreds of
projects, so each distinct line goes through the shared single-requirement parser
(``pipvet.inputs.requirement_text``) once and its entry is reused with the line's location.

Anything else in a file — an option (``-r``, ``--hash``...), a marker, extras, a URL, an
environment variable, a continuation, a comment after a requirement, a line the parser
rejects — and ``read_simple`` answers ``None``: the caller reads the file with the shared
reader, which follows includes and reports problems with file, line and what to do.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from pathlib import Path

from pipvet.errors import InputError
from pipvet.inputs.requirement_text import parse_requirement_text
from pipvet.inputs.requirements_model import RequirementEntry, decode_text
from pipvet.models import Location
from pipvet.system.files import MAX_REQUIREMENTS_BYTES, FileProblem, read_bytes_capped

__all__ = ["read_simple"]

_OP = r"(?:==|>=|<=|~=|!=|<|>)\s*[0-9][A-Za-z0-9.*+!_-]*"
_SIMPLE = re.compile(rf"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\s*{_OP}(?:\s*,\s*{_OP})*)?")
_PLACE = Location("<fleet>", 1)


@functools.lru_cache(maxsize=65536)
def _entry(text: str) -> RequirementEntry | None:
    try:
        return parse_requirement_text(text, _PLACE)
    except InputError:
        return None


def read_simple(path: Path) -> list[RequirementEntry] | None:
    """The file's entries, or ``None`` when it is not a simple file (or cannot be read)."""
    try:
        text = decode_text(read_bytes_capped(path, cap=MAX_REQUIREMENTS_BYTES))
    except (FileProblem, UnicodeDecodeError, OSError):
        return None
    where = str(path)
    entries: list[RequirementEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _SIMPLE.fullmatch(stripped):
            return None
        entry = _entry(stripped)
        if entry is None:
            return None
        entries.append(replace(entry, location=Location(where, number)))
    return entries
