"""``pipvet vet`` end to end: a loopback index serving the recorded real answers, the real OSV
snapshot synced into a real SQLite store, a real (empty) virtual environment as the target,
and a fixed clock on the date the answers were recorded."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, build_parser, handle_errors, main
from pipvet.cli import vet as vet_cli
from pipvet.system.process import SubprocessRunner
from tests.support.httpserver import Reply
from tests.support.index_server import IndexServer, document, index_server, sdist_file
from tests.support.interrupt import press_ctrl_c, start_pipvet
from tests.support.parsed_copy import Copy
from tests.support.pipvenv import venv_with_pip
from tests.support.sdists import BuildKind, build_marker_sdist, setuptools_wheel
from tests.support.simple_index import SimpleIndex
from tests.support.wheels import Venv, build_wheel, create_venv, pip_env

# Every test here vets into a real (empty) virtual environment made for the module.
pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 27, 11, 1, tzinfo=UTC).timestamp()
SIGNAL_IDS = [
    "exists", "malware", "vulnerabilities", "typosquat", "popularity", "maintainers",
    "activity", "funding", "security-policy", "source", "install-code", "subtree",
]  # fmt: skip


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]

    def package(self, name: str) -> dict[str, Any]:
        return next(p for p in self.json()["packages"] if p["name"] == name)


def signal(package: dict[str, Any], signal_id: str) -> dict[str, Any]:
    return next(s for s in package["signals"] if s["id"] == signal_id)


@dataclass
class World:
    index: IndexServer
    venv: Venv
    root: Path
    osv: Path
    cache: Path
    runner: SubprocessRunner

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PIPVET_INDEX_URL": self.index.url,
            "PIPVET_TOP_PACKAGES_URL": self.index.popularity_url,
            "PIPVET_OSV_URL": str(self.osv),
            "PIPVET_CACHE_DIR": str(self.cache),
            "HOME": str(self.root / "home"),
            "PATH": os.environ.get("PATH", ""),
        }
        env.update(extra)
        return env

    def vet(self, *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        """Run the command as ``main`` would, with this world's clock, runner and target."""
        target = [] if {"--python", "--venv"} & set(argv) else ["--venv", str(self.venv.root)]
        args = build_parser().parse_args(["vet", *argv, *target])
        out, err = io.StringIO(), io.StringIO()
        output = Output(out, err)
        with handle_errors(output) as status:
            status.code = vet_cli.run(
                args,
                output,
                environ=env or self.env(),
                cwd=cwd or self.root,
                clock=lambda: NOW,
                runner=self.runner,
            )
        return Result(status.code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def empty_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """The target: a real virtual environment with nothing installed (vetting never changes it)."""
    return create_venv(tmp_path_factory.mktemp("target") / "venv")


@pytest.fixture(scope="module")
def warm_cache(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory, empty_venv: Venv
) -> Path:
    """A cache with the advisory snapshot synced and the popularity list loaded, once."""
    root = tmp_path_factory.mktemp("warm")
    venv = empty_venv
    with index_server(shared_data) as index:
        world = World(
            index, venv, root, shared_data / "osv", root / "cache", SubprocessRunner(env=pip_env())
        )
        # Every recorded answer fetched and parsed once: tests start from a warm cache.
        assert world.vet(*index.recorded_names()).code in (0, 1)
    return root / "cache"


@pytest.fixture
def world(shared_data: Path, tmp_path: Path, warm_cache: Path, empty_venv: Venv) -> Iterator[World]:
    shutil.copytree(warm_cache, tmp_path / "cache")
    (tmp_path / "home").mkdir()
    venv = empty_venv
    with index_server(shared_data) as index:
        yield World(
            index, venv, tmp_path, shared_data / "osv", tmp_path / "cache",
            SubprocessRunner(env=pip_env()),
        )  # fmt: skip


# ------------------------------------------------------------------------ what is checked


@pytest.mark.parametrize(
    ("name", "did_you_mean"),
    [
        ("colourama", "colorama"),
        ("reqeusts", "requests"),
        ("python3-dateutil", "python-dateutil"),
        ("sklearn", "scikit-learn"),
        ("surely-no-such-package-exists-here", None),
    ],
)
def test_avoid_with_the_right_did_you_mean(
    world: World, name: str, did_you_mean: str | None
) -> None:
    result = world.vet(name, "--format", "json")
    assert result.code == 1
    package = result.package(name)
    assert package["verdict"] == "avoid"
    assert package["did_you_mean"] == did_you_mean
    exists = signal(package, "exists")
    assert exists["level"] == "avoid"
    assert "whatever someone registers" in exists["message"]
    squat = signal(package, "typosquat")
    if did_you_mean:
        assert squat["level"] == "avoid"
        assert squat["value"] == did_you_mean
        assert f"install {did_you_mean}" in squat["message"]
    else:
        assert squat["level"] == "ok"


def test_sklearn_says_install_scikit_learn(world: World) -> None:
    result = world.vet("sklearn")
    assert "did you mean scikit-learn?" in result.stdout
    assert "pip install scikit-learn" in result.stdout


def test_popular_packages_are_not_avoid(world: World) -> None:
    result = world.vet("requests", "pandas", "numpy", "--format", "json")
    assert result.code == 0, result.stdout + result.stderr
    for name in ("requests", "pandas", "numpy"):
        package = result.package(name)
        assert package["verdict"] in ("ok", "review"), (name, package["verdict"])
        assert [s["id"] for s in package["signals"]] == SIGNAL_IDS
        assert package["did_you_mean"] is None
    requests = result.package("requests")
    assert requests["version"] == "2.34.2"
    assert [d["name"] for d in requests["new_dependencies"]] == [
        "certifi", "charset-normalizer", "idna", "urllib3",
    ]  # fmt: skip
    assert signal(requests, "subtree")["value"] == 4


def test_single_maintainer_note_and_the_limit(world: World) -> None:
    result = world.vet("fastapi", "black", "--format", "json")
    fastapi = signal(result.package("fastapi"), "maintainers")
    # One maintainer of a widely used, recently released project: a fact, not a reason.
    assert fastapi["level"] == "info"
    assert "single maintainer" in fastapi["message"].lower()
    assert fastapi["threshold"] == "2 to 5 maintainers"
    assert fastapi["source"] == "index: ownership.roles, ownership.organization"
    black = signal(result.package("black"), "maintainers")
    assert black["level"] == "ok"  # five owners: at the limit, not over it
    assert "single" not in black["message"].lower()
    assert len(black["value"]["accounts"]) == 5


def test_pycrypto_is_inactive_and_vulnerable(world: World) -> None:
    package = world.vet("pycrypto", "--format", "json").package("pycrypto")
    activity = signal(package, "activity")
    assert activity["level"] == "review"
    assert "inactive" in activity["message"].lower()
    assert activity["value"]["last_release"] == "2014-06-20"
    vulns = signal(package, "vulnerabilities")
    assert vulns["level"] == "avoid"
    assert "PYSEC-2017-94" in vulns["value"]
    assert "PYSEC-2018-97" in vulns["value"]
    assert signal(package, "install-code")["level"] == "review"  # sdist only: build code runs
    assert package["verdict"] == "avoid"


def test_organisation_and_shared_account_are_stated(world: World) -> None:
    result = world.vet("attrs", "boto3", "--format", "json")
    attrs = signal(result.package("attrs"), "maintainers")
    assert "organisation 'attrs'" in attrs["message"]
    assert attrs["value"]["organization"] == "attrs"
    boto3 = signal(result.package("boto3"), "maintainers")
    assert "'aws' looks like a shared account" in boto3["message"]
    assert boto3["value"]["shared_accounts"] == ["aws"]


def test_a_project_younger_than_30_days(world: World) -> None:
    world.index.project(
        "fresh-helper",
        document(
            "fresh-helper",
            {"0.1.0": "2026-11-20T09:00:00Z", "0.1.1": "2026-11-24T09:00:00Z"},
            project_urls={"Source": "https://github.com/someone/fresh-helper"},
        ),
    )
    package = world.vet("fresh-helper", "--format", "json").package("fresh-helper")
    activity = signal(package, "activity")
    assert activity["level"] == "review"
    assert "new project" in activity["message"].lower()
    assert activity["value"]["age_days"] == 7
    assert package["verdict"] == "review"


def _malware_overlay(root: Path, record_id: str, name: str) -> Path:
    """An overlay folder holding one MAL- record of every version of ``name``."""
    overlay = root / "overlay"
    overlay.mkdir()
    record = {
        "id": record_id,
        "modified": "2026-11-01T00:00:00Z",
        "summary": f"Malicious code in {name} (PyPI)",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            }
        ],
    }
    (overlay / f"{record_id}.json").write_text(json.dumps(record))
    return overlay


def test_a_name_not_on_the_index_is_named_as_malware_by_its_raw_records(world: World) -> None:
    # The index no longer has it (removed as malicious): the OSV record says what it was.
    overlay = _malware_overlay(world.root, "MAL-2026-0009", "gone-evil")
    result = world.vet(
        "gone-evil", "--format", "json", env=world.env(PIPVET_OSV_OVERLAY=str(overlay))
    )
    package = result.package("gone-evil")
    assert signal(package, "malware")["level"] == "avoid"
    assert signal(package, "malware")["value"] == ["MAL-2026-0009"]
    assert package["verdict"] == "avoid"


def test_known_malware_from_the_overlay_is_avoid(world: World) -> None:
    overlay = _malware_overlay(world.root, "MAL-2026-0001", "evil-helper")
    world.index.project("evil-helper", document("evil-helper", {"1.0": "2026-01-01T00:00:00Z"}))
    result = world.vet(
        "evil-helper", "--format", "json", env=world.env(PIPVET_OSV_OVERLAY=str(overlay))
    )
    package = result.package("evil-helper")
    assert signal(package, "malware")["level"] == "avoid"
    assert signal(package, "malware")["value"] == ["MAL-2026-0001"]
    assert package["verdict"] == "avoid"
    assert result.code == 1


def test_an_overlay_that_replaces_a_public_record_is_named(world: World) -> None:
    """A replaced MAL- record would let its package pass vetting: the report says so."""
    overlay = world.root / "overlay"
    overlay.mkdir()
    (overlay / "PYSEC-2018-28.json").write_text(
        json.dumps({"id": "PYSEC-2018-28", "modified": "2026-11-01T00:00:00Z", "affected": []})
    )
    result = world.vet(
        "requests", "--format", "json", env=world.env(PIPVET_OSV_OVERLAY=str(overlay))
    )
    (warning,) = [w for w in result.json()["warnings"] if "overlay" in w]
    assert "replaces public records with its own: PYSEC-2018-28" in warning
    assert "not listed in the policy's overlay-replaces" in warning


def test_pinned_old_release_with_a_fixed_vulnerability(world: World) -> None:
    old = document(
        "requests",
        {"2.19.0": "2018-06-12T14:46:47Z"},
        requires_dist=["chardet<3.1.0,>=3.0.2", "idna<2.8,>=2.5", "certifi>=2017.4.17"],
    )
    del old["releases"]  # a per-release answer carries that release's files under "urls"
    world.index.release("requests", "2.19.0", old)
    package = world.vet("requests==2.19.0", "--format", "json").package("requests")
    # The subtree follows that release's own requirements, not the latest release's.
    assert [d["name"] for d in package["new_dependencies"]] == ["certifi", "chardet", "idna"]
    assert package["version"] == "2.19.0"
    assert package["requested"] == "requests==2.19.0"
    vulns = signal(package, "vulnerabilities")
    assert vulns["level"] == "review"
    assert "PYSEC-2018-28" in vulns["value"]
    assert "2.20.0" in vulns["message"]


def test_old_pin_without_its_own_metadata_says_the_subtree_is_an_estimate(world: World) -> None:
    # No per-release answer for requests 2.25.0 (the index says 404): the newest release's
    # requirements stand in, and the signal says so instead of passing them off as 2.25.0's.
    package = world.vet("requests==2.25.0", "--format", "json").package("requests")
    subtree = signal(package, "subtree")
    assert "charset-normalizer" in [d["name"] for d in package["new_dependencies"]]
    assert "Requirements of requests are from the newest release's metadata" in subtree["message"]
    text = world.vet("requests==2.25.0").stdout
    assert "from the newest release's metadata" in text


def test_deep_counts_packages_as_it_goes(world: World) -> None:
    args = build_parser().parse_args(["vet", "requests", "--deep", "--venv", str(world.venv.root)])
    out, err = io.StringIO(), io.StringIO()
    output = Output(out, err, progress_enabled=True)  # as on a terminal
    with handle_errors(output) as status:
        status.code = vet_cli.run(
            args,
            output,
            environ=world.env(),
            cwd=world.root,
            clock=lambda: NOW,
            runner=world.runner,
        )
    assert status.code == 0
    shown = re.findall(r"vetting (\d+)/(\d+)", err.getvalue())
    # requests first, then its four new dependencies, counted on from it.
    assert shown == [("1", "1"), ("1", "5"), ("2", "5"), ("3", "5"), ("4", "5"), ("5", "5")]
    assert err.getvalue().endswith("\r\x1b[2K")  # the status line is cleared before output


# ------------------------------------------------------------------------ fail closed


def test_unreachable_index_is_unchecked_never_ok(world: World) -> None:
    busy = Reply(503, b"maintenance", {"Retry-After": "0"})  # retried at once, then given up
    world.index.override("six", busy)
    world.index.override("colourama", busy)
    result = world.vet("six", "colourama", "--format", "json")
    assert result.code == 2
    six = result.package("six")
    assert six["verdict"] == "unchecked"
    assert "503" in six["problem"]
    assert signal(six, "exists")["level"] == "unchecked"
    # A check that needs no network still speaks: the look-alike name is avoid regardless.
    assert result.package("colourama")["verdict"] == "avoid"


def test_no_advisory_data_is_unchecked(world: World, tmp_path: Path) -> None:
    env = world.env(PIPVET_OSV_URL=str(tmp_path / "nowhere"), PIPVET_CACHE_DIR=str(tmp_path / "c2"))
    result = world.vet("six", "--format", "json", env=env)
    assert result.code == 2
    six = result.package("six")
    assert signal(six, "vulnerabilities")["level"] == "unchecked"
    assert signal(six, "malware")["level"] == "unchecked"
    assert six["verdict"] == "unchecked"
    assert any("no advisory data" in w for w in result.json()["warnings"])


def test_offline_uses_the_cache_and_says_how_old(world: World) -> None:
    assert world.vet("requests", "colourama").code == 1
    world.index.server.requests.clear()
    result = world.vet("requests", "colourama", "--offline")
    assert world.index.server.requests == []
    assert result.code == 1
    assert "index data from the local cache, fetched" in result.stdout
    assert "--offline: index answers come from the local cache" in result.stdout
    missing = world.vet("requests", "idna", "--offline", "--format", "json")
    # idna was only ever fetched as part of requests' subtree, so it is cached too.
    assert missing.package("idna")["verdict"] != "unchecked"
    never = world.vet("flask", "--offline", "--format", "json")
    assert never.code == 2
    assert never.package("flask")["verdict"] == "unchecked"
    assert any("not in the local cache" in n for n in never.json()["data_notes"])


def test_internal_names_are_never_looked_up(world: World) -> None:
    (world.root / "pipvet.toml").write_text('internal = ["acme-*"]\n')
    result = world.vet("acme-billing", "six", "--format", "json")
    assert result.package("acme-billing")["verdict"] == "internal"
    assert "acme-billing" not in world.index.lookups()
    assert "six" in world.index.lookups()


# ------------------------------------------------------------------------ policy and inputs


def test_policy_thresholds_and_fail_level(world: World) -> None:
    (world.root / "pipvet.toml").write_text('vet-fail-on = "review"\nmax-maintainers = 2\n')
    team = document("team-tool", {"1.0": "2026-10-01T00:00:00Z"}, owners=["ann", "bo", "cy"])
    world.index.project("team-tool", team)
    result = world.vet("requests", "team-tool", "--format", "json")
    maintainers = signal(result.package("requests"), "maintainers")
    assert maintainers["threshold"] == "2 to 2 maintainers"
    assert "3 maintainers can publish releases, more than 2" in maintainers["message"]
    assert maintainers["level"] == "info"  # widely used and recently released: alone, a fact
    team_tool = signal(result.package("team-tool"), "maintainers")
    assert team_tool["level"] == "review"
    assert "together with: not among the 15,000 most downloaded" in team_tool["message"]
    assert result.code == 1  # review reaches the policy's fail level


def test_requirements_file(world: World) -> None:
    req = world.root / "requirements.txt"
    req.write_text(
        "# project deps\nrequests>=2.30\nsix  # small\n-e ./local-src\ncolourama\n",
        encoding="utf-8",
    )
    result = world.vet("-r", str(req), "--format", "json")
    names = [p["name"] for p in result.json()["packages"]]
    assert names == ["requests", "six", "local-src", "colourama"]
    local = result.package("local-src")
    assert local["verdict"] == "unchecked"
    assert "requirements.txt:4" in local["problem"]
    assert result.code == 2  # something could not be checked


def test_requirements_markers_are_those_of_the_target(world: World) -> None:
    req = world.root / "requirements.txt"
    req.write_text(
        'requests==2.19.0; python_version<"3.9"\n'
        'requests>=2.32; python_version>="3.9"\n'
        'pandas==1.0 ; sys_platform=="no-such-platform"\n'
        "six\n",
        encoding="utf-8",
    )
    result = world.vet("-r", str(req), "--format", "json")
    report = result.json()
    assert [p["name"] for p in report["packages"]] == ["requests", "six"]
    requests = result.package("requests")
    assert requests["requested"] == 'requests>=2.32; python_version>="3.9"'
    assert requests["version"] is not None
    assert not requests["version"].startswith("2.19")
    skipped = [w for w in report["warnings"] if w.startswith("skipped")]
    assert skipped == [
        f'skipped requests==2.19.0 ({req}:1): its marker python_version < "3.9" does not '
        "apply to the target",
        f'skipped pandas==1.0 ({req}:3): its marker sys_platform == "no-such-platform" does '
        "not apply to the target",
    ]
    text = world.vet("-r", str(req))
    assert f"note: skipped pandas==1.0 ({req}:3)" in text.stdout


def test_one_name_requested_twice_is_vetted_once_for_both(world: World) -> None:
    result = world.vet("requests==2.19.0", "requests>=2.32", "--format", "json")
    report = result.json()
    assert [p["name"] for p in report["packages"]] == ["requests"]
    package = result.package("requests")
    assert package["requested"] == "requests==2.19.0 and requests>=2.32"
    assert package["version"] is None  # no release is both: pip would fail to install it
    assert package["verdict"] == "unchecked"
    assert result.code == 2
    note = next(w for w in report["warnings"] if w.startswith("requests is requested"))
    assert "2 times (the command line)" in note
    assert "==2.19.0" in note
    assert ">=2.32" in note
    # Compatible requests narrow the release: the newest one satisfying both.
    both = world.vet("requests>=2.30", "requests<2.32", "--format", "json").package("requests")
    assert both["version"].startswith(("2.30", "2.31"))


def test_a_marker_on_the_command_line_is_applied_too(world: World) -> None:
    result = world.vet('pandas; sys_platform=="no-such-platform"', "six", "--format", "json")
    assert [p["name"] for p in result.json()["packages"]] == ["six"]
    assert any(w.startswith("skipped pandas (the command line)") for w in result.json()["warnings"])


def test_deep_vets_the_subtree_too(world: World) -> None:
    result = world.vet("requests", "--deep", "--format", "json")
    packages = {p["name"]: p for p in result.json()["packages"]}
    assert set(packages) == {"requests", "certifi", "charset-normalizer", "idna", "urllib3"}
    for name in ("certifi", "charset-normalizer", "idna", "urllib3"):
        assert packages[name]["required_by"] == "requests"
        assert packages[name]["requested"] is None
        assert packages[name]["verdict"] in ("ok", "review")
    assert packages["certifi"]["version"] == "2026.10.19.post1"


def test_text_and_markdown_formats(world: World) -> None:
    text = world.vet("requests", "colourama").stdout
    block = text.split("requests 2.34.2", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block[0].strip() in ("OK", "REVIEW")
    assert [line.split()[1] for line in block[1:]] == SIGNAL_IDS
    assert text.rstrip().splitlines()[-1].startswith("AVOID: 1 avoid")
    markdown = world.vet("requests", "colourama", "--format", "markdown").stdout
    assert "| Package | Version | Verdict | Why |" in markdown
    assert "| colourama | - | ❌ avoid | did you mean colorama?" in markdown


def test_json_contract(world: World) -> None:
    doc = world.vet("colourama", "--format", "json").json()
    assert set(doc) >= {"tool", "target", "packages", "summary", "warnings"}
    package = doc["packages"][0]
    assert set(package) >= {
        "name", "requested", "version", "verdict", "did_you_mean", "signals",
        "new_dependencies",
    }  # fmt: skip
    assert package["name"] == "colourama"
    assert package["requested"] == "colourama"
    assert package["version"] is None
    assert package["new_dependencies"] == []
    for sig in package["signals"]:
        assert set(sig) == {"id", "level", "value", "threshold", "source", "message"}
    assert doc["summary"]["avoid"] == 1


def test_usage_errors(world: World) -> None:
    nothing = world.vet()
    assert nothing.code == 2
    assert "nothing to vet" in nothing.stderr
    bad = world.vet("requests>>2")
    assert bad.code == 2
    assert "'requests>>2' is not a package name or requirement" in bad.stderr


def test_main_runs_the_registered_command(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(world.root)
    out, err = io.StringIO(), io.StringIO()
    code = main(["vet", "reqeusts", "--venv", str(world.venv.root)], Output(out, err))
    assert code == 1
    assert "did you mean requests?" in out.getvalue()


# ------------------------------------------------------------------------ --resolver pip


@pytest.mark.slow
def test_pip_resolver_counts_what_pip_would_add(world: World, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "vet-app", "1.0", requires=["vet-lib"])
    build_wheel(wheels, "vet-lib", "1.0", requires=["vet-tiny"])
    build_wheel(wheels, "vet-tiny", "1.0")
    for name, deps in (("vet-app", ["vet-lib"]), ("vet-lib", ["vet-tiny"]), ("vet-tiny", [])):
        world.index.project(
            name, document(name, {"1.0": "2026-01-01T00:00:00Z"}, requires_dist=deps)
        )
    venv = venv_with_pip(tmp_path / "pipvenv")
    env = pip_env()
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)})
    world.runner = SubprocessRunner(env=env)
    result = world.vet("vet-app", "--resolver", "pip", "--venv", str(venv.root), "--format", "json")
    package = result.package("vet-app")
    sub = signal(package, "subtree")
    assert sub["value"] == 2
    assert "pip install --dry-run" in sub["source"]
    assert [d["name"] for d in package["new_dependencies"]] == ["vet-lib", "vet-tiny"]
    assert [d["version"] for d in package["new_dependencies"]] == ["1.0", "1.0"]
    assert not (venv.site_packages / "vet_app").exists()  # a dry run installs nothing


def test_a_request_no_release_satisfies(world: World) -> None:
    result = world.vet("requests==99.0", "--format", "json")
    package = result.package("requests")
    assert package["version"] is None
    assert signal(package, "install-code")["level"] == "review"
    assert signal(package, "vulnerabilities")["level"] == "unchecked"
    assert "pip install would fail" in signal(package, "vulnerabilities")["message"]
    assert package["verdict"] == "unchecked"
    assert result.code == 2


# ------------------------------------------------------------------------ nothing runs


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["setup.py", "backend"])
@pytest.mark.parametrize("where", ["find-links", "index"])
def test_pip_resolver_runs_no_build_code(
    world: World, tmp_path: Path, kind: BuildKind, where: str
) -> None:
    """``--resolver pip`` asks pip for wheels only: a release published as source only (even
    one known as malware) is vetted from the index, its subtree unchecked, its code not run."""
    folder, marker = tmp_path / "dists", tmp_path / "MARKER"
    wheel = setuptools_wheel()
    if kind == "setup.py" and wheel is None:
        pytest.skip("this Python bundles no setuptools wheel for the setup.py sdists")
    if wheel is not None:
        folder.mkdir()
        shutil.copy(wheel, folder)
    for name in ("gate-src", "gate-evil"):
        build_marker_sdist(folder, name, "1.0", marker, kind=kind)
        world.index.project(
            name, document(name, {"1.0": [sdist_file(name, "1.0", "2026-01-01T00:00:00Z")]})
        )
    build_marker_sdist(folder, "gate-newer", "2.0", marker, kind=kind)
    build_wheel(folder, "gate-newer", "1.0")
    world.index.project(
        "gate-newer",
        document(
            "gate-newer",
            {"1.0": "2026-01-01T00:00:00Z",
             "2.0": [sdist_file("gate-newer", "2.0", "2026-02-01T00:00:00Z")]},
        ),
    )  # fmt: skip
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "MAL-2026-0002.json").write_text(
        json.dumps(
            {
                "id": "MAL-2026-0002",
                "modified": "2026-11-01T00:00:00Z",
                "summary": "Malicious code in gate-evil (PyPI)",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "gate-evil"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                    }
                ],
            }
        )
    )
    env = pip_env()
    if where == "find-links":
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder)})
    else:
        env["PIP_INDEX_URL"] = SimpleIndex(world.index.server, folder).url
    world.runner = SubprocessRunner(env=env)
    venv = venv_with_pip(tmp_path / "pipvenv")
    req = tmp_path / "requirements.txt"
    req.write_text("gate-newer\ngate-evil\n")
    vet_env = world.env(PIPVET_OSV_OVERLAY=str(overlay))
    for argv in (["gate-src", "gate-evil", "gate-newer"], ["-r", str(req)]):
        result = world.vet(
            *argv, "--resolver", "pip", "--venv", str(venv.root), "--format", "json", env=vet_env
        )
        assert not marker.exists(), marker.read_text()
        newer = signal(result.package("gate-newer"), "subtree")
        assert newer["level"] == "unchecked"
        assert "could not be read without running its build code" in newer["message"]
        assert result.package("gate-evil")["verdict"] == "avoid"
        assert result.code == 2  # something could not be checked
    src = world.vet(
        "gate-src", "--resolver", "pip", "--venv", str(venv.root), "--format", "json", env=vet_env
    ).package("gate-src")
    assert signal(src, "subtree")["level"] == "unchecked"
    assert src["verdict"] == "unchecked"
    assert not marker.exists()


def test_a_target_that_cannot_be_asked_is_the_error(world: World, tmp_path: Path) -> None:
    # A target that cannot answer what it is: that is the error, with nothing vetted.
    venv = tmp_path / "broken-venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\necho 'this interpreter is broken' >&2\nexit 3\n")
    python.chmod(0o755)
    env = world.env(PIPVET_CACHE_DIR=str(tmp_path / "fresh-cache"))
    result = world.vet("six", "--venv", str(venv), "--format", "json", env=env)
    assert result.code == 2
    assert result.stdout == ""
    assert "cannot ask" in result.stderr
    assert "this interpreter is broken" in result.stderr


def test_ctrl_c_while_a_hung_target_is_asked_ends_at_once(world: World, tmp_path: Path) -> None:
    # A target interpreter that never answers (a sitecustomize waiting on the network, say):
    # Ctrl-C ends pipvet and the probe, without waiting for the probe's own timeout.
    import sys
    import time

    started = tmp_path / "probe-started"
    venv = tmp_path / "hung-venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/sh\ntouch '{started}'\nexec sleep 120\n")
    python.chmod(0o755)
    env = world.env(PIPVET_CACHE_DIR=str(tmp_path / "fresh-cache"))
    proc = start_pipvet(
        ["vet", "six", "--venv", str(venv)], {**env, "PYTHONPATH": os.pathsep.join(sys.path)}
    )
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists()
        took, err = press_ctrl_c(proc, timeout=30)
    finally:
        proc.kill()
    assert took < 10
    assert proc.returncode == 130
    assert err.endswith("pipvet: interrupted\n")


@pytest.mark.slow
def test_pip_resolver_checks_what_pip_settings_add(world: World, tmp_path: Path) -> None:
    """pip adds PIP_CONSTRAINT to its dry run too: a local sdist named there would be built
    while the subtree is being read."""
    marker = tmp_path / "MARKER"
    sdist = build_marker_sdist(tmp_path, "gate-local", "1.0", marker, kind="backend")
    shared = tmp_path / "shared.txt"
    shared.write_text(f"six @ file://{sdist}\n")
    settings = {"PIP_NO_INDEX": "1", "PIP_CONSTRAINT": str(shared)}
    world.runner = SubprocessRunner(env={**pip_env(), **settings})
    venv = venv_with_pip(tmp_path / "pipvenv")
    result = world.vet(
        "six", "--resolver", "pip", "--venv", str(venv.root), env=world.env(**settings)
    )
    assert not marker.exists(), marker.read_text()
    assert result.code == 2
    assert "PIP_CONSTRAINT adds '-c " in result.stderr


def _damage_parsed(cache: Path, project: str, damage: str) -> int:
    """Damage every parsed-cache entry of ``project`` one way; how many were changed."""
    changed = 0
    for path in (cache / "index").rglob("*.parsed"):
        head = json.loads(path.read_bytes().split(b"\n", 2)[1])
        if "info" not in head or head["info"][0].lower() != project:
            continue  # another project, or the index's "no such project" kept
        copy = Copy.read(path.read_bytes())
        for i, blob in enumerate(copy.files):
            if not blob:  # a release without files keeps none: a line added is no damage
                continue
            lines = blob.decode().split("\n")
            fields = lines[0].split("\t")
            if damage == "a field missing":
                lines[0] = "\t".join(fields[:4])
            elif damage == "a time that is no time":
                lines[-1] = "\t".join([*fields[:2], "inf", *fields[3:]])
            elif damage == "a yanked flag that is no flag":
                lines[0] = "\t".join([*fields[:3], "yes", *fields[4:]])
            copy.files[i] = "\n".join(lines).encode()
        if damage == "a release time out of range" and copy.times:
            copy.times[0] = float("nan") if changed % 2 else 1e300
        path.write_bytes(copy.bytes())
        changed += 1
    return changed


@pytest.mark.parametrize(
    "damage",
    [
        "a field missing",
        "a time that is no time",
        "a yanked flag that is no flag",
        "a release time out of range",
    ],
)
def test_a_damaged_parsed_answer_is_a_miss(world: World, damage: str) -> None:
    """A parsed answer kept in the cache whose files or times are not what pipvet writes is
    parsed again from the index's answer: the same verdict, never a crash. The files of a
    release are read on first use, so that is where their damage is found."""

    def verdict() -> tuple[int, dict[str, Any]]:
        result = world.vet("requests", "--format", "json")
        package = result.package("requests") if result.code in (0, 1) else {}
        return result.code, {k: v for k, v in package.items() if k != "data_age_seconds"}

    before = verdict()
    assert _damage_parsed(world.cache, "requests", damage) >= 1
    assert verdict() == before
    assert verdict() == before  # and the entry written again is whole


def test_the_stored_package_records_match_as_the_raw_records_do(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vet matches with the digests stored at sync time, as an audit does; the verdicts and
    findings are those of matching the raw records (a database written before the digests)."""
    from pipvet.advisories.store import AdvisoryStore

    argv = (
        "pycrypto", "urllib3==1.26.4", "requests==2.5.0", "jinja2==2.10", "idna", "--deep",
        "--format", "json",
    )  # fmt: skip
    world.vet(*argv)  # every answer in the cache: both runs below read the same
    used: list[bool] = []
    has = AdvisoryStore.has_package_records

    def spy(store: AdvisoryStore) -> bool:
        used.append(has.fget(store))  # type: ignore[attr-defined]
        return used[-1]

    monkeypatch.setattr(AdvisoryStore, "has_package_records", property(spy))
    stored = world.vet(*argv)
    assert used
    assert all(used)
    monkeypatch.setattr(AdvisoryStore, "has_package_records", property(lambda _store: False))
    raw = world.vet(*argv)
    assert stored.code == raw.code == 1
    assert stored.stdout == raw.stdout
    vulns = signal(stored.package("pycrypto"), "vulnerabilities")
    assert vulns["level"] == "avoid"
