"""The cache decides what pipvet reports (advisory database, popularity list, index answers):
a cache folder that another user could have written is refused before anything is read."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from pipvet.cli import main
from pipvet.cli._common import Output
from pipvet.errors import UsageError
from pipvet.system.paths import check_cache_dir
from tests.support.osv_bucket import write_bucket


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    record = {
        "id": "PYSEC-2099-7",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "vulnlib"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}],
    }  # fmt: skip
    monkeypatch.setenv("PIPVET_OSV_URL", str(write_bucket(tmp_path / "osv", [record])))
    monkeypatch.chdir(tmp_path)
    req = tmp_path / "requirements.txt"
    req.write_text("surely-not-vulnerable==1.0\n", encoding="utf-8")
    return req


def test_a_world_writable_cache_is_refused(tmp_path: Path, pins: Path) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    code, out, err = run(["audit", "-r", str(pins), "--cache-dir", str(cache)])
    assert code == 2
    assert out == ""
    assert f"the cache folder {cache} can be written by every user" in err
    assert f"chmod o-w {cache}" in err
    assert list(cache.iterdir()) == []  # nothing read, nothing written


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_cache_of_another_user_is_refused(tmp_path: Path, pins: Path) -> None:
    cache = tmp_path / "their-cache"
    cache.mkdir()
    os.chown(cache, 65534, 65534)  # nobody
    code, _, err = run(["audit", "-r", str(pins), "--cache-dir", str(cache)])
    assert code == 2
    assert f"the cache folder {cache} belongs to another user (uid 65534)" in err
    assert "PIPVET_CACHE_DIR" in err


def test_an_own_cache_is_used_also_group_writable_and_a_missing_one_is_made(
    tmp_path: Path, pins: Path
) -> None:
    team = tmp_path / "team-cache"
    team.mkdir()
    team.chmod(0o775)  # a group sharing one cache trusts its members: allowed
    assert run(["audit", "-r", str(pins), "--cache-dir", str(team)])[0] == 0
    assert (team / "advisories.sqlite3").is_file()
    fresh = tmp_path / "not-yet" / "cache"
    assert run(["audit", "-r", str(pins), "--cache-dir", str(fresh)])[0] == 0
    assert not fresh.stat().st_mode & stat.S_IWOTH


def test_a_cache_owned_by_root_is_trusted_and_one_of_another_user_is_not(
    tmp_path: Path,
) -> None:
    # Root's folders (a read-only copy prepared for many users) are trusted by any user:
    # root can change anything on the machine anyway.
    check_cache_dir(Path("/"), uid=1000)
    mine = os.stat(tmp_path).st_uid
    check_cache_dir(tmp_path, uid=mine)
    if mine != 0:
        theirs, viewer = tmp_path, mine + 1
    else:
        theirs, viewer = tmp_path / "theirs", 1000
        theirs.mkdir()
        os.chown(theirs, 1001, 1001)
    with pytest.raises(UsageError, match=r"belongs to another user \(uid"):
        check_cache_dir(theirs, uid=viewer)
    open_to_all = tmp_path / "open"
    open_to_all.mkdir()
    open_to_all.chmod(0o777)
    with pytest.raises(UsageError, match="every user"):
        check_cache_dir(open_to_all, uid=mine)
