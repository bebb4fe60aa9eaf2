"""Lock files (uv.lock, poetry.lock, Pipfile.lock, pylock.toml) through ``-r``: the readers on
files the real tools wrote (slow tests), and on hand-written edge cases (fast tests)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from pipvet.errors import InputError
from pipvet.fleet.inventory import load_inventory
from pipvet.inputs.requirements import parse_declared, to_dependencies
from tests.support.httpserver import loopback_server
from tests.support.lock_tools import lock_tool, tool_env
from tests.support.simple_index import SimpleIndex
from tests.support.wheels import build_wheel, create_venv, pip_env, pip_install


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(snapshot_project: Path) -> Path:
    return snapshot_project


def audit_json(*argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(["audit", "--format", "json", *argv])
    assert "Traceback" not in err, err
    return code, json.loads(out)


def finding_ids(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (dep["name"], dep["version"], f["id"])
        for dep in report["dependencies"]
        for f in dep["findings"]
    }


def deps_of(path: Path) -> list[tuple[str, str | None, str | None, str | None]]:
    parsed = parse_declared(path)
    return [(d.name, d.version, d.skipped, d.local_build) for d in to_dependencies(parsed.entries)]


# ----------------------------------------------------------------- hand-written edge cases

UV_LOCK = """\
version = 1
revision = 2
requires-python = ">=3.11"

[manifest]
members = ["app", "lib"]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "requests" }, { name = "pywin32", marker = "sys_platform == 'win32'" }]

[[package]]
name = "lib"
version = "0.2.0"
source = { editable = "packages/lib" }

[[package]]
name = "requests"
version = "2.19.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "1.0"
source = { git = "https://user:secret@github.com/o/tool?rev=main#abc123" }

[[package]]
name = "vendored"
source = { directory = "vendor/vendored" }

[[package]]
name = "other-editable"
version = "0.3"
source = { editable = "../other" }
"""


def test_uv_lock_skips_the_project_and_members_and_lists_local_sources(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(UV_LOCK, encoding="utf-8")
    got = {name: (version, skipped, label) for name, version, skipped, label in deps_of(lock)}
    assert set(got) == {"requests", "tool", "vendored", "other-editable"}
    assert got["requests"] == ("2.19.0", None, None)
    version, skipped, label = got["tool"]
    assert (version, skipped) == ("1.0", None)
    assert "not from a package index (git: https://***@github.com" in (label or "")
    assert "secret" not in (label or "")
    version, skipped, label = got["vendored"]
    assert version is None
    assert "not from a package index (directory: vendor/vendored)" in (skipped or "")
    assert "without a version" in (skipped or "")
    assert "editable: ../other" in (got["other-editable"][2] or "")
    parsed = parse_declared(lock)
    assert parsed.entries[0].location.line == 19  # the [[package]] header of requests
    assert any("markers are not evaluated" in w for w in parsed.warnings)


def test_a_registry_package_is_audited_whatever_else_its_source_claims(tmp_path: Path) -> None:
    """A pull request's uv.lock: django from the index, with a "virtual" key and listed as a
    workspace member, was skipped as the project itself; uv installs it from the index."""
    lock = tmp_path / "uv.lock"
    lock.write_text(
        'version = 1\n\n[manifest]\nmembers = ["django"]\n\n'
        '[[package]]\nname = "django"\nversion = "1.11"\n'
        'source = { registry = "https://pypi.org/simple", virtual = "x" }\n',
        encoding="utf-8",
    )
    assert [(n, v, skipped) for n, v, skipped, _ in deps_of(lock)] == [("django", "1.11", None)]


POETRY_LOCK = """\
[[package]]
name = "jinja2"
version = "2.10"
description = ""
optional = false
python-versions = "*"
groups = ["main", "dev"]
markers = {main = "python_version >= '3.8'", dev = "sys_platform == 'linux'"}

[[package]]
name = "mylib"
version = "0.1"
optional = false
python-versions = "*"
groups = ["main"]

[package.source]
type = "git"
url = "https://github.com/o/mylib.git"
reference = "main"
resolved_reference = "0123abc"

[[package]]
name = "oldstyle"
version = "1.0"
category = "dev"
optional = false
python-versions = "*"

[metadata]
lock-version = "2.1"
python-versions = ">=3.11"
content-hash = "abc"
"""


def test_poetry_lock_groups_markers_and_sources(tmp_path: Path) -> None:
    lock = tmp_path / "poetry.lock"
    lock.write_text(POETRY_LOCK, encoding="utf-8")
    parsed = parse_declared(lock)
    jinja = parsed.entries[0]
    assert (jinja.pinned_version, jinja.section) == ("2.10", "groups: main, dev")
    assert str(jinja.marker) == 'python_version >= "3.8" or sys_platform == "linux"'
    assert parsed.entries[2].section == "category: dev"
    assert deps_of(lock)[1][3] == (
        "not from a package index (git: https://github.com/o/mylib.git): audited as mylib "
        "0.1, but the code may differ from that release"
    )
    lock.write_text(POETRY_LOCK.split("[metadata]", maxsplit=1)[0], encoding="utf-8")
    with pytest.raises(InputError) as err:
        parse_declared(lock)
    assert f"{lock}: no [metadata] table" in str(err.value)


UNKNOWABLE = (
    "and locked without a version, which cannot be known without fetching it, so no advisory "
    "was matched; lock it with its version, or audit the environment it is installed in "
    "(--venv DIR)"
)


def test_pylock_vcs_without_a_version_is_not_checked(tmp_path: Path) -> None:
    """It was listed as not from a package index, and the audit passed: a VCS source without
    a version could be any release, as a requirements file's VCS line is (not checked)."""
    lock = tmp_path / "pylock.dev.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "idna"\n'
        'version = "2.7"\nmarker = "python_version < \'3.14\'"\n\n[[packages]]\nname = "src"\n'
        'vcs = { type = "git", url = "https://example.org/src.git", commit-id = "abc" }\n',
        encoding="utf-8",
    )
    assert deps_of(lock) == [
        ("idna", "2.7", None, None),
        (
            "src",
            None,
            f"not from a package index (vcs: https://example.org/src.git) {UNKNOWABLE}",
            None,
        ),
    ]
    (_, src) = to_dependencies(parse_declared(lock).entries)
    assert src.local is False  # AuditReport.unchecked: the audit is incomplete (exit 2)


def test_a_locked_folder_without_a_version_is_listed_not_unchecked(tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "mine"\n'
        'directory = { path = "src/mine" }\n',
        encoding="utf-8",
    )
    (dep,) = to_dependencies(parse_declared(lock).entries)
    assert (dep.version, dep.local) == (None, True)
    assert dep.skipped == (
        "not from a package index (directory: src/mine) and locked without a version: "
        "cannot be audited by version"
    )


def test_pipfile_lock_sections_and_git(tmp_path: Path) -> None:
    lock = tmp_path / "Pipfile.lock"
    lock.write_text(
        json.dumps(
            {
                "_meta": {"hash": {"sha256": "x"}},
                "default": {"idna": {"version": "==2.7", "markers": "os_name == 'nt'"}},
                "develop": {"tool": {"git": "https://example.org/t.git", "ref": "abc"}},
            },
            indent=4,
        ),
        encoding="utf-8",
    )
    parsed = parse_declared(lock)
    assert [(e.name, e.section, e.location.line) for e in parsed.entries] == [
        ("idna", "default", 8),
        ("tool", "develop", 14),
    ]
    assert deps_of(lock)[1][2] == (
        f"not from a package index (git: https://example.org/t.git@abc) {UNKNOWABLE}"
    )


PYLOCK_NO_VERSIONS = """\
lock-version = "1.0"

[[packages]]
name = "six"
version = "1.16.0"
wheels = [{ name = "six-1.16.0-py2.py3-none-any.whl", hashes = { sha256 = "8abb" } }]

[[packages]]
name = "jinja2"
wheels = [
  { name = "Jinja2-2.10-py2.py3-none-any.whl", hashes = { sha256 = "74c9" } },
  { url = "https://files.example/packages/Jinja2-2.10-py3-none-any.whl", hashes = {} },
]

[[packages]]
name = "idna"
sdist = { url = "https://files.example/packages/idna-2.7.tar.gz", hashes = { sha256 = "68" } }

[[packages]]
name = "mystery"
index = "https://pypi.org/simple"
"""


def test_an_index_package_locked_without_a_version_is_never_passed_as_local(env: Path) -> None:
    """PEP 751 lets a lock leave 'version' out: such index packages were listed as 'not from a
    package index' and the audit passed. The version their file names state is audited; with
    none, the package is unchecked (so is a uv.lock registry package without a version)."""
    lock = env / "pylock.toml"
    lock.write_text(PYLOCK_NO_VERSIONS, encoding="utf-8")
    deps = {name: (version, skipped, local) for name, version, skipped, local in deps_of(lock)}
    assert deps["jinja2"] == ("2.10", None, None)
    assert deps["idna"] == ("2.7", None, None)
    assert deps["mystery"][:1] == (None,)
    assert deps["mystery"][1] == (
        "locked without a version (nor do its file names state one): cannot be audited; "
        "regenerate the lock"
    )
    code, report = audit_json("-r", str(lock))
    assert code == 2  # mystery is unchecked
    assert report["summary"]["unchecked"] == 1
    assert ("jinja2", "2.10", "PYSEC-2019-217") in finding_ids(report)
    uv = env / "uv.lock"
    uv.write_text(
        'version = 1\n[[package]]\nname = "jinja2"\nsource = { registry = "https://x" }\n',
        encoding="utf-8",
    )
    code, report = audit_json("-r", str(uv))
    assert (code, report["summary"]["unchecked"], report["summary"]["not_from_index"]) == (2, 1, 0)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Pipfile.lock", '{"default": {"jinja2": {"hashes": [], "index": "pypi"}}}'),
        ("poetry.lock", '[metadata]\ncontent-hash = "x"\n[[package]]\nname = "jinja2"\n'),
    ],
)
def test_an_index_package_a_lock_gives_no_version_is_unchecked(
    env: Path, name: str, text: str
) -> None:
    """It was listed as 'not from a package index' and the audit passed."""
    lock = env / name
    lock.write_text(text, encoding="utf-8")
    code, report = audit_json("-r", str(lock))
    assert (code, report["summary"]["unchecked"], report["summary"]["not_from_index"]) == (2, 1, 0)
    (dep,) = report["dependencies"]
    assert dep["skipped"].startswith("locked without a version (from the index)")


def test_pipfile_lock_categories_beyond_default_and_develop_are_audited(env: Path) -> None:
    """A Pipfile's [docs] category is locked under "docs" and installed with pipenv install
    --categories docs: a vulnerable package there passed the audit unseen."""
    lock = env / "Pipfile.lock"
    lock.write_text(
        json.dumps(
            {
                "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6},
                "default": {"six": {"version": "==1.16.0"}},
                "develop": {},
                "docs": {"jinja2": {"version": "==2.10"}},
            },
            indent=4,
        ),
        encoding="utf-8",
    )
    assert [(e.name, e.section) for e in parse_declared(lock).entries] == [
        ("six", "default"),
        ("jinja2", "docs"),
    ]
    code, report = audit_json("-r", str(lock))
    assert code == 1
    assert ("jinja2", "2.10", "PYSEC-2019-217") in finding_ids(report)
    lock.write_text('{"default": {}, "docs": ["jinja2==2.10"]}', encoding="utf-8")
    with pytest.raises(InputError) as err:
        parse_declared(lock)
    assert "'docs' is not an object" in str(err.value.problems)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("uv.lock", "version = 1\n[[package]\n", "uv.lock:2:10: invalid TOML"),
        ("poetry.lock", "[[package]]\nname = 'x'\n", "poetry.lock: no [metadata] table"),
        ("pylock.toml", "[[packages]]\nname = 'x'\n", "pylock.toml: no lock-version"),
        ("Pipfile.lock", '{"default": {\n  "x": }', "Pipfile.lock:2:8: Expecting value"),
        ("Pipfile.lock", '{"default": {"x": {"version": ">=1"}}}', "version '>=1' is not ==X"),
        ("uv.lock", 'version = 1\n[[package]]\nname = "a b"\n', "'a b' is not a valid package"),
        ("uv.lock", 'version = 1\n[[package]]\nname = "ab"\nversion = 3\n', "ab: '3' is not"),
        ("uv.lock", "package = 3\n", "no 'version = N' at the top"),
    ],
)
def test_bad_lock_files_are_errors_naming_the_file(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        parse_declared(path)
    assert expected in str(err.value).replace(str(tmp_path) + "/", "")


def test_hostile_lock_files(tmp_path: Path) -> None:
    fifo = tmp_path / "uv.lock"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        parse_declared(fifo)
    deep = tmp_path / "poetry.lock"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        parse_declared(deep)
    long = tmp_path / "pylock.toml"
    long.write_text(
        f'lock-version = "1.0"\n[[packages]]\nname = "{"a" * 100_000}"\nversion = "1"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        parse_declared(long)
    assert len(str(err.value)) < 500


def test_audit_r_lock_file_and_a_project_with_only_a_lock(env: Path) -> None:
    lock = env / "uv.lock"
    lock.write_text(UV_LOCK, encoding="utf-8")
    code, report = audit_json("-r", str(lock))
    assert code == 1
    assert report["target"] == f"lock file {lock}"
    assert any(name == "requests" for name, _, _ in finding_ids(report))
    assert any("markers are not evaluated" in w for w in report["warnings"])
    # No venv here: the lock file is audited, and the report says so.
    code, report = audit_json()
    assert code == 1
    assert report["target"] == f"lock file {lock}"
    assert "pipvet audited the project's lock file (uv.lock) instead" in report["warnings"][0]


def test_a_requirements_file_beside_an_audit_of_the_running_python_is_named(env: Path) -> None:
    (env / "requirements.txt").write_text("jinja2==2.10\n", encoding="utf-8")
    _, report = audit_json("--offline")
    assert report["target"].startswith("the Python running pipvet")
    said = [w for w in report["warnings"] if w.startswith("requirements.txt in the current")]
    assert len(said) == 1
    assert "run 'pipvet audit -r requirements.txt'" in said[0]
    # told what to audit, so nothing of it is hidden: a lock file is audited in its place
    (env / "uv.lock").write_text(UV_LOCK, encoding="utf-8")
    _, report = audit_json("--offline")
    assert report["target"] == f"lock file {env / 'uv.lock'}"
    assert not [w for w in report["warnings"] if w.startswith("requirements.txt in the current")]


# ----------------------------------------------------------------- the real tools


@pytest.fixture(scope="module")
def locked_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One project, locked by every tool that can be had, against a loopback index of small
    wheels named and versioned like real vulnerable releases; and its installed venv."""
    root = tmp_path_factory.mktemp("locked")
    wheels = root / "wheels"
    build_wheel(wheels, "requests", "2.19.0", requires=["urllib3<1.24,>=1.21.1", "idna>=2.5"])
    build_wheel(wheels, "urllib3", "1.23")
    build_wheel(wheels, "idna", "2.7")
    build_wheel(wheels, "jinja2", "2.10", requires=["markupsafe>=0.23"])
    build_wheel(wheels, "markupsafe", "2.1.5")
    build_wheel(wheels, "colorama", "0.4.6")
    deps = ["requests==2.19.0", "jinja2==2.10", "colorama==0.4.6; sys_platform == 'win32'"]
    with loopback_server() as server:
        url = SimpleIndex(server, wheels).url
        project = root / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            f"dependencies = {json.dumps(deps)}\n\n"
            f'[[tool.poetry.source]]\nname = "local"\nurl = "{url}"\npriority = "primary"\n',
            encoding="utf-8",
        )
        (project / "Pipfile").write_text(
            f'[[source]]\nurl = "{url}"\nverify_ssl = false\nname = "local"\n\n[packages]\n'
            'requests = "==2.19.0"\njinja2 = "==2.10"\n'
            'colorama = {version = "==0.4.6", markers = "sys_platform == \'win32\'"}\n',
            encoding="utf-8",
        )
        environ = tool_env(root)
        uv = str(lock_tool("uv"))
        _run([uv, "lock", "--default-index", url], project, environ)
        (project / "uv-export").mkdir()
        _run(
            [uv, "export", "--default-index", url, "--format", "pylock.toml",
             "-o", "uv-export/pylock.toml"],
            project, environ,
        )  # fmt: skip
        (project / "pip-lock").mkdir()
        _run(
            [sys.executable, "-m", "pip", "lock", "--index-url", url, "--no-cache-dir",
             "-o", "pip-lock/pylock.toml", *deps],
            project, pip_env(),
        )  # fmt: skip
        venv = create_venv(root / "venv")
        pip_install(venv, *deps, find_links=wheels)
        yield project


def _run(cmd: list[str], cwd: Path, environ: dict[str, str]) -> None:
    done = subprocess.run(
        cmd, check=False, cwd=cwd, env=environ, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cmd[:2]} failed:\n{done.stdout}\n{done.stderr}"


def _lock_with(tool: str, project: Path, cmd: list[str], lock: str) -> Path:
    path = project / lock
    if not path.exists():
        _run([str(lock_tool(tool)), *cmd], project, tool_env(project.parent))
    return path


@pytest.mark.slow
def test_every_lock_of_one_project_finds_what_the_installed_venv_has(
    env: Path, locked_project: Path
) -> None:
    code, venv = audit_json("--venv", str(locked_project.parent / "venv"))
    expected = finding_ids(venv)
    assert code == 1
    assert {name for name, _, _ in expected} >= {"requests", "urllib3", "jinja2"}
    locks = {
        "uv.lock": locked_project / "uv.lock",
        "uv export": locked_project / "uv-export" / "pylock.toml",
        "pip lock": locked_project / "pip-lock" / "pylock.toml",
        "poetry.lock": _lock_with("poetry", locked_project, ["lock", "-n"], "poetry.lock"),
        "Pipfile.lock": _lock_with("pipenv", locked_project, ["lock"], "Pipfile.lock"),
    }
    for what, path in locks.items():
        code, report = audit_json("-r", str(path))
        assert code == 1, what
        assert finding_ids(report) == expected, what
        assert report["target"] == f"lock file {path}"
        names = {d["name"] for d in report["dependencies"]}
        assert "demo" not in names, what  # the project itself is not a dependency
        if what != "pip lock":  # pip lock evaluates markers away; the others keep colorama
            assert "colorama" in names, what
            assert any("markers are not evaluated" in w for w in report["warnings"]), what


@pytest.mark.slow
def test_vet_r_reads_a_real_lock(env: Path, locked_project: Path) -> None:
    parsed = parse_declared(locked_project / "uv.lock")
    assert [e.raw for e in parsed.requirements] == [
        "colorama==0.4.6",
        "idna==2.7",
        "jinja2==2.10",
        "markupsafe==2.1.5",
        "requests==2.19.0",
        "urllib3==1.23",
    ]


@pytest.mark.slow
def test_sbom_r_and_fleet_read_a_real_uv_lock(env: Path, locked_project: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["sbom", "-q", "-r", str(locked_project / "uv.lock")], Output(out, err))
    assert code in (0, 1), err.getvalue()
    got = {(c["name"], c["version"]) for c in json.loads(out.getvalue())["components"]}
    assert ("requests", "2.19.0") in got
    assert ("urllib3", "1.23") in got
    only_lock = env / "only-lock"
    only_lock.mkdir()
    (only_lock / "uv.lock").write_bytes((locked_project / "uv.lock").read_bytes())
    db = env / "inventory.sqlite"
    main(["fleet", "-q", "--db", str(db), str(only_lock)], Output(io.StringIO(), io.StringIO()))
    inventory = load_inventory(db)
    assert [p.sources for p in inventory.projects] == [("uv.lock",)]
    rows = {(r.name, r.kind, r.version) for r in inventory.rows}
    assert ("requests", "locked", "2.19.0") in rows
    assert ("urllib3", "locked", "1.23") in rows


def test_relax_reports_a_named_lock_file_and_never_rewrites_it(tmp_path: Path) -> None:
    from pipvet.project.relax import plan_relax

    lock = tmp_path / "uv.lock"
    lock.write_text(UV_LOCK, encoding="utf-8")
    plan = plan_relax(tmp_path, [lock])
    assert plan.problems == ()
    assert plan.files == ()
    assert [(x.path, x.tool) for x in plan.lock_files] == [(lock, "uv")]


@pytest.mark.parametrize("version", ["2\t.7", "2\n.7", "2 .7", "2\x0b7"])
def test_a_version_with_whitespace_inside_is_unchecked_not_a_crash(env: Path, version: str) -> None:
    """Found by the fuzzing bench: a tab inside a locked version made an invalid ``===``
    specifier (a traceback). It is no PEP 440 version, so the package is not checked, and
    the audit says so (and fails closed)."""
    lock = env / "pylock.toml"
    escaped = json.dumps(version)  # a TOML basic string takes JSON's escapes
    lock.write_text(
        f'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "idna"\n'
        f"version = {escaped}\n",
        encoding="utf-8",
    )
    ((name, locked, _skipped, _label),) = deps_of(lock)
    assert (name, locked) == ("idna", version)
    code, out, err = run(["audit", "-r", str(lock)])
    assert "Traceback" not in err
    assert code == 2, out + err
    assert "is not a valid PEP 440" in " ".join(out.split())
