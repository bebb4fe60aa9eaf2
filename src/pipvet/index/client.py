"""Package-index JSON API client: ``{base}/pypi/{name}/json`` -> a frozen ``ProjectInfo``.

The client takes the HTTP client as a parameter (timeouts, retries, the validator cache and
offline mode live there). A 404 means "no such project" and is answered with ``None``; any
other failure is the HTTP layer's error. A body that is not the JSON the index promises is a
``DataError`` naming the URL. Names that the policy marks as internal are never sent.

The values and the (pure) parser live in ``pipvet.index.parse``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from pipvet.errors import DataError, NetworkError, PipvetError
from pipvet.frozen import frozen
from pipvet.index.parse import (
    ProjectInfo,
    parse_project,
    project_url,
)
from pipvet.index.parsed_cache import ParsedCache
from pipvet.models import NormalizedName, canonicalize_name, same_version
from pipvet.sha256 import body_sha256
from pipvet.system.http_transport import split_userinfo
from pipvet.system.threads import Future, RequestPool, as_completed
from pipvet.typing_free import cast

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # the client is passed in: this module never opens a connection itself
    from pipvet.system.http import HttpClient
    from pipvet.system.http_model import HttpResponse


__all__ = [
    "FRESH_SECONDS",
    "IndexClient",
    "InternalName",
    "Lookup",
]


@frozen
class Lookup:
    """One answer from the index: the project (``None``: no such project) and its freshness."""

    name: NormalizedName
    project: ProjectInfo | None
    url: str
    from_cache: bool = False
    fetched_at: float = 0.0  # when the index last confirmed this answer (epoch seconds)


# --------------------------------------------------------------------------- client

# How long an index answer is served from the local cache without asking the index again.
# Metadata changes slowly; a short window keeps "vet" instant on repeat runs while a new
# release (or a removed malicious one) is seen within the hour.
FRESH_SECONDS = 3600.0


_Key = tuple[NormalizedName, str | None]  # a project, or one release of it


class InternalName(DataError):
    """A name the policy marks internal was about to be looked up on an index."""


class IndexClient:
    """Looks projects up on one index. ``is_internal(name)`` names are refused, never sent."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        *,
        is_internal: Callable[[str], bool] = lambda _name: False,
        fresh_seconds: float = FRESH_SECONDS,
        max_workers: int = 32,
        parsed_cache: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.is_internal = is_internal
        self.fresh_seconds = fresh_seconds
        self.max_workers = max_workers
        self._memo = ParsedCache(parsed_cache) if parsed_cache is not None else None
        self._clock = clock
        # Answers asked for by ``start`` before anyone needed them, as they will be by then.
        self._started: list[tuple[frozenset[_Key], Future[dict[_Key, Lookup | PipvetError]]]] = []
        self._asking: dict[_Key, Future[Lookup | PipvetError]] = {}  # by the threads asking
        self._lock = threading.Lock()

    def start(self, names: Sequence[str]) -> None:
        """Begin looking ``names`` up in the background: a later ``lookup_many`` of any of
        them waits for these answers instead of asking again. A run that knows what it will
        look up asks for it at once, so that the index's latency passes while it does other
        work (reading the target, loading the popularity list and the advisory data)."""
        keys = list(dict.fromkeys((canonicalize_name(n), None) for n in names))
        if not keys:
            return
        done: Future[dict[_Key, Lookup | PipvetError]] = Future()

        def work() -> None:
            try:
                done.set_result(self._ask(keys))
            except BaseException as exc:  # handed to whoever waits for the answers
                done.set_exception(exc)

        # A daemon: a run interrupted meanwhile does not wait for a stalled index.
        threading.Thread(target=work, name="pipvet-index-start", daemon=True).start()
        self._started.append((frozenset(keys), done))

    def url_for(self, name: str, version: str | None = None) -> str:
        if self.is_internal(name):
            raise InternalName(
                f"{name} is an internal package (policy 'internal'): it is never looked up "
                f"on {self.base_url}",
                hint="vet internal packages with your own review process",
            )
        return project_url(self.base_url, name, version)

    def lookup(self, name: str, version: str | None = None) -> Lookup:
        """The index's answer for ``name`` (or one release of it); NetworkError on failure."""
        url = self.url_for(name, version)
        return self._remembered(name, url) or self._answer(
            name, self.http.get(url, max_age=self.fresh_seconds)
        )

    def lookup_many(self, names: Sequence[str]) -> dict[str, Lookup | PipvetError]:
        """Look several names up concurrently, keyed by canonical name; a failure stays in
        place as the error. Internal names are answered with ``InternalName``, unsent.
        """
        found = self._many([(canonicalize_name(n), None) for n in names])
        return {name: answer for (name, _), answer in found.items()}

    def lookup_releases(
        self, wanted: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], Lookup | PipvetError]:
        """The per-release documents of ``(name, version)`` pairs, concurrently."""
        found = self._many([(canonicalize_name(n), v) for n, v in wanted])
        return {(name, version or ""): answer for (name, version), answer in found.items()}

    def file_digests(self, name: str, version: str) -> dict[str, str] | None:
        """The sha256 of each file the index lists for ``name`` ``version``, by file name, from
        its project answer (from the cache when fresh); None when the index lists no hashes
        for that release (or has no such release). NetworkError / DataError on failure."""
        url = self.url_for(name)
        resp = self.http.get(url, max_age=self.fresh_seconds)
        if not resp.ok:
            return None
        try:
            doc = json.loads(resp.body)
        except (ValueError, RecursionError):
            raise DataError(f"the package index's answer {resp.url} is not JSON") from None
        releases = doc.get("releases") if isinstance(doc, dict) else None
        files = releases.get(version) if isinstance(releases, dict) else None
        if files is None and isinstance(releases, dict):  # 26.1.0.0 is release 26.1.0
            files = next((f for v, f in releases.items() if same_version(v, version)), None)
        if not isinstance(files, list):
            return None
        found = {
            entry["filename"]: entry["digests"]["sha256"].lower()
            for entry in files
            if isinstance(entry, dict)
            and isinstance(entry.get("filename"), str)
            and isinstance(entry.get("digests"), dict)
            and isinstance(entry["digests"].get("sha256"), str)
        }
        return found or None

    def _many(self, keys: Sequence[_Key]) -> dict[_Key, Lookup | PipvetError]:
        """The answers for ``keys``: those ``start`` asked for already (waited for), the rest
        asked now."""
        early: dict[_Key, Lookup | PipvetError] = {}
        for started, done in self._started:
            if not started.isdisjoint(keys):
                early.update(done.result())
        if not early:
            return self._ask(keys)
        rest = self._ask([key for key in keys if key not in early])
        return {key: early[key] if key in early else rest[key] for key in keys}

    def _ask(self, keys: Sequence[_Key]) -> dict[_Key, Lookup | PipvetError]:
        out: dict[_Key, Lookup | PipvetError] = {}
        mine: dict[_Key, str] = {}
        theirs: dict[_Key, Future[Lookup | PipvetError]] = {}
        with self._lock:  # an answer another thread is asking for is waited for, not asked again
            for key in keys:
                try:
                    url = self.url_for(*key)
                except InternalName as exc:
                    out[key] = exc
                    continue
                if key in self._asking:
                    theirs[key] = self._asking[key]
                else:
                    self._asking[key] = Future()
                    mine[key] = url
        try:
            out.update(self._ask_now(mine))
        finally:
            with self._lock:
                for key in mine:
                    done = self._asking.pop(key)
                    if key in out:
                        done.set_result(out[key])
                    else:  # interrupted, or a bug: whoever waits gets to know
                        done.set_exception(DataError(f"the index answer for {key[0]} was lost"))
        out.update((key, done.result()) for key, done in theirs.items())
        return out

    def _ask_now(self, wanted: Mapping[_Key, str]) -> dict[_Key, Lookup | PipvetError]:
        out: dict[_Key, Lookup | PipvetError] = {}
        urls: dict[_Key, str] = {}
        for key, url in wanted.items():
            known = self._remembered(key[0], url)
            if known is not None:
                out[key] = known
            else:
                urls[key] = url

        # Answers are parsed (most of a cold run's CPU) as they arrive, while the rest are
        # still on the way; one parser at a time, so that the workers still sending their
        # requests are not starved of the interpreter lock by parsers in every thread.
        def fetch(url: str) -> HttpResponse | NetworkError:
            try:
                return self.http.get(url, max_age=self.fresh_seconds)
            except NetworkError as exc:
                return exc

        def parse(key: _Key, resp: object) -> Lookup | PipvetError:
            if isinstance(resp, NetworkError):
                return resp
            try:
                return self._answer(key[0], cast("HttpResponse", resp))
            except DataError as exc:
                return exc

        answers: dict[_Key, Lookup | PipvetError] = {}
        if len(urls) <= 1 or self.max_workers <= 1:
            answers = {key: parse(key, fetch(url)) for key, url in urls.items()}
        else:
            with RequestPool(max_workers=min(self.max_workers, len(urls))) as pool:
                pending = {pool.submit(fetch, url): key for key, url in urls.items()}
                for done in as_completed(pending):
                    answers[pending[done]] = parse(pending[done], done.result())
        out.update((key, answers[key]) for key in urls)
        return out

    def _answer(self, name: str, resp: HttpResponse) -> Lookup:
        canon = canonicalize_name(name)
        if resp.status in (404, 410):
            if self._memo is not None:  # remembered as a parsed answer is
                self._memo.store_absent(resp.url, resp.fetched_at)
            return Lookup(canon, None, resp.url, resp.from_cache, resp.fetched_at)
        if not resp.ok:
            raise DataError(f"the package index answered {resp.status} for {resp.url}")
        return Lookup(canon, self._parse(resp), resp.url, resp.from_cache, resp.fetched_at)

    def _remembered(self, name: str, url: str) -> Lookup | None:
        """A parsed answer (or the index's "no such project") fresh enough to skip the HTTP
        layer (offline: of any age)."""
        if self._memo is None:
            return None
        newer_than = None if self.http.offline else self._clock() - self.fresh_seconds
        # Stored under the answer's URL, which never holds the credential a mirror's has.
        found = self._memo.fresh(split_userinfo(url)[0], newer_than, partial(self._again, url))
        if found is None:
            return None
        project, fetched_at = found
        return Lookup(canonicalize_name(name), project, split_userinfo(url)[0], True, fetched_at)

    def _parse(self, resp: HttpResponse) -> ProjectInfo:
        if self._memo is None:
            return parse_project(resp.body, resp.url)
        body_hash = resp.body_sha256 or body_sha256(resp.body)
        again = partial(self._fresh, resp, body_hash)
        return self._memo.load(resp.url, body_hash, resp.fetched_at, again) or again()

    def _fresh(self, resp: HttpResponse, body_hash: str | None = None) -> ProjectInfo:
        """``resp`` parsed, and kept in place of a parsed copy that was missing or damaged."""
        project = parse_project(resp.body, resp.url)
        if self._memo is not None:
            digest = body_hash or resp.body_sha256 or body_sha256(resp.body)
            self._memo.store(resp.url, digest, resp.fetched_at, project)
        return project

    def _again(self, url: str) -> ProjectInfo:
        """The answer at ``url`` (with any credential) asked and parsed again, for a parsed
        copy found damaged after it was read (the HTTP cache may still answer)."""
        resp = self.http.get(url, max_age=self.fresh_seconds)
        if not resp.ok:
            raise DataError(f"the package index answered {resp.status} for {resp.url}")
        return self._fresh(resp)
