"""`pipvet audit --fix`: vulnerable requirements raised to their fix in the files that declare
them, with the real advisory snapshot, real files, and a second audit that proves it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.models import (
    Dependency,
    DependencyResult,
    Finding,
    Severity,
    SeverityLabel,
    canonicalize_name,
)
from pipvet.project.fix import apply_fix, plan_fix
from pipvet.project.fix_pyproject import fix_pyproject_text
from pipvet.project.fix_text import fix_requirement, fix_requirements_text


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(snapshot_project: Path) -> Path:
    return snapshot_project


def targets(table: dict[str, str]) -> Any:
    return lambda name, pinned: table.get(name)


# ---------------------------------------------------------------------- one requirement


@pytest.mark.parametrize(
    ("before", "relax", "after"),
    [
        ("urllib3==1.24.1", False, "urllib3==1.26.18"),
        ("urllib3==1.24.1", True, "urllib3>=1.26.18"),
        ("urllib3[socks] == 1.24.1 ; python_version>'3'", False,
         "urllib3[socks] == 1.26.18 ; python_version>'3'"),
        ("urllib3>=1.20,<2", False, "urllib3>=1.26.18,<2"),
        ("urllib3", False, "urllib3>=1.26.18"),
        ("urllib3 ; sys_platform=='linux'", False, "urllib3>=1.26.18 ; sys_platform=='linux'"),
        ("urllib3 (<2)", False, "urllib3 (<2,>=1.26.18)"),
        ("urllib3~=1.24", False, "urllib3~=1.24,>=1.26.18"),
        ("urllib3==1.26.*", False, "urllib3==1.26.*,>=1.26.18"),
        ("urllib3==1.26.20", False, "urllib3==1.26.20"),  # already fixed: untouched
        ("urllib3>=2", False, "urllib3>=2"),
    ],
)  # fmt: skip
def test_a_requirement_is_raised_and_keeps_everything_else(
    before: str, relax: bool, after: str
) -> None:
    assert fix_requirement(before, "1.26.18", relax=relax) == (after, None)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("urllib3<1.25", "exclude 1.26.18"),
        ("urllib3===1.24.1", "arbitrary string equality"),
        ("urllib3==1.24.1+cpu", "local build"),
        ("urllib3==${URLLIB3}", "environment variable"),
        ("urllib3 @ https://example.org/u.whl", "from a URL"),
    ],
)
def test_what_cannot_be_raised_says_why_and_stays(text: str, why: str) -> None:
    new, reason = fix_requirement(text, "1.26.18", relax=False)
    assert new == text
    assert reason is not None
    assert why in reason


def test_a_requirements_text_changes_only_the_pins_and_keeps_bytes() -> None:
    text = (
        "\ufeff# top\r\n"
        "requests==2.19.0 \\\r\n"
        "    ; python_version >= '3'  # web\r\n"
        "urllib3==1.24.1 --hash=sha256:abc\r\n"
        "numpy==1.0\r\n"
        "-r other.txt\r\n"
        "./local/pkg\r\n"
        "idna==2.5"
    )
    result = fix_requirements_text(
        text, targets({"requests": "2.31.0", "urllib3": "1.26.18"}), relax=False
    )
    assert result.text == text.replace("requests==2.19.0", "requests==2.31.0")
    assert [(r.line, r.after) for r in result.raised] == [
        (2, "requests==2.31.0     ; python_version >= '3'")
    ]
    assert [(n.line, n.text) for n in result.not_fixed] == [(4, "urllib3==1.24.1")]
    assert "--hash" in result.not_fixed[0].reason
    assert result.declared == {"requests", "urllib3"}


def test_a_pyproject_is_raised_in_place_and_verified() -> None:
    text = (
        '[project]\nname = "x"\nversion = "1"\n'
        "dependencies = [\n  \"urllib3 (<2)\",  # capped\n  'requests==2.19.0',\n]\n"
        '[project.optional-dependencies]\nweb = ["requests>=2"]\n'
        '[tool.other]\nurllib3 = "==1.0"\n'
    )
    result = fix_pyproject_text(
        text, targets({"requests": "2.31.0", "urllib3": "1.26.18"}), relax=True
    )
    assert result.text == (
        text.replace('"urllib3 (<2)"', '"urllib3 (<2,>=1.26.18)"')
        .replace("'requests==2.19.0'", "'requests>=2.31.0'")
        .replace('"requests>=2"', '"requests>=2.31.0"')
    )
    assert len(result.raised) == 3
    with pytest.raises(ValueError, match="not valid TOML"):
        fix_pyproject_text("[project\n", targets({}), relax=False)


# ---------------------------------------------------------------------- end to end


PINS = "requests==2.19.0  # web\nurllib3[socks]==1.24.1 ; python_version >= '3.8'\n"


def test_dry_run_shows_the_floor_changes_and_writes_nothing(env: Path) -> None:
    req = env / "requirements.txt"
    req.write_text(PINS, encoding="utf-8")
    code, out, err = run(["audit", "-r", "requirements.txt", "--fix", "--dry-run", "--relax"])
    assert code == 1, err
    assert "+requests>=2.31.0  # web\n" in out
    assert "+urllib3[socks]>=1.26.18 ; python_version >= '3.8'\n" in out
    assert "Dry run: nothing was written." in out
    assert req.read_text(encoding="utf-8") == PINS


def test_fix_writes_the_files_and_a_second_audit_finds_nothing_fixable(env: Path) -> None:
    (env / "requirements.txt").write_text(
        "requests==2.19.0  # web\n-r base.txt\n-c constraints.txt\nidna\n", encoding="utf-8"
    )
    (env / "base.txt").write_text("urllib3[socks]==1.24.1  # http\n", encoding="utf-8")
    (env / "constraints.txt").write_text("jinja2==2.10\nidna==2.5\n", encoding="utf-8")
    (env / "uv.lock").write_text("version = 1\n", encoding="utf-8")
    code, out, err = run(["audit", "-r", "requirements.txt", "--fix"])
    assert code == 1, err
    assert (
        (env / "requirements.txt")
        .read_text(encoding="utf-8")
        .startswith("requests==2.31.0  # web\n")
    )
    assert (env / "base.txt").read_text(encoding="utf-8") == "urllib3[socks]==1.26.18  # http\n"
    # the constraint is where idna's version is decided: fixed there (and the bare name floored)
    assert (env / "constraints.txt").read_text(encoding="utf-8") == "jinja2==2.10\nidna==3.7\n"
    assert "requirements.txt:4  idna  ->  idna>=3.7" in out
    assert "uv.lock (uv): uv lock --upgrade-package idna --upgrade-package requests" in out
    assert "pipvet update" in out

    code, out, err = run(["audit", "-r", "requirements.txt", "--format", "json"])
    report = json.loads(out)
    fixable = [d for d in report["dependencies"] if d.get("fix_requirement")]
    assert fixable == []
    assert {(d["name"], d["version"]) for d in report["dependencies"]} >= {
        ("requests", "2.31.0"),
        ("urllib3", "1.26.18"),
    }


def test_a_pyproject_is_fixed_where_it_declares_the_dependency(env: Path) -> None:
    pyproject = env / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\nversion = "1"\n'
        'dependencies = [\n  "requests==2.19.0",  # web\n  "urllib3 (==1.24.1)",\n]\n',
        encoding="utf-8",
    )
    code, _, err = run(["audit", "-r", "pyproject.toml", "--fix", "-q"])
    assert code == 1, err
    text = pyproject.read_text(encoding="utf-8")
    assert '"requests==2.31.0",  # web\n' in text
    assert '"urllib3 (==1.26.18)",\n' in text
    code, _, err = run(["audit", "-r", "pyproject.toml", "-q"])
    assert code == 0, err


def test_a_file_that_cannot_be_parsed_is_not_touched(tmp_path: Path) -> None:
    """Without -r the project's usual files are fixed; a broken one is listed and left."""
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n", encoding="utf-8")
    (tmp_path / "dev-requirements.txt").write_text("requests==2.19.0 [\n", encoding="utf-8")
    broken = '[project]\ndependencies = ["requests==2.19.0"\n'
    (tmp_path / "pyproject.toml").write_text(broken, encoding="utf-8")
    finding = Finding(
        "vulnerability", "PYSEC-2018-28", (), "", Severity(SeverityLabel.HIGH), ("2.20.0",),
        ("PYSEC-2018-28",), "2024-01-01T00:00:00Z",
    )  # fmt: skip
    dep = Dependency(canonicalize_name("requests"), "2.19.0", "requests")
    plan = plan_fix(tmp_path, [], [DependencyResult(dep, (finding,), "requests>=2.20.0")])
    assert [f.display for f in plan.changed] == ["requirements.txt"]
    assert len(plan.problems) == 2
    assert any("pyproject.toml" in p and "not valid TOML" in p for p in plan.problems)
    assert apply_fix(plan) == ("requirements.txt",)
    assert (tmp_path / "requirements.txt").read_text(encoding="utf-8") == "requests==2.20.0\n"
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == broken
    assert (tmp_path / "dev-requirements.txt").read_text(encoding="utf-8") == "requests==2.19.0 [\n"


def test_a_file_outside_the_project_is_audited_never_edited(tmp_path: Path) -> None:
    other = tmp_path / "other" / "requirements.txt"
    other.parent.mkdir()
    other.write_text("requests==2.19.0\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("-r ../other/requirements.txt\n", encoding="utf-8")
    finding = Finding(
        "vulnerability", "PYSEC-2018-28", (), "", Severity(SeverityLabel.HIGH), ("2.20.0",),
        ("PYSEC-2018-28",), "2024-01-01T00:00:00Z",
    )  # fmt: skip
    dep = Dependency(canonicalize_name("requests"), "2.19.0", "requests")
    plan = plan_fix(repo, [], [DependencyResult(dep, (finding,), "requests>=2.20.0")])
    assert plan.changed == ()
    (note,) = plan.left
    assert note.startswith(f"{other}: outside {repo} (through an include or a link)")
    assert apply_fix(plan) == ()
    assert other.read_text(encoding="utf-8") == "requests==2.19.0\n"


def test_fix_flags_are_checked(env: Path) -> None:
    (env / "requirements.txt").write_text("requests==2.19.0\n", encoding="utf-8")
    code, _, err = run(["audit", "-r", "requirements.txt", "--dry-run"])
    assert code == 2
    assert "--dry-run only applies with --fix" in err
    code, _, err = run(["audit", "--path", str(env), "--fix"])
    assert code == 2
    assert "Traceback" not in err
