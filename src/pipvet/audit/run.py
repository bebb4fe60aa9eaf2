"""Running an audit end to end: collect dependencies, make sure advisory data is there,
match, apply the policy. The CLI and ``pipvet update`` both call this.

I/O lives here (reading environments and requirement files, the SQLite store, syncing);
matching and rendering stay in the pure core.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipvet import __version__
from pipvet.advisories.source import OsvSource
from pipvet.advisories.store import AdvisoryStore
from pipvet.advisories.store_model import CorruptStore
from pipvet.advisories.sync import default_store_path, ensure_fresh
from pipvet.audit.match import (
    MatchOutcome,
    match_dependencies,
    match_records,
    with_fix_requirements,
)
from pipvet.errors import NetworkError, UsageError
from pipvet.frozen import frozen, replace
from pipvet.models import Advisory, AuditReport, Dependency, NormalizedName, Progress, Snapshot
from pipvet.policy import (
    Policy,
    Sources,
    apply_ignores,
    list_local_builds,
    unlisted_replacements,
    utc_date,
)
from pipvet.system.paths import expand_home

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:  # an audit of fresh data neither fetches nor runs a process
    from pipvet.advisories.sync_model import SyncOutcome
    from pipvet.system.http import HttpClient
    from pipvet.system.process import Runner


@frozen
class Inputs:
    """What the user asked to audit. All empty means "the default environment"."""

    requirement_files: tuple[Path, ...] = ()
    paths: tuple[Path, ...] = ()
    python: Path | None = None
    venv: Path | None = None


@frozen
class Collected:
    dependencies: tuple[Dependency, ...]
    target: str
    warnings: tuple[str, ...] = ()


def collect(inputs: Inputs, *, environ: Mapping[str, str], cwd: Path, runner: Runner) -> Collected:
    """Read every dependency the inputs name; say in words what was read."""
    deps: list[Dependency] = []
    targets: list[str] = []
    warnings: list[str] = []
    if inputs.requirement_files:
        # Only requirement files need packaging's requirement and marker grammar.
        from pipvet.inputs import requirements
    for req in inputs.requirement_files:
        kind = requirements.declared_kind(req)
        parsed = requirements.parse_declared(req, environ=environ)
        deps.extend(requirements.to_dependencies(parsed.entries))
        targets.append(f"{_KIND_LABELS.get(kind, 'requirements')} {req}")
        if kind in _KIND_LABELS:  # requirements files keep their warnings to themselves
            warnings.extend(parsed.warnings)
    if inputs.requirement_files:
        from pipvet.inputs.requirement_text import forget_parsed_texts

        forget_parsed_texts()
    folders: list[Path] = list(inputs.paths)
    if inputs.paths:
        targets.append("site-packages " + ", ".join(str(p) for p in inputs.paths))
    python: Path | None = inputs.python
    # The interpreter probe is imported only where an interpreter is asked (not for --path).
    if inputs.venv is not None:
        from pipvet.inputs import interpreter

        python = interpreter.venv_python(inputs.venv)
        if not python.exists():
            raise UsageError(
                f"{inputs.venv} is not a virtual environment: {python} does not exist",
                hint="pass --venv the folder that contains bin/python (or Scripts\\python.exe)",
            )
        targets.append(f"virtual environment {inputs.venv}")
    elif python is not None:
        targets.append(f"interpreter {python}")
    if not inputs.requirement_files and not inputs.paths and python is None:
        from pipvet.inputs import interpreter

        found = interpreter.discover_target(environ, cwd, Path(sys.executable))
        locks = _project_locks(cwd) if found.source == "running" else ()
        if locks:
            # No environment of this project to audit, but its lock says what it installs.
            got = collect(
                replace(inputs, requirement_files=locks), environ=environ, cwd=cwd, runner=runner
            )
            said = (
                "no virtual environment is active and the folder has no .venv or venv, so "
                f"pipvet audited the project's lock file{'s' if len(locks) != 1 else ''} "
                f"({', '.join(p.name for p in locks)}) instead; pass --python or --venv to "
                "audit an environment"
            )
            return replace(got, warnings=(said, *got.warnings))
        python = found.python
        targets.append(found.description)
        if found.source == "running":
            warnings.extend(_unread_declarations(cwd))
    if python is not None:
        from pipvet.inputs import interpreter

        folders.extend(interpreter.site_packages_of(python, runner))
    if folders:
        from pipvet.inputs import installed as environment

        scan = environment.read_environment(folders, missing_ok=not inputs.paths)
        deps.extend(scan.dependencies)
        warnings.extend(scan.warnings)
    return Collected(tuple(deps), "; ".join(targets), tuple(warnings))


_KIND_LABELS = {"lock": "lock file", "conda": "conda environment file", "notebook": "notebook"}


def _unread_declarations(cwd: Path) -> list[str]:
    """A warning when the audit fell back to the Python running pipvet beside a
    requirements.txt: a pass would otherwise read as if the project had been audited. (A
    pyproject.toml is left out: many hold only tools' settings.)"""
    if not os.path.isfile(os.path.join(cwd, "requirements.txt")):
        return []
    return [
        "requirements.txt in the current folder was not audited: no environment of this "
        "project was found, so pipvet audited the Python running it; run 'pipvet audit -r "
        "requirements.txt', or pass --venv or --python to audit the project's environment"
    ]


def _project_locks(cwd: Path) -> tuple[Path, ...]:
    from pipvet.inputs.lockfiles import find_lock_files

    return find_lock_files(cwd)


def prepare_advisories(
    sources: Sources,
    http: HttpClient | Callable[[], HttpClient],
    *,
    cache_dir: Path,
    policy: Policy,
    offline: bool,
    clock: Callable[[], float],
    progress: Progress | None = None,
) -> SyncOutcome:
    """Usable advisory data, synced if older than the policy's max age (never when offline);
    ``http`` may be a function making the client, called only when a sync runs."""
    overlay = _overlay(sources)
    try:
        return ensure_fresh(
            default_store_path(cache_dir),
            OsvSource.parse(sources.osv_url),
            http,
            max_age_seconds=policy.max_age_hours * 3600,
            offline=offline,
            overlay=overlay,
            clock=clock,
            progress=progress,
        )
    except NetworkError as exc:
        # No data at all and the source out of reach: a machine without that network (an
        # air-gapped one, a CI runner behind a proxy) needs to hear where else data can come from.
        chosen = sources.origin("osv_url")
        other = (
            "point PIPVET_OSV_URL or the policy's osv-url at a mirror or a local copy of the "
            "OSV data (a folder or a file:// URL)"
            if chosen == "default"
            else f"the URL comes from {chosen}"
        )
        raise NetworkError(
            exc.message, url=exc.url, status=exc.status, hint=f"{exc.hint}; {other}"
        ) from None


def _overlay(sources: Sources) -> Path | None:
    value = sources.osv_overlay
    return expand_home(value, origin=sources.origin("osv_overlay")) if value else None


def rebuild_advisories(
    sources: Sources,
    http: HttpClient,
    *,
    cache_dir: Path,
    clock: Callable[[], float],
    progress: Progress | None = None,
) -> SyncOutcome:
    """A full sync that replaces the database whatever state it is in."""
    from pipvet.advisories.sync import sync

    overlay = _overlay(sources)
    return sync(
        default_store_path(cache_dir),
        OsvSource.parse(sources.osv_url),
        http,
        full=True,
        overlay=overlay,
        clock=clock,
        progress=progress,
    )


def _match_stored(
    collected: Collected, store_path: Path, clock: Callable[[], float]
) -> tuple[MatchOutcome, Snapshot]:
    with AdvisoryStore.open(store_path) as store:
        if store.has_package_records:
            matched = match_records(collected.dependencies, store.package_records_for)
        else:  # written by an older pipvet: its next sync adds the package records
            matched = match_dependencies(collected.dependencies, store.raw_records_for)
        return matched, store.snapshot(now=clock())


def audit(
    collected: Collected,
    outcome: SyncOutcome,
    *,
    policy: Policy,
    clock: Callable[[], float],
    rebuild: Callable[[], SyncOutcome] | None = None,
) -> AuditReport:
    """Match, apply the policy and build the report. ``rebuild`` (a full sync) is called once
    when the database turns out to be damaged inside, which opening it cannot detect."""
    repaired: list[str] = []
    try:
        matched, snapshot = _match_stored(collected, outcome.store_path, clock)
    except CorruptStore as exc:
        if rebuild is None:
            raise
        outcome = rebuild()
        matched, snapshot = _match_stored(collected, outcome.store_path, clock)
        repaired.append(f"{exc}; pipvet rebuilt it from {outcome.snapshot.source}")
    snapshot = replace(
        snapshot,
        max_data_age_days=policy.max_data_age_days,
        configured_source=outcome.snapshot.configured_source,
    )
    # Today's date is read only for an ignore (see policy.utc_date).
    results, notes = apply_ignores(matched.results, policy, lambda: utc_date(clock()))
    results = list_local_builds(results, policy)
    results = with_fix_requirements(results, matched.records, matched.affecting)
    warnings = [
        *repaired,
        *outcome.warnings,
        *collected.warnings,
        *matched.warnings,
        *policy.warnings,
    ]
    if snapshot.overlay_replaced:
        warnings.insert(0, overlay_warning(snapshot, policy))
    if outcome.action == "stale" and outcome.error is not None:
        warnings.insert(
            0,
            f"the advisory data could not be refreshed ({outcome.error}); "
            f"this audit used the older data, from {outcome.snapshot.source}",
        )
    return AuditReport(
        tool_version=__version__,
        target=collected.target,
        snapshot=snapshot,
        results=results,
        ignore_notes=notes,
        warnings=tuple(warnings),
        fail_on=policy.fail_on,
        unknown_severity=policy.unknown_severity,
    )


def overlay_warning(snapshot: Snapshot, policy: Policy) -> str:
    """Names the public advisories the overlay replaces: its record is used instead, so a
    finding the public one would report can be gone. A reviewer sees these like ignores."""
    replaced = snapshot.overlay_replaced
    text = f"the advisory overlay replaces public records with its own: {', '.join(replaced)}"
    unlisted = unlisted_replacements(snapshot, policy)
    if unlisted:
        text += (
            f"; not listed in the policy's overlay-replaces: {', '.join(unlisted)} "
            "(--ci fails on them). Review those overlay files, then list the ids in "
            "overlay-replaces"
        )
    return text


def explain(
    record_id: str, collected: Collected, outcome: SyncOutcome
) -> tuple[Advisory, list[tuple[Dependency, tuple[str, ...], bool]]]:
    """The record named ``record_id`` (or an alias of one) and, for every collected dependency
    it names, the matcher's step-by-step reasoning."""
    from pipvet.advisories.explain import explain as explain_match
    from pipvet.advisories.osv import MalformedRecord, parse_advisory_json
    from pipvet.advisories.versions import version_or_none

    with AdvisoryStore.open(outcome.store_path) as store:
        raw = store.raw_record(record_id) or store.raw_record(record_id.upper())
        if raw is None:
            raw = _find_by_alias(store, record_id, collected.dependencies)
    if raw is None:
        raise UsageError(
            f"no advisory {record_id!r} in the local database ({outcome.snapshot.source})",
            hint="check the id (PYSEC-..., GHSA-..., CVE-..., MAL-...) or run 'pipvet db sync'",
        )
    try:
        advisory = parse_advisory_json(raw)
    except MalformedRecord as exc:
        raise UsageError(f"advisory {record_id} is malformed: {exc}") from exc
    names = {a.package for a in advisory.affected}
    out: list[tuple[Dependency, tuple[str, ...], bool]] = []
    for dep in collected.dependencies:
        if dep.name not in names:
            continue
        version = version_or_none(dep.version or "")
        if version is None:
            out.append((dep, (f"not checked: {dep.skipped or 'no version'}",), False))
            continue
        result = explain_match(advisory, dep.name, version)
        out.append((dep, tuple(result.lines), result.matched))
    return advisory, out


def _find_by_alias(store: AdvisoryStore, alias: str, deps: Sequence[Dependency]) -> str | None:
    from pipvet.advisories.osv import MalformedRecord, parse_advisory_json  # (see explain)

    wanted = alias.casefold()
    names: list[NormalizedName] = sorted({d.name for d in deps})
    for texts in store.raw_records_for(names).values():
        for text in texts:
            try:
                adv = parse_advisory_json(text)
            except MalformedRecord:
                continue
            if wanted == adv.id.casefold() or wanted in (a.casefold() for a in adv.aliases):
                return text
    return None
