"""Before pip resolves anything: would it change something? (``plan`` has the rules.)

Gathers what the rules need: where pip would look (``pip_sources``), what pip is asked to
install (the requirements files, every installed distribution they do not name, pip itself),
the target's markers, and the index's answers for everything those reach, asked at once
through the HTTP cache (an answer younger than the cooldown holds every release old enough to
install, so a fresh one is not asked again). Answers ``None`` when nothing would change, else
the first reason to run pip; anything it cannot read is such a reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from pipvet.frozen import frozen
from pipvet.index.client import FRESH_SECONDS
from pipvet.index.simple import SimpleIndexClient
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.models import canonicalize_name
from pipvet.update.model import Environment
from pipvet.update.pip import PipFeatures
from pipvet.update.pip_sources import pip_sources
from pipvet.update.plan import Root, newer_release, wanted
from pipvet.update.session import Session

if TYPE_CHECKING:
    from pipvet.system.http import HttpClient
    from pipvet.vetting.target import TargetEnvironment

__all__ = ["PreCheck", "installed_pip", "reason_to_run_pip"]


@frozen
class PreCheck:
    """The collaborators of the pre-check: the HTTP client (and its cache) for pip's index,
    and the target interpreter's facts (markers, Python version), which the caller caches."""

    http: HttpClient
    target: Callable[[Path], TargetEnvironment]


def installed_pip(scan: EnvironmentScan) -> PipFeatures | None:
    """The features of the pip installed in the scanned environment, read from its metadata."""
    for dist in scan.distributions:
        if dist.name == "pip" and dist.version:
            try:
                return PipFeatures(Version(dist.version))
            except InvalidVersion:
                return None
    return None


def reason_to_run_pip(
    run: Session,
    env: Environment,
    scan: EnvironmentScan,
    files: Sequence[Path],
    unnamed: Sequence[str],
    *,
    check: PreCheck,
) -> str | None:
    """None when pip would keep everything as it is; else why pip must run."""
    features = installed_pip(scan)
    if features is None or not (features.uploaded_prior_to and features.release_control):
        return "this pip cannot apply the cooldown and final-releases rules by itself"
    sources = pip_sources(run.environ, env.prefix, run.pip.config_list)
    if sources.index_url is None:
        return sources.reason
    roots, why = _roots(run, files, unnamed)
    if why is not None:
        return why
    target = check.target(env.python)
    reached, why = wanted(roots, scan.distributions, target.markers)
    if why is not None:
        return why
    for name in reached:
        if run.policy.is_internal(name):
            return f"{name} is internal (policy): pipvet does not ask an index about it"
    days = run.policy.cooldown_days
    cutoff = None
    max_age = 0.0
    if days > 0:
        cutoff = math.floor((run.now - timedelta(days=days)).timestamp())
        max_age = min(FRESH_SECONDS, days * 86400.0)
    names = sorted(reached)
    index = SimpleIndexClient(check.http, sources.index_url)
    answers = index.files_many(names, max_age=max_age)
    for name in names:
        why = newer_release(name, reached[name], answers[name], cutoff=cutoff,
                            python_version=target.python_version)  # fmt: skip
        if why is not None:
            return why
    return None


def _roots(
    run: Session, files: Sequence[Path], unnamed: Sequence[str]
) -> tuple[list[Root], str | None]:
    """What pip is asked to install, as requirements; or why a file says more than that."""
    from pipvet.inputs.requirements import parse_requirements_file

    roots = [Root(canonicalize_name("pip"), SpecifierSet())]
    roots += [Root(canonicalize_name(n), SpecifierSet()) for n in unnamed]
    for path in files:
        parsed = parse_requirements_file(path, environ=run.environ)
        if parsed.options:
            return [], f"{path.name} passes pip options ({parsed.options[0].option})"
        for entry in parsed.entries:
            if entry.name is None or entry.kind not in ("pinned", "unpinned"):
                return [], f"{path.name} has a {entry.kind} line ({entry.raw})"
            if entry.hashes:
                return [], f"{path.name} has hashes (pip checks them)"
            roots.append(Root(entry.name, entry.specifier, entry.extras, entry.marker))
    return roots, None
