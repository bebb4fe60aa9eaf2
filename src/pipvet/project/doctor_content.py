"""``pipvet doctor``'s checks on what the environment and the machine hold: the audit (cached
advisory data only, never a download), start-up code no package owns, commands that run
automatically when the project is opened, and the credentials a package could read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pipvet.audit import run as auditing
from pipvet.errors import PipvetError
from pipvet.exposure.inventory import scan_exposure
from pipvet.exposure.model import summarize
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.models import AuditReport
from pipvet.policy import Policy, Sources, fails
from pipvet.project.doctor_env import DoctorEnv
from pipvet.project.model import Check
from pipvet.project.vscode import inspect_tasks
from pipvet.system.files import read_checked_text
from pipvet.system.http import HttpClient
from pipvet.system.paths import pip_shown
from pipvet.system.process import Runner

__all__ = [
    "audit_check",
    "exposure_check",
    "persistence_check",
    "startup_code_check",
]


def audit_check(  # noqa: PLR0917
    env: DoctorEnv,
    environ: Mapping[str, str],
    project: Path,
    policy: Policy,
    sources: Sources,
    http: HttpClient,
    cache_dir: Path,
    clock: Callable[[], float],
    runner: Runner,
) -> Check:
    title = "Audit of the environment"
    if env.target is None or env.kind == "none":
        return Check(
            "audit",
            title,
            "warn",
            "no project environment to audit",
            fix="pipvet init && pipvet update",
        )
    try:
        outcome = auditing.prepare_advisories(
            sources, http, cache_dir=cache_dir, policy=policy, offline=True, clock=clock
        )
        collected = auditing.collect(
            auditing.Inputs(python=env.target.python), environ=environ, cwd=project, runner=runner
        )
        report = auditing.audit(collected, outcome, policy=policy, clock=clock)
    except PipvetError as exc:
        return Check(
            "audit",
            title,
            "warn",
            f"not audited: {exc.message} (doctor uses cached advisory data only)",
            fix="pipvet db sync   (then run pipvet doctor again)",
        )
    active = report.active_findings
    evidence = tuple(f"{d.label} {d.version}: {f.id} ({f.kind})" for d, f in active[:8])
    data = f"advisory data: {report.snapshot.records} records from {report.snapshot.source}"
    if fails(report, policy):
        return Check(
            "audit",
            title,
            "fail",
            f"{len(active)} known vulnerabilit{'ies' if len(active) != 1 else 'y'} "
            f"or malware in the environment",
            (*evidence, data),
            fix=_audit_fix(report, env.target.python, project),
        )
    if report.unchecked:
        return Check(
            "audit",
            title,
            "warn",
            f"{len(report.unchecked)} installed package(s) could not be checked",
            tuple(r.dependency.skipped or "" for r in report.unchecked[:5]),
            fix="pipvet audit   (lists what could not be checked and why)",
        )
    if report.snapshot.stale:
        # A mirror that stopped updating finds nothing new: "no vulnerabilities" would lie.
        return Check(
            "audit",
            title,
            "warn",
            f"no known vulnerabilities in {len(report.results)} installed packages, but the "
            f"advisory data is older than max-data-age-days ({policy.max_data_age_days}): its "
            f"newest record is from {(report.snapshot.newest_modified or 'an unknown date')[:10]}",
            (data,),
            fix="pipvet db sync   (and check the advisory source if that does not help)",
        )
    return Check(
        "audit",
        title,
        "pass",
        f"no known vulnerabilities in {len(report.results)} installed packages",
        (data,),
    )


def _audit_fix(report: AuditReport, python: Path, project: Path) -> str:
    """``pipvet update`` upgrades every installed package; the direct pip command, with the
    environment's own interpreter, is named too: it installs the fixes even when a pin or
    the cooldown holds them back, and pip then says what conflicts."""
    wanted = [
        r.fix_requirement
        for r in report.results
        if r.fix_requirement and any(not f.ignored for f in r.findings)
    ]
    if not wanted:
        return "pipvet update   (then pipvet audit for details)"
    quoted = " ".join(f'"{w}"' for w in wanted[:6])
    return f"pipvet update   (or directly: {pip_shown(python, project)} install {quoted})"


def startup_code_check(env: DoctorEnv, scan: EnvironmentScan | None) -> Check:
    title = "No start-up code that no package owns"
    if scan is None:
        return Check("startup-code", title, "warn", "no environment to inspect", fix="pipvet init")
    executable = [p for p in scan.pth_files if p.executes_code]
    owners = scan.owners(p.path for p in executable)
    orphans = [p for p in executable if p.path not in owners]
    if orphans:
        return Check(
            "startup-code",
            title,
            "fail",
            f"{len(orphans)} .pth file(s) run code at every Python start-up and no installed "
            "package's RECORD lists them: a known persistence trick",
            tuple(f"{p.path}: {'; '.join(p.code_lines[:2])[:120]}" for p in orphans),
            fix=f"inspect and delete them (rm {orphans[0].path}); if unexplained, recreate "
            "the environment",
        )
    owned = tuple(f"{p.path.name} (from {owners[p.path].display_name})" for p in executable)
    return Check(
        "startup-code",
        title,
        "pass",
        f"{len(executable)} executable .pth file(s), all owned by a package",
        owned,
    )


def persistence_check(project: Path) -> Check:
    title = "No unexpected auto-run hooks (IDE, agents)"
    evidence: list[str] = []
    tasks = project / ".vscode" / "tasks.json"
    if tasks.is_file():
        seen = inspect_tasks(read_checked_text(tasks))
        evidence += [
            f"{tasks}: task '{label}' runs on folder open and was not written by pipvet"
            for label in seen.folder_open
        ]
    for name in ("settings.json", "settings.local.json"):
        path = project / ".claude" / name
        evidence += _agent_hooks(path)
    if evidence:
        return Check(
            "persistence",
            title,
            "warn",
            "commands run automatically when the project is opened or an agent acts in it: a "
            "possible persistence mechanism, check each one is yours",
            tuple(evidence),
            fix="review each command above and delete the ones you did not add",
        )
    return Check(
        "persistence", title, "pass", "no folder-open tasks or agent hooks besides pipvet's"
    )


def _agent_hooks(path: Path) -> list[str]:
    if not path.is_file():
        return []
    try:
        data = json.loads(read_checked_text(path))
    except (ValueError, RecursionError):
        return [f"{path}: cannot be read as JSON (check it by hand)"]
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, dict):
        return []
    return [
        f"{path}: hook on {event}: {'; '.join(_commands(spec))[:160]}"
        for event, spec in hooks.items()
    ]


def _commands(spec: object) -> Iterable[str]:
    if isinstance(spec, dict):
        if isinstance(spec.get("command"), str):
            yield spec["command"]
        for value in spec.values():
            if isinstance(value, (list, dict)):
                yield from _commands(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _commands(item)


def exposure_check(home: Path, environ: Mapping[str, str], project: Path) -> Check:
    title = "Credentials a package could read"
    summary = summarize(scan_exposure(home, environ, project))
    if summary.exposed == 0:
        return Check("exposure", title, "pass", "no credentials found in reach")
    harms = ", ".join(f"{n} {h.name.lower().replace('_', ' ')}" for h, n in summary.by_harm)
    return Check(
        "exposure",
        title,
        "warn",
        f"{summary.exposed} credential(s) readable by any installed package, "
        f"{summary.long_lived} long-lived or of unknown lifetime ({harms})",
        summary.top,
        fix="pipvet exposure   (what each one is and how to move it out of reach)",
    )
