"""The vetting signals: one pure function per signal, evidence in, a ``Signal`` out.

Each signal carries its raw value, the threshold it was held against, the field of the index
document (or the data set) it came from, and a message a non-specialist can act on. Nothing
here fetches anything: the service gathers the facts and the clock's "now" is passed in.
The signals read from the project's own metadata (maintainers, activity, funding, security
policy, source) live in ``project_signals`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pipvet.index.parse import ProjectInfo
from pipvet.index.release_table import count_with_files, upload_times
from pipvet.models import Finding
from pipvet.vetting.model import NewDependency, Signal, SignalLevel, Thresholds
from pipvet.vetting.project_signals import (
    activity,
    funding,
    maintainers,
    security_policy,
    shared_account_reason,
    silence_partners,
    source,
    weak_points,
)
from pipvet.vetting.wheels import InstallKind

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal, Protocol
else:
    # A protocol is for type checkers; at run time nothing asks isinstance of it, so a
    # plain base does (as pipvet.system.process's Runner).
    Protocol = object

__all__ = [
    "SquatLike",
    "Thresholds",
    "activity",
    "exists",
    "first_release",
    "funding",
    "install_code",
    "list_time",
    "maintainers",
    "malware",
    "newer_than_list",
    "popularity",
    "security_policy",
    "shared_account_reason",
    "silence_partners",
    "source",
    "subtree",
    "typosquat",
    "vulnerabilities",
    "weak_points",
]


class SquatLike(Protocol):
    """What the typosquat detector reports about a near miss."""

    @property
    def target(self) -> str: ...
    @property
    def technique(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def level(self) -> Literal["avoid", "review"]: ...
    @property
    def did_you_mean(self) -> str | None: ...


# --------------------------------------------------------------------------- exists


def exists(name: str, project: ProjectInfo | None) -> Signal:
    if project is None:
        return Signal(
            "exists",
            "avoid",
            False,
            "the name must exist on the index",
            "index: /pypi/<name>/json answered 404",
            f"Nothing named '{name}' exists on the index: an install would take whatever "
            "someone registers under this name later. Check the spelling against the "
            "project's own documentation; assistants and chatbots invent plausible package "
            "names, and attackers register them ('slopsquatting').",
        )
    count = count_with_files(project.releases)
    return Signal(
        "exists",
        "ok",
        True,
        "the name must exist on the index",
        "index: info.name",
        f"'{project.display_name}' is on the index with {count} release"
        + ("" if count == 1 else "s")
        + ".",
    )


# --------------------------------------------------------------------------- advisories


# Nothing pip would install was checked: fail closed (unchecked), and say why in plain words.
_NO_RELEASE = (
    "No release matches the request on this Python, so there is no release to check "
    "(pip install would fail); check the version you asked for."
)


def malware(findings: Sequence[Finding] | None, version: str | None) -> Signal:
    """``findings=None`` means there was no advisory data to look in."""
    source = "advisory database: MAL- records and records marked malicious"
    if findings is None:
        return _no_advisories("malware", source)
    if version is None:
        return Signal("malware", "unchecked", [], "any malware report", source, _NO_RELEASE)
    bad = [f for f in findings if f.kind == "malware"]
    if bad:
        ids = [f.id for f in bad]
        where = f"Release {version}"
        return Signal(
            "malware",
            "avoid",
            ids,
            "any malware report",
            source,
            f"{where} is reported as malicious ({', '.join(ids)}). Do not install it; if "
            "it was ever installed, treat every credential on that machine as stolen.",
        )
    return Signal("malware", "ok", [], "any malware report", source, "No malware reports.")


def vulnerabilities(findings: Sequence[Finding] | None, version: str | None) -> Signal:
    """Known vulnerabilities in the release that would be installed.

    A vulnerability with a fixed release is a review reason (ask for the fixed one); one that
    no release fixes is an avoid reason: installing means keeping the hole.
    """
    source = "advisory database: affected ranges and versions"
    if findings is None:
        return _no_advisories("vulnerabilities", source)
    threshold = "any known vulnerability (avoid when no release fixes it)"
    if version is None:
        return Signal("vulnerabilities", "unchecked", [], threshold, source, _NO_RELEASE)
    vulns = [f for f in findings if f.kind == "vulnerability" and not f.ignored]
    if not vulns:
        return Signal(
            "vulnerabilities",
            "ok",
            [],
            threshold,
            source,
            f"No known vulnerabilities in {version or 'the release that would be installed'}.",
        )
    ids = [f.id for f in vulns]
    unfixed = [f.id for f in vulns if not f.fixed_in]
    fixes = sorted({v for f in vulns for v in f.fixed_in})
    text = f"{len(vulns)} known vulnerabilit{'y' if len(vulns) == 1 else 'ies'} in {version}: "
    text += ", ".join(ids) + "."
    if unfixed:
        text += (
            f" No release fixes {', '.join(unfixed)}: choose another package, "
            "or accept the risk knowingly."
        )
        level: SignalLevel = "avoid"
    else:
        text += f" Fixed in {', '.join(fixes)}: ask for a fixed release (e.g. >={fixes[-1]})."
        level = "review"
    return Signal("vulnerabilities", level, ids, threshold, source, text)


def _no_advisories(signal_id: str, source: str) -> Signal:
    return Signal(
        signal_id,
        "unchecked",
        None,
        None,
        source,
        "Not checked: there is no advisory data yet. Run 'pipvet db sync' (or drop "
        "--offline) and vet again.",
    )


# --------------------------------------------------------------------------- name


def typosquat(
    result: SquatLike | None, *, checked: bool = True, newer_than: str | None = None
) -> Signal:
    """The detector's finding: ``avoid`` for squats and import names, ``review`` for
    standard-library look-alikes and siblings (the detector decides the level). With
    ``newer_than`` (the popularity list's date, for a project first released after it) an
    ``avoid`` becomes ``review``: absence from an older list proves no unpopularity."""
    source = "name compared with the most downloaded projects and the standard library"
    threshold = "a near miss of a much more popular name, or a known import-name confusion"
    if not checked:
        return Signal(
            "typosquat",
            "unchecked",
            None,
            threshold,
            source,
            "Not checked: no popularity list is available to compare the name with.",
        )
    if result is None:
        return Signal(
            "typosquat", "ok", None, threshold, source, "Not a near miss of a popular name."
        )
    message = result.message
    wanted = result.did_you_mean
    if wanted and f"install {wanted}" not in message:
        message += f" To install it: pip install {wanted}"
    level: SignalLevel = result.level
    if level == "avoid" and newer_than is not None:
        # The detector calls a near miss that is absent from the list unpopular; a project
        # first released after the list was made may be popular now: review, not avoid.
        level = "review"
        message += (
            f" It was first released after the popularity list was made ({newer_than}), so "
            "its own downloads cannot be compared: review rather than avoid, and check that "
            "it is the project you mean."
        )
    return Signal(
        "typosquat",
        level,
        result.target,
        threshold,
        f"{source} ({result.technique})",
        message,
    )


def list_time(last_update: str | None) -> datetime | None:
    """The popularity list's ``last_update`` ("2026-04-01 06:34:06", UTC) as a time; None when
    absent or unreadable (then nothing is judged against the list's date)."""
    if not last_update:
        return None
    try:
        moment = datetime.fromisoformat(last_update.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def first_release(project: ProjectInfo | None) -> datetime | None:
    """When the project's earliest file was uploaded (None: no dated file)."""
    times = upload_times(project.releases) if project else ()
    return datetime.fromtimestamp(min(times), UTC) if times else None


def newer_than_list(project: ProjectInfo | None, last_update: str | None) -> str | None:
    """The list's date when ``project`` was first released after the popularity list was
    made (its absence from the list then says nothing about its downloads), else None."""
    made, first = list_time(last_update), first_release(project)
    if made is None or first is None or first <= made:
        return None
    return made.date().isoformat()


def popularity(
    rank: int | None,
    listed: int | None,
    *,
    list_date: str | None = None,
    newer_than: str | None = None,
) -> Signal:
    """``listed`` is the length of the popularity list; None when there is no list.
    ``list_date``: the list's date, shown; ``newer_than``: the list's date when the project
    was first released after it (see ``newer_than_list``)."""
    made = list_time(list_date)
    of = f" (list of {made.date().isoformat()})" if made else ""
    source = f"popularity list{of}: 30-day download counts"
    if listed is None:
        return Signal(
            "popularity",
            "unchecked",
            None,
            None,
            source,
            "Not checked: no popularity list is available.",
        )
    threshold = f"among the {listed:,} most downloaded projects"
    if rank is None and newer_than is not None:
        return Signal(
            "popularity",
            "info",
            None,
            threshold,
            source,
            f"Newer than the popularity list: first released after the list was made "
            f"({newer_than}), so its absence from the list says nothing about how many "
            "people use it.",
        )
    if rank is None:
        return Signal(
            "popularity",
            "review",
            None,
            threshold,
            source,
            f"Not among the {listed:,} most downloaded projects{of}: fewer users means fewer "
            "eyes that would notice a problem.",
        )
    return Signal(
        "popularity",
        "ok",
        rank,
        threshold,
        source,
        f"Download rank {rank:,} of the {listed:,} most downloaded projects{of}.",
    )


# --------------------------------------------------------------------------- install


def install_code(kind: InstallKind | None, version: str | None, target: str) -> Signal:
    src = "index: releases[version][*].filename, packagetype"
    threshold = f"a wheel that fits {target}"
    if kind is None:
        return Signal(
            "install-code",
            "review",
            None,
            threshold,
            src,
            "No installable release matches the request on this Python: pip would fail "
            "or pick something unexpected.",
        )
    if kind.wheel is not None:
        return Signal(
            "install-code",
            "ok",
            kind.wheel,
            threshold,
            src,
            f"Installs from the wheel {kind.wheel}: pip runs none of the package's code at "
            "install time.",
        )
    why = (
        f"Release {version} has wheels, but none for {target}"
        if kind.has_wheels
        else f"Release {version} is published as source only"
    )
    if not kind.has_sdist:
        return Signal(
            "install-code",
            "review",
            None,
            threshold,
            src,
            f"{why}, and no source distribution either: pip cannot install it here.",
        )
    return Signal(
        "install-code",
        "review",
        None,
        threshold,
        src,
        f"{why}: pip will run the package's build code (setup.py or its build "
        "backend) at install time, with your permissions.",
    )


# --------------------------------------------------------------------------- subtree


def subtree(
    new: Sequence[NewDependency] | None,
    limits: Thresholds,
    *,
    resolver: str,
    problem: str | None = None,
    estimated: Sequence[str] = (),
) -> Signal:
    """``estimated``: packages whose requirements came from the newest release's metadata
    because the release that would be installed had none of its own on the index."""
    src = (
        "pip install --dry-run --report in the target environment"
        if resolver == "pip"
        else "index: requires_dist of each selected release, recursively, markers for the target"
    )
    threshold = f"at most {limits.max_new_dependencies} new packages"
    if new is None:
        return Signal(
            "subtree",
            "unchecked",
            None,
            threshold,
            src,
            f"Not checked: {problem or 'the dependency tree could not be read'}.",
        )
    names = [d.name for d in new]
    missing = [d.name for d in new if not d.on_index]
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    if not new:
        text = "adds no packages the environment lacks"
    else:
        text = f"adds {len(new)} package{'s' if len(new) != 1 else ''} the environment lacks: "
        text += shown
    level: SignalLevel = "ok"
    if len(new) > limits.max_new_dependencies:
        level = "review"
        text += (
            f". That is more than {limits.max_new_dependencies}: every one is code you trust "
            "and must keep updated"
        )
    if missing:
        level = "review"
        text += (
            f". Not on the index: {', '.join(missing)} (a dependency nobody has registered "
            "can be claimed by anyone)"
        )
    if estimated:
        text += (
            f". Requirements of {', '.join(estimated)} are from the newest release's metadata: "
            "the index had none for the release that would be installed, so this is an "
            "estimate (--resolver pip gives pip's exact answer)"
        )
    message = text + "."
    return Signal("subtree", level, len(new), threshold, src, message[0].upper() + message[1:])
