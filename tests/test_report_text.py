from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.frozen import replace
from pipvet.report._common import verdict
from pipvet.report.text import render_audit_text
from tests.report_samples import FULL, INCOMPLETE, SAMPLES

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_last_line_is_the_verdict(name: str) -> None:
    report = SAMPLES[name]
    text = render_audit_text(report)
    assert text.endswith("\n")
    assert text.splitlines()[-1] == verdict(report).text


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_colour_only_adds_escape_codes(name: str) -> None:
    plain = render_audit_text(SAMPLES[name])
    coloured = render_audit_text(SAMPLES[name], color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == plain


def test_header_names_target_and_snapshot() -> None:
    first, second = render_audit_text(FULL).splitlines()[:2]
    assert first == "pipvet 0.1.0 audit of requirements.txt (and the files it includes)"
    assert second == (
        "Advisory data: https://osv-vulnerabilities.storage.googleapis.com (2,661 records, "
        "newest change 2024-10-10T18:25:43Z (16 hours ago), synced 3 hours ago)"
    )


def test_malware_comes_first_and_says_what_to_do() -> None:
    text = render_audit_text(FULL)
    assert text.index("MALWARE:") < text.index("Known vulnerabilities:")
    block = text[text.index("MALWARE:") : text.index("Known vulnerabilities:")]
    assert "Evil_Pkg 0.0.1  (MAL-2024-1234, GHSA-mmmm-mmmm-mmmm)" in block
    assert "treat every credential this machine can\n  reach as exposed" in block
    assert "rotate the credentials" in block
    assert "pipvet exposure" in block


def test_each_package_is_one_block_with_the_fix_first() -> None:
    text = render_audit_text(FULL)
    start = text.index("  requests 2.19.0")
    block = text[start : text.index("\n\n", start)].splitlines()
    assert block[0].startswith("  requests 2.19.0  (requirements.txt:")
    assert block[0].endswith(": 1 vulnerability")
    assert block[1] == "    to fix: require requests>=2.20.0 and reinstall"
    assert block[2].split() == ["PYSEC-2018-28", "high", "7.5", "fixed", "in", "2.20.0"]
    assert block[3].strip().startswith("Requests sends an HTTP Authorization header")
    assert block[4].strip() == "aka CVE-2018-18074, GHSA-x84v-xcm2-53pg"


def test_lines_fit_a_terminal_except_the_one_line_verdict() -> None:
    lines = render_audit_text(FULL).splitlines()
    too_long = [line for line in lines[2:-1] if len(line) > 88 and not line.startswith("!")]
    assert too_long == []


def test_unchecked_ignored_and_notes_are_listed() -> None:
    text = render_audit_text(FULL)
    assert "Not checked: 1 dependency (pipvet cannot say whether these are safe)" in text
    assert "Not from a package index (no advisory can name these" in text
    assert "  mylib 0.1.dev0 (src/my lib): editable install" in text
    assert "  flask (requirements.txt:5): not pinned: audit the installed environment" in text
    assert "Ignored by your policy: 1 finding" in text
    assert "reason: we never send\n    cookies from batch jobs" in text
    assert "  PYSEC-2017-1: expired on 2024-09-30, so it no longer applies" in text
    assert "  GHSA-zzzz-zzzz-zzzz: matched nothing in this audit" in text
    assert "Warnings:\n  - the advisory data is 3 hours old" in text


def test_incomplete_audit_never_says_no_known_vulnerabilities() -> None:
    text = render_audit_text(INCOMPLETE)
    assert "no known vulnerabilities" not in text.lower()
    assert text.splitlines()[-1].startswith("INCOMPLETE: 1 dependency could not be checked")


def test_sections_are_left_out_when_empty() -> None:
    report = replace(FULL, results=FULL.results[:2], ignore_notes=(), warnings=())
    text = render_audit_text(report)
    for heading in ("MALWARE", "Not checked", "Ignored by", "Policy ignores", "Warnings"):
        assert heading not in text


@given(
    st.text(st.sampled_from("ab \t\n\x0b\xa0\u2003-x"), max_size=100),
    st.sampled_from(["", "  ", "    ", " " * 40]),
)
def test_a_paragraph_is_wrapped_as_textwrap_wraps_it(text: str, indent: str) -> None:
    # _Writer.wrap writes a paragraph that fits on its first line without textwrap
    import textwrap

    from pipvet.report.text import _WIDTH, _Writer

    w = _Writer(color=False)
    w.wrap(text, indent=indent, hang="    ")
    expected = textwrap.wrap(
        text,
        _WIDTH,
        initial_indent=indent,
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    assert w.lines == expected
