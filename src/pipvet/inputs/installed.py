"""What is installed: distributions read from ``*.dist-info`` / ``*.egg-info`` metadata.

An I/O edge. Reading a site-packages folder never imports anything from it and never runs
pip, so it works for environments of another Python version or platform. Only
``site_packages_of`` (and so ``scan_interpreter``) runs a process: the target interpreter
itself, once, with ``-S -E`` so that the environment's ``.pth`` files (which can run code)
are not executed by the question.

Reading is kept light: per distribution, the METADATA headers up to the first blank line and
whether a direct_url.json is there (``pipvet.inputs.installed_metadata``); no metadata folder
is listed. RECORD, entry points, INSTALLER and WHEEL are read only when asked.
Which interpreter to look at, and asking it, is ``pipvet.inputs.interpreter``; the values
returned (``Distribution``, ``EnvironmentScan``...) are in ``pipvet.inputs.installed_model``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipvet.errors import EnvironmentProblem
from pipvet.inputs.installed_metadata import name_from_folder, read_egg_link, read_metadata_dir
from pipvet.inputs.installed_model import Distribution, EnvironmentScan, PthFile
from pipvet.models import canonicalize_name
from pipvet.system.files import MAX_METADATA_BYTES, FileProblem, read_bytes_capped
from pipvet.system.process import Runner

__all__ = ["read_environment", "read_site_packages", "scan_interpreter"]


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
    is_egg = site.name.lower().endswith(".egg")
    with os.scandir(site) as it:
        for entry in it:
            lowered = entry.name.lower()
            if lowered.endswith(".dist-info") and entry.is_dir():
                dists.append(read_metadata_dir(entry, site, "dist-info"))
            elif lowered.endswith(".egg-info") or (is_egg and lowered == "egg-info"):
                # an .egg folder on sys.path keeps its metadata in EGG-INFO
                dists.append(read_metadata_dir(entry, site, "egg-info"))
            elif lowered.endswith(".egg-link") and entry.is_file():
                dists.append(read_egg_link(entry, site))
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
    dists.sort(key=lambda d: (d.name, d.version or "", d.where))
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
    known: set[tuple[str, str | None]] | None = None  # made when a folder is read
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
            if known is None:
                known = {(d.name, d.version) for d in found}
            out.extend(d for d in dists if (d.name, d.version) not in known)
    return out


def _archive_on_path(path: Path, pth: Path) -> Distribution:
    """A file a ``.pth`` line puts on sys.path (a zipped egg): Python imports from inside
    it, pipvet does not read it, so what it holds is unchecked."""
    name = name_from_folder(path.name.rsplit(".", 1)[0], "egg-info")[0] or path.name
    return Distribution(
        name=canonicalize_name(name),
        display_name=name,
        version=None,
        where=str(path),
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
        copies = ", ".join(f"{d.version or 'unknown version'} ({d.where})" for d in group)
        out.append(
            f"{group[0].display_name} is installed {len(group)} times: {copies}; all are "
            "audited. A failed or interrupted install leaves stale metadata behind: reinstall "
            f"it (python -m pip install --force-reinstall {group[0].display_name}) or remove "
            "the stale folder"
        )
    return out


def scan_interpreter(python: Path, runner: Runner) -> EnvironmentScan:
    """Read every site-packages folder ``python`` imports from (one small subprocess)."""
    from pipvet.inputs.interpreter import site_packages_of  # not for a folder: --path

    return read_environment(site_packages_of(python, runner))
