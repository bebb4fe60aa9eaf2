"""A lone surrogate ("\\ud800" in a stranger's JSON: a lock file, an SBOM, an index answer) cannot
be written as UTF-8. Every output shows it escaped instead of ending in an internal error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from tests.support.osv_bucket import fixed_in, write_bucket

RECORD = fixed_in("PYSEC-2099-9", "vulnpkg")


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "-r", "Pipfile.lock"],
        ["audit", "-r", "Pipfile.lock", "--format", "json"],
        ["audit", "-r", "Pipfile.lock", "--format", "markdown"],
        ["audit", "-r", "Pipfile.lock", "--format", "sarif"],
        ["sbom", "-r", "Pipfile.lock"],
        ["sbom", "-r", "Pipfile.lock", "--format", "spdx"],
    ],
)
def test_a_lone_surrogate_in_a_lock_file_is_shown_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setenv("PIPVET_OSV_URL", str(write_bucket(tmp_path / "osv", [RECORD])))
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    lock = {
        "_meta": {"sources": []},
        "default": {"foo": {"version": "==1.0\ud800"}, "vulnpkg": {"version": "==1.0"}},
        "develop": {},
    }
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))  # json writes it as \ud800
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "-o", "out.txt"], Output(stdout=out, stderr=err))
    assert "internal error" not in err.getvalue()
    assert code in (0, 1, 2), err.getvalue()  # spdx carries no audit
    written = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "\ud800" not in written
    assert "ud800" in written  # shown, escaped
