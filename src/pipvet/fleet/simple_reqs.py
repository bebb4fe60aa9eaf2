"""A fast path for the commonest requirements file: nothing but ``name`` / ``name==1.2`` /
``name>=1,<2`` lines and ``#`` comment lines. A fleet repeats the same lines in hundreds of
projects, so each distinct line goes through the shared single-requirement parser
(``pipvet.inputs.requirement_text``) once and its entry is reused, with the line's number
beside it.

Anything else in a file — an option (``-r``, ``--hash``...), a marker, extras, a URL, an
environment variable, a continuation, a comment after a requirement, a line the parser
rejects — and ``read_simple`` answers ``None``: the caller reads the file with the shared
reader, which follows includes and reports problems with file, line and what to do.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pipvet.errors import InputError
from pipvet.inputs.requirement_plain import is_plain
from pipvet.inputs.requirement_text import parse_requirement_text
from pipvet.inputs.requirements_model import RequirementEntry, decode_requirements
from pipvet.models import Location
from pipvet.system.files import MAX_REQUIREMENTS_BYTES, FileProblem, read_bytes_capped

__all__ = ["read_simple"]

_PLACE = Location("<fleet>", 1)


@functools.lru_cache(maxsize=65536)
def _entry(text: str) -> RequirementEntry | None:
    if not is_plain(text):
        return None
    try:
        return parse_requirement_text(text, _PLACE)
    except InputError:
        return None


def read_simple(path: Path) -> list[tuple[RequirementEntry, int]] | None:
    """The file's entries, each with its line number, or ``None`` when it is not a simple file
    (or cannot be read). An entry is shared by every line written the same way across the
    fleet, so its own location is a placeholder: the line number beside it is where it is."""
    try:
        text = decode_requirements(read_bytes_capped(path, cap=MAX_REQUIREMENTS_BYTES))
    except (FileProblem, UnicodeDecodeError, OSError):
        return None
    entries: list[tuple[RequirementEntry, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        entry = _entry(stripped)
        if entry is None:
            return None
        entries.append((entry, number))
    return entries
