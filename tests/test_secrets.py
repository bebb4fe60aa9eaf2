"""Credentials in URLs never reach what pipvet prints or writes: requirement lines, index
options, docker registry names. Each test plants distinctive values and greps every output of
the real CLI (stdout, stderr, ``-o`` files in each format, files under the cache folder)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import NetworkError
from pipvet.redact import mask_userinfo
from pipvet.system.http import HttpClient
from tests.support.httpserver import LoopbackServer, Reply, Request
from tests.support.index_server import IndexServer, document, index_server
from tests.support.osv_bucket import csv_for, zip_of

REQUIREMENTS = """\
requests==2.19.0
pkg @ https://user:SECRET-REQLINE@files.example/pkg/main.tar.gz
-e git+https://user:SECRET-EDITABLE@github.com/o/r.git#egg=r
--extra-index-url https://user:SECRET-EXTRA@private.example/simple
signed @ https://files.example/signed-1.0.tar.gz?X-Amz-Signature=SECRET-SIGNED&X-Amz-Date=1
https://files.example/dl/latest.whl?token=SECRET-QUERY
"""
PLANTED = ("SECRET-REQLINE", "SECRET-EDITABLE", "SECRET-EXTRA", "SECRET-SIGNED", "SECRET-QUERY")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(snapshot_project: Path) -> Path:
    return snapshot_project


@pytest.fixture
def index(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        monkeypatch.setenv("PIPVET_INDEX_URL", server.url)
        monkeypatch.setenv("PIPVET_TOP_PACKAGES_URL", server.popularity_url)
        yield server


def cache_files(cache: Path) -> dict[str, str | bytes]:
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
    # A file name without a version: the line is listed, not audited (a versioned file is
    # audited by its version, and a clean one is not listed in the text report).
    assert "https://***@files.example/pkg/main.tar.gz" in outputs["audit text stdout"]
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
    home.mkdir()
    secret = "wJalrXUtnFEMI-K7MDENG-SECRET-AWS-TAIL-0123456789abcdefghijkl"
    credentials = (
        f"aws_access_key_id = AKIAFIRSTLINEKEY{'x' * 30}SECRET-CUT\n"
        f"aws_secret_access_key = {secret}\n"
        "[profile other]\n"
    )
    (home / "notes.txt").write_text(credentials, encoding="utf-8")  # named as requirements
    req = project / "requirements.txt"
    req.write_text("requests==2.19.0\n-r ../home/notes.txt\nnot valid ==\n", "utf-8")
    for command in ("audit", "relax", "vet"):
        code, out, err = run([command, "-r", str(req), "--offline"])
        assert code == 2, (command, err)
        assert out == ""
        assert secret not in err
        assert "SECRET-CUT" not in err
        assert "profile" not in err
        problems = [line for line in err.splitlines() if line.startswith("  ")]
        assert len(problems) == 2, err  # the include's first bad line, and the top file's own
        assert "notes.txt:1: 'aws_access_key_id = AKIAFIRSTLINEKEY" in problems[0]
        quoted = problems[0].split("'")[1]
        assert len(quoted) <= 60
        assert "requirements.txt:3: 'not valid =='" in problems[1]
    code, _, err = run(["audit", "-r", str(req), "--offline"])
    assert "notes.txt not read past the first problem, as pip does" in err


def test_an_include_of_a_credentials_file_is_not_read_at_all(project: Path, tmp_path: Path) -> None:
    (tmp_path / "home" / ".aws").mkdir(parents=True)
    (tmp_path / "home" / ".aws" / "credentials").write_text(
        "aws_access_key_id = AKIAFIRSTLINEKEYSECRET\n", encoding="utf-8"
    )
    req = project / "requirements.txt"
    req.write_text("requests==2.19.0\n-r ../home/.aws/credentials\n", "utf-8")
    for command in ("audit", "relax", "vet"):
        code, out, err = run([command, "-r", str(req), "--offline"])
        assert code == 2, (command, err)
        assert out == ""
        assert "AKIA" not in err
        assert "so it is not read: an include can name any file" in err


# ------------------------------------------------------------------ credentials in sources


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def with_userinfo(url: str, userinfo: str) -> str:
    return url.replace("http://", f"http://{userinfo}@", 1)


def guarded(server: LoopbackServer, files: dict[str, bytes], accepted: set[str]) -> None:
    """Serve ``files`` (path -> body) only to requests carrying one of ``accepted``."""

    def handler(req: Request, rest: str) -> Reply:
        if req.headers.get("authorization") not in accepted:
            return Reply(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="mirror"'})
        body = files.get("/" + rest.split("?", maxsplit=1)[0])
        return Reply(404, b"no such file") if body is None else Reply(200, body)

    server.route_prefix("/", handler)


def test_userinfo_is_sent_as_basic_auth_and_kept_out_of_urls_and_cache(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    password = "p@ss/SECRET-HTTP"
    guarded(http_server, {"/private/x.json": b"hello"}, {basic("mirror-user", password)})
    url = with_userinfo(http_server.url, "mirror-user:p%40ss%2FSECRET-HTTP") + "/private/x.json"
    client = HttpClient(tmp_path / "cache", sleep=lambda _s: None, timeout=5)
    response = client.get(url)
    assert (response.status, response.body) == (200, b"hello")
    assert response.url == http_server.url + "/private/x.json"
    assert client.download(url, tmp_path / "x.json").status == 200
    assert leaks(cache_files(tmp_path / "cache"), ("SECRET-HTTP",)) == []

    with pytest.raises(NetworkError) as info:  # a wrong password: an error that hides it
        client.get(with_userinfo(http_server.url, "mirror-user:SECRET-WRONG") + "/private/x")
    assert "HTTP 401" in str(info.value)
    assert "SECRET-WRONG" not in f"{info.value} {info.value.hint} {info.value.url}"


def test_the_credential_follows_redirects_only_within_its_origin(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    token = basic("u", "SECRET-REDIRECT")
    seen: list[tuple[str, str | None]] = []
    port = http_server.url.rsplit(":", 1)[1]

    def route(req: Request, rest: str) -> Reply:
        seen.append((req.headers.get("host", ""), req.headers.get("authorization")))
        if rest == "same":
            return Reply(302, headers={"Location": "/target"})
        if rest == "other":  # another host name for the same server: another origin
            return Reply(302, headers={"Location": f"http://localhost:{port}/target"})
        return Reply(200, b"ok")

    http_server.route_prefix("/", route)
    client = HttpClient(None, sleep=lambda _s: None, timeout=5)
    assert client.get(with_userinfo(http_server.url, "u:SECRET-REDIRECT") + "/same").status == 200
    assert [auth for _, auth in seen] == [token, token]
    seen.clear()
    assert client.get(with_userinfo(http_server.url, "u:SECRET-REDIRECT") + "/other").status == 200
    assert seen == [(f"127.0.0.1:{port}", token), (f"localhost:{port}", None)]


def _record(rid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "modified": "2026-11-01T00:00:00Z",
        "summary": "demo is vulnerable",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]}],
        **extra,
    }


@dataclass
class Outputs:
    """Everything pipvet printed or wrote, by where it went."""

    project: Path
    texts: dict[str, str | bytes] = field(default_factory=dict)

    def every_format(self, tag: str, argv: list[str], formats: tuple[str, ...]) -> None:
        for fmt in formats:
            _, out, err = run([*argv, "--format", fmt])
            assert "Traceback" not in err, err
            self.texts[f"{tag} {fmt} stdout"], self.texts[f"{tag} {fmt} stderr"] = out, err
            report = self.project / f"{tag}.{fmt}"
            run([*argv, "--format", fmt, "-o", str(report)])
            self.texts[f"{tag} {fmt} -o"] = report.read_bytes()


AUDIT_FORMATS = ("text", "json", "markdown", "sarif")
VET_FORMATS = ("text", "json", "markdown")
REQ = ["-r", "requirements.txt"]
SOURCE_VARS = ("PIPVET_OSV_URL", "PIPVET_INDEX_URL", "PIPVET_TOP_PACKAGES_URL")


def plant_files(project: Path, home: Path) -> None:
    (project / "extra.txt").write_text(
        "demo==1.0\nfrom-include @ https://u:SECRET-INCLUDE@files.example/x.tar.gz\n", "utf-8"
    )
    (project / "requirements.txt").write_text(REQUIREMENTS + "-r extra.txt\n", "utf-8")
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(
        json.dumps({"auths": {"https://d:SECRET-DOCKER@registry.example": {"auth": "eDp5"}}}),
        "utf-8",
    )


def mirror_files() -> dict[str, bytes]:
    """A private mirror's advisories (one reference with a credential), index and top list."""
    reference = {"type": "WEB", "url": "https://ref:SECRET-REFERENCE@refs.example/a"}
    records = [_record("PYSEC-2026-1", references=[reference])]
    index_doc = document("demo", {"1.0": "2024-01-01T00:00:00Z"})
    return {
        "/osv/PyPI/all.zip": zip_of(records),
        "/osv/PyPI/modified_id.csv": csv_for(records),
        "/pypi/demo/json": json.dumps(index_doc).encode(),
        "/top.json": json.dumps({"rows": [{"project": "demo", "download_count": 5}]}).encode(),
    }


def test_credentials_planted_everywhere_reach_no_output_and_no_cache_file(
    project: Path, tmp_path: Path, http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requirement lines, -r includes, env var sources, the policy's sources, a docker config
    and advisory references, through audit, vet, relax and exposure in every format."""
    env_auth, policy_auth = basic("env", "SECRET-ENV"), basic("pol", "SECRET-POLICY")
    guarded(http_server, mirror_files(), {env_auth, policy_auth})
    home = tmp_path / "home"
    plant_files(project, home)
    outputs = Outputs(project)
    # 1. sources from the environment
    env_base = with_userinfo(http_server.url, "env:SECRET-ENV")
    for name, value in zip(SOURCE_VARS, ("/osv", "", "/top.json"), strict=True):
        monkeypatch.setenv(name, env_base + value)
    code, out, err = run(["audit", *REQ, "--format", "json"])
    assert code == 2, err  # VCS and URL lines whose release is unknown: not checked
    # the guarded mirror was read: the credential was used
    assert json.loads(out)["summary"]["findings"] >= 1
    shown_source = with_userinfo(http_server.url, "***") + "/osv"
    assert json.loads(out)["advisory_db"]["source"] == shown_source
    outputs.every_format("audit-env", ["audit", *REQ], AUDIT_FORMATS)
    outputs.every_format("vet-env", ["vet", *REQ], VET_FORMATS)
    outputs.every_format("relax", ["relax", *REQ, "--dry-run"], ("text", "json"))
    outputs.every_format("exposure", ["exposure", "--home", str(home)], VET_FORMATS)
    # 2. the same sources from the policy file
    for name in SOURCE_VARS:
        monkeypatch.delenv(name)
    pol_base = with_userinfo(http_server.url, "pol:SECRET-POLICY")
    (project / "pipvet.toml").write_text(
        f'osv-url = "{pol_base}/osv"\nindex-url = "{pol_base}"\n'
        f'top-packages-url = "{pol_base}/top.json"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "policy-cache"))
    outputs.every_format("audit-policy", ["audit", *REQ], AUDIT_FORMATS)
    outputs.every_format("vet-policy", ["vet", "demo"], VET_FORMATS)
    served = {r.path for r in http_server.requests if r.headers.get("authorization") == policy_auth}
    assert {"/osv/PyPI/all.zip", "/pypi/demo/json", "/top.json"} <= served
    # 3. a source that refuses the credential: the error names it without the credential
    (project / "pipvet.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("PIPVET_OSV_URL", with_userinfo(http_server.url, "u:SECRET-DOWN") + "/osv")
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cold-cache"))
    code, _, err = run(["audit", *REQ])
    assert code == 2
    assert f"{http_server.url}/osv/PyPI/all.zip" in err
    outputs.texts["unreachable stderr"] = err

    for cache in ("cache", "policy-cache", "cold-cache"):
        outputs.texts.update(cache_files(tmp_path / cache))
    cached = [k for k in outputs.texts if k.startswith(str(tmp_path / "policy-cache"))]
    assert len(cached) >= 3, cached  # the advisory store and the index answers, at least
    planted = (
        *PLANTED, "SECRET-INCLUDE", "SECRET-ENV", "SECRET-POLICY", "SECRET-DOCKER",
        "SECRET-REFERENCE", "SECRET-DOWN",
    )  # fmt: skip
    found = leaks(outputs.texts, planted)
    assert found == [], "\n".join(found)
