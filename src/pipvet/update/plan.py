"""Would pip change anything? ``pipvet update``'s pre-check, so a run with nothing to do does
not pay for pip's resolver.

pip is asked (``-U --upgrade-strategy eager --only-final :all: --uploaded-prior-to T``) to
bring every requirement and every installed distribution it reaches to the newest final
release uploaded before T. With nothing newer than what is installed among those releases,
and every requirement (transitively, with the target's markers and the requested extras)
satisfied by what is installed, pip's answer is "keep everything", so pipvet keeps everything
without asking it. Anything this check does not model is a reason to let pip decide: the
answer here is either "nothing would change" (``None``) or the first reason pip must run.

``wanted`` walks what is installed (pure); ``newer_release`` reads the index's answers (pure);
the index is asked by the caller, concurrently, through ``pipvet.index.simple``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pipvet.errors import PipvetError
from pipvet.frozen import frozen
from pipvet.index.simple import SimpleFile
from pipvet.inputs.installed_model import Distribution

__all__ = ["Root", "newer_release", "wanted"]


@frozen
class Root:
    """Something pip is asked to install: a requirement line, or an installed name."""

    name: NormalizedName
    specifier: SpecifierSet
    extras: tuple[str, ...] = ()
    marker: Marker | None = None


def _applies(marker: Marker | None, markers: Mapping[str, str], extras: Iterable[str]) -> bool:
    """Does the marker hold for any of ``extras`` ("" is no extra)?"""
    if marker is None:
        return True
    return any(marker.evaluate({**markers, "extra": e}) for e in extras)


def wanted(
    roots: Sequence[Root],
    installed: Sequence[Distribution],
    markers: Mapping[str, str],
) -> tuple[dict[NormalizedName, Version], str | None]:
    """Every installed distribution the roots reach (name -> installed version) and, when
    what is installed does not already satisfy them all, the first reason it does not."""
    by_name: dict[NormalizedName, Distribution] = {}
    for dist in installed:
        if dist.name in by_name:
            return {}, f"{dist.name} is installed twice ({dist.site_packages})"
        by_name[dist.name] = dist
    queue: list[tuple[NormalizedName, SpecifierSet, tuple[str, ...], str]] = []
    try:
        for root in roots:
            if _applies(root.marker, markers, ("",)):
                queue.append((root.name, root.specifier, root.extras, "required"))
    except (UndefinedComparison, UndefinedEnvironmentName) as exc:
        return {}, f"a requirement's marker cannot be evaluated ({exc})"
    reached: dict[NormalizedName, Version] = {}
    extras_done: dict[NormalizedName, set[str]] = {}
    while queue:
        name, spec, extras, by = queue.pop()
        found = by_name.get(name)
        if found is None:
            return reached, f"{name} ({by}) is not installed"
        dist = found
        version, why = _installed_version(dist)
        if version is None:
            return reached, why
        if not spec.contains(version, prereleases=True):
            return reached, f"{name} {version} does not satisfy {spec} ({by})"
        new = {""} | set(extras) if name not in reached else set(extras) - extras_done[name]
        reached[name] = version
        done = extras_done.setdefault(name, set())
        if not new:
            continue
        done.update(new)
        for text in dist.requires_dist:
            try:
                req = Requirement(text)
                if req.url:
                    return reached, f"{name} requires {req.name} from a URL"
                if not _applies(req.marker, markers, new):
                    continue
            except (InvalidRequirement, InvalidMarker, InvalidSpecifier) as exc:
                return reached, f"{name} declares a requirement pipvet cannot read ({exc})"
            except (UndefinedComparison, UndefinedEnvironmentName) as exc:
                return reached, f"a marker of {name} cannot be evaluated ({exc})"
            queue.append(
                (canonicalize_name(req.name), req.specifier, tuple(req.extras), f"by {name}")
            )
    return reached, None


def _installed_version(dist: Distribution) -> tuple[Version | None, str]:
    if dist.problem or not dist.version:
        return None, f"{dist.name}'s metadata is incomplete"
    # A wheel or sdist file is compared by version like an index install (pip does that
    # too); a folder, an editable or a VCS checkout is pip's to judge.
    local = dist.direct_url is not None and dist.direct_url.kind != "archive"
    if local or dist.format == "egg-link":
        return None, f"{dist.name} is installed from a folder or a VCS URL"
    try:
        version = Version(dist.version)
    except InvalidVersion:
        return None, f"{dist.name} has the version {dist.version!r}, which is not PEP 440"
    if version.is_prerelease or version.is_devrelease or version.local:
        return None, f"{dist.name} {version} is a pre-release or local build"
    return version, ""


def newer_release(
    name: NormalizedName,
    installed: Version,
    answer: tuple[SimpleFile, ...] | PipvetError | None,
    *,
    cutoff: float | None,
    python_version: str,
) -> str | None:
    """Why pip would change ``name`` (a final release newer than ``installed``, uploaded
    before ``cutoff``, for this Python), or why the index's answer cannot tell; None: the
    installed version is the one pip would keep."""
    if isinstance(answer, PipvetError):
        return f"the index could not be asked about {name} ({answer.message})"
    if answer is None:
        return f"the index's answer for {name} is not PEP 691 JSON with upload times"
    if not answer:
        return None  # pip finds nothing to upgrade to either, and keeps what is installed
    newest: Version | None = None
    for f in answer:
        v = f.version
        if f.yanked or v.is_prerelease or v.is_devrelease or v <= installed:
            continue
        if cutoff is not None and f.uploaded is not None and f.uploaded > cutoff:
            continue  # inside the cooldown: pip will not take it either
        if f.requires_python is not None and not _python_ok(f.requires_python, python_version):
            continue
        if newest is None or v > newest:
            newest = v
    return None if newest is None else f"{name} {newest} is newer than the installed {installed}"


def _python_ok(requires_python: str, python_version: str) -> bool:
    try:
        return SpecifierSet(requires_python).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return True  # unreadable: count the file, so pip decides
