"""`pipvet fleet` end to end on real project folders: the real advisory snapshot in a real
SQLite store, the inventory in a real SQLite file, release dates from a loopback index."""

from __future__ import annotations

import fnmatch
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipvet.cli import Output, main
from pipvet.fleet.gitignore import MAX_GLOBS, ignored, parse_gitignore
from pipvet.fleet.inventory import load_inventory
from pipvet.fleet.walk import find_projects
from tests.conftest import project_folder
from tests.support.deep import LEVELS, deep_folder
from tests.support.index_server import IndexServer, document, index_server, wheel_file


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def env(snapshot_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return project_folder(tmp_path, monkeypatch, "fleet")


def make_fleet(root: Path) -> None:
    write(root / "alpha/requirements.txt", "urllib3==1.26.5\npandas==1.5.3\n-r base.txt\n")
    write(root / "alpha/base.txt", "requests>=2.31\n")
    write(root / "beta/requirements.txt", "urllib3==2.0.3\nrequests>=2.31\n")
    write(
        root / "gamma/pyproject.toml",
        '[project]\nname = "gamma"\nversion = "1"\ndependencies = ["urllib3>=2.2.2", "requests"]\n'
        '\n[dependency-groups]\ndev = ["pytest>=8"]\n',
    )
    write(root / "gamma/tools/requirements.in", "requests>=2.31\n")  # a nested project


def fleet_json(argv: list[str]) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(["fleet", "--format", "json", *argv])
    return code, json.loads(out)


# ----------------------------------------------------------------------------- reports


def test_drift_vulnerabilities_used_once_and_pins(env: Path) -> None:
    make_fleet(env)
    code, doc = fleet_json(["."])
    assert code == 1  # urllib3 1.26.5 and 2.0.3 are vulnerable (fail-on: any)
    assert [p["path"] for p in doc["projects"]] == ["alpha", "beta", "gamma", "gamma/tools"]

    (drift,) = [d for d in doc["drift"] if d["name"] == "urllib3"]
    assert drift["below_floor"] is True
    assert [(v["label"], v["projects"], v["vulnerable"]) for v in drift["versions"]] == [
        ("1.26.5", ["alpha"], True),
        ("2.0.3", ["beta"], True),
        (">=2.2.2", ["gamma"], False),
    ]
    assert doc["drift"][0]["name"] == "urllib3"  # below a security floor ranks first

    # one entry per advisory group, however many projects it hits, one line per fix
    cookie = next(v for v in doc["vulnerabilities"] if v["id"] == "PYSEC-2023-212")
    assert cookie["name"] == "urllib3"
    assert cookie["projects"] == ["alpha", "beta"]
    assert cookie["fixes"] == [
        {"requirement": "urllib3>=1.26.18", "projects": ["alpha"]},
        {"requirement": "urllib3>=2.0.7", "projects": ["beta"]},
    ]
    ids = [(v["id"], v["name"]) for v in doc["vulnerabilities"]]
    assert len(ids) == len(set(ids))

    once = {(u["name"], u["project"]) for u in doc["used_once"]}
    assert once == {("pandas", "alpha"), ("pytest", "gamma")}
    assert doc["not_floating"] == [
        {
            "project": "alpha",
            "pins": 2,
            "files": ["requirements.txt"],
            "examples": ["urllib3==1.26.5", "pandas==1.5.3"],
        },
        {
            "project": "beta",
            "pins": 1,
            "files": ["requirements.txt"],
            "examples": ["urllib3==2.0.3"],
        },
    ]


def test_text_and_markdown_say_the_fix_per_projects(env: Path) -> None:
    make_fleet(env)
    code, out, _ = run(["fleet"])
    assert code == 1
    assert "`urllib3>=2.0.7` fixes 1 project: beta" in out
    assert "urllib3  below the security floor" in out
    assert "pandas  only in alpha (requirements.txt)" in out
    assert "alpha: 2 pins in requirements.txt" in out
    code, out, _ = run(["fleet", "--format", "markdown"])
    assert "### Drift" in out
    assert "| PYSEC-2023-212 | urllib3 |" in out


def test_a_project_that_cannot_be_read_is_listed_and_exits_2(env: Path) -> None:
    make_fleet(env)
    write(env / "broken/requirements.txt", "ok>=1\nnot a requirement ===\n")
    code, doc = fleet_json([])
    assert code == 2
    (broken,) = [p for p in doc["projects"] if p["problem"]]
    assert broken["path"] == "broken"
    assert "requirements.txt:2" in broken["problem"]
    assert doc["summary"]["projects"] == 5  # the others are still reported


def test_no_projects_is_exit_2_and_a_missing_folder_a_usage_error(env: Path) -> None:
    (env / "empty").mkdir()
    code, _, err = run(["fleet", "empty"])
    assert code == 2
    assert "no projects found" in err
    code, _, err = run(["fleet", "nowhere"])
    assert code == 2
    assert "nowhere is not a folder" in err


def test_the_inventory_is_one_row_per_fact_in_sqlite(env: Path, tmp_path: Path) -> None:
    make_fleet(env)
    db = tmp_path / "inv.sqlite"
    run(["fleet", "--db", str(db)])
    inv = load_inventory(db)
    assert len(inv.projects) == 4
    rows = {(r.project, r.source, r.name, r.kind, r.version, r.specifier) for r in inv.rows}
    assert ("alpha", "base.txt", "requests", "declared", None, ">=2.31") in rows
    assert ("alpha", "requirements.txt", "urllib3", "pinned", "1.26.5", "==1.26.5") in rows
    assert ("gamma", "pyproject.toml", "pytest", "declared", None, ">=8") in rows
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT count(*) FROM dependency WHERE kind = 'pinned'").fetchone()
    assert count == 3
    write(db, "not a database")
    with pytest.raises(Exception, match="not a readable fleet inventory"):
        load_inventory(db)
    assert run(["fleet", "--db", str(db)])[0] == 1  # a damaged file is simply replaced


# ---------------------------------------------------------------------------- the walk


def test_the_walk_skips_venvs_ignored_excluded_and_linked_folders(tmp_path: Path) -> None:
    root = tmp_path / "w"
    write(root / "a/requirements.txt", "x\n")
    write(root / "node_modules/p/requirements.txt", "x\n")
    write(root / "build/requirements.txt", "x\n")
    write(root / ".gitignore", "# comment\nscratch/\n*.tmp\n/top-only\n!keep\n")
    write(root / "scratch/requirements.txt", "x\n")
    write(root / "old.tmp/requirements.txt", "x\n")
    write(root / "top-only/requirements.txt", "x\n")
    write(root / "deep/top-only/requirements.txt", "x\n")  # anchored: only at the top
    write(root / "skipme/requirements.txt", "x\n")
    write(root / "a/requirements/dev.txt", "y\n")  # belongs to a
    write(root / "a/b/c/d/pyproject.toml", "[project]\nname='d'\nversion='1'\n")
    os.symlink(root, root / "a" / "loop")  # a loop must not hang the walk
    os.symlink(root / "a", root / "alias")
    walked = find_projects([root], exclude=["skip*"])
    shown = [p.path.relative_to(root).as_posix() for p in walked.projects]
    assert shown == ["a", "a/b/c/d", "deep/top-only"]
    assert [m.name for m in walked.projects[0].manifests] == ["requirements.txt", "dev.txt"]
    assert [p.path.name for p in find_projects([root], max_depth=1).projects] == ["a", "skipme"]


def test_a_manifest_that_is_no_regular_file_is_a_problem_not_a_silent_gap(env: Path) -> None:
    make_fleet(env)
    (env / "piped").mkdir()
    os.mkfifo(env / "piped" / "requirements.txt")  # read, it would hang the walk
    (env / "linked").mkdir()
    os.symlink(env / "nowhere", env / "linked" / "dev-requirements.txt")
    (env / "folder" / "requirements.txt").mkdir(parents=True)  # a folder is no manifest
    write(env / ".gitignore", "ignored/\n")
    (env / "ignored").mkdir()
    os.mkfifo(env / "ignored" / "requirements.txt")  # ignored: walked past, not read
    code, doc = fleet_json([])
    assert code == 2
    problems = {p["path"]: p["problem"] for p in doc["projects"] if p["problem"]}
    assert sorted(problems) == ["linked", "piped"]
    assert "FIFO" in problems["piped"]
    assert "dev-requirements.txt" in problems["linked"]
    assert doc["summary"]["projects"] == 6  # the four good ones are still reported


@pytest.mark.parametrize(
    ("lines", "rel", "is_dir", "expected"),
    [
        ("data", "x/data", True, True),
        ("data/", "x/data", False, False),
        ("*.egg-info", "pkg.egg-info", True, True),
        ("/out", "out", True, True),
        ("/out", "x/out", True, False),
        ("x/out", "x/out", True, True),
        ("!data", "data", True, False),
        ("**/data", "data", True, False),  # not supported: skipped, never guessed
    ],
)
def test_gitignore_patterns(lines: str, rel: str, is_dir: bool, expected: bool) -> None:
    rules = (parse_gitignore(lines, ""),)
    assert ignored(rules, rel, rel.rsplit("/", 1)[-1], is_dir=is_dir) is expected


def reference_ignored(lines: list[str], base: str, rel: str, is_dir: bool) -> bool:
    """Each supported line on its own, as fnmatch reads it: what the sets and globs stand for."""
    for raw in lines:
        line = raw.rstrip()
        if not line or line[0] in "#!" or "**" in line:
            continue
        dir_only, line = line.endswith("/"), line.rstrip("/")
        anchored, line = "/" in line, line.lstrip("/")
        if not line or (dir_only and not is_dir):
            continue
        prefix = base + "/" if base else ""
        if anchored:
            if rel.startswith(prefix) and fnmatch.fnmatchcase(rel[len(prefix) :], line):
                return True
        elif fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], line):
            return True
    return False


PART = st.sampled_from(["a", "b", "ab", "a.b", "x-1", "A", "[ab]", "*", "?", "a*", "*.b"])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.builds(
            lambda lead, parts, trail: lead + "/".join(parts) + trail,
            st.sampled_from(["", "/", "!", "#"]),
            st.lists(PART, min_size=1, max_size=3),
            st.sampled_from(["", "/", " "]),
        ),
        max_size=8,
    ),
    base=st.sampled_from(["", "a", "a/b"]),
    rel_parts=st.lists(st.sampled_from(["a", "b", "ab", "a.b", "x-1", "A", "c"]), min_size=1,
                       max_size=4),
    is_dir=st.booleans(),
)  # fmt: skip
def test_gitignore_sets_and_globs_answer_as_each_line_would(
    lines: list[str], base: str, rel_parts: list[str], is_dir: bool
) -> None:
    rel = "/".join(rel_parts)
    rules = (parse_gitignore("\n".join(lines), base),)
    expected = reference_ignored(lines, base, rel, is_dir)
    assert ignored(rules, rel, rel_parts[-1], is_dir=is_dir) is expected


def test_a_gitignore_of_many_globs_is_honoured_up_to_a_cap(tmp_path: Path) -> None:
    """Globs are tried on every entry below, so only MAX_GLOBS of them are in force (one
    .gitignore of 60,000 made a 600-folder walk take 13 s); plain names are looked up in a set
    and all honoured."""
    root = tmp_path / "fleet"
    globs = [f"g{i}-*" for i in range(MAX_GLOBS + 500)]
    write(root / ".gitignore", "\n".join([*globs, *(f"plain{i}" for i in range(5000))]) + "\n")
    for name in ("g0-x", f"g{MAX_GLOBS - 1}-x", f"g{MAX_GLOBS}-x", "plain4999", "kept"):
        write(root / name / "requirements.txt", "x\n")
    nested = root / "kept" / "deeper"
    write(nested / ".gitignore", "n-*\nplainer\n")  # the cap is reached above: n-* is dropped
    write(nested / "n-1" / "requirements.txt", "x\n")
    write(nested / "plainer" / "requirements.txt", "x\n")
    walked = find_projects([root])
    shown = sorted(p.path.relative_to(root).as_posix() for p in walked.projects)
    assert shown == [f"g{MAX_GLOBS}-x", "kept", "kept/deeper/n-1"]
    assert any(".gitignore: 500 of its glob lines are not applied" in w for w in walked.warnings)
    assert any("deeper/.gitignore: 1 of its glob lines" in w for w in walked.warnings)


# ---------------------------------------------------------------------- constraints


@pytest.fixture
def index(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    with index_server(shared_data) as server:
        monkeypatch.setenv("PIPVET_INDEX_URL", server.url)
        yield server


def test_constraints_are_safe_old_enough_floors(env: Path, index: IndexServer) -> None:
    make_fleet(env)
    # pandas: 1.5.3 is the floor; 2.0.0 is yanked in this crafted answer, 2.1.0 too new
    index.project(
        "pandas",
        document(
            "pandas",
            {
                "1.5.3": "2023-01-19T00:00:00Z",
                "2.0.0": [wheel_file("pandas", "2.0.0", "2023-04-03T00:00:00Z", yanked=True)],
                "2.1.0": "2099-01-01T00:00:00Z",
            },
        ),
    )
    index.project("pytest", document("pytest", {"8.0.0": "2024-01-27T00:00:00Z"}))
    out_file = env / "constraints.txt"
    code, out, err = run(["fleet", "constraints", "-o", str(out_file)])
    assert code == 0, err
    text = out_file.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    # urllib3: every project's floor is at least 2.2.2, which no advisory in the data affects
    assert lines == [
        "pandas>=1.5.3,!=2.0.0",
        "pytest>=8.0.0",
        "requests>=2.31.0,!=2.32.0,!=2.32.1",  # the recorded answer: both were yanked
        "urllib3>=2.2.2",
    ]
    assert text.startswith("# Shared floors made by pipvet")
    assert "pinned lower (==) in alpha, beta: run pipvet relax there" in out


def test_constraints_offline_say_what_is_unchecked_and_exit_2(env: Path, tmp_path: Path) -> None:
    make_fleet(env)
    code, out, err = run(["fleet", "constraints", "--offline", "-o", str(tmp_path / "c.txt")])
    assert code == 2
    assert "floors could not be checked" in err
    assert "urllib3" in err
    assert "UNCHECKED: release dates unknown" in out
    code, _, _ = run(
        ["fleet", "constraints", "--offline", "--allow-unchecked", "-o", str(tmp_path / "c.txt")]
    )
    assert code == 0
    body = (tmp_path / "c.txt").read_text(encoding="utf-8")
    assert "urllib3>=2.2.2" in body
    assert "# UNCHECKED" in body


# ---------------------------------------------------------------------------- SBOMs


def cyclonedx(components: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": [
                {
                    "type": "library",
                    "bom-ref": f"pkg:pypi/{n}@{v}",
                    "name": n,
                    "version": v,
                    "purl": f"pkg:pypi/{n}@{v}",
                }
                for n, v in components
            ],
        }
    )


def spdx(components: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "spdxVersion": "SPDX-2.3",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "svc",
            "dataLicense": "CC0-1.0",
            "documentNamespace": "https://example.invalid/svc",
            "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: test"]},
            "packages": [
                {
                    "SPDXID": f"SPDXRef-{i}",
                    "name": n,
                    "versionInfo": v,
                    "downloadLocation": "NOASSERTION",
                    "externalRefs": [
                        {
                            "referenceCategory": "PACKAGE-MANAGER",
                            "referenceType": "purl",
                            "referenceLocator": f"pkg:pypi/{n}@{v}",
                        }
                    ],
                }
                for i, (n, v) in enumerate(components)
            ],
        }
    )


def test_from_sboms_reports_drift_and_vulnerabilities(env: Path) -> None:
    write(env / "sboms/web.cdx.json", cyclonedx([("urllib3", "1.26.5"), ("requests", "2.32.3")]))
    write(env / "sboms/jobs/etl.spdx.json", spdx([("urllib3", "2.0.3")]))
    code, doc = fleet_json(["--from-sboms", "sboms"])
    assert code == 1
    assert [p["path"] for p in doc["projects"]] == ["jobs/etl.spdx.json", "web.cdx.json"]
    (drift,) = doc["drift"]
    assert [(v["label"], v["projects"]) for v in drift["versions"]] == [
        ("1.26.5", ["web.cdx.json"]),
        ("2.0.3", ["jobs/etl.spdx.json"]),
    ]
    cookie = next(v for v in doc["vulnerabilities"] if v["id"] == "PYSEC-2023-212")
    assert cookie["projects"] == ["jobs/etl.spdx.json", "web.cdx.json"]
    assert doc["used_once"] == []
    assert doc["undeclared"] == []

    write(env / "sboms/broken.json", "{not json")
    code, doc = fleet_json(["--from-sboms", "sboms"])
    assert code == 2
    (broken,) = [p for p in doc["projects"] if p["problem"]]
    assert broken["path"] == "broken.json"
    assert "not valid JSON" in broken["problem"]


def test_from_sboms_walks_any_depth_and_no_link(env: Path, tmp_path: Path) -> None:
    # 990 levels deep: rglob recursed once a level and the run ended in RecursionError.
    (env / "sboms").mkdir()
    outside = write(tmp_path / "elsewhere" / "other.cdx.json", cyclonedx([("idna", "2.7")]))
    (env / "sboms" / "linked.cdx.json").symlink_to(outside)
    with deep_folder(env / "sboms") as deep:
        write(deep / "deep.cdx.json", cyclonedx([("urllib3", "2.0.3")]))
        code, doc = fleet_json(["--from-sboms", "sboms"])
    assert code == 1, doc
    assert [p["path"] for p in doc["projects"]] == ["/".join(["d"] * LEVELS) + "/deep.cdx.json"]


@pytest.mark.parametrize(
    "text",
    [
        "numpy==1.26.4\n# a comment\n\nPandas >= 2.0, <3\nrequests\nscikit_learn~=1.4\n",
        "urllib3==1.26.*\nzope.interface!=5.0,>4\n",
    ],
)
def test_the_simple_file_fast_path_reads_what_the_shared_reader_reads(
    tmp_path: Path, text: str
) -> None:
    from pipvet.fleet.simple_reqs import read_simple
    from pipvet.frozen import replace
    from pipvet.inputs.requirements import parse_requirements_file
    from pipvet.models import Location

    path = write(tmp_path / "requirements.txt", text)
    simple = read_simple(path)
    assert simple is not None
    got = [replace(entry, location=Location(str(path), line)) for entry, line in simple]
    assert got == list(parse_requirements_file(path).entries)


@pytest.mark.parametrize(
    "line",
    ["-r other.txt", "x==1 ; python_version<'3'", "x[extra]==1", "x==1  # why", "x==${V}",
     "x @ https://e.invalid/x.whl", "x==2.0.0-final", "x==1 \\"],
)  # fmt: skip
def test_anything_else_goes_to_the_shared_reader(tmp_path: Path, line: str) -> None:
    from pipvet.fleet.simple_reqs import read_simple

    assert read_simple(write(tmp_path / "requirements.txt", f"ok==1\n{line}\n")) is None


def test_long_globs_and_many_gitignore_files_cannot_stall_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One 1 MB '*a*a*...' line took 18 s to compile; and sibling folders each bring their own
    globs, so a walk compiles at most so many in all."""
    from pipvet.fleet import walk
    from pipvet.fleet.gitignore import MAX_GLOB_LENGTH

    root = tmp_path / "fleet"
    write(root / ".gitignore", "*a" * 500_000 + "\n" + "x" * (MAX_GLOB_LENGTH - 1) + "*\n")
    assert len(parse_gitignore((root / ".gitignore").read_text(), "").globs) == 1
    monkeypatch.setattr(walk, "_MAX_COMPILED", 5)
    for i in range(4):
        write(root / f"p{i}" / ".gitignore", "g1-*\ng2-*\ng3-*\n")
        write(root / f"p{i}" / "g1-x" / "requirements.txt", "x\n")
    walked = find_projects([root])
    shown = sorted(p.path.relative_to(root).as_posix() for p in walked.projects)
    # 1 glob at the root, then 3 and 1 of the siblings' before the walk's five are spent
    assert shown == ["p2/g1-x", "p3/g1-x"]
    assert any("at most 200 characters" in w for w in walked.warnings)
