"""`pipvet db sync` and `pipvet db status`, called through main() like a user would."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from tests.support.httpserver import LoopbackServer, loopback_server
from tests.support.osv_bucket import OsvBucket


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No data-source settings or policy files from the machine running the tests."""
    for var in ("PIPVET_OSV_URL", "PIPVET_OSV_OVERLAY", "PIPVET_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_sync_then_status_from_a_path(tmp_path: Path, shared_data: Path) -> None:
    cache = str(tmp_path / "cache")
    osv = str(shared_data / "osv")
    code, out, err = run("db", "sync", "--cache-dir", cache, "--osv-url", osv)
    assert (code, err) == (0, "")
    assert out.startswith("advisory database: read the whole advisory archive (first sync)")
    assert "records:         2,661 (10 withdrawn)" in out
    assert "newest modified: 2024-10-10T17:22:00.587279Z" in out

    code, out, err = run("db", "status", "--cache-dir", cache, "--osv-url", osv)
    assert (code, err) == (0, "")
    assert f"source:          {Path(osv).resolve()}" in out  # stored resolved
    assert "last sync:" in out
    # the records (3 MB compressed) and, per package, what matching reads of them (plain text)
    db_line = f"database:        {tmp_path / 'cache' / 'advisories.sqlite3'} ("
    assert re.search(re.escape(db_line) + r"([4-9]|1[0-2])\.\d MB\)", out)
    assert "note:" not in out  # the configured source is the one stored

    code, out, _ = run("db", "status", "--cache-dir", cache, "--format", "json")
    data = json.loads(out)
    assert data["source"] == osv
    assert (data["records"], data["withdrawn"]) == (2661, 10)
    assert data["newest_modified"] == "2024-10-10T17:22:00.587279Z"
    assert data["last_sync"].endswith("Z")
    assert data["database"] == str(tmp_path / "cache" / "advisories.sqlite3")
    assert data["size_bytes"] == (tmp_path / "cache" / "advisories.sqlite3").stat().st_size
    assert data["configured_source"] == "https://osv-vulnerabilities.storage.googleapis.com"


def test_sync_over_http_from_the_environment(
    tmp_path: Path, shared_data: Path, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pypi = shared_data / "osv" / "PyPI"
    bucket = OsvBucket(
        http_server, (pypi / "all.zip").read_bytes(), (pypi / "modified_id.csv").read_bytes()
    )
    monkeypatch.setenv("PIPVET_OSV_URL", bucket.url)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    code, out, _ = run("db", "sync", "--format", "json")
    first = json.loads(out)
    assert code == 0
    assert (first["action"], first["fetched"], first["records"]) == ("full", 2661, 2661)
    assert first["source"] == bucket.url
    code, out, _ = run("db", "sync", "--format", "json")
    second = json.loads(out)
    assert (second["action"], second["fetched"], second["records"]) == ("up-to-date", 0, 2661)
    code, out, _ = run("db", "sync", "--full", "--format", "json")
    assert json.loads(out)["action"] == "full"
    assert bucket.requested() == ["all.zip", "modified_id.csv", "all.zip"]


def test_overlay_option_and_environment(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "private"
    overlay.mkdir()
    (overlay / "ACME-1.json").write_text(
        json.dumps(
            {
                "id": "ACME-1",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "acme-tools"}}],
            }
        )
    )
    (overlay / "broken.json").write_text("{")
    cache = str(tmp_path / "cache")
    osv = str(shared_data / "osv")
    code, out, err = run(
        "db", "sync", "--cache-dir", cache, "--osv-url", osv, "--overlay", str(overlay)
    )
    assert code == 0
    assert f"overlay:         {overlay} (1 records)" in out
    assert "records:         2,662" in out
    assert f"warning: {overlay / 'broken.json'}: OSV record is not valid JSON" in err

    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    code, out, _ = run("db", "status", "--cache-dir", cache, "--format", "json")
    assert (json.loads(out)["overlay"], json.loads(out)["overlay_records"]) == (str(overlay), 1)


def test_status_without_a_database_is_exit_2_with_a_hint(tmp_path: Path) -> None:
    code, out, err = run("db", "status", "--cache-dir", str(tmp_path / "empty"))
    assert (code, out) == (2, "")
    assert (
        f"pipvet: error: no advisory database at {tmp_path / 'empty' / 'advisories.sqlite3'}" in err
    )
    assert "hint: run 'pipvet db sync'" in err


@pytest.mark.slow  # waits out the real retry back-off (3.5 s): in CI
def test_unreachable_source_with_empty_cache_is_exit_2(tmp_path: Path) -> None:
    with loopback_server() as server:
        url = server.url
    # Nothing listens there any more; retries back off for 3.5 s in total before giving up.
    code, out, err = run("db", "sync", "--cache-dir", str(tmp_path / "c"), "--osv-url", url)
    assert (code, out) == (2, "")
    assert f"pipvet: error: cannot reach {url}/PyPI/all.zip" in err
    assert "tried 4 times" in err
    assert "hint: check the network connection" in err
    assert "Traceback" not in err
    assert not (tmp_path / "c" / "advisories.sqlite3").exists()


def test_source_without_an_archive_is_exit_2(tmp_path: Path, http_server: LoopbackServer) -> None:
    code, _, err = run(
        "db", "sync", "--cache-dir", str(tmp_path / "c"), "--osv-url", http_server.url
    )
    assert code == 2
    assert f"pipvet: error: no advisory archive at {http_server.url}/PyPI/all.zip (HTTP 404)" in err
    assert "hint: check --osv-url / PIPVET_OSV_URL" in err


def test_offline_sync_from_a_url_is_a_usage_error(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    code, _, err = run(
        "db", "sync", "--offline", "--cache-dir", str(tmp_path), "--osv-url", http_server.url
    )
    assert code == 2
    assert "cannot download from" in err
    assert "hint: drop --offline" in err
    assert http_server.paths_requested() == []


def test_garbage_database_is_rebuilt_with_a_warning(tmp_path: Path, shared_data: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "advisories.sqlite3").write_bytes(b"definitely not sqlite" * 50)
    code, _, err = run("db", "status", "--cache-dir", str(cache))
    assert code == 2
    assert "is unreadable" in err
    assert "hint: run 'pipvet db sync --full'" in err
    code, out, err = run(
        "db", "sync", "--cache-dir", str(cache), "--osv-url", str(shared_data / "osv")
    )
    assert code == 0
    assert "records:         2,661" in out
    assert "warning: the advisory database was unusable" in err


def test_output_file_and_usage_errors(tmp_path: Path, shared_data: Path) -> None:
    report = tmp_path / "sync.json"
    code, out, _ = run("db", "sync", "--cache-dir", str(tmp_path / "c"), "--osv-url",
                       str(shared_data / "osv"), "--format", "json", "-o", str(report))  # fmt: skip
    assert (code, out) == (0, "")
    assert json.loads(report.read_text())["records"] == 2661
    code, _, err = run("db")
    assert code == 2
    assert "hint:" in err
    code, _, err = run("db", "sync", "--format", "sarif")
    assert code == 2
    assert "invalid choice: 'sarif'" in err
