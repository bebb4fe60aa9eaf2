"""Which Python environment to look at, and what its interpreter says about itself.

An I/O edge: ``inspect_interpreter`` runs the target interpreter once (through a runner that
is passed in), the rest reads a few files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import EnvironmentProblem
from pipvet.frozen import frozen
from pipvet.system.process import Runner

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = [
    "InterpreterInfo",
    "Target",
    "TargetSource",
    "discover_target",
    "environment_kind",
    "inspect_interpreter",
    "is_conda_env",
    "is_virtual_env",
    "project_venv_python",
    "read_pyvenv_cfg",
    "site_packages_of",
    "venv_python",
]


# ---------------------------------------------------------------------- interpreters

_TIMEOUT = 60.0


# Runs inside the target interpreter, which may be old: keep it Python 2.7-compatible.
# With -S, site.py does not run: the environment's .pth files (which can run code) are not
# executed by our question, but site.py's own work is not done either. So this does what
# site.venv() does (find pyvenv.cfg beside or above the executable; that folder is the
# prefix) and then asks sysconfig for the venv's paths, plus the system and user site
# folders that site.py would add.
_PROBE = r"""
import json, os, site, sys, sysconfig
exe_dir = os.path.dirname(os.path.abspath(sys.executable))
venv_prefix = os.path.dirname(exe_dir)
cfg = None
for candidate in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(venv_prefix, "pyvenv.cfg")):
    if os.path.isfile(candidate):
        cfg = candidate
        break
base = getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix))
base_exec = getattr(sys, "base_exec_prefix", base)
system_site = True
if cfg:
    prefix = venv_prefix
    for line in open(cfg):
        key, _, value = line.partition("=")
        if key.strip().lower() == "include-system-site-packages":
            system_site = value.strip().lower() == "true"
    names = sysconfig.get_scheme_names()
    scheme = "venv" if "venv" in names else ("nt" if os.name == "nt" else "posix_prefix")
    paths = sysconfig.get_paths(scheme, vars={"base": prefix, "platbase": prefix})
else:
    prefix = sys.prefix
    paths = sysconfig.get_paths()
dirs = [paths["purelib"], paths["platlib"]]
if system_site and hasattr(site, "getsitepackages"):
    dirs += site.getsitepackages([base, base_exec])
# -I turns the user site off for this question only: an ordinary start uses it unless the
# process runs set-uid or set-gid (what site.check_enableusersite checks besides -s).
user_site = hasattr(site, "getusersitepackages")
for real, effective in (("getuid", "geteuid"), ("getgid", "getegid")):
    if hasattr(os, real) and hasattr(os, effective):
        user_site = user_site and getattr(os, real)() == getattr(os, effective)()
if system_site and user_site:
    dirs.append(site.getusersitepackages())
print(json.dumps({
    "executable": sys.executable,
    "version": ".".join(str(v) for v in sys.version_info[:3]),
    "prefix": prefix,
    "base": base,
    "site_packages": dirs,
}))
"""


@frozen
class InterpreterInfo:
    """What an interpreter said about itself."""

    python: Path  # as given
    executable: str
    version: str
    prefix: Path
    base_prefix: Path
    site_packages: tuple[Path, ...]  # existing folders, purelib and platlib first

    @property
    def is_virtual_env(self) -> bool:
        return self.prefix != self.base_prefix or is_virtual_env(self.prefix)


def inspect_interpreter(python: Path, runner: Runner) -> InterpreterInfo:
    """Ask ``python`` (one small subprocess) for its prefix and site-packages folders."""
    if not python.exists():
        raise EnvironmentProblem(
            f"the Python interpreter {python} does not exist",
            hint="pass --python the path of an interpreter (e.g. .venv/bin/python) "
            "or --venv the environment's folder",
        )
    # -I: the probe runs with the working folder off sys.path, so a checkout's json.py is
    # never imported in its place (-E alone kept the folder on the path).
    proc = runner([str(python), "-I", "-S", "-c", _PROBE], timeout=_TIMEOUT)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        last = f": {lines[-1]}" if lines else ""
        raise EnvironmentProblem(
            f"{python} failed (exit code {proc.returncode}) when asked for its site-packages "
            f"folders{last}",
            hint="check that it is a working Python interpreter",
        )
    import json  # only when an interpreter is asked: an audit of a folder asks none

    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        dirs = [Path(d) for d in data["site_packages"]]
        fields = (str(data["executable"]), str(data["version"]), data["prefix"], data["base"])
    except (ValueError, KeyError, TypeError, IndexError):
        shown = (proc.stdout or "").strip()[:80]
        raise EnvironmentProblem(
            f"{python} did not answer like a Python interpreter (it printed {shown!r})",
            hint="pass --python the path of a Python interpreter",
        ) from None
    existing: list[Path] = []
    for d in dirs:
        if d.is_dir() and d not in existing:
            existing.append(d)
    return InterpreterInfo(
        python=python,
        executable=fields[0],
        version=fields[1],
        prefix=Path(fields[2]),
        base_prefix=Path(fields[3]),
        site_packages=tuple(existing),
    )


def site_packages_of(python: Path, runner: Runner) -> list[Path]:
    """The existing site-packages folders ``python`` would import from (purelib, platlib,
    then system and user site folders when that interpreter uses them). A plain venv's are
    read from its layout, without starting it (``venv_layout``)."""
    from pipvet.inputs.venv_layout import layout_site_packages

    found = layout_site_packages(python) if python.exists() else None
    if found is not None:
        return found
    return list(inspect_interpreter(python, runner).site_packages)


def venv_python(venv_dir: Path) -> Path:
    """The interpreter of a virtual environment (``bin/python`` or ``Scripts/python.exe``)."""
    if not venv_dir.is_dir():
        raise EnvironmentProblem(
            f"virtual environment folder not found: {venv_dir}",
            hint="pass --venv the folder of a virtual environment (e.g. .venv)",
        )
    for candidate in ("bin/python", "bin/python3", "Scripts/python.exe"):
        if (venv_dir / candidate).exists():
            return venv_dir / candidate
    raise EnvironmentProblem(
        f"{venv_dir} has no Python interpreter (looked for bin/python and Scripts/python.exe)",
        hint=f"is it a virtual environment? recreate it with: python -m venv {venv_dir}",
    )


def project_venv_python(prefix: Path, project: Path) -> Path:
    """The interpreter of a virtual environment found in ``project`` (not named by the user),
    if it can be one ``python -m venv`` made: a link out of the project to an installed
    Python, or a copy of the one its pyvenv.cfg names (``--copies``). EnvironmentProblem
    otherwise: a checkout can bring a ``.venv`` along, and pipvet runs the interpreter it
    finds there. Windows venvs hold a launcher, not a copy, and are not checked. A venv the
    checkout's git tracks is refused whatever its interpreter is: its site-packages are the
    checkout's."""
    python = venv_python(prefix)
    from pipvet.inputs.git_tracked import tracked_path  # only when a venv is found

    tracked = tracked_path(prefix)
    if tracked is not None:
        raise EnvironmentProblem(
            f"the git checkout tracks {prefix} ({tracked} is committed): a virtual environment "
            "that comes with a checkout runs the checkout's own code (its .pth files, its pip) "
            "whenever its interpreter starts, so pipvet does not run it",
            hint=f"take it out of git (git rm -r --cached {prefix.name}, and add it to "
            f".gitignore), then recreate it: python -m venv --clear {prefix}",
        )
    real = python.resolve()
    root = project.resolve()
    if os.name == "nt" or not real.is_relative_to(root):
        return python
    # Run in the home folder (or above it), the project holds pyenv's and uv's Pythons: it is
    # the user's own folder, not a checkout.
    if Path(os.path.expanduser("~")).resolve().is_relative_to(root):
        return python
    home = read_pyvenv_cfg(prefix).get("home", "")
    for name in dict.fromkeys((real.name, "python3", "python")):
        base = (Path(home) / name).resolve() if home else None
        if base is None or base.is_relative_to(root) or not base.is_file():
            continue
        import filecmp  # only for a venv made with --copies

        try:
            if filecmp.cmp(real, base, shallow=False):
                return python
        except OSError:
            continue
    raise EnvironmentProblem(
        f"{python} is a file inside {project}, not a link to an installed Python nor a copy of "
        "the one its pyvenv.cfg names; a checkout can bring such a file along, so pipvet does "
        "not run it",
        hint=f"recreate the environment (python -m venv --clear {prefix}), or name it with "
        "--venv (or --python) if you made it yourself",
    )


# ---------------------------------------------------------------------- environments


def read_pyvenv_cfg(prefix: Path) -> dict[str, str]:
    """The ``key = value`` lines of ``pyvenv.cfg`` (keys lower-cased), or ``{}``."""
    try:
        text = (prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def is_virtual_env(prefix: Path) -> bool:
    """A venv / virtualenv / uv environment: it has a ``pyvenv.cfg``."""
    return (prefix / "pyvenv.cfg").is_file()


def is_conda_env(prefix: Path) -> bool:
    """A conda environment (including base): it has a ``conda-meta`` folder."""
    return (prefix / "conda-meta").is_dir()


def environment_kind(prefix: Path) -> Literal["venv", "conda", "system"]:
    if is_virtual_env(prefix):
        return "venv"
    if is_conda_env(prefix):
        return "conda"
    return "system"


TargetSource: TypeAlias = 'Literal["virtual-env", "project-venv", "conda", "running"]'


@frozen
class Target:
    """The environment to audit when none was given, and why it was chosen (in words)."""

    python: Path
    prefix: Path | None
    source: TargetSource
    description: str


def discover_target(environ: Mapping[str, str], cwd: Path, running_python: Path) -> Target:
    """Choose the environment: the active ``VIRTUAL_ENV``, else ``./.venv`` or ``./venv``
    (folders with a ``pyvenv.cfg``), else the active conda environment (``CONDA_PREFIX``),
    else the interpreter running pipvet.

    An active or project environment without an interpreter is an ``EnvironmentProblem``
    rather than a silent fall-through to another environment.
    """
    active = environ.get("VIRTUAL_ENV")
    if active:
        prefix = Path(active)
        try:
            python = venv_python(prefix)
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(
                f"VIRTUAL_ENV points at {prefix}, which is not usable: {exc.message}",
                hint="deactivate it (deactivate) or recreate it (python -m venv ...)",
            ) from None
        return Target(
            python, prefix, "virtual-env", f"the active virtual environment {prefix} (VIRTUAL_ENV)"
        )
    for name in (".venv", "venv"):
        prefix = cwd / name
        if is_virtual_env(prefix):
            return Target(
                project_venv_python(prefix, cwd),
                prefix,
                "project-venv",
                f"the project's virtual environment {prefix} (found in the current folder; "
                "none is active)",
            )
    conda = environ.get("CONDA_PREFIX")
    if conda and is_conda_env(Path(conda)):
        prefix = Path(conda)
        for candidate in (prefix / "bin" / "python", prefix / "python.exe"):
            if candidate.exists():
                return Target(
                    candidate,
                    prefix,
                    "conda",
                    f"the active conda environment {prefix} (CONDA_PREFIX)",
                )
    return Target(
        running_python,
        None,
        "running",
        f"the Python running pipvet ({running_python}): no virtual environment is active "
        "and none was found in ./.venv or ./venv",
    )
