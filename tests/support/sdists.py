"""Source distributions whose build code leaves a trace, for tests that prove it never ran.

``build_marker_sdist`` writes a real ``.tar.gz`` sdist (PKG-INFO, and either a ``setup.py`` or
a ``pyproject.toml`` naming an in-tree build backend). Its build code appends a line to
``marker`` the moment it runs: ``setup.py`` at its top (setuptools' own backend runs it), the
backend when it is imported. The backend also builds a working wheel when pip is allowed to
run it, so a test can show that the marker does appear once the user accepts.

A ``setup.py`` sdist needs setuptools in pip's isolated build environment, which an offline
test can only take from a local folder: ``setuptools_wheel`` finds the one Python bundles for
``ensurepip`` (Python 3.11; ``None`` on Pythons that no longer bundle it).
Standard library only.
"""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import Literal

__all__ = ["BuildKind", "build_marker_sdist", "setuptools_wheel"]

BuildKind = Literal["setup.py", "backend"]

_SETUP_PY = """\
import pathlib, sys
with open({marker!r}, "a") as f:
    f.write("setup.py of {name} ran: " + " ".join(sys.argv) + "\\n")
from setuptools import setup
setup(name={name!r}, version={version!r}, py_modules=[])
"""

_BACKEND = '''\
"""An in-tree build backend that leaves a trace when imported."""
import base64, hashlib, os, sys, zipfile

with open({marker!r}, "a") as f:
    f.write("backend of {name} imported: " + " ".join(sys.argv) + "\\n")

NAME, VERSION = {name!r}, {version!r}
STEM = NAME.replace("-", "_").lower()


def _record(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return path + ",sha256=" + digest + "," + str(len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = STEM + "-" + VERSION + ".dist-info"
    files = {{
        STEM + "/__init__.py": b"",
        info + "/METADATA": ("Metadata-Version: 2.1\\nName: " + NAME + "\\nVersion: "
                             + VERSION + "\\n").encode(),
        info + "/WHEEL": b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\n"
                         b"Tag: py3-none-any\\n",
    }}
    record = [_record(p, d) for p, d in files.items()] + [info + "/RECORD,,"]
    files[info + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = STEM + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return name
'''

_PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""

# setuptools alone (no "wheel" package, which an offline test has no copy of).
_SETUPTOOLS_PYPROJECT = """\
[build-system]
requires = ["setuptools>=40.8.0"]
build-backend = "setuptools.build_meta"
"""


def _stem(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def build_marker_sdist(
    dest: Path, name: str, version: str, marker: Path, *, kind: BuildKind
) -> Path:
    """Write ``<name>-<version>.tar.gz`` into ``dest``; running its build code appends to
    ``marker``."""
    dest.mkdir(parents=True, exist_ok=True)
    top = f"{_stem(name)}-{version}"
    members = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    fields = {"marker": str(marker), "name": name, "version": version}
    if kind == "setup.py":
        members["setup.py"] = _SETUP_PY.format(**fields)
        members["pyproject.toml"] = _SETUPTOOLS_PYPROJECT
    else:
        members["pyproject.toml"] = _PYPROJECT
        members["backend.py"] = _BACKEND.format(**fields)
    target = dest / f"{top}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return target


def setuptools_wheel() -> Path | None:
    """The setuptools wheel bundled with this Python's ensurepip, if it has one."""
    import ensurepip

    bundled = Path(ensurepip.__file__).parent / "_bundled"
    found = sorted(bundled.glob("setuptools-*.whl"))
    return found[-1] if found else None
