"""The one way pipvet hides credentials: the userinfo of every URL becomes ``***``, and so
does the value of every query parameter of a URL whose name says it holds a secret
(``?token=...``, ``&X-Amz-Signature=...``, ``?sig=...``).

Private indexes and mirrors take their credentials in the URL (``https://user:token@host``),
and links to private files in their query (a signed download URL in a requirements file);
pip, the policy and the environment pass such URLs around, and pipvet must use them without
ever showing them. Every message, report, ``-o`` file and cache file goes through
``mask_userinfo`` before it is written. ``mask_query`` hides every query value of a URL that
pipvet itself shows (a requirement's URL). Pure: strings in, strings out; imported by every
layer.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "BAD_PORT_HINT",
    "MASK",
    "bad_port",
    "mask_query",
    "mask_userinfo",
    "may_hold_credentials",
    "refuse_unusable_url",
]

MASK = "***"

# scheme://userinfo@host: the userinfo runs to the last "@" before the host's end (a "/", "?",
# "#", whitespace, '"', "<" or ">"), so an unencoded "@" inside a password is hidden too. A "'"
# may stand unencoded in a password (RFC 3986 sub-delims), so it does not end one: at worst a
# quoted URL glued to a quoted address ('https://h','a@b') is masked too far, never too
# little. A scheme is at most 32 characters (git+https, view-source): unbounded, the regex
# tried every word start of a long "a-a-a-...://" run to its end, and one advisory's 64 KiB
# details took 17 s. No word boundary is needed before it: a URL glued to other text
# ("...ab01https://u:p@h") is masked.
_USERINFO_PATTERN = r"(?i)([a-z][a-z0-9+.-]{0,31}://)[^/?#\s\"<>]*@"


@functools.cache
def _userinfo() -> re.Pattern[str]:
    # Compiled on first use: nearly every text has no URL with "@", and `pipvet --help` should
    # not compile a pattern it never uses.
    return re.compile(_USERINFO_PATTERN)


def may_hold_credentials(text: str) -> bool:
    """False when ``mask_userinfo`` surely leaves ``text`` as it is (no URL with an "@" or a
    query): asked of nearly every string, so by ``in`` alone, one character first (a search
    for one character is a memchr; one for "://" costs an instruction a character)."""
    return ("@" in text or "?" in text) and "://" in text


def mask_userinfo(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``
    (``https://user:token@host/x`` -> ``https://***@host/x``), and the value of each query
    parameter whose name says it holds a secret (``_SECRET_NAME``) too
    (``?token=abc&v=1`` -> ``?token=***&v=1``); anything else unchanged."""
    at = "@" in text
    if (not at and "?" not in text) or "://" not in text:  # nearly every string (see above)
        return text
    if at:
        text = _userinfo().sub(rf"\1{MASK}@", text) if len(text) <= _SHORT else _mask_long(text)
    if "?" in text:
        text = _mask_queries(text, every=False)
    return text


def mask_query(text: str) -> str:
    """``mask_userinfo`` of ``text``, with the value of every query parameter of its URLs
    hidden, whatever its name: for a URL pipvet shows that the user wrote (a signed link's
    parameters have names no list foresees)."""
    text = mask_userinfo(text)
    return _mask_queries(text, every=True) if "?" in text and "://" in text else text


# A query parameter's name that says its value is a secret, in any case: tokens, keys,
# passwords, signatures (S3's X-Amz-Signature, GCS's X-Goog-Signature, Azure's sig), session
# and auth codes, credentials. Broad on purpose: a value hidden by mistake costs a reader a
# detail, one shown by mistake costs a credential.
_SECRET_NAME = r"(?i)token|secret|pass|pwd|key|auth|sig|cred|session|jwt|private|code"


@functools.cache
def _secret_name() -> re.Pattern[str]:
    return re.compile(_SECRET_NAME)


@functools.cache
def _parameter() -> re.Pattern[str]:
    # One "name=value" of a query; the name and the value run to the next "&", ";", "?" or
    # the fragment. A "?" ends both: a name that could run past one made a text of many "?"
    # and no "=" take quadratic time, and a "?token=" inside a value is masked as a parameter
    # of its own (a server may read it so).
    return re.compile(r"([?&;])([^=&;#?]*)=([^&;#?]*)")


def _mask_queries(text: str, *, every: bool) -> str:
    """The query values of every URL in ``text`` masked (``every``: all of them, else those
    ``_secret_name`` names). A URL's query runs from its first "?" after "://" to its "#" or
    the end of the URL (a white space, a quote, "<" or ">", where the userinfo ends too)."""

    def masked(found: re.Match[str]) -> str:
        mark, name, value = found.groups()
        # Masked already (a report is masked twice, and a masked value may be followed by the
        # text's own punctuation, ":" or ")", which the run of the URL takes in).
        if not value or value.startswith(MASK) or not (every or _secret_name().search(name)):
            return found.group()
        return f"{mark}{name}={MASK}"

    # Each "?" is found by memchr, and only its own run (back to the last break, forward to
    # the next) is searched for a "://": a search of the whole text for "://" cost a JSON
    # report's largest piece an instruction a character, three times (once per guard).
    parts: list[str] = []
    last = 0  # text[:last] is decided
    find, rfind, next_break = text.find, text.rfind, _break().search
    seen = 0  # the last "?" looked at: no "://" before it in its run, or the last URL's end
    query = find("?")
    while query >= 0:
        # A break missed here (a rare Unicode space) only makes the run look longer: more is
        # masked, never less (tests/test_redact_query.py compares with a whole-text search).
        # The run before this "?" back to its start, or to the last "?" looked at, before
        # which its run (if the same) holds no "://" (else that "?" began the query).
        low = max([rfind(c, seen, query) for c in _RUN_BREAKS]) + 1 or seen
        seen = query
        if rfind("://", low, query) < 0:
            query = find("?", query + 1)
            continue
        stop = next_break(text, query)
        end = len(text) if stop is None else stop.start()
        fragment = find("#", query, end)
        query_end = end if fragment < 0 else fragment
        parts += (text[last:query], _parameter().sub(masked, text[query:query_end]))
        last = query_end
        seen = end
        query = find("?", end)
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def bad_port(url: str, *, at_after_host: bool = False) -> str | None:
    """``url`` as it may be shown, when its host has a port that is not a number from 0 to
    65535 (or, with ``at_after_host``, when an "@" follows the end of its host); None for any
    other text. Either is most often a password holding "#", "?" or "/": the host then ends at
    that character, and the password's first part reads as the port (or as the host, which
    would be sent the rest). The whole part before the last "@" is masked, since
    ``mask_userinfo`` stops at those characters."""
    if "://" not in url:
        return None
    import urllib.parse  # only for a URL; most texts are paths

    head, sep, tail = url.rpartition("@")
    shown = f"{url.split('://', 1)[0]}://{MASK}@{tail}" if sep and "://" in head else url
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is no number
    except ValueError:
        return shown
    if not at_after_host or not sep or parts.scheme.lower() == "file":
        return None
    host_end = url.index("://") + 3 + len(parts.netloc)
    userinfo = parts.netloc.rpartition("@")[0]
    if len(head) >= host_end or (userinfo and userinfo in mask_userinfo(url)):
        return shown  # the wrong host, or a password the masking cannot find ('"', a space)
    return None


BAD_PORT_HINT = (
    "if a user name or password in the URL holds '#', '?', '/' or '@', percent-encode those "
    "characters (%23, %3F, %2F, %40), as pip requires too; an '@' in a path is written %40"
)


def refuse_unusable_url(value: str, origin: str) -> None:
    """UsageError for a source URL that ``bad_port`` finds (with ``at_after_host``): used as it
    reads, it would send part of a password to the wrong host. ``origin`` names who gave it."""
    shown = bad_port(value, at_after_host=True)
    if shown is not None:
        from pipvet.errors import UsageError

        raise UsageError(
            f"{origin} gives {shown}, which is not a URL pipvet can use as it reads: its host "
            "ends at a '#', '?' or '/' that comes before an '@', or its port is not a number "
            "from 0 to 65535",
            hint=BAD_PORT_HINT,
        )


# Up to this length the regex scans the whole text; longer texts (a whole report) are scanned
# only around each "://", since the regex tries its pattern at every word boundary.
_SHORT = 256
# A match is a scheme of at most this many characters, "://", then the userinfo and "@".
_SCHEME = 32
# No match crosses one of these: the scheme, "://", the userinfo and "@" exclude them all
# (``\s`` is exactly ``str.isspace``).
_BREAK_PATTERN = r'[\s"<>]'
# Those of them a query's run is searched back for, one memrchr each (the ASCII ones).
_RUN_BREAKS = (" ", "\n", '"', "\t", "\r", "<", ">", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


@functools.cache
def _break() -> re.Pattern[str]:
    return re.compile(_BREAK_PATTERN)  # on first use: few texts are long and hold a URL


def _mask_long(text: str) -> str:
    """``_userinfo().sub`` over ``text``, searching only near each "://": a match starts at
    most ``_SCHEME`` characters before its "://" and ends before the next break (a match never
    crosses whitespace or a quote), so the leftmost match found there is the one a scan of the
    whole text finds."""
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    done = 0  # text[:done] is decided
    run_end = 0  # the end of the run holding the last "://" looked at
    size = len(text)
    find, search, next_break = text.find, _userinfo().search, _break().search
    hit = find("://")
    while hit >= 0:
        if hit >= run_end:
            stop = next_break(text, hit + 3)
            run_end = size if stop is None else stop.start()
        # A match holds an "@" after its "://" (this one or a later one in the run): most URLs
        # in a report have none, and need no search.
        found = None
        if find("@", hit + 3, run_end) >= 0:
            found = search(text, max(done, hit - _SCHEME), run_end)
        if found is None:
            hit = find("://", run_end)
            continue
        replacement = f"{found.group(1)}{MASK}@"
        if found.group() != replacement:  # already masked: a report is masked twice
            edits.append((found.start(), found.end(), replacement))
        done = found.end()
        hit = find("://", done)
    if not edits:
        return text  # not a copy: a whole report is megabytes
    parts: list[str] = []
    last = 0
    for begin, end, replacement in edits:
        parts += (text[last:begin], replacement)
        last = end
    parts.append(text[last:])
    return "".join(parts)
