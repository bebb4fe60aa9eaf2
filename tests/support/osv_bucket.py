"""An OSV bucket (``PyPI/all.zip``, ``PyPI/modified_id.csv``, ``PyPI/<ID>.json``) for tests.

``OsvBucket`` serves a zip and a CSV from the loopback server and answers ``PyPI/<ID>.json``
out of the zip's members, as the real bucket does. Tests swap the zip or CSV to simulate the
source moving on, and read ``server.requests`` to see what a sync fetched.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.httpserver import LoopbackServer, Reply, Request


def build_zip(members: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def read_members(zip_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        return {n: z.read(n) for n in z.namelist()}


def records_by_id(zip_path: Path) -> dict[str, dict[str, Any]]:
    with zipfile.ZipFile(zip_path) as z:
        records = (json.loads(z.read(n)) for n in z.namelist())
        return {r["id"]: r for r in records}


def newest_first(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(records, key=lambda r: datetime.fromisoformat(r["modified"]), reverse=True)


def csv_for(records: Iterable[Mapping[str, Any]]) -> bytes:
    """``modified,ID`` rows, newest first, as the bucket publishes them."""
    return "".join(f"{r['modified']},{r['id']}\n" for r in newest_first(records)).encode()


def zip_of(records: Iterable[Mapping[str, Any]]) -> bytes:
    return build_zip({f"{r['id']}.json": json.dumps(r).encode() for r in records})


def fixed_in(record_id: str, name: str, fixed: str = "2.0") -> dict[str, Any]:
    """An OSV record: every version of PyPI's ``name`` before ``fixed`` is affected."""
    return {
        "id": record_id, "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
    }  # fmt: skip


def write_bucket(folder: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """``folder`` as a local OSV source holding ``records`` (``PyPI/all.zip`` and
    ``PyPI/modified_id.csv``): what ``PIPVET_OSV_URL`` can name."""
    chosen = list(records)
    (folder / "PyPI").mkdir(parents=True, exist_ok=True)
    (folder / "PyPI" / "all.zip").write_bytes(zip_of(chosen))
    (folder / "PyPI" / "modified_id.csv").write_bytes(csv_for(chosen))
    return folder


class OsvBucket:
    def __init__(self, server: LoopbackServer, zip_bytes: bytes, csv: bytes | None, *,
                 prefix: str = "/osv") -> None:  # fmt: skip
        self.server = server
        self.prefix = prefix
        self.csv = csv
        self.set_zip(zip_bytes)
        server.route(f"{prefix}/PyPI/all.zip", lambda _r: Reply(200, self.zip_bytes))
        server.route(f"{prefix}/PyPI/modified_id.csv", self._csv)
        server.route_prefix(f"{prefix}/PyPI/", self._record)

    @property
    def url(self) -> str:
        return self.server.url + self.prefix

    def set_zip(self, zip_bytes: bytes) -> None:
        self.zip_bytes = zip_bytes
        self.members = read_members(zip_bytes)

    def _csv(self, req: Request) -> Reply:
        if self.csv is None:
            return Reply(404, b"no such key")
        etag = '"' + hashlib.sha256(self.csv).hexdigest()[:16] + '"'
        if req.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, self.csv, headers={"ETag": etag})

    def _record(self, _req: Request, rest: str) -> Reply:
        data = self.members.get(rest)
        return Reply(404, b"no such key") if data is None else Reply(200, data)

    def requested(self) -> list[str]:
        """Paths under the bucket's PyPI folder that were requested, in order."""
        head = f"{self.prefix}/PyPI/"
        return [p[len(head) :] for p in self.server.paths_requested() if p.startswith(head)]
