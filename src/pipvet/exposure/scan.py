"""The scanning context shared by the exposure checkers: file access, paths, small parsers.

Every read goes through a ``FileReader`` so a test can make one location unreadable without
depending on the user it runs as (root reads everything). Checkers read what they need to
decide (is there a value? is it a token or a password? which cipher?) and record only names
and locations; values never leave the checker that looked at them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from pipvet.exposure.env import classify_env_name
from pipvet.exposure.model import Exposure, Harm, Unreadable
from pipvet.system.paths import expand_home

__all__ = ["FileReader", "LocalFiles", "Scan", "harm_for_host", "ini_sections", "secret_keys"]

# Credential files are small; a cap keeps a stray huge file from stalling the scan.
_READ_LIMIT = 1 << 20


class FileReader(Protocol):
    """Read access to the filesystem, as this process has it. Both methods raise OSError."""

    def read(self, path: Path, limit: int) -> bytes: ...

    def list_dir(self, path: Path) -> list[Path]: ...


class LocalFiles:
    """The real filesystem with this process's permissions."""

    def read(self, path: Path, limit: int) -> bytes:
        with path.open("rb") as fh:
            return fh.read(limit)

    def list_dir(self, path: Path) -> list[Path]:
        return sorted(path.iterdir())


@dataclasses.dataclass
class Scan:
    """One exposure scan in progress: the inputs and what has been found so far."""

    home: Path
    environ: Mapping[str, str]
    project: Path
    reader: FileReader
    exposures: list[Exposure] = dataclasses.field(default_factory=list)
    unreadable: list[Unreadable] = dataclasses.field(default_factory=list)
    checked: list[str] = dataclasses.field(default_factory=list)

    # ------------------------------------------------------------------ locations

    def env_path(self, name: str) -> Path | None:
        """The file the variable ``name`` points at; None when unset or when its value is no
        path (inline credentials JSON in GOOGLE_APPLICATION_CREDENTIALS, say): such a value
        is never shown, and the variable is listed as checked by its name."""
        value = self.environ.get(name, "").strip()
        return self.path_value(value, name) if value else None

    def path_value(self, value: str, name: str) -> Path | None:
        """``value`` (of the variable ``name``) as a path; None, listed by the variable's
        name, when it is no path."""
        if not _looks_like_path(value):
            self.checked.append(f"${name} (its value is not a path)")
            return None
        path = expand_home(value, origin=name)
        # Shown only when it names something: a base64 key "looks like a path" too.
        if not os.path.lexists(path):
            self.checked.append(f"${name} (names no file)")
            return None
        return path

    @property
    def config_home(self) -> Path:
        xdg = self.environ.get("XDG_CONFIG_HOME", "").strip()
        return Path(xdg) if xdg and os.path.isabs(xdg) else self.home / ".config"

    @property
    def cache_home(self) -> Path:
        xdg = self.environ.get("XDG_CACHE_HOME", "").strip()
        return Path(xdg) if xdg and os.path.isabs(xdg) else self.home / ".cache"

    def show(self, path: Path) -> str:
        """A path for people: ``~/...`` under the home folder."""
        try:
            rel = path.relative_to(self.home)
        except ValueError:
            return str(path)
        return "~" if str(rel) == "." else f"~/{rel.as_posix()}"

    # ------------------------------------------------------------------ reading

    def read_bytes(self, path: Path, limit: int = _READ_LIMIT) -> bytes | None:
        """The file's first ``limit`` bytes; None when it is absent or unreadable (noted)."""
        self.checked.append(self.show(path))
        try:
            if not path.is_file():
                return None
        except OSError as exc:  # a name too long, say: not a file pipvet can read
            self.unreadable.append(Unreadable(self.show(path), _reason(exc)))
            return None
        try:
            return self.reader.read(path, limit)
        except OSError as exc:
            self.unreadable.append(Unreadable(self.show(path), _reason(exc)))
            return None

    def read_text(self, path: Path) -> str | None:
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_json(self, path: Path, *, what: str, harm: Harm) -> Any:
        """Parsed JSON; None when absent, unreadable or not JSON.

        A file this process can read but pipvet cannot parse is still readable by any
        package, so it is listed as exposed (see ``not_understood``), never as unreadable.
        ``what`` and ``harm`` describe the credentials such a file holds."""
        text = self.read_text(path)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            self.not_understood(path, what=what, harm=harm, problem="not valid JSON")
            return None

    def not_understood(self, path: Path, *, what: str, harm: Harm, problem: str) -> None:
        """List a readable credentials file pipvet could not parse as exposed.

        Fail closed: its content is unknown, so its lifetime is ``unknown`` (counted as
        long-lived) and it is ranked by the harm of what such a file normally holds."""
        self.add(
            Exposure(
                "not-understood",
                f"{what} that pipvet could not parse ({problem})",
                self.show(path),
                harm,
                "unknown",
                "any package can read this file even though pipvet could not parse it: "
                "check what it holds, and move its credentials to a credential helper or "
                "keyring",
            )
        )

    def list_dir(self, path: Path) -> list[Path]:
        self.checked.append(self.show(path) + "/")
        if not path.is_dir():
            return []
        try:
            return self.reader.list_dir(path)
        except OSError as exc:
            self.unreadable.append(Unreadable(self.show(path) + "/", _reason(exc)))
            return []

    def add(self, exposure: Exposure) -> None:
        self.exposures.append(exposure)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "exists, but this process may not read it (good: a package could not either)"
    return f"exists, but could not be read: {exc.strerror or exc}"


# ---------------------------------------------------------------------- small parsers

_SECTION = re.compile(r"^\s*\[([^\]]*)\]\s*$")
_KEY_VALUE = re.compile(r"^\s*([^=:#;\s][^=:]*?)\s*[=:]\s?(.*)$")


def ini_sections(text: str) -> dict[str, dict[str, str]]:
    """A tolerant INI reader (AWS, pypirc, netrc-like tools): section -> key -> value.

    Keys are lower-cased; indented lines continue the previous value (as configparser does);
    keys before any section go under ``""``. Never raises: credential files are often
    hand-edited, and a half-broken file can still hold a working key.
    """
    sections: dict[str, dict[str, str]] = {"": {}}
    current = sections[""]
    last_key: str | None = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith(("#", ";")):
            continue
        header = _SECTION.match(raw)
        if header:
            current = sections.setdefault(header.group(1).strip(), {})
            last_key = None
            continue
        if raw[:1].isspace() and last_key is not None:
            current[last_key] = (current[last_key] + "\n" + raw.strip()).strip()
            continue
        pair = _KEY_VALUE.match(raw)
        if pair:
            last_key = pair.group(1).strip().lower()
            current[last_key] = pair.group(2).strip()
    return sections


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def secret_keys(data: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of keys in a JSON-like value whose names look secret and whose values are
    non-empty strings (``mcpServers.github.env.GITHUB_TOKEN``, ``claudeAiOauth.accessToken``).
    """
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, str):
                name = _CAMEL.sub(r"\1_\2", str(key)).replace("-", "_").replace(".", "_")
                if value.strip() and classify_env_name(name, value) is not None:
                    yield path
            else:
                yield from secret_keys(value, path)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from secret_keys(item, f"{prefix}[{index}]")


_PUBLISHING_HOSTS = (
    "pypi.org",
    "upload.pypi.org",
    "test.pypi.org",
    "registry.npmjs.org",
    "npmjs.org",
    "crates.io",
    "rubygems.org",
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "ghcr.io",
    "quay.io",
    "huggingface.co",
    "anaconda.org",
)
_SOURCE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "dev.azure.com")
_CLOUD_HOSTS = ("amazonaws.com", "googleapis.com", "azure.com", "azurecr.io", "pkg.dev")


def harm_for_host(host: str) -> Harm:
    """What a credential for this host unlocks, by the host's name."""
    h = host.lower().strip()
    h = h.split("://", 1)[-1].split("/")[0].split("@")[-1].split(":")[0].rstrip(".")

    def under(suffixes: tuple[str, ...]) -> bool:
        return any(h == s or h.endswith("." + s) for s in suffixes)

    if under(_PUBLISHING_HOSTS):
        return Harm.PUBLISHING
    if under(_SOURCE_HOSTS) or h.startswith(("git.", "gitlab.")):
        return Harm.SOURCE_CODE
    if under(_CLOUD_HOSTS):
        return Harm.CLOUD_BILL
    return Harm.IDENTITY


_MAX_PATH = 4096  # PATH_MAX on Linux; a component is at most 255 bytes (NAME_MAX)


def _looks_like_path(value: str) -> bool:
    if len(value) > _MAX_PATH or value.startswith(("{", "[")):
        return False
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        return False
    return all(len(part.encode("utf-8", "surrogateescape")) <= 255 for part in value.split("/"))
