"""The policy file's keys: what each may hold, and the message when it holds something else.

``check_table`` validates one policy table (top-level keys of ``pipvet.toml`` or the
``[tool.pipvet]`` table of ``pyproject.toml``) and returns the values it accepted plus every
problem it found, so the caller can report them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path

from pipvet.errors import UsageError
from pipvet.frozen import frozen
from pipvet.models import (
    Finding,
    NormalizedName,
    SeverityLabel,
    canonicalize_name,
    is_project_name,
)

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any, Literal, TypeAlias

    # Imported where an ignore has a version range: most runs have no policy file at all.
    from packaging.specifiers import SpecifierSet

__all__ = [
    "FailOn",
    "IgnoreRule",
    "LocalInstalls",
    "OnReview",
    "StaleData",
    "UnknownSeverity",
    "VetFailOn",
    "check_table",
    "show_toml",
]

FailOn: TypeAlias = 'SeverityLabel | Literal["any"]'
# What a finding whose advisories give no severity rating does at a fail level above "any".
UnknownSeverity: TypeAlias = 'Literal["fail", "ignore"]'
VetFailOn: TypeAlias = 'Literal["avoid", "review"]'
OnReview: TypeAlias = 'Literal["ask", "allow", "block"]'
StaleData: TypeAlias = 'Literal["warn", "fail"]'
LocalInstalls: TypeAlias = 'Literal["audit", "list"]'

_FAIL_ON: dict[str, FailOn] = {
    "any": "any",
    "low": SeverityLabel.LOW,
    "medium": SeverityLabel.MEDIUM,
    "high": SeverityLabel.HIGH,
    "critical": SeverityLabel.CRITICAL,
}


@frozen
class IgnoreRule:
    """One ``[[ignore]]`` entry: accept a finding until ``expires`` (inclusive), for a reason."""

    id: str
    reason: str
    expires: date
    package: NormalizedName | None = None
    versions: SpecifierSet | None = None

    def matches(self, finding: Finding, name: NormalizedName, version: str | None) -> bool:
        wanted = self.id.casefold()
        if all(i.casefold() != wanted for i in finding.all_ids):
            return False
        if self.package is not None and self.package != canonicalize_name(name):
            return False
        if self.versions is not None:
            # Only an ignore limited to versions needs packaging (its SpecifierSet is one).
            from packaging.version import InvalidVersion, Version

            try:
                installed = Version(version or "")
            except InvalidVersion:
                return False  # cannot show the version is inside the range: do not ignore
            return self.versions.contains(installed, prereleases=True)
        return True


def check_table(
    table: Mapping[str, Any], base_dir: Path, *, ignore_header: str = "[[ignore]]"
) -> tuple[dict[str, Any], list[str]]:
    """Validate every key; return (accepted values by Policy field name, problems).

    Relative paths in data-source keys are resolved against ``base_dir`` (the policy's folder).
    """
    v = _Validator(base_dir, ignore_header)
    values: dict[str, Any] = {}
    for key, value in table.items():
        spec = _KEYS.get(key)
        if spec is None:
            v.unknown(key, _KEYS)
            continue
        attr, check = spec
        result = check(v, key, value)
        if result is not _BAD:
            values[attr] = result
    return values, v.problems


class _Bad:
    """Marker: the value was rejected (the problem is already recorded)."""


_BAD = _Bad()


class _Validator:
    """Checks one policy's values and collects what is wrong with them."""

    def __init__(self, base_dir: Path, ignore_header: str) -> None:
        self.base_dir = base_dir
        self.ignore_header = ignore_header
        self.problems: list[str] = []

    def unknown(self, key: str, valid: Mapping[str, object], prefix: str = "") -> None:
        import difflib  # only for a mistyped key

        normal = key.lower().replace("_", "-").replace(" ", "-")
        close = difflib.get_close_matches(normal, list(valid), n=1, cutoff=0.6)
        if close:
            self.problems.append(f'{prefix}{key}: unknown key; did you mean "{close[0]}"?')
        else:
            names = ", ".join(sorted(valid))
            self.problems.append(f"{prefix}{key}: unknown key; valid keys are {names}")

    def bad(self, key: str, message: str) -> _Bad:
        self.problems.append(f"{key}: {message}")
        return _BAD


def show_toml(value: object) -> str:
    """A value as it would look in TOML, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(show_toml(x) for x in value) + "]"
    return str(value)


def _choice(allowed: Mapping[str, object]) -> Callable[[_Validator, str, object], object]:
    def check(v: _Validator, key: str, value: object) -> object:
        if isinstance(value, str) and value in allowed:
            return allowed[value]
        options = ", ".join(f'"{a}"' for a in allowed)
        return v.bad(key, f"{show_toml(value)} is not allowed; use one of {options}")

    return check


def _count(minimum: int, maximum: int, unit: str) -> Callable[[_Validator, str, object], object]:
    """A whole number in ``minimum..maximum``: every number the policy accepts is bounded, so
    a typo like ``cooldown-days = 800000`` is a policy error, not an overflow in ``update``."""

    def check(v: _Validator, key: str, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum:
            return value
        return v.bad(
            key,
            f"expected a whole number of {unit} from {minimum} to {maximum}; "
            f"got {_cut(show_toml(value))}",
        )

    return check


_MAX_DAYS = 3650  # ten years: a cooldown or an age threshold beyond that is a typo
_MAX_HOURS = 87600  # ten years in hours
_MAX_COUNT = 10_000


def _bounded(minimum: int, maximum: int, unit: str) -> Callable[[_Validator, str, object], object]:
    def check(v: _Validator, key: str, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum:
            return value
        want = f"a whole number of {unit} from {minimum} to {maximum}"
        return v.bad(key, f"expected {want}; got {show_toml(value)}")

    return check


def _hours(v: _Validator, key: str, value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= _MAX_HOURS:
        return float(value)
    return v.bad(
        key, f"expected a number of hours from 0 to {_MAX_HOURS}; got {_cut(show_toml(value))}"
    )


MAX_HTTP_TIMEOUT = 3600


def _seconds(v: _Validator, key: str, value: object) -> object:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, (int, float)) and number and 1 <= value <= MAX_HTTP_TIMEOUT:
        return float(value)
    return v.bad(
        key,
        f"expected a number of seconds from 1 to {MAX_HTTP_TIMEOUT}; got {_cut(show_toml(value))}",
    )


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# Patterns as text, compiled (and cached by re) when a policy has a key that needs them:
# compiling the five at import was ~2M instructions of every run, most with no policy file.
_GLOB_SEPARATORS = r"[-_.]+"


def _internal(v: _Validator, key: str, value: object) -> object:
    if isinstance(value, list) and all(isinstance(p, str) and p.strip() for p in value):
        # Patterns are compared with canonical names, so canonicalise them the same way.
        return tuple(re.sub(_GLOB_SEPARATORS, "-", p.strip().lower()) for p in value)
    return v.bad(
        key, f'expected a list of name patterns such as ["acme-*"]; got {show_toml(value)}'
    )


def _advisory_ids(v: _Validator, key: str, value: object) -> object:
    if isinstance(value, list) and all(isinstance(i, str) and _is_id(i) for i in value):
        return tuple(sorted({i.strip() for i in value}))
    return v.bad(
        key, f'expected a list of advisory ids such as ["PYSEC-2024-1"]; got {show_toml(value)}'
    )


_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _is_id(text: str) -> bool:
    return re.match(_ID, text.strip()) is not None


_URL = r"^[A-Za-z][A-Za-z0-9+.-]*:"
_WINDOWS_DRIVE = r"^[A-Za-z]:[\\/]"


def _location(v: _Validator, key: str, value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        return v.bad(key, f"expected a URL or a path as a string; got {show_toml(value)}")
    text = value.strip()
    if re.match(_URL, text) and not re.match(_WINDOWS_DRIVE, text):
        return text
    from pipvet.system.paths import expand_home

    try:
        path = expand_home(text, origin=key)
    except UsageError as exc:
        return v.bad(key, exc.message.removeprefix(f"{key}: ") + "; write the full path")
    # A relative path means "next to the policy file", not "wherever pipvet was started".
    return str(path if path.is_absolute() else v.base_dir / path)


_IGNORE_KEYS = ("id", "reason", "expires", "package", "versions")
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _ignores(v: _Validator, key: str, value: object) -> object:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        got = show_toml(value)
        return v.bad(
            key, f"expected {v.ignore_header} tables with id, reason and expires; got {got}"
        )
    rules: list[IgnoreRule] = []
    before = len(v.problems)
    for number, entry in enumerate(value, start=1):
        rule = _ignore_rule(v, number, entry)
        if rule is not None:
            rules.append(rule)
    return _BAD if len(v.problems) > before else tuple(rules)


def _ignore_rule(v: _Validator, number: int, entry: Mapping[str, Any]) -> IgnoreRule | None:
    raw_id = entry.get("id")
    label = f"ignore #{number}"
    if isinstance(raw_id, str) and raw_id.strip():
        label += f" ({raw_id.strip()})"
    before = len(v.problems)
    for key in entry:
        if key not in _IGNORE_KEYS:
            v.unknown(key, dict.fromkeys(_IGNORE_KEYS), prefix=f"{label}: ")

    if raw_id is None:
        v.bad(label, 'id: required (the advisory id to ignore, e.g. "PYSEC-2018-28")')
    elif not isinstance(raw_id, str) or not raw_id.strip():
        v.bad(
            label, f'id: expected an advisory id such as "PYSEC-2018-28"; got {show_toml(raw_id)}'
        )
    elif raw_id.strip().upper().startswith("MAL-"):
        v.bad(label, "id: malware cannot be ignored; remove the package instead")

    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        got = "nothing" if reason is None else show_toml(reason)
        v.bad(label, f"reason: required, say why this finding is acceptable; got {got}")

    expires = _expiry(v, label, entry.get("expires"))

    package: NormalizedName | None = None
    raw_package = entry.get("package")
    if raw_package is not None:
        if isinstance(raw_package, str) and is_project_name(raw_package.strip()):
            package = canonicalize_name(raw_package.strip())
        else:
            v.bad(label, f"package: {show_toml(raw_package)} is not a valid package name")

    versions: SpecifierSet | None = None
    raw_versions = entry.get("versions")
    if raw_versions is not None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            if not isinstance(raw_versions, str):
                raise InvalidSpecifier(str(raw_versions))
            versions = SpecifierSet(raw_versions)
        except InvalidSpecifier:
            v.bad(
                label,
                f"versions: {show_toml(raw_versions)} is not a version specifier; "
                'write one like "<2.20" or ">=1.0,<1.4"',
            )

    if len(v.problems) > before or not isinstance(raw_id, str) or not isinstance(reason, str):
        return None
    if expires is None:
        return None
    return IgnoreRule(raw_id.strip(), reason.strip(), expires, package, versions)


def _expiry(v: _Validator, label: str, value: object) -> date | None:
    if value is None:
        v.bad(label, "expires: required, the last day this ignore applies (YYYY-MM-DD)")
        return None
    if isinstance(value, datetime):
        v.bad(label, f"expires: {show_toml(value)} has a time; give a date only (YYYY-MM-DD)")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.match(_DATE, value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    v.bad(label, f"expires: {show_toml(value)} is not a date; write it as YYYY-MM-DD")
    return None


_KEYS: dict[str, tuple[str, Callable[[_Validator, str, Any], object]]] = {
    "fail-on": ("fail_on", _choice(_FAIL_ON)),
    "unknown-severity": ("unknown_severity", _choice({"fail": "fail", "ignore": "ignore"})),
    "max-age-hours": ("max_age_hours", _hours),
    # OSV's PyPI data changes every day: a newest record older than this means the mirror
    # stopped updating. Above a year the check would mean nothing.
    "max-data-age-days": ("max_data_age_days", _bounded(1, 365, "days")),
    "stale-data": ("stale_data", _choice({"warn": "warn", "fail": "fail"})),
    "cooldown-days": ("cooldown_days", _count(0, _MAX_DAYS, "days")),
    "ignore": ("ignores", _ignores),
    # Editable, local-folder, VCS and URL installs: their findings fail ("audit") or are only
    # listed ("list"); either way they are matched by name and version, and malware fails.
    "local-installs": ("local_installs", _choice({"audit": "audit", "list": "list"})),
    "vet-fail-on": ("vet_fail_on", _choice({"avoid": "avoid", "review": "review"})),
    "on-review": ("on_review", _choice({"ask": "ask", "allow": "allow", "block": "block"})),
    "min-maintainers": ("min_maintainers", _count(0, _MAX_COUNT, "maintainers")),
    "max-maintainers": ("max_maintainers", _count(1, _MAX_COUNT, "maintainers")),
    "max-new-dependencies": ("max_new_dependencies", _count(0, _MAX_COUNT, "packages")),
    "min-project-age-days": ("min_project_age_days", _count(0, _MAX_DAYS, "days")),
    "max-release-silence-days": ("max_release_silence_days", _count(0, _MAX_DAYS, "days")),
    "http-timeout": ("http_timeout", _seconds),
    "internal": ("internal", _internal),
    "osv-url": ("osv_url", _location),
    "osv-overlay": ("osv_overlay", _location),
    "overlay-replaces": ("overlay_replaces", _advisory_ids),
    "index-url": ("index_url", _location),
    "top-packages-url": ("top_packages_url", _location),
}
