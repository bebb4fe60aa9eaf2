"""Vetting the packages an update added: which ones, remembering those left unvetted, the
renderers of that part of the report, and the command's vetting glue against a loopback
index (no pip run: the target is the interpreter running the tests, which vetting only reads).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipvet.cli._context import build_context
from pipvet.cli._options import advisory_data
from pipvet.cli.update import _vetter
from pipvet.inputs.installed import read_environment
from pipvet.models import Location, canonicalize_name
from pipvet.report.update_vet import sarif_additions, vet_text, without_repeats
from pipvet.system.process import SubprocessRunner
from pipvet.update.model import Environment, NewPackage, PackageChange
from pipvet.update.vet_new import PENDING_FILE, read_pending, to_vet, write_pending
from pipvet.vetting.model import PackageVet, Signal, VetReport
from tests.support.index_server import IndexServer, index_server
from tests.support.osv_bucket import csv_for, zip_of

N = canonicalize_name


def dist_info(site: Path, name: str, version: str, direct_url: dict[str, object] | None) -> None:
    folder = site / f"{name}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
    if direct_url is not None:
        (folder / "direct_url.json").write_text(json.dumps(direct_url))


def added(name: str, version: str) -> PackageChange:
    return PackageChange("added", N(name), name, None, version)


# ------------------------------------------------------------------ which packages


def test_to_vet_takes_what_was_added_then_what_is_still_pending(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    dist_info(site, "alpha", "1.0", None)
    dist_info(site, "mylib", "0.1", {"url": "file:///src/mylib", "dir_info": {"editable": True}})
    dist_info(site, "older", "2.0", None)
    dist_info(site, "kept", "3.0", None)
    scan = read_environment([site])
    changes = [added("alpha", "1.0"), added("mylib", "0.1")]
    found = to_vet(scan, changes, [N("older"), N("alpha"), N("uninstalled-since")])
    assert [(p.name, p.version, p.earlier) for p in found] == [
        ("alpha", "1.0", False),
        ("mylib", "0.1", False),
        ("older", "2.0", True),  # pending from an earlier run, still installed
    ]  # "kept" was neither added nor pending; "uninstalled-since" is gone
    assert found[0].direct is None
    assert found[1].direct == "/src/mylib (editable)"
    assert found[0].location.path.endswith("alpha-1.0.dist-info")


def test_pending_names_survive_between_runs_and_a_damaged_file_is_no_crash(
    tmp_path: Path,
) -> None:
    assert read_pending(tmp_path) == ()
    assert write_pending(tmp_path, [N("Eta"), N("zeta"), N("eta")]) is None
    assert json.loads((tmp_path / PENDING_FILE).read_text()) == {"unvetted": ["eta", "zeta"]}
    assert read_pending(tmp_path) == ("eta", "zeta")
    assert write_pending(tmp_path, []) is None
    assert not (tmp_path / PENDING_FILE).exists()
    for damaged in ("{not json", '{"unvetted": "eta"}', "[1, 2]"):
        (tmp_path / PENDING_FILE).write_text(damaged)
        assert read_pending(tmp_path) == ()


def test_an_unwritable_environment_gives_a_warning_naming_the_file(tmp_path: Path) -> None:
    prefix = tmp_path / "not-a-folder"
    prefix.write_text("")  # nothing can be written below a file, not even by root
    warning = write_pending(prefix, [N("eta")])
    assert warning is not None
    assert str(prefix / PENDING_FILE) in warning
    assert "will not retry eta" in warning


# ------------------------------------------------------------------ renderers


def sig(signal_id: str, level: str, message: str) -> Signal:
    return Signal(signal_id, level, None, None, "test", message)  # type: ignore[arg-type]


SQUAT = (
    sig("exists", "ok", "It exists."),
    sig("popularity", "review", "Not popular."),
    sig("typosquat", "avoid", "Looks like colorama."),
    sig("maintainers", "review", "One owner."),
    sig("activity", "review", "Brand new."),
)
REPORT = VetReport(
    tool_version="0",
    target="the test environment",
    packages=(
        PackageVet(N("colourama"), None, "1.0", "avoid", SQUAT, did_you_mean="colorama"),
        PackageVet(N("gamma"), None, "1.0", "review", (sig("maintainers", "review", "One."),)),
        PackageVet(N("six"), None, "1.17.0", "ok", (sig("exists", "ok", "It exists."),)),
        PackageVet(N("eta"), None, "1.0", "unchecked", (sig("exists", "unchecked", "Offline."),)),
        PackageVet(N("mylib"), None, "0.1", "internal", problem="installed from /src/mylib"),
    ),
    warnings=("the policy file is old", "no popularity list"),
)


def test_text_shows_the_worst_reasons_first_and_counts_the_rest() -> None:
    lines = vet_text(REPORT, earlier={"eta"})
    text = "\n".join(lines)
    assert lines[0] == "New packages vetted (5; vet-fail-on = avoid):"
    assert "  AVOID     colourama 1.0  did you mean colorama?" in lines
    at = lines.index("  AVOID     colourama 1.0  did you mean colorama?")
    assert lines[at + 1 : at + 4] == [
        "      typosquat: Looks like colorama.",
        "      popularity: Not popular.",
        "      (+2 more)",
    ]
    assert "  OK        six 1.17.0" in lines
    assert "  UNCHECKED eta 1.0        (not new: an earlier update could not vet it)" in lines
    assert "      installed from /src/mylib" in lines  # no signal says it, so the row does
    assert "Every signal: pipvet vet colourama==1.0 gamma==1.0 eta==1.0" in text
    assert text.count("note: ") == 2


def test_warnings_the_audit_already_gives_are_not_repeated() -> None:
    trimmed = without_repeats(REPORT, ["the policy file is old"])
    assert trimmed.warnings == ("no popularity list",)
    assert without_repeats(REPORT, []) is REPORT


def test_sarif_has_avoid_and_review_as_results_and_unchecked_as_notifications() -> None:
    where = {N("colourama"): Location("/proj/.venv/lib/site-packages/colourama-1.0.dist-info")}
    rules, results, notes = sarif_additions(REPORT, where, "/proj")
    assert [r["id"] for r in rules] == ["pipvet/vet/avoid", "pipvet/vet/review"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("pipvet/vet/avoid", 0, "error"),
        ("pipvet/vet/review", 1, "warning"),
    ]
    uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == ".venv/lib/site-packages/colourama-1.0.dist-info"
    assert "locations" not in results[1]  # no location known for gamma
    assert results[0]["message"]["text"].startswith(
        "colourama 1.0 is new to the environment; vetting says avoid: did you mean colorama? "
        "typosquat: Looks like colorama."
    )
    assert [n["message"]["text"] for n in notes] == ["Not vetted: eta 1.0: Offline."]


# ------------------------------------------------------------------ the command's glue


@pytest.fixture
def vet_index(shared_data: Path) -> Iterator[IndexServer]:
    with index_server(shared_data) as idx:
        yield idx


def test_the_glue_vets_index_packages_and_never_looks_up_direct_ones(
    tmp_path: Path, vet_index: IndexServer
) -> None:
    bucket = tmp_path / "osv" / "PyPI"
    bucket.mkdir(parents=True)
    unrelated = {
        "id": "PYSEC-2099-9",
        "modified": "2026-01-02T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "nothing-here"}, "versions": ["1"]}],
    }
    (bucket / "all.zip").write_bytes(zip_of([unrelated]))
    (bucket / "modified_id.csv").write_bytes(csv_for([unrelated]))
    environ = {
        "PIPVET_INDEX_URL": vet_index.url,
        "PIPVET_TOP_PACKAGES_URL": vet_index.popularity_url,
        "PIPVET_OSV_URL": str(tmp_path / "osv"),
        "PIPVET_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": os.environ.get("PATH", ""),
    }
    ctx = build_context(argparse.Namespace(), environ=environ, cwd=tmp_path)
    http = ctx.http()
    vet = _vetter(ctx, http, SubprocessRunner(env=environ), lambda _text: None)
    here = Path(sys.executable)
    env = Environment(here, here.parent.parent, "venv", "the test interpreter")
    meta = Location(str(tmp_path / "x.dist-info"))
    report = vet(env, [
        NewPackage(N("six"), "six", "1.16.0", meta),
        NewPackage(N("colourama"), "colourama", "1.0", meta),
        NewPackage(N("mylib"), "mylib", "0.1", meta, direct="/src/mylib (editable)"),
        NewPackage(N("broken"), "broken", None, meta),
    ], advisory_data(ctx, http))  # fmt: skip
    by_name: dict[str, PackageVet] = {p.name: p for p in report.packages}
    assert [p.name for p in report.packages] == ["six", "colourama", "mylib", "broken"]
    assert by_name["six"].version == "1.16.0"
    assert by_name["six"].verdict in ("ok", "review")
    assert by_name["six"].signal("install-code") is None  # installed already
    assert by_name["colourama"].verdict == "avoid"
    assert by_name["colourama"].did_you_mean == "colorama"
    assert by_name["mylib"].verdict == "internal"
    assert "installed from /src/mylib (editable), not from a package index" in str(
        by_name["mylib"].problem
    )
    assert by_name["broken"].verdict == "unchecked"
    assert "names no usable version" in str(by_name["broken"].problem)
    assert report.unchecked == (by_name["broken"],)
    looked_up = set(vet_index.lookups())
    assert {"six", "colourama"} <= looked_up
    assert not {"mylib", "broken"} & looked_up  # never sent to the index
