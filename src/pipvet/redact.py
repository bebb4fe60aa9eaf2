"""The one way pipvet hides credentials: the userinfo of every URL becomes ``***``.

Private indexes and mirrors take their credentials in the URL (``https://user:token@host``);
pip, the policy and the environment pass such URLs around, and pipvet must use them without
ever showing them. Every message, report, ``-o`` file and cache file goes through
``mask_userinfo`` before it is written. Pure: strings in, strings out; imported by every layer.
"""

from __future__ import annotations

import functools
import re

__all__ = ["MASK", "mask_userinfo"]

MASK = "***"

# scheme://userinfo@host: the userinfo runs to the last "@" before the host's end (a "/", "?",
# "#", whitespace or a quote), so an unencoded "@" inside a password is hidden too. A scheme is
# at most 32 characters (git+https, view-source): unbounded, the regex tried every word start
# of a long "a-a-a-...://" run to its end, and one advisory's 64 KiB details took 17 s. No word
# boundary is needed before it: a URL glued to other text ("...ab01https://u:p@h") is masked.
_USERINFO_PATTERN = r"(?i)([a-z][a-z0-9+.-]{0,31}://)[^/?#\s'\"<>]*@"


@functools.cache
def _userinfo() -> re.Pattern[str]:
    # Compiled on first use: nearly every text has no URL with "@", and `pipvet --help` should
    # not compile a pattern it never uses.
    return re.compile(_USERINFO_PATTERN)


def mask_userinfo(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``
    (``https://user:token@host/x`` -> ``https://***@host/x``); anything else unchanged."""
    if "@" not in text or "://" not in text:  # nearly every string: skip the regex scan
        return text
    if len(text) <= _SHORT:
        return _userinfo().sub(rf"\1{MASK}@", text)
    return _mask_long(text)


# Up to this length the regex scans the whole text; longer texts (a whole report) are scanned
# only around each "://", since the regex tries its pattern at every word boundary.
_SHORT = 256
# No match crosses one of these: the scheme, "://", the userinfo and "@" exclude them all.
_QUOTES = "'\"<>"


def _mask_long(text: str) -> str:
    """``_userinfo().sub`` over ``text``, searching only the runs of characters that hold a
    "://" (a match never crosses whitespace or a quote), so the leftmost match of each run is
    the one a scan of the whole text finds."""
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    done = 0  # text[:done] is decided
    run_end = 0  # the end of the run holding the last "://" looked at
    size = len(text)
    hit = text.find("://")
    while hit >= 0:
        start = hit
        while start > done and not _breaks(text[start - 1]):
            start -= 1
        if hit >= run_end:
            run_end = hit + 3
            while run_end < size and not _breaks(text[run_end]):
                run_end += 1
        found = _userinfo().search(text, start, run_end)
        if found is None:
            hit = text.find("://", run_end)
            continue
        replacement = f"{found.group(1)}{MASK}@"
        if found.group() != replacement:  # already masked: a report is masked twice
            edits.append((found.start(), found.end(), replacement))
        done = found.end()
        hit = text.find("://", done)
    if not edits:
        return text  # not a copy: a whole report is megabytes
    parts: list[str] = []
    last = 0
    for begin, end, replacement in edits:
        parts += (text[last:begin], replacement)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _breaks(char: str) -> bool:
    return char.isspace() or char in _QUOTES
