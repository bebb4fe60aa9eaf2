"""Vetting orchestration: requested names in, one ``PackageVet`` per package out.

Gathers the evidence each signal needs, concurrently and once: every index answer is fetched
in one batch per level of the dependency tree (through the resolver's memo, which ``--deep``
reuses), advisories are read for all names in one query, and the popularity list and the
typosquat index are built once by the caller. I/O collaborators (index client, advisory
lookup, pip runner, clock) are passed in.

Fail closed: a package whose index answer could not be had is ``unchecked`` (or ``avoid``
when a check that needs no network already says so), never ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from pipvet.audit.match import (
    PackageRecordLookup,
    RecordLookup,
    match_dependencies,
    match_records,
)
from pipvet.errors import UsageError
from pipvet.frozen import frozen, replace
from pipvet.index.client import IndexClient, Lookup
from pipvet.index.parse import ProjectInfo
from pipvet.models import (
    Dependency,
    DependencyResult,
    Finding,
    NormalizedName,
    Progress,
    canonicalize_name,
)
from pipvet.system.process import Runner
from pipvet.system.threads import RequestPool
from pipvet.vetting import signals as S
from pipvet.vetting.model import NewDependency, PackageVet, Signal
from pipvet.vetting.request import VetRequest, parse_request
from pipvet.vetting.subtree import SOURCE_ONLY, MetadataResolver, Root, Subtree, pip_subtree
from pipvet.vetting.target import TargetEnvironment
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_model import TyposquatResult
from pipvet.vetting.verdict import combine
from pipvet.vetting.wheels import install_kind, select_release

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, TypeAlias

__all__ = ["VetRequest", "Vetter", "parse_request"]  # the first and last from .request

Resolver: TypeAlias = 'Literal["metadata", "pip"]'


class Vetter:
    """Everything one vetting run needs; ``vet`` may be called more than once. A plain class:
    dataclasses (with inspect and ast) is no import a vet otherwise needs."""

    def __init__(
        self,
        index: IndexClient,
        target: TargetEnvironment,
        clock: Callable[[], datetime],
        *,
        thresholds: S.Thresholds | None = None,
        popularity: Mapping[str, int] | None = None,
        squats: TyposquatIndex | None = None,
        popularity_date: str | None = None,
        advisories: RecordLookup | None = None,
        package_records: PackageRecordLookup | None = None,
        ignores: Callable[[Sequence[DependencyResult]], Sequence[DependencyResult]] | None = None,
        is_internal: Callable[[str], bool] = lambda _name: False,
        resolver: Resolver = "metadata",
        runner: Runner | None = None,
        pip_options: tuple[str, ...] = (),
        progress: Progress | None = None,
    ) -> None:
        self.index = index
        self.target = target
        self.clock = clock
        self.thresholds = S.Thresholds() if thresholds is None else thresholds
        self.popularity = popularity  # canonical name -> download rank
        self.squats = squats
        # The popularity list's last_update: a project first released after it is not judged
        # by its absence from the list.
        self.popularity_date = popularity_date
        self.advisories = advisories  # None: no advisory data (signals unchecked)
        # The same records as digested at sync time, when the database has them: matched as
        # an audit matches (raw records' ranges are compiled with packaging.version).
        self.package_records = package_records
        # The policy's ignores: marks accepted findings (an ignored vulnerability is no reason).
        self.ignores = ignores
        self.is_internal = is_internal
        self.resolver = resolver
        self.runner = runner  # for resolver "pip"
        self.pip_options = pip_options  # for resolver "pip": where pip finds packages
        self.progress = progress  # "vetting 37/130" as packages are done
        # Things the user should know that belong to no package (malformed advisory records).
        self.warnings: list[str] = []
        self._meta = MetadataResolver(index.lookup_many, target, index.lookup_releases)

    # ------------------------------------------------------------------ entry point

    def vet(
        self, requests: Sequence[VetRequest], *, deep: bool = False, subtree: bool = True
    ) -> tuple[PackageVet, ...]:
        """Vet each request. ``subtree=False`` leaves the subtree out (the caller already
        knows the exact set, as ``pipvet install`` does from pip's report, and vets all of it).
        """
        now = self.clock()
        todo = [r for r in requests if r.problem is None and not self.is_internal(r.name)]
        self._meta.fetch(r.name for r in todo)
        gathered = [self._gather(r) for r in todo]
        if subtree:
            gathered = self._with_older_requirements(gathered)
        findings = self._findings(gathered)
        subtrees = self._subtrees(gathered, findings) if subtree else {}
        results: dict[int, PackageVet] = {}
        for done, g in enumerate(gathered, 1):
            self._say(f"vetting {done}/{len(gathered)}")
            results[id(g.request)] = self._package(g, findings, subtrees.get(g.request.name), now)
        out: list[PackageVet] = []
        for r in requests:
            if r.problem is not None:
                out.append(PackageVet(r.name, r.requested, None, "unchecked", problem=r.problem))
            elif self.is_internal(r.name):
                out.append(_internal(r))
            else:
                out.append(results[id(r)])
        if deep:
            out += self._deep(out, {r.name for r in requests})
        return tuple(out)

    # ------------------------------------------------------------------ gathering

    def _gather(self, request: VetRequest) -> _Gathered:
        answer = self._meta.projects.get(request.name)
        if not isinstance(answer, Lookup):
            return _Gathered(request, None, None, None, (), str(answer))
        project = answer.project
        if project is None:
            return _Gathered(request, answer, None, None, (), None)
        release = select_release(
            project, request.specifier, python_version=self.target.python_version
        )
        version = release.version if release else None
        return _Gathered(request, answer, project, version, project.requires_dist, None)

    def _with_older_requirements(self, gathered: list[_Gathered]) -> list[_Gathered]:
        """Requirements of releases other than the latest come from the index's per-release
        documents (fetched together); without one, the latest release's are the estimate,
        and the subtree signal says so."""
        older = [
            (g.request.name, g.version)
            for g in gathered
            if g.project is not None and g.version not in (None, g.project.version)
        ]
        if not older:
            return gathered
        wanted = [(n, v) for n, v in older if v is not None]
        if self.resolver != "metadata":
            answers = self.index.lookup_releases(wanted)
        else:
            # The subtree's first level of the packages at their newest release is known
            # already: it is fetched in the same round trip as the older releases' documents.
            newest = [
                Root(g.request.name, g.requires, g.request.extras)
                for g in gathered
                if g.project is not None and g.version == g.project.version
            ]
            with RequestPool(max_workers=1) as pool:
                first_level = pool.submit(self._meta.prefetch, newest)
                answers = self.index.lookup_releases(wanted)
                first_level.result()
        out = []
        for g in gathered:
            answer = answers.get((g.request.name, g.version or ""))
            found = answer.project if isinstance(answer, Lookup) else None
            if found is not None:
                out.append(replace(g, requires=found.requires_dist))
            elif g.project is not None and g.version not in (None, g.project.version):
                out.append(replace(g, newest_metadata=True))
            else:
                out.append(g)
        return out

    def _subtrees(
        self, gathered: Sequence[_Gathered], advice: _Advice | None
    ) -> dict[str, Subtree]:
        present = [g for g in gathered if g.project is not None and g.version is not None]
        if self.resolver == "metadata":
            roots = [
                Root(g.request.name, g.requires, g.request.extras, g.newest_metadata)
                for g in present
            ]
            return self._meta.resolve(roots)
        runner = self.runner
        if runner is None:
            raise UsageError("--resolver pip needs a target environment with pip")

        def one(g: _Gathered) -> tuple[str, Subtree]:
            # pip reads a source-only release's requirements by running its build code: never
            # before the verdict. Known malware is not handed to pip at all.
            release = g.project.release(g.version) if g.project and g.version else None
            if release is None or install_kind(release, self.target.tags).wheel is None:
                problem = SOURCE_ONLY.format(name=g.request.name, version=g.version)
                return g.request.name, Subtree(None, problem)
            found = () if advice is None else advice.findings.get(g.request.name, ())
            if any(f.kind == "malware" and not f.ignored for f in found):
                return g.request.name, Subtree(None, "known malware: not handed to pip")
            extras = f"[{','.join(sorted(g.request.extras))}]" if g.request.extras else ""
            requirement = f"{g.request.name}{extras}=={g.version}"
            return g.request.name, pip_subtree(
                requirement, self.target, runner, root=g.request.name, pip_args=self.pip_options
            )

        # Waited for also after Ctrl-C, as before: each call runs the target's pip.
        with RequestPool(max_workers=4, wait_on_interrupt=True) as pool:
            return dict(pool.map(one, present))

    def _findings(self, gathered: Sequence[_Gathered]) -> _Advice | None:
        if self.advisories is None:
            return None
        deps = [Dependency(g.request.name, g.version) for g in gathered if g.version is not None]
        outcome = (
            match_records(deps, self.package_records)
            if self.package_records is not None
            else match_dependencies(deps, self.advisories)
        )
        results = self.ignores(outcome.results) if self.ignores else outcome.results
        by_name = {r.dependency.name: r.findings for r in results}
        missing = [g.request.name for g in gathered if g.answer is not None and g.project is None]
        malware_ids: dict[NormalizedName, list[str]] = {}
        if missing:  # names not on the index: their raw records say if they are malware
            from pipvet.advisories.osv import MalformedRecord, parse_advisory_json

            for name, texts in self.advisories(missing).items():
                for text in texts:
                    try:
                        adv = parse_advisory_json(text)
                    except MalformedRecord:
                        continue
                    if adv.malicious and adv.withdrawn is None:
                        malware_ids.setdefault(name, []).append(adv.id)
        self.warnings += [w for w in outcome.warnings if w not in self.warnings]
        return _Advice(by_name, malware_ids)

    # ------------------------------------------------------------------ signals

    def _package(
        self,
        g: _Gathered,
        advice: _Advice | None,
        subtree: Subtree | None,
        now: datetime,
        *,
        required_by: NormalizedName | None = None,
    ) -> PackageVet:
        name = g.request.name
        squat = self._squat(name)
        signals: list[Signal] = []
        if g.answer is None:
            signals.append(
                Signal(
                    "exists",
                    "unchecked",
                    None,
                    "the name must exist on the index",
                    "index",
                    f"Not checked: {g.problem}",
                )
            )
        else:
            signals.append(S.exists(name, g.project))
        if g.answer is not None and g.project is None:
            signals.append(_malware_by_name(name, None if advice is None else advice.malware))
        elif g.project is not None:
            found = None if advice is None else advice.findings.get(name, ())
            signals.append(S.malware(found, g.version))
            signals.append(S.vulnerabilities(found, g.version))
        newer = S.newer_than_list(g.project, self.popularity_date)
        signals.append(S.typosquat(squat, checked=self.squats is not None, newer_than=newer))
        signals.append(self._popularity(name, newer))
        project = g.project
        if project is not None:
            limits = self.thresholds
            signals += [
                S.maintainers(project, limits, weak=self._weak_points(project, now)),
                S.activity(
                    project, now, limits, weak=self._silence_partners(project), version=g.version
                ),
                S.funding(project),
                S.security_policy(project),
                S.source(project),
            ]
            release = project.release(g.version) if g.version else None
            kind = install_kind(release, self.target.tags) if release else None
            signals.append(S.install_code(kind, g.version, self.target.label))
            if subtree is not None:
                signals.append(
                    S.subtree(
                        subtree.new,
                        limits,
                        resolver=self.resolver,
                        problem=subtree.problem,
                        estimated=subtree.estimated,
                    )
                )
        age = None
        if g.answer is not None and g.answer.from_cache:
            age = max(0.0, now.timestamp() - g.answer.fetched_at)
        return PackageVet(
            name=name,
            requested=g.request.requested if required_by is None else None,
            version=g.version,
            verdict=combine(signals),
            signals=tuple(signals),
            did_you_mean=squat.did_you_mean if squat is not None else None,
            new_dependencies=subtree.new or () if subtree is not None else (),
            required_by=required_by,
            problem=g.problem,
            data_age_seconds=age,
        )

    def _weak_points(self, project: ProjectInfo, now: datetime) -> list[str]:
        listed = None if self.popularity is None else len(self.popularity)
        rank = None if self.popularity is None else self.popularity.get(project.name)
        return S.weak_points(project, now, self.thresholds, rank=rank, listed=listed)

    def _silence_partners(self, project: ProjectInfo) -> list[str]:
        listed = None if self.popularity is None else len(self.popularity)
        rank = None if self.popularity is None else self.popularity.get(project.name)
        return S.silence_partners(project, self.thresholds, rank=rank, listed=listed)

    def _popularity(self, name: NormalizedName, newer: str | None) -> Signal:
        if self.popularity is None:
            return S.popularity(None, None)
        rank, listed = self.popularity.get(name), len(self.popularity)
        return S.popularity(rank, listed, list_date=self.popularity_date, newer_than=newer)

    def _squat(self, name: NormalizedName) -> TyposquatResult | None:
        if self.squats is None:
            return None
        return self.squats.check(name, owners_of=self._owners_of)

    def _owners_of(self, name: str) -> frozenset[str]:
        """Accounts and organisation owning ``name``, to tell siblings from squats."""
        canon = canonicalize_name(name)
        if self.is_internal(canon):
            return frozenset()
        self._meta.fetch([canon])
        answer = self._meta.projects.get(canon)
        if not isinstance(answer, Lookup) or answer.project is None:
            return frozenset()
        project = answer.project
        owners = set(project.users)
        if project.organization:
            owners.add(f"org:{project.organization}")
        return frozenset(owners)

    # ------------------------------------------------------------------ --deep

    def _deep(
        self, vetted: Sequence[PackageVet], requested: set[NormalizedName]
    ) -> list[PackageVet]:
        """Vet every package the requested ones would add (their subtrees are already known)."""
        seen = set(requested)
        wanted: list[tuple[NewDependency, VetRequest]] = []
        for package in vetted:
            for dep in package.new_dependencies:
                if dep.name in seen or self.is_internal(dep.name):
                    continue
                seen.add(dep.name)
                spec = f"=={dep.version}" if dep.version else ""
                wanted.append((dep, VetRequest(dep.name, dep.name, spec)))
        if not wanted:
            return []
        now = self.clock()
        before = len(vetted)
        total = before + len(wanted)
        self._say(f"vetting {before}/{total}: fetching {len(wanted)} dependencies")
        self._meta.fetch(d.name for d, _ in wanted)
        gathered = [self._gather(r) for _, r in wanted]
        advice = self._findings(gathered)
        out: list[PackageVet] = []
        for done, ((dep, _), g) in enumerate(zip(wanted, gathered, strict=True), before + 1):
            self._say(f"vetting {done}/{total}")
            out.append(self._package(g, advice, None, now, required_by=dep.required_by))
        return out

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)


@frozen
class _Gathered:
    request: VetRequest
    answer: Lookup | None  # None: the index could not be asked (``problem`` says why)
    project: ProjectInfo | None
    version: str | None
    requires: tuple[str, ...]
    problem: str | None
    newest_metadata: bool = False  # ``requires`` are the newest release's, standing in


@frozen
class _Advice:
    findings: Mapping[NormalizedName, tuple[Finding, ...]]
    malware: Mapping[NormalizedName, Sequence[str]]  # MAL- ids for names not on the index


def _internal(request: VetRequest) -> PackageVet:
    return PackageVet(
        request.name,
        request.requested,
        None,
        "internal",
        problem="an internal package (policy 'internal'): never looked up on a public index",
    )


def _malware_by_name(name: str, known: Mapping[NormalizedName, Sequence[str]] | None) -> Signal:
    source = "advisory database: MAL- records for this name"
    if known is None:
        return S.malware(None, None)
    ids = list(known.get(canonicalize_name(name), ()))
    if not ids:
        return Signal("malware", "ok", [], "any malware report", source, "No malware reports.")
    return Signal(
        "malware",
        "avoid",
        ids,
        "any malware report",
        source,
        f"'{name}' was published as malware before ({', '.join(ids)}) and removed; whoever "
        "registers it again may well be the same attacker.",
    )
