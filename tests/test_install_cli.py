"""``pipvet install`` end to end: real venvs with their own pip, real wheels in a local folder
that pip installs from (nothing leaves the machine: PIP_* scrubbed, no config file, no index),
and the loopback package index with the recorded answers for the vetting."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import build_parser
from pipvet.cli import install as install_cli
from pipvet.cli._common import Output, handle_errors
from pipvet.system.process import SubprocessRunner
from tests.support.index_server import IndexServer, document, index_server
from tests.support.pipvenv import venv_with_pip
from tests.support.wheels import Venv, build_wheel, pip_env

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 27, 11, 1, tzinfo=UTC).timestamp()


class Terminal(io.StringIO):
    """Answers typed at an interactive prompt."""

    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@dataclass
class World:
    index: IndexServer
    venv: Venv
    root: Path
    osv: Path
    wheels: Path

    def env(self) -> dict[str, str]:
        return {
            "PIPVET_INDEX_URL": self.index.url,
            "PIPVET_TOP_PACKAGES_URL": self.index.popularity_url,
            "PIPVET_OSV_URL": str(self.osv),
            "PIPVET_CACHE_DIR": str(self.root / "cache"),
            "HOME": str(self.root),
            "PATH": os.environ.get("PATH", ""),
        }

    def runner(self) -> SubprocessRunner:
        env = pip_env()
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheels)})
        return SubprocessRunner(env=env)

    def install(self, *argv: str, stdin: io.StringIO | None = None, target: bool = True) -> Result:
        where = ["--venv", str(self.venv.root)] if target else []
        args = build_parser().parse_args(["install", *where, *argv])
        out, err = io.StringIO(), io.StringIO()
        output = Output(out, err)
        with handle_errors(output) as status:
            status.code = install_cli.run(
                args,
                output,
                environ=self.env(),
                cwd=self.root,
                clock=lambda: NOW,
                runner=self.runner(),
                stdin=stdin or io.StringIO(""),
            )
        return Result(status.code, out.getvalue(), err.getvalue())

    def has(self, module: str) -> bool:
        return (self.venv.site_packages / module).is_dir()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    build_wheel(folder, "attrs", "25.4.0")
    build_wheel(folder, "attrs", "26.1.0")
    build_wheel(folder, "colourama", "1.0")
    build_wheel(folder, "fastapi", "0.165.0")
    build_wheel(folder, "vet-parent", "1.0", requires=["colourama"])
    return folder


@pytest.fixture(scope="module")
def warm_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    """Advisory data synced and the popularity list loaded, once for the module."""
    root = tmp_path_factory.mktemp("warm")
    venv = venv_with_pip(root / "venv")
    with index_server(shared_data) as index:
        world = World(index, venv, root, shared_data / "osv", wheels)
        assert world.install("attrs==26.1.0").code == 0
    return root / "cache"


@pytest.fixture
def world(shared_data: Path, tmp_path: Path, wheels: Path, warm_cache: Path) -> Iterator[World]:
    shutil.copytree(warm_cache, tmp_path / "cache")
    venv = venv_with_pip(tmp_path / "env")  # not ./venv: nothing here is found by itself
    with index_server(shared_data) as index:
        index.project(
            "vet-parent",
            document(
                "vet-parent",
                {"1.0": "2025-01-01T00:00:00Z"},
                owners=["alice", "bob"],
                requires_dist=["colourama"],
            ),
        )
        yield World(index, venv, tmp_path, shared_data / "osv", wheels)


def test_an_ok_package_is_installed_and_the_change_shown(world: World) -> None:
    result = world.install("attrs")
    assert result.code == 0, result.stdout + result.stderr
    assert "attrs 26.1.0 (asked for attrs==26.1.0)  OK" in result.stdout
    assert "added     attrs 26.1.0" in result.stdout
    assert world.has("attrs")
    assert "running " in result.stderr  # pip's own output goes to stderr


def test_upgrade_is_shown(world: World) -> None:
    assert world.install("attrs==25.4.0").code == 0
    result = world.install("-U", "attrs")
    assert result.code == 0, result.stdout + result.stderr
    assert "upgraded  attrs 25.4.0 -> 26.1.0" in result.stdout


def test_avoid_blocks_unless_yes(world: World) -> None:
    blocked = world.install("colourama")
    assert blocked.code == 1
    assert "colourama (asked for colourama==1.0)  AVOID" in blocked.stdout
    assert "not installed: vetting says to avoid colourama" in blocked.stdout
    assert not world.has("colourama")
    forced = world.install("--yes", "colourama")
    assert forced.code == 0
    assert "installing although vetting says to avoid colourama (--yes)" in forced.stdout
    assert world.has("colourama")


def test_dependencies_are_vetted_too(world: World) -> None:
    # pipvet's options come first: after the first pip argument, everything is pip's.
    result = world.install("--format", "json", "vet-parent")
    assert result.code == 1
    doc = json.loads(result.stdout)
    by_name = {p["name"]: p for p in doc["packages"]}
    assert by_name["colourama"]["verdict"] == "avoid"
    assert by_name["colourama"]["requested"] is None  # pip brings it in; nobody asked for it
    assert by_name["vet-parent"]["requested"] == "vet-parent==1.0"
    assert doc["install"]["installed"] is False
    assert [e["name"] for e in doc["install"]["planned"]] == ["vet-parent", "colourama"]
    assert not world.has("vet_parent")


def _json(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_review_proceeds_with_a_warning_when_not_interactive(world: World) -> None:
    result = world.install("fastapi")
    assert result.code == 0
    assert "fastapi 0.165.0 (asked for fastapi==0.165.0)  REVIEW" in result.stdout
    assert "warning: installing fastapi, which need review" in result.stdout
    assert world.has("fastapi")


def test_review_asks_on_a_terminal(world: World) -> None:
    declined = world.install("fastapi", stdin=Terminal("n\n"))
    assert declined.code == 1
    assert "Install anyway? [y/N]" in declined.stderr
    assert "you declined" in declined.stdout
    assert not world.has("fastapi")
    accepted = world.install("fastapi", stdin=Terminal("y\n"))
    assert accepted.code == 0
    assert world.has("fastapi")


def test_review_blocks_when_the_policy_says_so(world: World) -> None:
    (world.root / "pipvet.toml").write_text('on-review = "block"\n')
    result = world.install("fastapi")
    assert result.code == 1
    assert 'on-review = "block"' in result.stdout
    assert not world.has("fastapi")


def test_refuses_the_system_python(world: World) -> None:
    base = Path(getattr(sys, "_base_executable", sys.executable))
    result = world.install("--python", str(base), "attrs", target=False)
    assert result.code == 2
    assert "is not an isolated environment" in result.stderr
    assert "python -m venv" in result.stderr


def test_refuses_when_no_environment_is_found(world: World) -> None:
    result = world.install("attrs", target=False)  # no VIRTUAL_ENV, no ./.venv
    assert result.code == 2
    assert "only installs into an isolated environment" in result.stderr


def test_pip_failure_is_an_error(world: World) -> None:
    result = world.install("no-such-wheel-here")
    assert result.code == 2
    assert "pip could not work out what 'pip install no-such-wheel-here' would install" in (
        result.stderr
    )


def test_requirements_file_arguments_go_to_pip(world: World) -> None:
    req = world.root / "requirements.txt"
    req.write_text("attrs>=26\n")
    result = world.install("-r", str(req))
    assert result.code == 0, result.stdout + result.stderr
    assert "added     attrs 26.1.0" in result.stdout


@pytest.mark.parametrize(
    ("argv", "pip_args", "yes", "fmt"),
    [
        (["attrs", "-U"], ["attrs", "-U"], False, "text"),
        (["-U", "attrs"], ["-U", "attrs"], False, "text"),
        (["--yes", "-r", "req.txt"], ["-r", "req.txt"], True, "text"),
        (
            ["-y", "--format=json", "attrs", "--format", "x"],
            ["attrs", "--format", "x"],
            True,
            "json",
        ),
        (["--", "--yes"], ["--yes"], False, "text"),
        (["--venv", "v", "-e", ".", "-q"], ["-e", ".", "-q"], False, "text"),
    ],
)
def test_pip_arguments_start_at_the_first_one_pipvet_does_not_know(
    argv: list[str], pip_args: list[str], yes: bool, fmt: str
) -> None:
    ns = build_parser().parse_args(["install", *argv])
    assert ns.pip_args == pip_args
    assert ns.yes is yes
    assert ns.format == fmt


def test_a_name_pip_cannot_find_still_gets_the_verdict(world: World) -> None:
    """An invented or mistyped name is exactly when pip fails to resolve: the user should see
    "did you mean ...?" and not only pip's error."""
    result = world.install("reqeusts")
    assert result.code == 2
    assert "reqeusts  AVOID" in result.stdout
    assert "did you mean requests?" in result.stdout
    assert "pip could not work out what 'pip install reqeusts' would install" in result.stderr
    assert not world.has("reqeusts")


@pytest.mark.parametrize(
    ("pip_args", "names"),
    [
        (["reqeusts"], ["reqeusts"]),
        (["-U", "pandas>=2", "numpy"], ["pandas", "numpy"]),
        (["-r", "requirements.txt", "--index-url", "http://x.example/simple", "six"], ["six"]),
        (["./local-project", "-e", "src/mine", "git+https://x.example/r.git"], []),
        (["--no-deps", "colourama==1.0"], ["colourama"]),
    ],
)
def test_named_requirements_of_a_pip_command_line(pip_args: list[str], names: list[str]) -> None:
    assert [r.name for r in install_cli._named_requirements(pip_args)] == names
