"""Where the files ``pipvet init`` writes install pipvet from.

Those files run in CI with ``security-events: write`` and in every devcontainer, so what they
install must be exactly what the user has now, never "whatever the index serves under this
name": by default ``pipvet==<the version running init>``; or a source the user names, checked
here: a git URL that names a full commit (a branch or tag can move), or a wheel inside the
project (a path elsewhere exists only on this machine, not in CI).

Reads the file system only (does a named wheel exist).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipvet import __version__
from pipvet.errors import UsageError
from pipvet.frozen import frozen

__all__ = ["PipvetSource", "default_source", "parse_pipvet_source"]

# https only, no user name or token (the file is committed), a full 40- or 64-hex commit.
_GIT = re.compile(
    r"git\+https://(?P<host>[A-Za-z0-9.-]+(?::[0-9]+)?)(?P<path>/[A-Za-z0-9._~/%+-]+?)"
    r"@(?P<commit>[0-9a-f]{40}|[0-9a-f]{64})"
)
# The characters a wheel path may hold: it is written into YAML and a shell command as is.
_SAFE_PATH = re.compile(r"[A-Za-z0-9._+/-]+")


@frozen
class PipvetSource:
    """``requirement``: the argument to ``pip install`` (shell- and YAML-safe as it stands);
    ``upgrade``: what it is pinned to and how to move to a newer pipvet, for a comment."""

    requirement: str
    upgrade: str


def default_source(version: str = __version__) -> PipvetSource:
    return PipvetSource(
        f"pipvet=={version}",
        f"pipvet is pinned to {version}, the version that wrote this file. To upgrade, install "
        "the newer pipvet and run `pipvet init` again: it rewrites this file while it is "
        "unchanged.",
    )


def parse_pipvet_source(text: str, project: Path) -> PipvetSource:
    """Check ``--pipvet-source``: ``git+https://HOST/PATH@<full commit>`` or a ``.whl`` inside
    ``project`` (relative to it or absolute). Raises UsageError saying what is wrong."""
    value = text.strip()
    if value.startswith("git+"):
        return _git_source(value)
    if "://" in value or value.startswith(("git@", "ssh:")):
        raise UsageError(
            f"--pipvet-source {text!r}: not a git+https URL or a wheel path",
            hint="use git+https://github.com/OWNER/REPO@<full commit SHA>, or a .whl file in "
            "the project",
        )
    return _wheel_source(value, text, project)


def _git_source(value: str) -> PipvetSource:
    match = _GIT.fullmatch(value)
    if match is None:
        if re.fullmatch(r"git\+https://[^@]+", value):
            why = "it names no commit, so CI would install whatever the branch holds that day"
        elif "@" in value.partition("://")[2].partition("/")[0]:
            why = "it carries a user name or token, which would be committed with the file"
        elif not value.startswith("git+https://"):
            why = "only git+https URLs are accepted"
        else:
            why = "it must end in @ and a full 40-character commit SHA (a branch or tag can move)"
        raise UsageError(
            f"--pipvet-source {value!r}: {why}",
            hint="use git+https://github.com/OWNER/REPO@<full commit SHA>",
        )
    return PipvetSource(
        value,
        "pipvet is pinned to one commit. To upgrade, run `pipvet init --pipvet-source` with "
        "a newer commit: it rewrites this file while it is unchanged.",
    )


def _wheel_source(value: str, text: str, project: Path) -> PipvetSource:
    path = Path(value)
    full = (path if path.is_absolute() else project / path).resolve()
    if not full.is_file():
        raise UsageError(
            f"--pipvet-source {text!r}: no such file ({full})",
            hint="name a pipvet wheel (.whl) inside the project, or a git+https URL with a commit",
        )
    if full.suffix != ".whl":
        raise UsageError(
            f"--pipvet-source {text!r}: not a wheel (.whl)",
            hint="build one with: python -m build --wheel (in a pipvet checkout)",
        )
    try:
        rel = full.relative_to(project.resolve()).as_posix()
    except ValueError:
        raise UsageError(
            f"--pipvet-source {text!r}: the wheel is outside the project ({project}), so CI "
            "and the devcontainer would not find it",
            hint="copy the wheel into the project (and commit it), then name it relative to it",
        ) from None
    if not _SAFE_PATH.fullmatch(rel):
        raise UsageError(
            f"--pipvet-source {text!r}: the path holds characters that are unsafe in a shell "
            "command or YAML",
            hint="rename it to letters, digits and . _ + - /",
        )
    return PipvetSource(
        "./" + rel,
        f"pipvet is installed from the wheel {rel} in this repository. To upgrade, add the "
        "newer wheel and run `pipvet init --pipvet-source` with it: it rewrites this file "
        "while it is unchanged.",
    )
