"""The test wheel builder writes wheels that are valid by the spec, so other tests can trust
what real pip installs from them."""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

from tests.support.wheels import build_wheel, pip_env, wheel_filename


def test_wheel_contents_and_record_hashes(tmp_path: Path) -> None:
    whl = build_wheel(
        tmp_path,
        "My.Pkg",
        "1.2.3",
        requires=["dep>=1", "other; extra == 'x'"],
        files={"my_pkg/__init__.py": "", "my_pkg-hook.pth": "import my_pkg\n"},
        console_scripts={"mine": "my_pkg:main"},
    )
    assert whl.name == wheel_filename("My.Pkg", "1.2.3") == "my_pkg-1.2.3-py3-none-any.whl"
    with zipfile.ZipFile(whl) as zf:
        names = zf.namelist()
        record = zf.read("my_pkg-1.2.3.dist-info/RECORD").decode()
        metadata = zf.read("my_pkg-1.2.3.dist-info/METADATA").decode()
        entry_points = zf.read("my_pkg-1.2.3.dist-info/entry_points.txt").decode()
        rows = [line.split(",") for line in record.splitlines()]
        assert sorted(r[0] for r in rows) == sorted(names)
        for path, digest, size in rows:
            if path.endswith("RECORD"):
                assert (digest, size) == ("", "")
                continue
            data = zf.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
            assert int(size) == len(data)
    assert names[-1].endswith("RECORD")
    assert "Name: My.Pkg\nVersion: 1.2.3\n" in metadata
    assert "Requires-Dist: dep>=1\nRequires-Dist: other; extra == 'x'\n" in metadata
    assert entry_points == "[console_scripts]\nmine = my_pkg:main\n"


def test_pip_env_scrubs_pip_settings() -> None:
    env = pip_env({"PIP_INDEX_URL": "https://x", "PIP_FIND_LINKS": "/x", "HOME": "/h"})
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert "PIP_INDEX_URL" not in env
    assert "PIP_FIND_LINKS" not in env
    assert env["HOME"] == "/h"
