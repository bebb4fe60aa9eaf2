"""A scan reads each metadata folder without listing it (``read_metadata_dir``); anything
unusual is read again by the careful reader, which lists the folder and says what is wrong.
Whatever a folder holds, both give the same distribution: no refusal is lost to the shortcut."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipvet.inputs import installed_metadata
from pipvet.inputs.installed import read_site_packages
from pipvet.inputs.installed_model import Distribution, MetadataFormat

GOOD = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: a>=1\n\nbody\n"


def _special(folder: Path, kind: str) -> None:
    """Make ``folder/METADATA`` (or PKG-INFO) the special thing ``kind`` names."""
    meta = folder / ("PKG-INFO" if folder.name.endswith(".egg-info") else "METADATA")
    if kind == "fifo":
        os.mkfifo(meta)
    elif kind == "device":
        meta.symlink_to("/dev/zero")
    elif kind == "dangling":
        meta.symlink_to(folder / "nowhere")
    elif kind == "folder":
        meta.mkdir()
    elif kind == "huge":  # short headers, a file over the 5 MiB cap: refused by its size
        with meta.open("wb") as f:
            f.write(GOOD.encode())
            f.truncate(5 * 1024 * 1024 + 1)
    elif kind == "huge-headers":  # no blank line in the first 5 MiB
        with meta.open("wb") as f:
            f.write(b"Name: demo\nVersion: 1.0\n" + b"X-Pad: " + b"p" * (5 * 1024 * 1024))
    elif kind == "crlf":
        meta.write_bytes(GOOD.replace("\n", "\r\n").encode())
    elif kind == "latin-1":
        meta.write_bytes("Name: d\xe9mo\nVersion: 1.0\n".encode("latin-1"))
    elif kind == "no-version":
        meta.write_text("Name: demo\n")
    elif kind == "bad-name":
        meta.write_text("Name: evil pkg\nVersion: 1.0\n")
    elif kind == "no-name":
        meta.write_text("Version: 1.0\n")
    elif kind == "nul":
        meta.write_bytes(b"Name: de\x00mo\nVersion: 1.0\n")
    elif kind == "link":
        (folder.parent.parent / "elsewhere.txt").write_text(GOOD)
        meta.symlink_to(folder.parent.parent / "elsewhere.txt")
    elif kind != "missing":
        meta.write_text(GOOD)


KINDS = [
    "plain", "fifo", "device", "dangling", "folder", "huge", "huge-headers", "crlf", "latin-1",
    "no-version", "bad-name", "no-name", "nul", "link", "missing",
]  # fmt: skip
DIRECT = [None, {"url": "https://h.example/p-1.0.tar.gz", "archive_info": {}}, "{oops", "link"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")
@pytest.mark.parametrize("fmt", ["dist-info", "egg-info"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("direct", range(len(DIRECT)))
def test_the_shortcut_reads_every_folder_as_the_careful_reader(
    tmp_path: Path, fmt: MetadataFormat, kind: str, direct: int
) -> None:
    site = tmp_path / "site-packages"
    folder = site / f"Demo_Pkg-1.0.{fmt}"
    folder.mkdir(parents=True)
    _special(folder, kind)
    record = DIRECT[direct]
    if record == "link":  # a dangling link counts as there, as a listing shows it
        (folder / "direct_url.json").symlink_to(tmp_path / "gone.json")
    elif record is not None:
        text = record if isinstance(record, str) else json.dumps(record)
        (folder / "direct_url.json").write_text(text)
    (entry,) = os.scandir(site)
    quick = installed_metadata.read_metadata_dir(entry, site, fmt)
    careful = installed_metadata.read_metadata_carefully(entry, site, fmt)
    assert quick == careful
    assert quick.requires_dist == careful.requires_dist
    assert (quick.direct_url is None) == (record is None)
    if kind in ("fifo", "device", "folder", "huge", "huge-headers", "missing", "dangling"):
        assert quick.problem is not None  # refused, and said why
        assert quick.dependency().version is None


def test_a_scan_refuses_a_special_metadata_file_by_name(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    site = tmp_path / "site-packages"
    for kind in ("fifo", "device", "huge"):
        folder = site / f"{kind}-1.0.dist-info"
        folder.mkdir(parents=True)
        _special(folder, kind)
    by = {str(d.name): d.problem or "" for d in read_site_packages(site).distributions}
    assert "it is a FIFO (named pipe), not a regular file" in by["fifo"]
    assert "it is a character device, not a regular file" in by["device"]
    assert "it is larger than 5 MiB" in by["huge"]


def test_metadata_files_are_listed_when_asked(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    folder = site / "demo-1.0.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(GOOD)
    (folder / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: w (1)\n")
    (dist,) = read_site_packages(site).distributions
    assert dist.metadata_files == frozenset({"METADATA", "WHEEL"})
    assert dist.installed_from_wheel is True
    assert dist.wheel_generator == "w (1)"
    assert dist.read_text("RECORD") is None
    assert dist.read_text("../demo-1.0.dist-info/WHEEL") is None  # one file of the folder
    (folder / "WHEEL").unlink()
    assert dist.installed_from_wheel is None  # asked again: the folder as it is now


def test_an_egg_link_reads_no_file_of_the_project_it_names(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "RECORD").write_text("secret,,\n")
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "proj.egg-link").write_text(f"{project}\n.\n")
    (dist,) = read_site_packages(site).distributions
    assert isinstance(dist, Distribution)
    assert dist.metadata_files == frozenset()
    assert dist.read_text("RECORD") is None
    assert dist.record() == ()


@pytest.mark.skipif(sys.platform == "win32", reason="permission bits")
def test_an_unreadable_metadata_file_is_named(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    site = tmp_path / "site-packages"
    folder = site / "locked-1.0.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(GOOD)
    (folder / "METADATA").chmod(0)
    try:
        (dist,) = read_site_packages(site).distributions
    finally:
        (folder / "METADATA").chmod(0o644)
    assert dist.problem is not None
    assert dist.problem.startswith(f"cannot read {folder / 'METADATA'}: ")


@pytest.mark.parametrize("given", ["absolute", "site-packages", ".", "x/../site-packages"])
def test_a_distribution_shows_its_folder_as_its_path_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """No Path is made per distribution: the text kept is what ``str(site / name)`` gives,
    for every way of naming the folder (a scan of "." shows no "./")."""
    site = tmp_path / "site-packages"
    (tmp_path / "x").mkdir()
    for folder, metadata in [("good-1.0.dist-info", GOOD), ("bad-1.0.dist-info", "Name: bad\n")]:
        (site / folder).mkdir(parents=True)
        (site / folder / "METADATA").write_text(metadata)
    monkeypatch.chdir(site if given == "." else tmp_path)
    named = site if given == "absolute" else Path(given)
    scan = read_site_packages(named)
    assert [d.where for d in scan.distributions] == [
        str(named / "bad-1.0.dist-info"),
        str(named / "good-1.0.dist-info"),
    ]
    for dist in scan.distributions:
        assert dist.metadata_path == named / dist.metadata_path.name
        assert dist.location.path == dist.where
    bad = scan.distributions[0]
    assert bad.problem is not None
    assert bad.problem.startswith(f"the metadata in {named / 'bad-1.0.dist-info'} has no Version")


_KEYS = st.sampled_from(
    ["Name", "NAME", "name", "Version", "vErSiOn", "Requires-Dist", "requires-dist", "Summary",
     "Metadata-Version", "Name-Extra", "Versions", "\xa0Name", "\xa0 Version", " Name", "\tName",
     "Ver\u017fion", "Require\u017f-Dist", "\u212aame", "Na me", "", "Requires-Dist\x1f",
     "\x1fName"]
)  # fmt: skip
_GAPS = st.sampled_from([":", " :", ": ", ":  ", "\xa0:", "\t:\t", "", "::", " : "])
_CHARS = st.characters(codec="utf-8", exclude_characters="\n")
_VALUES = st.text(_CHARS, max_size=12)
_LINE = st.one_of(
    st.tuples(_KEYS, _GAPS, _VALUES).map("".join),  # a header, or no colon at all
    st.tuples(st.sampled_from([" ", "\t", "  ", " \t"]), _VALUES).map("".join),  # continued
    _VALUES,
)
_TEXTS = st.lists(_LINE, max_size=8).map("\n".join)
_ASCII = st.characters(codec="ascii", exclude_characters="\n")
_ASCII_LINES = st.one_of(
    st.tuples(_KEYS.filter(str.isascii), _GAPS.filter(str.isascii), st.text(_ASCII)),
    st.tuples(st.sampled_from([" ", "\t"]), st.text(_ASCII)),
).map("".join)
_ASCII_TEXTS = st.lists(st.one_of(_ASCII_LINES, st.text(_ASCII)), max_size=8).map("\n".join)


@given(st.one_of(_TEXTS, _ASCII_TEXTS, st.text(max_size=60)))
@example("Name: a\nVersion: 1\nRequires-Dist: x>=1;\n extra == 'y'\n\t z\nName: b")
@example("Summary: s\n Name: hidden\nVersion:1.0 \n")
@example("\xa0Name\xa0: spaced\nVersion\r: 1\n")
@example("Require\u017f-Dist: not this\nVer\u017fion: nor this")
@example("Name: a\x0c\nVersion: 2\u2028Name: b")
def test_the_header_pattern_reads_as_the_line_reader(text: str) -> None:
    """One pattern finds Name, Version and Requires-Dist; what it finds is exactly what the
    line-by-line reader (the reading of email.parser for these files) finds."""
    lines = installed_metadata.parse_lines(text)
    wanted = {k: v for k, v in lines.items() if k in ("name", "version", "requires-dist")}
    assert installed_metadata.parse_headers(text) == wanted


@pytest.mark.skipif(not Path("/proc/self/pagemap").exists(), reason="needs Linux's /proc")
def test_a_metadata_larger_than_it_says_is_one_unread_package_not_the_end_of_the_audit(
    tmp_path: Path,
) -> None:
    # /proc/self/pagemap reports a size of 0 and reads past the cap with no blank line.
    (tmp_path / "a-1.dist-info").mkdir()
    (tmp_path / "a-1.dist-info" / "METADATA").symlink_to("/proc/self/pagemap")
    (tmp_path / "b-2.dist-info").mkdir()
    (tmp_path / "b-2.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: b\nVersion: 2\n\n", encoding="utf-8"
    )
    scan = read_site_packages(tmp_path)
    by_name: dict[str, Distribution] = {d.name: d for d in scan.distributions}
    assert by_name["b"].version == "2"
    assert by_name["a"].problem is not None
    assert "larger than 5 MiB" in by_name["a"].problem
