"""What is installed: distributions read from ``*.dist-info`` / ``*.egg-info`` metadata.

An I/O edge. Reading a site-packages folder never imports anything from it and never runs
pip, so it works for environments of another Python version or platform. Only
``site_packages_of`` (and so ``scan_interpreter``) runs a process: the target interpreter
itself, once, with ``-S -E`` so that the environment's ``.pth`` files (which can run code)
are not executed by the question.

Reading is kept light: per distribution, one directory listing and the METADATA headers up
to the first blank line. RECORD, entry points, INSTALLER and WHEEL are read only when asked.
Which interpreter to look at, and asking it, is ``pipvet.inputs.interpreter``.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipvet.errors import EnvironmentProblem
from pipvet.inputs.interpreter import site_packages_of
from pipvet.models import Dependency, Location, NormalizedName, canonicalize_name
from pipvet.system.process import Runner

__all__ = [
    "DirectUrl",
    "Distribution",
    "EnvironmentScan",
    "PthFile",
    "read_environment",
    "read_site_packages",
    "scan_interpreter",
]

_NOT_FROM_INDEX = "not from the index, cannot be audited by version"

# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class DirectUrl:
    """Where a distribution came from when it was not installed from an index (PEP 610)."""

    url: str  # credentials redacted
    kind: Literal["editable", "directory", "vcs", "archive", "unknown"]
    vcs: str | None = None
    commit: str | None = None

    @property
    def where(self) -> str:
        """The URL, or the local path for ``file://`` URLs."""
        if self.url.startswith("file://"):
            return urllib.parse.unquote(urllib.parse.urlsplit(self.url).path) or self.url
        return self.url

    @property
    def reason(self) -> str:
        match self.kind:
            case "editable":
                return f"editable install of {self.where}: {_NOT_FROM_INDEX}"
            case "directory":
                return f"installed from the local folder {self.where}: {_NOT_FROM_INDEX}"
            case "vcs":
                at = f" at {self.commit[:12]}" if self.commit else ""
                return f"installed from the {self.vcs or 'VCS'} repository {self.where}{at}: " + (
                    _NOT_FROM_INDEX
                )
            case "archive":
                return f"installed from the archive {self.where}: {_NOT_FROM_INDEX}"
            case _:
                return f"installed from {self.where} (direct_url.json): {_NOT_FROM_INDEX}"


MetadataFormat = Literal["dist-info", "egg-info", "egg-link"]


@dataclass(frozen=True)
class Distribution:
    """One installed distribution as its metadata describes it.

    ``version`` is the Version header as written (``None`` when missing); it may not be a
    valid PEP 440 version, which is for the caller to judge. ``problem`` says what is wrong
    with broken metadata. Extra facts (RECORD, entry points, INSTALLER, WHEEL) are read from
    disk only when asked for.
    """

    name: NormalizedName
    display_name: str
    version: str | None
    metadata_path: Path  # the .dist-info / .egg-info folder, or the .egg-info / .egg-link file
    site_packages: Path
    format: MetadataFormat
    requires_dist: tuple[str, ...] = ()
    direct_url: DirectUrl | None = None
    problem: str | None = None
    metadata_files: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def location(self) -> Location:
        return Location(str(self.metadata_path))

    @property
    def from_source_tree(self) -> bool:
        """Installed from code that no index published: editable, a local folder or VCS.

        A wheel or sdist installed from a URL (``archive``) still carries a released name and
        version, and an unreadable ``direct_url.json`` proves nothing; both are audited by
        version, because skipping them would let a vulnerable release pass unseen.
        """
        if self.direct_url is not None:
            return self.direct_url.kind in ("editable", "directory", "vcs")
        return self.format == "egg-link"

    @property
    def skipped(self) -> str | None:
        """Why this distribution cannot be audited by version, or ``None`` if it can."""
        if self.problem:
            return self.problem
        if self.direct_url is not None and self.from_source_tree:
            return self.direct_url.reason
        if self.format == "egg-link":
            return f"editable install (setup.py develop) of {self.metadata_path}: " + (
                _NOT_FROM_INDEX
            )
        return None

    def dependency(self) -> Dependency:
        skipped = self.skipped
        return Dependency(
            name=self.name,
            version=None if skipped else self.version,
            display_name=self.display_name,
            location=self.location,
            skipped=skipped,
            local=not self.problem and self.from_source_tree,
        )

    def read_text(self, filename: str) -> str | None:
        """A file of the metadata folder, or ``None`` if absent or unreadable."""
        if filename not in self.metadata_files:  # listed once when the folder was scanned
            return None
        try:
            return (self.metadata_path / filename).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    @property
    def installer(self) -> str | None:
        """The tool that installed it (the INSTALLER file: ``pip``, ``uv``, ``conda``...)."""
        text = self.read_text("INSTALLER")
        return text.strip() or None if text is not None else None

    @property
    def wheel_generator(self) -> str | None:
        """The WHEEL file's ``Generator`` (the tool that built the wheel), if any."""
        text = self.read_text("WHEEL")
        if text is None:
            return None
        import email.parser  # the metadata headers themselves are read by _parse_headers

        return email.parser.HeaderParser().parsestr(text).get("Generator")

    @property
    def installed_from_wheel(self) -> bool | None:
        """True for a dist-info with a WHEEL file, False for egg-info (built by setup.py),
        None when unknown. A wheel pip built locally from an sdist also has a WHEEL file:
        only pip's install report tells those apart."""
        if self.format == "dist-info":
            return True if "WHEEL" in self.metadata_files else None
        return False

    def record(self) -> tuple[Path, ...]:
        """Installed files (RECORD, or installed-files.txt for egg-info), as absolute paths."""
        if self.format == "dist-info":
            text = self.read_text("RECORD")
            base = self.site_packages
            rows = [line.split(",")[0] for line in (text or "").splitlines()]
            rows = [r.strip('"') for r in rows]
        else:
            text = self.read_text("installed-files.txt")
            base = self.metadata_path
            rows = (text or "").splitlines()
        return tuple(Path(os.path.normpath(base / row)) for row in rows if row.strip())

    def entry_points(self, group: str) -> dict[str, str]:
        """One entry-point group (``console_scripts``, ``gui_scripts``...): name -> target."""
        text = self.read_text("entry_points.txt")
        if not text:
            return {}
        import configparser  # only commands that look at entry points need it

        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(text)
        except configparser.Error:
            return {}
        return dict(parser[group]) if parser.has_section(group) else {}

    @property
    def console_scripts(self) -> dict[str, str]:
        return self.entry_points("console_scripts")


@dataclass(frozen=True)
class PthFile:
    """A ``.pth`` file at the top of site-packages. Lines starting with ``import`` are run
    by every interpreter start-up: that is how a package can run code without being imported."""

    path: Path
    code_lines: tuple[str, ...]
    sha256: str

    @property
    def executes_code(self) -> bool:
        return bool(self.code_lines)


@dataclass(frozen=True)
class EnvironmentScan:
    """Everything read from one or more site-packages folders."""

    paths: tuple[Path, ...]
    distributions: tuple[Distribution, ...]
    warnings: tuple[str, ...] = ()
    pth_files: tuple[PthFile, ...] = ()

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        return tuple(d.dependency() for d in self.distributions)

    def by_name(self) -> dict[NormalizedName, list[Distribution]]:
        out: dict[NormalizedName, list[Distribution]] = {}
        for dist in self.distributions:
            out.setdefault(dist.name, []).append(dist)
        return out

    def owners(self, paths: Iterable[Path]) -> dict[Path, Distribution]:
        """Which distribution's RECORD lists each path (reads RECORDs until all are found)."""
        wanted = {Path(os.path.normpath(p)) for p in paths}
        found: dict[Path, Distribution] = {}
        for dist in self.distributions:
            if not wanted:
                break
            for file in dist.record():
                if file in wanted:
                    found[file] = dist
                    wanted.discard(file)
        return found


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
    # os.open/os.read rather than open(): no buffered file object per distribution, which
    # is a measurable share of reading thousands of them.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(fd, 4096)
        while True:
            ends = [i for i in (data.find(sep) for sep in _HEADER_END) if i >= 0]
            if ends:
                data = data[: min(ends)]
                break
            more = os.read(fd, 65536)
            if not more:
                break
            data += more
    finally:
        os.close(fd)
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
        data = json.loads((folder / "direct_url.json").read_text(encoding="utf-8"))
        url = data["url"]
        if not isinstance(url, str) or not isinstance(data, dict):
            raise TypeError("url is not a string")
    except (OSError, ValueError, KeyError, TypeError):
        return DirectUrl(url=f"{folder}/direct_url.json", kind="unknown")
    from pipvet.inputs.requirement_text import redact  # requirement parsing is not needed otherwise

    url = redact(url)
    dir_info, vcs_info = data.get("dir_info"), data.get("vcs_info")
    if isinstance(dir_info, dict):
        return DirectUrl(url, "editable" if dir_info.get("editable") is True else "directory")
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


def _read_metadata_dir(entry: os.DirEntry[str], site: Path, fmt: MetadataFormat) -> Distribution:
    folder = site / entry.name
    guessed_name, _ = _name_from_folder(entry.name.rsplit(".", 1)[0], fmt)
    problem: str | None = None
    files: frozenset[str] = frozenset()
    if fmt == "dist-info" or entry.is_dir():
        metadata_name = "METADATA" if fmt == "dist-info" else "PKG-INFO"
        metadata = os.path.join(entry.path, metadata_name)
        try:
            files = frozenset(os.listdir(entry.path))
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
        except OSError as exc:
            problem = f"cannot read {Path(metadata)}: {exc.strerror or exc}"
    name = str((headers.get("Name") if headers else None) or guessed_name).strip()
    version = str(headers.get("Version") or "").strip() if headers else ""
    if headers is not None and not version:
        problem = f"the metadata in {folder} has no Version: the installed release is unknown"
    if problem:
        problem += f"; reinstall it (python -m pip install --force-reinstall {name})"
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


def _read_egg_link(entry: os.DirEntry[str], site: Path) -> Distribution:
    name = entry.name.removesuffix(".egg-link")
    try:
        target = Path(entry.path).read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        target = ""
    return Distribution(
        name=canonicalize_name(name),
        display_name=name,
        version=None,
        metadata_path=Path(target) if target else Path(entry.path),
        site_packages=site,
        format="egg-link",
    )


def _read_pth(entry: os.DirEntry[str]) -> PthFile | None:
    try:
        data = Path(entry.path).read_bytes()
    except OSError:
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    # site.py runs exactly the lines that start with "import " or "import\t"
    code = tuple(line for line in lines if line.startswith(("import ", "import\t")))
    import hashlib  # loads OpenSSL: only environments with .pth files pay for it

    return PthFile(Path(entry.path), code, hashlib.sha256(data).hexdigest())


def _scan_folder(site: Path) -> tuple[list[Distribution], list[PthFile]]:
    dists: list[Distribution] = []
    pths: list[PthFile] = []
    with os.scandir(site) as it:
        for entry in it:
            lowered = entry.name.lower()
            if lowered.endswith(".dist-info") and entry.is_dir():
                dists.append(_read_metadata_dir(entry, site, "dist-info"))
            elif lowered.endswith(".egg-info"):
                dists.append(_read_metadata_dir(entry, site, "egg-info"))
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
    dists.sort(key=lambda d: (d.name, d.version or "", str(d.metadata_path)))
    pths.sort(key=lambda p: str(p.path))
    return EnvironmentScan(
        paths=tuple(read),
        distributions=tuple(dists),
        warnings=tuple(_warnings(read, dists)),
        pth_files=tuple(pths),
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
