"""An advisory overlay record with a public record's id replaces it: the feature for private
corrections, and a way for a pull request to silence a public finding. Every report names the
replaced ids, and ``--ci`` fails on those the policy's ``overlay-replaces`` does not list."""

from __future__ import annotations

import io
import json
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import PolicyError
from pipvet.policy import parse_policy
from tests.support.osv_bucket import write_bucket

NOW = datetime.now(UTC)


def record(record_id: str, package: str, *, fixed: str | None) -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": "0"}]
    if fixed is not None:
        events.append({"fixed": fixed})
    return {
        "id": record_id,
        "modified": (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "summary": f"{package} advisory",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(snapshot_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh public source with one vulnerability for vulnlib < 2.0, and an overlay folder
    (empty until a test writes to it)."""
    public = [record("PYSEC-2099-1", "vulnlib", fixed="2.0")]
    monkeypatch.setenv("PIPVET_OSV_URL", str(write_bucket(tmp_path / "public", public)))
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    monkeypatch.setenv("PIPVET_OSV_OVERLAY", str(overlay))
    (snapshot_project / "requirements.txt").write_text("vulnlib==1.0\n", encoding="utf-8")
    return snapshot_project


def overlay_record(project: Path, body: dict[str, Any]) -> None:
    folder = Path(project.parent / "overlay")
    (folder / f"{body['id']}.json").write_text(json.dumps(body), encoding="utf-8")


def test_a_private_record_replaces_nothing(project: Path) -> None:
    overlay_record(project, record("ACME-2026-1", "acme-tools", fixed=None))
    code, out, err = run(["audit", "-r", "requirements.txt", "--ci", "--format", "json"])
    assert code == 1, err  # vulnlib's public finding stands, and nothing else fails
    report = json.loads(out)
    assert report["advisory_db"]["overlay_replaced"] == []
    assert not any("overlay" in w for w in report["warnings"])


def test_a_replacement_that_silences_a_finding_is_named_and_fails_ci(project: Path) -> None:
    # Same id, a package nobody installs: the public finding for vulnlib is gone.
    overlay_record(project, record("PYSEC-2099-1", "not-vulnlib", fixed="2.0"))
    code, out, err = run(["audit", "-r", "requirements.txt", "--format", "json"])
    assert code == 0, err  # without --ci, a warning
    report = json.loads(out)
    assert report["summary"]["findings"] == 0
    assert report["advisory_db"]["overlay_replaced"] == ["PYSEC-2099-1"]
    (warning,) = [w for w in report["warnings"] if "overlay" in w]
    assert "replaces public records with its own: PYSEC-2099-1" in warning
    assert "not listed in the policy's overlay-replaces: PYSEC-2099-1" in warning

    code, out, err = run(["audit", "-r", "requirements.txt", "--ci"])
    assert code == 2
    assert "overlay-replaces does not list: PYSEC-2099-1" in err
    assert 'overlay-replaces = ["PYSEC-2099-1"]' in err
    assert "PYSEC-2099-1" in out  # the text report's warnings name it too
    assert "1 public advisory replaced by the overlay." in out  # and its verdict line

    _, sarif, _ = run(["audit", "-r", "requirements.txt", "--format", "sarif"])
    props = json.loads(sarif)["runs"][0]["properties"]
    assert props["advisoryOverlayReplaced"] == ["PYSEC-2099-1"]
    _, md, _ = run(["audit", "-r", "requirements.txt", "--format", "markdown"])
    assert "PYSEC-2099-1" in md

    code, status, _ = run(["db", "status"])
    assert code == 0
    assert "replaces public PYSEC-2099-1" in status


def test_a_reviewed_replacement_passes_ci_and_is_still_named(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay_record(project, record("PYSEC-2099-1", "not-vulnlib", fixed="2.0"))
    (project / "pipvet.toml").write_text('overlay-replaces = ["PYSEC-2099-1"]\n', "utf-8")
    code, out, err = run(["audit", "-r", "requirements.txt", "--ci", "--format", "json"])
    assert code == 0, err
    (warning,) = [w for w in json.loads(out)["warnings"] if "overlay" in w]
    assert warning.endswith("with its own: PYSEC-2099-1")

    # Listing one id does not let another through.
    overlay_record(project, record("PYSEC-2099-2", "vulnlib", fixed="0.1"))
    public = [
        record("PYSEC-2099-1", "vulnlib", fixed="2.0"),
        record("PYSEC-2099-2", "vulnlib", fixed="3.0"),
    ]
    monkeypatch.setenv("PIPVET_OSV_URL", str(write_bucket(project.parent / "public2", public)))
    code, _, err = run(["audit", "-r", "requirements.txt", "--ci"])
    assert code == 2
    assert "does not list: PYSEC-2099-2;" in err


@pytest.mark.parametrize(
    "value",
    ['"PYSEC-2099-1"', '["has space"]', "[1]", '[""]'],
)
def test_overlay_replaces_must_be_a_list_of_ids(value: str) -> None:
    table = tomllib.loads(f"overlay-replaces = {value}\n")
    with pytest.raises(PolicyError) as caught:
        parse_policy(table, Path("pipvet.toml"), today=date(2026, 12, 2))
    assert "overlay-replaces" in str(caught.value)
    assert "advisory ids" in str(caught.value)


@pytest.mark.parametrize("spelling", ["pypi", "PYPI", " PyPI "])
def test_an_overlay_record_spelling_the_ecosystem_otherwise_still_counts(
    project: Path, tmp_path: Path, spelling: str
) -> None:
    """A private advisory written by hand with "ecosystem": "pypi" was dropped as another
    ecosystem's, and the audit of the package it names passed."""
    private = record("ACME-2026-1", "acme-internal", fixed="2.0")
    private["affected"][0]["package"]["ecosystem"] = spelling
    (tmp_path / "overlay" / "ACME-2026-1.json").write_text(json.dumps(private), encoding="utf-8")
    (project / "requirements.txt").write_text("acme-internal==1.0\n", encoding="utf-8")
    code, out, _ = run(["audit", "-r", "requirements.txt", "--format", "json"])
    assert code == 1
    (dep,) = json.loads(out)["dependencies"]
    assert [f["id"] for f in dep["findings"]] == ["ACME-2026-1"]
