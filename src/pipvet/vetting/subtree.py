"""What installing a package would add to the target environment.

Two resolvers:

* ``MetadataResolver`` walks ``requires_dist`` from the index, level by level, with markers
  and extras evaluated for the target interpreter. Every level of every package being vetted
  is fetched in one concurrent batch, and each project is fetched once per run. Packages the
  target already has end the walk along that branch (their own needs are already met). A
  release older than the newest is read from its own per-release document; when the index has
  none, the newest release's requirements stand in and the subtree names those packages
  (``Subtree.estimated``), never silently. It is still an estimate: pip would backtrack
  through older releases when constraints conflict.
* ``pip_subtree`` asks the target environment's own pip (``pip install --dry-run --report -``)
  for the exact set: slower, but it is pip's real answer, with the user's pip configuration.
  pip is always told ``--only-binary :all:`` (last, so nothing before it can undo it): reading
  a source distribution's requirements means running its build code, which must not happen
  before the user has accepted the verdict. A set that needs a build cannot be resolved this
  way; ``SOURCE_ONLY`` says so for a package published as source only.

The HTTP lookups and the pip runner are passed in; nothing here opens a socket or a process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence

from pipvet.errors import PipError, PipvetError
from pipvet.frozen import frozen
from pipvet.index.client import InternalName, Lookup
from pipvet.index.parse import ProjectInfo
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.system.process import Runner
from pipvet.system.threads import RequestPool
from pipvet.vetting import clauses, requires
from pipvet.vetting.model import NewDependency
from pipvet.vetting.target import TargetEnvironment
from pipvet.vetting.wheels import select_release

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

__all__ = [
    "SOURCE_ONLY",
    "LookupMany",
    "MetadataResolver",
    "PipReportEntry",
    "Root",
    "Subtree",
    "parse_pip_report",
    "pip_dry_run",
    "pip_subtree",
]

LookupMany = Callable[[Sequence[str]], Mapping[str, "Lookup | PipvetError"]]
LookupReleases = Callable[
    [Sequence[tuple[str, str]]], Mapping[tuple[str, str], "Lookup | PipvetError"]
]

# Always the last options of a dry run: later ones win, including over --no-binary.
NO_BUILDS = ("--only-binary", ":all:")

SOURCE_ONLY = (
    "{name} {version} has no wheel for this target, so its dependencies could not be read "
    "without running its build code, which pipvet never runs before you accept the verdict"
)


@frozen
class Root:
    """A package being vetted, with the release (and its requirements) that would be used."""

    name: NormalizedName
    requires: tuple[str, ...]
    extras: frozenset[str] = frozenset()
    # True: ``requires`` are the newest release's, standing in for an older one's.
    newest_metadata: bool = False


@frozen
class Subtree:
    """The packages a root would add; ``new is None`` means the tree could not be read."""

    new: tuple[NewDependency, ...] | None
    problem: str | None = None
    # Packages whose requirements were read from the newest release's metadata because the
    # release that would be installed had no metadata of its own on the index.
    estimated: tuple[NormalizedName, ...] = ()


class _Walk:
    # A plain class: dataclasses (with inspect and ast) is no import a vet otherwise needs.
    __slots__ = ("estimated", "extras", "new", "problem", "root")

    def __init__(self, root: Root) -> None:
        self.root = root
        self.new: dict[NormalizedName, NewDependency] = {}
        self.extras: dict[NormalizedName, set[str]] = {}
        self.estimated: set[NormalizedName] = set()
        self.problem: str | None = None


@frozen
class _Requirement:
    """A requirement as the walk uses it. ``marker`` is ``pipvet.vetting.requires``'s
    reading, or packaging's ``Marker`` for a text that reader leaves to packaging."""

    name: NormalizedName
    extras: frozenset[str]
    specifier: SpecifierSet | str  # a text of the clauses pipvet.vetting.clauses reads
    marker: requires.Marker | Marker | None


@frozen
class _Step:
    walk: _Walk
    name: NormalizedName
    spec: SpecifierSet | str
    extras: frozenset[str]  # the extras to evaluate markers with ("" is the base set)
    parent: NormalizedName
    first: bool  # first time this walk meets the name: it counts as new


class MetadataResolver:
    """Resolves subtrees from index metadata; ``projects`` and ``releases`` memoise every
    lookup. Without ``lookup_releases`` every package is read from its newest release (and
    the subtree says so wherever an older release is selected)."""

    def __init__(
        self,
        lookup_many: LookupMany,
        target: TargetEnvironment,
        lookup_releases: LookupReleases | None = None,
    ) -> None:
        self._lookup_many = lookup_many
        self._lookup_releases = lookup_releases
        self.target = target
        self.projects: dict[str, Lookup | PipvetError] = {}
        self.releases: dict[tuple[str, str], Lookup | PipvetError] = {}
        self._selected: dict[tuple[NormalizedName, str], str | None] = {}
        # Requirement texts recur (the roots' in prefetch and resolve, common dependencies in
        # many projects): each is parsed once (None: pip cannot use it either), and its
        # marker evaluated once per set of extras.
        self._parsed: dict[str, _Requirement | None] = {}
        self._applied: dict[tuple[str, frozenset[str]], bool] = {}

    def fetch(self, names: Iterable[str]) -> None:
        """Look up every name not seen yet, in one concurrent batch."""
        missing = sorted({canonicalize_name(n) for n in names} - self.projects.keys())
        if missing:
            self.projects.update(self._lookup_many(missing))

    def prefetch(self, roots: Sequence[Root]) -> None:
        """Fetch the first level of ``roots`` (what ``resolve`` would fetch first), so that it
        can share a round trip with other lookups; ``resolve`` then finds it memoised."""
        steps: list[_Step] = []
        for root in roots:
            steps += self._children(_Walk(root), root.name, root.requires, {"", *root.extras})
        # The older releases this level selects of projects known already (other roots) are
        # asked for in the same round trip, not after it.
        known = [step for step in steps if step.name in self.projects]
        if not known:
            self.fetch(step.name for step in steps)
            return
        with RequestPool(max_workers=1) as pool:
            releases = pool.submit(self._fetch_releases, known)
            self.fetch(step.name for step in steps)
            releases.result()

    def resolve(self, roots: Sequence[Root]) -> dict[str, Subtree]:
        """Each root's subtree, keyed by the root's canonical name."""
        walks = [_Walk(root) for root in roots]
        frontier: list[_Step] = []
        for walk in walks:
            base = {"", *walk.root.extras}
            if walk.root.newest_metadata:
                walk.estimated.add(walk.root.name)
            frontier += self._children(walk, walk.root.name, walk.root.requires, base)
        while frontier:
            self.fetch(step.name for step in frontier)
            self._fetch_releases(frontier)
            next_frontier: list[_Step] = []
            for step in frontier:
                next_frontier += self._expand(step)
            frontier = next_frontier
        return {
            w.root.name: Subtree(None, w.problem)
            if w.problem
            else Subtree(
                tuple(sorted(w.new.values(), key=lambda d: d.name)),
                estimated=tuple(sorted(w.estimated)),
            )
            for w in walks
        }

    def _version(self, project: ProjectInfo, spec: SpecifierSet | str) -> str | None:
        key = (project.name, str(spec))
        if key not in self._selected:
            release = select_release(project, spec, python_version=self.target.python_version)
            self._selected[key] = release.version if release else None
        return self._selected[key]

    def _fetch_releases(self, frontier: Sequence[_Step]) -> None:
        """The per-release documents of every older release this level selects, in one batch."""
        if self._lookup_releases is None:
            return
        wanted: set[tuple[str, str]] = set()
        for step in frontier:
            answer = self.projects.get(step.name)
            if isinstance(answer, Lookup) and answer.project is not None:
                version = self._version(answer.project, step.spec)
                if version is not None and version != answer.project.version:
                    wanted.add((step.name, version))
        missing = sorted(wanted - self.releases.keys())
        if missing:
            self.releases.update(self._lookup_releases(missing))

    def _requires(self, walk: _Walk, project: ProjectInfo, version: str | None) -> tuple[str, ...]:
        """The requirements of ``version``: its own when the index has them, else the newest
        release's, with the package noted as estimated."""
        if version is None or version == project.version:
            return project.requires_dist
        answer = self.releases.get((project.name, version))
        if isinstance(answer, Lookup) and answer.project is not None:
            return answer.project.requires_dist
        walk.estimated.add(project.name)
        return project.requires_dist

    def _expand(self, step: _Step) -> list[_Step]:
        walk = step.walk
        answer = self.projects.get(step.name)
        project: ProjectInfo | None = None
        version: str | None = None
        on_index = True
        if isinstance(answer, InternalName):
            pass  # the user's own package: never looked up, counted, not walked
        elif isinstance(answer, PipvetError) or answer is None:
            walk.problem = walk.problem or f"{step.name}: {answer}"
            return []
        elif answer.project is None:
            on_index = False
        else:
            project = answer.project
            version = self._version(project, step.spec)
        if step.first:
            walk.new[step.name] = NewDependency(step.name, version, step.parent, on_index)
        if project is None:
            return []
        requires = self._requires(walk, project, version)
        return self._children(walk, step.name, requires, set(step.extras))

    def _children(
        self,
        walk: _Walk,
        parent: NormalizedName,
        requires: Iterable[str],
        extras: set[str],
    ) -> list[_Step]:
        steps: list[_Step] = []
        parsed, applied = self._parsed, self._applied
        evaluated_with = frozenset(extras)
        for text in requires:
            if text in parsed:
                req = parsed[text]
            else:
                req = parsed[text] = _requirement(text)
            if req is None:
                continue  # pip cannot use it either; the index should not have published it
            if req.marker is not None or "" not in extras:
                key = (text, evaluated_with)
                applies = applied.get(key)
                if applies is None:
                    applies = applied[key] = self._applies(text, req.marker, extras)
                if not applies:
                    continue
            name = req.name
            if name == walk.root.name or name in self.target.installed:
                continue
            wanted = set(req.extras)
            seen = walk.extras.get(name)
            if seen is None:
                walk.extras[name] = set(wanted)
                steps.append(
                    _Step(walk, name, req.specifier, frozenset({"", *wanted}), parent, True)
                )
            elif wanted - seen:
                # Met again with new extras: walk only what those extras add.
                added = wanted - seen
                seen |= added
                steps.append(_Step(walk, name, req.specifier, frozenset(added), parent, False))
        return steps

    def _applies(
        self, text: str, marker: requires.Marker | Marker | None, extras: set[str]
    ) -> bool:
        if marker is None:
            return "" in extras
        for extra in extras:
            environment = self.target.marker_environment(extra)
            applies = requires.evaluate(marker, environment) if isinstance(marker, tuple) else None
            if applies is None:  # packaging decides
                from packaging.markers import UndefinedComparison, UndefinedEnvironmentName

                if isinstance(marker, tuple):
                    from packaging.requirements import Requirement

                    marker = Requirement(text).marker  # read as a requirement: it is one
                try:
                    applies = marker is not None and marker.evaluate(environment)
                except (UndefinedComparison, UndefinedEnvironmentName):
                    return True  # cannot tell: count it rather than hide a package
            if applies:
                return True
        return False


def _requirement(text: str) -> _Requirement | None:
    """``text`` read by ``requires`` when it can, else by packaging; None when it is no
    requirement at all."""
    found = requires.read(text)
    if found is not None:
        if clauses.read(found[3]) is not None:
            return _Requirement(found[1], found[2], found[3], found[4])
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            specifier = SpecifierSet(found[3])
        except InvalidSpecifier:
            pass  # packaging's reader says what it is
        else:
            return _Requirement(found[1], found[2], specifier, found[4])
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    return _Requirement(
        canonicalize_name(req.name), frozenset(req.extras), req.specifier, req.marker
    )


# --------------------------------------------------------------------------- pip


@frozen
class PipReportEntry:
    name: NormalizedName
    version: str
    requested: bool
    url: str | None = None  # where pip would take the file from (``download_info.url``)
    sha256: str | None = None  # the file's hash, when pip's report gives it


def parse_pip_report(text: str) -> tuple[PipReportEntry, ...]:
    """The ``install`` list of a ``pip install --report`` document."""
    try:
        data = json.loads(text)
        entries = []
        for item in data["install"]:
            meta = item["metadata"]
            url, sha256 = _download(item.get("download_info"))
            entries.append(
                PipReportEntry(
                    canonicalize_name(str(meta["name"])),
                    str(meta["version"]),
                    bool(item.get("requested", False)),
                    url,
                    sha256,
                )
            )
        return tuple(entries)
    except (ValueError, KeyError, TypeError) as exc:
        raise PipError(
            f"pip's installation report could not be read ({exc})",
            hint="pip 22.2 or newer is needed for --dry-run --report",
        ) from exc


def _download(info: object) -> tuple[str | None, str | None]:
    """(URL, sha256) of a report entry's ``download_info`` (PEP 610), as far as it says."""
    if not isinstance(info, dict):
        return None, None
    url = info.get("url") if isinstance(info.get("url"), str) else None
    archive = info.get("archive_info")
    if not isinstance(archive, dict):
        return url, None
    hashes = archive.get("hashes")
    found = hashes.get("sha256") if isinstance(hashes, dict) else None
    if not isinstance(found, str):
        single = archive.get("hash")
        found = single[7:] if isinstance(single, str) and single.startswith("sha256=") else None
    return url, found.lower() if isinstance(found, str) else None


def pip_dry_run(python: str, args: Sequence[str], runner: Runner) -> tuple[PipReportEntry, ...]:
    """What ``python -m pip install ARGS`` would install, without installing it and without
    building anything: wheels only (``--only-binary :all:`` after ARGS, so it wins), so no
    code of any package runs. A set that needs a source build fails here (PipError).

    ARGS must not name a local folder, an archive or URL to build, or a requirements file with
    ``--no-binary``: pip builds those whatever the options say. The caller checks."""
    argv = [
        python, "-I", "-m", "pip", "install", "--dry-run", "--report", "-", "--quiet",
        "--disable-pip-version-check", "--no-input", *args, *NO_BUILDS,
    ]  # fmt: skip
    result = runner(argv)
    if result.returncode != 0:
        lines = [ln for ln in (result.stderr or result.stdout).strip().splitlines() if ln.strip()]
        errors = [ln.strip() for ln in lines if ln.lstrip().startswith("ERROR:")]
        detail = (errors or lines or [f"exit code {result.returncode}"])[-1].strip()
        hint = (
            "pipvet asks pip for wheels only (--only-binary :all:), so that no package's build "
            "code runs before the verdict: a package published only as source, or without a "
            "wheel for this Python, cannot be resolved this way. Run the same pip install "
            "--dry-run --only-binary :all: yourself to see pip's full message"
        )
        if "No module named pip" in (result.stderr or ""):
            detail = f"{python} has no pip"
            hint = f"install pip into it first: {python} -m ensurepip --upgrade"
        raise PipError(
            f"pip could not work out what 'pip install {' '.join(args)}' would install: {detail}",
            hint=hint,
        )
    return parse_pip_report(result.stdout)


def pip_subtree(
    requirement: str,
    target: TargetEnvironment,
    runner: Runner,
    *,
    root: NormalizedName,
    pip_args: Sequence[str] = (),
) -> Subtree:
    """The exact set pip would add for ``requirement``, from the target's own pip."""
    try:
        report = pip_dry_run(target.python, [*pip_args, requirement], runner)
    except PipvetError as exc:
        return Subtree(None, str(exc))
    new = tuple(
        NewDependency(e.name, e.version, root)
        for e in sorted(report, key=lambda e: e.name)
        if e.name != root and e.name not in target.installed
    )
    return Subtree(new)
