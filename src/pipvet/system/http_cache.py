"""The HTTP client's on-disk response cache: one file per URL, body and headers together.

Does disk I/O (reads entries, writes them atomically through ``system.files``). A file is the
magic line, one line of JSON metadata (URL, status, headers, when fetched, body length and
SHA-256) and the body. A missing, damaged or foreign entry is a miss, never an error, and an
entry that cannot be written only costs a refetch: the cache is disposable. The client in
``pipvet.system.http`` decides when to read, revalidate and store.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import InputError
from pipvet.frozen import frozen
from pipvet.sha256 import body_sha256, sha256
from pipvet.system.files import write_chunks_atomic
from pipvet.system.http_model import HttpResponse

__all__ = ["CacheEntry", "cache_file", "read_entry", "validator_headers", "write_entry"]

_CACHE_MAGIC = b"pipvet-http-cache 1\n"


@frozen
class CacheEntry:
    response: HttpResponse

    @property
    def validators(self) -> dict[str, str]:
        h = self.response.headers
        out: dict[str, str] = {}
        if "etag" in h:
            out["If-None-Match"] = h["etag"]
        if "last-modified" in h:
            out["If-Modified-Since"] = h["last-modified"]
        return out


def cache_file(cache_dir: Path, url: str) -> Path:
    """Where the answer for ``url`` is kept under ``cache_dir``."""
    digest = sha256(url.encode("utf-8")).hexdigest()
    return cache_dir / digest[:2] / f"{digest}.http"


def read_entry(path: Path, url: str) -> CacheEntry | None:
    """The stored answer for ``url``; a missing or damaged entry is simply a miss."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(_CACHE_MAGIC):
            return None
        header_end = data.index(b"\n", len(_CACHE_MAGIC))
        meta = json.loads(data[len(_CACHE_MAGIC) : header_end])
        body = data[header_end + 1 :]
        digest = body_sha256(body)
        if meta["url"] != url or len(body) != meta["length"] or digest != meta["sha256"]:
            return None
        headers = {str(k): str(v) for k, v in meta["headers"].items()}
        response = HttpResponse(
            url, int(meta["status"]), body, headers, True, float(meta["fetched_at"]), digest
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return CacheEntry(response)


def write_entry(path: Path, response: HttpResponse) -> str:
    """Write atomically; a cache that cannot be written only costs a refetch later. Returns
    the body's SHA-256 (hex): the response's own when it has one."""
    digest = response.body_sha256 or body_sha256(response.body)
    meta = {
        "url": response.url,
        "status": response.status,
        "headers": dict(response.headers),
        "fetched_at": response.fetched_at,
        "length": len(response.body),
        "sha256": digest,
    }
    head = _CACHE_MAGIC + json.dumps(meta).encode("utf-8") + b"\n"
    # The body written as it is, not joined to the head first: a copy of every body (34 MB
    # for a cold vet of 25 packages) for nothing.
    with contextlib.suppress(InputError):
        write_chunks_atomic(path, (head, response.body), durable=False)  # checked: sha256
    return digest


def validator_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of a 304 answer that update a stored entry."""
    return {k: v for k, v in headers.items() if k in ("etag", "last-modified", "date")}
