from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.frozen import replace
from pipvet.report._common import verdict
from pipvet.report.markdown import code, md, render_audit_markdown
from tests.report_samples import FULL, INCOMPLETE, SAMPLES, URLLIB3

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@pytest.mark.parametrize(
    ("status", "heading"),
    [("full", "## ❌ pipvet audit failed"), ("incomplete", "## ⚠️ pipvet audit incomplete"),
     ("clean", "## ✅ pipvet audit passed")],
)  # fmt: skip
def test_heading_carries_the_verdict(status: str, heading: str) -> None:
    lines = render_audit_markdown(SAMPLES[status]).splitlines()
    assert lines[0] == heading
    assert lines[2] == f"**{md(verdict(SAMPLES[status]).text)}**"


def test_findings_table_rows_have_six_cells() -> None:
    lines = render_audit_markdown(FULL).splitlines()
    start = lines.index("| Package | Installed | Advisory | Severity | Fixed in | Fix |")
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    assert len(rows) == 2 + 5  # header, separator, five active findings
    assert all(len(UNESCAPED_PIPE.findall(row)) == 7 for row in rows)
    assert rows[2].startswith("| Evil\\_Pkg | 0.0.1 | [MAL-2024-1234]")
    assert rows[3] == (
        "| requests | 2.19.0 | [PYSEC-2018-28](https://osv.dev/vulnerability/PYSEC-2018-28) "
        "| high 7.5 | 2.20.0 | `requests>=2.20.0` |"
    )


def test_untrusted_text_is_escaped() -> None:
    text = render_audit_markdown(replace(FULL, results=(URLLIB3,)))
    assert "<see advisory>" not in text
    assert "\\<see advisory\\>" in text
    assert "store \\| even" in text
    assert "\\`ca\\_certs\\`" in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("a|b", "a\\|b"), ("<b>x</b>", "\\<b\\>x\\</b\\>"), ("a & b", "a &amp; b"),
     ("*x* _y_ [z]", "\\*x\\* \\_y\\_ \\[z\\]"), ("line\nbreak", "line break"), ("# no", "\\# no")],
)  # fmt: skip
def test_md_escape(raw: str, escaped: str) -> None:
    assert md(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "rendered"),
    [("pkg>=1", "`pkg>=1`"), ("a|b", "`a\\|b`"), ("x`y", "`` x`y ``")],
)
def test_inline_code(raw: str, rendered: str) -> None:
    assert code(raw) == rendered


def test_details_blocks_are_balanced_and_collapsed() -> None:
    text = render_audit_markdown(FULL)
    assert text.count("<details>") == text.count("</details>") == 2
    assert "<details><summary>Details of 5 findings</summary>" in text
    assert "<details><summary>Ignored by policy (1)</summary>" in text


def test_malware_block_and_unchecked_list() -> None:
    text = render_audit_markdown(FULL)
    assert "> 🚨 **MALWARE FOUND**" in text
    assert "treat every credential this machine can reach as exposed" in text
    assert "- **flask** (`requirements.txt:5`): not pinned: audit the installed environment" in (
        text
    )


def test_incomplete_summary_lists_what_was_not_checked() -> None:
    text = render_audit_markdown(INCOMPLETE)
    assert "### Not checked (1)" in text
    assert "### Findings" not in text
    assert "no known vulnerabilities" not in text.lower()


_OLD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


@given(st.text(st.sampled_from("a \t\n\xa0\\`*_[]<>|#~&;x")) | st.text())
def test_md_escapes_as_the_regex_did(text: str) -> None:
    # md translates in one pass what a regex substitution and a replace did
    old = _OLD_SPECIAL.sub(r"\\\1", " ".join(text.split())).replace("&", "&amp;")
    assert md(text) == old


@given(st.text(st.sampled_from("aZ09_.~-/%?#@ \u00e9\ud800")) | st.text())
def test_an_advisory_url_is_quoted_as_quote_does(advisory_id: str) -> None:
    from urllib.parse import quote

    from pipvet.report._common import osv_url

    expected = quote(advisory_id, safe="", errors="surrogatepass")
    assert osv_url(advisory_id) == f"https://osv.dev/vulnerability/{expected}"
