"""``pipvet update``: upgrade a project's environment safely, then check what arrived.

The steps, in order (each says what it did through ``note``):

1. Ensure the environment: the one named, else the active or project virtual environment or
   the active conda environment, else a new ``.venv`` made with the Python running pipvet.
   A system interpreter is refused: updating it would change every program that uses it.
2. Make sure advisory data is there (before changing anything, so a failure changes nothing).
3. Record the environment, atomically and before pip runs (``journal``: the "before"
   snapshot, what still waits for a verdict, then what each completed pip run installed), then
   upgrade pip itself (the protective flags need a current pip). A record left by an
   interrupted run is finished instead: its "before" is the one compared with, so what that
   run installed is vetted and its new commands are shown. The record goes at the end.
4. ``pip install -U --upgrade-strategy eager`` of the project's requirements files (and ``.``
   for a pyproject project) and of every installed distribution they do not name (what
   ``python -m venv`` seeded, leftovers), final releases only and with the policy's cooldown,
   as far as this pip supports them; what it cannot do is said, never skipped silently.
   With ``--offline`` pip gets ``--no-index``: it keeps what is installed.
5. Security fixes are not delayed: a package still affected by a known vulnerability whose
   fixing release is inside the cooldown window gets that release installed on its own,
   without the cooldown, and the reason is recorded. A fix the project's own requirements
   exclude (a pin) or that the resolver holds back is reported, not forced.
6. Record the environment again: what changed, the audit, and the install-surface diff.
7. Vet the packages that are new to the environment, each at its installed version, through
   the ``vet`` collaborator (the same vetting as ``pipvet vet``). A verdict at or above the
   policy's ``vet-fail-on`` fails the update like an audit finding; a package that could not
   be vetted (index unreachable, ``--offline`` without a cached answer) is unchecked, which
   the command treats like an unchecked audit: exit 2 unless ``--allow-unchecked``.
   Packages installed from a URL or a folder rather than an index are listed, not looked up.
   pip installs the vetted set and nothing else: a package pip's install reports say it
   installed, new to the environment, without a verdict at that version, fails the run (1).

I/O collaborators (process runner, clock, advisory data, vetting) are passed in. Step 1 is
``environment``, step 5 ``fixes``; the state the steps share is a ``session.Session``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from packaging.version import InvalidVersion, Version

from pipvet.advisories.sync_model import SyncOutcome
from pipvet.audit import run as auditing
from pipvet.inputs import installed as environment
from pipvet.inputs import interpreter
from pipvet.inputs.discover import discover_requirement_files
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.policy import Policy
from pipvet.system.process import Runner
from pipvet.update.environment import ensure_environment
from pipvet.update.fixes import fix_due, security_fixes
from pipvet.update.journal import (
    Journal,
    clear_journal,
    read_journal,
    with_builds,
    write_journal,
)
from pipvet.update.model import (
    Environment,
    NewPackage,
    PackageChange,
    UpdateOptions,
    UpdateResult,
)
from pipvet.update.pip import (
    UPLOADED_PRIOR_TO_SINCE,
    Pip,
    PipFeatures,
    cooldown_cutoff,
)
from pipvet.update.pip_sources import configured_hosts
from pipvet.update.precheck import PreCheck, installed_pip, reason_to_run_pip
from pipvet.update.session import Note, Session
from pipvet.update.surface import (
    BuildInfo,
    EnvSnapshot,
    package_changes,
    snapshot,
    surface_findings,
)
from pipvet.update.targets import installed_unnamed, refuse_unsafe_variables, target_args
from pipvet.update.vet_new import VetNew, read_pending, to_vet, write_pending
from pipvet.vetting.model import VetReport

__all__ = ["run_update"]


# ---------------------------------------------------------------------------- requirements


def _pyproject_name(project: Path) -> NormalizedName | None:
    """The ``[project] name`` of the project's pyproject.toml, None when it has none."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None  # not a project pip could install; the audit reads it no further
    table = data.get("project")
    name = table.get("name") if isinstance(table, dict) else None
    return canonicalize_name(name) if isinstance(name, str) and name else None


# ---------------------------------------------------------------------------- the run


def run_update(
    options: UpdateOptions,
    *,
    environ: Mapping[str, str],
    runner: Runner,
    policy: Policy,
    advisories: Callable[[], SyncOutcome],
    vet: VetNew,
    clock: Callable[[], float],
    note: Note,
    rebuild: Callable[[], SyncOutcome] | None = None,
    precheck: PreCheck | None = None,
) -> UpdateResult:
    """Run every step of the update (module docstring) and return what happened.

    ``advisories`` makes the advisory data usable (syncing it when due) or raises DataError;
    it is called before anything in the environment changes. ``vet`` is called once, after
    the audit, when the update added packages. ``rebuild`` (a full sync) repairs a database
    found damaged while auditing. With ``precheck``, pip runs only when the index and the
    requirements say it would change something (``precheck``); else the environment is
    audited and vetted as it is."""
    env = ensure_environment(options, environ=environ, runner=runner, note=note)
    note(f"updating {env.description}")
    outcome = advisories()
    now = datetime.fromtimestamp(clock(), UTC)
    run = Session(options, environ, Pip(env.python, runner), policy, now, note)
    before_scan = _scan(env.python, runner)
    files = options.requirement_files or discover_requirement_files(options.project)
    project_name = None if options.requirement_files else _pyproject_name(options.project)
    trusted = configured_hosts(environ, env.prefix, run.pip.config_list)
    refuse_unsafe_variables(files, environ, trusted)
    if precheck is not None:
        kept = _unchanged(run, env, before_scan, files, project_name, check=precheck,
                          outcome=outcome, vet=vet, clock=clock, rebuild=rebuild)  # fmt: skip
        if kept is not None:
            return kept
    old_features = run.pip.features()
    started = _start_record(run, env, before_scan, old_features)
    before, pip_before = started.before, started.pip_before

    note(f"upgrading pip {old_features.version}")
    run.install(["-U", *run.protective_flags(), "pip"])
    run.pip.version(refresh=True)
    features = run.pip.features()
    missing = (
        *_self_upgrade_unprotected(old_features, features, policy.cooldown_days),
        *features.missing_protections(policy.cooldown_days),
    )
    for text in missing:
        note(f"warning: {text}")

    targets, labels = target_args(run, before_scan, files, project_name)
    if targets:
        note("upgrading " + ", ".join(labels))
        run.install(["-U", "--upgrade-strategy", "eager", *run.protective_flags(), *targets])
    _no_sources_warning(run, files, project_name)

    fixes = security_fixes(run, env, outcome, files, rebuild)
    after_scan = _scan(env.python, runner)
    after = snapshot(after_scan)
    collected = auditing.collect(
        auditing.Inputs(python=env.python), environ=environ, cwd=options.project, runner=runner
    )
    collected = auditing.Collected(collected.dependencies, env.description, collected.warnings)
    report = auditing.audit(collected, outcome, policy=policy, clock=clock, rebuild=rebuild)
    changes = package_changes(before, after)
    builds = _latest(_builds(started, run))
    surface = surface_findings(before, after, builds, pip=run.pip_shown)
    vetted, packages = _vet(
        run, env, scan=after_scan, changes=changes, vet=vet, outcome=outcome,
        pending=started.pending,
    )  # fmt: skip
    without = _without_verdict(builds, before, vetted)
    run.warnings.extend(without)
    problem = clear_journal(env.prefix)
    if problem:
        run.warnings.append(problem)
    cutoff = None
    if policy.cooldown_days > 0 and features.uploaded_prior_to:
        cutoff = cooldown_cutoff(now, policy.cooldown_days)
    return UpdateResult(
        environment=env,
        pip_before=pip_before,
        pip_after=str(features.version),
        cooldown_days=policy.cooldown_days,
        cutoff=cutoff,
        sources=tuple(labels),
        commands=tuple(run.commands),
        changes=changes,
        security_fixes=tuple(fixes),
        surface=surface,
        audit=report,
        missing_protections=missing,
        warnings=tuple(run.warnings),
        vetted_packages=packages,
        vetted=vetted,
        project_name=project_name,
        installed_without_verdict=len(without),
    )


def _unchanged(
    run: Session,
    env: Environment,
    scan: EnvironmentScan,
    files: Sequence[Path],
    project_name: NormalizedName | None,
    *,
    check: PreCheck,
    outcome: SyncOutcome,
    vet: VetNew,
    clock: Callable[[], float],
    rebuild: Callable[[], SyncOutcome] | None,
) -> UpdateResult | None:
    """The update of an environment pip would leave as it is, without running pip: audited,
    vetted (what an earlier run could not vet) and its security fixes reported, as the full
    run would. None when pip must run (a project built from its folder, an interrupted run
    to finish, a security fix to install, or the pre-check's reasons)."""
    if run.options.offline or env.created or project_name is not None:
        return None  # offline pip only reads what is here; a project folder is rebuilt
    if read_journal(env.prefix) is not None:
        return None
    collected = auditing.Collected(scan.dependencies, env.description, scan.warnings)
    report = auditing.audit(collected, outcome, policy=run.policy, clock=clock, rebuild=rebuild)
    why = fix_due(run, report, files)
    if why is None:
        unnamed = installed_unnamed(scan, files, run.environ, run.policy, project_name)
        why = reason_to_run_pip(run, env, scan, files, unnamed, check=check)
    features = installed_pip(scan)
    if why is not None or features is None:
        run.note(f"asking pip: {why}")
        return None
    run.note("pip not run: no requirement is unmet and nothing has a newer final release "
             "outside the cooldown")  # fmt: skip
    fixes = security_fixes(run, env, outcome, files, rebuild, interim=report)
    _, labels = target_args(run, scan, files, project_name)
    _no_sources_warning(run, files, project_name)
    now = snapshot(scan)
    vetted, packages = _vet(run, env, scan=scan, changes=(), vet=vet, outcome=outcome,
                            pending=())  # fmt: skip
    days = run.policy.cooldown_days
    return UpdateResult(
        environment=env,
        pip_before=str(features.version),
        pip_after=str(features.version),
        cooldown_days=days,
        cutoff=cooldown_cutoff(run.now, days) if days > 0 else None,
        sources=tuple(labels),
        commands=(),
        changes=(),
        security_fixes=tuple(fixes),
        surface=surface_findings(now, now, [], pip=run.pip_shown),
        audit=report,
        missing_protections=features.missing_protections(days),
        warnings=tuple(run.warnings),
        vetted_packages=packages,
        vetted=vetted,
    )


def _no_sources_warning(
    run: Session, files: Sequence[Path], project_name: NormalizedName | None
) -> None:
    if not files and project_name is None:
        run.warnings.append(
            "no requirements files (*requirements*.txt/.in, requirements/*.txt/.in) or "
            f"pyproject.toml project in {run.options.project}: only what is installed was "
            "upgraded"
        )


def _start_record(
    run: Session, env: Environment, scan: EnvironmentScan, features: PipFeatures
) -> Journal:
    """Record the environment before pip changes it, or take up the record an interrupted
    run left (its "before" stays); keep what each completed pip run installed in it."""
    journal = read_journal(env.prefix)
    if journal is None:
        journal = Journal(run.now.isoformat(timespec="seconds"), str(features.version),
                          snapshot(scan), read_pending(env.prefix))  # fmt: skip
    else:
        run.note(f"finishing the update interrupted at {journal.started}: comparing with the "
                 "environment as it was before it")  # fmt: skip
        run.warnings.append(
            f"an update started at {journal.started} was interrupted; this run compared, "
            "audited and vetted everything installed since, against the environment as it "
            "was before that update"
        )
    started = journal
    write_journal(env.prefix, started)  # before pip changes anything

    def record() -> None:
        write_journal(env.prefix, with_builds(started, _builds(started, run)))

    run.after_install = record
    return started


def _vet(
    run: Session,
    env: Environment,
    *,
    scan: EnvironmentScan,
    changes: Sequence[PackageChange],
    vet: VetNew,
    outcome: SyncOutcome,
    pending: Sequence[NormalizedName],
) -> tuple[VetReport | None, tuple[NewPackage, ...]]:
    """Vet what is new (and what an earlier run could not vet); remember what stays unvetted."""
    packages = to_vet(scan, changes, [*pending, *read_pending(env.prefix)])
    if not packages:
        write_pending(env.prefix, ())
        return None, ()
    earlier = sum(1 for p in packages if p.earlier)
    parts = [f"{len(packages) - earlier} new to the environment"] if earlier < len(packages) else []
    parts += [f"{earlier} an earlier update could not vet"] if earlier else []
    run.note(f"vetting {len(packages)} package{'' if len(packages) == 1 else 's'}: "
             + " and ".join(parts))  # fmt: skip
    # Remembered first: should vetting fail outright, the next run still tries them.
    problem = write_pending(env.prefix, (p.name for p in packages))
    report = vet(env, packages, outcome)
    problem = write_pending(env.prefix, (p.name for p in report.unchecked)) or problem
    if problem:
        run.warnings.append(problem)
    return report, packages


def _self_upgrade_unprotected(
    old: PipFeatures, new: PipFeatures, cooldown_days: int
) -> tuple[str, ...]:
    """pip upgrades itself with the flags of the pip it replaces. When only the new one has the
    cooldown, the rest of the run is protected but pip's own upgrade was not: say so. (When
    neither has it, ``missing_protections`` already says the whole run went without.)"""
    if cooldown_days <= 0 or old.uploaded_prior_to or not new.uploaded_prior_to:
        return ()
    return (
        f"pip {old.version} has no --uploaded-prior-to (added in pip {UPLOADED_PRIOR_TO_SINCE}): "
        f"pip's own upgrade to {new.version} ran without the {cooldown_days}-day cooldown",
    )


def _scan(python: Path, runner: Runner) -> EnvironmentScan:
    return environment.read_environment(interpreter.site_packages_of(python, runner))


def _builds(started: Journal, run: Session) -> list[BuildInfo]:
    """What pip installed: in runs an interruption cut short (the record), then in this one."""
    now = [BuildInfo(i.name, i.version, i.from_wheel, i.local_dir, i.url) for i in run.builds]
    return [*started.builds, *now]


def _without_verdict(
    builds: Sequence[BuildInfo], before: EnvSnapshot, vetted: VetReport | None
) -> list[str]:
    """pip installs the vetted set and nothing else: each package pip's install reports say
    it installed that is new to the environment must have a verdict at the version pip
    installed. (Checked after pip ran rather than by a dry run first, which would resolve
    everything twice; what fails here exits 1.) A package vetting could not check is left
    to the unchecked rule (exit 2)."""
    old = before.versions()
    verdicts = {(p.name, _norm(p.version)) for p in vetted.packages} if vetted else set()
    unchecked = {p.name for p in vetted.unchecked} if vetted else set()
    out = []
    for build in builds:
        if build.name in old or build.name in unchecked:
            continue
        if (build.name, _norm(build.version)) in verdicts:
            continue
        seen = [v for n, v in verdicts if n == build.name]
        why = (
            f"the verdict is on {seen[0]}"
            if seen
            else "it is not where pipvet looked (site-packages of the environment): pip "
            "installed it elsewhere, e.g. a target or prefix set in pip's configuration"
        )
        out.append(
            f"pip installed {build.name} {build.version}, new to the environment, without a "
            f"verdict ({why}): it was not vetted; check it with: pipvet vet "
            f"{build.name}=={build.version}"
        )
    return out


def _norm(version: str | None) -> str | None:
    try:
        return str(Version(version)) if version is not None else None
    except InvalidVersion:
        return version


def _latest(builds: Sequence[BuildInfo]) -> list[BuildInfo]:
    """One entry per package: the last time pip installed it in this run."""
    by_name = {b.name: b for b in builds}
    return list(by_name.values())
