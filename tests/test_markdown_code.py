"""Inline code in pipvet's markdown (GitHub step summaries) holds a stranger's text: a
version, a file name, a requirement. Rendered by a CommonMark parser with raw HTML allowed
(as GitHub allows some), it must stay one code span whatever the text holds."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipvet.report.markdown import code

_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def rendered(fragment: str) -> str:
    return str(_PARSER.render(f"- {fragment}\n"))


def test_a_version_that_closes_the_span_stays_code() -> None:
    version = "1.0`` <img src=https://evil.example/p.png> [click](https://evil.example) ``"
    out = rendered(f"({code(version)})")
    assert "<img" not in out
    assert "<a " not in out
    assert out.count("<code>") == 1


@given(st.text(st.sampled_from("`ab <>[]()|!\\*_-"), max_size=40))
def test_code_is_always_one_span_of_the_same_text(text: str) -> None:
    out = rendered(f"x {code(text)} y")
    spans = re.findall(r"<code>(.*?)</code>", out, re.DOTALL)
    assert len(spans) == 1
    flat = " ".join(text.split()).replace("|", "\\|")
    # CommonMark strips one space on each side of a span that has them on both sides.
    assert html.unescape(spans[0]).strip() == flat.strip()
    outside = re.sub(r"<code>.*?</code>", "", out, flags=re.DOTALL)
    assert "<" not in outside.replace("<ul>", "").replace("</ul>", "").replace("<li>", "").replace(
        "</li>", ""
    )


def test_table_cells_keep_their_pipes_inside_code() -> None:
    out = _PARSER.render(f"| a | b |\n|---|---|\n| {code('x|y`z')} | 2 |\n")
    assert out.count("<td>") == 2
