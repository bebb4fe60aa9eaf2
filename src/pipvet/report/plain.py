"""Whether cleaning (``safe.shown``, ``safe.shown_json``) would leave a dependency's result as it
is, told without walking it: a report is mostly its results, and walking ~1,700 values field
by field cost a text report more than writing it.

A result is left as it is when every string in it is, and every other value in it is one the
walk returns as it is (None, a bool, an int, a float, a severity label). The strings are
joined as lines and tested once: each test a cleaning function gives (a control character,
"##[", "::" at a line's start, an "@" with a "://") finds in the joined text whatever it finds
in any one string, so a joined text that passes means every string does. The fields are read from
the model's own field lists: a field this module does not know how to read makes every result
take the walk (slower, never wrong), and a test says so.

Pure: no I/O; imported by ``safe`` only once ``pipvet.models`` is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from pipvet.frozen import fields
from pipvet.models import Dependency, DependencyResult, Finding, Location, Severity, SeverityLabel

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["results_unchanged"]

# What the walk returns as it is; str is tested by the cleaning function's own test. Exact
# types: a subclass could print (str()) as something other than what the walk cleans.
_LEAVES = frozenset({str, type(None), bool, int, float, SeverityLabel})
_is_str = str.__instancecheck__  # isinstance(value, str), as a C function of one argument


def _reader(kind: type, nested: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]] | None:
    """The init fields of ``kind`` other than ``nested``, read at once; None when a field in
    ``nested`` is not one of them (the model changed: every result takes the walk)."""
    names = [f.name for f in fields(kind) if f.init]
    if not set(nested) <= set(names):
        return None
    flat = [name for name in names if name not in nested]
    if not flat:
        return lambda value: ()
    getter = attrgetter(*flat)
    return (lambda value: (getter(value),)) if len(flat) == 1 else getter


# The fields that hold values of other model types (read below), per type; every other field
# of each type must hold a leaf.
_RESULT = _reader(DependencyResult, ("dependency", "findings"))
_DEPENDENCY = _reader(Dependency, ("location",))
_LOCATION = _reader(Location, ())
_FINDING = _reader(Finding, ("severity", "aliases", "fixed_in", "records"))
_SEVERITY = _reader(Severity, ())


def results_unchanged(results: tuple[Any, ...], needs_cleaning: Callable[[str], bool]) -> bool:
    """Whether the walk would return each of ``results`` itself: True only when
    ``needs_cleaning`` (which must find in a text whatever it finds in any line of it) passes
    the strings of results of exactly the model's types, joined as lines, and every other
    value in them is a leaf. False means "walk them", not "they change". All of a report's
    results are tested at once: a test per result cost more than the strings' own scan."""
    if (
        _RESULT is None
        or _DEPENDENCY is None
        or _LOCATION is None
        or _FINDING is None
        or _SEVERITY is None
    ):
        return False
    values: list[Any] = []
    for result in results:
        if type(result) is not DependencyResult:
            return False
        dependency = result.dependency
        findings = result.findings
        if type(dependency) is not Dependency or type(findings) is not tuple:
            return False
        values += _RESULT(result)
        values += _DEPENDENCY(dependency)
        location = dependency.location
        if location is not None:
            if type(location) is not Location:
                return False
            values += _LOCATION(location)
        for finding in findings:
            if type(finding) is not Finding:
                return False
            severity = finding.severity
            aliases, fixed_in, records = finding.aliases, finding.fixed_in, finding.records
            if (
                type(severity) is not Severity
                or type(aliases) is not tuple
                or type(fixed_in) is not tuple
                or type(records) is not tuple
            ):
                return False
            values += _FINDING(finding)
            values += _SEVERITY(severity)
            values += aliases
            values += fixed_in
            values += records
    if not set(map(type, values)) <= _LEAVES:
        return False
    return not needs_cleaning("\n".join(filter(_is_str, values)))
