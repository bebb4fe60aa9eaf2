"""What is installed, as values: distributions, where they came from, ``.pth`` files, a scan.

No I/O imports: the reader that builds these from site-packages folders is
``pipvet.inputs.installed``. The values are frozen; a ``Distribution`` reads a file of its
metadata folder (RECORD, entry points, INSTALLER, WHEEL), or lists the folder, only when a
caller asks for that fact, so a scan of thousands of distributions does neither up front.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pipvet.frozen import frozen
from pipvet.models import Dependency, Location, NormalizedName

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = [
    "LOCAL_BUILD",
    "DirectUrl",
    "Distribution",
    "EnvironmentScan",
    "MetadataFormat",
    "PthFile",
]

LOCAL_BUILD = "local build: the code may differ from the release"


@frozen
class DirectUrl:
    """Where a distribution came from when it was not installed from an index (PEP 610).

    Only a label, never a reason to skip matching: pip writes ``direct_url.json`` after
    installing and lists it in RECORD with its sha256 exactly as it lists a file that came
    inside the wheel (pip 26), so nothing in the metadata shows who wrote it, and a wheel from
    an index can ship one that claims to be an editable install.
    """

    url: str  # credentials redacted
    kind: Literal["editable", "directory", "vcs", "archive", "unknown"]
    vcs: str | None = None
    commit: str | None = None
    # For a folder claim (editable, local folder): does that folder exist on this machine? A
    # claim about a folder that is not here is not believed, so it labels nothing.
    source_found: bool = True

    @property
    def where(self) -> str:
        """The URL, or the local path for ``file://`` URLs."""
        if self.url.startswith("file://"):
            # String parsing only, imported here so that this module of values names no urllib.
            from urllib.parse import unquote, urlsplit

            return unquote(urlsplit(self.url).path) or self.url
        return self.url

    @property
    def origin(self) -> str | None:
        """Where the code came from, in words; ``None`` when the record says nothing usable
        (an unreadable file, or a folder that is not on this machine)."""
        if not self.source_found:
            return None
        match self.kind:
            case "editable":
                return f"editable install of {self.where}"
            case "directory":
                return f"installed from the local folder {self.where}"
            case "vcs":
                at = f" at {self.commit[:12]}" if self.commit else ""
                return f"installed from the {self.vcs or 'VCS'} repository {self.where}{at}"
            case "archive":
                return f"installed from the archive {self.where}"
            case _:
                return None


MetadataFormat: TypeAlias = 'Literal["dist-info", "egg-info", "egg-link"]'


@frozen(slots=True)  # an environment may hold tens of thousands
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
    # The .dist-info / .egg-info folder, or the .egg-info / .egg-link file, as the text of its
    # Path (``metadata_path``): a scan makes no Path per distribution, reports show the text.
    where: str
    site_packages: Path
    format: MetadataFormat
    requires_dist: tuple[str, ...] = ()
    direct_url: DirectUrl | None = None
    problem: str | None = None

    @property
    def metadata_path(self) -> Path:
        return Path(self.where)

    @property
    def metadata_files(self) -> frozenset[str]:
        """The names in the metadata folder, listed when asked: a scan lists no folder (for
        thousands of distributions, listing cost as much as reading their headers)."""
        if self.format == "egg-link":  # its path is the project's folder, not metadata
            return frozenset()
        try:
            return frozenset(os.listdir(self.metadata_path))
        except (OSError, ValueError):  # no folder (an .egg-info file, an archive), or gone
            return frozenset()

    @property
    def location(self) -> Location:
        return Location(self.where)

    @property
    def local_build(self) -> str | None:
        """The label of an editable, local-folder, VCS or URL install (``None`` for an index
        install). It labels only: such a distribution is audited by its declared name and
        version like any other, because an advisory for that release may well apply to it and
        because a wheel can write its own ``direct_url.json``."""
        if self.format == "egg-link":
            how: str | None = f"editable install (setup.py develop) of {self.where}"
        else:
            how = self.direct_url.origin if self.direct_url is not None else None
        return f"{LOCAL_BUILD}; {how}" if how else None

    @property
    def skipped(self) -> str | None:
        """Why this distribution cannot be audited by version, or ``None`` if it can."""
        if self.problem:
            return self.problem
        if self.version is None:  # an egg-link whose project folder has no readable metadata
            return (
                f"editable install (setup.py develop) of {self.where}: no version is "
                "recorded for it, so it cannot be checked; reinstall it "
                f"(python -m pip install -e {self.where})"
            )
        return None

    def dependency(self) -> Dependency:
        # Nothing skipped and no local build, as most are: no property asked.
        plain = self.problem is None and self.version is not None and self.direct_url is None
        if plain and self.format != "egg-link":
            return Dependency(self.name, self.version, self.display_name, Location(self.where))
        skipped = self.skipped
        label = None if skipped else self.local_build
        return Dependency(
            name=self.name,
            version=None if skipped else self.version,
            display_name=self.display_name,
            location=self.location,
            skipped=skipped,
            local=label is not None,
            local_build=label,
        )

    def read_text(self, filename: str) -> str | None:
        """A file of the metadata folder, or ``None`` if absent or unreadable."""
        if self.format == "egg-link" or "/" in filename or "\\" in filename:
            return None  # an egg-link's path is the project's folder; a name is one file
        from pipvet.system.files import MAX_METADATA_BYTES, FileProblem, read_bytes_capped

        try:  # never a FIFO or a device: either would hang whoever asked
            data = read_bytes_capped(self.metadata_path / filename, cap=MAX_METADATA_BYTES)
        except FileProblem:
            return None
        return data.decode("utf-8", errors="replace")

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
        import email.parser  # METADATA itself is read by installed._parse_headers

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


@frozen
class PthFile:
    """A ``.pth`` file at the top of site-packages. Lines starting with ``import`` are run
    by every interpreter start-up: that is how a package can run code without being imported."""

    path: Path
    code_lines: tuple[str, ...]
    sha256: str
    added_paths: tuple[str, ...] = ()  # the other lines: folders (or zips) put on sys.path

    @property
    def executes_code(self) -> bool:
        return bool(self.code_lines)


@frozen
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
