"""Signals read from a project's own metadata on the index: who can publish it, how it is
kept up, and where its code and its money come from. Pure; ``now`` is passed in.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from pipvet.index.parse import ProjectInfo
from pipvet.index.release_table import upload_times, yanked_versions
from pipvet.vetting.model import JsonValue, Signal, SignalLevel, Thresholds

__all__ = [
    "activity",
    "funding",
    "maintainers",
    "security_policy",
    "shared_account_reason",
    "silence_partners",
    "source",
    "weak_points",
]


_utc = functools.partial(datetime.fromtimestamp, tz=UTC)  # upload time (seconds) -> time


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def _span(days: int) -> str:
    if days >= 730:
        return f"{days / 365.25:.0f} years"
    if days >= 60:
        return f"{days // 30} months"
    return f"{days} day" + ("" if days == 1 else "s")


# --------------------------------------------------------------------------- people

_ORG_WORDS = frozenset(
    (
        "services", "inc", "llc", "ltd", "gmbh", "corp", "corporation", "company",
        "foundation", "team", "labs", "developers", "project", "authors", "contributors",
        "community", "org", "organization", "organisation", "group", "software", "systems",
        "technologies",
    )
)  # fmt: skip
# "dateutilbot" and "release-bot" are robots; "abbot" and "talbot" are people.
_BOT = re.compile(r"(^|[-_.])(bot|ci|deploy|release|releases)([-_.]|$)|[a-z0-9]{4,}bot$|[a-z]Bot$")
_SHARED_HANDLE = re.compile(
    r"(^|[-_.])(team|admin|pypi|devs|maintainers|org)([-_.]|$)|^pypi", re.IGNORECASE
)


def shared_account_reason(user: str, project: ProjectInfo) -> str | None:
    """Why ``user`` looks like an account that several people or a robot use, if it does."""
    handle = user.casefold()
    shared = "several people behind one login, so the index cannot tell who published a release"
    if project.organization and handle == project.organization.casefold():
        return f"named like the organisation: {shared}"
    if handle.replace("_", "-") == project.name:
        return f"named like the project: {shared}"
    if _BOT.search(user) or _BOT.search(handle):
        return "an automation account: its token lives in CI, where a leak can publish releases"
    if _SHARED_HANDLE.search(user):
        return f"a team account by its name: {shared}"
    author = project.author or ""
    words = [w for w in re.split(r"[^0-9a-z]+", author.casefold()) if w]
    if "@" not in author and len(words) >= 2 and _ORG_WORDS & set(words):
        acronym = "".join(w[0] for w in words if w not in ("inc", "llc", "ltd", "gmbh"))
        if handle in (acronym, "".join(words)):
            return f"named after the organisation '{author}': {shared}"
    return None


# Roles that can publish releases. Other roles (none today) are not counted.
_PUBLISHING_ROLES = frozenset({"owner", "maintainer"})


def weak_points(
    project: ProjectInfo,
    now: datetime,
    limits: Thresholds,
    *,
    rank: int | None,
    listed: int | None,
) -> list[str]:
    """The weak signals a maintainer count is read together with: not among the most
    downloaded projects (or no list to tell), and no release for longer than the policy
    allows. ``listed`` is the popularity list's length, None when there is none."""
    weak = _rank_weakness(rank, listed)
    latest = max(upload_times(project.releases), default=None)
    if latest is not None and (now - _utc(latest)).days > limits.max_release_silence_days:
        weak.append(f"no release since {_day(_utc(latest))}")
    return weak


def silence_partners(
    project: ProjectInfo, limits: Thresholds, *, rank: int | None, listed: int | None
) -> list[str]:
    """The weak signals a long silence is read together with: not among the most downloaded
    projects (or no list to tell), and a single maintainer (or one shared account)."""
    weak = _rank_weakness(rank, listed)
    if project.roles is not None and project.users:
        count, people = _maintainer_count(project)
        if count < min(2, limits.min_maintainers) or (count == 1 and not people):
            weak.append("a single maintainer")
    return weak


def _rank_weakness(rank: int | None, listed: int | None) -> list[str]:
    if listed is None:
        return ["its download rank is unknown (no popularity list)"]
    if rank is None:
        return [f"not among the {listed:,} most downloaded projects"]
    return []


def _maintainer_count(project: ProjectInfo) -> tuple[int, list[str]]:
    """Maintainers (an organisation is one; only people with a publishing role count) and
    the people among them."""
    publishing = {r.user for r in project.roles or () if r.role.casefold() in _PUBLISHING_ROLES}
    people = [u for u in project.users if u in publishing and not shared_account_reason(u, project)]
    return len(people) + (1 if project.organization else 0), people


def maintainers(
    project: ProjectInfo, limits: Thresholds, *, weak: Sequence[str] | None = None
) -> Signal:
    """Who can publish releases. An organisation counts as one maintainer, and only people
    with the Owner or Maintainer role count (a robot or shared login is named, not counted).
    Too few or too many is ``review`` only together with another weak signal (``weak``, from
    ``weak_points``); alone it is ``info``. ``weak=None``: not known, so ``review``."""
    source = "index: ownership.roles, ownership.organization"
    threshold = f"{limits.min_maintainers} to {limits.max_maintainers} maintainers"
    if project.roles is None:
        return Signal(
            "maintainers",
            "info",
            None,
            threshold,
            source,
            "The index does not publish who can upload releases for this project.",
        )
    users = project.users
    org = project.organization
    value: dict[str, JsonValue] = {"accounts": list(users), "organization": org}
    shared = {u: r for u in users if (r := shared_account_reason(u, project))}
    if shared:
        value["shared_accounts"] = list(shared)
    count, people = _maintainer_count(project)
    value["maintainers"] = count
    notes: list[str] = []
    if org:
        notes.append(f"owned by the organisation '{org}' (counted as one maintainer)")
    notes += [f"'{user}' looks like a shared account ({why})" for user, why in shared.items()]
    level: SignalLevel = "ok"
    paired = False  # True: review only when another weak signal comes with it
    if not users:
        if org:
            head = (
                f"releases are published through the organisation '{org}'; its member "
                "accounts are not listed"
            )
            notes = notes[1:]
        else:
            level = "review"
            head = "no account is listed as owner or maintainer"
    elif not people and not org and limits.min_maintainers > 1:
        # One login that several people (or a robot) use: not a bus-factor problem, but
        # nobody can tell who published what, and one leaked password publishes anything.
        paired = True
        head = (
            f"one account publishes every release, '{users[0]}'"
            if len(users) == 1
            else f"only shared accounts publish releases ({', '.join(users)})"
        )
    elif count < limits.min_maintainers:
        paired = True
        names = ", ".join(people) or org or ""
        head = (
            f"single maintainer ({names}): one account to compromise and no second pair of "
            "eyes on releases (bus factor 1)"
            if count == 1
            else f"only {count} maintainers ({names}), fewer than {limits.min_maintainers}"
        )
    elif count > limits.max_maintainers:
        paired = True
        head = (
            f"{count} maintainers can publish releases, more than {limits.max_maintainers}: "
            "each account is a way in for an attacker"
        )
    else:
        head = f"{count} maintainers ({', '.join([*people, *([f'org:{org}'] if org else [])])})"
    if paired:
        if weak is None:
            level = "review"
        elif weak:
            level = "review"
            notes.append("together with: " + "; ".join(weak))
        else:
            level = "info"
            notes.append(
                "alone this is no reason to review: the project is widely used and "
                "recently released"
            )
    message = "; ".join([head, *notes]) + "."
    return Signal("maintainers", level, value, threshold, source, message[0].upper() + message[1:])


# --------------------------------------------------------------------------- activity

_INACTIVE = "Development Status :: 7 - Inactive"
_RECENT_DAYS = 730  # "releases in the last two years"


def activity(
    project: ProjectInfo,
    now: datetime,
    limits: Thresholds,
    *,
    weak: Sequence[str] | None = None,
    version: str | None = None,
) -> Signal:
    """Age, last release, recent releases, yanked ones. A silence over the policy's limit is
    ``review`` only together with another weak signal (``weak``, from ``silence_partners``):
    a widely used project with several maintainers is often simply finished. Over twice the
    limit it is ``review`` on its own. ``weak=None``: not known, so ``review``. ``version``
    (the release that would be installed) is ``review`` when it is yanked or has a file
    uploaded inside the policy's cooldown."""
    source = "index: releases[*][*].upload_time_iso_8601, yanked; info.classifiers"
    threshold = (
        f"first release at least {limits.min_project_age_days} days ago; last release within "
        f"{limits.max_release_silence_days} days; no return after "
        f"{2 * limits.max_release_silence_days} days of silence"
    )
    # Upload times as numbers (in the order of the times they make): recent ones by bisection.
    uploads = sorted(upload_times(project.releases))
    yanked = yanked_versions(project.releases)
    inactive = _INACTIVE in project.classifiers
    if not uploads:
        return Signal(
            "activity",
            "review",
            {"releases": 0},
            threshold,
            source,
            "The project has no published files: nothing to judge its history by.",
        )
    first, last = _utc(uploads[0]), _utc(uploads[-1])
    age = (now - first).days
    silence = (now - last).days
    recent = len(uploads) - bisect_left(uploads, now - timedelta(days=_RECENT_DAYS), key=_utc)
    gap, gap_end = _dormancy(uploads)
    value: dict[str, JsonValue] = {
        "first_release": _day(first),
        "last_release": _day(last),
        "age_days": age,
        "days_since_last_release": silence,
        "releases_last_two_years": recent,
        "yanked_releases": len(yanked),
        "inactive_classifier": inactive,
    }
    reasons: list[str] = []
    facts: list[str] = []
    quiet: list[str] = []  # a silence that alone is a fact, not a reason
    if age < limits.min_project_age_days:
        reasons.append(
            f"new project: first release {_day(first)}, only {_span(age)} ago (under "
            f"{limits.min_project_age_days} days); most malicious uploads are days old "
            "when caught"
        )
    if silence > limits.max_release_silence_days:
        text = (
            f"inactive: no release since {_day(last)} ({_span(silence)}, over "
            f"{limits.max_release_silence_days} days); fixes may never come"
        )
        if weak is None or silence > 2 * limits.max_release_silence_days:
            reasons.append(text)
        elif weak:
            reasons.append(f"{text}; together with: {'; '.join(weak)}")
        else:
            quiet.append(
                f"no release since {_day(last)} ({_span(silence)}); alone this is no reason to "
                "review: the project is widely used and has more than one maintainer"
            )
    if (fresh := _fresh_file(project, version, now, limits.cooldown_days)) is not None:
        value["release_newest_file"] = fresh
        reasons.append(
            f"release {version} has a file uploaded {fresh}, inside the policy's "
            f"{limits.cooldown_days}-day cooldown: a fresh release is how a taken-over project "
            "spreads malware; wait, or check who published it and what changed"
        )
    if version is not None and version in yanked:
        reasons.append(
            f"release {version} is yanked: its maintainers withdrew it, and pip takes it only "
            "because it is pinned; read why on the index before you use it"
        )
    if inactive:
        reasons.append("inactive: its maintainers mark it 'Development Status :: 7 - Inactive'")
    if gap is not None and gap_end is not None and gap > 2 * limits.max_release_silence_days:
        since = (now - gap_end).days
        if since <= limits.max_release_silence_days:
            value["dormant_gap_days"] = gap
            reasons.append(
                f"released again on {_day(gap_end)} after {_span(gap)} of silence: a pattern "
                "of taken-over projects; check who published it and what changed"
            )
    facts.append(f"first release {_day(first)}, last {_day(last)}")
    facts.append(f"{recent} release{'s' if recent != 1 else ''} in the last two years")
    if yanked:
        facts.append(
            f"{len(yanked)} yanked ({', '.join(yanked[:5])}{'...' if len(yanked) > 5 else ''})"
        )
    level: SignalLevel = "review" if reasons else "info" if quiet else "ok"
    message = "; ".join(reasons + quiet + facts) + "."
    return Signal("activity", level, value, threshold, source, message[0].upper() + message[1:])


def _fresh_file(project: ProjectInfo, version: str | None, now: datetime, days: int) -> str | None:
    """When ``version``'s newest file was uploaded, if inside the cooldown (or in the future:
    no clock excuses it). Each file counts: a fresh wheel added to an old release is the one
    pip may take."""
    release = project.release(version) if version is not None and days > 0 else None
    times = [f.uploaded for f in release.files if f.uploaded is not None] if release else []
    if not times or now.timestamp() - max(times) >= days * 86400:
        return None
    return datetime.fromtimestamp(max(times), UTC).strftime("%Y-%m-%d %H:%M UTC")


def _dormancy(uploads: Sequence[float]) -> tuple[int | None, datetime | None]:
    """The gap (days) before the newest release, and its date; ``uploads`` sorted."""
    if len(uploads) < 2:
        return None, None
    newest = _utc(uploads[-1])
    # Files of one release can be uploaded days apart: the latest a whole day before it.
    before = bisect_right(uploads, newest - timedelta(days=1), key=_utc)
    if before == 0:
        return None, None
    return (newest - _utc(uploads[before - 1])).days, newest


# --------------------------------------------------------------------------- links

_FUNDING = (
    "funding", "fund", "sponsor", "donate", "donation", "tidelift", "opencollective",
    "open collective", "github.com/sponsors", "patreon", "liberapay", "ko-fi", "buymeacoffee",
    "numfocus",
)  # fmt: skip
_SECURITY = ("security", "security policy", "security.md", "vulnerability disclosure")
_CODE_HOSTS = (
    "github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "sr.ht", "git.sr.ht",
    "launchpad.net", "sourceforge.net", "salsa.debian.org", "heptapod.net",
)  # fmt: skip
_SOURCE_LABELS = ("source", "source code", "repository", "code", "github", "gitlab", "git", "repo")
# First path segments on code hosts that are not "owner/repository".
_NOT_REPOSITORIES = frozenset(("sponsors", "orgs", "users", "settings", "marketplace", "apps"))


def _links(project: ProjectInfo, words: Sequence[str]) -> list[tuple[str, str]]:
    found = []
    for label, url in project.project_urls:
        text = f"{label}\n{url}".casefold()
        if any(w in text for w in words):
            found.append((label, url))
    return found


def funding(project: ProjectInfo) -> Signal:
    """A funding link. Its absence is a note for the reviewer, never a reason by itself."""
    source = "index: info.project_urls (labels and URLs)"
    threshold = "a funding link (funding, sponsor, donate, Tidelift, Open Collective, ...)"
    links = _links(project, _FUNDING)
    if links:
        label, url = links[0]
        return Signal("funding", "ok", url, threshold, source, f"Funding link '{label}': {url}.")
    return Signal(
        "funding",
        "info",
        None,
        threshold,
        source,
        "No funding link: fixes depend on volunteers' spare time. Worth knowing when you "
        "review, not a problem by itself.",
    )


def security_policy(project: ProjectInfo) -> Signal:
    """A security policy link. Its absence is a note for the reviewer, never a reason alone."""
    source = "index: info.project_urls (labels and URLs)"
    threshold = "a security policy link (security, SECURITY.md)"
    links = _links(project, _SECURITY)
    if links:
        label, url = links[0]
        return Signal(
            "security-policy", "ok", url, threshold, source, f"Security policy '{label}': {url}."
        )
    return Signal(
        "security-policy",
        "info",
        None,
        threshold,
        source,
        "No security policy link: no stated way to report a vulnerability privately. Worth "
        "knowing when you review, not a problem by itself.",
    )


def _repository(url: str) -> str | None:
    """``https://github.com/psf/black/issues`` -> ``https://github.com/psf/black``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").casefold()
    if not any(host == h or host.endswith("." + h) for h in _CODE_HOSTS):
        return None
    segments = [seg for seg in parts.path.split("/") if seg]
    if len(segments) < 2 or segments[0].casefold() in _NOT_REPOSITORIES:
        return None
    repo = segments[1].removesuffix(".git")
    return f"{parts.scheme}://{parts.netloc}/{segments[0]}/{repo}"


def source(project: ProjectInfo) -> Signal:
    src = "index: info.project_urls, info.home_page"
    threshold = "a link to the source repository"
    links = list(project.project_urls)
    if project.home_page:
        links.append(("home_page", project.home_page))
    # A link labelled as the source wins; any link into a code host's repository will do.
    labelled = [u for label, u in links if label.casefold() in _SOURCE_LABELS]
    found = next((r for u in labelled + [u for _, u in links] if (r := _repository(u))), None)
    if found is None:
        found = next((u for u in labelled if u.startswith(("https://", "http://"))), None)
    if found:
        return Signal("source", "ok", found, threshold, src, f"Source repository: {found}.")
    return Signal(
        "source",
        "review",
        None,
        threshold,
        src,
        "No link to a source repository: you cannot compare what is published with the "
        "code it claims to come from.",
    )
