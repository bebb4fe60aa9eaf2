"""Strings written by strangers (advisory records, package metadata, index answers, file
names) cannot drive the user's terminal or inject markup: control characters come out visibly
escaped in text and markdown, markdown and SARIF markup is escaped, links are built only from
http(s) URLs that cannot break out, and JSON stays JSON. Hostile records go through the real
overlay, store and CLI."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.report.safe import escape_controls, json_safe, link_target, markdown_link
from tests.support.index_server import IndexServer, document, index_server

# A raw terminal control anywhere in text or markdown output: C0 but newline, DEL, C1.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")
HOSTILE_SUMMARY = (
    "\x1b[2K\rPASSED \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 "
    "<script>alert(1)</script> \b\b\u202e"
)
BREAKOUT_ALIAS = "x) [evil](https://evil.example"
# Where a markdown link's target starts: a "](" whose bracket is not escaped.
LINK_TARGET = re.compile(r"(?<!\\)\]\(([^)]*)\)")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def hostile_record() -> dict[str, Any]:
    return {
        "id": "PYSEC-9999-1",
        "modified": "2026-11-01T00:00:00Z",
        "aliases": [BREAKOUT_ALIAS, "CVE-9999-\x07\x9b31m"],
        "summary": HOSTILE_SUMMARY,
        "details": "details \x1b[8m hidden <img src=x onerror=alert(1)>",
        "references": [
            {"type": "WEB", "url": "javascript:alert(1)"},
            {"type": "WEB", "url": "https://refs.example/a b)"},
        ],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]}],
    }


@pytest.fixture
def project(snapshot_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "PYSEC-9999-1.json").write_text(json.dumps(hostile_record()), encoding="utf-8")
    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    (snapshot_project / "requirements.txt").write_text("demo==1.0\n", encoding="utf-8")
    return snapshot_project


# ------------------------------------------------------------------ the helpers themselves

ESCAPES = [
    ("\x1b[31mred", "\\x1b[31mred"),
    ("bell\x07 back\x08 cr\r del\x7f", "bell\\x07 back\\x08 cr\\x0d del\\x7f"),
    ("csi\x9b31m nbsp\xa0", "csi\\x9b31m nbsp\xa0"),
    ("rtl\u202eexe.txt", "rtl\\u202eexe.txt"),
    ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
]


@pytest.mark.parametrize(("text", "expected"), ESCAPES)
def test_escape_controls(text: str, expected: str) -> None:
    assert escape_controls(text) == expected


def test_json_safe_keeps_the_value_and_escapes_c1() -> None:
    value = {"s": "a\x9b\x7fb\u202e\x1b"}
    document_text = json_safe(json.dumps(value, ensure_ascii=False))
    assert RAW_CONTROL.search(document_text) is None
    assert json.loads(document_text) == value


LINKS = [
    ("https://osv.dev/vulnerability/PYSEC-1", True),
    ("http://example.com/a?b=c#d", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>", False),
    ("https://evil.example) [x](https://x", False),
    ("https://a.example/b c", False),
    ("https://a.example/\x1b[2J", False),
    ("https://[::1", False),  # does not parse
    ("https://a.example:notaport/", False),
    ("//no-scheme.example/", False),
    ("https:///no-host", False),
]


@pytest.mark.parametrize(("url", "linked"), LINKS)
def test_links_only_from_http_urls_that_cannot_break_out(url: str, linked: bool) -> None:
    assert (link_target(url) == url) is linked
    assert markdown_link("label", url) == (f"[label]({url})" if linked else "label")


# ------------------------------------------------------------------ end to end, audit


def test_hostile_advisory_text_is_escaped_in_text(project: Path) -> None:
    code, out, err = run(["audit", "-r", "requirements.txt"])
    assert code == 1, err
    assert RAW_CONTROL.search(out) is None
    assert RAW_CONTROL.search(err) is None
    assert "\\x1b[2K\\x0dPASSED" in out
    assert "CVE-9999-\\x07\\x9b31m" in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED")


def test_hostile_advisory_text_is_escaped_in_markdown(project: Path) -> None:
    code, out, _ = run(["audit", "-r", "requirements.txt", "--format", "markdown"])
    assert code == 1
    assert RAW_CONTROL.search(out) is None
    assert "<script>" not in out
    assert "<img" not in out
    assert "\\<script\\>" in out
    # the alias is text inside one link to osv.dev, its target percent-encoded
    targets = LINK_TARGET.findall(out)
    assert targets
    assert all(t.startswith("https://osv.dev/vulnerability/") for t in targets)
    assert "https://osv.dev/vulnerability/x%29%20%5Bevil%5D%28https%3A%2F%2Fevil.example" in out


def test_hostile_advisory_text_is_escaped_in_sarif_and_json(project: Path) -> None:
    code, out, _ = run(["audit", "-r", "requirements.txt", "--format", "sarif"])
    assert code == 1
    assert RAW_CONTROL.search(out) is None
    sarif = json.loads(out)
    (rule,) = [r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "PYSEC-9999-1"]
    help_markdown = rule["help"]["markdown"]
    assert RAW_CONTROL.search(help_markdown) is None
    assert "<script>" not in help_markdown
    assert "\\<script\\>" in help_markdown
    assert "[evil](" not in help_markdown
    assert "\\[evil\\]" in help_markdown
    assert LINK_TARGET.findall(help_markdown) == ["https://osv.dev/vulnerability/PYSEC-9999-1"]
    # plain-text SARIF fields and JSON keep the exact text: json escapes it, nothing is lost
    assert rule["shortDescription"]["text"].startswith("\x1b[2K")
    code, out, _ = run(["audit", "-r", "requirements.txt", "--format", "json"])
    assert RAW_CONTROL.search(out) is None
    report = json.loads(out)
    (finding,) = report["dependencies"][0]["findings"]
    assert finding["summary"] == HOSTILE_SUMMARY
    assert set(finding["aliases"]) == {BREAKOUT_ALIAS, "CVE-9999-\x07\x9b31m"}


# ------------------------------------------------------------ metadata, index, file names


def test_hostile_installed_metadata_is_escaped(project: Path) -> None:
    site = project / "site-packages"
    info = site / "demo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", encoding="utf-8"
    )
    evil = site / "evil-2.0.dist-info"
    evil.mkdir()
    (evil / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: evil\x1b[2J\x1b[32mPASSED\nVersion: 2.0\x07\n",
        encoding="utf-8",
    )
    for fmt in ("text", "markdown"):
        code, out, err = run(["audit", "--path", str(site), "--format", fmt])
        assert code in (1, 2), err
        assert RAW_CONTROL.search(out) is None, fmt
        assert RAW_CONTROL.search(err) is None, fmt
        assert "PYSEC-9999-1" in out


def test_hostile_env_file_names_are_escaped_by_exposure(project: Path, tmp_path: Path) -> None:
    (project / ".env.\x1b[2J\x1b[1A").write_text("API_TOKEN=x\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    for fmt in ("text", "markdown", "json"):
        code, out, err = run(["exposure", "--home", str(home), "--format", fmt])
        assert code == 0, err
        assert RAW_CONTROL.search(out) is None, fmt
        if fmt == "json":
            json.loads(out)
            assert ".env.\\u001b[2J\\u001b[1A" in out  # escaped by json itself
        else:
            assert ".env.\\x1b" in out.replace("\\\\", "\\"), fmt


def runner_commands(output: str) -> list[str]:
    """The lines of ``output`` GitHub's runner would act on as log commands: ``##[name]``
    anywhere in a line, ``::name::`` at its start after white space (actions/runner,
    ActionCommand.TryParse and TryParseV2)."""
    found = []
    for line in output.splitlines():
        legacy = line.find("##[")
        start = line.lstrip()
        if (legacy >= 0 and "]" in line[legacy:]) or (start.startswith("::") and "::" in start[2:]):
            found.append(line)
    return found


def test_advisory_text_cannot_send_the_ci_runner_commands(project: Path, tmp_path: Path) -> None:
    """A job's log is the terminal in CI: "##[add-mask]FAILED" in a summary would hide every
    later FAILED, "##[stop-commands]x" silence the runner, "::error::" add an annotation."""
    record = dict(
        hostile_record(),
        id="PYSEC-9999-2",
        aliases=["CVE-9999-2 ##[stop-commands]tok"],
        summary="##[add-mask]FAILED ##[error file=a.py]fake\n::add-mask::FAILED\n\u2003::error::x",
        details="first line\n::add-mask::FAILED",
    )
    (tmp_path / "overlay" / "PYSEC-9999-2.json").write_text(json.dumps(record))
    argvs = [["--format", fmt] for fmt in ("text", "markdown", "json", "sarif")]
    for argv in [*argvs, ["--explain", "PYSEC-9999-2"]]:
        code, out, err = run(["audit", "-r", "requirements.txt", *argv])
        assert code == 1, err
        assert "FAILED" in out, argv
        assert runner_commands(out) == [], argv
        assert runner_commands(err) == [], argv
    code, out, _ = run(["audit", "-r", "requirements.txt", "--format", "json"])
    findings = {f["id"]: f for f in json.loads(out)["dependencies"][0]["findings"]}
    assert findings["PYSEC-9999-2"]["summary"] == record["summary"]  # JSON keeps the value
    code, out, _ = run(["audit", "-r", "requirements.txt", "--explain", "PYSEC-9999-2"])
    assert "##\\x5badd-mask]FAILED" in out
    assert "\n\\x3a:add-mask::FAILED" in out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a ##[add-mask]b", "a ##\\x5badd-mask]b"),
        ("x\n  ::error::y", "x\n  \\x3a:error::y"),
        ("::warning::z", "\\x3a:warning::z"),
        ("host ::1 and a::b", "host ::1 and a::b"),  # not at the start of a line
    ],
)
def test_escape_controls_leaves_no_runner_command(text: str, shown: str) -> None:
    assert escape_controls(text) == shown


# A markdown code span: a run of backticks up to the next run of exactly as many.
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")


def test_a_backtick_in_an_env_file_name_cannot_end_its_code_span(
    project: Path, tmp_path: Path
) -> None:
    # A checkout's file name: the backtick would close `location`, and GitHub renders the
    # HTML after it (an image from anywhere, a heading saying all is well) in a job summary.
    (project / ".env.x` <img src=x> <h2>No credentials found `").write_text("API_TOKEN=x\n")
    home = tmp_path / "home"
    home.mkdir()
    code, out, err = run(["exposure", "--home", str(home), "--format", "markdown"])
    assert code == 0, err
    assert out.count("<img src=x> <h2>No credentials found") == 2  # the table and the list
    outside_code = CODE_SPAN.sub("", out)
    assert "<img" not in outside_code
    assert "<h2>" not in outside_code


@pytest.fixture
def hostile_index(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        server.project(
            "demo",
            document(
                "demo",
                {"1.0": "2024-01-01T00:00:00Z"},
                owners=("mallory\x1b[2J\x1b]0;owned\x07",),
                organization="org\x9b31m",
                project_urls={"Source": "javascript:alert(1)\x1b[8m"},
            ),
        )
        monkeypatch.setenv("PIPVET_INDEX_URL", server.url)
        monkeypatch.setenv("PIPVET_TOP_PACKAGES_URL", server.popularity_url)
        yield server


def test_hostile_index_answers_are_escaped_by_vet(
    project: Path, hostile_index: IndexServer
) -> None:
    for fmt in ("text", "markdown", "json"):
        code, out, err = run(["vet", "demo", "--format", fmt])
        assert code in (0, 1, 2), err
        assert RAW_CONTROL.search(out) is None, fmt
        assert RAW_CONTROL.search(err) is None, fmt
        assert "mallory" in out, fmt
        if fmt == "json":
            json.loads(out)
        else:
            assert "mallory\\x1b" in out.replace("\\\\", "\\"), fmt
            assert "](javascript:" not in out


def test_explain_escapes_the_advisory_it_quotes(project: Path) -> None:
    code, out, err = run(["audit", "-r", "requirements.txt", "--explain", "PYSEC-9999-1"])
    assert code == 1, err
    assert RAW_CONTROL.search(out) is None
    assert "\\x1b[2K\\x0dPASSED" in out
    assert "AFFECTED" in out
