"""One HTTP client for all of pipvet.

Promises: timeouts on every request; retries with exponential backoff on 429, 5xx and
transient transport failures, honouring ``Retry-After``; conditional requests (ETag /
Last-Modified) against an on-disk response cache; ``file://`` URLs and plain paths read
directly; TLS always verified; proxies taken from the environment (urllib does that);
gzip bodies decompressed. Callers receive an :class:`HttpResponse` for 2xx, 404 and 410 and a
:class:`~pipvet.errors.NetworkError` for everything else, so nothing above this module sees a
urllib or socket exception.

Does network and disk I/O. Beside it: ``http_model`` (the answers, pure values),
``http_cache`` (the on-disk response cache) and ``http_transport`` (reading bodies, gzip,
Retry-After, and translating transport failures, for one attempt).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from pipvet import __version__
from pipvet.errors import NetworkError
from pipvet.frozen import replace
from pipvet.models import Progress
from pipvet.system.http_cache import (
    CacheEntry,
    cache_file,
    read_entry,
    validator_headers,
    write_entry,
)
from pipvet.system.http_deadline import (
    DEFAULT_DEADLINE,
    DOWNLOAD_DEADLINE,
    Deadlined,
    RequestDeadlines,
)
from pipvet.system.http_model import Downloaded, HttpResponse
from pipvet.system.http_transport import (
    Readable,
    Retryable,
    RunBytes,
    copy_local,
    decode_body,
    lower_headers,
    read_capped,
    redirect_handler,
    retry_after,
    split_userinfo,
    status_hint,
    stream_body,
    transport_error,
    verifying_https_handler,
)
from pipvet.system.paths import local_path

# urllib.request, ssl, http.client and email load about a third of pipvet's start-up time; an
# offline audit never needs them, so they are imported where a request is actually made.
TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    import urllib.request
    from typing import Protocol, TypeVar

    _T = TypeVar("_T")
else:
    # A protocol is for type checkers; at run time nothing asks isinstance of it, so a
    # plain base does (as pipvet.system.process's Runner).
    Protocol = object

__all__ = ["HttpClient", "OfflineMiss"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETURNED_STATUSES = frozenset({404, 410})  # "not there" is an answer, not a failure
MAX_BODY = 256 * 1024 * 1024  # in-memory bodies (index JSON, CSV); archives use download()
MAX_DOWNLOAD = 2 * 1024 * 1024 * 1024
# What the in-memory bodies of one command may hold past 16 MiB each, all together.
MAX_RUN_BYTES = 512 * 1024 * 1024
ANSWER_ALLOWANCE = 16 * 1024 * 1024


class OfflineMiss(NetworkError):
    """``offline=True`` and the answer is not in the response cache."""


class _Sleep(Protocol):
    def __call__(self, seconds: float, /) -> None: ...


class HttpClient:
    """Fetches URLs for every part of pipvet. Thread-safe; share one per run."""

    def __init__(
        self,
        cache_dir: Path | None,
        *,
        offline: bool = False,
        timeout: float = 30,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: _Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        user_agent: str = f"pipvet/{__version__}",
        max_body: int = MAX_BODY,
        deadline: float = DEFAULT_DEADLINE,
        download_deadline: float = DOWNLOAD_DEADLINE,
        budget: float | None = None,
        max_run_bytes: int | None = MAX_RUN_BYTES,
        answer_allowance: int = ANSWER_ALLOWANCE,
    ) -> None:
        self.cache_dir = cache_dir
        self.offline = offline
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.user_agent = user_agent
        self.max_body = max_body
        self._sleep = sleep
        self._clock = clock
        self._opener_instance: urllib.request.OpenerDirector | None = None
        self._opener_lock = threading.Lock()
        # Every request ends by its deadline (connecting, retries, Retry-After waits and
        # reading the body included), and all of them by the command's budget.
        self.deadline = deadline
        self.download_deadline = download_deadline
        self._clock_of_requests = RequestDeadlines(budget)
        self._run_bytes = RunBytes(max_run_bytes, answer_allowance)

    # ------------------------------------------------------------------ public API

    def get(
        self,
        url: str,
        *,
        revalidate: bool = True,
        max_age: float | None = None,
        cache: bool = True,
        accept: str | None = None,  # the Accept header (the cache is keyed by URL alone)
    ) -> HttpResponse:
        """Fetch ``url``; 2xx, 404 and 410 are returned, anything else raises NetworkError.

        With a response cache: a stored answer younger than ``max_age`` seconds is served
        without contacting the server; ``revalidate=False`` serves a stored answer of any age;
        otherwise the stored validators are sent and a 304 serves the stored body.
        ``cache=False`` neither reads nor writes the cache (for one-off bodies).
        """
        path = local_path(url)
        if path is not None:
            return self._read_local(url, path)
        url, auth = split_userinfo(url)  # from here on, url is what messages may show
        self._check_scheme(url)
        use_cache = cache and self.cache_dir is not None
        entry = self._cache_load(url) if use_cache else None
        if entry is not None:  # a stored body is held in memory like a fetched one
            self._run_bytes.grow(0, len(entry.response.body), url)
        now = self._clock()
        if entry is not None and (
            self.offline
            or not revalidate
            or (max_age is not None and entry.response.age(now) <= max_age)
        ):
            return replace(entry.response, from_cache=True)
        if self.offline:
            raise OfflineMiss(
                f"{url} is not in the local cache and --offline forbids fetching it",
                url=url,
                hint="run the same command once without --offline to cache it",
            )
        extra = {**(entry.validators if entry else {}), **({"Accept": accept} if accept else {})}
        status, headers, body = self._with_retries(
            url, lambda: self._request_once(url, extra, auth)
        )
        fetched_at = self._clock()
        if status == 304:
            if entry is None:
                raise NetworkError(
                    f"{url}: the server answered 304 Not Modified to an unconditional request",
                    url=url,
                    status=304,
                    hint="the server or a proxy in between is misbehaving; try again later",
                )
            merged = {**entry.response.headers, **validator_headers(headers)}
            fresh = replace(entry.response, headers=merged, fetched_at=fetched_at)
            self._cache_store(fresh)
            return replace(fresh, from_cache=True)
        response = HttpResponse(url, status, body, headers, False, fetched_at)
        if use_cache:  # with the body's digest, worked out once for the cache and its users
            response = replace(response, body_sha256=self._cache_store(response))
        return response

    def get_many(
        self,
        urls: Sequence[str],
        max_workers: int = 8,
        *,
        revalidate: bool = True,
        max_age: float | None = None,
        cache: bool = True,
    ) -> list[HttpResponse | NetworkError]:
        """``get`` each URL on a bounded thread pool; results in input order, errors in place."""

        def one(url: str) -> HttpResponse | NetworkError:
            try:
                return self.get(url, revalidate=revalidate, max_age=max_age, cache=cache)
            except NetworkError as exc:
                return exc

        if len(urls) <= 1 or max_workers <= 1:
            return [one(u) for u in urls]
        from pipvet.system.threads import RequestPool

        with RequestPool(max_workers=min(max_workers, len(urls))) as pool:
            return list(pool.map(one, urls))

    def download(
        self,
        url: str,
        dest: Path,
        *,
        progress: Progress | None = None,
        max_bytes: int = MAX_DOWNLOAD,
    ) -> Downloaded:
        """Stream ``url`` into ``dest`` (temp file + rename: never a partial ``dest``).

        Bodies larger than ``max_bytes`` are refused. 404/410 return ``path=None``.
        """
        path = local_path(url)
        auth = None
        if path is None:
            url, auth = split_userinfo(url)
            self._check_scheme(url)
            if self.offline:
                raise OfflineMiss(
                    f"{url} would have to be downloaded and --offline forbids it",
                    url=url,
                    hint="run the same command once without --offline",
                )
        return self._with_retries(
            url,
            lambda: self._download_once(url, path, dest, progress, max_bytes, auth=auth),
            deadline=self.download_deadline,
        )

    # ------------------------------------------------------------------ transport

    def _check_scheme(self, url: str) -> None:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise NetworkError(
                f"{url}: unsupported URL scheme {scheme!r}",
                url=url,
                hint="use an https://, http:// or file:// URL, or a local path",
            )

    def _headers(self, extra: Mapping[str, str], *, gzip_ok: bool) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, **extra}
        headers["Accept-Encoding"] = "gzip" if gzip_ok else "identity"
        return headers

    def _with_retries(
        self, url: str, attempt_once: Callable[[], _T], *, deadline: float | None = None
    ) -> _T:
        return self._clock_of_requests.run(
            url,
            attempt_once,
            limit=self.deadline if deadline is None else deadline,
            retries=self.retries,
            backoff=self.backoff,
            sleep=self._sleep,
        )

    def _remaining(self) -> float:
        return self._clock_of_requests.remaining(self.timeout)

    def _request_once(
        self, url: str, extra: Mapping[str, str], auth: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        sent = self._headers(extra, gzip_ok=True)
        with self._open(url, sent, auth) as (status, headers, stream):
            if status == 304:
                return status, headers, b""
            body = read_capped(
                stream, self.max_body, url, headers.get("content-length"), self._run_bytes
            )
        try:
            body = decode_body(body, headers, self.max_body, self._run_bytes, url)
            if "content-encoding" in headers:
                # The body is stored and returned decoded; its old framing no longer applies.
                headers.pop("content-encoding")
                headers.pop("content-length", None)
        except zlib.error as exc:
            raise NetworkError(
                f"{url}: the response body could not be decoded ({exc})",
                url=url,
                status=status,
                hint="the server or a proxy in between sent a damaged answer; try again later",
            ) from None
        return status, headers, body

    def _opener(self) -> urllib.request.OpenerDirector:
        with self._opener_lock:
            return self._opener_instance or self._build_opener()

    def _build_opener(self) -> urllib.request.OpenerDirector:
        if self._opener_instance is None:
            import urllib.request

            # ProxyHandler (environment proxies) is part of the default opener; the HTTPS
            # handler makes an explicitly verifying context (at the first https request) so
            # nothing can switch it off.
            self._opener_instance = urllib.request.build_opener(
                verifying_https_handler(), redirect_handler()
            )
        return self._opener_instance

    @contextlib.contextmanager
    def _open(
        self, url: str, headers: dict[str, str], auth: str | None = None
    ) -> Iterator[tuple[int, dict[str, str], Readable]]:
        """Yield (status, lower-cased headers, stream) for statuses the caller handles."""
        import http.client
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, headers=headers)
        if auth is not None:  # unredirected: only the redirect handler may pass it on
            request.add_unredirected_header("Authorization", auth)
        try:
            try:
                resp = self._opener().open(request, timeout=self._remaining())
            except urllib.error.HTTPError as err:
                resp = err  # an HTTPError is also the response object
            with resp:
                status = int(resp.status if resp.status is not None else 0)
                hdrs = lower_headers(resp.headers)
                if status in RETRY_STATUSES:
                    raise Retryable(
                        f"HTTP {status} {resp.reason}",
                        status=status,
                        wait=retry_after(hdrs.get("retry-after"), self._clock()),
                    )
                if not (200 <= status < 300 or status == 304 or status in RETURNED_STATUSES):
                    raise NetworkError(
                        f"{url}: HTTP {status} {resp.reason}",
                        url=url,
                        status=status,
                        hint=status_hint(status),
                    )
                yield status, hdrs, Deadlined(resp, self._remaining)
        except (Retryable, NetworkError):
            raise
        except urllib.error.URLError as exc:
            raise transport_error(url, exc.reason) from None
        except (OSError, http.client.HTTPException) as exc:
            raise transport_error(url, exc) from None
        except ValueError as exc:  # urllib on a redirect to "http://[::1" and the like
            raise NetworkError(
                f"{url}: the server's answer cannot be followed: {str(exc)[:200]}",
                url=url,
                hint="the source answered with a malformed address; check the URL",
            ) from None

    def _download_once(
        self,
        url: str,
        path: Path | None,
        dest: Path,
        progress: Progress | None,
        max_bytes: int,
        *,
        auth: str | None = None,
    ) -> Downloaded:
        import tempfile

        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                if path is not None:
                    if not path.is_file():
                        return Downloaded(url, 404, None, 0, {}, self._clock())
                    size = copy_local(path, out, url, max_bytes, progress)
                    status, headers = 200, dict[str, str]()
                else:
                    with self._open(url, self._headers({}, gzip_ok=False), auth) as (
                        status,
                        headers,
                        stream,
                    ):
                        if status in RETURNED_STATUSES:
                            return Downloaded(url, status, None, 0, headers, self._clock())
                        total = headers.get("content-length")
                        size = stream_body(
                            stream, out, url=url, cap=max_bytes, progress=progress, total=total
                        )
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
            return Downloaded(url, status, dest, size, headers, self._clock())
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    # ------------------------------------------------------------------ local files

    def _read_local(self, url: str, path: Path) -> HttpResponse:
        now = self._clock()
        try:
            with path.open("rb") as fh:
                body = read_capped(fh, self.max_body, url)
        except FileNotFoundError:
            return HttpResponse(url, 404, b"", {}, False, now)
        except IsADirectoryError:
            raise NetworkError(
                f"{url} is a folder, not a file", url=url, hint="point at the file itself"
            ) from None
        except OSError as exc:
            raise NetworkError(
                f"cannot read {path}: {exc.strerror or exc}",
                url=url,
                hint="check that the file exists and is readable",
            ) from None
        return HttpResponse(url, 200, body, {}, False, now)

    # ------------------------------------------------------------------ response cache

    def _cache_path(self, url: str) -> Path:
        assert self.cache_dir is not None
        return cache_file(self.cache_dir, url)

    def _cache_load(self, url: str) -> CacheEntry | None:
        """The stored answer for ``url``; a missing or damaged entry is simply a miss."""
        return read_entry(self._cache_path(url), url)

    def _cache_store(self, response: HttpResponse) -> str:
        """Write atomically; a cache that cannot be written only costs a refetch later.
        Returns the body's SHA-256 (hex)."""
        return write_entry(self._cache_path(response.url), response)
