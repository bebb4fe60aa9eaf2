"""What the HTTP client does with the bytes and failures of one attempt.

Reading a body in chunks under a size cap (and noticing one cut short), gzip decoding,
``Retry-After`` parsing, hints for statuses, and turning urllib, socket, TLS and
``http.client`` failures into either a final :class:`~pipvet.errors.NetworkError` or a
:class:`Retryable` the client tries again. Does I/O only on the streams and local files it is
handed; it opens no connection. The modules it inspects failures with (``ssl``, ``socket``,
``http.client``, ``email.utils``) are imported when a failure or header needs them, to keep
start-up light. The client is ``pipvet.system.http``.
"""

from __future__ import annotations

import base64
import urllib.parse
import zlib
from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import NetworkError
from pipvet.models import Progress
from pipvet.redact import BAD_PORT_HINT, bad_port

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    import http.client
    import urllib.request
    from email.message import Message
    from typing import IO, Protocol
else:
    # A protocol is for type checkers; at run time nothing asks isinstance of it, so a
    # plain base does (as pipvet.system.process's Runner).
    Protocol = object

__all__ = [
    "MAX_RETRY_AFTER",
    "Readable",
    "Retryable",
    "RunBytes",
    "copy_local",
    "decode_body",
    "lower_headers",
    "read_capped",
    "redirect_handler",
    "retry_after",
    "split_userinfo",
    "status_hint",
    "stream_body",
    "transport_error",
    "verifying_https_handler",
]

# The longest Retry-After pipvet waits for; a server asking for more is given up on at once
# (waiting a minute at a time for a server that said "come back in an hour" helps nobody).
MAX_RETRY_AFTER = 60.0
_CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class Retryable(Exception):
    """One attempt failed in a way that another attempt may fix."""

    def __init__(self, reason: str, *, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait  # seconds, from Retry-After


class RunBytes:
    """How many bytes of large answers one command may hold, all requests together. Each
    answer has its own cap too, but a source answering every name with a few hundred
    kilobytes of gzip that inflate to that cap would otherwise fill memory and the response
    cache many times over in one run. The first ``allowance`` bytes of each answer are not
    counted: a real index answer is a few MB (the largest, with a 16 MB description, not
    much more), so a command that looks up thousands of names is never stopped; only what
    answers hold beyond it is. Thread-safe: the client's workers share it."""

    def __init__(self, limit: int | None, allowance: int) -> None:
        import threading

        self.limit = limit
        self.allowance = allowance
        self.used = 0
        self._lock = threading.Lock()

    def grow(self, before: int, after: int, url: str) -> None:
        """One answer grew from ``before`` to ``after`` bytes: count what lies past its
        allowance; NetworkError once the command's limit is passed."""
        if self.limit is None or after <= self.allowance:
            return
        with self._lock:
            self.used += after - max(before, self.allowance)
            over = self.used > self.limit
        if over:
            raise NetworkError(
                f"{url}: this command has received more than "
                f"{self.limit // (1024 * 1024)} MiB of oversized answers in all; refusing more",
                url=url,
                hint="no real index or advisory source sends that much to one command; check "
                "that the index and advisory URLs point at the sources you trust",
            )


def split_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without its userinfo, and the HTTP Basic ``Authorization`` value that userinfo
    stood for (``None`` when there is none). Private mirrors take their credentials in the
    URL, as pip does; the client sends them as a header and shows only the bare URL."""
    parts = urllib.parse.urlsplit(url)
    shown = bad_port(url)
    if shown is not None:  # said once, not retried
        raise NetworkError(
            f"{shown} is not a valid URL: the text after ':' in its host is not a port number "
            "from 0 to 65535",
            url=shown,
            hint=BAD_PORT_HINT,
        )
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
    token = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


def redirect_handler() -> urllib.request.HTTPRedirectHandler:
    """urllib's redirect handling, except that the credential from a URL's userinfo (an
    unredirected ``Authorization`` header) follows a redirect only to the same scheme, host
    and port: a mirror cannot hand a private index's password to another server."""
    import urllib.request

    class _SameOriginAuth(urllib.request.HTTPRedirectHandler):
        def redirect_request(  # noqa: PLR0917 - urllib's signature
            self,
            req: urllib.request.Request,
            fp: IO[bytes],
            code: int,
            msg: str,
            headers: http.client.HTTPMessage,
            newurl: str,
        ) -> urllib.request.Request | None:
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None:
                _check_redirect(req.full_url, new.full_url)
            auth = req.unredirected_hdrs.get("Authorization")
            if (
                new is not None
                and auth is not None
                and _origin(new.full_url) == _origin(req.full_url)
            ):
                new.add_unredirected_header("Authorization", auth)
            return new

    return _SameOriginAuth()


def verifying_https_handler() -> urllib.request.HTTPSHandler:
    """urllib's HTTPS handler, always with a verifying context of its own, made at the first
    https request: loading the system's certificates costs about 20 ms, which a run that
    talks only plain http (a mirror on the local network, a loopback index) never needs.
    Every https connection, a redirect's or a proxy's too, goes through ``https_open``."""
    import http.client
    import ssl
    import threading
    import urllib.request

    class _VerifyingHTTPS(urllib.request.HTTPSHandler):
        def __init__(self) -> None:
            super().__init__()
            self._lock = threading.Lock()
            self._made: ssl.SSLContext | None = None

        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(http.client.HTTPSConnection, req, context=self._verifying())

        def _verifying(self) -> ssl.SSLContext:
            with self._lock:
                if self._made is None:
                    self._made = ssl.create_default_context()
                return self._made

    return _VerifyingHTTPS()


def _check_redirect(old: str, new: str) -> None:
    """NetworkError for a redirect to anything but HTTP(S), or from HTTPS to plain HTTP:
    urllib would follow one to ftp:// (a connection to any host the answer names) and would
    let a man in the middle of the redirect's target replace an HTTPS answer."""
    before, after = (
        urllib.parse.urlsplit(old).scheme.lower(),
        urllib.parse.urlsplit(new).scheme.lower(),
    )
    if after not in ("http", "https"):
        why = "only http and https are followed"
    elif before == "https" and after == "http":
        why = "https is not given up for plain http"
    else:
        return
    raise NetworkError(
        f"{old.split('?', 1)[0]}: the server redirected to {new.split('?', 1)[0][:200]}; {why}",
        url=old,
        hint="point pipvet at the URL the server should have answered on, over https",
    )


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port


def lower_headers(msg: Message | None) -> dict[str, str]:
    if msg is None:
        return {}
    return {k.lower(): v for k, v in msg.items()}


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait per a Retry-After header (delta-seconds or HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def status_hint(status: int) -> str:
    if status in (401, 403, 407):
        return "the server refused access; check the URL and any proxy or mirror credentials"
    if 300 <= status < 400:
        return "the server redirected somewhere pipvet could not follow; check the URL"
    return "check the URL; pipvet expected a normal answer or 404"


def transport_error(url: str, reason: object) -> Exception:
    """A transport failure: TLS and name-resolution failures are final, the rest retryable."""
    import http.client
    import socket
    import ssl

    if isinstance(reason, ssl.SSLCertVerificationError):
        return NetworkError(
            f"{url}: TLS certificate verification failed ({reason.verify_message})",
            url=url,
            hint="pipvet always verifies certificates; if a proxy re-signs TLS traffic, "
            "point SSL_CERT_FILE at its CA bundle",
        )
    if isinstance(reason, socket.gaierror):
        return NetworkError(
            f"cannot reach {url}: the host name could not be resolved",
            url=url,
            hint="check the URL and the network connection; with --offline pipvet uses only "
            "what it has cached",
        )
    if isinstance(reason, TimeoutError):
        return Retryable("timed out")
    if isinstance(reason, http.client.IncompleteRead):
        return Retryable(
            f"the answer was cut short ({len(reason.partial)} bytes received, "
            f"{reason.expected} more expected)"
        )
    if isinstance(reason, OSError) and reason.strerror:
        return Retryable(reason.strerror)
    return Retryable(str(reason) or type(reason).__name__)


def read_capped(
    stream: Readable,
    cap: int,
    url: str,
    expected: str | None = None,
    run: RunBytes | None = None,
) -> bytes:
    import io

    buffer = io.BytesIO()
    stream_body(stream, buffer, url=url, cap=cap, progress=None, total=expected, run=run)
    return buffer.getvalue()


def _check_complete(size: int, expected: str | None) -> None:
    # http.client's read(n) returns b"" on a connection closed early instead of raising, so
    # a truncated body is only visible by comparing with Content-Length.
    if expected is not None and expected.strip().isdigit() and size < int(expected):
        raise Retryable(f"the answer was cut short ({size} of {int(expected)} bytes received)")


def decode_body(
    body: bytes, headers: Mapping[str, str], cap: int, run: RunBytes | None = None, url: str = ""
) -> bytes:
    """``body`` gunzipped, at most ``cap`` bytes; each piece inflated is counted against
    ``run`` as it comes, so concurrent bombs cannot each inflate to ``cap`` first."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise zlib.error(f"unsupported Content-Encoding {encoding!r}; pipvet asked for gzip")
    inflater = zlib.decompressobj(wbits=31)
    out = bytearray()
    rest = body
    while not inflater.eof:
        piece = inflater.decompress(rest, min(_CHUNK, cap + 1 - len(out)))
        rest = inflater.unconsumed_tail
        if run is not None:
            run.grow(len(out), len(out) + len(piece), url)
        out += piece
        if len(out) > cap:
            raise zlib.error(f"decompressed size exceeds {cap // (1024 * 1024)} MiB")
        if not piece and not rest:
            raise zlib.error("the compressed stream is truncated")
    return bytes(out)


def stream_body(
    stream: Readable,
    out: IO[bytes],
    *,
    url: str,
    cap: int,
    progress: Progress | None,
    total: str | None,
    run: RunBytes | None = None,
) -> int:
    size = 0
    of_total = f" of {int(total) / 1e6:.1f} MB" if total and total.isdigit() else ""
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise NetworkError(
                f"{url}: the answer is larger than {cap // (1024 * 1024)} MiB; refusing it",
                url=url,
                hint="check that the URL points at what pipvet expects",
            )
        if run is not None:
            run.grow(size - len(chunk), size, url)
        out.write(chunk)
        if progress is not None:
            progress(f"downloading {url}: {size / 1e6:.1f} MB{of_total}")
    _check_complete(size, total)
    return size


def copy_local(path: Path, out: IO[bytes], url: str, cap: int, progress: Progress | None) -> int:
    try:
        with path.open("rb") as src:
            return stream_body(
                src, out, url=url, cap=cap, progress=progress, total=str(path.stat().st_size)
            )
    except OSError as exc:
        raise NetworkError(
            f"cannot read {path}: {exc.strerror or exc}",
            url=url,
            hint="check that the file exists and is readable",
        ) from None
