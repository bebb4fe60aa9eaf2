"""A virtual environment found in the working folder (none active, none named) is one the
checkout may have brought along: pipvet runs its interpreter only when ``python -m venv``
could have made it (a link out of the project, or a copy of the interpreter its pyvenv.cfg
names)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from pipvet.errors import EnvironmentProblem
from pipvet.inputs.interpreter import discover_target

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows venvs hold a launcher copy")


def planted_venv(project: Path, marker: Path) -> Path:
    """What a pull request can commit: a pyvenv.cfg and an executable file as bin/python."""
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {venv / 'bin'}\nversion = 3.11.7\n")
    python = venv / "bin" / "python"
    python.write_text(f"#!/bin/sh\ntouch {marker}\n")
    python.chmod(0o755)
    return python


def run_in_checkout(
    project: Path, argv: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """``pipvet ARGV`` in ``project`` with no environment active: (exit code, stderr on one
    line)."""
    monkeypatch.chdir(project)
    for key in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(cache))
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, " ".join(err.getvalue().split())


def test_a_planted_interpreter_is_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "checkout"
    marker = tmp_path / "ran"
    planted_venv(project, marker)
    code, flat = run_in_checkout(project, ["audit", "--offline"], tmp_path / "cache", monkeypatch)
    assert code == 2
    assert "not a link to an installed Python nor a copy of the one its pyvenv.cfg names" in flat
    assert "--venv" in flat
    assert not marker.exists()


def test_a_link_that_stays_in_the_checkout_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "checkout"
    evil = project / "tools" / "python"
    evil.parent.mkdir(parents=True)
    evil.write_text("#!/bin/sh\n")
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {evil.parent}\n")  # names the planted file too
    (venv / "bin" / "python").symlink_to(evil)
    with pytest.raises(EnvironmentProblem):
        discover_target({}, project, Path(sys.executable))


@pytest.mark.parametrize("copies", [False, True])
def test_a_venv_python_made_is_found(tmp_path: Path, copies: bool) -> None:
    project = tmp_path / "project"
    project.mkdir()
    flags = ["--copies"] if copies else []
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", *flags, str(project / ".venv")],
        check=True,
    )
    target = discover_target({}, project, Path(sys.executable))
    assert target.source == "project-venv"
    assert target.python.parent == project / ".venv" / "bin"


def test_a_checkouts_module_is_not_imported_by_the_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe ran as 'python -S -E -c' in the project folder, which -c keeps first on
    sys.path: a checkout's json.py ran instead of the standard library's."""
    from pipvet.inputs.interpreter import inspect_interpreter
    from pipvet.system.process import SubprocessRunner

    marker = tmp_path / "ran"
    (tmp_path / "json.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    info = inspect_interpreter(Path(sys.executable), SubprocessRunner())
    assert info.site_packages
    assert not marker.exists()


def test_in_the_home_folder_a_python_under_it_is_the_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv and uv keep their Pythons under ~: a venv in ~ links to a file inside it."""
    home = tmp_path / "home"
    python = home / ".pyenv" / "versions" / "3.11" / "bin" / "python3.11"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    venv = home / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {python.parent}\n")
    (venv / "bin" / "python").symlink_to(python)
    monkeypatch.setenv("HOME", str(home))
    assert discover_target({}, home, Path(sys.executable)).source == "project-venv"
