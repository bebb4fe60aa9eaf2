"""Real wheels and real virtual environments for tests.

``build_wheel`` writes a valid wheel (PEP 427: ``.dist-info`` with METADATA, WHEEL,
entry_points.txt and a RECORD of sha256 hashes) using only the standard library, so tests can
install exactly the packages they need with real pip from a local folder, offline.

``create_venv`` makes a real ``python -m venv`` environment (without pip by default: that is
fast), and ``pip_install`` runs real pip against it with a scrubbed environment: no ``PIP_*``
variables and ``PIP_CONFIG_FILE=os.devnull``, so the machine's pip configuration (indexes,
find-links, constraints) cannot leak into a test, and ``--no-index --find-links DIR``.

``write_local_project`` writes a tiny source project with an in-tree PEP 517/660 build backend
(no setuptools needed, nothing to download), so ``pip install -e DIR`` works offline with any
Python. This module must stay standard-library only: that backend imports a copy of it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Venv",
    "build_wheel",
    "create_venv",
    "normalized",
    "pip_env",
    "pip_install",
    "wheel_filename",
    "write_local_project",
]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_name(name: str) -> str:
    """The distribution name as wheel file names and .dist-info folders spell it."""
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_filename(name: str, version: str, tag: str = "py3-none-any") -> str:
    return f"{_wheel_name(name)}-{version}-{tag}.whl"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _metadata(
    name: str,
    version: str,
    requires: Sequence[str],
    summary: str,
    extra_headers: Sequence[tuple[str, str]],
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        lines.append(f"Summary: {summary}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    lines += [f"{k}: {v}" for k, v in extra_headers]
    return "\n".join(lines) + "\n\n" + f"The {name} package, built by the pipvet test suite.\n"


def _entry_points(groups: Mapping[str, Mapping[str, str]]) -> str:
    out: list[str] = []
    for group, entries in groups.items():
        out.append(f"[{group}]")
        out += [f"{k} = {v}" for k, v in entries.items()]
        out.append("")
    return "\n".join(out)


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    files: Mapping[str, str | bytes] | None = None,
    console_scripts: Mapping[str, str] | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    summary: str = "",
    extra_headers: Sequence[tuple[str, str]] = (),
    tag: str = "py3-none-any",
    generator: str = "pipvet-tests (1.0)",
) -> Path:
    """Write a valid wheel into ``dest`` and return its path.

    ``files`` maps archive paths to contents (a ``.pth`` file is just ``{"x.pth": "..."}``);
    without it the wheel holds one module package ``<name>/__init__.py``. ``requires`` become
    ``Requires-Dist`` headers; ``console_scripts`` become the entry-point group of that name.
    """
    dest.mkdir(parents=True, exist_ok=True)
    module = _wheel_name(name)
    dist_info = f"{module}-{version}.dist-info"
    payload: dict[str, bytes] = {}
    contents = files if files is not None else {f"{module}/__init__.py": f"VERSION = {version!r}\n"}
    for path, data in contents.items():
        payload[path] = data.encode() if isinstance(data, str) else data
    groups: dict[str, Mapping[str, str]] = dict(entry_points or {})
    if console_scripts:
        groups["console_scripts"] = console_scripts
    payload[f"{dist_info}/METADATA"] = _metadata(
        name, version, requires, summary, extra_headers
    ).encode()
    payload[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: {generator}\nRoot-Is-Purelib: true\nTag: {tag}\n"
    ).encode()
    if groups:
        payload[f"{dist_info}/entry_points.txt"] = _entry_points(groups).encode()
    record_path = f"{dist_info}/RECORD"
    record = [_record_line(p, d) for p, d in payload.items()] + [f"{record_path},,"]
    payload[record_path] = ("\n".join(record) + "\n").encode()

    target = dest / wheel_filename(name, version, tag)
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in payload.items():  # RECORD last, as the spec recommends
            zf.writestr(path, data)
    tmp.replace(target)
    return target


# ------------------------------------------------------------------------ environments


@dataclass(frozen=True)
class Venv:
    root: Path
    python: Path

    @property
    def site_packages(self) -> Path:
        """The purelib folder, found on disk (no subprocess)."""
        if sys.platform == "win32":
            return self.root / "Lib" / "site-packages"
        found = sorted(self.root.glob("lib/python*/site-packages"))
        if not found:
            raise FileNotFoundError(f"no site-packages folder under {self.root}")
        return found[0]


def pip_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for running pip in tests: no PIP_* settings, no config files."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith("PIP_") and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    # No wheel cache of the user's: a wheel pip built in an earlier run (same sdist path, as
    # pytest numbers its folders again) made a test of when build code runs see no build.
    env["PIP_NO_CACHE_DIR"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _python_in(root: Path) -> Path:
    if sys.platform == "win32":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def create_venv(root: Path, *, with_pip: bool = False, system_site_packages: bool = False) -> Venv:
    """Create a real virtual environment with ``python -m venv`` (the running Python)."""
    cmd = [sys.executable, "-m", "venv"]
    if not with_pip:
        cmd.append("--without-pip")
    if system_site_packages:
        cmd.append("--system-site-packages")
    subprocess.run([*cmd, str(root)], check=True, capture_output=True, env=pip_env())
    return Venv(root=root, python=_python_in(root))


def pip_install(
    venv: Venv,
    *args: str,
    find_links: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run real ``pip install ARGS`` into ``venv``, offline, from ``find_links`` only.

    A venv created without pip is served by the running interpreter's pip through
    ``pip --python``; a venv with its own pip uses that.
    """
    own_pip = (venv.site_packages / "pip").is_dir()
    if own_pip:
        cmd = [str(venv.python), "-m", "pip"]
    else:
        cmd = [sys.executable, "-m", "pip", "--python", str(venv.python)]
    cmd += ["install", "--no-index", "--no-cache-dir"]
    if find_links is not None:
        cmd += ["--find-links", str(find_links)]
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, env=pip_env(), check=False)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"pip install failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


# ------------------------------------------------------------------------ local projects

_BACKEND = '''\
"""A minimal in-tree PEP 517 / PEP 660 backend for pipvet's tests."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _wheels_for_tests import build_wheel as _build  # noqa: E402

NAME = {name!r}
VERSION = {version!r}
REQUIRES = {requires!r}
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")


def _module():
    return NAME.replace("-", "_").replace(".", "_").lower()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    from pathlib import Path
    files = {{}}
    pkg = os.path.join(SRC, _module())
    for base, _dirs, names in os.walk(pkg):
        for n in names:
            full = os.path.join(base, n)
            with open(full, "rb") as f:
                files[os.path.relpath(full, SRC).replace(os.sep, "/")] = f.read()
    return _build(Path(wheel_directory), NAME, VERSION, requires=REQUIRES, files=files).name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    from pathlib import Path
    files = {{"__editable__." + _module() + ".pth": SRC + "\\n"}}
    return _build(Path(wheel_directory), NAME, VERSION, requires=REQUIRES, files=files).name


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("the pipvet test backend builds wheels only")
'''


def write_local_project(
    root: Path, name: str, version: str, *, requires: Iterable[str] = ()
) -> Path:
    """Write a tiny installable source project at ``root`` (``pip install [-e] root`` works).

    Its build backend lives in the project itself and needs nothing from an index.
    """
    module = _wheel_name(name)
    (root / "src" / module).mkdir(parents=True, exist_ok=True)
    (root / "src" / module / "__init__.py").write_text(f"VERSION = {version!r}\n")
    (root / "pyproject.toml").write_text(
        "[build-system]\n"
        "requires = []\n"
        'build-backend = "backend"\n'
        'backend-path = ["."]\n\n'
        "[project]\n"
        f'name = "{name}"\n'
        f'version = "{version}"\n'
    )
    (root / "backend.py").write_text(
        _BACKEND.format(name=name, version=version, requires=list(requires))
    )
    (root / "_wheels_for_tests.py").write_text(Path(__file__).read_text())
    return root


def normalized(name: str) -> str:
    """PEP 503 normalisation, for assertions that must not import pipvet."""
    return _normalize(name)
