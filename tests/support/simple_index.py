"""A package index on 127.0.0.1 for tests: the simple repository API over a folder of files.

``SimpleIndex`` serves every wheel (and sdist) in ``folder`` through the loopback server:

* ``/simple/`` lists the projects; ``/simple/<name>/`` lists a project's files, as PEP 691
  JSON (``application/vnd.pypi.simple.v1+json``, API version 1.1 with ``upload-time`` per
  file, PEP 700) when the client asks for it, else as PEP 503 HTML;
* ``/files/<filename>`` serves the file itself.

Each file's upload time is whatever the test says (``set_uploaded``), else ``default_age``
before now, so pip's own ``--uploaded-prior-to`` filter really runs against it. The folder
is read on every request: a test can drop in a new wheel between two pip runs.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.httpserver import LoopbackServer, Reply, Request

__all__ = ["JSON_TYPE", "SimpleIndex"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_SDIST = (".tar.gz", ".zip")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project_of(filename: str) -> str | None:
    if filename.endswith(".whl"):
        return _normalize(filename.split("-", 1)[0])
    for ext in _SDIST:
        if filename.endswith(ext):
            stem = filename[: -len(ext)]
            name, sep, _version = stem.rpartition("-")
            return _normalize(name) if sep else None
    return None


def _version_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return filename.split("-")[1]
    for ext in _SDIST:
        if filename.endswith(ext):
            return filename[: -len(ext)].rpartition("-")[2]
    return ""


def _file_fields(path: Path) -> dict[str, str]:
    return {"filename": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SimpleIndex:
    def __init__(
        self,
        server: LoopbackServer,
        folder: Path,
        *,
        default_age: timedelta = timedelta(days=30),
    ) -> None:
        self.server = server
        self.folder = folder
        self.default_age = default_age
        self.uploaded: dict[str, datetime] = {}
        folder.mkdir(parents=True, exist_ok=True)
        server.route("/simple/", self._root)
        server.route_prefix("/simple/", self._project)
        server.route_prefix("/files/", self._file)

    @property
    def url(self) -> str:
        """The index URL to give pip (``--index-url``)."""
        return self.server.url + "/simple/"

    def set_uploaded(self, filename: str, when: datetime) -> None:
        self.uploaded[filename] = when

    def upload_time(self, filename: str) -> datetime:
        return self.uploaded.get(filename) or datetime.now(UTC) - self.default_age

    def _files(self) -> dict[str, list[Path]]:
        projects: dict[str, list[Path]] = {}
        for path in sorted(self.folder.iterdir()):
            project = _project_of(path.name) if path.is_file() else None
            if project is not None:
                projects.setdefault(project, []).append(path)
        return projects

    def _wants_json(self, req: Request) -> bool:
        return JSON_TYPE in req.headers.get("accept", "")

    def _root(self, req: Request) -> Reply:
        names = sorted(self._files())
        if self._wants_json(req):
            body = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
            return Reply(200, json.dumps(body).encode(), {"Content-Type": JSON_TYPE})
        links = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
        return Reply(200, f"<!DOCTYPE html><html><body>{links}</body></html>".encode())

    def _project(self, req: Request, rest: str) -> Reply:
        name = rest.strip("/")
        files = self._files().get(_normalize(name))
        if not files:
            return Reply(404, b"no such project")
        if name != _normalize(name):  # PEP 503: redirect to the normalised URL
            return Reply(301, headers={"Location": f"/simple/{_normalize(name)}/"})
        entries = []
        for path in files:
            data = path.read_bytes()
            entries.append(
                {
                    "filename": path.name,
                    "url": f"/files/{path.name}",
                    "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                    "size": len(data),
                    "upload-time": _iso(self.upload_time(path.name)),
                }
            )
        if self._wants_json(req):
            body = {
                "meta": {"api-version": "1.1"},
                "name": name,
                "versions": sorted({_version_of(p.name) for p in files}),
                "files": entries,
            }
            return Reply(200, json.dumps(body).encode(), {"Content-Type": JSON_TYPE})
        links = "".join(
            f'<a href="/files/{html.escape(e["filename"])}#sha256={e["sha256"]}">'
            f"{html.escape(e['filename'])}</a>\n"
            for e in (_file_fields(p) for p in files)
        )
        body_html = f"<!DOCTYPE html><html><body>{links}</body></html>"
        return Reply(200, body_html.encode(), {"Content-Type": "text/html"})

    def _file(self, _req: Request, rest: str) -> Reply:
        target = (self.folder / rest).resolve()
        if target.parent != self.folder.resolve() or not target.is_file():
            return Reply(404, b"not found")
        return Reply(200, target.read_bytes(), {"Content-Type": "application/octet-stream"})

    def requested_files(self) -> list[str]:
        """File names downloaded so far, in order."""
        return [
            p[len("/files/") :] for p in self.server.paths_requested() if p.startswith("/files/")
        ]


# ------------------------------------------------------------------------ a current pip

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
PIP_WHEEL_ENV = "PIPVET_TEST_PIP_WHEEL_DIR"


def current_pip_wheel(environ: dict[str, str] | None = None) -> Path | None:
    """The newest ``pip-*.whl`` the test run was given: in ``$PIPVET_TEST_PIP_WHEEL_DIR``, else
    in ``tests/.wheels/`` (the install step downloads it there once:
    ``python -m pip download --no-deps -d tests/.wheels pip``). ``None`` when there is none."""
    import os

    env = os.environ if environ is None else environ
    folders = [Path(env[PIP_WHEEL_ENV])] if env.get(PIP_WHEEL_ENV) else []
    folders.append(_PROJECT_ROOT / "tests" / ".wheels")
    for folder in folders:
        found = sorted(folder.glob("pip-*.whl"), key=lambda p: _version_key(_version_of(p.name)))
        if found:
            return found[-1]
    return None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.split("."))


_current_templates: dict[str, Path] = {}


def venv_with_current_pip(dest: Path) -> Path:
    """A fresh virtual environment at ``dest`` whose pip is ``current_pip_wheel()`` (copied from
    a per-process template). Returns the environment's folder; skips the test when no pip
    wheel was provided."""
    import atexit
    import shutil
    import tempfile

    import pytest

    from tests.support.pipvenv import venv_with_pip
    from tests.support.wheels import pip_install

    wheel = current_pip_wheel()
    if wheel is None:
        message = (
            f"no pip wheel: set {PIP_WHEEL_ENV} or run "
            "'python -m pip download --no-deps -d tests/.wheels pip'"
        )
        # CI provides the wheel; there a missing one is a broken set-up, not a reason to skip
        # the update tests silently.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if "venv" not in _current_templates:
        root = Path(tempfile.mkdtemp(prefix="pipvet-current-pip-"))
        atexit.register(shutil.rmtree, root, True)
        venv = venv_with_pip(root / "venv")
        pip_install(venv, str(wheel))
        _current_templates["venv"] = root / "venv"
    shutil.copytree(_current_templates["venv"], dest, symlinks=True)
    return dest
