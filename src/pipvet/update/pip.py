"""Running an environment's own pip: the one place pipvet starts ``<python> -m pip``.

An I/O edge. The process runner is passed in (the command line passes one with the user's own
environment, so their pip configuration and index apply; tests pass one scrubbed of it).
``Pip`` knows which version it talks to and so which protective flags it can pass:

* ``--uploaded-prior-to`` (the cooldown): pip 26.0 takes an absolute ISO 8601 time, pip 26.1
  also a ``P<n>D`` duration. pipvet always passes the absolute time computed from its own
  clock, which every pip that has the flag accepts and which makes runs reproducible.
* ``--only-final`` / ``--all-releases`` (release control): pip 26.0.
* ``--report`` (a JSON install report): pip 22.2.

With an older pip the missing protections are described in words (``missing_protections``)
so the caller can say what was not applied; nothing fails silently.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pipvet.errors import PipError
from pipvet.frozen import frozen
from pipvet.system.process import Runner, RunResult

__all__ = [
    "UPLOADED_PRIOR_TO_SINCE",
    "InstallOutcome",
    "Pip",
    "PipFeatures",
    "ReportItem",
    "cooldown_cutoff",
    "parse_install_report",
    "parse_pip_version",
]

# The pip release that introduced each flag (pip's own changelog).
UPLOADED_PRIOR_TO_SINCE = Version("26.0")
UPLOADED_PRIOR_TO_DURATION_SINCE = Version("26.1")
RELEASE_CONTROL_SINCE = Version("26.0")
REPORT_SINCE = Version("22.2")

_VERSION_LINE = re.compile(r"^pip (\S+) from (.+?) \(python ([\d.]+)\)\s*$")


@frozen
class PipFeatures:
    """What one pip can do, decided from its version."""

    version: Version

    @property
    def uploaded_prior_to(self) -> bool:
        return self.version >= UPLOADED_PRIOR_TO_SINCE

    @property
    def uploaded_prior_to_duration(self) -> bool:
        return self.version >= UPLOADED_PRIOR_TO_DURATION_SINCE

    @property
    def release_control(self) -> bool:
        return self.version >= RELEASE_CONTROL_SINCE

    @property
    def report(self) -> bool:
        return self.version >= REPORT_SINCE

    def missing_protections(self, cooldown_days: int) -> tuple[str, ...]:
        """In words, each protection ``pipvet update`` wants that this pip cannot give."""
        out: list[str] = []
        if cooldown_days > 0 and not self.uploaded_prior_to:
            out.append(
                f"pip {self.version} has no --uploaded-prior-to (added in pip "
                f"{UPLOADED_PRIOR_TO_SINCE}): the {cooldown_days}-day cooldown was NOT applied, "
                "so a release published minutes ago could have been installed"
            )
        if not self.release_control:
            out.append(
                f"pip {self.version} has no --only-final (added in pip {RELEASE_CONTROL_SINCE}): "
                "a pre-release can still be chosen when a requirement names one or when no "
                "final release satisfies it"
            )
        if not self.report:
            out.append(
                f"pip {self.version} has no --report (added in pip {REPORT_SINCE}): packages "
                "built from source distributions cannot be told apart from wheels"
            )
        return tuple(out)


def parse_pip_version(output: str) -> tuple[Version, str]:
    """``pip 26.3 from /x/site-packages/pip (python 3.11)`` -> (Version("26.3"), "3.11").

    Raises PipError naming the text when it is not pip's answer."""
    for line in output.splitlines():
        match = _VERSION_LINE.match(line.strip())
        if match:
            try:
                return Version(match.group(1)), match.group(3)
            except InvalidVersion:
                break
    shown = output.strip()[:120]
    raise PipError(
        f"'pip --version' answered {shown!r}, not 'pip X from ... (python Y)'",
        hint="check that pip works in this environment: <its python> -m pip --version",
    )


def cooldown_cutoff(now: datetime, days: int) -> str:
    """The ``--uploaded-prior-to`` value for a cooldown of ``days`` ending at ``now``: an
    absolute UTC time, which every pip with the flag accepts (durations need pip 26.1)."""
    return (now.astimezone(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------ install reports


@frozen
class ReportItem:
    """One package of pip's install report (``--report``): what pip chose and from where."""

    name: NormalizedName
    version: str
    url: str
    requested: bool
    is_direct: bool
    editable: bool
    from_wheel: bool  # the artifact was a wheel; False means pip built it from source

    @property
    def local_dir(self) -> bool:
        return self.url.startswith("file:") and not self.url.endswith((".whl", ".zip", ".gz"))


def parse_install_report(text: str) -> tuple[ReportItem, ...]:
    """The ``install`` list of pip's JSON report. Raises PipError when it is not one."""
    try:
        data = json.loads(text)
        items = data["install"]
        out = []
        for item in items:
            meta = item["metadata"]
            info: dict[str, Any] = item.get("download_info") or {}
            url = str(info.get("url", ""))
            dir_info = info.get("dir_info")
            editable = bool(dir_info.get("editable")) if isinstance(dir_info, dict) else False
            path = url.split("#", 1)[0].split("?", 1)[0]
            out.append(
                ReportItem(
                    name=canonicalize_name(str(meta["name"])),
                    version=str(meta["version"]),
                    url=url,
                    requested=bool(item.get("requested", False)),
                    is_direct=bool(item.get("is_direct", False)),
                    editable=editable,
                    from_wheel=path.endswith(".whl"),
                )
            )
    except (ValueError, KeyError, TypeError) as exc:
        raise PipError(f"pip's install report could not be read: {exc}") from exc
    return tuple(out)


# ------------------------------------------------------------------------ running pip


@frozen
class InstallOutcome:
    argv: tuple[str, ...]
    report: tuple[ReportItem, ...] | None  # None when this pip cannot write one
    output: str


@dataclasses.dataclass
class Pip:
    """The pip of one interpreter, run as ``<python> -m pip``."""

    python: Path
    runner: Runner
    _version: tuple[Version, str] | None = None

    def argv(self, *args: str) -> list[str]:
        # -I: a checkout's own pip/ folder must not be run in pip's place (-m puts the working
        # folder first on sys.path otherwise); PIP_* settings still apply.
        return [str(self.python), "-I", "-m", "pip", *args]

    def run(self, *args: str, timeout: float | None = None) -> RunResult:
        return self.runner(self.argv(*args), timeout=timeout)

    def version(self, *, refresh: bool = False) -> Version:
        if self._version is None or refresh:
            result = self.run("--version", timeout=120)
            if result.returncode != 0:
                raise PipError(
                    f"pip does not work in {self.python}: {_last_line(result)}",
                    hint=f"repair it: {self.python} -m ensurepip --upgrade",
                )
            try:
                self._version = parse_pip_version(result.stdout)
            except PipError as exc:
                hint = f"check that pip works in this environment: {self.python} -m pip --version"
                raise PipError(exc.message, hint=hint) from None
        return self._version[0]

    def features(self) -> PipFeatures:
        return PipFeatures(self.version())

    def install(
        self, args: Sequence[str], *, report: bool = True, dry_run: bool = False
    ) -> InstallOutcome:
        """``pip install ARGS`` (plus ``--report`` when this pip has it). PipError on failure,
        with pip's whole error message."""
        base = ["install", "--disable-pip-version-check", "--no-input"]
        if dry_run:
            base.append("--dry-run")
        want_report = report and self.features().report
        fd, report_path = tempfile.mkstemp(prefix="pipvet-report-", suffix=".json")
        os.close(fd)
        try:
            if want_report:
                base += ["--report", report_path]
            argv = tuple(self.argv(*base, *args))
            result = self.runner(argv)
            if result.returncode != 0:
                error = _pip_error(result)
                shown = " ".join(_shown(a) for a in argv if a not in (report_path, "--report"))
                hint = f"run the command yourself to see pip's full output: {shown}"
                if _HASH_MODE.search(error):
                    hint = (
                        "hash-checking needs every requirement pinned with ==, and an update "
                        "takes newer releases, so hashes cannot be checked here: run "
                        "'pipvet relax' to turn the pins into floors and drop the --hash "
                        "options (keep hashes in a separate lock file if you need them)"
                    )
                raise PipError(
                    f"pip install failed (exit code {result.returncode}):\n{error}", hint=hint
                )
            items = None
            if want_report:
                items = parse_install_report(Path(report_path).read_text(encoding="utf-8"))
            return InstallOutcome(argv, items, result.stdout + result.stderr)
        finally:
            Path(report_path).unlink(missing_ok=True)

    def config_list(self) -> dict[str, str]:
        """``pip config list``: ``section.key`` -> value (quotes removed). Empty on failure."""
        result = self.run("config", "list", timeout=120)
        if result.returncode != 0:
            return {}
        out: dict[str, str] = {}
        for line in result.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key.strip()] = value.strip().strip("'\"")
        return out


# pip's words when a requirements file with --hash options puts it in hash-checking mode.
_HASH_MODE = re.compile(r"--require-hashes|Hashes are required|hash-checking mode", re.IGNORECASE)
_MAX_ERROR_LINES = 60


def _pip_error(result: RunResult) -> str:
    """pip's error as it wrote it: from its first ``ERROR`` line to the end (pip explains
    over several lines, and the first alone often says nothing), else its last lines."""
    lines = [ln.rstrip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("ERROR")), None)
    chosen = lines[start:] if start is not None else lines[-10:]
    if len(chosen) > _MAX_ERROR_LINES:
        left = len(chosen) - _MAX_ERROR_LINES
        chosen = [*chosen[:_MAX_ERROR_LINES], f"... ({left} more lines)"]
    return "\n".join(f"  {ln}" for ln in chosen) or "  (pip wrote nothing)"


def _last_line(result: RunResult) -> str:
    lines = [ln for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    return (errors or lines or ["no output"])[-1].strip()


def _shown(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else f"'{arg}'"
