"""``pipvet update``: upgrade a project's environment safely, then check what arrived.

The steps, in order (each says what it did through ``note``):

1. Ensure the environment: the one named, else the active or project virtual environment or
   the active conda environment, else a new ``.venv`` made with the Python running pipvet.
   A system interpreter is refused: updating it would change every program that uses it.
2. Make sure advisory data is there (before changing anything, so a failure changes nothing).
3. Record the environment, then upgrade pip itself (the protective flags need a current pip).
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

I/O collaborators (process runner, clock, advisory data, vetting) are passed in. Step 1 is
``environment``, step 5 ``fixes``; the state the steps share is a ``session.Session``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

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
from pipvet.update.fixes import security_fixes
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
from pipvet.update.session import Note, Session, shown
from pipvet.update.surface import BuildInfo, package_changes, snapshot, surface_findings
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
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
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
) -> UpdateResult:
    """Run every step of the update (module docstring) and return what happened.

    ``advisories`` makes the advisory data usable (syncing it when due) or raises DataError;
    it is called before anything in the environment changes. ``vet`` is called once, after
    the audit, when the update added packages. ``rebuild`` (a full sync) repairs a database
    found damaged while auditing."""
    env = ensure_environment(options, environ=environ, runner=runner, note=note)
    note(f"updating {env.description}")
    outcome = advisories()
    now = datetime.fromtimestamp(clock(), UTC)
    run = Session(options, environ, Pip(env.python, runner), policy, now, note)
    before_scan = _scan(env.python, runner)
    before = snapshot(before_scan)
    pip_before = str(run.pip.version())
    old_features = run.pip.features()

    note(f"upgrading pip {pip_before}")
    run.install(["-U", *run.protective_flags(), "pip"])
    run.pip.version(refresh=True)
    features = run.pip.features()
    missing = (
        *_self_upgrade_unprotected(old_features, features, policy.cooldown_days),
        *features.missing_protections(policy.cooldown_days),
    )
    for text in missing:
        note(f"warning: {text}")

    files = options.requirement_files or discover_requirement_files(options.project)
    targets: list[str] = []
    for f in files:
        targets += ["-r", str(f)]
    labels = [shown(f, options.project) for f in files]
    project_name = None if options.requirement_files else _pyproject_name(options.project)
    if project_name is not None:
        editable = _installed_editable(before_scan, options.project)
        targets += ["-e", str(options.project)] if editable else [str(options.project)]
        labels.append(". (pyproject.toml" + (", editable)" if editable else ")"))
    unnamed = _installed_unnamed(before_scan, files, environ, policy, project_name)
    if unnamed:
        # What the files do not name is upgraded too (a seeded setuptools, leftovers), by
        # name and without a bound, so a requirement that caps it still holds.
        targets += unnamed
        labels.append(f"{len(unnamed)} installed package{'' if len(unnamed) == 1 else 's'} "
                      f"the requirements do not name ({_few(unnamed)})")  # fmt: skip
    if targets:
        note("upgrading " + ", ".join(labels))
        run.install(["-U", "--upgrade-strategy", "eager", *run.protective_flags(), *targets])
    if not files and project_name is None:
        run.warnings.append(
            "no requirements files (*requirements*.txt/.in, requirements/*.txt/.in) or "
            f"pyproject.toml project in {options.project}: only what is installed was upgraded"
        )

    fixes = security_fixes(run, env, outcome, files, rebuild)
    after_scan = _scan(env.python, runner)
    after = snapshot(after_scan)
    collected = auditing.collect(
        auditing.Inputs(python=env.python), environ=environ, cwd=options.project, runner=runner
    )
    collected = auditing.Collected(collected.dependencies, env.description, collected.warnings)
    report = auditing.audit(collected, outcome, policy=policy, clock=clock, rebuild=rebuild)
    changes = package_changes(before, after)
    builds = [BuildInfo(i.name, i.version, i.from_wheel, i.local_dir, i.url) for i in run.builds]
    surface = surface_findings(before, after, _latest(builds), pip=run.pip_shown)
    vetted, packages = _vet(run, env, scan=after_scan, changes=changes, vet=vet, outcome=outcome)
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
    )


def _vet(
    run: Session,
    env: Environment,
    *,
    scan: EnvironmentScan,
    changes: Sequence[PackageChange],
    vet: VetNew,
    outcome: SyncOutcome,
) -> tuple[VetReport | None, tuple[NewPackage, ...]]:
    """Vet what is new (and what an earlier run could not vet); remember what stays unvetted."""
    packages = to_vet(scan, changes, read_pending(env.prefix))
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


def _installed_editable(scan: EnvironmentScan, project: Path) -> bool:
    """Is the project already installed in editable mode? Then it stays editable."""
    here = project.resolve()
    for dist in scan.distributions:
        url = dist.direct_url
        if url is not None and url.kind == "editable" and Path(url.where).resolve() == here:
            return True
    return False


def _installed_unnamed(
    scan: EnvironmentScan,
    files: Sequence[Path],
    environ: Mapping[str, str],
    policy: Policy,
    project_name: NormalizedName | None,
) -> list[str]:
    """Installed distributions the requirements do not name, to upgrade by name: those pip
    got from an index. Left out: pip (upgraded first), the project itself, anything installed
    from a URL or a folder (its name means nothing to the index, and may be private), a
    policy-internal name (never looked up on an index) and metadata without a version."""
    from pipvet.inputs.requirements import parse_requirements_file

    named: set[NormalizedName] = set()
    for path in files:
        named.update(e.name for e in parse_requirements_file(path, environ=environ).entries
                     if e.name is not None)  # fmt: skip
    out: dict[NormalizedName, str] = {}
    for dist in scan.distributions:
        if (
            dist.name in named
            or dist.name in ("pip", project_name)
            or dist.direct_url is not None
            or dist.format == "egg-link"
            or dist.problem
            or not dist.version
            or policy.is_internal(dist.name)
        ):
            continue
        out.setdefault(dist.name, dist.display_name)
    return sorted(out.values(), key=canonicalize_name)


def _few(names: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _latest(builds: Sequence[BuildInfo]) -> list[BuildInfo]:
    """One entry per package: the last time pip installed it in this run."""
    by_name = {b.name: b for b in builds}
    return list(by_name.values())
