"""Value types of the credential-exposure inventory (``pipvet exposure``).

An ``Exposure`` names a credential a process running as this user could read, and where it
is — never its value. Nothing in these types can hold a secret: checkers record names
(profiles, hosts, variable names, key file names) and locations only.
"""

from __future__ import annotations

import enum
from typing import Literal

from pipvet.frozen import frozen

__all__ = [
    "GENERAL_ADVICE",
    "Exposure",
    "ExposureReport",
    "ExposureSummary",
    "Harm",
    "Lifetime",
    "Unreadable",
    "summarize",
]

# Shown under every exposure report: what to do about what it lists.
GENERAL_ADVICE = (
    "Any package you install runs with your permissions and can read everything listed here. "
    "The strongest fix is a partition: do dependency work as a separate OS user, in a "
    "container or on a separate machine that holds none of these credentials. Otherwise "
    "prefer short-lived credentials (SSO, role sessions, OAuth logins that expire), credential "
    "helpers and keyrings over plain-text files, and a passphrase plus ssh-agent for SSH keys."
)


class Harm(enum.IntEnum):
    """What a thief could do with a credential, most harmful first (lower value ranks higher).

    Cloud keys come first because they cost money and expose data at once (mining on your
    bill, copying buckets). Publishing rights next: they turn you into the next supply-chain
    attack on everyone who installs your packages. Source code: repositories, their CI secrets
    and the servers that trust your keys. Identity: accounts and services that act as you.
    """

    CLOUD_BILL = 1
    PUBLISHING = 2
    SOURCE_CODE = 3
    IDENTITY = 4

    @property
    def label(self) -> str:
        return _HARM_LABELS[self]

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")


_HARM_LABELS = {
    Harm.CLOUD_BILL: "cloud bill",
    Harm.PUBLISHING: "publishing rights",
    Harm.SOURCE_CODE: "source code",
    Harm.IDENTITY: "identity",
}

# "unknown" is counted as long-lived wherever a decision depends on it: fail closed.
Lifetime = Literal["long-lived", "short-lived", "unknown"]
_LIFETIME_ORDER = {"long-lived": 0, "unknown": 1, "short-lived": 2}


@frozen
class Exposure:
    """One credential (or group of credentials in one place) readable by this process.

    ``kind`` is a stable identifier (``aws-static-keys``, ``env-secret``, ``ssh-key``...),
    ``what`` a plain-language description, ``location`` a path (``~`` for the home folder) or
    ``environment``, ``names`` the profiles, hosts or variable names involved — never values.
    ``protected`` means the secret is not stored in readable form here (a passphrase, a
    credential helper, the OS keyring): listed so the user sees it was checked, but not counted
    as exposed.
    """

    kind: str
    what: str
    location: str
    harm: Harm
    lifetime: Lifetime
    advice: str
    names: tuple[str, ...] = ()
    protected: bool = False

    @property
    def sort_key(self) -> tuple[int, int, int, str, str]:
        return (
            int(self.protected),
            int(self.harm),
            _LIFETIME_ORDER[self.lifetime],
            self.location,
            self.kind,
        )


@frozen
class Unreadable:
    """A credential location that exists but this process could not read (that is good)."""

    location: str
    reason: str


@frozen
class ExposureReport:
    """The inventory: exposures ranked by harm, unreadable locations, and what was checked."""

    home: str
    project: str
    exposures: tuple[Exposure, ...]
    unreadable: tuple[Unreadable, ...]
    checked: tuple[str, ...]

    @property
    def exposed(self) -> tuple[Exposure, ...]:
        return tuple(e for e in self.exposures if not e.protected)

    @property
    def protected(self) -> tuple[Exposure, ...]:
        return tuple(e for e in self.exposures if e.protected)


@frozen
class ExposureSummary:
    """What ``pipvet doctor`` needs: counts, the worst harm, and the long-lived ones.

    ``long_lived`` counts exposed credentials whose lifetime is long-lived or unknown.
    """

    exposed: int
    long_lived: int
    protected: int
    unreadable: int
    by_harm: tuple[tuple[Harm, int], ...]
    worst: Harm | None
    top: tuple[str, ...]  # "what (location)" of the highest-ranked exposures, at most five

    @property
    def clean(self) -> bool:
        return self.exposed == 0


def summarize(report: ExposureReport) -> ExposureSummary:
    exposed = report.exposed
    counts = {h: sum(1 for e in exposed if e.harm is h) for h in Harm}
    return ExposureSummary(
        exposed=len(exposed),
        long_lived=sum(1 for e in exposed if e.lifetime != "short-lived"),
        protected=len(report.protected),
        unreadable=len(report.unreadable),
        by_harm=tuple((h, n) for h, n in counts.items() if n),
        worst=min((e.harm for e in exposed), default=None),
        top=tuple(f"{e.what} ({e.location})" for e in exposed[:5]),
    )
