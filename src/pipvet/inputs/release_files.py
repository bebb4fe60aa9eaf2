"""What a wheel or sdist file name in a URL or path says about the release it holds. Pure."""

from __future__ import annotations

import functools
import re

from pipvet.inputs.requirement_plain import ARCHIVES
from pipvet.models import NormalizedName

__all__ = ["ARCHIVES", "file_release", "release_version", "vcs_re"]


@functools.cache  # compiled when first used: a file of pins names no VCS
def vcs_re() -> re.Pattern[str]:
    """A VCS requirement's prefix (``git+``, ``hg+``, ``svn+``, ``bzr+``)."""
    return re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)


def file_release(target: str) -> tuple[NormalizedName, str] | None:
    """The name and version a wheel or sdist file name in a URL or path states
    (``.../Jinja2-2.10-py2.py3-none-any.whl``), None for anything else (a VCS URL, a folder).
    A claim, not a fact: pip installs ``name @ URL`` whatever version the file's metadata
    holds, so what is audited by it is labelled as the version its file name states."""
    if vcs_re().match(target):
        return None
    from urllib.parse import unquote

    tail = re.split(r"[#?]", target, maxsplit=1)[0].rstrip("/\\")
    base = unquote(re.split(r"[/\\]", tail)[-1])
    base = re.sub(r"\[[^\]]+\]$", "", base)  # extras after the file name: pip cuts them off
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if base.lower().endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(base)
            return name, str(version)
        ext = next((e for e in ARCHIVES if base.lower().endswith(e)), None)
        if ext is not None:
            # packaging reads .tar.gz and .zip; an sdist of another compression pip unpacks
            # alike (thing-2.0.tar.bz2) states its release the same way.
            name, version = parse_sdist_filename(base[: -len(ext)] + ".tar.gz")
            return name, str(version)
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        pass
    return None


def release_version(name: NormalizedName | None, target: str | None) -> str | None:
    """The version a wheel or sdist named by ``target`` states, when it names ``name``."""
    release = file_release(target) if name is not None and target is not None else None
    return release[1] if release is not None and release[0] == name else None
