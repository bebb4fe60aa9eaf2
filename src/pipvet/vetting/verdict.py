"""Combine signals into a verdict. Pure.

``avoid`` wins over everything: one certain reason is enough. Otherwise a signal that could
not be checked makes the verdict ``unchecked``: the missing check might have said ``avoid``
(malware, a squatted name), so pipvet will not say ``ok`` or even ``review``. Otherwise
``review`` if any signal asks for a look, else ``ok``. ``info`` never moves the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipvet.vetting.model import Signal, VetVerdict

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Literal

__all__ = ["combine", "reaches"]

_RANK: dict[str, int] = {"ok": 0, "review": 1, "unchecked": 2, "avoid": 3}


def combine(signals: Iterable[Signal]) -> VetVerdict:
    """The verdict on a package from its signals (see the module docstring)."""
    verdict: VetVerdict = "ok"
    for signal in signals:
        level = signal.level
        if level == "info":
            continue
        if _RANK[level] > _RANK[verdict]:
            verdict = level
    return verdict


def reaches(verdict: VetVerdict, fail_on: Literal["avoid", "review"]) -> bool:
    """Does ``verdict`` reach the policy's ``vet-fail-on`` level (exit code 1)?"""
    if fail_on == "review":
        return verdict in ("review", "avoid")
    return verdict == "avoid"
