"""The simple repository API as pip reads it: ``{index}/{name}/`` as PEP 691 JSON.

``pipvet update`` asks pip's own index which releases each installed distribution has, before
it decides whether pip needs to run at all. The answer is the PEP 691 JSON form
(``application/vnd.pypi.simple.v1+json``) with PEP 700's ``upload-time`` per file, because
the cooldown is decided by upload times; an index that answers anything else (HTML only, no
upload times) gives ``None`` for that project, and the caller lets pip decide.

The HTTP client is passed in (timeouts, retries, the validator cache, offline mode live
there); a 404 means "no such project". ``parse_simple`` is pure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from pipvet.errors import NetworkError, PipvetError
from pipvet.frozen import frozen

if TYPE_CHECKING:
    from pipvet.system.http import HttpClient
    from pipvet.system.http_model import HttpResponse

__all__ = ["JSON_TYPE", "SimpleFile", "SimpleIndexClient", "parse_simple"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@frozen
class SimpleFile:
    """One file of a project on a simple index, as pip would consider it."""

    filename: str
    version: Version
    uploaded: float | None  # epoch seconds; None when the index gave no upload-time
    yanked: bool
    requires_python: str | None


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None  # pip skips a file whose name it cannot read, too


def _uploaded(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse_simple(body: bytes) -> tuple[SimpleFile, ...] | None:
    """The files of one PEP 691 JSON project page; None when it is not one (or its API
    version predates upload times)."""
    try:
        data = json.loads(body)
        api = str(data["meta"]["api-version"]).split(".")
        if int(api[0]) != 1 or int(api[1]) < 1:
            return None
        out = []
        for item in data["files"]:
            name = item["filename"]
            version = _version_of(name) if isinstance(name, str) else None
            if version is None:
                continue
            rp = item.get("requires-python")
            out.append(
                SimpleFile(
                    name,
                    version,
                    _uploaded(item.get("upload-time")),
                    bool(item.get("yanked", False)),
                    rp if isinstance(rp, str) and rp.strip() else None,
                )
            )
        return tuple(out)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        return None


class SimpleIndexClient:
    """Asks one simple index (pip's ``--index-url``) about projects, concurrently."""

    def __init__(self, http: HttpClient, index_url: str, *, max_workers: int = 16) -> None:
        self.http = http
        self.index_url = index_url.rstrip("/") + "/"
        self.max_workers = max_workers

    def url_for(self, name: str) -> str:
        return f"{self.index_url}{canonicalize_name(name)}/"

    def files_many(
        self, names: Sequence[NormalizedName], *, max_age: float
    ) -> dict[NormalizedName, tuple[SimpleFile, ...] | PipvetError | None]:
        """name -> its files (``()``: no such project; ``None``: not a PEP 691 1.1 answer), or
        the error that kept it from being read. Answers younger than ``max_age`` seconds come
        from the HTTP cache without a request."""

        def one(name: NormalizedName) -> HttpResponse | NetworkError:
            try:
                return self.http.get(self.url_for(name), max_age=max_age, accept=JSON_TYPE)
            except NetworkError as exc:
                return exc

        if len(names) <= 1:
            answers = [one(n) for n in names]
        else:
            from pipvet.system.threads import RequestPool

            with RequestPool(max_workers=min(self.max_workers, len(names))) as pool:
                answers = list(pool.map(one, names))
        out: dict[NormalizedName, tuple[SimpleFile, ...] | PipvetError | None] = {}
        for name, resp in zip(names, answers, strict=True):
            if isinstance(resp, NetworkError):
                out[name] = resp
            elif resp.status in (404, 410):
                out[name] = ()
            elif JSON_TYPE not in resp.headers.get("content-type", ""):
                out[name] = None
            else:
                out[name] = parse_simple(resp.body)
        return out
