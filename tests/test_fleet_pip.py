"""`pipvet fleet` on six real-looking projects, one with a real venv made by real pip, and the
constraints file it writes fed to real pip (``-c``) from a package index on 127.0.0.1."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pipvet.cli import Output, main
from tests.support.httpserver import LoopbackServer
from tests.support.index_server import IndexServer, document
from tests.support.simple_index import SimpleIndex
from tests.support.wheels import build_wheel, create_venv, pip_env, pip_install

OLD = "2024-01-01T00:00:00Z"
WHEELS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "urllib3": tuple((v, ()) for v in ("1.26.5", "1.26.18", "2.0.3", "2.0.7", "2.2.2")),
    "helper": (("1.0", ("depx>=1",)),),
    "depx": (("1.0", ()),),
    "tinyapp": (("1.0", ("urllib3>=1.26",)), ("1.1", ("urllib3>=1.26",))),
    "onlyhere": (("0.5", ()),),
    "oddball": (("0.1", ()),),
}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_projects(root: Path, wheels: Path) -> None:
    write(root / "analysis/requirements.txt", "urllib3==1.26.5\ntinyapp==1.0\n")
    write(root / "etl/requirements.txt", "-r base.txt\nurllib3==2.0.3\n")
    write(root / "etl/base.txt", "helper>=1.0\n")
    write(
        root / "service/pyproject.toml",
        '[project]\nname = "service"\nversion = "1"\n'
        'dependencies = ["urllib3>=1.26", "helper>=1.0"]\n\n'
        '[dependency-groups]\ndev = ["tinyapp>=1.0"]\n',
    )
    write(root / "notebooks/requirements.in", "helper\n")
    venv = create_venv(root / "notebooks/.venv")
    pip_install(venv, "helper", "oddball", find_links=wheels)  # oddball: declared nowhere
    write(root / "reports/requirements.txt", "tinyapp>=1.0\nonlyhere>=0.5\n")
    write(root / "reports/tools/requirements.txt", "helper==1.0\n")  # a project inside one


@pytest.mark.slow
def test_fleet_reports_and_its_constraints_resolve_every_project_with_real_pip(
    tmp_path: Path,
    shared_data: Path,
    http_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simple = SimpleIndex(http_server, tmp_path / "wheels")
    index = IndexServer(http_server, shared_data)
    http_server.route_prefix("/pypi/", index._serve)
    for name, releases in WHEELS.items():
        for version, requires in releases:
            build_wheel(simple.folder, name, version, requires=requires)
        index.project(name, document(name, {v: OLD for v, _ in releases}))
    root = tmp_path / "projects"
    make_projects(root, simple.folder)
    write(root / "pipvet.toml", "")
    monkeypatch.chdir(root)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIPVET_OSV_URL", str(shared_data / "osv"))
    monkeypatch.setenv("PIPVET_INDEX_URL", index.url)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)

    code, out, _ = run(["fleet", "--format", "json"])
    assert code == 1
    doc: dict[str, Any] = json.loads(out)
    assert [p["path"] for p in doc["projects"]] == [
        "analysis", "etl", "notebooks", "reports", "reports/tools", "service",
    ]  # fmt: skip
    urllib3 = next(d for d in doc["drift"] if d["name"] == "urllib3")
    assert {v["label"]: v["projects"] for v in urllib3["versions"]} == {
        "1.26.5": ["analysis"],
        "2.0.3": ["etl"],
        ">=1.26": ["service"],
    }
    assert doc["drift"][0]["name"] == "urllib3"
    vulns = [v for v in doc["vulnerabilities"] if v["name"] == "urllib3"]
    assert vulns
    assert all(v["projects"] == ["analysis", "etl"] for v in vulns)
    assert len({v["id"] for v in vulns}) == len(vulns)  # each counted once
    assert [(u["name"], u["project"]) for u in doc["used_once"]] == [("onlyhere", "reports")]
    assert [(u["project"], u["name"], u["version"]) for u in doc["undeclared"]] == [
        ("notebooks", "oddball", "0.1")
    ]  # depx is helper's dependency, pip is the installer: neither is undeclared
    assert [p["project"] for p in doc["not_floating"]] == ["analysis", "etl", "reports/tools"]

    constraints = tmp_path / "constraints.txt"
    code, out, err = run(["fleet", "constraints", "-o", str(constraints)])
    assert code == 0, err
    lines = [x for x in constraints.read_text(encoding="utf-8").splitlines() if x[:1] != "#"]
    assert lines == [
        "depx>=1.0", "helper>=1.0", "oddball>=0.1", "onlyhere>=0.5", "tinyapp>=1.0",
        "urllib3>=2.0.7",  # 2.0.3 is vulnerable, 2.0.7 is not (in the recorded data)
    ]  # fmt: skip

    def resolve(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        cmd += ["--index-url", simple.url, "-c", str(constraints), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=pip_env(), check=False)

    # a == pin below the shared floor cannot resolve: what the report says to relax
    assert resolve("-r", str(root / "analysis/requirements.txt")).returncode != 0
    for project in ("analysis", "etl", "reports/tools"):
        assert run(["relax", "--project", str(root / project), "-q"])[0] == 0
    for args in (
        ("-r", str(root / "analysis/requirements.txt")),
        ("-r", str(root / "etl/requirements.txt")),
        ("-r", str(root / "notebooks/requirements.in")),
        ("-r", str(root / "reports/requirements.txt")),
        ("-r", str(root / "reports/tools/requirements.txt")),
        ("urllib3>=1.26", "helper>=1.0", "tinyapp>=1.0"),  # service's dependencies and group
    ):
        done = resolve(*args)
        assert done.returncode == 0, done.stderr
        would = done.stdout.rpartition("Would install ")[2].split()
        assert all(
            Version(w.rpartition("-")[2]) >= Version("2.0.7")
            for w in would
            if w.startswith("urllib3-")
        )

    # and one real install, through PIP_CONSTRAINT as CI would set it
    venv = create_venv(tmp_path / "etl-venv")
    env = {**pip_env(), "PIP_CONSTRAINT": str(constraints)}
    cmd = [sys.executable, "-m", "pip", "--python", str(venv.python), "install"]
    cmd += ["--index-url", simple.url, "-r", str(root / "etl/requirements.txt")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    (installed,) = venv.site_packages.glob("urllib3-*.dist-info")
    assert Version(installed.name.removesuffix(".dist-info").partition("-")[2]) >= Version("2.0.7")
