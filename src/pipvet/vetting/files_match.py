"""Is the file pip would install one the vetted index lists? Pure.

A verdict is about a release as the metadata index describes it. pip may take the file from
elsewhere: an ``--extra-index-url`` or ``-f`` folder (a requirements file can add either), a
mirror that serves other bytes under the same name. Its dry-run report gives the file's
sha256; when the index lists hashes for that release and none is that one, the verdict is not
about what would be installed, and the package is ``unchecked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from pipvet.frozen import replace
from pipvet.vetting.model import PackageVet, Signal
from pipvet.vetting.verdict import combine

__all__ = ["FILE_SIGNAL", "file_signal", "unread_signal", "with_file_signal"]

FILE_SIGNAL = "file"


def file_signal(
    version: str, url: str | None, sha256: str | None, digests: Mapping[str, str], index: str
) -> Signal | None:
    """An ``unchecked`` signal when ``sha256`` is none of the release's listed hashes, or pip
    gives no sha256 for its file (a find-links page offering only sha512, or metadata without
    the file: pip then never hashes what it would install)."""
    if sha256 is not None and sha256 in digests.values():
        return None
    where = urlsplit(url or "")
    filename = unquote(where.path.rsplit("/", 1)[-1]) or "the file"
    source = "a local file" if where.scheme == "file" else (where.hostname or "an unknown source")
    if sha256 is None:
        why = (
            f"and gives no sha256 for it, so pipvet cannot tell it is one of the files {index} "
            f"lists for release {version}"
        )
    else:
        listed = (
            "but the index lists other bytes under that name"
            if filename in digests
            else f"a file the index lists for none of release {version}"
        )
        why = (
            f"(sha256 {sha256[:16]}...), {listed}: the verdict is about the index's files, not "
            "this one (another index, a find-links folder or a mirror is in play)"
        )
    message = f"pip would install {filename} from {source} {why}"
    return _unchecked(filename, f"pip's dry-run report and {index}", message)


def unread_signal(index: str, reason: str) -> Signal:
    """``unchecked``: the index's list of the release's files could not be read."""
    return _unchecked(
        None, index, f"the files {index} lists for this release could not be read ({reason})"
    )


def _unchecked(value: str | None, source: str, message: str) -> Signal:
    return Signal(
        id=FILE_SIGNAL, level="unchecked", value=value, threshold=None, source=source,
        message=message,
    )  # fmt: skip


def with_file_signal(package: PackageVet, signal: Signal) -> PackageVet:
    """``package`` with ``signal`` added and its verdict decided again."""
    signals = (*package.signals, signal)
    return replace(package, signals=signals, verdict=combine(signals))
