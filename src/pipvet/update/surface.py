"""The install surface of an environment, before and after an update, and what changed.

A snapshot records, per environment: each distribution's version and how it was installed,
every ``.pth`` file that executes code (lines starting with ``import`` run at every interpreter
start-up) with its hash and owner (the distribution whose RECORD lists it), and every console
script. ``snapshot`` reads these from disk; ``package_changes`` and ``surface_findings`` are
pure comparisons of two snapshots.

Built from source: a wheel that pip built locally from an sdist has a WHEEL file just like a
downloaded one (and the same Generator, ``bdist_wheel`` or ``setuptools``), so the metadata
alone cannot tell them apart. The sound rule is pip's install report: the artifact pip used
was not a ``.whl``. Without a report, only legacy ``setup.py install`` results (egg-info
metadata) are known to be source builds. The project's own folder (``pip install .``) is
built from source by design and is not a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from pipvet.frozen import frozen
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.models import NormalizedName
from pipvet.update.model import ChangeKind, PackageChange, SurfaceFinding

__all__ = [
    "BuildInfo",
    "EnvSnapshot",
    "InstalledPackage",
    "PthState",
    "ScriptState",
    "package_changes",
    "snapshot",
    "surface_findings",
]

# Start-up hooks that well-known tools install on purpose: setuptools' distutils shim,
# virtualenv's own hook, editable installs' import finders. They still run code, so a change
# to one is shown, but as a note.
_KNOWN_PTH: tuple[tuple[str, str], ...] = (
    ("distutils-precedence.pth", "setuptools' distutils shim"),
    ("_virtualenv.pth", "virtualenv's start-up hook"),
)
_EDITABLE_PREFIXES = ("__editable__.", "__editable___")

# Commands a console script must not quietly take over.
_SENSITIVE_COMMANDS = frozenset(
    {
        "pip", "pip3", "python", "python3", "pipvet", "git", "ssh", "scp", "sudo", "su", "sh",
        "bash", "zsh", "ls", "cp", "mv", "rm", "cat", "curl", "wget", "gpg", "docker",
        "kubectl", "aws", "gcloud", "az", "gh", "npm", "node", "env", "which", "make",
    }
)  # fmt: skip


@frozen
class InstalledPackage:
    name: NormalizedName
    display_name: str
    version: str | None
    egg_info: bool  # legacy metadata: installed by ``setup.py``, i.e. built from source


@frozen
class PthState:
    path: str
    sha256: str
    code_lines: tuple[str, ...]
    owner: NormalizedName | None  # the distribution whose RECORD lists the file


@frozen
class ScriptState:
    name: str
    package: NormalizedName
    target: str


@frozen
class EnvSnapshot:
    packages: tuple[InstalledPackage, ...] = ()
    pth_files: tuple[PthState, ...] = ()  # only those that execute code
    scripts: tuple[ScriptState, ...] = ()

    def versions(self) -> dict[NormalizedName, InstalledPackage]:
        return {p.name: p for p in self.packages}


def snapshot(scan: EnvironmentScan) -> EnvSnapshot:
    """Read versions, executable ``.pth`` files (with owners) and console scripts."""
    executable = [p for p in scan.pth_files if p.executes_code]
    owners = scan.owners(p.path for p in executable)
    pths = tuple(
        PthState(
            path=str(p.path),
            sha256=p.sha256,
            code_lines=p.code_lines,
            owner=owners[p.path].name if p.path in owners else None,
        )
        for p in executable
    )
    scripts: list[ScriptState] = []
    for dist in scan.distributions:
        for name, target in sorted(dist.console_scripts.items()):
            scripts.append(ScriptState(name, dist.name, target))
    packages = tuple(
        InstalledPackage(d.name, d.display_name, d.version, d.format != "dist-info")
        for d in scan.distributions
    )
    return EnvSnapshot(packages, pths, tuple(scripts))


# ---------------------------------------------------------------------------- changes


def package_changes(before: EnvSnapshot, after: EnvSnapshot) -> tuple[PackageChange, ...]:
    """Upgraded / downgraded / changed (versions that do not compare), added, removed;
    sorted by kind then name."""
    old, new = before.versions(), after.versions()
    out: list[PackageChange] = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a is None and b is not None:
            out.append(PackageChange("added", name, b.display_name, None, b.version))
        elif b is None and a is not None:
            out.append(PackageChange("removed", name, a.display_name, a.version, None))
        elif a is not None and b is not None and a.version != b.version:
            out.append(PackageChange(_direction(a.version, b.version), name, b.display_name,
                                     a.version, b.version))  # fmt: skip
    order = ("upgraded", "downgraded", "changed", "added", "removed")
    return tuple(sorted(out, key=lambda c: (order.index(c.kind), c.name)))


def _direction(old: str | None, new: str | None) -> ChangeKind:
    try:
        a, b = Version(old or ""), Version(new or "")
    except InvalidVersion:
        return "changed"
    return "upgraded" if b > a else "downgraded"


# ---------------------------------------------------------------------------- findings


@frozen
class BuildInfo:
    """How pip obtained one package in this run (from its install report)."""

    name: NormalizedName
    version: str
    from_wheel: bool
    local_dir: bool  # the project's own folder or another local source tree
    url: str


def surface_findings(
    before: EnvSnapshot,
    after: EnvSnapshot,
    builds: Sequence[BuildInfo] = (),
    *,
    pip: str,
) -> tuple[SurfaceFinding, ...]:
    """Compare two snapshots: new or changed executable ``.pth`` files, new console scripts,
    packages built from source in this run (``builds`` from pip's install reports; without
    them, packages newly present with egg-info metadata). ``pip`` is how a suggested fix
    names the environment's pip (``.venv/bin/python -m pip``)."""
    out: list[SurfaceFinding] = []
    out.extend(_pth_findings(before, after, pip))
    out.extend(_script_findings(before, after))
    out.extend(_build_findings(before, after, builds, pip))
    return tuple(out)


def _pth_findings(before: EnvSnapshot, after: EnvSnapshot, pip: str) -> Iterable[SurfaceFinding]:
    old = {p.path: p for p in before.pth_files}
    for pth in after.pth_files:
        previous = old.get(pth.path)
        if previous is not None and previous.sha256 == pth.sha256:
            continue
        name = Path(pth.path).name
        code = "; ".join(line[:80] for line in pth.code_lines[:3])
        if pth.owner is None:
            yield SurfaceFinding(
                "pth-unowned", "warning", None, pth.path,
                f"{'changed' if previous else 'new'} start-up code that no installed "
                f"package's RECORD lists (something wrote it outside pip): {code}",
                fix=f"inspect it; if you did not put it there, delete {pth.path} and treat "
                "this environment as compromised (recreate it)",
            )  # fmt: skip
            continue
        known = _known_reason(name)
        verb = "changed" if previous else "new"
        yield SurfaceFinding(
            "pth-changed" if previous else "pth-new",
            "note" if known else "warning",
            pth.owner,
            pth.path,
            f"{verb} .pth file from {pth.owner} runs code at every Python start-up"
            + (f" ({known})" if known else "")
            + f": {code}",
            fix=""
            if known
            else f"review what {pth.owner} runs at start-up; if it is not "
            f"expected, uninstall it ({pip} uninstall {pth.owner})",
        )


def _known_reason(filename: str) -> str | None:
    for known, reason in _KNOWN_PTH:
        if filename == known:
            return reason
    if filename.startswith(_EDITABLE_PREFIXES):
        return "an editable install's import hook"
    return None


def _script_findings(before: EnvSnapshot, after: EnvSnapshot) -> Iterable[SurfaceFinding]:
    old = {(s.name, s.package) for s in before.scripts}
    owners: dict[str, set[NormalizedName]] = {}
    for s in after.scripts:
        owners.setdefault(s.name, set()).add(s.package)
    for script in after.scripts:
        if (script.name, script.package) in old:
            continue
        others = sorted(owners[script.name] - {script.package})
        if others or script.name.lower() in _SENSITIVE_COMMANDS:
            clash = (
                f"also provided by {', '.join(others)}"
                if others
                else "a name people type without thinking"
            )
            yield SurfaceFinding(
                "script-new", "warning", script.package, script.name,
                f"new command '{script.name}' from {script.package} ({script.target}) "
                f"shadows another command: {clash}",
                fix=f"check why {script.package} installs '{script.name}'",
            )  # fmt: skip
        else:
            yield SurfaceFinding(
                "script-new", "note", script.package, script.name,
                f"new command '{script.name}' from {script.package} ({script.target})",
            )  # fmt: skip


def _build_findings(
    before: EnvSnapshot, after: EnvSnapshot, builds: Sequence[BuildInfo], pip: str
) -> Iterable[SurfaceFinding]:
    reported: set[NormalizedName] = set()
    for build in builds:
        reported.add(build.name)
        if build.from_wheel:
            continue
        if build.local_dir:
            yield SurfaceFinding(
                "built-from-source", "note", build.name, build.name,
                f"{build.name} {build.version} was built from the local source tree "
                f"{build.url} (its build backend ran)",
            )  # fmt: skip
            continue
        yield SurfaceFinding(
            "built-from-source", "warning", build.name, build.name,
            f"{build.name} {build.version} was built from a source distribution "
            f"({build.url.split('#', 1)[0]}): its build script ran code on this machine at "
            "install time, and a source build is not the file other users install",
            fix=f"prefer a release with wheels, or refuse source builds: {pip} install "
            f"--only-binary :all: {build.name}",
        )  # fmt: skip
    old: Mapping[NormalizedName, InstalledPackage] = before.versions()
    for pkg in after.packages:
        if pkg.name in reported or not pkg.egg_info:
            continue
        previous = old.get(pkg.name)
        if previous is not None and previous.version == pkg.version:
            continue
        yield SurfaceFinding(
            "built-from-source", "warning", pkg.name, pkg.name,
            f"{pkg.display_name} {pkg.version} was installed from source by setup.py "
            "(egg-info metadata): its build script ran code on this machine",
            fix=f"reinstall it from a wheel: {pip} install --only-binary :all: "
            f"--force-reinstall {pkg.display_name}",
        )  # fmt: skip
