"""Where the environment's pip would look for packages, decided without running pip.

``pipvet update`` asks the index itself whether anything has a newer release before it lets
pip resolve; that is only sound when pipvet asks exactly the index pip would ask. So this
reads pip's settings the way pip does (``PIP_*`` variables, then the configuration files in
pip's order: ``PIP_CONFIG_FILE``, the global, user and site ``pip.conf``; on other platforms
than Linux ``pip config list`` is asked) and answers with the one index URL, or ``None`` with
the reason when any setting could change what pip installs in ways the pre-check does not
model (an extra index, find-links, ``--pre``, a constraint, a target folder, ...). Only
settings known to be harmless to that question are accepted; anything unknown means "let
pip decide".
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from pipvet.frozen import frozen

__all__ = [
    "DEFAULT_INDEX",
    "PipSources",
    "configured_elsewhere",
    "configured_hosts",
    "configured_inputs",
    "pip_sources",
]

DEFAULT_INDEX = "https://pypi.org/simple/"

# Settings that cannot make pip choose a release the pre-check would not see: how pip talks
# to the index, what it prints, how it builds. (``only-binary`` and its kin only ever remove
# candidates, which at worst makes the pre-check run pip for nothing.)
_HARMLESS = frozenset({
    "trusted-host", "cert", "client-cert", "proxy", "timeout", "retries", "cache-dir",
    "no-cache-dir", "disable-pip-version-check", "no-input", "progress-bar", "quiet",
    "verbose", "no-color", "log", "log-file", "require-virtualenv", "root-user-action",
    "no-warn-script-location", "no-warn-conflicts", "no-python-version-warning",
    "exists-action", "only-binary", "no-binary", "prefer-binary", "no-compile", "compile",
    "no-build-isolation", "check-build-dependencies", "use-pep517", "break-system-packages",
    "resume-retries", "only-final", "config-file",
})  # fmt: skip
_SECTIONS = ("global", "install")  # what applies to ``pip install``


@frozen
class PipSources:
    index_url: str | None  # None: pip's sources are not only one index (see ``reason``)
    reason: str = ""


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-").lstrip("-")


def _config_files(environ: Mapping[str, str], prefix: Path) -> list[Path] | None:
    """pip's configuration files on Linux, lowest priority first; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file is not None and env_file == os.devnull:
        return []  # pip loads no file at all
    home = Path(environ.get("HOME") or os.path.expanduser("~"))
    dirs = environ.get("XDG_CONFIG_DIRS", "").strip() or "/etc/xdg"
    files = [Path(d) / "pip" / "pip.conf" for d in dirs.split(os.pathsep) if d]
    files.append(Path("/etc/pip.conf"))
    if not (env_file and Path(env_file).exists()):
        config_home = environ.get("XDG_CONFIG_HOME", "").strip() or str(home / ".config")
        files += [home / ".pip" / "pip.conf", Path(config_home) / "pip" / "pip.conf"]
    files.append(prefix / "pip.conf")
    if env_file:
        files.append(Path(env_file))
    return files


def _read_files(files: list[Path]) -> dict[str, str] | str:
    """``section.key`` -> value over the files (later ones win), or why they cannot be read."""
    out: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError, configparser.Error) as exc:
            return f"pip's configuration {path} could not be read ({type(exc).__name__})"
        for section in parser.sections():
            for key, value in parser.items(section):
                out[f"{section.lower()}.{_key(key)}"] = value
    return out


def pip_sources(
    environ: Mapping[str, str],
    prefix: Path,
    config_list: Callable[[], dict[str, str]],
) -> PipSources:
    """The one index pip would use for ``pip install`` in the environment at ``prefix``, or
    None with the reason. ``config_list`` is ``pip config list`` (asked off Linux only)."""
    if environ.get("PIP_ISOLATED") or environ.get("PIP_ISOLATED_MODE"):
        return PipSources(None, "pip runs isolated (PIP_ISOLATED)")
    files = _config_files(environ, prefix)
    settings: dict[str, str] | str
    if files is None:
        settings = {k: v for k, v in config_list().items() if not k.startswith(":env:")}
    else:
        settings = _read_files(files)
    if isinstance(settings, str):
        return PipSources(None, settings)
    index = DEFAULT_INDEX
    for section in _SECTIONS:  # [install] overrides [global]
        for full, value in settings.items():
            where, _, key = full.partition(".")
            if where != section:
                continue
            if key == "index-url":
                index = value.strip()
            elif key not in _HARMLESS:
                return PipSources(None, f"pip's configuration sets {full}")
    for name, value in environ.items():
        if not name.startswith("PIP_") or name == "PIP_CONFIG_FILE":
            continue
        key = _key(name[4:])
        if key == "index-url":
            index = value.strip()
        elif key not in _HARMLESS:
            return PipSources(None, f"the environment sets {name}")
    if not index.startswith(("https://", "http://")):
        return PipSources(None, f"pip's index is not an HTTP index ({index.split(':')[0]})")
    return PipSources(index)


_ADDRESS_KEYS = ("index-url", "extra-index-url", "find-links")


def configured_hosts(
    environ: Mapping[str, str],
    prefix: Path,
    config_list: Callable[[], dict[str, str]],
) -> frozenset[str]:
    """The hosts pip's own settings (configuration files, ``PIP_*`` variables) send it to for
    packages: where a requirements file may send a credential (``pipvet.inputs.variables``).
    A setting that cannot be read adds nothing: fewer hosts only means more refusals."""
    from pipvet.inputs.variables import host_of

    files = _config_files(environ, prefix)
    if files is None:
        settings: dict[str, str] | str = config_list()
    else:
        settings = _read_files(files)
    values: list[str] = []
    if isinstance(settings, dict):
        for full, value in settings.items():
            section, _, key = full.partition(".")
            if section in _SECTIONS and key in _ADDRESS_KEYS:
                values += value.split()
    for key in _ADDRESS_KEYS:
        values += environ.get("PIP_" + key.upper().replace("-", "_"), "").split()
    return frozenset(h for v in values if (h := host_of(v)) is not None)


def _install_settings(
    environ: Mapping[str, str], prefix: Path, config_list: Callable[[], dict[str, str]]
) -> list[tuple[str, str, str]]:
    """Every setting pip applies to ``pip install``: (where it is set, its key, its value),
    the configuration files' ``[global]`` and ``[install]`` first, then ``PIP_*``."""
    files = _config_files(environ, prefix)
    settings = config_list() if files is None else _read_files(files)
    out: list[tuple[str, str, str]] = []
    if isinstance(settings, dict):
        for full, value in settings.items():
            section, _, key = full.partition(".")
            if section in _SECTIONS:
                out.append((f"pip's setting {full}", key, value))
    for name, value in environ.items():  # pip reads PIP_Constraint as PIP_CONSTRAINT
        if name.startswith("PIP_"):
            out.append((name, _key(name[4:]), value))
    return out


# pip's options that add what to install to every ``pip install``, by their setting's name.
_INPUT_OPTIONS = {
    "requirement": "-r",
    "constraint": "-c",
    "editable": "-e",
    "group": "--group",  # pip 26.3 reads PIP_GROUP and [install] group as well
    "requirements-from-script": "--requirements-from-script",
}


def configured_inputs(
    environ: Mapping[str, str],
    prefix: Path,
    config_list: Callable[[], dict[str, str]],
) -> tuple[tuple[str, str, str], ...]:
    """The requirements files, constraints files and editables pip's own settings add to
    every ``pip install`` (``PIP_CONSTRAINT``, ``constraint`` in a pip.conf, ...): each as
    (where it is set, the command-line option that says the same, its value)."""
    return tuple(
        (where, _INPUT_OPTIONS[key], v)
        for where, key, value in _install_settings(environ, prefix, config_list)
        if key in _INPUT_OPTIONS
        for v in value.split()
    )


# Settings that make pip install somewhere else than the environment it runs in.
_ELSEWHERE = ("target", "prefix", "root", "user", "python")


def configured_elsewhere(
    environ: Mapping[str, str],
    prefix: Path,
    config_list: Callable[[], dict[str, str]],
) -> tuple[str, str] | None:
    """The first of pip's settings that sends ``pip install`` into another place than the
    environment at ``prefix`` (``PIP_TARGET``, ``PIP_USER=1``, ``PIP_PYTHON``, their pip.conf
    keys), as (where it is set, the option with its value), else None."""
    for where, key, value in _install_settings(environ, prefix, config_list):
        if key not in _ELSEWHERE or not value.strip():
            continue
        if key == "user":  # a flag: pip reads y/yes/t/true/on/1 and n/no/f/false/off/0
            if value.strip().lower() in ("0", "n", "no", "f", "false", "off"):
                continue
            return where, "--user"
        return where, f"--{key} {value.strip()}"
    return None
