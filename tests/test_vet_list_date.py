"""The popularity list has a date: `pipvet vet` shows it, and a project first released after
it is "newer than the popularity list", never "avoid" for its absence from the list alone.

Real parts: the loopback index serving crafted answers and the shared popularity list (as of
2026-04-01), a small OSV bucket on disk, the Python running the tests as the target.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, build_parser, handle_errors
from pipvet.cli import vet as vet_cli
from pipvet.system.process import SubprocessRunner
from pipvet.vetting import signals as S
from tests.support.index_server import IndexServer, document, index_server
from tests.support.osv_bucket import csv_for, zip_of

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
OLD = "2019-05-01T10:00:00+00:00"  # long before the list (2026-04-01)
AFTER = "2026-06-15T10:00:00+00:00"  # after the list was made


@pytest.fixture
def index(shared_data: Path) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        yield server


def vet(index: IndexServer, tmp_path: Path, *names: str) -> tuple[int, dict[str, Any], str]:
    record = {
        "id": "PYSEC-2099-5",
        "modified": "2026-11-30T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "nothing-here"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
    }  # fmt: skip
    bucket = tmp_path / "osv" / "PyPI"
    bucket.mkdir(parents=True, exist_ok=True)
    (bucket / "all.zip").write_bytes(zip_of([record]))
    (bucket / "modified_id.csv").write_bytes(csv_for([record]))
    environ = {
        "PIPVET_INDEX_URL": index.url,
        "PIPVET_TOP_PACKAGES_URL": index.popularity_url,
        "PIPVET_OSV_URL": str(tmp_path / "osv"),
        "PIPVET_CACHE_DIR": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    results = {}
    for fmt in ("json", "text"):
        args = build_parser().parse_args(
            ["vet", *names, "--python", sys.executable, "--format", fmt]
        )
        out, err = io.StringIO(), io.StringIO()
        output = Output(out, err)
        with handle_errors(output) as status:
            status.code = vet_cli.run(
                args, output, environ=environ, cwd=tmp_path, clock=lambda: NOW,
                runner=SubprocessRunner(env=environ),
            )  # fmt: skip
        assert "Traceback" not in err.getvalue()
        results[fmt] = (status.code, out.getvalue())
    return results["json"][0], json.loads(results["json"][1]), results["text"][1]


def package(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in report["packages"] if p["name"] == name)


def signal(pkg: dict[str, Any], signal_id: str) -> dict[str, Any]:
    return next(s for s in pkg["signals"] if s["id"] == signal_id)


def serve(index: IndexServer, name: str, first: str, **kw: Any) -> None:
    index.project(name, document(name, {"1.0": first, "1.1": "2026-11-01T10:00:00+00:00"}, **kw))


def test_a_squat_released_before_the_list_is_still_avoid(
    index: IndexServer, tmp_path: Path
) -> None:
    """The baseline: the detector calls httpx2 a squat of httpx when the list could know it."""
    serve(index, "httpx", OLD, owners=("tom",))
    serve(index, "httpx2", OLD, owners=("mallory", "eve"))
    code, report, text = vet(index, tmp_path, "httpx2")
    pkg = package(report, "httpx2")
    assert signal(pkg, "typosquat")["level"] == "avoid"
    assert pkg["verdict"] == "avoid"
    assert code == 1
    assert signal(pkg, "popularity")["level"] == "review"
    assert "popularity list as of 2026-04-01 (15,000 projects)" in text


def test_a_project_newer_than_the_list_is_not_avoid_for_its_absence(
    index: IndexServer, tmp_path: Path
) -> None:
    serve(index, "httpx", OLD, owners=("tom",))
    serve(index, "httpx2", AFTER, owners=("mallory", "eve"))
    code, report, text = vet(index, tmp_path, "httpx2")
    pkg = package(report, "httpx2")
    pop = signal(pkg, "popularity")
    assert pop["level"] == "info"
    assert pop["message"].startswith("Newer than the popularity list: first released after")
    assert "(2026-04-01)" in pop["message"]
    assert pop["source"] == "popularity list (list of 2026-04-01): 30-day download counts"
    squat = signal(pkg, "typosquat")
    assert squat["level"] == "review"  # still named, no longer avoid on the list alone
    assert squat["value"] == "httpx"
    assert "first released after the popularity list was made (2026-04-01)" in squat["message"]
    assert pkg["verdict"] == "review"
    assert code == 0
    assert "popularity list as of 2026-04-01" in text


def test_an_organisation_owning_both_names_makes_a_sibling(
    index: IndexServer, tmp_path: Path
) -> None:
    """httpx2 and httpcore2 owned by the organisation that owns httpx and httpcore."""
    for popular in ("httpx", "httpcore"):
        serve(index, popular, OLD, owners=("tom",), organization="encode")
        serve(index, popular + "2", OLD, owners=("kim", "lee"), organization="encode")
    code, report, _ = vet(index, tmp_path, "httpx2", "httpcore2")
    for name in ("httpx2", "httpcore2"):
        assert signal(package(report, name), "typosquat")["level"] == "ok", name
    assert code == 0
    # the resembled project's metadata was fetched, because it was needed
    assert index.requests_for("httpx")


def test_an_unlisted_old_project_stays_a_review_reason(index: IndexServer, tmp_path: Path) -> None:
    serve(index, "quiet-little-tool", OLD, owners=("ann", "bob"))
    _, report, _ = vet(index, tmp_path, "quiet-little-tool")
    pop = signal(package(report, "quiet-little-tool"), "popularity")
    assert pop["level"] == "review"
    assert "Not among the 15,000 most downloaded projects (list of 2026-04-01)" in pop["message"]


@pytest.mark.parametrize(
    ("last_update", "first", "expected"),
    [
        ("2026-04-01 06:34:06", "2026-04-01T06:34:07+00:00", "2026-04-01"),
        ("2026-04-01 06:34:06", "2026-04-01T06:34:06+00:00", None),  # the same moment: listed
        ("2026-04-01T06:34:06Z", "2026-05-01T00:00:00+00:00", "2026-04-01"),
        (None, "2026-05-01T00:00:00+00:00", None),  # no date: nothing judged against it
        ("last month", "2026-05-01T00:00:00+00:00", None),  # unreadable: the same
    ],
)
def test_newer_than_list(last_update: str | None, first: str, expected: str | None) -> None:
    from pipvet.index.parse import parse_project

    doc = document("x", {"1.0": first})
    project = parse_project(json.dumps(doc).encode(), "test://x")
    assert S.newer_than_list(project, last_update) == expected
