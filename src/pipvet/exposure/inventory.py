"""``pipvet exposure``: what a malicious package running here could read.

``scan_exposure`` takes the home folder, the environment and the project folder as given (so
tests pass a fake home) and returns an ``ExposureReport``: every credential a process running
as this user can read, ranked by harm, with names and locations only — never a value.
``summarize`` condenses it for ``pipvet doctor``.

What is checked (each location also appears in ``ExposureReport.checked``):

* environment variables whose names look like secrets (see ``exposure_env``), URLs with
  embedded passwords in any variable, AWS keys (static vs session), the SSH agent socket;
* AWS ``credentials`` / ``config`` (static keys, session keys, credential_process, SSO) and the
  SSO / CLI token caches; Google Cloud application default credentials (by ``type``), the file
  named by ``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's ``credentials.db`` and legacy copies;
  Azure CLI token caches and service principal entries; kubeconfig files (inline tokens and
  client keys vs exec plugins); Databricks, SnowSQL, Snowflake, rclone and Terraform logins;
* docker / podman registry auths (inline vs credential helpers); ``.git-credentials``; netrc;
  ``.pypirc`` (tokens vs passwords); ``.npmrc`` (home and project); GitHub CLI ``hosts.yml``
  (plain-text token vs keyring); credentials in pip / uv / poetry index URLs; Poetry
  ``auth.toml``; cargo; Hugging Face tokens;
* SSH private keys in ``~/.ssh`` without a passphrase (header only);
* ``.env`` / ``.env.*`` / ``.envrc`` files at the project's top level (variable names only);
* AI assistants: Claude Code, Codex CLI, Gemini CLI, GitHub Copilot, Cursor / Claude Desktop /
  Windsurf MCP configs, Continue, aider, and Kaggle's API key.

Unreadable locations are listed separately: a file this process cannot read is one a package
cannot read either.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipvet.exposure.cloud import CLOUD_CHECKS
from pipvet.exposure.env import env_exposures
from pipvet.exposure.keys import KEY_CHECKS
from pipvet.exposure.model import (
    GENERAL_ADVICE,
    Exposure,
    ExposureReport,
    ExposureSummary,
    Harm,
    Lifetime,
    Unreadable,
    summarize,
)
from pipvet.exposure.scan import FileReader, LocalFiles, Scan
from pipvet.exposure.tokens import TOKEN_CHECKS

__all__ = [
    "GENERAL_ADVICE",
    "Exposure",
    "ExposureReport",
    "ExposureSummary",
    "FileReader",
    "Harm",
    "Lifetime",
    "LocalFiles",
    "Unreadable",
    "fails_on",
    "scan_exposure",
    "summarize",
]


def scan_exposure(
    home: Path,
    environ: Mapping[str, str],
    project: Path,
    *,
    reader: FileReader | None = None,
) -> ExposureReport:
    """Inventory the credentials readable by a process with this home, environment and
    project folder. Reads only; never returns, logs or stores a secret value.
    """
    scan = Scan(home=home, environ=environ, project=project, reader=reader or LocalFiles())
    scan.checked.append("environment")
    for exposure in env_exposures(environ):
        scan.add(exposure)
    for check in (*CLOUD_CHECKS, *TOKEN_CHECKS, *KEY_CHECKS):
        check(scan)
    ranked = sorted(scan.exposures, key=lambda e: e.sort_key)
    return ExposureReport(
        home=str(home),
        project=str(project),
        exposures=tuple(ranked),
        unreadable=tuple(dict.fromkeys(scan.unreadable)),
        checked=tuple(dict.fromkeys(scan.checked)),
    )


def fails_on(report: ExposureReport, level: str) -> bool:
    """The ``--fail-on`` decision: "any" exposed credential, or "long-lived" ones only
    (unknown lifetimes count as long-lived: fail closed). "never" never fails.
    """
    summary: ExposureSummary = summarize(report)
    if level == "any":
        return summary.exposed > 0
    if level == "long-lived":
        return summary.long_lived > 0
    return False
