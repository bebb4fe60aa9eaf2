"""A virtual environment the checkout's git tracks is the checkout's code: pipvet reads git's
index itself (all three formats, SHA-1 and SHA-256, linked worktrees) and refuses to run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipvet.inputs.git_tracked import first_tracked, tracked_path
from tests.test_project_venv_trust import run_in_checkout

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=GIT_ENV, check=True, capture_output=True, text=True
    )
    return done.stdout


PATHS = [
    "a.txt",
    "src/pkg/__init__.py",
    "src/pkg/very/deep/" + "n" * 200 + ".py",  # long names, prefix compression in format 4
    "venv-notes.md",
    ".venvx/keep",
    "tools/.venv/lib/python3.11/site-packages/evil.pth",
]


def make_repo(root: Path, object_format: str = "sha1") -> Path:
    root.mkdir()
    git(root, "init", "-q", f"--object-format={object_format}")
    for rel in PATHS:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel[:10])
    git(root, "add", "-A")
    return root


def folders(root: Path) -> set[str]:
    tracked = git(root, "ls-files", "-z").split("\0")
    out = {"", "nowhere", ".venv", "src/pk", "tools/.ven"}
    for rel in tracked:
        parts = rel.split("/")
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return out - {""}


@pytest.mark.parametrize("version", [2, 3, 4])
@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_the_index_is_read_as_git_reads_it(
    tmp_path: Path, version: int, object_format: str
) -> None:
    root = make_repo(tmp_path / "r", object_format)
    if version == 3:  # format 3 appears with an extended flag, as intent-to-add sets it
        (root / "later.txt").write_text("x")
        git(root, "add", "-N", "later.txt")
    git(root, "update-index", f"--index-version={version}")
    data = (root / ".git" / "index").read_bytes()
    assert int.from_bytes(data[4:8], "big") == version
    size = 32 if object_format == "sha256" else 20
    for folder in sorted(folders(root)):
        by_git = git(root, "ls-files", "-z", "--", folder).split("\0")[0] or None
        found = first_tracked(data, folder, size)
        assert (found is None) == (by_git is None), folder
        if found is not None:
            assert found == folder or found.startswith(folder + "/")
    assert tracked_path(root / "tools" / ".venv") == (
        "tools/.venv/lib/python3.11/site-packages/evil.pth"
    )
    assert tracked_path(root / ".venv") is None


def test_a_linked_worktree_and_a_damaged_index(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    git(root, "commit", "-qm", "one")
    other = tmp_path / "wt"
    git(root, "worktree", "add", "-q", str(other))
    assert (other / ".git").is_file()
    assert tracked_path(other / "tools" / ".venv") is not None
    assert tracked_path(other / "src") == "src/pkg/__init__.py"
    data = (root / ".git" / "index").read_bytes()
    for cut in range(0, len(data), 37):  # every cut gives an answer, never an exception
        first_tracked(data[:cut], "tools/.venv")
    assert first_tracked(b"DIRC" + bytes(8), "x") is None
    assert first_tracked(b"not an index", "x") is None


def committed_venv(project: Path, marker: Path) -> None:
    """A checkout that commits a venv made the usual way (its python a link to an installed
    one, which passes every other check) with a .pth file that runs at every start."""
    project.mkdir()
    git(project, "init", "-q")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    purelib = next((project / ".venv" / "lib").glob("python*/site-packages"))
    (purelib / "evil.pth").write_text(f"import os; open({str(marker)!r}, 'w').close()\n")
    git(project, "add", "-f", ".venv")
    git(project, "commit", "-qm", "venv")


@pytest.mark.skipif(os.name == "nt", reason="a POSIX venv layout")
@pytest.mark.parametrize(
    "argv",
    [
        ["install", "six", "--index-url", "http://127.0.0.1:9/simple"],
        ["audit", "--offline"],
        ["update", "--offline"],
    ],
)
def test_a_committed_venv_is_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    project = tmp_path / "checkout"
    marker = tmp_path / "ran"
    committed_venv(project, marker)
    code, flat = run_in_checkout(project, argv, tmp_path / "cache", monkeypatch)
    assert code == 2, flat
    assert "the git checkout tracks" in flat
    assert "git rm -r --cached .venv" in flat
    assert not marker.exists()


@pytest.mark.skipif(os.name == "nt", reason="a POSIX venv layout")
def test_an_untracked_venv_in_a_checkout_is_used(tmp_path: Path) -> None:
    from pipvet.inputs.interpreter import discover_target

    project = tmp_path / "checkout"
    project.mkdir()
    git(project, "init", "-q")
    (project / ".gitignore").write_text(".venv/\n")
    (project / "a.py").write_text("")
    git(project, "add", "-A")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    assert discover_target({}, project, Path(sys.executable)).source == "project-venv"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("planted", ["index", "dot-git-file", "config", "zero"])
def test_an_archive_planting_special_files_where_git_keeps_its_own_does_not_hang(
    tmp_path: Path, planted: str
) -> None:
    """A tarball of a checkout can hold a FIFO or a link to /dev/zero as .git/index, .git or
    .git/config: the probe reads none of them (unbounded, either would hang it)."""
    import threading

    project = tmp_path / "checkout"
    (project / ".venv").mkdir(parents=True)
    git_dir = project / ".git"
    if planted == "dot-git-file":
        os.mkfifo(git_dir)
    else:
        git_dir.mkdir()
        if planted == "config":  # read only once there is an index to read
            (git_dir / "index").write_bytes(b"DIRC" + (2).to_bytes(4, "big") + bytes(4))
        target = git_dir / ("config" if planted == "config" else "index")
        if planted == "zero":
            target.symlink_to("/dev/zero")
        else:
            os.mkfifo(target)
    answers: list[str | None] = []
    worker = threading.Thread(
        target=lambda: answers.append(tracked_path(project / ".venv")), daemon=True
    )
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the probe hangs"
    assert answers == [None]


def test_a_split_index_is_read_with_its_shared_index(tmp_path: Path) -> None:
    """With core.splitIndex, the index holds only recent changes; the rest sits in a shared
    index its `link` extension names."""
    root = make_repo(tmp_path / "r")
    git(root, "commit", "-qm", "one")
    git(root, "update-index", "--split-index")
    (root / "new.txt").write_text("x")
    git(root, "add", "new.txt")
    assert list((root / ".git").glob("sharedindex.*"))
    assert tracked_path(root / "tools" / ".venv") is not None
    assert tracked_path(root / "new.txt") == "new.txt"
    assert tracked_path(root / "nowhere") is None


@pytest.mark.skipif(os.name == "nt", reason="a POSIX venv layout")
def test_a_venv_that_is_the_checkout_itself_is_refused(tmp_path: Path) -> None:
    """doctor runs ${workspaceFolder}/bin/python from a task: the venv folder is then the
    work tree's root, which holds .git itself."""
    from pipvet.errors import EnvironmentProblem
    from pipvet.inputs.interpreter import project_venv_python

    project = tmp_path / "checkout"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project)], check=True)
    git(project, "init", "-q")
    git(project, "add", "-f", "pyvenv.cfg", "bin")
    assert tracked_path(project) is not None
    with pytest.raises(EnvironmentProblem, match="the git checkout tracks"):
        project_venv_python(project, project)


def entry(path: bytes) -> bytes:
    """One index entry of format 2: stat fields, a SHA-1, flags, the path, NUL padding."""
    head = bytes(40) + bytes(20) + min(len(path), 0xFFF).to_bytes(2, "big") + path
    return head + bytes(8 - len(head) % 8)


def test_case_long_paths_and_damaged_gitdirs(tmp_path: Path) -> None:
    index = b"DIRC" + (2).to_bytes(4, "big") + (2).to_bytes(4, "big")
    index += entry(b"a.txt") + entry(b".VENV/bin/python")
    assert first_tracked(index, ".venv") == ".VENV/bin/python"  # one folder on macOS
    long_one = b"DIRC" + (2).to_bytes(4, "big") + (1).to_bytes(4, "big") + entry(b"x" * 5000)
    assert first_tracked(long_one, "x") is None
    project = tmp_path / "p"
    (project / ".venv").mkdir(parents=True)
    (project / ".git").write_bytes(b"gitdir: x\0y\n")  # a NUL in the path it names
    assert tracked_path(project / ".venv") is None
