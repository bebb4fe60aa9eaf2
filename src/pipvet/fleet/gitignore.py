"""The simple part of ``.gitignore``, enough to keep ignored folders out of a fleet walk. Pure.

Supported, per line of a folder's ``.gitignore`` (it applies to that folder and below):

- ``name`` — a file or folder called ``name`` at any depth;
- ``dir/`` — a folder only;
- ``*.ext``, ``build-*``, ``data?`` — shell globs (``*``, ``?``, ``[abc]``) on the name;
- ``/name`` or ``a/b`` — anchored: a path relative to the ``.gitignore``'s folder
  (a ``/`` at the start or in the middle anchors, as in git);
- blank lines and ``#`` comments.

Not supported (such lines are skipped, never guessed at): ``!`` negation and ``**``. A line
the walk cannot honour only means a folder is looked at that git would ignore.
"""

from __future__ import annotations

import fnmatch
import re

from pipvet.frozen import frozen

__all__ = ["MAX_GLOBS", "MAX_GLOB_LENGTH", "IgnoreFile", "ignored", "parse_gitignore"]

# Globs are tried one by one against every entry of every folder below; a .gitignore is the
# checkout's to write, so one of 60,000 globs made a 600-folder walk take 13 s. Plain names and
# paths (nearly every real line) are looked up in sets instead, whatever their number.
MAX_GLOBS = 1000
# Compiling one glob costs time with its length (a 1 MB "*a*a*..." line took 18 s); a real one
# is a few characters, and a longer line is skipped like one past MAX_GLOBS.
MAX_GLOB_LENGTH = 200
_GLOB_CHARS = frozenset("*?[")


@frozen
class IgnoreFile:
    """The lines of one ``.gitignore`` the walk honours."""

    base: str  # the .gitignore's folder, relative to the walk's root ("" for the root), "/"-joined
    names: frozenset[str]  # a file or folder of that name at any depth
    dir_names: frozenset[str]  # a folder of that name at any depth
    paths: frozenset[str]  # anchored: a path relative to ``base``
    dir_paths: frozenset[str]
    globs: tuple[tuple[re.Pattern[str], bool, bool], ...]  # (pattern, anchored, dir only)
    dropped: int = 0  # globs past MAX_GLOBS or longer than MAX_GLOB_LENGTH, not honoured


def parse_gitignore(text: str, base: str, *, max_globs: int = MAX_GLOBS) -> IgnoreFile:
    sets: dict[tuple[bool, bool], set[str]] = {
        (a, d): set() for a in (False, True) for d in (False, True)
    }
    globs: dict[tuple[str, bool, bool], None] = {}
    dropped = 0
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#") or line.startswith("!") or "**" in line:
            continue
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = line.lstrip("/")
        if not line:
            continue
        if _GLOB_CHARS.isdisjoint(line):
            sets[anchored, dir_only].add(line)
        elif (line, anchored, dir_only) in globs:
            continue
        elif len(globs) < max_globs and len(line) <= MAX_GLOB_LENGTH:
            globs[line, anchored, dir_only] = None
        else:
            dropped += 1
    return IgnoreFile(
        base,
        frozenset(sets[False, False]),
        frozenset(sets[False, True]),
        frozenset(sets[True, False]),
        frozenset(sets[True, True]),
        tuple((re.compile(fnmatch.translate(g)), a, d) for g, a, d in globs),
        dropped,
    )


def ignored(files: tuple[IgnoreFile, ...], rel: str, name: str, *, is_dir: bool) -> bool:
    """Whether ``rel`` (the entry's path relative to the walk's root, ``/``-joined; its last
    part is ``name``) is ignored by any line of a ``.gitignore`` above it."""
    for rules in files:
        if name in rules.names or (is_dir and name in rules.dir_names):
            return True
        prefix = rules.base + "/" if rules.base else ""
        below = rel[len(prefix) :] if rel.startswith(prefix) else None
        if below is not None and (below in rules.paths or (is_dir and below in rules.dir_paths)):
            return True
        for pattern, anchored, dir_only in rules.globs:
            if dir_only and not is_dir:
                continue
            if anchored:
                if below is not None and pattern.match(below):
                    return True
            elif pattern.match(name):
                return True
    return False
