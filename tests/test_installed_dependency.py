"""``Distribution.dependency`` takes a short way for a distribution with nothing skipped and no
local build (nearly every one of a large environment): it must give what the long way, from
``skipped``, ``local_build`` and ``location``, gives for every distribution."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pipvet.inputs.installed_model import DirectUrl, Distribution
from pipvet.models import Dependency, NormalizedName

_DIRECT = st.one_of(
    st.none(),
    st.builds(
        DirectUrl,
        url=st.sampled_from(["file:///src/pkg", "https://example.org/pkg.whl", "git+https://x/y"]),
        kind=st.sampled_from(["editable", "directory", "vcs", "archive", "unknown"]),
        source_found=st.booleans(),
    ),
)


def _long_way(dist: Distribution) -> Dependency:
    skipped = dist.skipped
    label = None if skipped else dist.local_build
    return Dependency(
        name=dist.name,
        version=None if skipped else dist.version,
        display_name=dist.display_name,
        location=dist.location,
        skipped=skipped,
        local=label is not None,
        local_build=label,
    )


@given(
    version=st.one_of(st.none(), st.sampled_from(["1.0", "", "2.0.post1"])),
    problem=st.one_of(st.none(), st.sampled_from(["", "the metadata is broken"])),
    fmt=st.sampled_from(["dist-info", "egg-info", "egg-link"]),
    direct=_DIRECT,
)
def test_the_short_way_gives_what_the_long_way_gives(
    version: str | None, problem: str | None, fmt: str, direct: DirectUrl | None
) -> None:
    dist = Distribution(
        name=NormalizedName("pkg"),
        display_name="Pkg",
        version=version,
        where="site/Pkg-1.0.dist-info",
        site_packages=Path("site"),
        format=fmt,  # type: ignore[arg-type]
        direct_url=direct,
        problem=problem,
    )
    assert dist.dependency() == _long_way(dist)
