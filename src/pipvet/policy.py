"""The project policy: where it lives, what it may say, and what it decides.

Where pipvet looks (``load_policy``):

* ``--policy FILE`` names the file outright. A file called ``pyproject.toml`` is read from its
  ``[tool.pipvet]`` table (which must exist); any other file is read from its top-level keys.
* Otherwise pipvet walks from the starting folder up to the filesystem root and stops at the
  first folder that has a policy: ``pipvet.toml`` (always counts, even when empty), else a
  ``pyproject.toml`` that has a ``[tool.pipvet]`` table. A ``pyproject.toml`` without that table
  does not stop the walk, so a sub-project inherits the policy of the repository around it. When
  one folder has both, ``pipvet.toml`` wins and the policy carries a warning saying so.
* No policy anywhere means the defaults below.

Every problem in a policy file is reported at once, each naming the key, the bad value and what
is allowed; unknown keys get a "did you mean" suggestion.

Deciding (``fails``): malware always fails; ``fail-on = "any"`` fails on every finding; otherwise
a vulnerability fails when its severity label is at or above the threshold. A finding whose
severity is unknown (no advisory in its alias group gives a rating) fails at every threshold
by default: pipvet cannot show it is below the line, so it fails closed. ``unknown-severity =
"ignore"`` lets such findings through, so that ``fail-on = "critical"`` means only what is
rated critical; the report says which rule was used and how many findings had no rating.

Ignores (``apply_ignores``) never remove a finding: they mark it ignored with the reason, and
ignores that have expired (their ``expires`` date is before today) are not applied. Malware
cannot be ignored. With ``local-installs = "list"``, ``list_local_builds`` marks the
vulnerability findings of editable, local-folder, VCS and URL installs ignored the same way
(listed, not failing); their malware findings still fail.

An advisory overlay record with a public record's id replaces it, and can silence its finding;
``overlay-replaces`` lists the ids a team has reviewed (``unlisted_replacements``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipvet.errors import PolicyError
from pipvet.frozen import field, frozen, replace
from pipvet.models import (
    AuditReport,
    DependencyResult,
    Finding,
    IgnoreNote,
    SeverityLabel,
    Snapshot,
    canonicalize_name,
)
from pipvet.policy_file import (
    candidate,
    has_pipvet_table,
    pipvet_table,
    pyproject_table,
    read_toml,
)
from pipvet.redact import refuse_unusable_url
from pipvet.system.paths import expand_home

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from datetime import date  # imported where a date is read: most policies have no ignore
    from typing import Any

    # The policy file's keys are checked by policy_schema, imported where a policy says
    # something (parse_policy): a run on the defaults (no file, or a blank one) never loads it.
    from pipvet.policy_schema import (
        FailOn,
        IgnoreRule,
        LocalInstalls,
        OnReview,
        StaleData,
        UnknownSeverity,
        VetFailOn,
    )
else:  # (a __getattr__ type checkers saw would make every misspelt attribute type-check)

    def __getattr__(name: str) -> object:
        # The names this module has always exported from policy_schema (see __all__).
        if name in ("FailOn", "IgnoreRule"):
            from pipvet import policy_schema

            return getattr(policy_schema, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_INDEX_URL",
    "DEFAULT_OSV_URL",
    "DEFAULT_TOP_PACKAGES_URL",
    "FailOn",
    "IgnoreRule",
    "Policy",
    "Sources",
    "apply_ignores",
    "fails",
    "finding_fails",
    "list_local_builds",
    "load_policy",
    "parse_policy",
    "resolve_sources",
    "stale_data_fails",
    "unlisted_replacements",
    "utc_date",
]

DEFAULT_OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_INDEX_URL = "https://pypi.org"
DEFAULT_TOP_PACKAGES_URL = (
    "https://hugovk.github.io/top-pypi-packages/top-pypi-packages-30-days.min.json"
)

# An ignore that outlives this many days is probably forgotten; say so (a warning).
_LONG_IGNORE_DAYS = 366


def utc_date(epoch: float) -> date:
    """The date in UTC at ``epoch`` (unix time): what "today" is to an ignore's ``expires``.

    A ``today`` argument here is that date or a function giving it, called only when there
    is an ignore: datetime, which makes it, is not imported by a run whose policy has none."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).date()


def _date(today: date | Callable[[], date]) -> date:
    return today() if callable(today) else today


@frozen
class Policy:
    """A validated policy. ``source`` is the file it came from, None for the defaults.

    Data-source values that were relative paths in the file are already resolved against the
    file's folder; URLs are kept as written.
    """

    source: Path | None = None
    fail_on: FailOn = "any"
    unknown_severity: UnknownSeverity = "fail"
    max_age_hours: float = 24.0
    max_data_age_days: int = 7
    stale_data: StaleData = "warn"
    cooldown_days: int = 3
    ignores: tuple[IgnoreRule, ...] = ()
    local_installs: LocalInstalls = "audit"
    vet_fail_on: VetFailOn = "avoid"
    on_review: OnReview = "ask"
    min_maintainers: int = 2
    max_maintainers: int = 5
    max_new_dependencies: int = 20
    min_project_age_days: int = 30
    max_release_silence_days: int = 365
    http_timeout: float = 60.0  # seconds one HTTP request may take, retries included
    internal: tuple[str, ...] = ()
    osv_url: str | None = None
    osv_overlay: str | None = None
    # Public advisory ids the overlay may replace without failing --ci: a replacement can
    # silence a public finding, so it is reviewed here, like an ignore.
    overlay_replaces: tuple[str, ...] = ()
    index_url: str | None = None
    top_packages_url: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def is_internal(self, name: str) -> bool:
        """True when ``name`` (any spelling) matches an ``internal`` pattern."""
        canonical = canonicalize_name(name)
        return any(fnmatch.fnmatchcase(canonical, p) for p in self.internal)


# ---------------------------------------------------------------------------- finding the file


def load_policy(
    start: Path, explicit: Path | None = None, *, today: date | Callable[[], date]
) -> Policy:
    """Find, read and validate the policy (see the module docstring for the search order).

    ``today`` (a date, or a function called for it when there is an ignore: see utc_date) is
    only used to warn about ignores that expire more than a year ahead (they are applied; the
    warning lands in ``Policy.warnings``). Raises PolicyError when ``explicit``
    does not exist or a policy file is invalid.
    """
    if explicit is not None:
        if not explicit.is_file():
            problem = "is a folder, not a file" if explicit.is_dir() else "does not exist"
            raise PolicyError(
                f"policy file {explicit} {problem}",
                hint="give --policy the path of a pipvet.toml or pyproject.toml file",
            )
        in_pyproject = explicit.name == "pyproject.toml"
        data = read_toml(explicit)
        table = pipvet_table(explicit, data) if in_pyproject else data
        if table is None:
            raise PolicyError(
                f"{explicit} has no [tool.pipvet] table",
                hint="add a [tool.pipvet] table, or pass a pipvet.toml file",
            )
        return parse_policy(table, explicit, in_pyproject=in_pyproject, today=today)

    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    skipped: list[str] = []  # another user's file where every user can write: not applied
    found: Policy | None = None
    for current in (folder, *folder.parents):
        pipvet_toml, pyproject = current / "pipvet.toml", current / "pyproject.toml"
        if candidate(pipvet_toml, skipped):
            found = parse_policy(read_toml(pipvet_toml), pipvet_toml, today=today)
            if candidate(pyproject, []) and has_pipvet_table(pyproject):
                note = (
                    f"both {pipvet_toml.name} and [tool.pipvet] in {pyproject.name} exist in "
                    f"{current}; using {pipvet_toml.name} (remove one to avoid confusion)"
                )
                found = replace(found, warnings=(note, *found.warnings))
            break
        if candidate(pyproject, skipped):
            table = pyproject_table(pyproject)
            if table is not None:
                found = parse_policy(table, pyproject, in_pyproject=True, today=today)
                break
    policy = found or Policy()
    return replace(policy, warnings=(*skipped, *policy.warnings)) if skipped else policy


# ---------------------------------------------------------------------------- validation


def parse_policy(
    table: Mapping[str, Any],
    source: Path,
    *,
    in_pyproject: bool = False,
    today: date | Callable[[], date],
) -> Policy:
    """Validate one policy table; raise PolicyError listing every problem."""
    if not table:  # nothing to check: the defaults (a blank pipvet.toml, an empty table)
        return Policy(source=source)
    from pipvet.policy_schema import check_table

    header = "[[tool.pipvet.ignore]]" if in_pyproject else "[[ignore]]"
    values, problems = check_table(table, source.parent, ignore_header=header)
    lo = values.get("min_maintainers", Policy.min_maintainers)
    hi = values.get("max_maintainers", Policy.max_maintainers)
    if lo > hi:
        problems.append(
            f"min-maintainers ({lo}) is greater than max-maintainers ({hi}); "
            "every package would need review"
        )
    where = f"{source} [tool.pipvet]" if in_pyproject else str(source)
    if problems:
        raise PolicyError(
            f"invalid policy in {where}",
            problems=tuple(problems),
            hint="fix the keys listed above; unknown keys are errors so typos cannot hide",
        )
    ignores: tuple[IgnoreRule, ...] = values.get("ignores", ())
    now = _date(today) if ignores else None
    warnings = tuple(
        f"{where}: the ignore for {rule.id} expires on {rule.expires.isoformat()}, more than "
        "a year from today; shorter expiry dates make sure accepted risks are looked at again"
        for rule in ignores
        if now is not None and (rule.expires - now).days > _LONG_IGNORE_DAYS
    )
    return Policy(source=source, warnings=warnings, **values)


# ---------------------------------------------------------------------------- ignores


def apply_ignores(
    results: Sequence[DependencyResult], policy: Policy, today: date | Callable[[], date]
) -> tuple[tuple[DependencyResult, ...], tuple[IgnoreNote, ...]]:
    """Mark findings the policy ignores; report expired and unused ignores.

    A finding stays in the results with ``ignored=True`` and the rule's reason. Expired rules
    (``expires`` before ``today``) are not applied and are noted as "expired"; live rules that
    matched nothing are noted as "unused". Malware findings are never ignored.
    """
    now = _date(today) if policy.ignores else None
    live = [rule for rule in policy.ignores if now is not None and rule.expires >= now]
    used: set[int] = set()
    out: list[DependencyResult] = []
    for result in results if live else ():  # (no rule in force: every result as it is)
        dep = result.dependency
        findings: list[Finding] = []
        changed = False
        for finding in result.findings:
            marked = finding
            if live and not finding.ignored and finding.kind != "malware":
                for index, rule in enumerate(live):
                    if rule.matches(finding, dep.name, dep.version):
                        used.add(index)
                        marked = replace(finding, ignored=True, ignore_reason=rule.reason)
                        changed = True
                        break
            findings.append(marked)
        # Unchanged results are kept as they are: copying thousands costs real time.
        out.append(replace(result, findings=tuple(findings)) if changed else result)

    notes: list[IgnoreNote] = []
    live_index = {id(rule): i for i, rule in enumerate(live)}
    for rule in policy.ignores:
        position = live_index.get(id(rule))
        if position is None:
            notes.append(IgnoreNote(rule.id, "expired", rule.reason, rule.expires.isoformat()))
        elif position not in used:
            notes.append(IgnoreNote(rule.id, "unused", rule.reason, rule.expires.isoformat()))
    return tuple(out) if live else tuple(results), tuple(notes)


LISTED_LOCAL_BUILD = 'local build, listed only (local-installs = "list")'


def list_local_builds(
    results: Sequence[DependencyResult], policy: Policy
) -> tuple[DependencyResult, ...]:
    """With ``local-installs = "list"``, mark the active vulnerability findings of local
    builds (editable, local-folder, VCS and URL installs) ignored, so they are listed and do
    not fail. Malware still fails: the label comes from ``direct_url.json``, which a wheel can
    write itself, so it must never be what lets a malicious package pass."""
    if policy.local_installs != "list":
        return tuple(results)
    return tuple(
        replace(
            result,
            findings=tuple(
                replace(f, ignored=True, ignore_reason=LISTED_LOCAL_BUILD)
                if not f.ignored and f.kind != "malware"
                else f
                for f in result.findings
            ),
        )
        if result.dependency.local_build is not None
        else result
        for result in results
    )


# ---------------------------------------------------------------------------- deciding


def finding_fails(finding: Finding, fail_on: FailOn, unknown: UnknownSeverity = "fail") -> bool:
    """Does this finding alone make the audit fail (exit 1)? ``unknown`` is the policy's
    ``unknown-severity``: what a finding without any severity rating does."""
    if finding.ignored:
        return False
    if finding.kind == "malware" or fail_on == "any":
        return True
    label = finding.severity.label
    if label == SeverityLabel.UNKNOWN:
        # Cannot be shown to be below the threshold: fails closed unless the policy says not.
        return unknown == "fail"
    return label >= fail_on


def stale_data_fails(report: AuditReport, policy: Policy, *, ci: bool = False) -> bool:
    """True when the advisory data is older than ``max-data-age-days`` and that must fail the
    command (exit 2): with ``--ci`` or ``stale-data = "fail"``. Otherwise it is a warning."""
    return report.snapshot.stale and (ci or policy.stale_data == "fail")


def unlisted_replacements(snapshot: Snapshot, policy: Policy) -> tuple[str, ...]:
    """The public advisory ids the overlay replaces that ``overlay-replaces`` does not list:
    with ``--ci`` they fail the command (exit 2), otherwise they are a warning."""
    allowed = set(policy.overlay_replaces)
    return tuple(i for i in snapshot.overlay_replaced if i not in allowed)


def fails(report: AuditReport, policy: Policy | None = None) -> bool:
    """True when any non-ignored finding fails at the policy's level (else the report's)."""
    fail_on = report.fail_on if policy is None else policy.fail_on
    unknown = report.unknown_severity if policy is None else policy.unknown_severity
    return any(finding_fails(f, fail_on, unknown) for r in report.results for f in r.findings)


# ---------------------------------------------------------------------------- data sources

_SOURCE_KEYS = (
    # field, CLI flag, environment variable, default
    ("osv_url", "--osv-url", "PIPVET_OSV_URL", DEFAULT_OSV_URL),
    ("osv_overlay", "--osv-overlay", "PIPVET_OSV_OVERLAY", None),
    ("index_url", "--index-url", "PIPVET_INDEX_URL", DEFAULT_INDEX_URL),
    ("top_packages_url", "--top-packages-url", "PIPVET_TOP_PACKAGES_URL", DEFAULT_TOP_PACKAGES_URL),
)


@frozen
class Sources:
    """Where each kind of data comes from, and why (``origins``: field -> who chose it)."""

    osv_url: str
    osv_overlay: str | None
    index_url: str
    top_packages_url: str
    origins: tuple[tuple[str, str], ...] = ()

    def origin(self, name: str) -> str:
        """Who chose a source: a flag, an environment variable, the policy file or "default"."""
        return dict(self.origins).get(name, "default")


def resolve_sources(
    policy: Policy,
    environ: Mapping[str, str],
    *,
    osv_url: str | None = None,
    osv_overlay: str | None = None,
    index_url: str | None = None,
    top_packages_url: str | None = None,
) -> Sources:
    """Pick each data source: command-line flag, then environment variable, then policy, then
    the default. Empty values count as unset. Trailing slashes are removed from the OSV and
    index base URLs. Flag and environment values are used as given (a relative path there is
    relative to the working directory); policy values were resolved when the policy was read.
    """
    cli = {
        "osv_url": osv_url,
        "osv_overlay": osv_overlay,
        "index_url": index_url,
        "top_packages_url": top_packages_url,
    }
    chosen: dict[str, str | None] = {}
    origins: list[tuple[str, str]] = []
    for name, flag, env_name, default in _SOURCE_KEYS:
        from_policy = getattr(policy, name)
        candidates = (
            (cli[name], flag),
            (environ.get(env_name), env_name),
            (from_policy, f"policy file {policy.source}"),
            (default, "default"),
        )
        value, origin = next(((v, o) for v, o in candidates if v), (None, "default"))
        if value is not None and origin in (flag, env_name) and value.startswith("~"):
            # The policy's paths were expanded when it was read; a flag or variable here.
            value = str(expand_home(value, origin=origin))
        refuse_unusable_url(value or "", origin)
        if value is not None and name in ("osv_url", "index_url") and len(value) > 1:
            value = value.rstrip("/") or value
        chosen[name] = value
        origins.append((name, origin))
    return Sources(
        osv_url=chosen["osv_url"] or DEFAULT_OSV_URL,
        osv_overlay=chosen["osv_overlay"],
        index_url=chosen["index_url"] or DEFAULT_INDEX_URL,
        top_packages_url=chosen["top_packages_url"] or DEFAULT_TOP_PACKAGES_URL,
        origins=tuple(origins),
    )
