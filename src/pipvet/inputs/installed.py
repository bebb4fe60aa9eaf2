"""What is installed: distributions read from ``*.dist-info`` / ``*.egg-info`` metadata.

An I/O edge. Reading a site-packages folder never imports anything from it and never runs
pip, so it works for environments of another Python version or platform. Only
``site_packages_of`` (and so ``scan_interpreter``) runs a process: the target interpreter
itself, once, with ``-S -E`` so that the environment's ``.pth`` files (which can run code)
are not executed by the question.

Reading is kept light: per distribution, one directory listing and the METADATA headers up
to the first blank line. RECORD, entry points, INSTALLER and WHEEL are read only when asked.
Which interpreter to look at, and asking it, is ``pipvet.inputs.interpreter``; the values
returned (``Distribution``, ``EnvironmentScan``...) are in ``pipvet.inputs.installed_model``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pipvet.errors import EnvironmentProblem
from pipvet.inputs.installed_model import (
    DirectUrl,
    Distribution,
    EnvironmentScan,
    MetadataFormat,
    PthFile,
)
from pipvet.inputs.interpreter import site_packages_of
from pipvet.models import MAX_VERSION_LENGTH, canonicalize_name, is_project_name
from pipvet.system.files import (
    MAX_METADATA_BYTES,
    FileProblem,
    open_regular,
    read_bytes_capped,
)
from pipvet.system.process import Runner

__all__ = ["read_environment", "read_site_packages", "scan_interpreter"]

# ------------------------------------------------------------------- reading metadata

_HEADER_END = (b"\n\n", b"\r\n\r\n")


class _Headers:
    """Metadata headers (RFC 822 style, as in PKG-INFO / METADATA), case-insensitive."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str) -> str | None:
        values = self.fields.get(name.lower())
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        return self.fields.get(name.lower(), [])


def _parse_headers(text: str) -> _Headers:
    """The same reading as ``email.parser.HeaderParser`` for these files (continuation lines
    start with whitespace and are joined; lines without a colon are skipped), about four
    times faster, which matters at thousands of distributions."""
    fields: dict[str, list[str]] = {}
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
    return _Headers(fields)


def _read_headers(path: str) -> _Headers:
    """Read and parse the headers only: a long description after them is never read."""
    # os.read on a descriptor rather than open(): no buffered file object per distribution,
    # which is a measurable share of reading thousands of them. open_regular refuses a FIFO
    # or a link to /dev/zero (either would hang the scan) and a METADATA over the cap.
    with open_regular(path, cap=MAX_METADATA_BYTES) as fd:
        try:
            data = os.read(fd, 4096)
            while True:
                ends = [i for sep in _HEADER_END if (i := data.find(sep)) >= 0]
                if ends:
                    data = data[: min(ends)]
                    break
                if len(data) > MAX_METADATA_BYTES:
                    raise FileProblem(path, "it is larger than 5 MiB")
                more = os.read(fd, 65536)
                if not more:
                    break
                data += more
        except OSError as exc:
            raise FileProblem(path, str(exc.strerror or exc)) from None
    return _parse_headers(data.decode("utf-8", errors="replace"))


def _name_from_folder(stem: str, fmt: MetadataFormat) -> tuple[str, str | None]:
    """(name, version) from ``name-version.dist-info`` / ``name-version-pyX.egg-info``."""
    if fmt == "dist-info":
        name, sep, version = stem.rpartition("-")
        return (name, version) if sep else (stem, None)
    parts = stem.split("-")
    return parts[0], parts[1] if len(parts) > 1 else None


def _direct_url(folder: Path) -> DirectUrl:
    try:
        data = json.loads(read_bytes_capped(folder / "direct_url.json", cap=MAX_METADATA_BYTES))
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


# Most metadata folders of an environment hold the same few files: one shared set each per
# scan instead of a set per distribution (about a third of a distribution's memory).
_FileSets = dict[frozenset[str], frozenset[str]]


def _read_metadata_dir(
    entry: os.DirEntry[str], site: Path, fmt: MetadataFormat, shared: _FileSets
) -> Distribution:
    folder = site / entry.name
    guessed_name, _ = _name_from_folder(entry.name.rsplit(".", 1)[0], fmt)
    problem: str | None = None
    files: frozenset[str] = frozenset()
    if fmt == "dist-info" or entry.is_dir():
        metadata_name = "METADATA" if fmt == "dist-info" else "PKG-INFO"
        metadata = os.path.join(entry.path, metadata_name)
        try:
            listed = frozenset(os.listdir(entry.path))
            files = shared.setdefault(listed, listed)
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
    name = str((headers.get("Name") if headers else None) or guessed_name).strip()
    version = str(headers.get("Version") or "").strip() if headers else ""
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
        reinstall = guessed_name
    if problem:
        problem += f"; reinstall it (python -m pip install --force-reinstall {reinstall})"
    return Distribution(
        name=canonicalize_name(name),
        display_name=name,
        version=version or None,
        metadata_path=folder,
        site_packages=site,
        format=fmt,
        requires_dist=tuple(headers.get_all("Requires-Dist") or ()) if headers else (),
        direct_url=_direct_url(folder) if "direct_url.json" in files else None,
        problem=problem,
        metadata_files=files,
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
        if stem == entry or canonicalize_name(_name_from_folder(stem, "egg-info")[0]) != wanted:
            continue
        try:
            headers = _read_headers(os.path.join(target, entry, "PKG-INFO"))
        except FileProblem:
            return None
        found = (headers.get("Name") or "").strip()
        version = (headers.get("Version") or "").strip()
        if canonicalize_name(found) == wanted and version:
            return version
    return None


def _read_egg_link(entry: os.DirEntry[str], site: Path) -> Distribution:
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
        metadata_path=Path(target) if target else Path(entry.path),
        site_packages=site,
        format="egg-link",
    )


def _read_pth(entry: os.DirEntry[str]) -> PthFile | None:
    try:
        data = read_bytes_capped(entry.path, cap=MAX_METADATA_BYTES)
    except FileProblem:
        return None
    lines = data.decode("utf-8-sig", errors="replace").splitlines()
    # site.py runs exactly the lines that start with "import " or "import\t"
    code = tuple(line for line in lines if line.startswith(("import ", "import\t")))
    # ...and puts every other line that is no comment on sys.path, relative to the folder
    added = tuple(
        line.rstrip()
        for line in lines
        if line.strip() and not line.startswith(("#", "import ", "import\t"))
    )
    import hashlib  # loads OpenSSL: only environments with .pth files pay for it

    return PthFile(Path(entry.path), code, hashlib.sha256(data).hexdigest(), added)


def _scan_folder(site: Path) -> tuple[list[Distribution], list[PthFile]]:
    dists: list[Distribution] = []
    pths: list[PthFile] = []
    shared: _FileSets = {}
    is_egg = site.name.lower().endswith(".egg")
    with os.scandir(site) as it:
        for entry in it:
            lowered = entry.name.lower()
            if lowered.endswith(".dist-info") and entry.is_dir():
                dists.append(_read_metadata_dir(entry, site, "dist-info", shared))
            elif lowered.endswith(".egg-info") or (is_egg and lowered == "egg-info"):
                # an .egg folder on sys.path keeps its metadata in EGG-INFO
                dists.append(_read_metadata_dir(entry, site, "egg-info", shared))
            elif lowered.endswith(".egg-link") and entry.is_file():
                dists.append(_read_egg_link(entry, site))
            elif lowered.endswith(".pth") and entry.is_file():
                pth = _read_pth(entry)
                if pth is not None:
                    pths.append(pth)
    return dists, pths


def read_site_packages(path: Path) -> EnvironmentScan:
    """Read one site-packages folder. A missing or unreadable folder is an
    ``EnvironmentProblem``; broken or duplicate metadata is reported, never fatal."""
    return read_environment([path], missing_ok=False)


def read_environment(paths: Iterable[Path], *, missing_ok: bool = True) -> EnvironmentScan:
    """Read several site-packages folders (purelib, platlib, user site...) as one
    environment. The same folder given twice is read once; with ``missing_ok`` a folder that
    does not exist is skipped (interpreters list folders they have not created yet)."""
    folders: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        resolved = p.resolve()
        if resolved not in seen:
            seen.add(resolved)
            folders.append(p)
    dists: list[Distribution] = []
    pths: list[PthFile] = []
    read: list[Path] = []
    for folder in folders:
        try:
            found, pth = _scan_folder(folder)
        except FileNotFoundError:
            if missing_ok:
                continue
            raise EnvironmentProblem(
                f"site-packages folder not found: {folder}",
                hint="pass --path the site-packages folder of an environment",
            ) from None
        except NotADirectoryError:
            raise EnvironmentProblem(
                f"not a folder: {folder}", hint="pass --path a site-packages folder"
            ) from None
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot read {folder}: {exc.strerror or exc}",
                hint="check the folder's permissions",
            ) from None
        read.append(folder)
        dists.extend(found)
        pths.extend(pth)
    dists.extend(_added_by_pth(pths, seen, dists))
    dists.sort(key=lambda d: (d.name, d.version or "", str(d.metadata_path)))
    pths.sort(key=lambda p: str(p.path))
    return EnvironmentScan(
        paths=tuple(read),
        distributions=tuple(dists),
        warnings=tuple(_warnings(read, dists)),
        pth_files=tuple(pths),
    )


def _added_by_pth(
    pths: Sequence[PthFile], seen: set[Path], found: Sequence[Distribution]
) -> list[Distribution]:
    """What the folders that ``.pth`` lines put on sys.path hold: Python imports from them and
    pip lists them, so a package there is installed. The same release found in site-packages
    too (an editable project's own egg-info) is not counted twice. Their ``.pth`` files are
    not read: site.py reads only those of site folders."""
    known = {(d.name, d.version) for d in found}
    out: list[Distribution] = []
    for pth in pths:
        for line in pth.added_paths:
            folder = Path(os.path.abspath(os.path.join(pth.path.parent, line)))
            try:
                resolved = folder.resolve()
                if resolved in seen or not folder.exists():
                    continue
                seen.add(resolved)
                if folder.is_dir():
                    dists = _scan_folder(folder)[0]
                elif not folder.is_file():  # a FIFO or a device: opening it could hang
                    continue
                else:
                    import zipfile  # only a .pth line naming a file needs it

                    if not zipfile.is_zipfile(folder):  # Python finds nothing in it either
                        continue
                    dists = [_archive_on_path(folder, pth.path)]
            except (OSError, ValueError, RuntimeError):  # unreadable, a NUL byte, a loop
                continue
            out.extend(d for d in dists if (d.name, d.version) not in known)
    return out


def _archive_on_path(path: Path, pth: Path) -> Distribution:
    """A file a ``.pth`` line puts on sys.path (a zipped egg): Python imports from inside
    it, pipvet does not read it, so what it holds is unchecked."""
    name = _name_from_folder(path.name.rsplit(".", 1)[0], "egg-info")[0] or path.name
    return Distribution(
        name=canonicalize_name(name),
        display_name=name,
        version=None,
        metadata_path=path,
        site_packages=pth.parent,
        format="egg-info",
        problem=(
            f"{pth} puts the file {path} on sys.path; pipvet does not read inside archives, "
            "so what it holds is not checked: install it with pip instead, or remove the line"
        ),
    )


def _warnings(folders: Sequence[Path], dists: Sequence[Distribution]) -> list[str]:
    out: list[str] = []
    if not dists:
        where = ", ".join(str(f) for f in folders) or "no folder"
        out.append(f"no installed distributions found in {where}")
    by_name: dict[str, list[Distribution]] = {}
    for d in dists:
        by_name.setdefault(d.name, []).append(d)
    for group in by_name.values():
        if len(group) < 2:
            continue
        copies = ", ".join(f"{d.version or 'unknown version'} ({d.metadata_path})" for d in group)
        out.append(
            f"{group[0].display_name} is installed {len(group)} times: {copies}; all are "
            "audited. A failed or interrupted install leaves stale metadata behind: reinstall "
            f"it (python -m pip install --force-reinstall {group[0].display_name}) or remove "
            "the stale folder"
        )
    return out


def scan_interpreter(python: Path, runner: Runner) -> EnvironmentScan:
    """Read every site-packages folder ``python`` imports from (one small subprocess)."""
    return read_environment(site_packages_of(python, runner))
