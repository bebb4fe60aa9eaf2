"""`pipvet report`: the page's safety (escaping, links, CSP), its parts, saved JSON read
back, bad input, and a 300-package environment under 1 MB with release ages read from the
local cache only. The browser test is in test_report_browser.py."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import InputError
from pipvet.report.html import STYLESHEET, csp_for, render_report
from pipvet.report.html_model import PageData, Unavailable
from pipvet.report.html_read import read_part
from tests.support.index_server import index_server
from tests.support.report_scene import HOSTILE_SUMMARY, Scene, build_scene, cache_index_metadata

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) \"'&"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def _audit_doc(summary: str = EVIL, fixed: str = "2.0") -> dict[str, Any]:
    finding = {
        "id": "PYSEC-1",
        "aliases": ["CVE-1", EVIL],
        "kind": "vulnerability",
        "severity": {"label": "high", "score": 8.1, "vector": None, "source": "cvss"},
        "summary": summary,
        "fixed_in": [fixed],
        "ignored": False,
        "fails": True,
    }
    return {
        "advisory_db": {"source": "https://user:secret@mirror.example/osv"},
        "target": EVIL,
        "fail_on": "any",
        "verdict": {"status": "fail", "text": "FAILED: 1 known vulnerability"},
        "dependencies": [
            {"name": "pkg", "version": "1.0", "fix_requirement": "pkg>=2.0",
             "findings": [finding]},
            {"name": "other", "version": None, "skipped": "not pinned", "findings": []},
        ],
    }  # fmt: skip


def _exposure_doc(**item: Any) -> dict[str, Any]:
    entry = {"kind": "env-secret", "what": "w", "location": "environment", "names": ["TOKEN"],
             "harm": "cloud-bill", "harm_rank": 1, "lifetime": "unknown", "protected": False,
             "advice": "a", **item}  # fmt: skip
    return {"home": "~", "project": ".", "checked": ["a"], "exposures": [entry]}


def _all_parts_page(css: str = "inline") -> str:
    doctor = {"project": EVIL, "checks": [
        {"id": "venv", "title": EVIL, "status": "fail", "summary": EVIL, "evidence": [EVIL],
         "fix": EVIL}]}  # fmt: skip
    exposure = {"home": "~", "project": ".", "checked": ["a"], "exposures": [
        {"kind": "env-secret", "what": EVIL, "location": "environment", "names": ["TOKEN"],
         "harm": "cloud-bill", "harm_rank": 1, "lifetime": "unknown", "protected": False,
         "advice": EVIL, "value": "THE-SECRET-VALUE"}]}  # fmt: skip
    vet = {"target": "t", "resolver": "metadata", "packages": [
        {"name": "javascript:alert(1)", "verdict": "avoid", "did_you_mean": EVIL,
         "signals": [{"id": "typosquat", "level": "avoid", "message": EVIL}]}]}  # fmt: skip
    fleet = {"origin": "o", "summary": {"distributions": 1},
             "projects": [{"path": "a/p1"}, {"path": "a/p2"}],
             "drift": [{"name": EVIL, "versions": [{"label": "1.0", "projects": ["a/p1"],
                        "vulnerable": True}, {"label": "2.0", "projects": ["a/p2"]}]}],
             "vulnerabilities": []}  # fmt: skip
    data = PageData(
        title=EVIL,
        generated_at="now",
        tool_version="0",
        audit=read_part(_audit_doc(), "audit"),  # type: ignore[arg-type]
        doctor=read_part(doctor, "doctor"),  # type: ignore[arg-type]
        exposure=read_part(exposure, "exposure"),  # type: ignore[arg-type]
        vet=read_part(vet, "vet"),  # type: ignore[arg-type]
        fleet=read_part(fleet, "fleet"),  # type: ignore[arg-type]
        ages=Unavailable(EVIL),
        sources=(EVIL,),
    )
    return render_report(data, css=css).html  # type: ignore[arg-type]


def test_every_stranger_string_is_inert_text() -> None:
    page = _all_parts_page()
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs, "the advisory id is linked"
    for href in hrefs:
        assert href.startswith(("https://", "http://", "#", "data:,")), href
    assert all('rel="noopener noreferrer"' in a for a in re.findall(r"<a href=\"http[^>]*>", page))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "secret@" not in page
    assert "***@mirror.example" in page
    assert "THE-SECRET-VALUE" not in page
    assert " style=" not in page  # the CSP would block it; colours are attributes and classes


def test_the_csp_names_the_real_stylesheet_hash() -> None:
    page = _all_parts_page()
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    assert style.group(1) == STYLESHEET
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert meta is not None
    assert meta.group(1) == (
        f"default-src &#x27;none&#x27;; style-src &#x27;sha256-{digest}&#x27;; img-src data:;"
    )
    assert page.index("Content-Security-Policy") < page.index("<style>")
    external = _all_parts_page("external")
    assert "<style>" not in external
    assert '<link rel="stylesheet" href="pipvet.css">' in external
    assert csp_for("external") == "default-src 'none'; style-src 'self'; img-src data:;"


def test_charts_have_text_equivalents() -> None:
    page = _all_parts_page()
    for chart in re.findall(r"<svg [^>]*>", page):
        assert 'role="img"' in chart
        assert "aria-labelledby" in chart
    assert page.count("<svg ") == page.count("<desc ")
    assert 'id="chart-drift"' in page
    assert 'id="chart-doctor"' in page


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"hello": 1}, "not a JSON report of pipvet"),
        ([1, 2], "expected an object"),
        ({**_audit_doc(), "dependencies": {"x": 1}}, "dependencies"),
        ({"project": "p", "checks": [{"status": "maybe"}]}, "checks[0].status"),
        # json reads NaN and Infinity: int() of them was an internal error, and no page
        (_exposure_doc(harm_rank=float("inf")), "exposures[0].harm_rank: expected a number"),
        (
            {
                "origin": "o",
                "summary": {"distributions": float("nan")},
                "projects": [],
                "drift": [],
            },
            "summary.distributions: expected a number",
        ),
        # values that become CSS classes are one of the known words
        (
            {**_audit_doc(), "verdict": {"status": "pass sev-critical", "text": "x"}},
            "verdict.status: expected one of fail, incomplete, pass",
        ),
        (_exposure_doc(harm="cloud-bill x"), "exposures[0].harm: expected one of"),
        (
            {"target": "t", "resolver": "metadata", "packages": [{"name": "a", "verdict": "ok x"}]},
            "packages[0].verdict: expected one of",
        ),
    ],
)
def test_saved_documents_that_are_not_reports_are_named(doc: Any, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        read_part(doc, "saved.json")


def test_from_bad_files_exit_2_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1,\n  oops}', encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text('{"rows": []}', encoding="utf-8")
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(_audit_doc()), encoding="utf-8")
    cases = [
        (["--from", str(tmp_path / "missing.json")], "cannot read"),
        (["--from", str(bad)], "bad.json:2:3: not JSON"),
        (["--from", str(other)], "not a JSON report of pipvet"),
        (["--from", str(audit), str(audit)], "both audit reports"),
        (["--from", str(audit), "--vet"], "--from reads saved results"),
        (["--from", str(audit), "--css", "external"], "name it with -o"),
    ]
    for argv, message in cases:
        code, out, err = run(["report", *argv])
        assert code == 2, (argv, err)
        assert message in err, (argv, err)
        assert "Traceback" not in err
        assert out == ""


def test_from_saved_json_writes_the_page_and_the_exit_code(tmp_path: Path) -> None:
    audit = tmp_path / "audit.json"
    doc = _audit_doc(summary=HOSTILE_SUMMARY)
    doc["dependencies"] = doc["dependencies"][:1]  # no unchecked dependency: exit 1, not 2
    audit.write_text(json.dumps(doc), encoding="utf-8")
    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    code, _out, err = run(["report", "--from", str(audit), "-o", str(page), "--css", "external"])
    assert code == 1, err  # a failing finding, as `pipvet audit` would exit
    html = page.read_text(encoding="utf-8")
    assert (page.parent / "pipvet.css").read_text(encoding="utf-8") == STYLESHEET
    assert "style-src &#x27;self&#x27;" in html
    assert f"read from {audit}" in html
    assert 'id="audit"' in html
    assert 'id="doctor"' not in html
    assert "\x1b" not in html
    assert "\\x1b[31mred" in html


# ------------------------------------------------------------------- a real environment


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Scene:
    return build_scene(tmp_path_factory.mktemp("report"), shared_data, hostile=True)


@pytest.fixture
def in_scene(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> Scene:
    for key, value in scene.environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.chdir(scene.project)
    return scene


@pytest.mark.slow  # a 300-package environment through every section of the page: in CI
def test_a_300_package_report_is_under_1_mb_and_never_fetches_release_ages(
    in_scene: Scene, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert in_scene.overlay is not None
    page = tmp_path / "pipvet.html"
    argv = ["report", "--path", str(in_scene.site), "--osv-overlay", str(in_scene.overlay),
            "-o", str(page)]  # fmt: skip
    with index_server(shared_data) as index:
        monkeypatch.setenv("PIPVET_INDEX_URL", index.url)
        code, _out, err = run(argv)
        assert index.lookups() == [], "the report must not ask the index for release dates"
        html = page.read_text(encoding="utf-8")
        assert code in (1, 2), err
        assert "Traceback" not in err
        assert len(html.encode()) < 1_000_000
        assert "not known offline" in html  # nothing cached yet
        for section in ("audit", "ages", "doctor", "exposure"):
            assert f'<section id="{section}">' in html
        assert "PYSEC-9999-1" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<img" not in html
        assert "<script" not in html
        assert "sk-not-a-real-key" not in html
        assert "OPENAI_API_KEY" in html

        cache_index_metadata(in_scene, index.url)
        before = len(index.lookups())
        code, _out, err = run(argv)
        assert len(index.lookups()) == before, "release ages come from the cache only"
    html = page.read_text(encoding="utf-8")
    assert 'id="chart-ages"' in html
    assert 'id="chart-behind"' in html
    assert "Known from the local metadata cache for" in html
    assert re.search(r"for \d+ of 300 installed releases", html)
