from __future__ import annotations

import pytest

from pipvet.vetting.model import Signal, SignalLevel, VetVerdict
from pipvet.vetting.verdict import combine, reaches


def sig(level: SignalLevel, signal_id: str = "x") -> Signal:
    return Signal(signal_id, level, None, None, "test", "")


@pytest.mark.parametrize(
    ("levels", "verdict"),
    [
        ((), "ok"),
        (("ok", "ok"), "ok"),
        (("ok", "info", "info"), "ok"),  # notes never move the verdict
        (("ok", "review"), "review"),
        (("review", "info", "ok"), "review"),
        (("review", "avoid", "ok"), "avoid"),
        (("avoid", "unchecked"), "avoid"),  # one certain reason is enough
        (("unchecked", "review"), "unchecked"),  # the missing check could have said avoid
        (("ok", "unchecked"), "unchecked"),
    ],
)
def test_combine(levels: tuple[SignalLevel, ...], verdict: VetVerdict) -> None:
    assert combine(sig(level) for level in levels) == verdict


@pytest.mark.parametrize(
    ("verdict", "fail_on", "fails"),
    [
        ("avoid", "avoid", True),
        ("review", "avoid", False),
        ("ok", "avoid", False),
        ("unchecked", "avoid", False),  # unchecked is exit 2, not a finding
        ("internal", "avoid", False),
        ("review", "review", True),
        ("avoid", "review", True),
        ("ok", "review", False),
    ],
)
def test_reaches(verdict: VetVerdict, fail_on: str, fails: bool) -> None:
    assert reaches(verdict, fail_on) is fails  # type: ignore[arg-type]
