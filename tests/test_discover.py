"""One rule finds a project's requirements files, for relax, update and doctor alike."""

from __future__ import annotations

from pathlib import Path

from pipvet.inputs.discover import discover_requirement_files
from pipvet.project import doctor, relax
from pipvet.update import run as update_run


def test_every_usual_name_is_found_once_in_a_stable_order(tmp_path: Path) -> None:
    for name in (
        "requirements.txt", "dev-requirements.txt", "requirements-test.in",
        "requirements/base.txt", "requirements/ci.in", "notes.txt", "setup.cfg",
    ):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    (tmp_path / "requirements-old.txt").mkdir()  # a folder is not a file
    found = [p.relative_to(tmp_path).as_posix() for p in discover_requirement_files(tmp_path)]
    assert found == [
        "dev-requirements.txt",
        "requirements.txt",
        "requirements-test.in",
        "requirements/base.txt",
        "requirements/ci.in",
    ]


def test_relax_update_and_doctor_share_the_one_rule() -> None:
    # No command keeps a private copy with another pattern.
    for module in (relax, update_run, doctor):
        assert getattr(module, "discover_requirement_files", None) in (
            None,
            discover_requirement_files,
        )
