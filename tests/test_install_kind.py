"""install_kind reads a wheel's tags from its name without parsing all of it: the same choice
as parsing every wheel's name with packaging, on real releases and on odd names."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging import tags
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from pipvet.index.packed import DistFile
from pipvet.index.parse import Release, parse_project
from pipvet.vetting.wheels import InstallKind, _looks_sdist, install_kind

_GLIBC = [*(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)), "linux_x86_64"]
_MAC = ["macosx_14_0_arm64", "macosx_11_0_arm64", "macosx_10_9_universal2"]
TARGETS = {
    "linux 3.11": (*tags.cpython_tags((3, 11), platforms=_GLIBC),
                   *tags.compatible_tags((3, 11), "cp311", platforms=_GLIBC)),
    "mac 3.13": (*tags.cpython_tags((3, 13), platforms=_MAC),
                 *tags.compatible_tags((3, 13), "cp313", platforms=_MAC)),
    "windows 3.9": (*tags.cpython_tags((3, 9), platforms=["win_amd64"]),
                    *tags.compatible_tags((3, 9), "cp39", platforms=["win_amd64"])),
}  # fmt: skip


def reference(release: Release, target: Sequence[Tag]) -> InstallKind:
    """install_kind as first written: every wheel's name parsed by packaging."""
    priority = {tag: i for i, tag in enumerate(target)}
    best: tuple[int, str] | None = None
    has_wheels = has_sdist = False
    for file in release.files:
        if file.yanked and not release.yanked:
            continue
        if not file.is_wheel:
            has_sdist = has_sdist or file.packagetype == "sdist" or _looks_sdist(file.filename)
            continue
        has_wheels = True
        try:
            _name, _ver, _build, file_tags = parse_wheel_filename(file.filename)
        except InvalidWheelFilename:
            continue
        ranks = [priority[t] for t in file_tags if t in priority]
        if ranks and (best is None or min(ranks) < best[0]):
            best = (min(ranks), file.filename)
    return InstallKind(best[1] if best else None, has_wheels, has_sdist, len(release.files))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_same_wheel_on_every_recorded_release(shared_data: Path, target: str) -> None:
    checked = 0
    for path in sorted((shared_data / "pypi").glob("*.json.gz")):
        project = parse_project(gzip.decompress(path.read_bytes()), path.name)
        for release in project.releases:
            if any(f.is_wheel for f in release.files):
                assert install_kind(release, TARGETS[target]) == reference(
                    release, TARGETS[target]
                ), (path.name, release.version)
                checked += 1
    assert checked > 500


_PART = st.sampled_from(
    ["cp311", "CP311", "py3", "py2.py3", "py3.cp311", "none", "abi3", "cp311.none", "",
     "manylinux_2_17_x86_64", "manylinux_2_17_x86_64.manylinux2014_x86_64", "ANY", "any",
     "win_amd64", "macosx_11_0_arm64", "1py", "cp311..abi3", "x-y"]
)  # fmt: skip
_NAME = st.sampled_from(["pkg", "Pkg_Name", "pkg__x", "", "p.k"])
_VERSION = st.sampled_from(["1.0", "2.0rc1", "not a version", "1.0-1"])
_BUILD = st.sampled_from([None, "1", "12abc", "x1"])


@st.composite
def _wheel_names(draw: st.DrawFn) -> str:
    parts = [draw(_NAME), draw(_VERSION)]
    build = draw(_BUILD)
    if build is not None:
        parts.append(build)
    parts += [draw(_PART), draw(_PART), draw(_PART)]
    suffix = draw(st.sampled_from([".whl", ".whl", ".WHL", ".tar.gz", ""]))
    return "-".join(parts) + suffix


@given(
    st.lists(
        st.tuples(_wheel_names(), st.sampled_from(["bdist_wheel", "sdist", ""]), st.booleans()),
        max_size=8,
    ),
    st.sampled_from(sorted(TARGETS)),
)
def test_the_same_wheel_for_odd_names(files: list[tuple[str, str, bool]], target: str) -> None:
    release = Release.of("1.0", tuple(DistFile(n, kind, None, yanked) for n, kind, yanked in files))
    assert install_kind(release, TARGETS[target]) == reference(release, TARGETS[target])
    assert install_kind(release, list(TARGETS[target])) == reference(release, TARGETS[target])


@pytest.mark.parametrize(
    "names",
    [
        # Tags are case folded: the specific wheel wins over the pure-Python one.
        ["pkg-1.0-py3-none-any.whl", "pkg-1.0-CP311-CP311-MANYLINUX_2_17_X86_64.whl"],
        # A compressed set whose second member is the target's.
        ["pkg-1.0-py3-none-any.whl", "pkg-1.0-cp311-cp311-manylinux1_i686.linux_x86_64.whl"],
        # The best tags on a name packaging refuses: the next best wheel is the one.
        ["pkg-1.0-py3-none-any.whl", "pkg__x-1.0-cp311-cp311-linux_x86_64.whl"],
        ["pkg-1.0-py3-none-any.whl", "pkg-nope-cp311-cp311-linux_x86_64.whl"],
        ["pkg-1.0-py3-none-any.whl", "pkg-1.0-x1-cp311-cp311-linux_x86_64.whl"],
        # A build number, and a wheel only by its package type.
        ["pkg-1.0-2-py3-none-any.whl", "pkg-1.0-cp311-abi3-linux_x86_64"],
        ["pkg-1.0-cp311-cp311-linux_x86_64.whl", "pkg-1.0-cp311-cp311-linux_x86_64.whl"],
    ],
)
def test_the_same_wheel_for_these_names(names: list[str]) -> None:
    target = TARGETS["linux 3.11"]
    for order in (names, names[::-1]):
        files = tuple(DistFile(n, "bdist_wheel", None) for n in order)
        release = Release.of("1.0", files)
        assert install_kind(release, target) == reference(release, target)
        assert install_kind(release, target).wheel is not None
