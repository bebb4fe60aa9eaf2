"""Security fixes are not delayed: ``pipvet update``'s step that installs, on its own and
without the cooldown, the fixing release of a package still affected by a known
vulnerability, or says why it did not (the project's own requirements exclude it, or the
resolver holds it back).

Runs pip (and a dry run of it) through the session's runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from pipvet.advisories.sync_model import SyncOutcome
from pipvet.audit import run as auditing
from pipvet.errors import PipError
from pipvet.models import AuditReport, Dependency, NormalizedName
from pipvet.update.model import Environment, SecurityFix
from pipvet.update.session import Session, shown

__all__ = ["fix_due", "security_fixes"]


def fix_due(run: Session, interim: AuditReport, files: Sequence[Path]) -> str | None:
    """Would ``security_fixes`` ask pip for something? The first such fix, in words."""
    pins = _requirement_specifiers(files, run.environ, run.options.project)
    for result in interim.results:
        active = [f for f in result.findings if not f.ignored and f.kind == "vulnerability"]
        if not active or result.fix_requirement is None:
            continue
        fixed = _closing_version(result.fix_requirement)
        if fixed is not None and _excluded_by(pins.get(result.dependency.name, ()), fixed) is None:
            return f"{result.dependency.label} {fixed} fixes {active[0].id}"
    return None


def security_fixes(
    run: Session,
    env: Environment,
    outcome: SyncOutcome,
    files: Sequence[Path],
    rebuild: Callable[[], SyncOutcome] | None,
    *,
    interim: AuditReport | None = None,
) -> list[SecurityFix]:
    """The security fixes of the environment as ``interim`` (else a fresh audit) found it."""
    if interim is None:
        collected = auditing.collect(
            auditing.Inputs(python=env.python),
            environ=run.environ,
            cwd=run.options.project,
            runner=run.pip.runner,
        )
        interim = auditing.audit(
            collected, outcome, policy=run.policy, clock=run.now.timestamp, rebuild=rebuild
        )
    pins = _requirement_specifiers(files, run.environ, run.options.project)
    fixes: list[SecurityFix] = []
    for result in interim.results:
        active = [f for f in result.findings if not f.ignored and f.kind == "vulnerability"]
        if not active or result.fix_requirement is None:
            continue
        dep = result.dependency
        fixed = _closing_version(result.fix_requirement)
        if fixed is None:
            continue
        ids = tuple(f.id for f in active)

        def fix(applied: bool, reason: str, dep: Dependency = dep, fixed: str = fixed,
                ids: tuple[str, ...] = ids) -> SecurityFix:  # fmt: skip
            return SecurityFix(dep.name, dep.label, dep.version, fixed, ids, applied, reason)

        blocker = _excluded_by(pins.get(dep.name, ()), fixed)
        if blocker is not None:
            fixes.append(fix(False, (
                f"{blocker} excludes {fixed}, the release that fixes {', '.join(ids)}: pipvet "
                f"does not override the project's own requirements; relax it (pipvet relax) "
                f"or require {dep.label}>={fixed}")))  # fmt: skip
            continue
        if run.options.offline:
            fixes.append(fix(False, (
                f"{dep.label} {fixed} fixes {', '.join(ids)}, but --offline keeps pip off the "
                f"index; run pipvet update without --offline to install it")))  # fmt: skip
            continue
        in_window = _inside_cooldown(run, dep.label, fixed)
        if not in_window:
            fixes.append(fix(False, (
                f"{dep.label} {fixed} fixes {', '.join(ids)} and is older than the cooldown, "
                "but the resolver kept the affected version (another package caps it?); see "
                f"why with: {run.pip_shown} install \"{dep.label}>={fixed}\"")))  # fmt: skip
            continue
        run.note(f"installing the security fix {dep.label} {fixed} (inside the cooldown)")
        try:
            # That release exactly: ">=" would let pip take a newer one, published an hour
            # ago, past the cooldown and (an upgrade, not a new package) past the vetting.
            run.install([*run.protective_flags(cooldown=False), f"{dep.label}=={fixed}"])
        except PipError as exc:
            fixes.append(
                fix(
                    False,
                    (f"installing {dep.label}=={fixed} (fixes {', '.join(ids)}) failed: {exc}"),
                )
            )
            continue
        fixes.append(
            fix(
                True,
                (
                    f"{dep.label} {dep.version} is affected by {', '.join(ids)}; the fix "
                    f"{fixed} was published within the {run.policy.cooldown_days}-day cooldown, "
                    "and security fixes are not delayed: installed for this package alone, "
                    "without the cooldown"
                ),
            )
        )
    return fixes


def _inside_cooldown(run: Session, name: str, fixed: str) -> bool:
    """Would the cooldown-respecting pip refuse ``name>=fixed`` on its own? (A dry run.)"""
    flags = run.protective_flags()
    if "--uploaded-prior-to" not in flags:
        return False  # no cooldown was applied, so it did not hold the fix back
    try:
        run.install([*flags, f"{name}>={fixed}"], dry_run=True)
    except PipError:
        return True
    return False


def _closing_version(requirement: str) -> str | None:
    _, sep, version = requirement.partition(">=")
    if not sep:
        return None
    try:
        return str(Version(version.strip()))
    except InvalidVersion:
        return None


def _requirement_specifiers(
    files: Sequence[Path], environ: Mapping[str, str], project: Path
) -> dict[NormalizedName, list[tuple[str, str]]]:
    """name -> [(location, specifier)] from the project's requirements files."""
    from pipvet.inputs.requirements import parse_requirements_file

    out: dict[NormalizedName, list[tuple[str, str]]] = {}
    for path in files:
        parsed = parse_requirements_file(path, environ=environ)
        for entry in parsed.entries:
            if entry.name is not None and str(entry.specifier):
                where = shown(Path(entry.location.path), project)
                if entry.location.line is not None:
                    where += f":{entry.location.line}"
                out.setdefault(entry.name, []).append((where, str(entry.specifier)))
    return out


def _excluded_by(specs: Sequence[tuple[str, str]], version: str) -> str | None:
    from packaging.specifiers import SpecifierSet

    for location, spec in specs:
        if not SpecifierSet(spec).contains(version, prereleases=True):
            return f"{location} ({spec})"
    return None
