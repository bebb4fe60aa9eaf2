"""A policy found by walking up from the working folder is not applied when another user
could have planted it: it belongs to someone else and sits in a folder every user can write
(``/tmp/pipvet.toml`` above ``/tmp/analysis``). It would decide what fails and where the
advisories come from."""

from __future__ import annotations

import io
import os
import stat
from datetime import date
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from pipvet.models import SeverityLabel
from pipvet.policy import load_policy
from pipvet.policy_file import candidate
from tests.support.osv_bucket import fixed_in, write_bucket

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="needs user ids")
TODAY = date(2026, 12, 2)
STRANGER = 54321


def shared_scratch(tmp_path: Path) -> Path:
    """A folder like /tmp: every user can write it, the sticky bit keeps files their owner's."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    scratch.chmod(0o1777)
    return scratch


def planted(path: Path, text: str) -> Path:
    path.write_text(text)
    os.chown(path, STRANGER, STRANGER, follow_symlinks=False)
    return path


as_root = pytest.mark.skipif(os.name != "posix" or os.getuid() != 0, reason="chown needs root")


@as_root
@pytest.mark.parametrize("name", ["pipvet.toml", "pyproject.toml"])
def test_a_strangers_policy_in_a_shared_folder_is_skipped_with_a_warning(
    tmp_path: Path, name: str
) -> None:
    scratch = shared_scratch(tmp_path)
    text = 'fail-on = "critical"\n'
    planted(scratch / name, text if name == "pipvet.toml" else f"[tool.pipvet]\n{text}")
    work = scratch / "analysis"
    work.mkdir()
    policy = load_policy(work, today=TODAY)
    assert policy.source is None
    assert policy.fail_on == "any"
    (warning,) = policy.warnings
    assert f"{scratch / name} is not applied: it belongs to another user (uid {STRANGER})" in (
        warning
    )
    assert "--policy" in warning
    # Named outright, it is the user's choice.
    assert load_policy(work, scratch / name, today=TODAY).fail_on == SeverityLabel.CRITICAL


@as_root
def test_a_planted_link_and_a_broken_file_are_skipped_too(tmp_path: Path) -> None:
    scratch = shared_scratch(tmp_path)
    mine = tmp_path / "mine.toml"
    mine.write_text('fail-on = "critical"\n')
    link = scratch / "pipvet.toml"
    link.symlink_to(mine)  # the target is the user's own file; the link is not
    os.chown(link, STRANGER, STRANGER, follow_symlinks=False)
    planted(scratch / "pyproject.toml", "[tool.pipvet\n")  # would be an error for everyone below
    policy = load_policy(scratch / ".", today=TODAY)
    assert policy.source is None
    assert len(policy.warnings) == 2


@as_root
def test_the_same_file_in_a_folder_others_cannot_write_is_applied(tmp_path: Path) -> None:
    """A team's folder (group-writable) is no shared scratch folder, unless it sits below one:
    pytest's folders are below /tmp, so this one is made in the home folder."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="pipvet-team-", dir=Path.home()))
    try:
        if any(p.stat().st_mode & stat.S_IWOTH for p in base.parents):
            pytest.skip("the home folder is below a folder every user can write")
        team = base / "team"
        team.mkdir()
        team.chmod(0o2775)  # a shared project folder: group-writable, not every user's
        planted(team / "pipvet.toml", 'fail-on = "critical"\n')
        assert load_policy(team, today=TODAY).fail_on == SeverityLabel.CRITICAL
        # Below /tmp, the same folder is skipped: anyone could have made it.
        shared = shared_scratch(tmp_path) / "team"
        shared.mkdir()
        planted(shared / "pipvet.toml", 'fail-on = "critical"\n')
        assert load_policy(shared, today=TODAY).source is None
    finally:
        shutil.rmtree(base)


def test_own_files_and_roots_are_candidates_anywhere(tmp_path: Path) -> None:
    scratch = shared_scratch(tmp_path)
    path = scratch / "pipvet.toml"
    path.write_text("")
    me = os.getuid()
    skipped: list[str] = []
    assert candidate(path, skipped, uid=me)
    owner = path.stat().st_uid
    if owner != 0:  # run as another user, the file is a stranger's to uid me + 1
        assert not candidate(path, skipped, uid=me + 1)
        assert len(skipped) == 1
    assert not candidate(scratch / "missing.toml", skipped)
    assert not candidate(scratch, skipped)  # a folder is no policy file
    assert stat.S_IMODE(scratch.stat().st_mode) == 0o1777


@as_root
def test_a_planted_policy_cannot_pass_a_vulnerable_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = fixed_in("PYSEC-2099-8", "vulnpkg")
    monkeypatch.setenv("PIPVET_OSV_URL", str(write_bucket(tmp_path / "osv", [record])))
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    scratch = shared_scratch(tmp_path)
    # Unrated findings pass at fail-on = "critical" once unknown severities are ignored.
    planted(scratch / "pipvet.toml", 'fail-on = "critical"\nunknown-severity = "ignore"\n')
    work = scratch / "analysis"
    work.mkdir()
    (work / "requirements.txt").write_text("vulnpkg==1.0\n")
    monkeypatch.chdir(work)
    out, err = io.StringIO(), io.StringIO()
    code = main(["audit", "-r", "requirements.txt"], Output(stdout=out, stderr=err))
    text = " ".join((out.getvalue() + err.getvalue()).split())
    assert code == 1, text
    assert "PYSEC-2099-8" in text
    assert f"{scratch / 'pipvet.toml'} is not applied: it belongs to another user" in text


@as_root
def test_a_strangers_folders_below_a_shared_one_do_not_make_the_policy_safe(
    tmp_path: Path,
) -> None:
    """/tmp/x/build/out: the stranger made /tmp/x and everything in it, not only the file."""
    scratch = shared_scratch(tmp_path)
    build = scratch / "x" / "build"
    build.mkdir(parents=True)
    for folder in (scratch / "x", build):
        folder.chmod(0o755)
        os.chown(folder, STRANGER, STRANGER)
    planted(build / "pipvet.toml", 'fail-on = "critical"\n')
    out = build / "out"
    out.mkdir()
    out.chmod(0o777)
    policy = load_policy(out, today=TODAY)
    assert policy.source is None
    (warning,) = policy.warnings
    assert f"sits below {scratch}, which every user can write" in warning
