"""The files ``pipvet init`` writes, as pure string builders, and their fingerprints.

Files pipvet manages carry a fingerprint of their own content (a ``detail`` field in the VS
Code task, a comment line in the workflow). While the fingerprint matches, the content is
pipvet's and may be updated; once someone edits it, the fingerprint no longer matches and
pipvet leaves it alone (unless ``--force``), and ``pipvet doctor`` reports it as changed.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from pipvet.frozen import frozen
from pipvet.policy import (
    DEFAULT_INDEX_URL,
    DEFAULT_OSV_URL,
    DEFAULT_TOP_PACKAGES_URL,
    Policy,
)
from pipvet.project.pipvet_source import PipvetSource, default_source
from pipvet.sha256 import sha256

__all__ = [
    "CI_SARIF_FILE",
    "GITIGNORE_ENTRY",
    "TASK_LABEL",
    "WORKFLOW_PATH",
    "WorkflowInspection",
    "daily_cron",
    "devcontainer_json",
    "github_workflow",
    "inspect_workflow",
    "policy_text",
    "recorded_fingerprint",
    "task_fingerprint",
    "vscode_task",
    "workflow_fingerprint",
]

TASK_LABEL = "pipvet: update dependencies"
WORKFLOW_PATH = ".github/workflows/pipvet.yml"
CI_SARIF_FILE = "pipvet.sarif"
GITIGNORE_ENTRY = ".venv/"
_MANAGED = "pipvet-managed sha256:"
MANAGED_RE = re.compile(r"pipvet-managed sha256:([0-9a-f]{64})")


def _sha256(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------- VS Code task


def task_fingerprint(task: dict[str, Any]) -> str:
    """sha256 of the task's canonical JSON, ``detail`` excluded (the fingerprint lives there)."""
    body = {k: v for k, v in task.items() if k != "detail"}
    return _sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def vscode_task(python: str | None = None, python_windows: str | None = None) -> dict[str, Any]:
    """The folder-open task that runs ``pipvet update``, with its fingerprint.

    ``python`` None: ``pipvet`` from PATH (where ``pipx`` or ``uv tool`` put a per-user
    install). Otherwise the project environment's interpreter as VS Code should find it
    (``${workspaceFolder}/.venv/bin/python``), which runs ``python -m pipvet``; only for an
    environment that has pipvet installed. ``python_windows`` overrides it on Windows. Never a
    machine-specific absolute path: the file is meant to be committed.
    """
    task: dict[str, Any] = {"label": TASK_LABEL, "type": "process"}
    if python is None:
        task |= {"command": "pipvet", "args": ["update"]}
    else:
        task["command"] = python
        if python_windows:
            task["windows"] = {"command": python_windows}
        task["args"] = ["-m", "pipvet", "update"]
    task |= {
        "options": {"cwd": "${workspaceFolder}"},
        "runOptions": {"runOn": "folderOpen"},
        "presentation": {"reveal": "always", "panel": "dedicated", "clear": True},
        "problemMatcher": [],
    }
    fingerprint = task_fingerprint(task)
    return {
        "label": task["label"],
        "detail": f"Updates, audits and vets dependencies on folder open. {_MANAGED}{fingerprint}",
        **{k: v for k, v in task.items() if k != "label"},
    }


def recorded_fingerprint(text: str) -> str | None:
    match = MANAGED_RE.search(text)
    return match.group(1) if match else None


# ---------------------------------------------------------------------- GitHub Actions


def daily_cron(seed: str) -> str:
    """A daily cron line at a time derived from ``seed`` (the project name), so projects do
    not all run at midnight, and the same project always gets the same time."""
    h = int(_sha256(seed)[:8], 16)
    return f"{h % 60} {(h // 60) % 24} * * *"


_WORKFLOW = """\
# pipvet: keep dependencies floating, audited and vetted, on every push, pull request and day.
# Written by `pipvet init`. pipvet updates this file only while the fingerprint below matches
# its content; once you edit it, it is yours and pipvet leaves it alone.
# {marker}
#
# GitHub disables scheduled workflows in public repositories after 60 days without
# repository activity: if the daily run stops, re-enable it in the Actions tab.
# Consider pinning the actions below to full commit SHAs (Dependabot keeps those current).
name: pipvet

on:
  push:
  pull_request:
  schedule:
    - cron: "{cron}"
  workflow_dispatch:

# Least privilege: read the code, upload code-scanning results; nothing else.
permissions:
  contents: read
  security-events: write

jobs:
  pipvet:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
{upgrade}
      - name: Install pipvet
        run: python -m pip install {requirement}
      # Creates .venv, upgrades dependencies (eager, final releases, with the policy's
      # cooldown), audits and vets what changed. --ci appends the markdown report to the job
      # summary ($GITHUB_STEP_SUMMARY) and writes SARIF; the exit code fails the job per the
      # policy's fail-on.
      - name: Update, audit and vet
        run: pipvet update --ci --sarif {sarif}
      - name: Upload SARIF to code scanning
        if: always() && hashFiles('{sarif}') != ''
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: {sarif}
          category: pipvet
"""


def _workflow_body(python: str, cron: str, source: PipvetSource, marker: str) -> str:
    return _WORKFLOW.format(
        python=python,
        cron=cron,
        sarif=CI_SARIF_FILE,
        marker=marker,
        requirement=source.requirement,
        upgrade=textwrap.fill(
            source.upgrade, width=92, initial_indent="      # ", subsequent_indent="      # "
        ),
    )


def github_workflow(python: str, cron: str, source: PipvetSource | None = None) -> str:
    """The workflow YAML for Python ``python`` (e.g. "3.12") on ``cron``, fingerprinted.

    It installs pipvet from ``source`` (default: ``pipvet==`` this version), never an
    unpinned name: the job holds ``security-events: write``.
    """
    source = source or default_source()
    fingerprint = _sha256(_workflow_body(python, cron, source, _MANAGED))
    return _workflow_body(python, cron, source, _MANAGED + fingerprint)


def workflow_fingerprint(text: str) -> tuple[str | None, str]:
    """(recorded fingerprint, fingerprint of the text as it is now) of a workflow file."""
    recorded = recorded_fingerprint(text)
    actual = _sha256(MANAGED_RE.sub(_MANAGED, text, count=1))
    return recorded, actual


@frozen
class WorkflowInspection:
    """What ``pipvet doctor`` asks of a CI workflow file (any workflow, not only pipvet's).

    ``managed``: it carries pipvet's fingerprint; ``modified``: the fingerprint no longer
    matches the content; ``has_schedule``: a ``schedule:`` trigger with a cron line;
    ``runs_pipvet``: a step runs ``pipvet update`` or ``pipvet audit``.
    """

    managed: bool
    modified: bool
    has_schedule: bool
    runs_pipvet: bool


_SCHEDULE = re.compile(r"(?m)^\s*schedule\s*:\s*(#.*)?$(?:\s*(#.*)?$)*\s*-\s*cron\s*:")
_RUNS_PIPVET = re.compile(r"\bpipvet\s+(update|audit)\b")


def inspect_workflow(text: str) -> WorkflowInspection:
    recorded, actual = workflow_fingerprint(text)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return WorkflowInspection(
        managed=recorded is not None,
        modified=recorded is not None and recorded != actual,
        has_schedule=bool(_SCHEDULE.search(text)),
        runs_pipvet=bool(_RUNS_PIPVET.search(body)),
    )


# ---------------------------------------------------------------------- devcontainer


def devcontainer_json(name: str, python: str, source: PipvetSource | None = None) -> str:
    """A devcontainer that runs the update in ``updateContentCommand``.

    Not ``postCreateCommand``: by then the user's own settings (dotfiles, forwarded
    credentials) are in the container, and installing packages should not see them. pipvet
    comes from ``source`` (default: ``pipvet==`` this version); how to upgrade it is the
    leading comment (devcontainer.json is JSON with comments), beside the fingerprint that
    lets ``pipvet init`` update the file while nobody has changed it.
    """
    source = source or default_source()
    data = {
        "name": f"{name} (pipvet)",
        "image": f"mcr.microsoft.com/devcontainers/python:{python}",
        "updateContentCommand": (
            "test -d .venv || python -m venv .venv; "
            ".venv/bin/python -m pip install --upgrade pip && "
            f".venv/bin/python -m pip install {source.requirement} && "
            ".venv/bin/python -m pipvet update"
        ),
        "customizations": {
            "vscode": {
                "settings": {
                    "python.defaultInterpreterPath": "${containerWorkspaceFolder}/.venv/bin/python"
                },
                "extensions": ["ms-python.python"],
            }
        },
    }
    comment = textwrap.fill(source.upgrade, width=92, initial_indent="// ", subsequent_indent="// ")
    body = json.dumps(data, indent=2) + "\n"

    def text(marker: str) -> str:
        return f"// Written by `pipvet init`. {marker}\n{comment}\n{body}"

    return text(_MANAGED + _sha256(text(_MANAGED)))


# ---------------------------------------------------------------------- policy


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def policy_text(*, in_pyproject: bool) -> str:
    """The policy with pipvet's defaults, commented so the file documents itself.

    ``in_pyproject``: a ``[tool.pipvet]`` table to append to pyproject.toml; otherwise the
    top-level keys of a ``pipvet.toml``. Either parses back to the default policy.
    """
    d = Policy()
    fail_on = d.fail_on if isinstance(d.fail_on, str) else d.fail_on.text
    ignore = "[[tool.pipvet.ignore]]" if in_pyproject else "[[ignore]]"
    lines = [
        "[tool.pipvet]" if in_pyproject else "# pipvet's project policy.",
        "# Written by `pipvet init` with pipvet's defaults; uncomment a line to change it.",
        "",
        '# Findings at or above this severity fail audit and update (exit 1): "any", "low",',
        '# "medium", "high" or "critical". Malware always fails.',
        f"fail-on = {_toml(fail_on)}",
        "# Days a new release must be public before `pipvet update` installs it. A release that",
        "# fixes a known vulnerability in what is installed is taken at once.",
        f"cooldown-days = {d.cooldown_days}",
        "# Refresh the advisory data when it is older than this many hours.",
        f"# max-age-hours = {_toml(d.max_age_hours)}",
        "# The advisory data is stale when its newest record is older than this many days (the",
        '# PyPI data changes daily). "warn" says so at the top of every report; "fail" (or',
        "# --ci) makes audit and update exit 2.",
        f"# max-data-age-days = {d.max_data_age_days}",
        f"# stale-data = {_toml(d.stale_data)}",
        "",
        '# vet: the verdict that fails `pipvet vet` ("avoid" or "review") and what',
        '# `pipvet install` does with "review" packages ("ask", "allow" or "block").',
        f"# vet-fail-on = {_toml(d.vet_fail_on)}",
        f"# on-review = {_toml(d.on_review)}",
        f"# min-maintainers = {d.min_maintainers}",
        f"# max-maintainers = {d.max_maintainers}",
        f"# max-new-dependencies = {d.max_new_dependencies}",
        f"# min-project-age-days = {d.min_project_age_days}",
        f"# max-release-silence-days = {d.max_release_silence_days}",
        "",
        "# Private package names (glob patterns): never looked up on the public index.",
        '# internal = ["acme-*"]',
        "",
        "# Data sources: a URL, a file:// URL or a path (relative to this file).",
        f"# osv-url = {_toml(DEFAULT_OSV_URL)}",
        '# osv-overlay = "advisories/"',
        f"# index-url = {_toml(DEFAULT_INDEX_URL)}",
        f"# top-packages-url = {_toml(DEFAULT_TOP_PACKAGES_URL)}",
        "",
        "# Accept one finding for a while, with a reason (package and versions are optional):",
        f"# {ignore}",
        '# id = "PYSEC-2024-0000"',
        '# reason = "not reachable: we never call the affected function"',
        "# expires = 2030-12-31",
        '# package = "example"',
        '# versions = "<2.0"',
    ]
    return "\n".join(lines) + "\n"
