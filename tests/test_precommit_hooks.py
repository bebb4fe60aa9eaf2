"""The pre-commit hooks (.pre-commit-hooks.yaml): real pre-commit from PyPI, a real temporary
git repository whose config names this checkout at its current commit, pipvet installed by
pre-commit into its own environment, offline (local wheels, the shared advisory snapshot, a
loopback package index). Plus ``relax --check`` and the hook's pieces, in process."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipvet.cli import Output, main
from pipvet.cli._hook import _split
from pipvet.project.added import added_requirements
from tests.conftest import PROJECT_ROOT
from tests.support.index_server import index_server
from tests.support.wheels import pip_env

WHEELS = PROJECT_ROOT / "tests" / ".wheels"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------- relax --check


def test_relax_check_fails_on_a_pin_and_writes_nothing(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("pandas>=2\nrequests==2.32.3  # web\n", encoding="utf-8")
    code, out, _ = run(["relax", "--check", "--project", str(tmp_path), str(req)])
    assert code == 1
    assert "+requests>=2.32.3  # web" in out
    assert req.read_text(encoding="utf-8") == "pandas>=2\nrequests==2.32.3  # web\n"
    req.write_text("pandas>=2\nrequests>=2.32.3\n", encoding="utf-8")
    code, _, _ = run(["relax", "--check", "--project", str(tmp_path), str(req)])
    assert code == 0


def test_relax_check_on_a_broken_file_is_bad_input(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("requests==[\n", encoding="utf-8")
    code, _, err = run(["relax", "--check", "--project", str(tmp_path), str(req)])
    assert code == 2
    assert "Traceback" not in err


# ---------------------------------------------------------------------- the hook's pieces


def test_added_requirements_are_the_new_names_only() -> None:
    old = "pandas>=2\n# numpy==1\nrequests==2.31.0 ; python_version>'3'\n"
    new = "pandas>=2.1\nrequests==2.32.3\nColourama\n-r base.txt\n./local\npolars[all]>=1\n"
    assert added_requirements(old, new, pyproject=False) == ["Colourama", "polars[all]>=1"]
    assert added_requirements(None, "numpy\n", pyproject=False) == ["numpy"]
    doc = '[project]\ndependencies = ["pandas"]\n[dependency-groups]\ndev = ["pytest>=8"]\n'
    assert added_requirements('[project]\ndependencies = ["pandas"]\n', doc, pyproject=True) == [
        "pytest>=8"
    ]
    with pytest.raises(ValueError, match="not valid TOML"):
        added_requirements(None, "[project", pyproject=True)


def test_the_hook_separates_options_from_the_files(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("x\n", encoding="utf-8")
    policy = tmp_path / "pipvet.toml"
    policy.write_text("", encoding="utf-8")
    options, files = _split(["--offline", "--policy", str(policy), str(req)])
    assert options == ["--offline", "--policy", str(policy)]
    assert files == [req]


def test_the_hooks_file_names_three_python_hooks() -> None:
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["pipvet-audit", "pipvet-vet", "pipvet-relax"]
    for hook in hooks:
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["entry"].startswith("python -m pipvet.cli._hook ")


# ---------------------------------------------------------------------- real pre-commit


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
             "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"},
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture(scope="module")
def build_wheels() -> Path:
    """What pip needs to build and install pipvet with no index: setuptools and packaging as
    wheels in tests/.wheels (downloaded once, like the pip wheel other tests use)."""
    WHEELS.mkdir(exist_ok=True)
    have = {p.name.split("-")[0].lower() for p in WHEELS.glob("*.whl")}
    wanted = [w for w in ("setuptools>=68", "packaging>=24") if w.split(">")[0] not in have]
    if wanted:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--only-binary", ":all:", "--no-deps",
             "-d", str(WHEELS), *wanted],
            check=True, capture_output=True,
        )  # fmt: skip
    return WHEELS


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose pre-commit config uses the hooks at this checkout's commit."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "pipvet.toml").write_text("", encoding="utf-8")
    (root / "requirements.txt").write_text("requests>=2.31\n", encoding="utf-8")
    rev = _git(PROJECT_ROOT, "rev-parse", "HEAD")
    config = {
        "repos": [
            {
                "repo": str(PROJECT_ROOT),
                "rev": rev,
                "hooks": [{"id": "pipvet-audit"}, {"id": "pipvet-vet"}, {"id": "pipvet-relax"}],
            }
        ]
    }
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "start")
    return root


@pytest.mark.slow
def test_real_pre_commit_runs_the_three_hooks(
    repo: Path, tmp_path: Path, shared_data: Path, build_wheels: Path
) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit is not None, "pre-commit is in the test extra: pip install -e '.[test]'"
    with index_server(shared_data) as index:
        env = {
            **pip_env(),
            "PIP_NO_INDEX": "1",  # pre-commit's pip installs pipvet from local wheels only
            "PIP_FIND_LINKS": str(build_wheels),
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
            "PIPVET_CACHE_DIR": str(tmp_path / "cache"),
            "PIPVET_OSV_URL": str(shared_data / "osv"),
            "PIPVET_INDEX_URL": index.url,
            "PIPVET_TOP_PACKAGES_URL": index.popularity_url,
            "HOME": str(tmp_path),
        }

        def commit_check() -> subprocess.CompletedProcess[str]:
            _git(repo, "add", "requirements.txt")
            return subprocess.run(
                [pre_commit, "run", "--color", "never"],
                cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False,
            )  # fmt: skip

        # A commit that adds a typosquat and a vulnerable exact pin: all three hooks fail.
        (repo / "requirements.txt").write_text(
            "requests>=2.31\nurllib3==1.24.1\ncolourama\n", encoding="utf-8"
        )
        done = commit_check()
        log = done.stdout + done.stderr
        assert done.returncode == 1, log
        assert "Traceback" not in log
        audit, vet, relax = (log.split(f"- hook id: {h}")[1] for h in
                             ("pipvet-audit", "pipvet-vet", "pipvet-relax"))  # fmt: skip
        assert "- exit code: 1" in audit
        assert "urllib3 1.24.1" in audit
        assert "PYSEC-2019-132" in audit
        assert "- exit code: 1" in vet
        assert "colourama" in vet
        assert "- exit code: 1" in relax
        assert "+urllib3>=1.24.1" in relax
        assert (repo / "requirements.txt").read_text(encoding="utf-8").count("==") == 1

        # Floors only, nothing new by name: every hook passes, without asking the index.
        before = len(index.lookups())
        (repo / "requirements.txt").write_text("requests>=2.32\n", encoding="utf-8")
        done = commit_check()
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count("Passed") == 3, done.stdout
        assert len(index.lookups()) == before
