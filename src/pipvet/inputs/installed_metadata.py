"""One installed distribution read from its metadata: a ``*.dist-info`` / ``*.egg-info``
folder (or an old ``.egg-info`` file), or an ``.egg-link``. An I/O edge; the folder scan that
finds them is ``pipvet.inputs.installed``.

Per distribution, the METADATA headers up to the first blank line are read, and whether a
direct_url.json is there is asked of that name; the folder is not listed (for thousands of
distributions, a listing cost as much as reading the headers). Anything unusual (no METADATA,
a special, unreadable or oversized file) is read again by the careful reader, which lists the
folder and says what is wrong, so the shortcut loses no refusal.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from stat import S_ISREG

from pipvet.inputs.installed_model import DirectUrl, Distribution, MetadataFormat
from pipvet.models import MAX_VERSION_LENGTH, canonicalize_name, is_project_name
from pipvet.system.files import (
    MAX_METADATA_BYTES,
    FileProblem,
    open_regular,
    read_bytes_capped,
)

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal

__all__ = [
    "name_from_folder",
    "parse_headers",
    "parse_lines",
    "read_egg_link",
    "read_metadata_carefully",
    "read_metadata_dir",
]


# What a scan keeps of a distribution's headers; the others are read past.
_WANTED = ("name", "version", "requires-dist")
_Fields = dict[str, list[str]]


def parse_lines(text: str) -> _Fields:
    """Every header of a METADATA / PKG-INFO text (lower-case names, values in order), the
    same reading as ``email.parser.HeaderParser`` for these files: continuation lines start
    with a space or a tab and are joined, lines without a colon are skipped."""
    fields: _Fields = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            if current:
                current[-1] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            current = None
            continue
        current = fields.setdefault(key.strip().lower(), [])
        current.append(value.strip())
    return fields


# The wanted names, letters spelt out: IGNORECASE would also take the long s (U+017F) for
# "s", which .lower() does not.
_KEYS = (
    r"([Nn][Aa][Mm][Ee]|[Vv][Ee][Rr][Ss][Ii][Oo][Nn]"
    r"|[Rr][Ee][Qq][Uu][Ii][Rr][Ee][Ss]-[Dd][Ii][Ss][Tt])"
)
# A wanted header's line, after the "\n" before it (a literal start lets the pattern skip
# from line to line): its name, its value, and its continuation lines.
_ASCII_LINE = re.compile(rf"\n{_KEYS}[ \t]*:(.*)((?:\n[ \t].*)*)")


@functools.cache  # compiled when first needed: most METADATA files are ASCII
def _any_text() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(line ends str.splitlines knows besides a newline, ``_ASCII_LINE`` for any text): in any
    text, a header's name may follow white space that is not a space or a tab (which would
    make the line a continuation), as .strip() finds it."""
    return (
        re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]"),
        re.compile(rf"\n(?:[^\S \t\n][^\S\n]*)?{_KEYS}[^\S\n]*:(.*)((?:\n[ \t].*)*)"),
    )


def _plain_ascii(text: str) -> bool:
    """Whether ``text`` is ASCII whose only white space is spaces, tabs and newlines: a
    header's name then starts its line, and only spaces and tabs can stand before its colon."""
    return text.isascii() and not (
        "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def parse_headers(text: str) -> _Fields:
    """Name, Version and Requires-Dist as ``parse_lines`` reads them, found by one pattern:
    a real METADATA has thirty header lines or more, and reading each of them in Python was
    most of the cost of a scan."""
    if _plain_ascii(text):
        pattern = _ASCII_LINE  # most files
    else:
        other_breaks, pattern = _any_text()
        if other_breaks.search(text) is not None:  # read line by line, as str.splitlines
            return {k: v for k, v in parse_lines(text).items() if k in _WANTED}
    fields: _Fields = {}
    for key, written, more in pattern.findall("\n" + text):
        value = written.strip()
        if more:
            value += "".join(" " + part.strip() for part in more[1:].split("\n"))
        fields.setdefault(key.lower(), []).append(value)
    return fields


def _first(fields: _Fields, key: str) -> str:
    values = fields.get(key)
    return values[0] if values else ""


def _header_bytes(fd: int, path: str) -> bytes:
    """The bytes before the first blank line: a long description after them is never read."""
    data = os.read(fd, 4096)
    while True:
        end = data.find(b"\n\n")
        # A CRLF blank line counts only before that one: no need to search past it.
        crlf = data.find(b"\r\n\r\n", 0, len(data) if end < 0 else end + 3)
        if crlf >= 0 and (end < 0 or crlf < end):
            end = crlf
        if end >= 0:
            return data[:end]
        if len(data) > MAX_METADATA_BYTES:
            raise FileProblem(path, "it is larger than 5 MiB")
        more = os.read(fd, 65536)
        if not more:
            return data
        data += more


def _read_headers(path: str) -> _Fields:
    """Read and parse the headers only, through ``open_regular``: a FIFO or a link to
    /dev/zero (either would hang the scan) and a file over the cap are refused by name."""
    with open_regular(path, cap=MAX_METADATA_BYTES) as fd:
        try:
            data = _header_bytes(fd, path)
        except OSError as exc:
            raise FileProblem(path, str(exc.strerror or exc)) from None
    return parse_headers(data.decode("utf-8", errors="replace"))


# open_regular's flags: never block on a FIFO, never take a terminal, never translate lines.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_READ_FLAGS |= getattr(os, "O_BINARY", 0)


def _plain_headers(path: str) -> _Fields | None:
    """``_read_headers`` of a regular file under the cap that opens and reads without error,
    the file of nearly every distribution; ``None`` for anything else, which
    ``_read_headers`` then refuses and words. The same checks as ``open_regular`` (opened
    without blocking, ``fstat`` before a byte is read) without its object per file, a
    measurable share of reading thousands of distributions."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not S_ISREG(info.st_mode) or info.st_size > MAX_METADATA_BYTES:
            return None
        data = _header_bytes(fd, path)
    except (OSError, FileProblem):  # a file past the cap: the careful reader words it
        return None
    finally:
        os.close(fd)
    return parse_headers(data.decode("utf-8", errors="replace"))


def name_from_folder(stem: str, fmt: MetadataFormat) -> tuple[str, str | None]:
    """(name, version) from ``name-version.dist-info`` / ``name-version-pyX.egg-info``."""
    if fmt == "dist-info":
        name, sep, version = stem.rpartition("-")
        return (name, version) if sep else (stem, None)
    parts = stem.split("-")
    return parts[0], parts[1] if len(parts) > 1 else None


def _direct_url(folder: str) -> DirectUrl:
    import json  # only a distribution installed from a URL or folder has direct_url.json

    try:
        data = json.loads(
            read_bytes_capped(os.path.join(folder, "direct_url.json"), cap=MAX_METADATA_BYTES)
        )
        url = data["url"]
        if not isinstance(url, str) or not isinstance(data, dict):
            raise TypeError("url is not a string")
    except (FileProblem, ValueError, KeyError, TypeError, RecursionError):
        return DirectUrl(url=f"{folder}/direct_url.json", kind="unknown")
    from pipvet.inputs.requirement_text import redact  # requirement parsing is not needed otherwise

    url = redact(url)
    dir_info, vcs_info = data.get("dir_info"), data.get("vcs_info")
    if isinstance(dir_info, dict):
        kind: Literal["editable", "directory"] = (
            "editable" if dir_info.get("editable") is True else "directory"
        )
        claim = DirectUrl(url, kind)
        # A wheel can ship its own direct_url.json (pip lists it in RECORD just as it lists
        # the one it writes itself): a folder that is not here labels nothing.
        found = url.startswith("file://") and os.path.isdir(claim.where)
        return claim if found else DirectUrl(url, kind, source_found=False)
    if isinstance(vcs_info, dict):
        vcs, commit = vcs_info.get("vcs"), vcs_info.get("commit_id")
        return DirectUrl(
            url,
            "vcs",
            vcs=vcs if isinstance(vcs, str) else None,
            commit=commit if isinstance(commit, str) else None,
        )
    if isinstance(data.get("archive_info"), dict):
        return DirectUrl(url, "archive")
    return DirectUrl(url, "unknown")


# Whether a metadata folder holds a direct_url.json, asked of the name itself (a dangling
# link counts, as it did when the folder was listed): one call that fails without raising.
if os.access in os.supports_follow_symlinks:

    def _present(path: str) -> bool:
        return os.access(path, os.F_OK, follow_symlinks=False)

else:  # pragma: no cover - Windows
    _present = os.path.lexists


_HERE = "." + os.sep


def _folder(entry: os.DirEntry[str]) -> str:
    """``str(site / entry.name)``, without making the Path: the entry's path, except in a scan
    of "." itself, which a Path shows without the "./"."""
    return entry.name if entry.path.startswith(_HERE) else entry.path


def read_metadata_dir(entry: os.DirEntry[str], site: Path, fmt: MetadataFormat) -> Distribution:
    """One ``.dist-info`` / ``.egg-info``: its headers and whether it has a direct_url.json,
    without listing the folder (a listing cost as much as reading the headers). Anything
    unusual (no METADATA, an unreadable or special file) is read again by
    ``read_metadata_carefully``, which says what is wrong."""
    if fmt == "dist-info" or entry.is_dir():
        where = entry.path + os.sep
        headers = _plain_headers(where + ("METADATA" if fmt == "dist-info" else "PKG-INFO"))
        if headers is not None:
            folder = _folder(entry)
            direct = _direct_url(folder) if _present(where + "direct_url.json") else None
            return _distribution(entry.name, site, fmt, folder, headers, direct=direct)
    return read_metadata_carefully(entry, site, fmt)


def read_metadata_carefully(
    entry: os.DirEntry[str], site: Path, fmt: MetadataFormat
) -> Distribution:
    """``read_metadata_dir`` the long way: the folder listed, its METADATA read through
    ``open_regular``, and whatever stops either named in the distribution's problem."""
    folder = _folder(entry)
    problem: str | None = None
    files: list[str] = []
    if fmt == "dist-info" or entry.is_dir():
        metadata_name = "METADATA" if fmt == "dist-info" else "PKG-INFO"
        metadata = os.path.join(entry.path, metadata_name)
        try:
            files = os.listdir(entry.path)
        except OSError as exc:
            problem = f"cannot read {folder}: {exc.strerror or exc}"
        else:
            if metadata_name not in files:
                problem = f"{folder} has no {metadata_name} file: the installation is broken"
    else:  # an .egg-info *file* is the PKG-INFO itself (old distutils installs)
        metadata = entry.path
    headers = None
    if problem is None:
        try:
            headers = _read_headers(metadata)
        except FileProblem as exc:
            problem = f"cannot read {exc.path}: {exc.reason}"
    direct = _direct_url(folder) if "direct_url.json" in files else None
    return _distribution(entry.name, site, fmt, folder, headers, direct=direct, problem=problem)


def _distribution(
    entry_name: str,
    site: Path,
    fmt: MetadataFormat,
    folder: str,
    headers: _Fields | None,
    *,
    direct: DirectUrl | None,
    problem: str | None = None,
) -> Distribution:
    """The distribution its headers describe, or what is wrong with them."""
    fields = headers if headers is not None else {}
    stem = entry_name.rsplit(".", 1)[0]
    # _first, without a call: thousands of distributions are made here.
    names, versions = fields.get("name"), fields.get("version")
    name = (names[0] if names else "").strip() or name_from_folder(stem, fmt)[0].strip()
    version = (versions[0] if versions else "").strip()
    if headers is not None and not version:
        problem = f"the metadata in {folder} has no Version: the installed release is unknown"
    elif len(version) > MAX_VERSION_LENGTH:
        # No release has such a version; shown in full it would fill the report, twice.
        problem = (
            f"the metadata in {folder} has a Version of {len(version):,} characters "
            f"({version[:40]!r}...), which no release has"
        )
        version = version[:MAX_VERSION_LENGTH]
    reinstall = name
    if problem is None and not is_project_name(name):
        # Matched by this name, a Name no index can hold would find no advisory and pass: a
        # package could hide that way. Unchecked instead, named by its folder.
        problem = (
            f"the metadata in {folder} names the project {name!r}, which is not a valid "
            "project name, so no advisory can be matched to it"
        )
        reinstall = name_from_folder(stem, fmt)[0]
    if problem:
        problem += f"; reinstall it (python -m pip install --force-reinstall {reinstall})"
    # By position (name, display_name, version, where, site_packages, format, requires_dist,
    # direct_url, problem): keywords cost a tenth of making one.
    return Distribution(
        canonicalize_name(name),
        name,
        version or None,
        folder,
        site,
        fmt,
        tuple(fields.get("requires-dist", ())),
        direct,
        problem,
    )


def _egg_link_version(target: str, name: str) -> str | None:
    """The Version of a ``setup.py develop`` install, from the ``NAME.egg-info`` that the
    egg-link's folder holds (site-packages has none for it); ``None`` when not readable."""
    wanted = canonicalize_name(name)
    try:
        entries = sorted(os.listdir(target)) if target else []
    except (OSError, ValueError):  # ValueError: the egg-link names a path with a NUL byte
        return None
    for entry in entries:
        stem = entry.removesuffix(".egg-info")
        if stem == entry or canonicalize_name(name_from_folder(stem, "egg-info")[0]) != wanted:
            continue
        try:
            headers = _read_headers(os.path.join(target, entry, "PKG-INFO"))
        except FileProblem:
            return None
        found = _first(headers, "name").strip()
        version = _first(headers, "version").strip()
        if canonicalize_name(found) == wanted and version:
            return version
    return None


def read_egg_link(entry: os.DirEntry[str], site: Path) -> Distribution:
    name = entry.name.removesuffix(".egg-link")
    try:
        text = read_bytes_capped(entry.path, cap=MAX_METADATA_BYTES).decode("utf-8")
        target = text.splitlines()[0].strip()
    except (FileProblem, IndexError, UnicodeDecodeError):
        target = ""
    return Distribution(
        name=canonicalize_name(name),
        display_name=name,
        version=_egg_link_version(target, name),
        where=str(Path(target or entry.path)),
        site_packages=site,
        format="egg-link",
    )
