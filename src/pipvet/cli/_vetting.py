"""What ``pipvet vet`` and ``pipvet install`` both set up: target, data, and the vetter."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import packaging

from pipvet import __version__
from pipvet.advisories.store import AdvisoryStore
from pipvet.advisories.sync_model import SyncOutcome
from pipvet.cli._common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from pipvet.cli._context import RunContext
from pipvet.cli._options import advisory_data, one_environment
from pipvet.errors import DataError, InputError, UsageError
from pipvet.frozen import frozen, replace
from pipvet.index.client import IndexClient
from pipvet.index.popularity_cache import Loaded, load_popularity
from pipvet.inputs import installed as environment
from pipvet.inputs import interpreter
from pipvet.models import DependencyResult, NormalizedName, Progress
from pipvet.policy import apply_ignores
from pipvet.report._common import age_text
from pipvet.sha256 import sha256
from pipvet.system.files import write_text_atomic
from pipvet.system.http import HttpClient
from pipvet.system.paths import expand_home
from pipvet.system.process import Runner
from pipvet.system.threads import Future
from pipvet.vetting.model import PackageVet, VetReport
from pipvet.vetting.service import VetRequest, Vetter
from pipvet.vetting.signals import Thresholds, list_time
from pipvet.vetting.target import TargetEnvironment, from_facts, probe_facts
from pipvet.vetting.typosquat_cache import load_index
from pipvet.vetting.verdict import combine

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    import argparse  # a command line cli._quick reads needs no argparse
    from typing import Any, Literal, TypeVar

    _T = TypeVar("_T")


@frozen
class Chosen:
    python: Path
    description: str
    source: str  # "explicit" (--python/--venv) or how it was discovered


def choose_target(args: argparse.Namespace, ctx: RunContext) -> Chosen:
    one_environment(args)
    if args.venv:
        venv = ctx.cwd / expand_home(args.venv, origin="--venv")
        return Chosen(interpreter.venv_python(venv), f"the virtual environment {venv}", "explicit")
    if args.python:
        python = ctx.cwd / expand_home(args.python, origin="--python")
        return Chosen(python, f"the interpreter {python}", "explicit")
    found = interpreter.discover_target(ctx.environ, ctx.cwd, Path(sys.executable))
    return Chosen(found.python, found.description, found.source)


def check_pip_settings(
    pip_args: Sequence[str], ctx: RunContext, chosen: Chosen, runner: Runner, *, installing: bool
) -> None:
    """Before any dry run of pip with ``pip_args``: what pip's own settings add
    (``PIP_CONSTRAINT``, ...) builds nothing either, no ``${NAME}`` of the ``-r``/``-c``
    files goes to a host they chose, and (for ``pipvet install``) no setting sends pip to
    install elsewhere (``PIP_TARGET``, ``PIP_PYTHON``, ...)."""
    from pipvet.cli import _install_steps as steps
    from pipvet.update.pip import Pip
    from pipvet.update.pip_sources import configured_elsewhere, configured_hosts, configured_inputs

    # The environment's own pip.conf sits in its prefix: bin/python (Scripts\python.exe).
    prefix = chosen.python.parent.parent
    config_list = Pip(chosen.python, runner).config_list
    elsewhere = configured_elsewhere(ctx.environ, prefix, config_list)
    if installing and elsewhere is not None:
        where, option = elsewhere
        raise UsageError(
            f"{where} makes pip install with {option}: {steps.WHERE}",
            hint=f"{'unset' if where.startswith('PIP_') else 'remove'} {where} for pipvet install",
        )
    settings = configured_inputs(ctx.environ, prefix, config_list)
    for where, option, value in settings:  # pip reads them as if on its command line
        try:
            steps.check_no_builds([option, value], cwd=ctx.cwd, environ=ctx.environ)
        except (UsageError, InputError) as exc:
            message = f"{where} adds '{option} {value}' to every pip install: {exc.message}"
            undo = f"unset {where}" if where.startswith("PIP_") else f"remove {where}"
            hint = f"{exc.hint}; or {undo}" if exc.hint else undo
            if isinstance(exc, InputError):
                raise InputError(message, problems=exc.problems, hint=hint) from None
            raise UsageError(message, hint=hint) from None
    configured = configured_hosts(ctx.environ, prefix, config_list)
    added = [token for _, option, value in settings for token in (option, value)]
    steps.check_variables(
        [*added, *pip_args], cwd=ctx.cwd, environ=ctx.environ, configured=configured
    )


def describe_target(python: Path, runner: Runner, cache_dir: Path) -> TargetEnvironment:
    """The target's facts and what it has installed.

    Asking an interpreter about itself takes two subprocesses; the answers only change when
    the interpreter does, so they are kept in the cache keyed by the interpreter's identity.
    What is installed is read from its site-packages every time.
    """
    key = _interpreter_key(python)
    path = cache_dir / "targets" / f"{key}.json"
    facts: dict[str, Any] | None = None
    with contextlib.suppress(OSError, ValueError):
        facts = json.loads(path.read_text(encoding="utf-8"))
    if facts is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return _with_installed(facts)
    facts = probe_facts(python, runner)
    facts["site_packages"] = [str(p) for p in interpreter.site_packages_of(python, runner)]
    target = _with_installed(facts)
    with contextlib.suppress(OSError, InputError):  # a cache that cannot be written costs time
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(facts), durable=False)  # torn: re-probed
    return target


def _with_installed(facts: dict[str, Any]) -> TargetEnvironment:
    folders = [Path(p) for p in facts["site_packages"]]
    scan = environment.read_environment(folders)
    installed = {d.name: d.version or "" for d in scan.distributions}
    return from_facts(facts, installed)


def _interpreter_key(python: Path) -> str:
    parts = [__version__, packaging.__version__, str(python.absolute())]
    for candidate in (python, python.resolve(), python.parent.parent / "pyvenv.cfg"):
        with contextlib.suppress(OSError):
            st = candidate.stat()
            parts.append(f"{candidate}:{st.st_mtime_ns}:{st.st_size}")
    return sha256("\n".join(parts).encode()).hexdigest()[:32]


class Setup:
    # A plain class: dataclasses (with inspect and ast) is no import a vet otherwise needs.
    def __init__(
        self,
        vetter: Vetter,
        target: TargetEnvironment,
        description: str,
        *,
        warnings: list[str] | None = None,
        store: AdvisoryStore | None = None,
        advisories: SyncOutcome | None = None,
    ) -> None:
        self.vetter = vetter
        self.target = target
        self.description = description
        self.warnings: list[str] = [] if warnings is None else warnings
        self.store = store
        # The advisory data the vetting used: what a later audit of the same run reads.
        self.advisories = advisories

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def prepare(
    ctx: RunContext,
    chosen: Chosen,
    runner: Runner,
    *,
    resolver: Literal["metadata", "pip"] = "metadata",
    progress: Progress | None = None,
    names: Sequence[str] = (),
) -> Setup:
    """Everything a vetting run needs, loaded once: target facts, popularity, advisories.

    The index answers for ``names`` (the packages the run will vet) and the popularity list
    are asked for first, in the background, so that their latency passes while the target
    is read."""
    http = ctx.http()
    index = ctx.index(http)
    index.start(names)
    popular = _background(
        lambda: load_popularity(
            http, ctx.sources.top_packages_url, ctx.cache_dir, now=ctx.clock, offline=ctx.offline
        )
    )
    if progress is not None:
        progress(f"reading {chosen.description}")
    # Asked on its own, in this thread: asking it in the background as well would be about
    # 0.1 s sooner on a first run, but Ctrl-C would then wait for a hung interpreter until
    # the probe's own timeout.
    target = describe_target(chosen.python, runner, ctx.cache_dir)
    description = f"{chosen.description}: {target.label}"
    return build(
        ctx, target, description, http=http, runner=runner, resolver=resolver,
        progress=progress, index=index, popular=popular.result,
    )  # fmt: skip


def _background(work: Callable[[], _T]) -> Future[_T]:
    """``work()`` run on a daemon thread (a run interrupted meanwhile does not wait for it);
    the future's ``result()`` waits for it and returns its value or raises its exception."""
    done: Future[_T] = Future()

    def run() -> None:
        try:
            done.set_result(work())
        except BaseException as exc:  # raised again where the value is needed
            done.set_exception(exc)

    threading.Thread(target=run, name="pipvet-background", daemon=True).start()
    return done


def build(
    ctx: RunContext,
    target: TargetEnvironment,
    description: str,
    *,
    http: HttpClient,
    runner: Runner,
    resolver: Literal["metadata", "pip"] = "metadata",
    advisories: SyncOutcome | None = None,
    progress: Progress | None = None,
    index: IndexClient | None = None,
    popular: Callable[[], Loaded] | None = None,
) -> Setup:
    """The vetter for ``target`` with the policy's thresholds, the popularity list and the
    advisory data: ``advisories`` when the caller has prepared them already, else prepared
    here (without them, malware and vulnerabilities are reported as not checked). The
    caller closes the returned ``Setup``. ``index`` and ``popular`` (the popularity list's
    loading) are made here unless the caller started them already."""
    say = progress or (lambda _text: None)
    index = index or ctx.index(http)
    warnings: list[str] = list(ctx.policy.warnings)

    say("loading the popularity list")
    loaded = (
        popular()
        if popular is not None
        else load_popularity(
            http, ctx.sources.top_packages_url, ctx.cache_dir, now=ctx.clock, offline=ctx.offline
        )
    )
    warnings += loaded.warnings
    snapshot = loaded.snapshot
    squats = None
    if snapshot is not None:
        squats = load_index(snapshot.names, snapshot.downloads, ctx.cache_dir, snapshot.ranks)

    say("checking the advisory data")
    store: AdvisoryStore | None = None
    outcome: SyncOutcome | None = None
    try:
        outcome = advisories or advisory_data(ctx, http, progress=progress)
        warnings += outcome.warnings
        store = AdvisoryStore.open(outcome.store_path)
        replaced = store.snapshot()
        if replaced.overlay_replaced:  # a replaced MAL- record would let its package pass
            from pipvet.audit.run import overlay_warning

            warnings.append(overlay_warning(replaced, ctx.policy))
    except DataError as exc:
        warnings.append(
            f"no advisory data, so malware and known vulnerabilities were not checked: {exc}"
        )

    policy = ctx.policy

    def ignores(results: Sequence[DependencyResult]) -> Sequence[DependencyResult]:
        today = datetime.fromtimestamp(ctx.clock(), UTC).date()
        return apply_ignores(results, policy, today)[0]

    vetter = Vetter(
        index=index,
        target=target,
        clock=lambda: datetime.fromtimestamp(ctx.clock(), UTC),
        thresholds=Thresholds(
            min_maintainers=policy.min_maintainers,
            max_maintainers=policy.max_maintainers,
            min_project_age_days=policy.min_project_age_days,
            max_release_silence_days=policy.max_release_silence_days,
            max_new_dependencies=policy.max_new_dependencies,
            cooldown_days=policy.cooldown_days,
        ),
        popularity=snapshot.ranks if snapshot is not None else None,
        squats=squats,
        popularity_date=snapshot.last_update if snapshot is not None else None,
        advisories=store.raw_records_for if store is not None else None,
        package_records=(
            store.package_records_for if store is not None and store.has_package_records else None
        ),
        ignores=ignores,
        is_internal=policy.is_internal,
        resolver=resolver,
        runner=runner,
        progress=progress,
    )
    return Setup(
        vetter,
        target,
        description,
        warnings=warnings,
        store=store,
        advisories=outcome if store else None,
    )


def vet_installed(
    setup: Setup, packages: Sequence[tuple[NormalizedName, str]]
) -> tuple[PackageVet, ...]:
    """Vet packages already installed in the target, each at its installed version.

    Nothing is left to estimate about them: no subtree (what they brought along is installed
    and vetted in its own right), and no install-code signal (their install has run; whether
    it built from source is for the caller to tell from what pip did)."""
    from packaging.specifiers import SpecifierSet

    requests = [VetRequest(name, name, SpecifierSet(f"=={version}")) for name, version in packages]
    vetted = setup.vetter.vet(requests, subtree=False)
    # The installed version is the one reported, also when the index does not list it.
    return tuple(
        _without_install_code(replace(p, requested=None, version=version))
        for p, (_, version) in zip(vetted, packages, strict=True)
    )


def _without_install_code(package: PackageVet) -> PackageVet:
    signals = tuple(s for s in package.signals if s.id != "install-code")
    if len(signals) == len(package.signals):
        return package
    return replace(package, signals=signals, verdict=combine(signals))


def build_report(
    ctx: RunContext,
    setup: Setup,
    packages: Sequence[PackageVet],
    *,
    resolver: Literal["metadata", "pip"],
    extra_warnings: Sequence[str] = (),
) -> VetReport:
    notes: list[str] = []
    made = list_time(setup.vetter.popularity_date)
    if made is not None and setup.vetter.popularity is not None:
        notes.append(
            f"popularity list as of {made.date().isoformat()} "
            f"({len(setup.vetter.popularity):,} projects): a project first released after "
            "that is marked newer than the list, not unpopular"
        )
    ages = [p.data_age_seconds for p in packages if p.data_age_seconds is not None]
    if ctx.offline:
        if ages:
            notes.append(
                "--offline: index answers come from the local cache, fetched between "
                f"{age_text(min(ages))} and {age_text(max(ages))}"
            )
        missing = [p.name for p in packages if p.verdict == "unchecked"]
        if missing:
            notes.append("--offline: not in the local cache, so not checked: " + ", ".join(missing))
    return VetReport(
        tool_version=__version__,
        target=setup.description,
        packages=tuple(packages),
        fail_on=ctx.policy.vet_fail_on,
        resolver=resolver,
        warnings=(*setup.warnings, *setup.vetter.warnings, *extra_warnings),
        data_notes=tuple(notes),
        offline=ctx.offline,
    )


def exit_code(report: VetReport) -> int:
    if report.unchecked:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.failing else EXIT_OK
