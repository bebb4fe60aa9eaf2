"""Reading what is installed: real venvs, real wheels, real pip; crafted folders for the
broken cases pip would never produce."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipvet.errors import EnvironmentProblem
from pipvet.inputs.installed import read_environment, read_site_packages, scan_interpreter
from pipvet.inputs.installed_model import Distribution, EnvironmentScan
from pipvet.inputs.interpreter import (
    discover_target,
    environment_kind,
    inspect_interpreter,
    is_conda_env,
    is_virtual_env,
    read_pyvenv_cfg,
    site_packages_of,
    venv_python,
)
from pipvet.models import Dependency, Location
from pipvet.system.process import SubprocessRunner
from tests.support.wheels import (
    Venv,
    build_wheel,
    create_venv,
    pip_install,
    write_local_project,
)

RUN = SubprocessRunner()
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="uses #! scripts")


# --------------------------------------------------------------- one real environment


@dataclass(frozen=True)
class Installed:
    venv: Venv
    scan: EnvironmentScan
    editable_dir: Path
    local_dir: Path
    archive: Path
    git_repo: Path | None

    def dist(self, name: str) -> Distribution:
        (found,) = [d for d in self.scan.distributions if d.name == name]
        return found


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One venv (created once: venvs are slow) with every kind of install pip makes:
    index-style installs from a local folder, a wheel file, a local folder, an editable
    project and (when git is present) a git repository."""
    root = tmp_path_factory.mktemp("installed")
    wheels = root / "wheels"
    build_wheel(
        wheels,
        "alpha-pkg",
        "1.0",
        requires=["beta>=2"],
        console_scripts={"alpha": "alpha_pkg:main"},
    )
    build_wheel(
        wheels,
        "beta",
        "2.1",
        files={"beta.py": "X = 1\n", "beta-hook.pth": "import beta\n"},
    )
    build_wheel(wheels, "gamma", "0.5")
    build_wheel(wheels, "Weird.Name_pkg", "3.0")
    archive = build_wheel(root / "elsewhere", "delta", "1.0")
    editable_dir = write_local_project(root / "editable-proj", "my-editable", "0.3")
    local_dir = write_local_project(root / "local-proj", "local-proj", "0.2")
    targets = ["alpha-pkg", "gamma", "weird-name-pkg", str(archive), str(local_dir)]
    targets += ["-e", str(editable_dir)]
    git_repo = None
    if shutil.which("git"):
        git_repo = write_local_project(root / "vcs-proj", "vcs-proj", "0.9")
        _git(git_repo, "init", "-q")
        _git(git_repo, "add", ".")
        _git(git_repo, "commit", "-q", "-m", "init")
        targets.append(f"vcs-proj @ git+{git_repo.as_uri()}")
    venv = create_venv(root / "venv")
    pip_install(venv, *targets, find_links=wheels)
    return Installed(
        venv, read_site_packages(venv.site_packages), editable_dir, local_dir, archive, git_repo
    )


@pytest.mark.slow
def test_versions_of_a_real_environment(installed: Installed) -> None:
    # Every kind of install is audited by its declared version: editable, folder, VCS and URL
    # installs too (they are labelled as local builds, see below).
    got = {(d.name, d.version, d.skipped is None) for d in installed.scan.distributions}
    expected = {
        ("alpha-pkg", "1.0", True),
        ("beta", "2.1", True),
        ("gamma", "0.5", True),
        ("weird-name-pkg", "3.0", True),
        ("delta", "1.0", True),
        ("local-proj", "0.2", True),
        ("my-editable", "0.3", True),
    }
    if installed.git_repo:
        expected.add(("vcs-proj", "0.9", True))
    assert got == expected
    assert installed.scan.warnings == ()
    assert installed.dist("weird-name-pkg").display_name == "Weird.Name_pkg"


@pytest.mark.slow
def test_dependencies_point_at_the_metadata_folder(installed: Installed) -> None:
    deps: dict[str, Dependency] = {d.name: d for d in installed.scan.dependencies}
    alpha = deps["alpha-pkg"]
    assert (alpha.version, alpha.skipped) == ("1.0", None)
    assert alpha.location == Location(str(installed.venv.site_packages / "alpha_pkg-1.0.dist-info"))


@pytest.mark.slow
def test_non_index_installs_are_audited_and_labelled_local_builds(installed: Installed) -> None:
    deps: dict[str, Dependency] = {d.name: d for d in installed.scan.dependencies}
    local = "local build: the code may differ from the release"
    editable = deps["my-editable"]
    assert (editable.version, editable.skipped, editable.local) == ("0.3", None, True)
    assert editable.local_build == f"{local}; editable install of {installed.editable_dir}"
    folder = deps["local-proj"]
    assert (folder.version, folder.skipped, folder.local) == ("0.2", None, True)
    assert folder.local_build == f"{local}; installed from the local folder {installed.local_dir}"
    delta = deps["delta"]
    assert (delta.version, delta.skipped) == ("1.0", None)
    assert delta.local_build == f"{local}; installed from the archive {installed.archive}"
    # Installed from the index (a find-links folder here): no label.
    assert (deps["gamma"].local, deps["gamma"].local_build) == (False, None)
    assert installed.dist("my-editable").direct_url is not None
    if installed.git_repo:
        vcs = installed.dist("vcs-proj").direct_url
        assert vcs is not None
        assert (vcs.kind, vcs.vcs) == ("vcs", "git")
        assert vcs.commit is not None
        assert len(vcs.commit) == 40
        vcs_dep = deps["vcs-proj"]
        assert (vcs_dep.version, vcs_dep.skipped) == ("0.9", None)
        assert vcs_dep.local_build is not None
        assert vcs_dep.local_build.startswith(
            f"{local}; installed from the git repository {installed.git_repo} at "
        )


@pytest.mark.slow
def test_extra_facts_for_later_commands(installed: Installed) -> None:
    alpha = installed.dist("alpha-pkg")
    site = installed.venv.site_packages
    assert alpha.console_scripts == {"alpha": "alpha_pkg:main"}
    assert alpha.requires_dist == ("beta>=2",)
    assert alpha.installer == "pip"
    assert alpha.wheel_generator == "pipvet-tests (1.0)"
    assert alpha.installed_from_wheel is True
    record = alpha.record()
    assert site / "alpha_pkg" / "__init__.py" in record
    assert installed.venv.root / "bin" / "alpha" in record or sys.platform == "win32"
    assert installed.dist("gamma").console_scripts == {}


@pytest.mark.slow
def test_pth_files_and_their_owners(installed: Installed) -> None:
    site = installed.venv.site_packages
    pth = {p.path.name: p for p in installed.scan.pth_files}
    assert pth["beta-hook.pth"].code_lines == ("import beta",)
    assert pth["beta-hook.pth"].executes_code
    editable_pth = [p for name, p in pth.items() if name.startswith("__editable__")]
    assert len(editable_pth) == 1
    assert not editable_pth[0].executes_code  # a path line, not code
    owners = installed.scan.owners([site / "beta-hook.pth", site / "nobody.pth"])
    assert {k.name: v.name for k, v in owners.items()} == {"beta-hook.pth": "beta"}


@pytest.mark.slow
def test_site_packages_of_the_venv_interpreter(installed: Installed) -> None:
    assert [p.resolve() for p in site_packages_of(installed.venv.python, RUN)] == [
        installed.venv.site_packages.resolve()
    ]
    info = inspect_interpreter(installed.venv.python, RUN)
    assert info.prefix.resolve() == installed.venv.root.resolve()
    assert info.is_virtual_env
    assert info.version == ".".join(map(str, sys.version_info[:3]))


@pytest.mark.slow
def test_scan_interpreter_reads_what_the_venv_imports(installed: Installed) -> None:
    scan = scan_interpreter(installed.venv.python, RUN)
    assert [p.resolve() for p in scan.paths] == [installed.venv.site_packages.resolve()]
    assert [(d.name, d.version) for d in scan.distributions] == [
        (d.name, d.version) for d in installed.scan.distributions
    ]


@pytest.mark.slow
def test_read_environment_reads_each_folder_once(installed: Installed) -> None:
    site = installed.venv.site_packages
    scan = read_environment([site, site / ".." / site.name, installed.venv.root / "missing"])
    assert scan.paths == (site,)
    assert len(scan.distributions) == len(installed.scan.distributions)


# ------------------------------------------------------------------ interpreters


@pytest.mark.slow
def test_site_packages_question_runs_no_pth_code(tmp_path: Path) -> None:
    venv = create_venv(tmp_path / "venv")
    marker = tmp_path / "pth-ran"
    (venv.site_packages / "evil.pth").write_text(
        f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n"
    )
    assert site_packages_of(venv.python, RUN) == [venv.site_packages]
    assert not marker.exists()
    # the control: an ordinary start of that interpreter does run it
    subprocess.run([str(venv.python), "-c", "pass"], check=True)
    assert marker.read_text() == "ran"


def imported_site_dirs(python: Path) -> list[Path]:
    """The site folders an ordinary start of ``python`` puts on sys.path (site.py's view)."""
    code = (
        "import json, os, site, sys; print(json.dumps([p for p in sys.path if os.path.isdir(p) and "
        "os.path.realpath(p) in {os.path.realpath(d) for d in site.getsitepackages() + "
        "[site.getusersitepackages()]}]))"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return [Path(p) for p in json.loads(out.stdout)]


@pytest.mark.slow
def test_system_site_packages_venv_includes_the_base_folders(tmp_path: Path) -> None:
    venv = create_venv(tmp_path / "venv", system_site_packages=True)
    dirs = site_packages_of(venv.python, RUN)
    assert dirs[0] == venv.site_packages
    assert len(dirs) > 1
    assert set(imported_site_dirs(venv.python)) <= set(dirs)


@pytest.mark.slow
def test_the_user_site_folder_an_interpreter_imports_from_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe runs isolated (-I), which turns the user site off for it alone: a package
    in ~/.local, imported first by every ordinary start, was left out of the audit."""
    venv = create_venv(tmp_path / "venv", system_site_packages=True)  # it uses the user site
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PYTHONUSERBASE", raising=False)
    ask = "import site; print(site.getusersitepackages())"
    asked = subprocess.run(
        [str(venv.python), "-c", ask], capture_output=True, text=True, check=True
    )
    user = Path(asked.stdout.strip())
    assert user.is_relative_to(tmp_path / "home")
    dist_info(user, "Jinja2-2.10.dist-info", "Name: Jinja2\nVersion: 2.10\n")
    assert user in imported_site_dirs(venv.python)
    assert user in site_packages_of(venv.python, RUN)
    scan = scan_interpreter(venv.python, RUN)
    assert ("jinja2", "2.10") in {(d.name, d.version) for d in scan.distributions}


def test_running_interpreter_folders_match_what_it_imports() -> None:
    python = Path(sys.executable)
    assert set(imported_site_dirs(python)) <= set(site_packages_of(python, RUN))


def test_missing_interpreter_is_named(tmp_path: Path) -> None:
    python = tmp_path / "nope" / "python"
    with pytest.raises(EnvironmentProblem) as info:
        site_packages_of(python, RUN)
    assert str(info.value) == f"the Python interpreter {python} does not exist"
    assert info.value.hint is not None
    assert "--python" in info.value.hint


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@posix_only
def test_failing_interpreter_is_named_with_its_error(tmp_path: Path) -> None:
    python = _script(tmp_path / "python", "echo 'ImportError: no module named json' >&2; exit 3")
    with pytest.raises(EnvironmentProblem) as info:
        site_packages_of(python, RUN)
    assert str(info.value) == (
        f"{python} failed (exit code 3) when asked for its site-packages folders: "
        "ImportError: no module named json"
    )


@posix_only
def test_something_that_is_not_python(tmp_path: Path) -> None:
    python = _script(tmp_path / "python", "echo hello")
    with pytest.raises(
        EnvironmentProblem, match=r"did not answer like a Python interpreter \(it printed 'hello'\)"
    ):
        site_packages_of(python, RUN)


@posix_only
def test_not_executable(tmp_path: Path) -> None:
    python = tmp_path / "python"
    python.write_text("not a program")
    with pytest.raises(EnvironmentProblem, match=rf"cannot run {python}: Permission denied"):
        site_packages_of(python, RUN)


@posix_only
def test_interpreter_that_hangs(tmp_path: Path) -> None:
    python = _script(tmp_path / "python", "sleep 10")
    runner = SubprocessRunner(default_timeout=0.3)
    with pytest.raises(EnvironmentProblem, match=r"did not finish within 0\.3 s"):
        site_packages_of(python, runner)


@pytest.mark.slow
def test_venv_python(tmp_path: Path) -> None:
    venv = create_venv(tmp_path / "venv")
    assert venv_python(venv.root) == venv.python
    with pytest.raises(EnvironmentProblem, match="virtual environment folder not found"):
        venv_python(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EnvironmentProblem) as info:
        venv_python(tmp_path / "empty")
    assert str(info.value) == (
        f"{tmp_path / 'empty'} has no Python interpreter (looked for bin/python and "
        "Scripts/python.exe)"
    )


@pytest.mark.slow
def test_environment_kinds(tmp_path: Path) -> None:
    venv = create_venv(tmp_path / "venv")
    assert is_virtual_env(venv.root)
    assert environment_kind(venv.root) == "venv"
    cfg = read_pyvenv_cfg(venv.root)
    assert cfg["include-system-site-packages"] == "false"
    assert cfg["version"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")
    conda = tmp_path / "conda"
    (conda / "conda-meta").mkdir(parents=True)
    assert is_conda_env(conda)
    assert not is_virtual_env(conda)
    assert environment_kind(conda) == "conda"
    assert environment_kind(tmp_path) == "system"
    assert read_pyvenv_cfg(tmp_path) == {}


# ---------------------------------------------------------------------- discovery


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


RUNNING = Path(sys.executable)


@pytest.mark.slow
def test_active_virtual_env_comes_first(tmp_path: Path, project: Path) -> None:
    active = create_venv(tmp_path / "active")
    create_venv(project / ".venv")
    target = discover_target({"VIRTUAL_ENV": str(active.root)}, project, RUNNING)
    assert (target.python, target.prefix, target.source) == (
        active.python,
        active.root,
        "virtual-env",
    )
    assert target.description == f"the active virtual environment {active.root} (VIRTUAL_ENV)"


@pytest.mark.slow
def test_project_dot_venv_then_venv(project: Path) -> None:
    plain = create_venv(project / "venv")
    target = discover_target({}, project, RUNNING)
    assert (target.python, target.source) == (plain.python, "project-venv")
    dot = create_venv(project / ".venv")
    target = discover_target({"CONDA_PREFIX": ""}, project, RUNNING)
    assert target.python == dot.python
    assert target.description == (
        f"the project's virtual environment {project / '.venv'} (found in the current "
        "folder; none is active)"
    )


def test_a_venv_folder_that_is_not_an_environment_is_ignored(project: Path) -> None:
    (project / "venv").mkdir()  # e.g. a package that happens to be called venv
    (project / "venv" / "__init__.py").write_text("")
    target = discover_target({}, project, RUNNING)
    assert target.source == "running"


@pytest.mark.slow
def test_conda_environment_after_project_venvs(tmp_path: Path, project: Path) -> None:
    conda = tmp_path / "conda-env"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "bin").mkdir()
    (conda / "bin" / "python").symlink_to(sys.executable)
    target = discover_target({"CONDA_PREFIX": str(conda)}, project, RUNNING)
    assert (target.source, target.python) == ("conda", conda / "bin" / "python")
    assert target.description == f"the active conda environment {conda} (CONDA_PREFIX)"
    create_venv(project / ".venv")
    assert discover_target({"CONDA_PREFIX": str(conda)}, project, RUNNING).source == "project-venv"


def test_fallback_is_the_running_interpreter(project: Path) -> None:
    target = discover_target({}, project, RUNNING)
    assert (target.python, target.prefix, target.source) == (RUNNING, None, "running")
    assert target.description == (
        f"the Python running pipvet ({RUNNING}): no virtual environment is active and none "
        "was found in ./.venv or ./venv"
    )


def test_broken_active_virtual_env_is_an_error_not_a_fallthrough(
    tmp_path: Path, project: Path
) -> None:
    gone = tmp_path / "deleted-venv"
    with pytest.raises(EnvironmentProblem) as info:
        discover_target({"VIRTUAL_ENV": str(gone)}, project, RUNNING)
    assert str(info.value).startswith(f"VIRTUAL_ENV points at {gone}, which is not usable: ")
    assert info.value.hint is not None
    assert "deactivate" in info.value.hint


# ------------------------------------------------------------- crafted site-packages


def dist_info(
    site: Path, folder: str, metadata: str | None, files: dict[str, str] | None = None
) -> Path:
    d = site / folder
    d.mkdir(parents=True)
    if metadata is not None:
        (d / "METADATA").write_text(metadata)
    for name, text in (files or {}).items():
        (d / name).write_text(text)
    return d


def test_duplicate_versions_are_all_reported(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    a = dist_info(site, "foo-1.0.dist-info", "Name: foo\nVersion: 1.0\n")
    b = dist_info(site, "Foo-2.0.dist-info", "Name: Foo\nVersion: 2.0\n")
    scan = read_site_packages(site)
    assert [(d.name, d.version) for d in scan.dependencies] == [("foo", "1.0"), ("foo", "2.0")]
    (warning,) = scan.warnings
    assert warning == (
        f"foo is installed 2 times: 1.0 ({a}), 2.0 ({b}); all are audited. A failed or "
        "interrupted install leaves stale metadata behind: reinstall it (python -m pip install "
        "--force-reinstall foo) or remove the stale folder"
    )


def test_broken_metadata_is_skipped_not_fatal(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    no_version = dist_info(site, "nover-1.0.dist-info", "Metadata-Version: 2.1\nName: nover\n")
    no_metadata = dist_info(site, "gone_pkg-2.0.dist-info", None, {"RECORD": ""})
    unreadable = dist_info(site, "dirmeta-1.0.dist-info", None)
    (unreadable / "METADATA").mkdir()  # reading it fails, even for root
    dist_info(site, "fine-1.0.dist-info", "Name: fine\nVersion: 1.0\n")
    deps: dict[str, Dependency] = {d.name: d for d in read_site_packages(site).dependencies}
    assert deps["fine"].skipped is None
    assert deps["nover"].version is None
    assert deps["nover"].skipped == (
        f"the metadata in {no_version} has no Version: the installed release is unknown; "
        "reinstall it (python -m pip install --force-reinstall nover)"
    )
    assert deps["gone-pkg"].skipped == (
        f"{no_metadata} has no METADATA file: the installation is broken; reinstall it "
        "(python -m pip install --force-reinstall gone_pkg)"
    )
    dirmeta = deps["dirmeta"].skipped
    assert dirmeta is not None
    assert dirmeta.startswith(f"cannot read {unreadable / 'METADATA'}: ")


def test_a_version_no_release_has_is_unchecked_and_cut(tmp_path: Path) -> None:
    """A 100 KB Version was printed in full, twice, in every report."""
    site = tmp_path / "site-packages"
    folder = dist_info(
        site, "huge-1.0.dist-info", "Name: huge\nVersion: 1.0" + "a" * 100_000 + "\n"
    )
    (dep,) = read_site_packages(site).dependencies
    assert dep.skipped is not None
    assert dep.skipped.startswith(
        f"the metadata in {folder} has a Version of 100,003 characters ('1.0aaaa"
    )
    assert len(dep.skipped) < 400
    assert dep.version is None or len(dep.version) <= 128


def test_invalid_versions_are_kept_as_written(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    dist_info(site, "legacy-1.0.dist-info", "Name: legacy\nVersion: 2004d-final\n")
    (dep,) = read_site_packages(site).dependencies
    assert (dep.version, dep.skipped) == ("2004d-final", None)  # the caller judges validity


def test_egg_info_folder_file_and_egg_link(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    egg = site / "old_pkg-1.2-py3.11.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: old-pkg\nVersion: 1.2\n")
    (egg / "installed-files.txt").write_text("../old_pkg/__init__.py\nPKG-INFO\n")
    (egg / "entry_points.txt").write_text("[console_scripts]\nold = old_pkg:main\n")
    (site / "distutils_thing-0.1-py3.11.egg-info").write_text(
        "Metadata-Version: 1.0\nName: distutils-thing\nVersion: 0.1\n"
    )
    (site / "devpkg.egg-link").write_text("/home/me/src/devpkg\n.\n")
    # setup.py develop: site-packages holds only the egg-link; the project folder it names
    # holds the egg-info, and its Version is what gets audited.
    project = tmp_path / "src" / "dev_two"
    (project / "Dev_Two.egg-info").mkdir(parents=True)
    (project / "Dev_Two.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: Dev-Two\nVersion: 0.7\n"
    )
    (site / "Dev-Two.egg-link").write_text(f"{project}\n.\n")
    scan = read_site_packages(site)
    by: dict[str, Distribution] = {d.name: d for d in scan.distributions}
    assert (by["old-pkg"].version, by["old-pkg"].format) == ("1.2", "egg-info")
    assert by["old-pkg"].installed_from_wheel is False
    assert by["old-pkg"].record() == (site / "old_pkg" / "__init__.py", egg / "PKG-INFO")
    assert by["old-pkg"].console_scripts == {"old": "old_pkg:main"}
    assert by["distutils-thing"].version == "0.1"
    dev = by["devpkg"].dependency()
    # The project folder is not there: no version, so unchecked (not merely "local").
    assert (dev.version, dev.local) == (None, False)
    assert dev.skipped == (
        "editable install (setup.py develop) of /home/me/src/devpkg: no version is recorded "
        "for it, so it cannot be checked; reinstall it "
        "(python -m pip install -e /home/me/src/devpkg)"
    )
    two = by["dev-two"].dependency()
    assert (two.version, two.skipped, two.local) == ("0.7", None, True)
    assert two.local_build == (
        "local build: the code may differ from the release; editable install (setup.py "
        f"develop) of {project}"
    )


def test_what_folders_named_by_pth_files_hold_is_read(tmp_path: Path) -> None:
    """Python imports from every folder a .pth line names and pip lists what it holds: a
    vulnerable package there was left out of the audit, which then passed."""
    site = tmp_path / "site-packages"
    dist_info(site, "six-1.16.0.dist-info", "Name: six\nVersion: 1.16.0\n")
    extra = tmp_path / "extra"
    dist_info(extra, "Jinja2-2.10.dist-info", "Name: Jinja2\nVersion: 2.10\n")
    dist_info(
        site / "old-1.0-py3.11.egg", "EGG-INFO", None, {"PKG-INFO": "Name: old\nVersion: 1.0\n"}
    )
    zipped = tmp_path / "zipped-2.0-py3.11.egg"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Name: zipped\nVersion: 2.0\n")
    (tmp_path / "notes.txt").write_text("no archive: Python finds nothing in it\n")
    # An editable project's own egg-info is the release site-packages already lists.
    dist_info(tmp_path / "proj", "proj.egg-info", None, {"PKG-INFO": "Name: proj\nVersion: 0.1\n"})
    dist_info(site, "proj-0.1.dist-info", "Name: proj\nVersion: 0.1\n")
    lines = ["# a comment", "", str(extra), "./old-1.0-py3.11.egg", str(zipped)]
    lines += [str(tmp_path / "notes.txt"), str(tmp_path / "missing"), "import os", "../proj"]
    (site / "extra.pth").write_text("\n".join(lines) + "\n")
    (site / "again.pth").write_text(f"{extra}\n{site}\n")  # each folder is read once
    scan = read_site_packages(site)
    got = [(d.name, d.version, d.skipped) for d in scan.dependencies]
    assert got == [
        ("jinja2", "2.10", None),
        ("old", "1.0", None),
        ("proj", "0.1", None),
        ("six", "1.16.0", None),
        (
            "zipped",
            None,
            f"{site / 'extra.pth'} puts the file {zipped} on sys.path; pipvet does not read "
            "inside archives, so what it holds is not checked: install it with pip instead, "
            "or remove the line",
        ),
    ]
    assert scan.warnings == ()


def test_headers_only_folding_crlf_and_body(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    dist_info(
        site,
        "folded-1.0.dist-info",
        "Metadata-Version: 2.1\r\nName: folded\r\nVersion: 1.0\r\nRequires-Dist: a>=1;\r\n"
        " extra == 'x'\r\nSummary: s\r\n\r\nVersion: 9.9\r\nName: body\r\n" + "x" * 100_000,
    )
    (dist,) = read_site_packages(site).distributions
    assert (dist.name, dist.version) == ("folded", "1.0")
    assert dist.requires_dist == ("a>=1; extra == 'x'",)


LOCAL = "local build: the code may differ from the release"

# (direct_url.json with {src} for an existing folder, the label; None: not believed)
DIRECT_URLS: list[tuple[dict[str, object] | str, str | None]] = [
    ({"url": "file://{src}/p", "dir_info": {"editable": True}}, "editable install of {src}/p"),
    (
        {"url": "file://{src}/p%20q", "dir_info": {}},
        "installed from the local folder {src}/p q",
    ),
    (
        {
            "url": "https://tok:x-oauth@github.com/o/r.git",
            "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef0123"},
        },
        "installed from the git repository https://***@github.com/o/r.git at 0123456789ab",
    ),
    (
        {"url": "https://h.example/p-1.0.tar.gz", "archive_info": {"hashes": {}}},
        "installed from the archive https://h.example/p-1.0.tar.gz",
    ),
    # A folder claim about a folder that is not on this machine: a wheel can ship its own
    # direct_url.json, so it labels nothing.
    ({"url": "file:///nowhere/p", "dir_info": {"editable": True}}, None),
    ({"url": "https://h.example/p", "dir_info": {}}, None),
    # Unreadable or saying nothing: no label.
    ("{oops", None),
    ({"url": "https://h.example/x"}, None),
]


@pytest.mark.parametrize(("data", "label"), DIRECT_URLS)
def test_every_direct_url_kind_is_audited_by_version(
    tmp_path: Path, data: dict[str, object] | str, label: str | None
) -> None:
    """Whatever direct_url.json says, the declared version is audited; it only labels."""
    src = tmp_path / "src"
    (src / "p").mkdir(parents=True)
    (src / "p q").mkdir()
    text = data if isinstance(data, str) else json.dumps(data).replace("{src}", src.as_posix())
    site = tmp_path / "site-packages"
    dist_info(site, "p-1.0.dist-info", "Name: p\nVersion: 1.0\n", {"direct_url.json": text})
    (dep,) = read_site_packages(site).dependencies
    assert (dep.version, dep.skipped) == ("1.0", None)
    expected = None if label is None else f"{LOCAL}; " + label.replace("{src}", str(src))
    assert dep.local_build == expected
    assert dep.local is (label is not None)
    assert "x-oauth" not in (dep.local_build or "")


def test_empty_missing_and_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    scan = read_site_packages(tmp_path / "empty")
    assert scan.distributions == ()
    assert scan.warnings == (f"no installed distributions found in {tmp_path / 'empty'}",)
    with pytest.raises(EnvironmentProblem, match="site-packages folder not found: "):
        read_site_packages(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(EnvironmentProblem, match="not a folder: "):
        read_site_packages(tmp_path / "file")


@pytest.mark.parametrize(
    "written", ["evil-pkg\x1b[31m", "evil pkg", "-evil", "evil-", "évil", "evil/pkg"]
)
def test_a_name_no_index_can_hold_is_unchecked_not_clean(tmp_path: Path, written: str) -> None:
    # Matched by such a name, a package would find no advisory and pass: it is unchecked.
    site = tmp_path / "site-packages"
    dist_info(
        site, "evil_pkg-1.0.dist-info", f"Metadata-Version: 2.1\nName: {written}\nVersion: 1.0\n"
    )
    (dep,) = read_site_packages(site).dependencies
    assert dep.skipped is not None
    assert "which is not a valid project name" in dep.skipped
    assert dep.skipped.endswith("(python -m pip install --force-reinstall evil_pkg)")
    assert dep.version is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_pth_line_naming_a_fifo_or_a_device_does_not_hang_the_scan(tmp_path: Path) -> None:
    """Installed malware can write such a line: opening the FIFO to look for a zip archive hung
    the audit, which then never reported the malware."""
    import threading

    site = tmp_path / "site-packages"
    dist_info(site, "six-1.16.0.dist-info", "Name: six\nVersion: 1.16.0\n")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (site / "hang.pth").write_text(f"{tmp_path / 'pipe'}\n{tmp_path / 'zero'}\n")
    found: list[list[str]] = []
    worker = threading.Thread(
        target=lambda: found.append([d.name for d in read_site_packages(site).dependencies]),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the scan hangs"
    assert found == [["six"]]
