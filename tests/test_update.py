"""`pipvet update` end to end: real virtual environments, real pip, a real loopback package
index (PEP 691 JSON with upload times, so pip's own cooldown filters), wheels built here, a
small OSV bucket on disk whose records make an installed version vulnerable, and a second
loopback index answering the JSON API (recorded real answers plus crafted ones) and the
popularity list for vetting the packages new to the environment."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from tests.support.httpserver import LoopbackServer
from tests.support.index_server import IndexServer, document, index_server
from tests.support.osv_bucket import csv_for, zip_of
from tests.support.pipvenv import venv_with_pip
from tests.support.simple_index import SimpleIndex, current_pip_wheel, venv_with_current_pip
from tests.support.wheels import Venv, _python_in, build_wheel, pip_install

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def advisory(record_id: str, package: str, fixed: str) -> dict[str, Any]:
    return {
        "id": record_id,
        # A day ago: current data (older than max-data-age-days fails `update --ci`).
        "modified": (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "published": "2026-01-01T00:00:00Z",
        "summary": f"{package} lets an attacker read files",
        "database_specific": {"severity": "HIGH"},
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


@pytest.fixture
def vet_index(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    """The JSON API and popularity list vetting asks, on loopback."""
    with index_server(shared_data) as idx:
        monkeypatch.setenv("PIPVET_INDEX_URL", idx.url)
        monkeypatch.setenv("PIPVET_TOP_PACKAGES_URL", idx.popularity_url)
        yield idx


def crafted(
    vet_index: IndexServer, name: str, ages: dict[str, float], owners: tuple[str, ...]
) -> None:
    """Serve an index answer for ``name``: releases uploaded ``ages[version]`` days ago."""
    releases = {v: (NOW - timedelta(days=d)).isoformat() for v, d in ages.items()}
    vet_index.project(name, document(name, releases, owners=owners))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vet_index: IndexServer) -> Path:
    """A project folder with a policy (cooldown 3 days), pip pointed at nothing but the test
    index (set per test), no pip configuration, a small OSV bucket on disk, and vetting
    pointed at the loopback JSON index."""
    for key in list(os.environ):
        if key.startswith("PIP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PIPVET_OSV_OVERLAY", raising=False)
    records = [advisory("PYSEC-2099-1", "beta", "1.1"), advisory("PYSEC-2099-2", "delta", "1.1")]
    bucket = tmp_path / "osv" / "PyPI"
    bucket.mkdir(parents=True)
    (bucket / "all.zip").write_bytes(zip_of(records))
    (bucket / "modified_id.csv").write_bytes(csv_for(records))
    monkeypatch.setenv("PIPVET_OSV_URL", str(tmp_path / "osv"))
    root = tmp_path / "project"
    root.mkdir()
    (root / "pipvet.toml").write_text("cooldown-days = 3\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def publish(index: SimpleIndex, name: str, version: str, age_days: float, **kw: Any) -> Path:
    path = build_wheel(index.folder, name, version, **kw)
    index.set_uploaded(path.name, NOW - timedelta(days=age_days))
    return path


@pytest.fixture
def index(
    tmp_path: Path, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> SimpleIndex:
    idx = SimpleIndex(http_server, tmp_path / "index")
    monkeypatch.setenv("PIP_INDEX_URL", idx.url)
    return idx


def publish_scenario(index: SimpleIndex) -> None:
    # alpha: 1.1 is old enough, 1.2 is one day old and must not be taken (cooldown 3 days);
    # alpha 1.1 brings a new dependency, gamma, whose wheel drops a .pth that runs code.
    publish(index, "alpha", "1.0", 60)
    publish(index, "alpha", "1.1", 10, requires=["epsilon>=1.0", "gamma>=1.0"])
    publish(index, "alpha", "1.2", 1, requires=["epsilon>=1.0", "gamma>=1.0"])
    hook = {"gamma/__init__.py": "", "gamma_hook.pth": "import os; os.getcwd()\n"}
    publish(index, "gamma", "1.0", 5, console_scripts={"gamma-cli": "gamma:main"}, files=hook)
    # epsilon: only a transitive dependency; eager upgrades take it to 1.1
    publish(index, "epsilon", "1.0", 60)
    publish(index, "epsilon", "1.1", 10)
    # beta 1.0 is vulnerable; the fix 1.1 is one day old: installed anyway, and why is said
    publish(index, "beta", "1.0", 60)
    publish(index, "beta", "1.1", 1)
    # delta 1.0 is vulnerable but pinned by the project: reported, not forced
    publish(index, "delta", "1.0", 60)
    publish(index, "delta", "1.1", 1)


def assert_only_the_pip_upgrade_unprotected(result: Any) -> None:
    """The bundled pip had no cooldown flag, so pip's own upgrade went without it; the rest of
    the run had every protection."""
    [unprotected] = result["missing_protections"]
    assert "has no --uploaded-prior-to" in unprotected
    assert f"pip's own upgrade to {result['pip']['after']} ran" in unprotected
    assert "without the 3-day cooldown" in unprotected


def assert_sarif_results(sarif: Any) -> None:
    results = sarif["runs"][0]["results"]
    rule_ids = {r["ruleId"] for r in results}
    assert "pipvet/surface/pth-new" in rule_ids
    assert "PYSEC-2099-2" in rule_ids
    # GitHub code scanning refuses results without a location.
    assert all(r.get("locations") for r in results)
    pth = next(r for r in results if r["ruleId"] == "pipvet/surface/pth-new")
    assert pth["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".pth")


def assert_gamma_vetted(result: Any, sarif: Any, vet_index: IndexServer) -> None:
    """Only what is new (gamma) is vetted, at its installed version, as pipvet vet would."""
    [gamma] = result["vetted"]
    assert (gamma["name"], gamma["version"], gamma["verdict"]) == ("gamma", "1.0", "review")
    levels = {s["id"]: s["level"] for s in gamma["signals"]}
    assert levels["maintainers"] == "review"  # one owner
    assert levels["activity"] == "review"  # first release 5 days ago
    assert "install-code" not in levels  # it is installed already
    assert "subtree" not in levels
    assert result["vet"]["summary"]["review"] == 1
    assert vet_index.lookups().count("gamma") == 1
    assert not {"alpha", "beta", "delta", "epsilon", "pip"} & set(vet_index.lookups())
    results = sarif["runs"][0]["results"]
    [vetted] = [r for r in results if r["ruleId"].startswith("pipvet/vet/")]
    assert vetted["ruleId"] == "pipvet/vet/review"
    assert vetted["properties"]["package"] == "gamma"
    where = vetted["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where.startswith(".venv/")
    assert where.endswith("gamma-1.0.dist-info")


def _required_pip_wheel() -> Path:
    wheel = current_pip_wheel()
    if wheel is None:
        missing = "no current pip wheel (see tests/support/simple_index.py)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI provides it: never skip the main scenario there
        pytest.skip(missing)
    return wheel


def test_update_honours_the_cooldown_except_for_security_fixes(
    project: Path, index: SimpleIndex, tmp_path: Path, vet_index: IndexServer
) -> None:
    wheel = _required_pip_wheel()
    shutil.copy(wheel, index.folder / wheel.name)
    index.set_uploaded(wheel.name, NOW - timedelta(days=30))
    publish_scenario(index)
    # gamma, the one package new to the environment: one owner, first published 5 days ago
    crafted(vet_index, "gamma", {"1.0": 5}, owners=("solo",))
    (project / "requirements.txt").write_text(
        "alpha>=1.0\nbeta>=1.0\ndelta==1.0  # pinned\n", encoding="utf-8"
    )
    venv = venv_with_pip(project / ".venv")  # the pip bundled with Python: too old for the flags
    old = tmp_path / "old"
    old.mkdir()
    for name in ("alpha", "beta", "delta", "epsilon"):
        shutil.copy(index.folder / f"{name}-1.0-py3-none-any.whl", old)
    pip_install(venv, "alpha==1.0", "beta==1.0", "delta==1.0", "epsilon==1.0", find_links=old)

    sarif_path = tmp_path / "update.sarif"
    code, out, err = run(["update", "--format", "json", "--sarif", str(sarif_path)])
    assert "Traceback" not in err
    result = json.loads(out)
    assert code == 1, err  # delta stays vulnerable, and gamma's .pth is unexpected
    sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    assert_sarif_results(sarif)

    changes = {c["name"]: (c["kind"], c["old"], c["new"]) for c in result["changes"]}
    assert changes["alpha"] == ("upgraded", "1.0", "1.1")  # not 1.2: inside the cooldown
    assert changes["epsilon"] == ("upgraded", "1.0", "1.1")  # transitive, eager
    assert changes["beta"] == ("upgraded", "1.0", "1.1")  # the security fix
    assert changes["gamma"] == ("added", None, "1.0")
    assert changes["pip"][0] == "upgraded"
    assert "delta" not in changes
    assert result["pip"]["after"] == wheel.name.split("-")[1]
    assert result["cooldown"]["uploaded_prior_to"] is not None
    assert_only_the_pip_upgrade_unprotected(result)

    fixes = {f["name"]: f for f in result["security_fixes"]}
    assert fixes["beta"]["applied"] is True
    assert "within the 3-day cooldown" in fixes["beta"]["reason"]
    assert fixes["delta"]["applied"] is False
    assert "requirements.txt:3" in fixes["delta"]["reason"]
    assert "pipvet relax" in fixes["delta"]["reason"]

    surface = {(s["kind"], Path(s["subject"]).name): s["level"] for s in result["surface"]}
    assert surface[("pth-new", "gamma_hook.pth")] == "warning"
    assert surface[("script-new", "gamma-cli")] == "note"

    assert_gamma_vetted(result, sarif, vet_index)
    audit = {d["name"]: [f["id"] for f in d["findings"]] for d in result["audit"]["dependencies"]}
    assert audit["delta"] == ["PYSEC-2099-2"]
    assert audit["beta"] == []
    # the main upgrade passed the protective flags to pip
    main_cmd = next(c for c in result["commands"] if "--upgrade-strategy" in c)
    assert "--only-final" in main_cmd
    assert "--uploaded-prior-to" in main_cmd

    # a second run changes nothing and prints the change table's empty form
    code, out, err = run(["update", "--format", "text"])
    assert "No package changed." in out, err
    assert "delta 1.0 (fix 1.1 NOT installed)" in out
    assert "New packages vetted" not in out  # nothing new: nothing to vet


def test_a_security_fix_is_that_release_never_a_fresher_one(
    project: Path, index: SimpleIndex, tmp_path: Path, vet_index: IndexServer
) -> None:
    """The fix 1.1 skips the cooldown; 1.2, uploaded minutes ago, must not ride along with it:
    an upgrade is not vetted, so the cooldown is all that stands in its way."""
    wheel = _required_pip_wheel()
    shutil.copy(wheel, index.folder / wheel.name)
    index.set_uploaded(wheel.name, NOW - timedelta(days=30))
    publish(index, "beta", "1.0", 60)
    publish(index, "beta", "1.1", 1)
    publish(index, "beta", "1.2", 0.01)
    (project / "requirements.txt").write_text("beta>=1.0\n", encoding="utf-8")
    venv = venv_with_pip(project / ".venv")
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(index.folder / "beta-1.0-py3-none-any.whl", old)
    pip_install(venv, "beta==1.0", find_links=old)
    code, out, err = run(["update", "--format", "json"])
    result = json.loads(out)
    changes = {c["name"]: (c["old"], c["new"]) for c in result["changes"]}
    assert changes["beta"] == ("1.0", "1.1"), err
    [fix] = result["security_fixes"]
    assert (fix["fixed"], fix["applied"]) == ("1.1", True)
    assert code == 0, err


def test_update_creates_the_venv_and_says_what_an_old_pip_cannot_protect(
    project: Path, index: SimpleIndex, vet_index: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no pip wheel on this index: the bundled pip stays, and it has no cooldown flag
    publish(index, "alpha", "1.0", 60)
    publish(index, "alpha", "1.2", 1)
    crafted(vet_index, "alpha", {"1.0": 60, "1.2": 1}, owners=("ann", "bob"))
    (project / "requirements.txt").write_text("alpha>=1.0\n", encoding="utf-8")
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = run(["update", "--ci"])
    assert "Traceback" not in err
    assert (project / ".venv" / "pyvenv.cfg").is_file()
    assert "Created" in out
    assert "cooldown was NOT applied" in out
    assert "cooldown NOT applied" in out
    assert "added      alpha  1.2" in out  # what the missing cooldown let in
    assert "New packages vetted (1; vet-fail-on = avoid):" in out
    assert code == 0, out + err  # alpha is no reason to avoid
    assert "New packages vetted" in summary.read_text(encoding="utf-8")
    sarif = json.loads((project / "pipvet.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"

    # the same environment takes on a look-alike of a popular name: avoid, exit 1. Its first
    # release is older than the popularity list, so its absence from the list counts (a
    # project newer than the list is only review: the list cannot know it).
    publish(index, "colourama", "1.0", 30)
    crafted(vet_index, "colourama", {"1.0": 400}, owners=("mallory",))
    (project / "requirements.txt").write_text("alpha>=1.0\ncolourama>=1.0\n", encoding="utf-8")
    code, out, err = run(["update"])
    assert code == 1, out + err
    assert "AVOID     colourama 1.0  did you mean colorama?" in out
    assert "typosquat: 'colourama' looks like a mistyped 'colorama'" in out
    assert "AVOID: 1 avoid (1 package)" in out

    offline_vetting_fails_closed_and_is_retried(project, index, vet_index, monkeypatch)


def offline_vetting_fails_closed_and_is_retried(
    project: Path, index: SimpleIndex, vet_index: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--offline vets from the cache; what is not cached is unchecked (exit 2) and is vetted
    by the next update even though it is no longer new. Offline, pip gets --no-index: new
    packages come from the user's own find-links folder (an air-gapped set-up), never from
    the index."""
    for name in ("zeta", "eta"):
        publish(index, name, "1.0", 60)
        crafted(vet_index, name, {"0.9": 400, "1.0": 60}, owners=("ann", "bob"))
    assert run(["vet", "zeta==1.0"])[0] == 0  # vetted before adoption: the answer is cached
    (project / "requirements.txt").write_text("alpha\ncolourama\nzeta\neta\n", encoding="utf-8")
    vet_index.server.requests.clear()
    index.server.requests.clear()
    with monkeypatch.context() as offline:
        offline.setenv("PIP_FIND_LINKS", str(index.folder))
        code, out, err = run(["update", "--offline", "--format", "json"])
    assert vet_index.server.requests == []  # offline: nothing asked of the index
    assert index.server.requests == []  # nor of the package index, by pip
    assert code == 2, err  # eta could not be vetted: fail closed
    result = json.loads(out)
    verdicts = {p["name"]: p["verdict"] for p in result["vetted"]}
    assert verdicts == {"zeta": "review", "eta": "unchecked"}  # review: not a popular name
    assert "--offline: not in the local cache, so not checked: eta" in result["vet"]["data_notes"]
    pending = project / ".venv" / "pipvet-unvetted.json"
    assert json.loads(pending.read_text(encoding="utf-8")) == {"unvetted": ["eta"]}

    code, out, err = run(["update", "--format", "json"])
    result = json.loads(out)
    assert result["new_packages"] == []
    assert [(p["name"], p["verdict"]) for p in result["vetted"]] == [("eta", "review")]
    assert code == 0, err
    assert not pending.exists()


def test_update_refuses_a_system_python(project: Path) -> None:
    system = Path(sys.base_prefix) / "bin" / "python3"
    if not system.exists() or (Path(sys.base_prefix) / "pyvenv.cfg").exists():
        pytest.skip("no system interpreter to point at")
    code, _out, err = run(["update", "--python", str(system)])
    assert code == 2
    assert "is not a virtual or conda environment" in err
    assert "will not change a system Python" in err
    assert "hint: create a project environment" in err


# ------------------------------------------------------------ a new project, end to end


def write_bucket(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    bucket = tmp_path / "osv" / "PyPI"
    (bucket / "all.zip").write_bytes(zip_of(records))
    (bucket / "modified_id.csv").write_bytes(csv_for(records))


def seeded_version(venv: Path, name: str) -> str:
    [meta] = venv.glob(f"lib/python*/site-packages/{name}-*.dist-info")
    return meta.name[len(name) + 1 : -len(".dist-info")]


def test_init_then_update_is_clean_on_a_fresh_venv(
    project: Path, index: SimpleIndex, vet_index: IndexServer, tmp_path: Path
) -> None:
    """``python -m venv`` seeds a setuptools that advisories name (65.5.0 on Python 3.11);
    update upgrades it although no requirements file names it, so the new project's first
    update is clean, and doctor then has nothing to send back to update."""
    wheel = _required_pip_wheel()
    shutil.copy(wheel, index.folder / wheel.name)
    index.set_uploaded(wheel.name, NOW - timedelta(days=30))
    write_bucket(tmp_path, [advisory("PYSEC-2099-9", "setuptools", "70.0")])
    publish(index, "setuptools", "80.0", 30)  # newer than the seeded one, past the cooldown
    publish(index, "alpha", "1.0", 60)
    crafted(vet_index, "alpha", {"0.9": 400, "1.0": 60}, owners=("ann", "bob"))
    (project / "requirements.txt").write_text("alpha>=1.0\n", encoding="utf-8")

    code, out, err = run(["init", "--no-ci", "--no-vscode"])
    assert code == 0, out + err
    seeded = seeded_version(project / ".venv", "setuptools")
    from packaging.version import Version

    assert Version(seeded) < Version("70.0")  # the venv seeded an affected setuptools

    code, out, err = run(["update", "--format", "json"])
    assert "Traceback" not in err
    result = json.loads(out)
    changes = {c["name"]: (c["kind"], c["old"], c["new"]) for c in result["changes"]}
    assert changes["setuptools"] == ("upgraded", seeded, "80.0"), err
    assert changes["alpha"] == ("added", None, "1.0")
    main_cmd = next(c for c in result["commands"] if "--upgrade-strategy" in c)
    assert "setuptools" in main_cmd  # by name: no requirements file names it
    assert "pip" not in main_cmd[main_cmd.index("-r") :]  # pip was upgraded on its own
    assert result["security_fixes"] == []
    assert code == 0, out + err

    code, out, err = run(["doctor", "--format", "json"])
    checks = {c["id"]: c for c in json.loads(out)["checks"]}
    assert checks["audit"]["status"] != "fail", checks["audit"]  # nothing sends it back
    assert "no known vulnerabilities" in checks["audit"]["summary"]


def test_update_in_a_folder_that_is_no_project_creates_nothing(
    project: Path, index: SimpleIndex
) -> None:
    code, out, err = run(["update"])
    assert code == 2, out + err
    assert "is not a project: it has no requirements file, no pyproject.toml" in err
    assert "nothing was created" in err
    assert "pipvet update --create-venv" in err
    assert not (project / ".venv").exists()
    assert index.server.requests == []

    code, out, err = run(["update", "--create-venv", "--format", "json"])
    assert (project / ".venv" / "pyvenv.cfg").is_file()
    result = json.loads(out)
    [main_cmd] = [c for c in result["commands"] if "--upgrade-strategy" in c]
    assert "setuptools" in main_cmd  # what venv seeded is kept up to date too
    assert code == 0, out + err


def test_update_offline_keeps_pip_off_the_index(
    project: Path, index: SimpleIndex, vet_index: IndexServer, tmp_path: Path
) -> None:
    publish(index, "alpha", "1.0", 60)
    publish(index, "alpha", "1.1", 10)
    venv = venv_with_pip(project / ".venv")
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(index.folder / "alpha-1.0-py3-none-any.whl", old)
    pip_install(venv, "alpha==1.0", find_links=old)
    (project / "requirements.txt").write_text("alpha>=1.0\n", encoding="utf-8")
    assert run(["db", "sync"])[0] == 0
    index.server.requests.clear()

    code, out, err = run(["update", "--offline", "--format", "json"])
    assert index.server.requests == []  # pip was kept off the index
    result = json.loads(out)
    assert result["changes"] == []  # alpha 1.1 is on the index, but offline keeps 1.0
    assert all("--no-index" in c for c in result["commands"])
    assert code == 0, out + err


# ------------------------------------------------------------ interrupted updates

RESUME_NAMES = ("alpha", "epsilon", "zeta", "eta", "iota", "kappa")


def _publish_cli_packages(
    index: SimpleIndex, vet_index: IndexServer, names: tuple[str, ...]
) -> None:
    for name in names:
        publish(index, name, "1.0", 60, console_scripts={f"{name}-cli": f"{name}:main"})
        crafted(vet_index, name, {"0.9": 400, "1.0": 60}, owners=("ann", "bob"))


def _start_update(project: Path) -> subprocess.Popen[str]:
    """``pipvet update`` as its own process group, as a terminal would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipvet", "update", "--format", "json"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def _wait_for(condition: Any, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"pipvet ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("point", "signum"),
    [
        ("vetting", signal.SIGINT),  # pip installed everything; Ctrl-C while vetting
        ("vetting", signal.SIGKILL),  # the same, killed outright: no clean-up ran
        ("pip", signal.SIGINT),  # Ctrl-C while pip downloads the main upgrade
        ("pip", signal.SIGKILL),
    ],
)
def test_an_interrupted_update_loses_nothing(
    project: Path, index: SimpleIndex, vet_index: IndexServer, point: str,
    signum: signal.Signals,
) -> None:  # fmt: skip
    _publish_cli_packages(index, vet_index, (*RESUME_NAMES, "omicron"))
    venv_with_pip(project / ".venv")
    (project / "requirements.txt").write_text("\n".join(RESUME_NAMES) + "\n", encoding="utf-8")
    assert run(["db", "sync"])[0] == 0  # advisory data in place: the child goes straight on
    record = project / ".venv" / "pipvet-update.json"

    if point == "vetting":
        vet_index.server.latency = 30.0  # vetting waits on the index: pip is long done
        proc = _start_update(project)
        _wait_for(lambda: bool(vet_index.server.requests), proc, "vetting began")
    else:
        index.server.latency = 0.5  # pip is mid-download when the signal arrives
        proc = _start_update(project)
        _wait_for(
            lambda: any(p.startswith("/files/") for p in index.server.paths_requested()),
            proc, "pip began downloading",
        )  # fmt: skip
    os.killpg(proc.pid, signum)
    proc.communicate(timeout=60)
    assert proc.returncode == (130 if signum == signal.SIGINT else -signal.SIGKILL)
    assert record.is_file()  # the run's record outlives it
    vet_index.server.latency = index.server.latency = 0.0

    # Between the runs the project gains one more package: both sets are vetted now.
    names = (*RESUME_NAMES, "omicron")
    (project / "requirements.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    code, out, err = run(["update", "--format", "json"])
    assert "Traceback" not in err
    assert out, err
    result = json.loads(out)
    assert "finishing the update interrupted at" in err
    assert any("was interrupted" in w for w in result["warnings"])
    added = {c["name"] for c in result["changes"] if c["kind"] == "added"}
    assert added == {canonicalize(n) for n in names}
    assert sorted(p["name"] for p in result["vetted"]) == sorted(canonicalize(n) for n in names)
    scripts = {s["subject"] for s in result["surface"] if s["kind"] == "script-new"}
    assert scripts == {f"{n}-cli" for n in names}
    assert code == 0, out + err
    assert not record.exists()  # finished: the next run starts afresh

    code, out, err = run(["update", "--format", "json"])
    result = json.loads(out)
    assert (result["changes"], result["vetted"], code) == ([], [], 0), err


def canonicalize(name: str) -> str:
    return name.replace("_", "-").lower()


def test_a_package_pip_installed_without_a_verdict_fails_the_update(
    project: Path, index: SimpleIndex, vet_index: IndexServer, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    """pip installs the vetted set and nothing else: here pip's configuration sends installs
    to another folder, where the environment scan does not look, so nothing would be vetted;
    pip's install report still names what it installed, and that has no verdict."""
    _publish_cli_packages(index, vet_index, ("alpha",))
    # A target folder starts empty: pip and the seeded setuptools come from the index too.
    wheel = _required_pip_wheel()
    shutil.copy(wheel, index.folder / wheel.name)
    publish(index, "setuptools", "80.0", 30)
    venv_with_pip(project / ".venv")
    (project / "requirements.txt").write_text("alpha\n", encoding="utf-8")
    monkeypatch.setenv("PIP_TARGET", str(tmp_path / "elsewhere"))
    code, out, err = run(["update", "--format", "json"])
    assert out, err
    result = json.loads(out)
    assert (tmp_path / "elsewhere" / "alpha").is_dir()  # pip did install it
    [warning] = [w for w in result["warnings"] if "without a verdict" in w]
    assert "pip installed alpha 1.0, new to the environment, without a verdict" in warning
    assert "pip installed it elsewhere" in warning
    assert "pipvet vet alpha==1.0" in warning
    assert code == 1, out + err


# ------------------------------------------------------------ asking the index before pip


def files_fetched(index: SimpleIndex) -> list[str]:
    return index.requested_files()


def update(index: SimpleIndex) -> tuple[int, dict[str, object], str]:
    index.server.requests.clear()
    code, out, err = run(["update", "--format", "json"])
    assert "Traceback" not in err
    return code, json.loads(out), err


def test_pip_runs_only_when_something_would_change(
    project: Path, index: SimpleIndex, vet_index: IndexServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    wheel = _required_pip_wheel()
    shutil.copy(wheel, index.folder / wheel.name)
    index.set_uploaded(wheel.name, NOW - timedelta(days=30))
    publish(index, "alpha", "1.0", 60, requires=["epsilon>=1.0"])
    publish(index, "epsilon", "1.0", 60)
    venv = venv_with_current_pip(project / ".venv")
    old = tmp_path / "old"
    old.mkdir()
    for name in ("alpha", "epsilon"):
        shutil.copy(index.folder / f"{name}-1.0-py3-none-any.whl", old)
    pip_install(Venv(venv, _python_in(venv)), "alpha==1.0", "epsilon==1.0", find_links=old)
    (project / "requirements.txt").write_text("alpha>=1.0\n", encoding="utf-8")

    # Nothing newer: pip is not run, the index is asked once per project (JSON only).
    code, result, err = update(index)
    assert code == 0, err
    assert "pip not run" in err
    assert result["commands"] == []
    assert result["changes"] == []
    assert files_fetched(index) == []
    asked = index.server.paths_requested()
    assert {"/simple/alpha/", "/simple/epsilon/", "/simple/pip/"} <= set(asked)
    assert all(p.startswith("/simple/") for p in asked)
    assert len(asked) == len(set(asked))
    audited = {d["name"] for d in result["audit"]["dependencies"]}  # type: ignore[index]
    assert {"alpha", "epsilon", "pip"} <= audited  # audited as it is

    # Again within the hour: the answers come from the cache, nothing is asked.
    code, result, err = update(index)
    assert (code, result["commands"], index.server.paths_requested()) == (0, [], [])

    # A release inside the cooldown changes nothing (and the cache is not even asked).
    publish(index, "epsilon", "1.1", 1)
    shutil.rmtree(tmp_path / "cache" / "http", ignore_errors=True)  # as if an hour passed
    code, result, err = update(index)
    assert (code, result["commands"], result["changes"]) == (0, [], []), err

    # A release older than the cooldown (a transitive dependency): pip upgrades it.
    publish(index, "epsilon", "1.2", 10)
    shutil.rmtree(tmp_path / "cache" / "http", ignore_errors=True)  # as if an hour passed
    code, result, err = update(index)
    assert "asking pip: epsilon 1.2 is newer than the installed 1.0" in err
    changes = {c["name"]: (c["old"], c["new"]) for c in result["changes"]}  # type: ignore[attr-defined]
    assert changes == {"epsilon": ("1.0", "1.2")}, err
    assert code == 0, err

    # A requirement nothing installed satisfies: pip installs it, and it is vetted.
    publish(index, "zeta", "1.0", 60)
    crafted(vet_index, "zeta", {"0.9": 400, "1.0": 60}, owners=("ann", "bob"))
    (project / "requirements.txt").write_text("alpha>=1.0\nzeta\n", encoding="utf-8")
    code, result, err = update(index)
    assert "asking pip: zeta (required) is not installed" in err
    assert [p["name"] for p in result["vetted"]] == ["zeta"]  # type: ignore[attr-defined]

    # Settings the pre-check does not model leave the decision to pip.
    monkeypatch.setenv("PIP_FIND_LINKS", str(old))
    code, result, err = update(index)
    assert "asking pip: the environment sets PIP_FIND_LINKS" in err
    assert result["commands"] != []
    assert code == 0, err


def test_a_requirements_file_cannot_send_a_variable_to_a_host_it_chose(
    project: Path, index: SimpleIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip fills in ${NAME} from its environment in every line it reads: on a pull request's
    branch, `update` would have handed a CI secret to the file's host."""
    monkeypatch.setenv("PIPVET_TEST_SECRET", "s3cr3t")
    venv_with_current_pip(project / ".venv")
    host = index.url.split("/simple")[0]
    (project / "requirements.txt").write_text(
        f"--extra-index-url {host}/${{PIPVET_TEST_SECRET}}/simple\nalpha>=1.0\n",
        encoding="utf-8",
    )
    index.server.requests.clear()
    code, out, err = run(["update"])
    assert code == 2, out + err
    flat = " ".join(err.split())
    assert "requirements.txt:1: '--extra-index-url" in flat
    assert "as part of an address the file chose (${PIPVET_TEST_SECRET})" in flat
    assert index.server.paths_requested() == []

    # A credential for the index pip's own settings name (PIP_INDEX_URL here) is the user's.
    (project / "requirements.txt").write_text(
        f"--extra-index-url http://${{PIPVET_TEST_SECRET}}@{host[7:]}/extra/\nalpha>=1.0\n",
        encoding="utf-8",
    )
    code, out, err = run(["update"])
    assert "environment variables" not in err
    assert "/extra/alpha/" in index.server.paths_requested()  # pip was given the file
