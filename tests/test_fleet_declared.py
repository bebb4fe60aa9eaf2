"""Lock files, conda environment files and notebooks as `pipvet fleet` manifests and as
`pipvet sbom -r` inputs: both go through the one ``-r`` reader (``parse_declared``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.fleet.inventory import load_inventory
from pipvet.fleet.walk import find_projects
from tests.conftest import project_folder

UV_LOCK = """\
version = 1
revision = 2
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "urllib3" }]

[[package]]
name = "urllib3"
version = "1.26.5"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "1.0"
source = { git = "https://github.com/o/tool?rev=main#abc123" }
"""

POETRY_LOCK = """\
[[package]]
name = "urllib3"
version = "2.0.3"
description = ""
optional = false
python-versions = "*"
groups = ["main"]

[metadata]
lock-version = "2.1"
python-versions = ">=3.11"
content-hash = "abc"
"""

ENVIRONMENT_YML = """\
name: data
dependencies:
  - pip:
    - requests==2.19.0
"""

NOTEBOOK = json.dumps(
    {
        "cells": [
            {"cell_type": "code", "source": ["%pip install pandas==1.5.3\n", "import pandas\n"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(snapshot_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return project_folder(tmp_path, monkeypatch, "fleet")


def make_fleet(root: Path) -> None:
    write(root / "uvonly/uv.lock", UV_LOCK)
    write(root / "poetryonly/poetry.lock", POETRY_LOCK)
    write(root / "conda/environment.yml", ENVIRONMENT_YML)
    write(root / "notebooks/explore.ipynb", NOTEBOOK)
    write(root / "notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb", NOTEBOOK)
    write(root / "both/requirements.txt", "urllib3>=2\n")
    write(root / "both/uv.lock", UV_LOCK)
    write(root / "plain/README.md", "not a project\n")


def test_the_walk_finds_lock_conda_and_notebook_folders(tmp_path: Path) -> None:
    make_fleet(tmp_path)
    walked = find_projects([tmp_path])
    found = {Path(p.display).name: [m.name for m in p.manifests] for p in walked.projects}
    assert found == {
        "both": ["requirements.txt", "uv.lock"],
        "conda": ["environment.yml"],
        "notebooks": ["explore.ipynb"],  # Jupyter's checkpoint copies are never entered
        "poetryonly": ["poetry.lock"],
        "uvonly": ["uv.lock"],
    }


def test_locked_versions_are_rows_of_kind_locked(env: Path, tmp_path: Path) -> None:
    make_fleet(env)
    db = tmp_path / "inv.sqlite"
    code, out, _ = run(["fleet", "--format", "json", "--db", str(db), "."])
    assert code == 1  # urllib3 1.26.5 and 2.0.3 are vulnerable
    rows = {
        (r.project, r.source, r.name, r.kind, r.version, r.relation)
        for r in load_inventory(db).rows
    }
    assert ("uvonly", "uv.lock", "urllib3", "locked", "1.26.5", None) in rows
    assert ("uvonly", "uv.lock", "tool", "locked", "1.0", None) in rows
    assert ("poetryonly", "poetry.lock", "urllib3", "locked", "2.0.3", None) in rows
    assert ("both", "requirements.txt", "urllib3", "declared", None, "direct") in rows
    assert ("conda", "environment.yml", "requests", "pinned", "2.19.0", "direct") in rows
    assert ("notebooks", "explore.ipynb", "pandas", "pinned", "1.5.3", "direct") in rows
    assert not any(r[1] == "uv.lock" and r[2] == "app" for r in rows)  # the project itself

    doc: dict[str, Any] = json.loads(out)
    (drift,) = [d for d in doc["drift"] if d["name"] == "urllib3"]
    labels = {v["label"]: v["projects"] for v in drift["versions"]}
    # a project with a floor and a lock uses what the lock locks
    assert labels["1.26.5"] == ["both", "uvonly"]
    assert labels["2.0.3"] == ["poetryonly"]
    vulnerable = {
        p for v in doc["vulnerabilities"] if v["name"] == "urllib3" for p in v["projects"]
    }
    assert vulnerable == {"both", "poetryonly", "uvonly"}
    # lock files are not what `relax` floats, and a locked dependency is not "used once"
    assert all(p["project"] not in ("uvonly", "poetryonly") for p in doc["not_floating"])
    assert all(u["project"] not in ("uvonly", "poetryonly") for u in doc["used_once"])


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("uv.lock", UV_LOCK, {("urllib3", "1.26.5"), ("tool", "1.0")}),
        ("poetry.lock", POETRY_LOCK, {("urllib3", "2.0.3")}),
        ("environment.yml", ENVIRONMENT_YML, {("requests", "2.19.0")}),
        ("explore.ipynb", NOTEBOOK, {("pandas", "1.5.3")}),
    ],
)
def test_sbom_r_lists_the_locked_versions(
    env: Path, name: str, text: str, expected: set[tuple[str, str]]
) -> None:
    path = write(env / name, text)
    code, out, err = run(["sbom", "-q", "-r", str(path)])
    assert code in (0, 1), err
    doc = json.loads(out)
    got = {(c["name"], c.get("version")) for c in doc["components"]}
    assert got == expected
    assert {c["purl"] for c in doc["components"]} == {f"pkg:pypi/{n}@{v}" for n, v in expected}


def test_the_inventory_still_refuses_an_unknown_kind_or_relation(env: Path, tmp_path: Path) -> None:
    import sqlite3

    make_fleet(env)
    db = tmp_path / "inv.sqlite"
    run(["fleet", "-q", "--db", str(db), "."])
    with sqlite3.connect(db) as conn:
        for kind, relation in (("bogus", None), ("pinned", "bogus")):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(
                    "INSERT INTO dependency VALUES (1, 's', 1, 'n', ?, '1', '', ?, 0)",
                    (kind, relation),
                )
        conn.execute("INSERT INTO dependency VALUES (1, 's', 1, 'n', 'locked', '1', '', NULL, 0)")
