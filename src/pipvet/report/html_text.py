"""The HTML report's one way to put a stranger's string on the page, and its links.

Every string shown goes through ``esc``: lone surrogates (which a JSON file may hold but UTF-8
cannot) become U+FFFD, URL credentials are masked, control and bidi characters are written
out visibly (``report.safe``), then ``html.escape(quote=True)`` makes ``<``, ``>``, ``&`` and
both quotes inert, in text and in attribute values alike. Advisory text is shown as written,
never read as Markdown or HTML. A link is made only to an http or https URL that parses
(``report.safe.link_target``), and always with ``rel="noopener noreferrer"``.

Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import quote

from pipvet.redact import mask_userinfo
from pipvet.report.safe import escape_controls, link_target

__all__ = ["advisory_link", "capped", "esc", "link", "more_note", "plural", "short"]

T = TypeVar("T")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def esc(text: object) -> str:
    """``text`` as inert HTML text or attribute value (see the module docstring)."""
    value = _SURROGATE.sub("\ufffd", str(text))
    return html.escape(escape_controls(mask_userinfo(value)), quote=True)


def short(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (not yet escaped)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def link(label: str, url: str) -> str:
    """An anchor showing ``label`` (plain text) when ``url`` is a safe http(s) link; else the
    label alone."""
    target = link_target(mask_userinfo(url))
    if target is None:
        return esc(label)
    return f'<a href="{esc(target)}" rel="noopener noreferrer">{esc(label)}</a>'


def advisory_link(advisory_id: str) -> str:
    """The id, linked to its OSV page (the id is percent-encoded into the path)."""
    return link(advisory_id, "https://osv.dev/vulnerability/" + quote(advisory_id, safe=""))


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def capped(items: Sequence[T], limit: int) -> tuple[Sequence[T], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], max(0, len(items) - limit)


def more_note(left_out: int, what: str, many: str | None = None) -> str:
    """'N more in the JSON' as a paragraph, or nothing when nothing was left out."""
    if not left_out:
        return ""
    word = what if left_out == 1 else (many or what + "s")
    return f'<p class="more">{left_out:,} more {esc(word)} in the JSON report.</p>'
