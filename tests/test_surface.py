"""The install-surface diff: pure comparisons as tables, then snapshots of a real environment
with real wheels installed by real pip (one dropping an executable ``.pth``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from pipvet.inputs.installed import read_site_packages
from pipvet.update.surface import (
    BuildInfo,
    EnvSnapshot,
    InstalledPackage,
    PthState,
    ScriptState,
    package_changes,
    snapshot,
    surface_findings,
)
from tests.support.wheels import build_wheel, create_venv, pip_install

PIP = ".venv/bin/python -m pip"


def pkg(name: str, version: str | None, *, egg: bool = False) -> InstalledPackage:
    return InstalledPackage(canonicalize_name(name), name, version, egg)


def snap(*packages: InstalledPackage, pth: tuple[PthState, ...] = (),
         scripts: tuple[ScriptState, ...] = ()) -> EnvSnapshot:  # fmt: skip
    return EnvSnapshot(packages, pth, scripts)


def test_package_changes_classify_every_kind() -> None:
    before = snap(pkg("a", "1.0"), pkg("b", "2.0"), pkg("c", "1.0"), pkg("d", "1.0"),
                  pkg("e", "weird"), pkg("same", "1"))  # fmt: skip
    after = snap(pkg("a", "1.2"), pkg("b", "1.9"), pkg("e", "weirder"), pkg("new", "0.1"),
                 pkg("d", "1.0"), pkg("same", "1"))  # fmt: skip
    got = [(c.kind, c.name, c.old, c.new) for c in package_changes(before, after)]
    assert got == [
        ("upgraded", "a", "1.0", "1.2"),
        ("downgraded", "b", "2.0", "1.9"),
        ("changed", "e", "weird", "weirder"),
        ("added", "new", None, "0.1"),
        ("removed", "c", "1.0", None),
    ]


def pth(path: str, sha: str, owner: str | None, code: str = "import os") -> PthState:
    return PthState(path, sha, (code,), canonicalize_name(owner) if owner else None)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((), (pth("/sp/evil.pth", "1", "evil"),), [("pth-new", "warning", "evil")]),
        ((pth("/sp/x.pth", "1", "x"),), (pth("/sp/x.pth", "1", "x"),), []),
        ((pth("/sp/x.pth", "1", "x"),), (pth("/sp/x.pth", "2", "x"),),
         [("pth-changed", "warning", "x")]),
        ((), (pth("/sp/ghost.pth", "1", None),), [("pth-unowned", "warning", None)]),
        ((), (pth("/sp/distutils-precedence.pth", "1", "setuptools"),),
         [("pth-new", "note", "setuptools")]),
        ((), (pth("/sp/__editable___proj_0_1_finder.pth", "1", "proj"),),
         [("pth-new", "note", "proj")]),
    ],
)  # fmt: skip
def test_pth_findings(
    before: tuple[PthState, ...], after: tuple[PthState, ...], expected: list[tuple[str, ...]]
) -> None:
    found = surface_findings(snap(pth=before), snap(pth=after), pip=PIP)
    assert [(f.kind, f.level, f.package) for f in found] == expected
    for f in found:
        assert "start-up" in f.detail
        assert f.level == "note" or f.fix


def script(name: str, package: str) -> ScriptState:
    return ScriptState(name, canonicalize_name(package), f"{package}.cli:main")


def test_new_scripts_are_notes_unless_they_shadow_a_command() -> None:
    before = snap(scripts=(script("tool", "tool"),))
    after = snap(scripts=(script("tool", "tool"), script("helper", "helper"),
                          script("pip", "piptools-ish"), script("tool", "intruder")))  # fmt: skip
    found = {(f.subject, f.package): f for f in surface_findings(before, after, pip=PIP)}
    assert set(found) == {("helper", "helper"), ("pip", "piptools-ish"), ("tool", "intruder")}
    assert found["helper", "helper"].level == "note"
    assert found["pip", "piptools-ish"].level == "warning"
    assert found["tool", "intruder"].level == "warning"
    assert "also provided by tool" in found["tool", "intruder"].detail


def test_source_builds_come_from_the_install_report() -> None:
    builds = [
        BuildInfo(canonicalize_name("wheely"), "1.0", True, False, "http://i/wheely.whl"),
        BuildInfo(canonicalize_name("sdisty"), "2.0", False, False, "http://i/sdisty-2.0.tar.gz"),
        BuildInfo(canonicalize_name("proj"), "0.1", False, True, "file:///src/proj"),
    ]
    found = surface_findings(snap(), snap(), builds, pip=PIP)
    assert [(f.package, f.level) for f in found] == [("sdisty", "warning"), ("proj", "note")]
    assert "--only-binary :all: sdisty" in found[0].fix
    assert f"{PIP} install --only-binary" in found[0].fix  # the environment's pip, by path


def test_without_a_report_new_egg_info_counts_as_a_source_build() -> None:
    before = snap(pkg("old-egg", "1.0", egg=True))
    after = snap(pkg("old-egg", "1.0", egg=True), pkg("new-egg", "2.0", egg=True),
                 pkg("wheel-pkg", "1.0"))  # fmt: skip
    found = surface_findings(before, after, pip=PIP)
    assert [(f.kind, f.package) for f in found] == [("built-from-source", "new-egg")]


@pytest.mark.slow
def test_snapshot_of_a_real_environment_flags_a_planted_pth(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "plain", "1.0", console_scripts={"plain-cli": "plain:main"})
    build_wheel(
        wheels,
        "dropper",
        "1.0",
        files={"dropper/__init__.py": "", "zz_dropper.pth": "import os; os.getcwd()\n"},
    )
    venv = create_venv(tmp_path / "venv")
    pip_install(venv, "plain", find_links=wheels)
    before = snapshot(read_site_packages(venv.site_packages))
    pip_install(venv, "dropper", find_links=wheels)
    # and one written by hand, outside pip: no RECORD lists it
    (venv.site_packages / "zz_ghost.pth").write_text("import sys\n", encoding="utf-8")
    after = snapshot(read_site_packages(venv.site_packages))

    assert [(s.name, s.package) for s in after.scripts] == [("plain-cli", "plain")]
    owners = {Path(p.path).name: p.owner for p in after.pth_files}
    assert owners == {"zz_dropper.pth": "dropper", "zz_ghost.pth": None}
    found = surface_findings(before, after, pip=PIP)
    assert sorted((f.kind, Path(f.subject).name, f.level) for f in found) == [
        ("pth-new", "zz_dropper.pth", "warning"),
        ("pth-unowned", "zz_ghost.pth", "warning"),
    ]
    changes = package_changes(before, after)
    assert [(c.kind, c.name, c.new) for c in changes] == [("added", "dropper", "1.0")]
