"""URL, path and VCS requirements as pip tells them apart from a name: what looks like one,
the name and release it states, and what pip says about one it cannot use. Pure; the
patterns are compiled when first used (a file of pins needs none of them)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pipvet.inputs.release_files import ARCHIVES, file_release, vcs_re
from pipvet.inputs.requirements_model import NOT_FROM_INDEX, LineProblem
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.redact import mask_query, mask_userinfo

__all__ = [
    "guess_name",
    "local_folder_problem",
    "looks_like_url_or_path",
    "named_url_marker_problem",
    "named_url_re",
    "names_archive",
    "origin_reason",
    "shown_url",
    "url_problem",
    "url_re",
    "version_unknowable",
]


@functools.cache
def url_re() -> re.Pattern[str]:
    """``scheme://`` at the start of a text; group 1 is the scheme."""
    return re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


@functools.cache
def _egg_re() -> re.Pattern[str]:
    return re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


@functools.cache
def named_url_re() -> re.Pattern[str]:
    return re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")


def names_archive(target: str) -> bool:
    """Whether pip reads ``target`` (no marker) as an archive: extras are cut off first."""
    return re.sub(r"\[[^\]]+\]$", "", target.strip()).lower().endswith(ARCHIVES)


def looks_like_url_or_path(target: str) -> bool:
    return (
        bool(url_re().match(target) or vcs_re().match(target))
        or target.startswith((".", "/", "~"))
        or "/" in target
        or "\\" in target
        or names_archive(target)
    )


def version_unknowable(target: str) -> bool:
    """Whether a requirement of ``target`` without a version from its file name installs code
    whose release nobody can tell without fetching it: a URL (``file:`` too) or path of an
    archive, a VCS URL, any URL other than ``file:``. Such a line could be any release of any
    project, so the audit lists it as not checked (it fails closed); a local folder is the
    user's own project, listed as not from the index."""
    if vcs_re().match(target) or names_archive(re.split(r"[#?]", target, maxsplit=1)[0]):
        return True
    scheme = url_re().match(target)
    return scheme is not None and scheme.group(1).lower() != "file"


def origin_reason(target: str, *, editable: bool, version: str | None = None) -> str:
    shown = mask_query(mask_userinfo(target))
    if version is not None:
        why = (
            f"not from the index; audited as {version}, the version its file name states "
            "(pip does not check that the file holds that release)"
        )
    elif version_unknowable(target):
        why = (
            "not from the index, and its version cannot be known without fetching it, so no "
            "advisory was matched; pin a release from the index (NAME==VERSION), or audit "
            "the environment it is installed in (--venv DIR)"
        )
    else:
        why = NOT_FROM_INDEX
    if editable:
        return f"editable install of {shown}: {why}"
    if vcs_re().match(target):
        return f"VCS requirement {shown}: {why}"
    if url_re().match(target) and not target.lower().startswith("file:"):
        return f"direct URL {shown}: {why}"
    return f"local path {shown}: {why}"


def guess_name(target: str) -> tuple[NormalizedName | None, str]:
    """The name a URL/path requirement states (``#egg=``, a wheel or sdist file name), else
    ``None`` plus a readable label (the last path component)."""
    egg = _egg_re().search(target)
    if egg:
        return canonicalize_name(egg.group(1)), egg.group(1)
    tail = re.split(r"[#?]", target, maxsplit=1)[0].rstrip("/\\")
    base = re.split(r"[/\\]", tail)[-1].split("@")[0]
    release = file_release(target)
    if release is not None:
        return release[0], release[0]
    label = base.removesuffix(".git")
    if not re.search(r"[A-Za-z0-9]", label):  # "-e ." names no project: show the target
        label = target
    return None, label


_PIP_URL_SCHEMES = frozenset({"http", "https", "file", "ftp"})


def url_problem(target: str, *, named: bool) -> LineProblem | None:
    """What pip says about a URL: one it cannot split (``https://f[``) is invalid, and a bare
    URL (not ``name @ URL``) must use a scheme pip downloads from or a VCS prefix."""
    import urllib.parse

    try:
        urllib.parse.urlsplit(target)
    except ValueError as exc:
        return LineProblem(f"invalid URL: {exc}", "fix the URL")
    scheme = url_re().match(target)
    if not named and scheme is None and target.startswith(("//", "\\\\")):
        return LineProblem(
            f"{target} is a path on another host",
            "pip cannot install from a network path: copy the file here, or use https://",
        )
    bare = not named and scheme is not None and not vcs_re().match(target)
    if bare and scheme is not None and scheme.group(1).lower() not in _PIP_URL_SCHEMES:
        return LineProblem(
            f"unknown URL scheme '{scheme.group(1)[:40]}'",
            "pip reads http(s)://, file:// and ftp:// URLs, and VCS URLs like git+https://",
        )
    return None


def named_url_marker_problem(text: str) -> LineProblem | None:
    """pip cuts ``name @ URL`` at the first ``;`` and reads the rest as the marker, so a ``;``
    inside the URL makes a marker pip rejects (packaging alone would keep the URL whole)."""
    if not named_url_re().match(text) or ";" not in text:
        return None
    from packaging.markers import InvalidMarker, Marker

    try:
        Marker(text.partition(";")[2].strip())
    except InvalidMarker as exc:
        return LineProblem(
            f"invalid environment marker: {str(exc).splitlines()[0]}",
            'pip reads everything after the first ";" as the marker: write ; python_version '
            '>= "3.10" after a space, and percent-encode a ";" inside the URL (%3B)',
        )
    return None


def local_folder_problem(target: str, base: Path | None) -> LineProblem | None:
    """What pip would say about a path that is neither a URL nor an archive file name: it is
    a local folder only when that folder exists and holds a project (pip checks the working
    directory; pipvet also accepts a folder next to the requirements file). Anything else is
    parsed as a requirement, and ``flask==0.12/`` or ``requests==${HOME}`` is not one."""
    for folder in (Path(target), *((base / target,) if base is not None else ())):
        try:
            if folder.is_dir():
                if (folder / "setup.py").is_file() or (folder / "pyproject.toml").is_file():
                    return None
                return LineProblem(
                    f"the folder {target} holds no setup.py or pyproject.toml",
                    "pip cannot install it: point the line at a project folder",
                )
        except OSError:
            continue
    return LineProblem(
        f"{target} looks like a path, but no such folder exists",
        "fix the path (pip reads it from the working directory), or write NAME==VERSION",
    )


def shown_url(shown: str, url: str) -> str:
    """The URL of ``name @ URL`` as written (before ``${VAR}`` expansion), if recognisable."""
    _, at, rest = shown.partition("@")
    written = rest.split(" ;", 1)[0].split("; ", 1)[0].strip() if at else ""
    return written or url
