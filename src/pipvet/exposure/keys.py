"""SSH private keys, ``.env`` files in the project, and AI assistants' credential stores.

SSH keys are judged by their header only: pipvet reads the first few kilobytes, decodes just
enough of an OpenSSH key to see its cipher name (``none`` means no passphrase) and never
touches the key material. PEM keys say ``Proc-Type: 4,ENCRYPTED`` or ``ENCRYPTED PRIVATE
KEY`` when a passphrase protects them; PuTTY keys say ``Encryption: none`` when none does.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from pathlib import Path
from typing import Literal

from pipvet.exposure.env import classify_env_name
from pipvet.exposure.model import Exposure, Harm
from pipvet.exposure.scan import Scan, secret_keys
from pipvet.frozen import frozen

__all__ = ["KEY_CHECKS", "KeyState", "ssh_key_state"]

_HEADER_BYTES = 4096

KeyProtection = Literal["none", "passphrase", "hardware", "unknown"]


@frozen
class KeyState:
    """What the header of a private key file says. ``protection`` "none" = no passphrase."""

    format: str  # "openssh", "pem", "pkcs8", "putty"
    protection: KeyProtection
    detail: str = ""  # cipher name or key type, never key material


_OPENSSH_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
_PEM_BEGIN = re.compile(r"-----BEGIN (RSA |DSA |EC |ENCRYPTED |)PRIVATE KEY-----")
_MAGIC = b"openssh-key-v1\x00"


def _ssh_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    (length,) = struct.unpack_from(">I", blob, offset)
    start = offset + 4
    if length > len(blob) - start:
        raise ValueError("truncated")
    return blob[start : start + length], start + length


def _openssh_state(text: str) -> KeyState:
    body = text.split(_OPENSSH_BEGIN, 1)[1].split("-----END", 1)[0]
    b64 = "".join(body.split())
    # The cipher, kdf and public key type sit in the first ~200 bytes: decode only those.
    head = b64[: (min(len(b64), 400) // 4) * 4]
    try:
        blob = base64.b64decode(head, validate=True)
        if not blob.startswith(_MAGIC):
            return KeyState("openssh", "unknown", "not an openssh-key-v1 body")
        cipher, offset = _ssh_string(blob, len(_MAGIC))
        _kdf, offset = _ssh_string(blob, offset)
        _kdf_options, offset = _ssh_string(blob, offset)
        offset += 4  # number of keys
        public, _ = _ssh_string(blob, offset)
        key_type, _ = _ssh_string(public, 0)
    except (binascii.Error, ValueError, struct.error):
        return KeyState("openssh", "unknown", "header could not be decoded")
    cipher_name = cipher.decode("ascii", "replace")
    type_name = key_type.decode("ascii", "replace")
    if cipher_name != "none":
        return KeyState("openssh", "passphrase", cipher_name)
    if type_name.startswith("sk-"):
        return KeyState("openssh", "hardware", type_name)
    return KeyState("openssh", "none", type_name)


def ssh_key_state(head: bytes) -> KeyState | None:
    """Classify a private key file by its first bytes; None when it is not a private key."""
    text = head.decode("ascii", errors="replace")
    if _OPENSSH_BEGIN in text:
        return _openssh_state(text)
    pem = _PEM_BEGIN.search(text)
    if pem:
        kind = pem.group(1).strip()
        if kind == "ENCRYPTED":
            return KeyState("pkcs8", "passphrase", "encrypted PKCS#8")
        if not kind:
            return KeyState("pkcs8", "none", "unencrypted PKCS#8")
        encrypted = "Proc-Type: 4,ENCRYPTED" in text[pem.end() : pem.end() + 200]
        return KeyState("pem", "passphrase" if encrypted else "none", f"{kind} key")
    if text.startswith("PuTTY-User-Key-File-"):
        match = re.search(r"^Encryption:\s*(\S+)", text, re.M)
        cipher = match.group(1) if match else "unknown"
        protection: KeyProtection = "none" if cipher == "none" else "passphrase"
        return KeyState("putty", protection if match else "unknown", cipher)
    return None


_NOT_KEYS = re.compile(
    r"^(known_hosts.*|authorized_keys.*|config|environment|rc|.*\.pub|.*\.sock)$"
)


def check_ssh(scan: Scan) -> None:
    folder = scan.home / ".ssh"
    plain: list[str] = []
    unknown: list[str] = []
    protected: list[str] = []
    for path in scan.list_dir(folder):
        if _NOT_KEYS.match(path.name) or not path.is_file():
            continue
        head = scan.read_bytes(path, limit=_HEADER_BYTES)
        state = ssh_key_state(head) if head else None
        if state is None:
            continue
        match state.protection:
            case "none":
                plain.append(path.name)
            case "unknown":
                unknown.append(path.name)
            case _:
                protected.append(path.name)
    where = scan.show(folder)
    advice = (
        "add a passphrase (ssh-keygen -p -f KEY) and load the key into ssh-agent once per "
        "session, or move to a hardware-backed key (ed25519-sk)"
    )
    if plain:
        scan.add(
            Exposure(
                "ssh-key",
                "SSH private keys without a passphrase",
                where,
                Harm.SOURCE_CODE,
                "long-lived",
                advice,
                tuple(plain),
            )
        )
    if unknown:
        scan.add(
            Exposure(
                "ssh-key-unknown",
                "SSH private keys whose protection could not be read from the header",
                where,
                Harm.SOURCE_CODE,
                "long-lived",
                "check them with ssh-keygen -y -f KEY (it asks for a passphrase if there is "
                "one); " + advice,
                tuple(unknown),
            )
        )
    if protected:
        scan.add(
            Exposure(
                "ssh-key-protected",
                "SSH private keys protected by a passphrase or a hardware key",
                where,
                Harm.SOURCE_CODE,
                "long-lived",
                "good: keep using ssh-agent so the passphrase is typed once per session",
                tuple(protected),
                protected=True,
            )
        )


# ---------------------------------------------------------------------- .env files

_DOTENV_NAME = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$")
_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")


def _is_dotenv(path: Path) -> bool:
    """``.env``, ``.env.*`` and ``.envrc``; templates (``.env.example``...) hold no secrets."""
    name = path.name
    return (name in (".env", ".envrc") or name.startswith(".env.")) and not name.endswith(
        _TEMPLATES
    )


def check_dotenv(scan: Scan) -> None:
    for path in scan.list_dir(scan.project):
        if not _is_dotenv(path) or not path.is_file():
            continue
        text = scan.read_text(path)
        if text is None:
            continue
        names: list[str] = []
        secret: list[str] = []
        harm = Harm.IDENTITY
        for line in text.splitlines():
            match = _DOTENV_NAME.match(line)
            if not match or match.group(1) in names:
                continue
            names.append(match.group(1))
            found = classify_env_name(match.group(1), match.group(2).strip().strip("'\""))
            if found is not None:
                secret.append(match.group(1))
                harm = min(harm, found.harm)
        if not names:
            continue
        scan.add(
            Exposure(
                "dotenv",
                f".env file: {len(secret)} of {len(names)} variable names look like secrets",
                scan.show(path),
                harm,
                "unknown",
                "keep secrets out of the project folder: a package reads it as easily as your "
                "code does; load them from a secret manager or the OS keyring when needed",
                tuple(secret or names),
            )
        )


# ---------------------------------------------------------------------- AI assistants


def _ai_stores(scan: Scan) -> list[tuple[Path, str, Harm]]:
    claude = scan.env_path("CLAUDE_CONFIG_DIR") or scan.home / ".claude"
    codex = scan.env_path("CODEX_HOME") or scan.home / ".codex"
    cfg = scan.config_home
    return [
        (claude / ".credentials.json", "Claude Code login", Harm.CLOUD_BILL),
        (scan.home / ".claude.json", "Claude Code settings with keys", Harm.CLOUD_BILL),
        (codex / "auth.json", "Codex CLI login or OpenAI API key", Harm.CLOUD_BILL),
        (scan.home / ".gemini" / "oauth_creds.json", "Gemini CLI login", Harm.CLOUD_BILL),
        (cfg / "github-copilot" / "hosts.json", "GitHub Copilot login", Harm.SOURCE_CODE),
        (cfg / "github-copilot" / "apps.json", "GitHub Copilot login", Harm.SOURCE_CODE),
        (scan.home / ".cursor" / "mcp.json", "Cursor MCP server secrets", Harm.IDENTITY),
        (
            cfg / "Claude" / "claude_desktop_config.json",
            "Claude Desktop MCP server secrets",
            Harm.IDENTITY,
        ),
        (
            scan.home / ".codeium" / "windsurf" / "mcp_config.json",
            "Windsurf MCP server secrets",
            Harm.IDENTITY,
        ),
        (scan.home / ".continue" / "config.json", "Continue model API keys", Harm.CLOUD_BILL),
        (scan.home / ".kaggle" / "kaggle.json", "Kaggle API key", Harm.IDENTITY),
        (cfg / "kaggle" / "kaggle.json", "Kaggle API key", Harm.IDENTITY),
    ]


_AIDER_KEY = re.compile(r"(?m)^\s*([A-Za-z0-9_-]*(?:api-key|api_key|token)[A-Za-z0-9_-]*)\s*:\s*\S")


def check_ai_tools(scan: Scan) -> None:
    advice = (
        "sign out of assistants you do not use here; prefer logins that expire over API keys, "
        "and run untrusted packages as a separate OS user that has no assistant logins"
    )
    for path, what, harm in _ai_stores(scan):
        data = scan.read_json(path, what=what, harm=harm)
        keys = sorted(set(secret_keys(data))) if data is not None else []
        if keys:
            scan.add(
                Exposure(
                    "ai-credentials", what, scan.show(path), harm, "long-lived", advice, tuple(keys)
                )
            )
    aider = scan.home / ".aider.conf.yml"
    text = scan.read_text(aider)
    names = sorted(set(_AIDER_KEY.findall(text))) if text else []
    if names:
        scan.add(
            Exposure(
                "ai-credentials",
                "aider model API keys",
                scan.show(aider),
                Harm.CLOUD_BILL,
                "long-lived",
                advice,
                tuple(names),
            )
        )


KEY_CHECKS = (check_ssh, check_dotenv, check_ai_tools)
