"""`pipvet report` in a real browser: headless Chromium renders the page served from a
loopback server that logs every request, takes a screenshot and dumps the DOM. The rendered
DOM must hold the sections and charts, a hostile advisory must show as text (no script or
img element, no javascript: link from it), and the browser must ask for nothing but the page
(and, with --css external, its stylesheet)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from tests.conftest import in_ci
from tests.support.httpserver import loopback_server
from tests.support.index_server import index_server
from tests.support.report_scene import HOSTILE_ID, build_scene, cache_index_metadata

pytestmark = pytest.mark.slow

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")  # fmt: skip


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if in_ci():
            pytest.fail("chromium is missing: .ci/run installs it with apt-get (Debian chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return found


def _browser(chromium: str, url: str, tmp: Path, *extra: str) -> str:
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *extra, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The report of the hostile scene (audit, ages, doctor, exposure, vet, fleet)."""
    root = tmp_path_factory.mktemp("browser")
    scene = build_scene(root / "scene", shared_data, hostile=True, vulnerable_names=6)
    assert scene.overlay is not None
    out = root / "site" / "pipvet.html"
    out.parent.mkdir()
    saved = dict(os.environ)
    cwd = Path.cwd()
    try:
        with index_server(shared_data) as index:
            os.environ.update(scene.environ)
            os.environ["PIPVET_INDEX_URL"] = index.url
            os.environ["PIPVET_TOP_PACKAGES_URL"] = index.popularity_url
            os.environ.pop("VIRTUAL_ENV", None)
            cache_index_metadata(scene, index.url)
            os.chdir(scene.project)
            err = io.StringIO()
            code = main(
                ["report", "--path", str(scene.site), "--osv-overlay", str(scene.overlay),
                 "--vet", "--fleet", str(scene.fleet), "-o", str(out)],
                Output(stdout=io.StringIO(), stderr=err),
            )  # fmt: skip
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)
    assert code in (1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    return out


def test_the_page_renders_with_its_charts_and_asks_for_nothing(page: Path, tmp_path: Path) -> None:
    chromium = _chromium()
    with loopback_server() as server:
        server.serve_dir("/", page.parent)
        url = f"{server.url}/{page.name}"
        dom = _browser(chromium, url, tmp_path, "--dump-dom", "--virtual-time-budget=3000")
        shot = tmp_path / "shot.png"
        _browser(chromium, url, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400")
        requested = server.paths_requested()
    assert set(requested) == {f"/{page.name}"}, requested
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
    for section in ("audit", "ages", "doctor", "exposure", "vet", "fleet"):
        assert f'<section id="{section}">' in dom, section
    for chart in ("figures", "severity", "fixable", "upgrades", "ages", "behind", "doctor",
                  "exposure", "vet", "drift"):  # fmt: skip
        assert re.search(rf'<svg [^>]*id="chart-{chart}"', dom), chart
    # The hostile advisory is in the DOM as text only.
    assert HOSTILE_ID in dom
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in dom or (
        '&lt;script&gt;alert("x")&lt;/script&gt;' in dom
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom
    assert not re.search(r"<script\b", dom, re.I)
    assert not re.search(r"<img\b", dom, re.I)
    # (as text the serializer keeps its quotes: &lt;a href="javascript:..."&gt; is fine)
    assert not re.search(r'<a\b[^>]*href="\s*javascript:', dom, re.I)
    assert '&lt;a href="javascript:alert(3)"&gt;' in dom
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', dom)
    assert meta is not None
    assert re.fullmatch(
        r"default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; img-src data:;", meta.group(1)
    )


def test_an_external_stylesheet_is_allowed_by_the_csp_and_fetched(
    page: Path, tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chromium = _chromium()
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIPVET_OSV_URL", str(shared_data / "osv"))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pipvet.toml").write_text("", encoding="utf-8")
    (project / "requirements.txt").write_text("requests==2.19.0\n", encoding="utf-8")
    monkeypatch.chdir(project)
    saved = []
    for kind in ("audit", "doctor"):  # saved by the real commands, then read back
        target = tmp_path / f"{kind}.json"
        argv = [kind, *(["-r", "requirements.txt"] if kind == "audit" else [])]
        main([*argv, "--format", "json", "-o", str(target)],
             Output(stdout=io.StringIO(), stderr=io.StringIO()))  # fmt: skip
        saved.append(str(target))
    site = tmp_path / "site"
    site.mkdir()
    err = io.StringIO()
    code = main(
        ["report", "--from", *saved, "-o", str(site / "index.html"), "--css", "external"],
        Output(stdout=io.StringIO(), stderr=err),
    )
    assert code == 1, err.getvalue()  # requests 2.19.0 has known vulnerabilities
    assert (site / "pipvet.css").is_file()
    with loopback_server() as server:
        server.serve_dir("/", site)
        dom = _browser(chromium, f"{server.url}/index.html", tmp_path, "--dump-dom")
        requested = server.paths_requested()
    # The browser fetched the stylesheet: the CSP ('self') allowed it; nothing else.
    assert sorted(set(requested)) == ["/index.html", "/pipvet.css"], requested
    assert "style-src 'self'" in dom
    assert '<section id="audit">' in dom
    assert "<style>" in page.read_text(encoding="utf-8")  # the default keeps it inline
