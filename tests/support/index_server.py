"""A package index on 127.0.0.1 for tests: the recorded real answers, plus crafted ones.

``IndexServer`` serves ``/pypi/<name>/json`` from ``shared/data/pypi/<name>.json.gz``
(decompressed, with an ETag so conditional requests get a 304), 404 for every other name, the
popularity list at ``/top-packages.json``, and whatever a test installs with ``project`` (a
crafted document) or ``override`` (any reply: 429 with Retry-After, 500, slow, malformed).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.httpserver import Handler, LoopbackServer, Reply, Request, loopback_server

POPULARITY_PATH = "/top-packages.json"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class IndexServer:
    server: LoopbackServer
    data: Path
    documents: dict[str, bytes] = field(default_factory=dict)
    release_documents: dict[tuple[str, str], bytes] = field(default_factory=dict)
    overrides: dict[str, Handler] = field(default_factory=dict)
    _recorded: dict[str, bytes] = field(default_factory=dict)
    # Folders of local builds standing in for the index's files of the same names.
    stand_ins: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def popularity_url(self) -> str:
        return self.server.url + POPULARITY_PATH

    def recorded_names(self) -> list[str]:
        return sorted(p.name.removesuffix(".json.gz") for p in (self.data / "pypi").glob("*.gz"))

    def recorded(self, name: str) -> bytes | None:
        canon = _canonical(name)
        if canon not in self._recorded:
            path = self.data / "pypi" / f"{canon}.json.gz"
            if not path.is_file():
                return None
            self._recorded[canon] = gzip.decompress(path.read_bytes())
        return self._recorded[canon]

    def project(self, name: str, document: Mapping[str, Any]) -> None:
        """Serve ``document`` (a crafted index answer) for ``name``."""
        self.documents[_canonical(name)] = json.dumps(document).encode()

    def release(self, name: str, version: str, document: Mapping[str, Any]) -> None:
        """Serve ``document`` as the per-release answer ``/pypi/<name>/<version>/json``."""
        self.release_documents[(_canonical(name), version)] = json.dumps(document).encode()

    def stand_in(self, folder: Path) -> None:
        """Files in ``folder`` stand in for the index's files of the same names: the answers
        list their sha256 (tests install local builds of real releases, and pipvet install
        holds pip's file to the hashes the index lists)."""
        if folder not in self.stand_ins:
            self.stand_ins.append(folder)

    def _with_local_hashes(self, body: bytes) -> bytes:
        if not self.stand_ins:
            return body
        doc = json.loads(body)
        listed = [*(doc.get("releases") or {}).values(), doc.get("urls") or []]
        changed = False
        for entry in (e for files in listed for e in files if isinstance(e, dict)):
            for folder in self.stand_ins:
                local = folder / str(entry.get("filename") or "-")
                if local.is_file():
                    digest = hashlib.sha256(local.read_bytes()).hexdigest()
                    entry["digests"] = {**(entry.get("digests") or {}), "sha256": digest}
                    changed = True
        return json.dumps(doc).encode() if changed else body

    def override(self, name: str, reply: Reply | Handler) -> None:
        """Answer requests for ``name`` with ``reply`` (status, headers, delay, body), or with
        what ``reply(request)`` returns (for answers that change between requests)."""
        self.overrides[_canonical(name)] = reply if callable(reply) else (lambda _r: reply)

    def requests_for(self, name: str) -> list[Request]:
        path = f"/pypi/{_canonical(name)}/json"
        return [r for r in self.server.requests if r.path == path]

    def lookups(self) -> list[str]:
        """Names looked up so far, in order."""
        return [r.path.split("/")[2] for r in self.server.requests if r.path.startswith("/pypi/")]

    def _serve(self, req: Request, rest: str) -> Reply:
        parts = rest.strip("/").split("/")
        if len(parts) not in (2, 3) or parts[-1] != "json":
            return Reply(404, b"not found")
        name = _canonical(parts[0])
        if name in self.overrides:
            return self.overrides[name](req)
        if len(parts) == 3:
            body = self.release_documents.get((name, parts[1]))
        else:
            body = self.documents.get(name) or self.recorded(name)
        if body is None:
            return Reply(404, b'{"message": "Not Found"}')
        return _with_etag(req, self._with_local_hashes(body))


def _with_etag(req: Request, body: bytes) -> Reply:
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if req.headers.get("if-none-match") == etag:
        return Reply(304, b"", {"ETag": etag})
    return Reply(200, body, {"ETag": etag, "Content-Type": "application/json"})


@contextmanager
def index_server(data: Path, *, latency: float = 0.0) -> Iterator[IndexServer]:
    with loopback_server() as server:
        server.latency = latency
        index = IndexServer(server, data)
        popular = (data / "top-pypi-packages-30-days.min.json").read_bytes()
        server.route(POPULARITY_PATH, lambda req: _with_etag(req, popular))
        server.route_prefix("/pypi/", index._serve)
        yield index


# ------------------------------------------------------------------------ crafted answers


def document(
    name: str,
    releases: Mapping[str, Sequence[Mapping[str, Any]] | str],
    *,
    owners: Sequence[str] = ("alice", "bob"),
    maintainers: Sequence[str] = (),
    organization: str | None = None,
    project_urls: Mapping[str, str] | None = None,
    requires_dist: Sequence[str] | None = None,
    classifiers: Sequence[str] = (),
    version: str | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """An index JSON answer. ``releases`` maps a version to its files, or to an upload time
    (ISO 8601), which stands for one pure-Python wheel uploaded then."""
    rel: dict[str, list[dict[str, Any]]] = {}
    for ver, files in releases.items():
        if isinstance(files, str):
            rel[ver] = [wheel_file(name, ver, files)]
        else:
            rel[ver] = [dict(f) for f in files]
    latest = version or (list(releases)[-1] if releases else "")
    return {
        "info": {
            "name": name,
            "version": latest,
            "summary": f"{name}, crafted by the pipvet tests",
            "author": author,
            "project_urls": dict(
                project_urls
                if project_urls is not None
                else {"Source": f"https://github.com/example/{name}"}
            ),
            "home_page": None,
            "requires_dist": list(requires_dist) if requires_dist is not None else None,
            "requires_python": None,
            "license_expression": "MIT",
            "license": None,
            "classifiers": list(classifiers),
        },
        "releases": rel,
        "urls": rel.get(latest, []),
        "vulnerabilities": [],
        "ownership": {
            "organization": organization,
            "roles": [{"role": "Owner", "user": u} for u in owners]
            + [{"role": "Maintainer", "user": u} for u in maintainers],
        },
    }


def wheel_file(
    name: str, version: str, uploaded: str, *, tag: str = "py3-none-any", yanked: bool = False
) -> dict[str, Any]:
    stem = _canonical(name).replace("-", "_")
    return {
        "filename": f"{stem}-{version}-{tag}.whl",
        "packagetype": "bdist_wheel",
        "upload_time_iso_8601": uploaded,
        "yanked": yanked,
        "requires_python": None,
    }


def sdist_file(name: str, version: str, uploaded: str) -> dict[str, Any]:
    return {
        "filename": f"{_canonical(name)}-{version}.tar.gz",
        "packagetype": "sdist",
        "upload_time_iso_8601": uploaded,
        "yanked": False,
        "requires_python": None,
    }
