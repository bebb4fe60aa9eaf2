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

__all__ = ["IgnoreRule", "ignored", "parse_gitignore"]


@frozen
class IgnoreRule:
    base: str  # the .gitignore's folder, relative to the walk's root ("" for the root), "/"-joined
    pattern: re.Pattern[str]
    anchored: bool
    dir_only: bool


def parse_gitignore(text: str, base: str) -> tuple[IgnoreRule, ...]:
    rules: list[IgnoreRule] = []
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
        rules.append(IgnoreRule(base, re.compile(fnmatch.translate(line)), anchored, dir_only))
    return tuple(rules)


def ignored(rules: tuple[IgnoreRule, ...], rel: str, name: str, *, is_dir: bool) -> bool:
    """Whether ``rel`` (the entry's path relative to the walk's root, ``/``-joined; its last
    part is ``name``) is ignored by any rule of a ``.gitignore`` above it."""
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        if rule.anchored:
            prefix = rule.base + "/" if rule.base else ""
            if rel.startswith(prefix) and rule.pattern.match(rel[len(prefix) :]):
                return True
        elif rule.pattern.match(name):
            return True
    return False
