"""``pipvet exposure`` against a fake home with every credential kind planted.

Every planted value contains ``PLANTED`` and a per-test random part; the tests check that no
output format ever contains one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipvet.exposure.env import classify_env_name
from pipvet.exposure.inventory import (
    Exposure,
    ExposureReport,
    Harm,
    LocalFiles,
    fails_on,
    scan_exposure,
    summarize,
)
from pipvet.exposure.keys import ssh_key_state
from pipvet.report.exposure import (
    render_exposure_json,
    render_exposure_markdown,
    render_exposure_text,
)

# ---------------------------------------------------------------------------- helpers


@dataclass
class Planted:
    home: Path
    project: Path
    environ: dict[str, str] = field(default_factory=dict)
    values: list[str] = field(default_factory=list)
    salt: str = field(default_factory=lambda: secrets.token_hex(6))

    def secret(self, label: str) -> str:
        value = f"PLANTED-{label}-{self.salt}"
        self.values.append(value)
        return value

    def write(self, rel: str, text: str) -> Path:
        path = self.home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def openssh_key(cipher: str, key_type: str = "ssh-ed25519", body_secret: bytes = b"") -> str:
    """An ``openssh-key-v1`` file laid out as ssh-keygen writes it."""
    kdf = b"none" if cipher == "none" else b"bcrypt"
    kdf_options = b"" if cipher == "none" else _ssh_string(os.urandom(16)) + struct.pack(">I", 16)
    public = _ssh_string(key_type.encode()) + _ssh_string(os.urandom(32))
    private = os.urandom(64) + body_secret
    blob = (
        b"openssh-key-v1\x00"
        + _ssh_string(cipher.encode())
        + _ssh_string(kdf)
        + _ssh_string(kdf_options)
        + struct.pack(">I", 1)
        + _ssh_string(public)
        + _ssh_string(private)
    )
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i : i + 70] for i in range(0, len(b64), 70)]
    return "\n".join(
        ["-----BEGIN OPENSSH PRIVATE KEY-----", *lines, "-----END OPENSSH PRIVATE KEY-----", ""]
    )


def plant_everything(tmp_path: Path) -> Planted:
    p = Planted(home=tmp_path / "home", project=tmp_path / "project")
    p.home.mkdir()
    p.project.mkdir()
    s = p.secret
    p.environ = {
        "HOME": str(p.home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TOKENIZERS_PARALLELISM": "false",
        "AWS_ACCESS_KEY_ID": s("env-aws-id"),
        "AWS_SECRET_ACCESS_KEY": s("env-aws-secret"),
        "GITHUB_TOKEN": s("env-github"),
        "OPENAI_API_KEY": s("env-openai"),
        "HF_TOKEN": s("env-hf"),
        "DATABASE_URL": f"postgres://app:{s('env-db')}@db.internal/app",
        "MY_SERVICE_PASSWORD": s("env-password"),
        "SSH_AUTH_SOCK": "/tmp/agent.sock",
        "CUSTOM_URL": f"https://user:{s('env-url')}@internal.example/x",
    }
    p.write(
        ".aws/credentials",
        f"[default]\naws_access_key_id = AKIA{p.salt}\naws_secret_access_key = {s('aws')}\n\n"
        f"[temp]\naws_access_key_id = ASIA{p.salt}\naws_secret_access_key = {s('aws-tmp')}\n"
        f"aws_session_token = {s('aws-session')}\n",
    )
    p.write(
        ".aws/config",
        "[profile work]\nsso_session = corp\nsso_account_id = 1\n[sso-session corp]\n"
        "sso_start_url = https://corp.awsapps.com/start\n",
    )
    p.write(".aws/sso/cache/abc.json", json.dumps({"accessToken": s("aws-sso")}))
    p.write(
        ".config/gcloud/application_default_credentials.json",
        json.dumps({"type": "authorized_user", "refresh_token": s("gcp"), "client_id": "x"}),
    )
    p.write(".config/gcloud/credentials.db", "SQLite format 3\x00" + s("gcp-db"))
    p.write(".azure/msal_token_cache.json", json.dumps({"RefreshToken": {"k": s("azure")}}))
    p.write(
        ".kube/config",
        "apiVersion: v1\nkind: Config\nusers:\n"
        f"- name: admin\n  user:\n    token: {s('kube')}\n"
        "- name: eks\n  user:\n    exec:\n      command: aws\n      args: [eks, get-token]\n",
    )
    auth = base64.b64encode(f"me:{s('docker')}".encode()).decode()
    p.values.append(auth)
    p.write(
        ".docker/config.json",
        json.dumps(
            {
                "auths": {"https://index.docker.io/v1/": {"auth": auth}, "ghcr.io": {}},
                "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"},
            }
        ),
    )
    p.write(".git-credentials", f"https://me:{s('git')}@github.com\n")
    p.write(".netrc", f"machine api.wandb.ai\n  login user\n  password {s('netrc')}\n")
    p.write(
        ".pypirc",
        f"[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\n"
        f"password = pypi-{s('pypi')}\n[private]\nusername = me\npassword = {s('pypi-pw')}\n",
    )
    p.write(
        ".npmrc",
        f"//registry.npmjs.org/:_authToken={s('npm')}\n"
        "//npm.pkg.github.com/:_authToken=${GH_NPM_TOKEN}\n",
    )
    p.write(
        ".config/gh/hosts.yml",
        f"github.com:\n    user: me\n    oauth_token: {s('gh')}\n    git_protocol: https\n"
        "ghe.example.com:\n    user: me\n    git_protocol: ssh\n",
    )
    p.write(".ssh/id_ed25519", openssh_key("none", body_secret=s("ssh").encode()))
    p.write(".ssh/id_ed25519.pub", "ssh-ed25519 AAAA me@host\n")
    p.write(".ssh/id_work", openssh_key("aes256-ctr"))
    p.write(".ssh/known_hosts", "github.com ssh-ed25519 AAAA\n")
    p.write(".ssh/config", "Host *\n  IdentityFile ~/.ssh/id_work\n")
    p.write(
        ".claude/.credentials.json",
        json.dumps({"claudeAiOauth": {"accessToken": s("claude"), "refreshToken": s("cl-r")}}),
    )
    p.write(".codex/auth.json", json.dumps({"OPENAI_API_KEY": s("codex")}))
    p.write(
        ".config/github-copilot/apps.json",
        json.dumps({"github.com:Iv1": {"user": "me", "oauth_token": s("copilot")}}),
    )
    p.write(
        ".cursor/mcp.json",
        json.dumps({"mcpServers": {"gh": {"command": "x", "env": {"GITHUB_PAT": s("mcp")}}}}),
    )
    p.write(".cache/huggingface/token", s("hf") + "\n")
    p.write(
        ".config/pip/pip.conf",
        f"[global]\nextra-index-url = https://me:{s('pip')}@pkgs.example.com/simple\n",
    )
    (p.project / ".env").write_text(
        f"OPENAI_API_KEY={s('dotenv-openai')}\nDEBUG=1\nexport STRIPE_KEY={s('dotenv-stripe')}\n",
        encoding="utf-8",
    )
    (p.project / ".env.example").write_text("OPENAI_API_KEY=changeme\n", encoding="utf-8")
    return p


def by_kind(report: ExposureReport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in report.exposures:
        out.setdefault(e.kind, []).extend(e.names)
    return out


def find(report: ExposureReport, kind: str, name: str | None = None) -> list[Exposure]:
    return [e for e in report.exposures if e.kind == kind and (name is None or name in e.names)]


# ---------------------------------------------------------------------------- the inventory


def test_every_planted_credential_is_listed_with_harm_and_lifetime(tmp_path: Path) -> None:
    p = plant_everything(tmp_path)
    report = scan_exposure(p.home, p.environ, p.project)
    kinds = by_kind(report)

    expected = {
        "env-aws-keys": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        "aws-static-keys": ["default"],
        "aws-session-keys": ["temp"],
        "aws-sso-profiles": ["work"],
        "kube-inline-credentials": ["admin"],
        "kube-exec-plugin": ["eks"],
        "docker-inline-auth": ["https://index.docker.io/v1/"],
        "docker-credential-helper": ["123.dkr.ecr.us-east-1.amazonaws.com"],
        "git-credentials": ["github.com"],
        "netrc": ["api.wandb.ai"],
        "pypirc": ["pypi", "private"],
        "npmrc": ["registry.npmjs.org"],
        "gh-token": ["github.com"],
        "gh-keyring": ["ghe.example.com"],
        "ssh-key": ["id_ed25519"],
        "ssh-key-protected": ["id_work"],
        "index-url-credentials": ["pkgs.example.com"],
        "dotenv": ["OPENAI_API_KEY", "STRIPE_KEY"],
        "ssh-agent": ["SSH_AUTH_SOCK"],
    }
    for kind, names in expected.items():
        assert kind in kinds, f"{kind} missing from {sorted(kinds)}"
        assert sorted(kinds[kind]) == sorted(names), kind
    env_names = kinds["env-secret"]
    assert sorted(env_names) == sorted(
        [
            "GITHUB_TOKEN",
            "OPENAI_API_KEY",
            "HF_TOKEN",
            "DATABASE_URL",
            "MY_SERVICE_PASSWORD",
            "CUSTOM_URL",
        ]
    )
    for kind in ("aws-token-cache", "gcp-credentials", "gcp-gcloud-logins", "azure-credentials"):
        assert kind in kinds
    assert "huggingface-token" in kinds
    ai = {e.location: e.names for e in report.exposures if e.kind == "ai-credentials"}
    assert ai["~/.claude/.credentials.json"] == (
        "claudeAiOauth.accessToken",
        "claudeAiOauth.refreshToken",
    )
    assert ai["~/.codex/auth.json"] == ("OPENAI_API_KEY",)
    assert ai["~/.config/github-copilot/apps.json"] == ("github.com:Iv1.oauth_token",)
    assert ai["~/.cursor/mcp.json"] == ("mcpServers.gh.env.GITHUB_PAT",)

    # Variables that merely mention tokens, and npm tokens read from a variable, are not listed.
    assert "TOKENIZERS_PARALLELISM" not in env_names
    assert "npm.pkg.github.com" not in kinds["npmrc"]
    # Templates are not secrets; known_hosts, config and .pub files are not keys.
    assert all(".env.example" not in e.location for e in report.exposures)
    assert "id_ed25519.pub" not in kinds["ssh-key"] + kinds["ssh-key-protected"]

    (static,) = find(report, "aws-static-keys")
    (session,) = find(report, "aws-session-keys")
    assert (static.lifetime, static.harm) == ("long-lived", Harm.CLOUD_BILL)
    assert session.lifetime == "short-lived"
    (pypi,) = find(report, "pypirc", "pypi")
    assert pypi.what == "PyPI upload API tokens"
    assert pypi.harm is Harm.PUBLISHING
    (gh,) = find(report, "gh-token")
    assert gh.harm is Harm.SOURCE_CODE
    (docker,) = find(report, "docker-inline-auth")
    assert docker.harm is Harm.PUBLISHING
    (helper,) = find(report, "docker-credential-helper")
    assert helper.protected


def test_ranking_puts_cloud_first_and_protected_last(tmp_path: Path) -> None:
    p = plant_everything(tmp_path)
    report = scan_exposure(p.home, p.environ, p.project)
    exposed = report.exposed
    harms = [int(e.harm) for e in exposed]
    assert harms == sorted(harms)
    assert exposed[0].harm is Harm.CLOUD_BILL
    # within one harm, long-lived before unknown before short-lived
    cloud = [e.lifetime for e in exposed if e.harm is Harm.CLOUD_BILL]
    order = {"long-lived": 0, "unknown": 1, "short-lived": 2}
    assert [order[x] for x in cloud] == sorted(order[x] for x in cloud)
    protected_from = next(i for i, e in enumerate(report.exposures) if e.protected)
    assert all(e.protected for e in report.exposures[protected_from:])


def test_no_output_format_contains_a_planted_value(tmp_path: Path) -> None:
    p = plant_everything(tmp_path)
    report = scan_exposure(p.home, p.environ, p.project)
    outputs = {
        "text": render_exposure_text(report),
        "json": render_exposure_json(report),
        "markdown": render_exposure_markdown(report),
        "repr": repr(report),
    }
    for fmt, text in outputs.items():
        assert "PLANTED" not in text, fmt
        for value in p.values:
            assert value not in text, (fmt, value)
            assert value[:24] not in text, (fmt, value)
    data = json.loads(outputs["json"])
    assert data["summary"]["exposed"] == len(report.exposed)
    assert data["summary"]["worst_harm"] == "cloud-bill"
    assert "~/.ssh/id_ed25519" in data["checked"]


def test_summary_counts_for_doctor(tmp_path: Path) -> None:
    p = plant_everything(tmp_path)
    report = scan_exposure(p.home, p.environ, p.project)
    s = summarize(report)
    assert s.exposed == len(report.exposed) > 20
    assert s.long_lived == sum(1 for e in report.exposed if e.lifetime != "short-lived")
    assert s.protected == len(report.protected) >= 4
    assert s.worst is Harm.CLOUD_BILL
    assert dict(s.by_harm)[Harm.PUBLISHING] >= 4
    assert len(s.top) == 5
    assert not s.clean


def test_empty_home_is_clean(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    report = scan_exposure(home, {"HOME": str(home), "PATH": "/bin"}, tmp_path)
    assert report.exposures == ()
    assert report.unreadable == ()
    assert summarize(report).clean
    assert not fails_on(report, "any")
    assert "No readable credentials found" in render_exposure_text(report)
    assert "~/.aws/credentials" in report.checked
    assert "~/.ssh/" in report.checked


def test_fail_on_levels(tmp_path: Path) -> None:
    p = Planted(home=tmp_path / "home", project=tmp_path)
    p.home.mkdir()
    p.write(".aws/sso/cache/x.json", "{}")
    short_only = scan_exposure(p.home, {}, p.project)
    assert [e.lifetime for e in short_only.exposed] == ["short-lived"]
    assert fails_on(short_only, "any")
    assert not fails_on(short_only, "long-lived")
    assert not fails_on(short_only, "never")
    unknown = scan_exposure(p.home, {"SOME_TOKEN": "x"}, p.project)
    assert fails_on(unknown, "long-lived")  # unknown lifetime counts as long-lived


# ---------------------------------------------------------------------------- unreadable files


class DenyingReader(LocalFiles):
    """The real filesystem, except that some paths raise PermissionError as chmod 000 would
    for a non-root user (the suite may run as root, which reads everything)."""

    def __init__(self, denied: set[Path]) -> None:
        self.denied = denied

    def read(self, path: Path, limit: int) -> bytes:
        if path in self.denied:
            raise PermissionError(13, "Permission denied", str(path))
        return super().read(path, limit)

    def list_dir(self, path: Path) -> list[Path]:
        if path in self.denied:
            raise PermissionError(13, "Permission denied", str(path))
        return super().list_dir(path)


def test_unreadable_locations_are_noted_not_listed(tmp_path: Path) -> None:
    p = plant_everything(tmp_path)
    denied = {p.home / ".aws" / "credentials", p.home / ".ssh"}
    report = scan_exposure(p.home, {}, p.project, reader=DenyingReader(denied))
    kinds = by_kind(report)
    assert "aws-static-keys" not in kinds
    assert "ssh-key" not in kinds
    assert {u.location for u in report.unreadable} == {"~/.aws/credentials", "~/.ssh/"}
    assert all("may not read it" in u.reason for u in report.unreadable)
    text = render_exposure_text(report)
    assert "Present but unreadable" in text
    assert "~/.aws/credentials" in text


NOBODY = 65534


def _as_unprivileged_user() -> list[str] | None:
    """A command prefix that runs a program as ``nobody`` (uid 65534), for a suite run as
    root (root reads a chmod 000 file); ``[]`` when the suite already runs unprivileged."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


def test_real_permissions_are_respected() -> None:
    """A real chmod 000 file, read by ``pipvet exposure`` running as a user it is closed to."""
    prefix = _as_unprivileged_user()
    if prefix is None:
        pytest.skip("running as root and neither setpriv nor runuser is here to drop to nobody")
    # Not tmp_path: pytest's base temp folder is private to root. Everything here belongs to
    # the unprivileged user except the permissions of the one closed file.
    with tempfile.TemporaryDirectory(prefix="pipvet-exposure-") as tmp:
        p = Planted(home=Path(tmp) / "home", project=Path(tmp) / "project")
        p.home.mkdir()
        p.project.mkdir()
        closed = p.write(".git-credentials", f"https://me:{p.secret('git')}@github.com\n")
        readable = p.write(".pypirc", f"[pypi]\npassword = {p.secret('pypi')}\n")
        if prefix:
            for path in (Path(tmp), p.home, p.project, closed, readable):
                os.chown(path, NOBODY, NOBODY)
        closed.chmod(0)
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "pipvet", "exposure", "--format", "json"],
            env={
                "HOME": str(p.home),
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": os.pathsep.join(sys.path),
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            cwd=p.project,
            capture_output=True,
            text=True,
            check=False,
        )
    assert proc.returncode in (0, 1), proc.stderr
    assert "PLANTED" not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert [u["location"] for u in report["unreadable"]] == ["~/.git-credentials"]
    assert "may not read it" in report["unreadable"][0]["reason"]
    # the readable file next to it is still found, so the process did read the home folder
    assert "~/.pypirc" in proc.stdout


# ---------------------------------------------------------------------------- classifiers


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("GITHUB_TOKEN", "x", True),
        ("HF_TOKEN", "x", True),
        ("OPENAI_API_KEY", "x", True),
        ("ANTHROPIC_API_KEY", "x", True),
        ("STRIPE_KEY", "x", True),
        ("DJANGO_SECRET_KEY", "x", True),
        ("SECRET_KEY_BASE", "x", True),
        ("DB_PASSWORD", "x", True),
        ("MYSQL_PASSWD", "x", True),
        ("DB_PWD", "x", True),
        ("GITHUB_PAT", "x", True),
        ("NPM_CONFIG__AUTH", "x", True),
        ("DATABASE_URL", "sqlite:///db", True),
        ("SENTRY_DSN", "x", True),
        ("AZURE_CLIENT_SECRET", "x", True),
        ("SOME_URL", "https://u:p@host/x", True),
        ("PIP_INDEX_URL", "https://u:p@pkgs.example/simple", True),
        ("PIP_INDEX_URL", "https://pypi.org/simple", False),
        ("SOME_URL", "https://user@host/x", False),
        ("TOKENIZERS_PARALLELISM", "false", False),
        ("XKB_KEYBOARD", "us", False),
        ("PUBLIC_KEY", "ssh-ed25519 AAAA", False),
        ("STRIPE_PUBLISHABLE_KEY", "pk_x", False),
        ("GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D", False),
        ("PWD", "/home/me", False),
        ("OLDPWD", "/tmp", False),
        ("AWS_ACCESS_KEY_ID", "AKIA", False),
        ("SSH_KEY_PATH", "/home/me/.ssh/id", False),
        ("GITHUB_TOKEN_FILE", "/run/secrets/t", False),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/path/key.json", False),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x", False),
        ("PATH", "/usr/bin", False),
        ("HOME", "/home/me", False),
    ],
)
def test_env_name_classification(name: str, value: str, secret: bool) -> None:
    assert (classify_env_name(name, value) is not None) is secret


@pytest.mark.parametrize(
    ("name", "harm"),
    [
        ("AWS_SECRET_ACCESS_KEY", Harm.CLOUD_BILL),
        ("OPENAI_API_KEY", Harm.CLOUD_BILL),
        ("TWINE_PASSWORD", Harm.PUBLISHING),
        ("HF_TOKEN", Harm.PUBLISHING),
        ("NPM_TOKEN", Harm.PUBLISHING),
        ("GITHUB_TOKEN", Harm.SOURCE_CODE),
        ("GH_TOKEN", Harm.SOURCE_CODE),
        ("DATABASE_URL", Harm.IDENTITY),
        ("SLACK_BOT_TOKEN", Harm.IDENTITY),
    ],
)
def test_env_harm(name: str, harm: Harm) -> None:
    found = classify_env_name(name, "x")
    assert found is not None
    assert found.harm is harm


PEM_RSA = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
PEM_RSA_ENC = (
    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
    "DEK-Info: AES-128-CBC,0123\n\nMIIE\n-----END RSA PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    ("content", "fmt", "protection"),
    [
        (openssh_key("none"), "openssh", "none"),
        (openssh_key("aes256-ctr"), "openssh", "passphrase"),
        (openssh_key("aes256-gcm@openssh.com"), "openssh", "passphrase"),
        (openssh_key("none", "sk-ssh-ed25519@openssh.com"), "openssh", "hardware"),
        (PEM_RSA, "pem", "none"),
        (PEM_RSA_ENC, "pem", "passphrase"),
        (PEM_RSA.replace("RSA", "EC"), "pem", "none"),
        ("-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n", "pkcs8", "none"),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "pkcs8",
            "passphrase",
        ),
        ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", "putty", "none"),
        ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n", "putty", "passphrase"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END",
            "openssh",
            "unknown",
        ),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\n@@@@\n-----END", "openssh", "unknown"),
    ],
)
def test_ssh_key_header(content: str, fmt: str, protection: str) -> None:
    state = ssh_key_state(content.encode())
    assert state is not None
    assert (state.format, state.protection) == (fmt, protection)


@pytest.mark.parametrize(
    "content", ["ssh-ed25519 AAAA me@host\n", "Host *\n", "", "-----BEGIN CERTIFICATE-----\n"]
)
def test_not_a_private_key(content: str) -> None:
    assert ssh_key_state(content.encode()) is None


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
@pytest.mark.parametrize(
    ("args", "protection"),
    [
        (["-t", "ed25519", "-N", ""], "none"),
        (["-t", "ed25519", "-N", "correct horse"], "passphrase"),
        (["-t", "ecdsa", "-m", "PEM", "-N", ""], "none"),
        (["-t", "ecdsa", "-m", "PEM", "-N", "correct horse"], "passphrase"),
        (["-t", "ecdsa", "-m", "PKCS8", "-N", ""], "none"),
    ],
)
def test_keys_made_by_ssh_keygen(tmp_path: Path, args: list[str], protection: str) -> None:
    key = tmp_path / "key"
    subprocess.run(
        ["ssh-keygen", "-q", *args, "-C", "", "-f", str(key)], check=True, capture_output=True
    )
    state = ssh_key_state(key.read_bytes()[:4096])
    assert state is not None
    assert state.protection == protection


# ---------------------------------------------------------------------------- specific sources


def test_google_credential_types(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({"type": "service_account", "private_key": "PLANTED"}))
    adc = home / ".config" / "gcloud" / "application_default_credentials.json"
    adc.parent.mkdir(parents=True)
    adc.write_text(json.dumps({"type": "external_account", "audience": "x"}))
    report = scan_exposure(home, {"GOOGLE_APPLICATION_CREDENTIALS": str(key)}, tmp_path)
    found = {(e.what, e.lifetime) for e in report.exposures if e.kind == "gcp-credentials"}
    assert found == {
        ("Google service account key", "long-lived"),
        ("Google workload identity federation config", "short-lived"),
    }
    assert "PLANTED" not in render_exposure_json(report)


def test_locations_follow_environment_overrides(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "creds").write_text("[ci]\naws_secret_access_key = PLANTED\n")
    (elsewhere / "kube").write_text("users:\n- name: ci\n  user:\n    client-key-data: PLANTED\n")
    (elsewhere / "docker").mkdir()
    (elsewhere / "docker" / "config.json").write_text(json.dumps({"credsStore": "desktop"}))
    environ = {
        "AWS_SHARED_CREDENTIALS_FILE": str(elsewhere / "creds"),
        "KUBECONFIG": str(elsewhere / "kube"),
        "DOCKER_CONFIG": str(elsewhere / "docker"),
    }
    report = scan_exposure(home, environ, tmp_path)
    kinds = by_kind(report)
    assert kinds["aws-static-keys"] == ["ci"]
    assert kinds["kube-inline-credentials"] == ["ci"]
    assert kinds["docker-credential-helper"] == ["credsStore: desktop"]
    assert str(elsewhere / "creds") in {e.location for e in report.exposures}


def test_a_variable_that_holds_no_path_is_never_shown(tmp_path: Path) -> None:
    """GOOGLE_APPLICATION_CREDENTIALS holding the key itself (a common mistake) was listed
    among the checked locations, private key and all; one over 255 characters ended the scan
    in an internal error that saved the key in its traceback."""
    home = tmp_path / "home"
    home.mkdir()
    inline = json.dumps({"type": "service_account", "private_key": "PLANTED" + "k" * 300})
    environ = {
        "GOOGLE_APPLICATION_CREDENTIALS": inline,
        "NETRC": "PLANTED" + "n" * 300,
        "KUBECONFIG": "PLANTED-line1\nline2",
        # looks like a path, names nothing: a base64 key, or inline JSON split at ":"
        "AWS_SHARED_CREDENTIALS_FILE": "PLANTEDeyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=",
    }
    report = scan_exposure(home, environ, tmp_path)
    rendered = render_exposure_json(report) + render_exposure_text(report)
    assert "PLANTED" not in rendered
    data = json.loads(render_exposure_json(report))
    assert "$GOOGLE_APPLICATION_CREDENTIALS (its value is not a path)" in data["checked"]
    assert "$NETRC (its value is not a path)" in data["checked"]
    assert "$KUBECONFIG (its value is not a path)" in data["checked"]
    assert "$AWS_SHARED_CREDENTIALS_FILE (names no file)" in data["checked"]


def test_a_password_with_an_at_sign_is_not_reported_as_a_host(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(
        "[global]\nindex-url = https://alice:p@PLANTED18@pypi.internal.example/simple\n"
    )
    (home / ".git-credentials").write_text("https://bob:x@PLANTED19@git.example.org\n")
    report = scan_exposure(home, {}, tmp_path)
    names = [n for e in report.exposures for n in e.names]
    assert "pypi.internal.example" in names
    assert "git.example.org" in names
    assert "PLANTED" not in render_exposure_json(report)


def test_a_readable_file_pipvet_cannot_parse_counts_as_exposed(tmp_path: Path) -> None:
    p = Planted(home=tmp_path / "home", project=tmp_path)
    p.home.mkdir()
    auth = base64.b64encode(f"me:{p.secret('docker')}".encode()).decode()
    p.write(".docker/config.json", '{"auths": {"ghcr.io": {"auth": "' + auth + '"}},,}')
    p.write(".snowflake/connections.toml", f'[prod]\npassword = "{p.secret("snow")}\n')
    report = scan_exposure(p.home, {}, p.project)
    assert report.unreadable == ()  # readable by any package: never "unreadable"
    found = {(e.location, e.kind, e.harm, e.lifetime) for e in report.exposed}
    assert found == {
        ("~/.docker/config.json", "not-understood", Harm.PUBLISHING, "unknown"),
        ("~/.snowflake/connections.toml", "not-understood", Harm.CLOUD_BILL, "unknown"),
    }
    s = summarize(report)
    assert (s.exposed, s.long_lived) == (2, 2)
    docker = next(e for e in report.exposed if e.location == "~/.docker/config.json")
    assert docker.what == "a container registry login file that pipvet could not parse " + (
        "(not valid JSON)"
    )
    text = render_exposure_text(report)
    assert "2 exposed credential locations (2 long-lived or of unknown lifetime)" in text
    assert "could not parse" in text
    assert "Present but unreadable" not in text
    for output in (text, render_exposure_json(report), render_exposure_markdown(report)):
        assert "PLANTED" not in output
        assert auth not in output
    assert fails_on(report, "long-lived")


# ---------------------------------------------------------------------------- the command


def run_cli(
    args: list[str], environ: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, so the test's own environment is not scanned."""
    return subprocess.run(
        [sys.executable, "-m", "pipvet", "exposure", *args],
        env={**environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_command_prints_names_never_values(tmp_path: Path, fmt: str) -> None:
    p = plant_everything(tmp_path)
    proc = run_cli(["--format", fmt], p.environ, p.project)
    assert proc.returncode == 0, proc.stderr
    assert "PLANTED" not in proc.stdout + proc.stderr
    assert "AWS static access keys" in proc.stdout
    assert "OPENAI_API_KEY" in proc.stdout


def test_command_fail_on_and_home_option(tmp_path: Path) -> None:
    p = plant_everything(tmp_path)
    empty = tmp_path / "empty-home"
    empty.mkdir()
    clean_env = {"HOME": str(empty), "PATH": "/usr/bin:/bin"}
    ok = run_cli(["--fail-on", "any"], clean_env, empty)
    assert ok.returncode == 0, ok.stderr
    failing = run_cli(["--home", str(p.home), "--fail-on", "long-lived"], clean_env, p.project)
    assert failing.returncode == 1
    assert "~/.aws/credentials" in failing.stdout
    missing = run_cli(["--home", str(tmp_path / "nope")], clean_env, empty)
    assert missing.returncode == 2
    assert "home folder" in missing.stderr
    assert "--home" in missing.stderr
