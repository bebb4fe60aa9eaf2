"""Code-hosting, registry and package-index credentials: docker, git, netrc, pypirc, npmrc,
GitHub CLI, pip / uv / poetry index URLs, cargo, Hugging Face. Names and locations only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pipvet.exposure.model import Exposure, Harm
from pipvet.exposure.scan import Scan, harm_for_host, ini_sections

__all__ = ["TOKEN_CHECKS"]


def _worst(hosts: list[str], default: Harm) -> Harm:
    return min((harm_for_host(h) for h in hosts), default=default)


def check_docker(scan: Scan) -> None:
    """Inline ``auths`` (base64 user:password) vs ``credsStore`` / ``credHelpers``."""
    docker = scan.env_path("DOCKER_CONFIG") or scan.home / ".docker"
    for path in (docker / "config.json", scan.config_home / "containers" / "auth.json"):
        data = scan.read_json(path, what="a container registry login file", harm=Harm.PUBLISHING)
        if not isinstance(data, dict):
            continue
        auths = data.get("auths")
        inline = sorted(
            str(host)
            for host, entry in (auths.items() if isinstance(auths, dict) else ())
            if isinstance(entry, dict)
            and any(entry.get(k) for k in ("auth", "identitytoken", "password"))
        )
        if inline:
            scan.add(
                Exposure(
                    "docker-inline-auth",
                    "container registry logins stored in plain text",
                    scan.show(path),
                    _worst(inline, Harm.PUBLISHING),
                    "long-lived",
                    "configure a credential helper (credsStore, e.g. docker-credential-pass "
                    "or the OS keychain) and log in again, so the file holds no password",
                    tuple(inline),
                )
            )
        helpers = data.get("credHelpers")
        helper_hosts = sorted(str(h) for h in helpers) if isinstance(helpers, dict) else []
        store = data.get("credsStore")
        if store or helper_hosts:
            scan.add(
                Exposure(
                    "docker-credential-helper",
                    "container registry logins kept by a credential helper",
                    scan.show(path),
                    Harm.PUBLISHING,
                    "long-lived",
                    "good: the file holds no password; the helper still answers any process "
                    "running as you, so prefer short-lived registry tokens",
                    tuple(helper_hosts) or (f"credsStore: {store}",),
                    protected=True,
                )
            )


# The userinfo runs to the last "@" before the host, as pip reads it: a password with an
# unencoded "@" (alice:p@ss@host) must not leave its tail reported as the host's name.
_URL_CREDENTIALS = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]{0,31}://([^/\s'\"]+)@([^/\s:'\"@]+)", re.MULTILINE
)


# A user name alone (https://alice@host) is no secret: pip then asks a keyring. A long bare
# userinfo is a token used as the user name (https://<token>@github.com).
_BARE_TOKEN_LENGTH = 20


def _is_credential(userinfo: str) -> bool:
    if ":" in userinfo:
        return bool(userinfo.split(":", 1)[1])
    return len(userinfo) >= _BARE_TOKEN_LENGTH


def _hosts_with_credentials(text: str) -> list[str]:
    found = _URL_CREDENTIALS.findall(text)
    return sorted({host for userinfo, host in found if _is_credential(userinfo)})


def check_git_credentials(scan: Scan) -> None:
    for path in (scan.home / ".git-credentials", scan.config_home / "git" / "credentials"):
        text = scan.read_text(path)
        hosts = _hosts_with_credentials(text) if text else []
        if hosts:
            scan.add(
                Exposure(
                    "git-credentials",
                    "git credentials stored in plain text (credential.helper store)",
                    scan.show(path),
                    _worst(hosts, Harm.SOURCE_CODE),
                    "long-lived",
                    "switch to an encrypting helper (git-credential-manager, osxkeychain, "
                    "libsecret), delete this file and revoke the tokens in it",
                    tuple(hosts),
                )
            )


def _netrc_machines(text: str) -> list[str]:
    """Machines (or ``default``) that have a password, from netrc's token stream."""
    machines: list[str] = []
    tokens = iter(re.sub(r"(?m)#.*$", "", text).split())
    current: str | None = None
    for token in tokens:
        if token == "machine":
            current = next(tokens, "")
        elif token == "default":
            current = "default"
        elif token == "macdef":
            current = None
        elif token in ("login", "account"):
            next(tokens, "")
        elif token == "password":
            has_value = bool(next(tokens, ""))
            if has_value and current is not None and current not in machines:
                machines.append(current)
    return machines


def check_netrc(scan: Scan) -> None:
    path = scan.env_path("NETRC") or scan.home / (".netrc" if sys.platform != "win32" else "_netrc")
    text = scan.read_text(path)
    machines = _netrc_machines(text) if text else []
    if machines:
        scan.add(
            Exposure(
                "netrc",
                "netrc passwords (used by pip, requests, curl and git)",
                scan.show(path),
                _worst(machines, Harm.IDENTITY),
                "long-lived",
                "use a keyring or the tool's own credential helper instead; anything that "
                "imports requests can read this file",
                tuple(machines),
            )
        )


def check_pypirc(scan: Scan) -> None:
    path = scan.home / ".pypirc"
    text = scan.read_text(path)
    if text is None:
        return
    tokens: list[str] = []
    passwords: list[str] = []
    for section, keys in ini_sections(text).items():
        password = keys.get("password", "")
        if password:
            (tokens if password.startswith("pypi-") else passwords).append(section)
    for names, what in ((tokens, "PyPI upload API tokens"), (passwords, "package index passwords")):
        if names:
            scan.add(
                Exposure(
                    "pypirc",
                    what,
                    scan.show(path),
                    Harm.PUBLISHING,
                    "long-lived",
                    "publish from CI with trusted publishing (no token at all); otherwise use "
                    "project-scoped tokens kept in a keyring (twine reads keyring), not this file",
                    tuple(names),
                )
            )


_NPM_AUTH = re.compile(r"^\s*([^=#;\s]*?)(_authToken|_auth|_password)\s*=\s*(.*)$", re.M)


def check_npmrc(scan: Scan) -> None:
    for path in (scan.home / ".npmrc", scan.project / ".npmrc"):
        text = scan.read_text(path)
        if text is None:
            continue
        registries = sorted(
            {
                (prefix.strip("/:") or "default registry")
                for prefix, _key, value in _NPM_AUTH.findall(text)
                # ${NPM_TOKEN} only names a variable; the environment check covers that.
                if value.strip() and not value.strip().startswith("${")
            }
        )
        if registries:
            scan.add(
                Exposure(
                    "npmrc",
                    "npm registry tokens stored in plain text",
                    scan.show(path),
                    Harm.PUBLISHING,
                    "long-lived",
                    "use granular tokens with an expiry, or reference a variable "
                    "(_authToken=${NPM_TOKEN}) set only where you publish",
                    tuple(registries),
                )
            )


_GH_HOST = re.compile(r"^([^\s#][^:]*):\s*$")
_GH_TOKEN = re.compile(r"^\s+oauth_token\s*:\s*\S")


def check_gh(scan: Scan) -> None:
    """GitHub CLI: ``oauth_token`` in hosts.yml is plain text; without it, the keyring."""
    folder = scan.env_path("GH_CONFIG_DIR") or scan.config_home / "gh"
    path = folder / "hosts.yml"
    text = scan.read_text(path)
    if text is None:
        return
    plain: list[str] = []
    keyring: list[str] = []
    host: str | None = None
    for line in text.splitlines():
        top = _GH_HOST.match(line)
        if top:
            host = top.group(1).strip().strip("'\"")
            keyring.append(host)
        elif host is not None and _GH_TOKEN.match(line) and host not in plain:
            plain.append(host)
    keyring = [h for h in keyring if h not in plain]
    where = scan.show(path)
    if plain:
        scan.add(
            Exposure(
                "gh-token",
                "GitHub CLI tokens stored in plain text",
                where,
                Harm.SOURCE_CODE,
                "long-lived",
                "log in again with the keyring (gh auth login, without --insecure-storage) "
                "and delete the token from hosts.yml",
                tuple(plain),
            )
        )
    if keyring:
        scan.add(
            Exposure(
                "gh-keyring",
                "GitHub CLI logins kept in the OS keyring",
                where,
                Harm.SOURCE_CODE,
                "long-lived",
                "good: the file holds no token; gh still hands it to any process running as "
                "you (gh auth token), so keep its scopes small",
                tuple(keyring),
                protected=True,
            )
        )


def check_index_urls(scan: Scan) -> None:
    """Credentials embedded in index URLs of pip, uv and poetry configuration."""
    pip_file = scan.env_path("PIP_CONFIG_FILE")
    candidates: list[Path] = [
        scan.config_home / "pip" / "pip.conf",
        scan.home / ".pip" / "pip.conf",
        scan.home / "Library" / "Application Support" / "pip" / "pip.conf",
        scan.config_home / "uv" / "uv.toml",
        scan.config_home / "pypoetry" / "config.toml",
    ]
    if pip_file is not None and str(pip_file) != "/dev/null" and str(pip_file) != "nul":
        candidates.insert(0, pip_file)
    for path in candidates:
        text = scan.read_text(path)
        hosts = _hosts_with_credentials(text) if text else []
        if hosts:
            scan.add(
                Exposure(
                    "index-url-credentials",
                    "package index URLs with embedded credentials",
                    scan.show(path),
                    Harm.SOURCE_CODE,
                    "long-lived",
                    "remove the credentials from the URL and let pip use keyring "
                    "(--keyring-provider) or the index's own short-lived tokens",
                    tuple(hosts),
                )
            )
    for path in (
        scan.config_home / "pypoetry" / "auth.toml",
        scan.home / "Library" / "Application Support" / "pypoetry" / "auth.toml",
    ):
        text = scan.read_text(path)
        if text is None:
            continue
        names = sorted(
            section
            for section, keys in ini_sections(text).items()
            if section and any(v.strip().strip("'\"") for v in keys.values())
        )
        if names:
            scan.add(
                Exposure(
                    "poetry-auth",
                    "Poetry repository credentials stored in plain text",
                    scan.show(path),
                    Harm.PUBLISHING,
                    "long-lived",
                    "install a keyring backend so Poetry stores credentials there, then "
                    "delete this file",
                    tuple(names),
                )
            )
    cargo = scan.home / ".cargo" / "credentials.toml"
    text = scan.read_text(cargo)
    if text and re.search(r"(?m)^\s*token\s*=\s*\S", text):
        scan.add(
            Exposure(
                "cargo-token",
                "crates.io publishing token",
                scan.show(cargo),
                Harm.PUBLISHING,
                "long-lived",
                "use a credential provider (cargo:libsecret, cargo:macos-keychain) instead",
            )
        )


def check_huggingface(scan: Scan) -> None:
    hf_home = scan.env_path("HF_HOME") or scan.cache_home / "huggingface"
    token = scan.env_path("HF_TOKEN_PATH") or hf_home / "token"
    data = scan.read_bytes(token, limit=256)
    if data is not None and data.strip():
        scan.add(
            Exposure(
                "huggingface-token",
                "Hugging Face access token",
                scan.show(token),
                Harm.PUBLISHING,
                "long-lived",
                "use a fine-grained, read-only token here (huggingface-cli login); keep write "
                "tokens, which can replace your models and datasets, off this machine",
            )
        )
    stored = hf_home / "stored_tokens"
    text = scan.read_text(stored)
    names = sorted(s for s in ini_sections(text) if s) if text else []
    if names:
        scan.add(
            Exposure(
                "huggingface-token",
                "Hugging Face saved tokens",
                scan.show(stored),
                Harm.PUBLISHING,
                "long-lived",
                "delete tokens you no longer use (huggingface-cli auth) and revoke them",
                tuple(names),
            )
        )


TOKEN_CHECKS = (
    check_docker,
    check_git_credentials,
    check_netrc,
    check_pypirc,
    check_npmrc,
    check_gh,
    check_index_urls,
    check_huggingface,
)
