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
from typing import IO, Any

import pytest

from pipvet.cli import Output, build_parser, handle_errors
from pipvet.cli import _install_steps as install_steps
from pipvet.cli import install as install_cli
from pipvet.errors import UsageError
from pipvet.system.process import SubprocessRunner
from tests.support.httpserver import LoopbackServer
from tests.support.index_server import (
    IndexServer,
    document,
    index_server,
    sdist_file,
    wheel_file,
)
from tests.support.pipvenv import venv_with_pip
from tests.support.sdists import BuildKind, build_marker_sdist, setuptools_wheel
from tests.support.simple_index import SimpleIndex, venv_with_current_pip
from tests.support.wheels import Venv, _python_in, build_wheel, create_venv, pip_env

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
    # What pip's own environment adds (default: no index, only the wheels folder).
    pip_settings: dict[str, str] | None = None
    # Whether pip's find-links folders stand in for the index's files (see IndexServer).
    links_stand_in: bool = True

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
        if self.pip_settings is None:
            env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheels)})
        else:
            env.update(self.pip_settings)
        # pip runs where pipvet runs, so a relative path means the same to both.
        return SubprocessRunner(env=env, cwd=str(self.root))

    def install(
        self,
        *argv: str,
        stdin: IO[str] | None = None,
        target: bool = True,
        environ: dict[str, str] | None = None,
    ) -> Result:
        """``environ`` adds to pipvet's own environment (pip's is ``runner``'s)."""
        # The local builds pip installs stand in for the index's files of those names.
        links = (self.pip_settings or {}).get("PIP_FIND_LINKS", str(self.wheels))
        for folder in links.split() if self.links_stand_in else ():
            self.index.stand_in(Path(folder))
        where = ["--venv", str(self.venv.root)] if target else []
        args = build_parser().parse_args(["install", *where, *argv])
        out, err = io.StringIO(), io.StringIO()
        output = Output(out, err)
        with handle_errors(output) as status:
            status.code = install_cli.run(
                args,
                output,
                environ={**self.env(), **(environ or {})},
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
    build_wheel(folder, "review-me", "1.0")
    build_wheel(folder, "requests", "2.25.0", tag="py2.py3-none-any")  # PyPI's file name
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
        # Not among the most downloaded projects: a review verdict.
        index.project("review-me", document("review-me", {"1.0": "2025-01-01T00:00:00Z"}))
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
    result = world.install("review-me")
    assert result.code == 0
    assert "review-me 1.0 (asked for review-me==1.0)  REVIEW" in result.stdout
    assert "warning: installing review-me, which need review" in result.stdout
    assert world.has("review_me")


def test_review_asks_on_a_terminal(world: World) -> None:
    declined = world.install("review-me", stdin=Terminal("n\n"))
    assert declined.code == 1
    assert "Install anyway? [y/N]" in declined.stderr
    assert "you declined" in declined.stdout
    assert not world.has("review_me")
    accepted = world.install("review-me", stdin=Terminal("y\n"))
    assert accepted.code == 0
    assert world.has("review_me")


def test_review_blocks_when_the_policy_says_so(world: World) -> None:
    (world.root / "pipvet.toml").write_text('on-review = "block"\n')
    result = world.install("review-me")
    assert result.code == 1
    assert 'on-review = "block"' in result.stdout
    assert not world.has("review_me")


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


def test_a_requirements_file_cannot_send_a_variable_to_a_host_it_chose(
    world: World, http_server: LoopbackServer
) -> None:
    """pip fills in ${NAME} from its environment: asked what it would install, it would have
    sent the secret to the file's host before any verdict."""
    world.pip_settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(world.wheels),
                          "PIPVET_TEST_SECRET": "s3cr3t"}  # fmt: skip
    req = world.root / "requirements.txt"
    req.write_text(f"-f {http_server.url}/${{PIPVET_TEST_SECRET}}/\nattrs>=26\n")
    result = world.install("-r", str(req))
    assert result.code == 2
    assert f"{req}:1: '-f {http_server.url}/${{PIPVET_TEST_SECRET}}/'" in result.stderr
    assert "as part of an address the file chose (${PIPVET_TEST_SECRET})" in " ".join(
        result.stderr.split()
    )
    assert http_server.requests == []
    assert not world.has("attrs")

    # As a credential for a host the command line names, it goes where the user said.
    req.write_text(f"-f http://${{PIPVET_TEST_SECRET}}@{http_server.url[7:]}/links/\nattrs>=26\n")
    result = world.install("-f", f"{http_server.url}/cli/", "-r", str(req))
    assert result.code == 0, result.stdout + result.stderr
    assert "/links/" in http_server.paths_requested()
    assert world.has("attrs")


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
        (["--index-url", "http://x.example/simple", "six"], ["six"]),
        (["--index-url=http://x.example/simple", "-f", "dir", "six"], ["six"]),
        (["--no-deps", "colourama==1.0"], ["colourama"]),
        # every value option of pip 26.3: its value is no package name
        (["--timeout", "60", "--exists-action", "w", "--only-final", ":all:", "six"], ["six"]),
        (["--pypi-url", "http://x.example/simple", "--source-dir", "s", "six"], ["six"]),
        (["--root-user-action", "ignore", "six"], ["six"]),
    ],
)
def test_named_requirements_of_a_pip_command_line(pip_args: list[str], names: list[str]) -> None:
    found = install_steps.requested(pip_args, cwd=Path.cwd(), environ={})
    assert [r.name for r in found] == names


@pytest.mark.parametrize(
    ("pip_args", "says"),
    [
        (["./local-project"], "is a path, archive or URL"),
        (["mine.tar.gz"], "is a path, archive or URL"),
        (["mine.tlz"], "is a path, archive or URL"),
        (["mine.tar.lz"], "is a path, archive or URL"),
        (["mine.tar.gz[extra]"], "is a path, archive or URL"),
        (['mine.tar.gz; python_version > "3"'], "is a path, archive or URL"),
        (["git+https://x.example/r.git"], "is a path, archive or URL"),
        (["pkg @ https://x.example/pkg-1.0.tar.gz"], "is a path, archive or URL"),
        (["-e", "src/mine"], "cannot vet the editable install"),
        (["--editable=src/mine"], "cannot vet the editable install"),
        (["--no-binary", ":all:", "six"], "cannot honour --no-binary"),
        (["--no-binary=six", "six"], "cannot honour --no-binary"),
    ],
)
def test_what_pip_would_have_to_build_is_refused_before_anything_runs(
    pip_args: list[str], says: str
) -> None:
    with pytest.raises(UsageError) as err:
        install_steps.check_no_builds(pip_args, cwd=Path.cwd(), environ={})
    assert says in str(err.value)
    assert "build code" in str(err.value)


def test_a_requirements_file_is_checked_line_by_line(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("six\n--no-binary :all:\n")
    with pytest.raises(UsageError) as err:
        install_steps.check_no_builds(["-r", str(req)], cwd=tmp_path, environ={})
    assert "requirements.txt:2" in str(err.value)
    req.write_text("six\n-e ./src\n")
    with pytest.raises(UsageError) as err:
        install_steps.check_no_builds([f"-r{req}"], cwd=tmp_path, environ={})
    assert "requirements.txt:2" in str(err.value)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("six<2\n--no-binary six\n")
    with pytest.raises(UsageError) as err:
        install_steps.check_no_builds(["-c", str(constraints), "six"], cwd=tmp_path, environ={})
    assert "constraints.txt:2" in str(err.value)
    req.write_text("six>=1\nattrs\n")
    found = install_steps.requested(["-r", "requirements.txt"], cwd=tmp_path, environ={})
    assert [r.name for r in found] == ["six", "attrs"]


def test_a_local_sdist_is_refused_and_its_build_code_never_runs(world: World) -> None:
    marker = world.root / "MARKER"
    sdist = build_marker_sdist(world.root / "local", "gate-local", "1.0", marker, kind="backend")
    result = world.install(str(sdist))
    assert result.code == 2
    assert "is a path, archive or URL" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("spelling", ["{name}[extra]", '{name} ;python_version>"3"'])
@pytest.mark.parametrize("where", ["command line", "requirements file"])
def test_a_local_sdist_spelled_as_pip_reads_it_is_refused_too(
    world: World, spelling: str, where: str
) -> None:
    """pip cuts the marker and the extras off before it looks at the name, and unpacks every
    archive it knows (.tlz too): each is a local sdist whose build would run in the dry run."""
    marker = world.root / "MARKER"
    sdist = build_marker_sdist(world.root, "gate-local", "1.0", marker, kind="backend")
    argument = spelling.format(name=sdist.name)
    if where == "command line":
        result = world.install(argument)
    else:
        (world.root / "requirements.txt").write_text(argument + "\n")
        result = world.install("-r", "requirements.txt")
    assert result.code == 2, result.stdout + result.stderr
    assert not marker.exists()
    assert sdist.name in result.stderr


# ------------------------------------------------------------------------ the gate holds
#
# Nothing of a package runs before the user accepts the verdict. Each "gate" package has an
# older release as a wheel and a newer one as a source distribution whose build code writes a
# marker file (a setup.py, or an in-tree build backend that writes it when imported); the
# "src" packages are published as source only. Asking pip what it would install must not
# build any of them: the marker never appears, whatever the user answers.

UPLOADED = "2026-01-01T00:00:00Z"


class Interrupted(io.StringIO):
    """A terminal where the user presses Ctrl-C at the prompt."""

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        raise KeyboardInterrupt


@dataclass
class Gate:
    world: World
    marker: Path
    pip_args: list[str]  # where pip finds the packages: --find-links DIR or --index-url URL

    def install(self, *argv: str, stdin: IO[str] | None = None, yes: bool = False) -> Result:
        return self.world.install(*(["--yes"] if yes else []), *self.pip_args, *argv, stdin=stdin)

    def ran(self) -> str:
        return self.marker.read_text() if self.marker.exists() else ""


@pytest.fixture(params=["setup.py", "backend"])
def build_kind(request: pytest.FixtureRequest) -> BuildKind:
    kind: BuildKind = request.param
    return kind


@pytest.fixture(params=["find-links", "index"])
def gate(request: pytest.FixtureRequest, world: World, build_kind: BuildKind) -> Gate:
    folder = world.root / "dists"
    shutil.copytree(world.wheels, folder)
    marker = world.root / "MARKER"
    if build_kind == "setup.py":
        setuptools = setuptools_wheel()
        if setuptools is None:  # without it pip could not run a setup.py at all
            pytest.skip("this Python bundles no setuptools wheel for the setup.py sdists")
        shutil.copy(setuptools, folder)
    build_wheel(folder, "gate-pkg", "1.0")
    build_marker_sdist(folder, "gate-pkg", "2.0", marker, kind=build_kind)
    build_marker_sdist(folder, "gate-src", "1.0", marker, kind=build_kind)
    world.index.project(
        "gate-pkg",
        document(
            "gate-pkg",
            {"1.0": [wheel_file("gate-pkg", "1.0", UPLOADED)],
             "2.0": [sdist_file("gate-pkg", "2.0", UPLOADED)]},
        ),
    )  # fmt: skip
    world.index.project(
        "gate-src", document("gate-src", {"1.0": [sdist_file("gate-src", "1.0", UPLOADED)]})
    )
    world.wheels = folder
    if request.param == "find-links":
        world.pip_settings = {"PIP_NO_INDEX": "1"}
        return Gate(world, marker, ["--find-links", str(folder)])
    simple = SimpleIndex(world.index.server, folder)
    world.pip_settings = {}
    return Gate(world, marker, ["--index-url", simple.url])


def test_nothing_runs_before_the_answer(gate: Gate) -> None:
    declined = gate.install("gate-pkg", stdin=Terminal("n\n"))
    assert gate.ran() == ""
    assert declined.code == 1, declined.stdout + declined.stderr
    assert "gate-pkg 1.0 (asked for gate-pkg==1.0)  REVIEW" in declined.stdout
    assert "Install anyway? [y/N]" in declined.stderr
    at_eof = gate.install("gate-pkg", stdin=Terminal(""))
    assert gate.ran() == ""
    assert at_eof.code == 1
    assert "you declined" in at_eof.stdout
    interrupted = gate.install("gate-pkg", stdin=Interrupted())
    assert gate.ran() == ""
    assert interrupted.code == 130
    assert not gate.world.has("gate_pkg")


def test_a_source_only_package_is_vetted_from_the_index_without_building(gate: Gate) -> None:
    result = gate.install("gate-src", stdin=Terminal("y\n"))
    assert gate.ran() == ""
    assert result.code == 2, result.stdout + result.stderr
    assert "gate-src 1.0  UNCHECKED" in result.stdout
    assert "could not be read without running its build code" in result.stdout
    assert "not installed: pip could not tell what it would install from wheels alone" in (
        result.stdout
    )
    assert "Install anyway?" not in result.stderr
    assert not gate.world.has("gate_src")


def test_accepting_a_source_only_package_builds_it_then(gate: Gate, build_kind: BuildKind) -> None:
    """--yes is the user's acceptance: only now may pip run the package's build code."""
    if build_kind == "setup.py":
        pytest.skip("setuptools' backend needs the 'wheel' package, which is not here offline")
    result = gate.install("gate-src", yes=True)
    assert result.code == 0, result.stdout + result.stderr
    assert gate.ran() != ""
    assert "added     gate-src 1.0" in result.stdout


# ------------------------------------------------------------------------ exactly what was vetted


class NewReleaseWhileAsking(io.StringIO):
    """A terminal where, while the user reads the report, a newer release appears where pip
    looks, and then the user says yes."""

    def __init__(self, folder: Path) -> None:
        super().__init__("y\n")
        self.folder = folder

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        build_wheel(self.folder, "review-me", "99.0")
        build_wheel(self.folder, "colourama", "2.0")
        return super().readline()


def test_what_is_installed_is_what_was_vetted(world: World) -> None:
    folder = world.root / "dists"
    shutil.copytree(world.wheels, folder)
    world.wheels = folder
    result = world.install("review-me", stdin=NewReleaseWhileAsking(folder))
    assert result.code == 0, result.stdout + result.stderr
    assert "review-me 1.0 (asked for review-me==1.0)  REVIEW" in result.stdout
    assert "added     review-me 1.0" in result.stdout
    assert "99.0" not in result.stdout
    assert "not vetted" not in result.stdout
    assert (world.venv.site_packages / "review_me-1.0.dist-info").is_dir()
    assert not world.has("colourama")
    # pip was held to the vetted set: pinned, and nothing of its own choosing.
    running = next(ln for ln in result.stderr.splitlines() if "running " in ln)
    assert "--no-deps" in running
    assert "review-me==1.0" in running


def test_dependencies_are_installed_from_the_vetted_list(world: World) -> None:
    result = world.install("--yes", "--format", "json", "vet-parent")
    assert result.code == 0, result.stdout + result.stderr
    doc = _json(result)
    assert doc["install"]["unvetted"] == {"installed_not_vetted": [], "vetted_not_installed": []}
    added = {(c["name"], c["version"]) for c in doc["install"]["changes"]["added"]}
    assert added == {("vet-parent", "1.0"), ("colourama", "1.0")}


@pytest.mark.parametrize(
    ("vetted", "installed", "unvetted", "missing"),
    [
        ([("a", "1.0")], [("a", "1.0")], [], []),
        ([("a", "1.0")], [("a", "1")], [], []),  # the same version, spelt differently
        ([("a", "1.0")], [("a", "99.0")], [("a", "99.0")], [("a", "1.0")]),
        ([("a", "1.0")], [("a", "1.0"), ("b", "2.0")], [("b", "2.0")], []),
        ([("a", "1.0"), ("b", "2.0")], [("A", "1.0")], [], [("b", "2.0")]),
    ],
)
def test_the_difference_between_vetted_and_installed(
    vetted: list[tuple[str, str]],
    installed: list[tuple[str, str]],
    unvetted: list[tuple[str, str]],
    missing: list[tuple[str, str]],
) -> None:
    from packaging.utils import canonicalize_name

    from pipvet.vetting.subtree import PipReportEntry

    diff = install_steps.difference(
        [install_steps.Pinned(canonicalize_name(n), v) for n, v in vetted],
        [PipReportEntry(canonicalize_name(n), v, True) for n, v in installed],
    )
    assert [(e.name, e.version) for e in diff.unvetted] == unvetted
    assert [(p.name, p.version) for p in diff.missing] == missing
    assert bool(diff) is bool(unvetted or missing)


def test_other_bytes_than_the_dry_run_planned_are_unvetted() -> None:
    """A source that answers differently the second time: same name and version, another
    file, or now none with a hash. A dry run without a hash says nothing here (the file check
    before the verdict made that package unchecked)."""
    from packaging.utils import canonicalize_name

    from pipvet.vetting.subtree import PipReportEntry

    name = canonicalize_name("a")
    planned = [install_steps.Pinned(name, "1.0", sha256="aa" * 32)]
    other = install_steps.difference(planned, [PipReportEntry(name, "1.0", True, None, "bb" * 32)])
    assert [(e.name, e.sha256) for e in other.unvetted] == [("a", "bb" * 32)]
    same = install_steps.difference(planned, [PipReportEntry(name, "1.0", True, None, "aa" * 32)])
    unhashed = install_steps.difference(planned, [PipReportEntry(name, "1.0", True)])
    unplanned = install_steps.difference(
        [install_steps.Pinned(name, "1.0")], [PipReportEntry(name, "1.0", True, None, "bb" * 32)]
    )
    assert not same
    assert [e.name for e in unhashed.unvetted] == ["a"]
    assert not unplanned


def test_what_was_installed_is_audited(world: World) -> None:
    """requests 2.25.0 has known vulnerabilities with a fix: review, so a non-interactive
    install goes ahead, and the audit afterwards fails it."""
    result = world.install("requests==2.25.0")
    assert result.code == 1, result.stdout + result.stderr
    assert "requests 2.25.0 (asked for requests==2.25.0)  REVIEW" in result.stdout
    assert "added     requests 2.25.0" in result.stdout
    assert "Audit of what was installed: FAILED" in result.stdout
    assert "Exit 1: at or above the policy's fail level." in result.stdout
    assert "requests 2.25.0  PYSEC-" in result.stdout or "requests 2.25.0  GHSA-" in result.stdout
    as_json = world.install("--format", "json", "requests==2.25.0", "--force-reinstall")
    assert as_json.code == 1
    doc = _json(as_json)
    assert doc["install"]["exit_code"] == 1
    assert doc["install"]["audit"]["summary"]["failing"] > 0


def test_a_hashed_requirements_file_installs_and_is_held_to_the_vetted_set(world: World) -> None:
    """pip checks hashes once any requirement has one: the pins then go in the constraints
    file only, since a pin without a hash would make pip refuse the whole install."""
    import hashlib

    wheel = world.wheels / "attrs-26.1.0-py3-none-any.whl"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    req = world.root / "requirements.txt"
    req.write_text(f"attrs==26.1.0 --hash=sha256:{digest}\n")
    result = world.install("-r", str(req))
    assert result.code == 0, result.stdout + result.stderr
    assert "added     attrs 26.1.0" in result.stdout
    assert "not vetted" not in result.stdout


def test_what_a_package_installs_cannot_drive_the_terminal(world: World) -> None:
    """A wheel can carry a second distribution's metadata through its .data folder (pip
    refuses two top-level .dist-info folders, not one that lands in site-packages). What the
    install changed is listed from the environment afterwards, and those lines reached the
    terminal with the smuggled Name and Version as written: ESC [2J cleared the screen."""
    hostile = "1.0\x1b[2J\x1b[32mALL CLEAN\x1b]0;owned\x07"
    folder = world.root / "dists"
    shutil.copytree(world.wheels, folder)
    world.wheels = folder
    build_wheel(
        folder,
        "smuggler",
        "1.0",
        files={
            "smuggler/__init__.py": "",
            "smuggler-1.0.data/purelib/ghost-1.0.dist-info/METADATA": (
                f"Metadata-Version: 2.1\nName: ghost\x9b31m\nVersion: {hostile}\n"
            ),
        },
    )
    world.index.project("smuggler", document("smuggler", {"1.0": "2025-01-01T00:00:00Z"}))
    result = world.install("smuggler")
    assert (world.venv.site_packages / "ghost-1.0.dist-info").is_dir()  # the smuggling works
    shown = result.stdout + result.stderr
    assert "ghost" in result.stdout
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in shown
    assert "1.0\\x1b[2J\\x1b[32mALL CLEAN" in result.stdout
    for fmt, ghost in (("json", "ghost\\u009b31m"), ("markdown", "ghost\\\\x9b31m")):
        shutil.rmtree(world.venv.site_packages / "ghost-1.0.dist-info")  # "added" once more
        again = world.install("--format", fmt, "--force-reinstall", "smuggler")
        for raw in ("\x1b", "\x07", "\x9b"):
            assert raw not in again.stdout, fmt
        assert ghost in again.stdout, fmt


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("PIP_CONSTRAINT", "attrs @ file://{sdist}"),  # pip takes a URL as a constraint
        ("PIP_REQUIREMENT", "{sdist}"),
        ("pip.conf", "attrs @ file://{sdist}"),  # [install] constraint = FILE
        ("PIP_GROUP", "attrs @ file://{sdist}"),  # a [dependency-groups] group of pyproject
        ("PIP_REQUIREMENTS_FROM_SCRIPT", "attrs @ file://{sdist}"),  # a script's PEP 723 block
    ],
)
def test_a_file_pip_settings_add_is_checked_like_one_on_the_command_line(
    world: World, setting: str, line: str
) -> None:
    """pip adds PIP_CONSTRAINT, PIP_REQUIREMENT and their pip.conf keys to every install,
    its dry run too: a local sdist named there would be built before any verdict."""
    marker = world.root / "MARKER"
    sdist = build_marker_sdist(world.root, "gate-local", "1.0", marker, kind="backend")
    listed = world.root / "shared.txt"
    listed.write_text(line.format(sdist=sdist) + "\n")
    settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(world.wheels)}
    named = "shared.txt"
    if setting == "pip.conf":
        (world.venv.root / "pip.conf").write_text(f"[install]\nconstraint = {listed}\n")
        where = "pip's setting install.constraint"
    elif setting == "PIP_GROUP":
        dependency = line.format(sdist=sdist)
        (world.root / "pyproject.toml").write_text(f"[dependency-groups]\ng = [{dependency!r}]\n")
        settings[setting], where, named = "g", setting, "--group g"
    elif setting == "PIP_REQUIREMENTS_FROM_SCRIPT":
        script = world.root / "s.py"
        block = f"# /// script\n# dependencies = [{line.format(sdist=sdist)!r}]\n# ///\n"
        script.write_text(block)
        settings[setting], where, named = str(script), setting, "--requirements-from-script"
    else:
        settings[setting] = str(listed)
        where = setting
    world.pip_settings = settings
    # pipvet reads pip's settings from its own environment, which pip inherits.
    result = world.install("attrs", environ=settings)
    assert result.code == 2, result.stdout + result.stderr
    assert not marker.exists()
    assert f"{where} adds " in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize(
    ("argv", "setting"),
    [
        (["--target", "{elsewhere}"], None),
        (["-t{elsewhere}"], None),
        (["--tar={elsewhere}"], None),  # pip reads a unique prefix as the option
        (["--prefix", "{elsewhere}"], None),
        (["--root", "{elsewhere}"], None),
        ([], ("PIP_TARGET", "{elsewhere}")),
        ([], ("PIP_PYTHON", "{python}")),  # pip runs itself again with that interpreter
    ],
)
def test_pip_never_installs_outside_the_environment_pipvet_checks(
    world: World, argv: list[str], setting: Any
) -> None:
    """What pip installs elsewhere escapes the changes shown and the audit (which found
    nothing, so said nothing failed), and may land where a system Python imports it."""
    elsewhere = world.root / "elsewhere"
    other = create_venv(world.root / "other")  # pip --python needs no pip in it
    values = {"elsewhere": str(elsewhere), "python": str(other.python)}
    environ: dict[str, str] = {}
    if setting is not None:
        environ[setting[0]] = setting[1].format(**values)
        world.pip_settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(world.wheels), **environ}
    result = world.install(*(a.format(**values) for a in argv), "attrs", environ=environ)
    assert result.code == 2, result.stdout + result.stderr
    assert "pip would install outside the environment" in result.stderr
    assert not elsewhere.exists()
    assert not (other.site_packages / "attrs").exists()
    assert not world.has("attrs")


@pytest.mark.parametrize("fresh", ["a fresh wheel beside an old sdist", "a time in the future"])
def test_a_release_inside_the_cooldown_needs_review(world: World, fresh: str) -> None:
    """A release uploaded hours ago is how a taken-over popular project spreads malware: the
    policy's cooldown holds it for review, also when only one of its files is fresh (pip may
    well take that one) or the index dates it in the future."""
    hours = 2 if fresh.startswith("a fresh") else -48
    when = datetime.fromtimestamp(NOW - hours * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    world.index.project(
        "attrs",
        document(
            "attrs",
            {"25.4.0": "2025-06-01T00:00:00Z",
             "26.1.0": [sdist_file("attrs", "26.1.0", "2026-01-01T00:00:00Z"),
                        wheel_file("attrs", "26.1.0", when)]},
        ),
    )  # fmt: skip
    result = world.install("--format", "json", "attrs")
    doc = _json(result)
    [attrs] = doc["packages"]
    activity = next(s for s in attrs["signals"] if s["id"] == "activity")
    assert activity["level"] == "review", activity
    assert "inside the policy's 3-day cooldown" in activity["message"]
    assert attrs["verdict"] == "review"
    old = world.install("--format", "json", "attrs==25.4.0")
    assert _json(old)["packages"][0]["verdict"] == "ok"


@pytest.mark.parametrize(
    "argv",
    [["--group", "dev"], ["--group=pyproject.toml:dev"], ["--requirements-from-script", "run.py"]],
)
def test_what_pip_reads_from_a_group_or_a_script_is_refused(world: World, argv: list[str]) -> None:
    """pip 25.1+ reads --group from pyproject.toml and pip 26.2+ a script's inline metadata:
    pipvet read neither ("dev" was vetted as a package name), so a direct reference there was
    built in the dry run."""
    marker = world.root / "MARKER"
    sdist = build_marker_sdist(world.root / "dists", "gate-local", "1.0", marker, kind="backend")
    (world.root / "pyproject.toml").write_text(
        f'[dependency-groups]\ndev = ["gate-local @ {sdist.as_uri()}"]\n'
    )
    (world.root / "run.py").write_text(
        f'# /// script\n# dependencies = ["gate-local @ {sdist.as_uri()}"]\n# ///\n'
    )
    root = venv_with_current_pip(world.root / "pip26")  # pip 26.3 knows both options
    world.venv = Venv(root, _python_in(root))
    result = world.install(*argv)
    assert result.code == 2, result.stdout + result.stderr
    assert "pipvet install cannot read --" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("value", [":none:", "${PV}"])
@pytest.mark.parametrize("flag", ["-r", "-c"])
def test_only_binary_none_in_a_file_cannot_undo_wheels_only(
    world: World, flag: str, value: str
) -> None:
    """pip applies a requirements or constraints file's options after the command line's:
    `--only-binary :none:` there cleared the dry run's --only-binary :all:, and pip built
    the source-only release to read it. pip fills in ${PV} before it reads the value."""
    marker = world.root / "MARKER"
    folder = world.root / "dists"
    build_marker_sdist(folder, "gate-src", "1.0", marker, kind="backend")
    world.pip_settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder), "PV": ":none:"}
    listed = world.root / "listed.txt"
    listed.write_text(f"--only-binary {value}\n" + ("gate-src\n" if flag == "-r" else ""))
    result = world.install(
        flag, str(listed), *(["gate-src"] if flag == "-c" else []), environ={"PV": ":none:"}
    )
    assert result.code == 2, result.stdout + result.stderr
    assert f"listed.txt:1: '--only-binary {value}'" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(("value", "elsewhere"), [("n", False), ("f", False), ("Off", False),
                                                  ("y", True), ("1", True)])  # fmt: skip
def test_pip_user_is_read_as_pip_reads_a_flag(tmp_path: Path, value: str, elsewhere: bool) -> None:
    from pipvet.update.pip_sources import configured_elsewhere

    environ = {"PIP_USER": value, "PIP_CONFIG_FILE": os.devnull}
    found = configured_elsewhere(environ, tmp_path, dict)
    assert (found == ("PIP_USER", "--user")) is elsewhere


@pytest.mark.parametrize("same_name", [True, False])
def test_a_file_the_vetted_index_does_not_list_is_unchecked(world: World, same_name: bool) -> None:
    """The verdict is about the index's files. pip took attrs 26.1.0 from a find-links folder
    (a requirements file can add one) holding other bytes, and pipvet said OK and installed
    them."""
    evil = world.root / "evil"
    tag = "py3-none-any" if same_name else "py2.py3-none-any"
    build_wheel(evil, "attrs", "26.1.0", files={"attrs/__init__.py": "EVIL = 1\n"}, tag=tag)
    world.index.stand_in(world.wheels)  # the index lists the usual build's hash
    world.links_stand_in = False
    world.pip_settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(evil)}
    result = world.install("attrs")
    flat = " ".join(result.stdout.split())
    assert result.code == 2, result.stdout + result.stderr
    assert "attrs 26.1.0 (asked for attrs==26.1.0)  UNCHECKED" in result.stdout
    wheel = f"attrs-26.1.0-{tag}.whl"
    assert f"pip would install {wheel} from a local file" in flat
    why = "the index lists other bytes under that name" if same_name else "lists for none"
    assert why in flat
    assert not world.has("attrs")


@pytest.mark.parametrize("case", ["a sha512 link", "the version spelt 26.1.0.0"])
def test_a_file_pip_gives_no_sha256_for_or_spells_otherwise_is_unchecked(
    world: World, case: str
) -> None:
    """A find-links page offering only a sha512 (pip then hashes nothing), or a release
    spelt otherwise than the index's key: the check was skipped, and other bytes installed."""
    import hashlib

    evil = world.root / "evil"
    version = "26.1.0.0" if case.startswith("the version") else "26.1.0"
    wheel = build_wheel(evil, "attrs", version, files={"attrs/__init__.py": "EVIL = 1\n"})
    world.index.stand_in(world.wheels)
    world.links_stand_in = False
    links = str(evil)
    if case == "a sha512 link":
        page = world.root / "links.html"
        digest = hashlib.sha512(wheel.read_bytes()).hexdigest()
        page.write_text(f'<a href="evil/{wheel.name}#sha512={digest}">{wheel.name}</a>\n')
        links = str(page)
    world.pip_settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": links}
    result = world.install("attrs==26.1.0")
    flat = " ".join(result.stdout.split())
    assert result.code == 2, result.stdout + result.stderr
    assert "UNCHECKED" in result.stdout
    assert f"pip would install {wheel.name}" in flat
    assert not world.has("attrs")


def test_an_index_that_lists_no_sha256_leaves_the_file_unchecked(world: World) -> None:
    """A mirror that lists files without sha256 (md5 only): nothing ties the file pip takes
    to the verdict, so the package is unchecked rather than passed."""
    doc = json.loads(world.index.recorded("attrs") or b"{}")
    for entry in doc["releases"]["26.1.0"]:
        entry["digests"] = {"md5": "0" * 32}
    world.index.project("attrs", doc)
    world.links_stand_in = False
    result = world.install("attrs==26.1.0")
    assert result.code == 2, result.stdout + result.stderr
    assert "lists no sha256 for the release's files" in " ".join(result.stdout.split())
    assert not world.has("attrs")
