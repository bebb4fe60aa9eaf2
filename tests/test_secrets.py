"""Credentials in URLs never reach what pipvet prints or writes: requirement lines, index
options, docker registry names. Each test plants distinctive values and greps every output of
the real CLI (stdout, stderr, ``-o`` files in each format, files under the cache folder)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipvet.cli import main
from pipvet.cli._common import Output
from pipvet.redact import mask_userinfo
from tests.support.index_server import IndexServer, index_server

REQUIREMENTS = """\
requests==2.19.0
pkg @ https://user:SECRET-REQLINE@files.example/pkg-1.0.tar.gz
-e git+https://user:SECRET-EDITABLE@github.com/o/r.git#egg=r
--extra-index-url https://user:SECRET-EXTRA@private.example/simple
"""
PLANTED = ("SECRET-REQLINE", "SECRET-EDITABLE", "SECRET-EXTRA")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIPVET_OSV_URL", str(shared_data / "osv"))
    monkeypatch.delenv("PIPVET_OSV_OVERLAY", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    (root / "pipvet.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def index(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        monkeypatch.setenv("PIPVET_INDEX_URL", server.url)
        monkeypatch.setenv("PIPVET_TOP_PACKAGES_URL", server.popularity_url)
        yield server


def cache_files(cache: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in cache.rglob("*") if p.is_file()}


def leaks(texts: dict[str, str | bytes], planted: tuple[str, ...]) -> list[str]:
    """Which planted values appear in which output."""
    found = []
    for where, text in texts.items():
        data = text.encode() if isinstance(text, str) else text
        found += [f"{value} in {where}" for value in planted if value.encode() in data]
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:tok@host/x", "https://***@host/x"),
        ("git+https://tok@github.com/o/r.git", "git+https://***@github.com/o/r.git"),
        ("see https://u:p@ss@host/simple and", "see https://***@host/simple and"),
        ("'http://u:p@h:8080'", "'http://***@h:8080'"),
        ("https://host/path@v1 mail me@example.com", "https://host/path@v1 mail me@example.com"),
        ("https://host?next=a@b", "https://host?next=a@b"),
        ("no url here", "no url here"),
    ],
)
def test_mask_userinfo_hides_userinfo_and_nothing_else(text: str, expected: str) -> None:
    assert mask_userinfo(text) == expected


def test_requirement_urls_are_masked_by_audit_relax_and_vet_in_every_format(
    project: Path, index: IndexServer
) -> None:
    req = project / "requirements.txt"
    req.write_text(REQUIREMENTS, encoding="utf-8")
    outputs: dict[str, str | bytes] = {}
    commands = {
        "audit": ("text", "json", "markdown", "sarif"),
        "vet": ("text", "json", "markdown"),
        "relax": ("text", "json"),
    }
    for command, formats in commands.items():
        for fmt in formats:
            extra = ["--dry-run"] if command == "relax" else []
            argv = [command, "-r", str(req), "--format", fmt, *extra]
            code, out, err = run(argv)
            assert code in (0, 1, 2), (argv, err)
            assert "Traceback" not in err
            outputs[f"{command} {fmt} stdout"] = out
            outputs[f"{command} {fmt} stderr"] = err
            report = project / f"{command}-report.{fmt}"
            run([*argv, "-o", str(report)])
            outputs[f"{command} {fmt} -o"] = report.read_text(encoding="utf-8")
            if fmt in ("json", "sarif"):
                json.loads(out)
    assert "https://***@files.example/pkg-1.0.tar.gz" in outputs["audit text stdout"]
    assert "git+https://***@github.com/o/r.git" in outputs["vet text stdout"]
    assert "https://***@files.example" in outputs["relax text stdout"]
    assert "https://***@files.example" in outputs["relax json stdout"]
    outputs.update(cache_files(project.parent / "cache"))
    assert leaks(outputs, PLANTED) == []

    # relax really rewrites the file: the user's own credentials stay in it, untouched.
    code, out, _ = run(["relax", "-r", str(req)])
    assert code == 0
    assert leaks({"relax stdout": out}, PLANTED) == []
    assert req.read_text(encoding="utf-8") == REQUIREMENTS.replace("==2.19.0", ">=2.19.0")


def test_exposure_never_prints_a_password_in_a_registry_name(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    config = {"auths": {"https://u:SECRET-DOCKER@registry.example": {"auth": "dTpw"}}}
    (home / ".docker" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    outputs: dict[str, str | bytes] = {}
    for fmt in ("text", "json", "markdown"):
        argv = ["exposure", "--home", str(home), "--format", fmt]
        code, out, err = run(argv)
        assert code == 0, err
        assert "https://***@registry.example" in out, fmt
        outputs[f"{fmt} stdout"], outputs[f"{fmt} stderr"] = out, err
        report = project / f"exposure.{fmt}"
        run([*argv, "-o", str(report)])
        outputs[f"{fmt} -o"] = report.read_text(encoding="utf-8")
    assert leaks(outputs, ("SECRET-DOCKER",)) == []


def test_an_included_file_shows_at_most_a_cut_of_its_first_bad_line(
    project: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    secret = "wJalrXUtnFEMI-K7MDENG-SECRET-AWS-TAIL-0123456789abcdefghijkl"
    (home / ".aws" / "credentials").write_text(
        f"aws_access_key_id = AKIAFIRSTLINEKEY{'x' * 30}SECRET-CUT\n"
        f"aws_secret_access_key = {secret}\n"
        "[profile other]\n",
        encoding="utf-8",
    )
    req = project / "requirements.txt"
    req.write_text("requests==2.19.0\n-r ../home/.aws/credentials\nnot valid ==\n", "utf-8")
    for command in ("audit", "relax", "vet"):
        code, out, err = run([command, "-r", str(req), "--offline"])
        assert code == 2, (command, err)
        assert out == ""
        assert secret not in err
        assert "SECRET-CUT" not in err
        assert "profile" not in err
        problems = [line for line in err.splitlines() if line.startswith("  ")]
        assert len(problems) == 2, err  # the include's first bad line, and the top file's own
        assert "credentials:1: 'aws_access_key_id = AKIAFIRSTLINEKEY" in problems[0]
        quoted = problems[0].split("'")[1]
        assert len(quoted) <= 60
        assert "requirements.txt:3: 'not valid =='" in problems[1]
    code, _, err = run(["audit", "-r", str(req), "--offline"])
    assert "credentials not read past the first problem, as pip does" in err
