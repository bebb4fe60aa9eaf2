"""Query credentials in URLs: ``mask_userinfo`` hides the value of every query parameter whose
name says it holds a secret, ``mask_query`` every query value of a URL pipvet shows that the
user wrote. The JSON writer's shortcut (``_may_mask``: which pieces to write again from masked
values) must never skip a piece that holds a string masking would change."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipvet.redact import mask_query, mask_userinfo, may_hold_credentials
from pipvet.report.jsonout import _may_mask

TABLE = [
    # text, mask_userinfo, mask_query
    (
        "https://h.example/p-1.0.tar.gz?token=abc&v=1",
        "https://h.example/p-1.0.tar.gz?token=***&v=1",
        "https://h.example/p-1.0.tar.gz?token=***&v=***",
    ),
    (
        "see https://b.example/x?X-Amz-Date=1&X-Amz-Signature=f00d&X-Amz-Credential=AK/x then",
        "see https://b.example/x?X-Amz-Date=1&X-Amz-Signature=***&X-Amz-Credential=*** then",
        "see https://b.example/x?X-Amz-Date=***&X-Amz-Signature=***&X-Amz-Credential=*** then",
    ),
    (
        "https://u:pw@h.example/a?access_token=t#sha256=00",
        "https://***@h.example/a?access_token=***#sha256=00",
        "https://***@h.example/a?access_token=***#sha256=00",
    ),
    (
        "'https://h.example/?sig=s' and https://o.example/?q=1",
        "'https://h.example/?sig=*** and https://o.example/?q=1",
        "'https://h.example/?sig=*** and https://o.example/?q=***",
    ),
    ("no url ?token=1", "no url ?token=1", "no url ?token=1"),
    ("https://h.example/a?id=5", "https://h.example/a?id=5", "https://h.example/a?id=***"),
    ("https://h.example/a?password=", "https://h.example/a?password=", "https://h.example/a?password="),
    # a "?" inside a value starts a parameter of its own
    ("https://h.example/?a=1?token=s", "https://h.example/?a=1?token=***", "https://h.example/?a=***?token=***"),
    # a "?" in the fragment is read as a query too: more hidden, never less
    ("https://h.example/#?token=x", "https://h.example/#?token=***", "https://h.example/#?token=***"),
    ('"https://h.example/a?apikey=k"', '"https://h.example/a?apikey=***"', '"https://h.example/a?apikey=***"'),
]  # fmt: skip


@pytest.mark.parametrize(("text", "masked", "all_masked"), TABLE)
def test_query_credentials_are_masked(text: str, masked: str, all_masked: str) -> None:
    assert mask_userinfo(text) == masked
    assert mask_query(text) == all_masked
    assert mask_userinfo(masked) == masked  # a report is masked twice
    assert mask_query(all_masked) == all_masked


def test_a_long_text_is_masked_like_a_short_one() -> None:
    url = "https://h.example/f-1.0.whl?token=SECRET&x=1"
    text = ("padding " * 100 + url + "\n") * 20
    assert "SECRET" not in mask_userinfo(text)
    assert mask_userinfo(text) == text.replace("SECRET", "***")


# Pieces that make URLs with queries, near misses, and every character a query stops at.
_PIECES = st.sampled_from(
    ["https://", "://", "u:p@", "?", "&", ";", "=", "#", "token", "sig", "id", "v", "x",
     "SECRET", " ", "\n", "\t", "\u2003", '"', "'", "<", ">", "/", "\\", "\x01", "é", "***"]
)  # fmt: skip


@settings(max_examples=3000 if os.environ.get("CI") else 300)
@given(st.lists(_PIECES, max_size=40).map("".join))
@example('https://h/?a=1"&token=SECRET')
@example("https://h/x\u2003?token=SECRET")
@example("https://h/?a=b\n&token=SECRET")
def test_the_json_shortcut_never_skips_a_string_masking_changes(text: str) -> None:
    """``_may_mask`` reads a piece of JSON text; a string masking would change must make it
    say yes however JSON escapes the string (ASCII or not)."""
    if mask_userinfo(text) != text:
        assert may_hold_credentials(text)
        assert _may_mask(json.dumps(text))
        assert _may_mask(json.dumps(text, ensure_ascii=False))
        assert _may_mask(json.dumps({"a": [text, 1]}, indent=2))


@settings(max_examples=3000 if os.environ.get("CI") else 300)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_masking_is_idempotent_and_only_hides(text: str) -> None:
    once = mask_userinfo(text)
    assert mask_userinfo(once) == once
    assert mask_query(mask_query(text)) == mask_query(text)
    if not may_hold_credentials(text):
        assert once == text


def _whole_text_search(text: str, *, every: bool) -> str:
    """The path ``_mask_queries`` skips: every "://" of the whole text searched, its run
    (to the next ``\\s``, '"', "<" or ">") read for a "?" and its query masked."""
    import re

    from pipvet.redact import MASK, _parameter, _secret_name

    def masked(found: re.Match[str]) -> str:
        mark, name, value = found.groups()
        if not value or value.startswith(MASK) or not (every or _secret_name().search(name)):
            return found.group()
        return f"{mark}{name}={MASK}"

    parts: list[str] = []
    last = 0
    hit = text.find("://")
    while hit >= 0:
        stop = re.compile(r'[\s"<>]').search(text, hit + 3)
        end = len(text) if stop is None else stop.start()
        query = text.find("?", hit + 3, end)
        if query >= 0:
            fragment = text.find("#", query, end)
            query_end = end if fragment < 0 else fragment
            parts += (text[last:query], _parameter().sub(masked, text[query:query_end]))
            last = query_end
        hit = text.find("://", end)
    return "".join([*parts, text[last:]]) if parts else text


_QUERY_PIECES = st.sampled_from(
    ["https://", "://", "?", "?", "&", "=", "#", "token=", "sig=", "x=", "SECRET", "a", "/",
     " ", "\n", "\t", "\r", '"', "<", ">", "\x0b", "\x1f", "\u2003", "\x85", "***"]
)  # fmt: skip


@settings(max_examples=5000 if os.environ.get("CI") else 500)
@given(st.lists(_QUERY_PIECES, max_size=30).map("".join), st.booleans())
@example("https://h/?a=1 x?token=SECRET", False)
@example("https://a/x https://b/?q=1?token=SECRET https://c/?sig=SECRET", False)
@example("https://h/p\u2003?token=SECRET", False)
def test_each_query_run_is_found_as_a_whole_text_search_finds_it(text: str, every: bool) -> None:
    """``_mask_queries`` looks for "://" only in the run of each "?": the same text as the
    whole-text search, except that a Unicode space it does not look back for makes a run
    longer, so it may hide more, never less."""
    from pipvet.redact import _mask_queries

    fast, whole = _mask_queries(text, every=every), _whole_text_search(text, every=every)
    if "\u2003" in text or "\x85" in text:
        assert fast.count("SECRET") <= whole.count("SECRET")
    else:
        assert fast == whole


@pytest.mark.parametrize("brk", [c for c in map(chr, range(128)) if c.isspace()] + ['"', "<", ">"])
def test_an_ascii_break_ends_the_url_before_a_query(brk: str) -> None:
    """What ends a URL's run for the whole-text search ends it for the run search too: a
    "?token=" after it is no URL's query (each ASCII break is looked back for)."""
    from pipvet.redact import _mask_queries

    for text in (f"https://h/p{brk}?token=SECRET", f"x?y https://h/p{brk}a?b=1?token=SECRET"):
        assert _mask_queries(text, every=False) == _whole_text_search(text, every=False)
        assert "SECRET" in _mask_queries(text, every=False)


@pytest.mark.parametrize(
    "text",
    [
        "x://" + "a?" * 50_000,  # one run: each "?" looks back only to the one before
        "a?" * 50_000 + "https://h/?token=SECRET",
        "https://h/?" + "token=SECRET&" * 20_000,
        ("?a " * 20_000) + "https://h/?sig=SECRET",
    ],
)
def test_query_masking_takes_linear_time(text: str) -> None:
    """A hang guard, not a speed target: each "?" searches back only to the last one."""
    import time

    started = time.perf_counter()
    masked = mask_userinfo(text)
    assert time.perf_counter() - started < 5.0
    assert masked == _whole_text_search(text, every=False)
