"""A plain venv's site-packages are read from its layout instead of starting its interpreter:
the answer must be the interpreter's own (``inspect_interpreter``), and anything the layout
cannot vouch for must go to the interpreter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pipvet.audit.run import Inputs, collect
from pipvet.inputs.interpreter import inspect_interpreter, site_packages_of
from pipvet.inputs.venv_layout import layout_site_packages
from pipvet.system.process import RunResult, SubprocessRunner
from tests.support.wheels import Venv, build_wheel, create_venv, pip_env

RUN = SubprocessRunner()
SHORT = f"python{sys.version_info[0]}.{sys.version_info[1]}"


class _Counting:
    """A real runner that counts the processes it starts."""

    def __init__(self) -> None:
        self.calls: list[Sequence[str]] = []

    def __call__(self, argv: Sequence[str], **kwargs: Any) -> RunResult:
        self.calls.append(argv)
        return RUN(argv, **kwargs)


def _resolved(paths: Sequence[Path]) -> set[Path]:
    return {p.resolve() for p in paths}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return create_venv(tmp_path_factory.mktemp("layout") / ".venv")


def test_a_plain_venv_is_read_from_its_layout_as_its_interpreter_answers(venv: Venv) -> None:
    found = layout_site_packages(venv.python)
    assert found == [venv.root / "lib" / SHORT / "site-packages"]
    assert _resolved(found) == _resolved(inspect_interpreter(venv.python, RUN).site_packages)
    counting = _Counting()
    assert site_packages_of(venv.python, counting) == found
    assert counting.calls == []


def test_the_system_packages_or_no_venv_go_to_the_interpreter(tmp_path: Path) -> None:
    shared = create_venv(tmp_path / "shared", system_site_packages=True)
    assert layout_site_packages(shared.python) is None
    counting = _Counting()
    assert _resolved(site_packages_of(shared.python, counting)) == _resolved(
        inspect_interpreter(shared.python, RUN).site_packages
    )
    assert len(counting.calls) == 1
    base = Path(sys.base_prefix) / "bin" / "python3"
    assert layout_site_packages(base) is None  # not a venv: no pyvenv.cfg


def _copy(venv: Venv, where: Path) -> Path:
    shutil.copytree(venv.root, where, symlinks=True)
    return where / venv.python.relative_to(venv.root)


@pytest.mark.parametrize(
    "change",
    ["no version", "another version", "two versions", "system true", "no such key", "lib64",
     "fifo cfg", "no site-packages"],
)  # fmt: skip
def test_what_the_layout_cannot_vouch_for_goes_to_the_interpreter(
    venv: Venv, tmp_path: Path, change: str
) -> None:
    python = _copy(venv, tmp_path / "v")
    root = tmp_path / "v"
    cfg = root / "pyvenv.cfg"
    text = cfg.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("version")]
    if change == "no version":
        cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif change == "another version":
        cfg.write_text("\n".join([*lines, "version = 3.99.0"]) + "\n", encoding="utf-8")
    elif change == "two versions":
        (root / "lib" / "python3.99" / "site-packages").mkdir(parents=True)
    elif change == "system true":
        cfg.write_text(text.replace("= false", "= TRUE"), encoding="utf-8")
    elif change == "no such key":
        kept = [line for line in text.splitlines() if "system-site" not in line]
        cfg.write_text("\n".join(kept) + "\n", encoding="utf-8")
    elif change == "lib64":
        if (root / "lib64").is_symlink():
            (root / "lib64").unlink()
        (root / "lib64" / SHORT / "site-packages").mkdir(parents=True)
    elif change == "fifo cfg":
        cfg.unlink()
        os.mkfifo(cfg)
    else:
        shutil.rmtree(root / "lib" / SHORT / "site-packages")
    assert layout_site_packages(python) is None


def test_a_default_audit_of_a_project_venv_starts_no_process(tmp_path: Path, venv: Venv) -> None:
    project = tmp_path / "p"
    project.mkdir()
    python = _copy(venv, project / ".venv")
    wheels = tmp_path / "wheels"
    wheel = build_wheel(wheels, "jinja2", "2.10")
    site = project / ".venv" / "lib" / SHORT / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, env=pip_env(), capture_output=True,
    )  # fmt: skip
    counting = _Counting()
    got = collect(Inputs(), environ={}, cwd=project, runner=counting)
    assert counting.calls == []
    assert [(d.name, d.version) for d in got.dependencies] == [("jinja2", "2.10")]
    probed = collect(Inputs(python=python), environ={}, cwd=project, runner=RUN)
    assert got.dependencies == probed.dependencies
