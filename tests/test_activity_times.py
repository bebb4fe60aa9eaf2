"""The activity figures are worked out on upload times as numbers, making a time only where a
figure needs one: the same figures as making every release's time first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import NormalizedName

from pipvet.index.packed import DistFile
from pipvet.index.parse import ProjectInfo, Release
from pipvet.vetting import project_signals as P
from pipvet.vetting.model import Thresholds

NOW = datetime(2026, 11, 27, 11, 1, 0, 123456, tzinfo=UTC)
DAY = 86400.0


Figures = tuple[datetime, datetime, int, tuple[int | None, datetime | None], bool]


def _reference(uploads: list[float]) -> Figures:
    """The figures as activity first worked them out, a time per release."""
    dated = sorted(datetime.fromtimestamp(u, UTC) for u in uploads)
    recent = sum(1 for t in dated if NOW - t <= timedelta(days=730))
    gap: tuple[int | None, datetime | None] = (None, None)
    if len(dated) >= 2:
        times = sorted(set(dated))
        earlier = [t for t in times if (times[-1] - t).days > 0]
        if earlier:
            gap = (times[-1] - earlier[-1]).days, times[-1]
    return dated[0], dated[-1], recent, gap, (NOW - dated[-1]).days > 365


# Times around the edges the figures cut at (two years before now, a day before the newest
# release, a microsecond's rounding), and anywhere.
_EDGE = st.sampled_from([NOW.timestamp() - 730 * DAY, NOW.timestamp() - 3 * DAY, 1.5e9])
_NEAR = st.builds(
    lambda edge, days, nudge: edge + days * DAY + nudge,
    _EDGE,
    st.integers(-3, 3),
    st.sampled_from([0.0, 1e-7, -1e-7, 5e-7, -5e-7, 4.9e-7, 1e-6, -1e-6, 0.3]),
)
_UPLOADS = st.lists(st.one_of(_NEAR, st.floats(1e9, 1.9e9)), min_size=1, max_size=12)


def _project(uploads: list[float]) -> ProjectInfo:
    releases = tuple(
        Release(f"1.{i}", (DistFile(f"x-1.{i}.tar.gz", "sdist", u),), u, False)
        for i, u in enumerate(uploads)
    )
    return ProjectInfo(
        NormalizedName("x"),
        "x",
        "1.0",
        "",
        releases,
        (),
        None,
        (),
        None,
        (),
        None,
        None,
        None,
        (),
        None,
        "",
    )


@given(_UPLOADS)
def test_activity_figures_match_a_time_per_release(uploads: list[float]) -> None:
    first, last, recent, (gap, gap_end), silent = _reference(uploads)
    limits = Thresholds(max_release_silence_days=365, min_project_age_days=0)
    signal = P.activity(_project(uploads), NOW, limits, weak=[])
    assert isinstance(signal.value, dict)
    assert signal.value["first_release"] == first.strftime("%Y-%m-%d")
    assert signal.value["last_release"] == last.strftime("%Y-%m-%d")
    assert signal.value["age_days"] == (NOW - first).days
    assert signal.value["releases_last_two_years"] == recent
    assert P._dormancy(sorted(uploads)) == (gap, gap_end)
    weak = P.weak_points(_project(uploads), NOW, limits, rank=1, listed=10)
    assert bool(weak) == silent
