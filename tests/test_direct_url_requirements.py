"""Direct-URL requirements (``name @ URL``, a bare URL, ``file:``, VCS) fail closed and say
where their code comes from, in every format:

- a wheel or sdist file name states the release: matched against that name's advisories at
  that version (the same code has the same holes), and listed as not from a package index,
  findings or not, in text, JSON, markdown, SARIF and HTML;
- a VCS URL, or an archive or URL whose file name states no release: not checked (exit 2
  unless ``--allow-unchecked``): it could install any release of any project;
- a local folder (the user's own project) stays listed as not from the index;
- no credential of a URL (userinfo, a query's token or signature) reaches any output.

The advisories are the shared OSV snapshot; real pip installs the same lines into a real venv
where a test compares the two audits.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import Output, main
from tests.support.wheels import build_wheel, create_venv, pip_install

JINJA2_2_10 = {"PYSEC-2019-217", "PYSEC-2021-66"}
AUDITED_AS = "the version its file name states"
LISTED = "Not from a package index, audited by the version they state"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def audit(lines: str, *options: str) -> tuple[int, str, str]:
    Path("requirements.txt").write_text(lines, encoding="utf-8")
    return run(["audit", "--offline", "-r", "requirements.txt", *options])


def audit_json(lines: str, *options: str) -> tuple[int, dict[str, Any]]:
    code, out, err = audit(lines, "--format", "json", *options)
    assert out, err
    report: dict[str, Any] = json.loads(out)
    return code, report


def only(report: dict[str, Any]) -> dict[str, Any]:
    (dep,) = report["dependencies"]
    assert isinstance(dep, dict)
    return dep


# ----------------------------------------------- a file name that states its release


@pytest.mark.parametrize(
    "line",
    [
        "jinja2 @ https://files.example/p/Jinja2-2.10-py2.py3-none-any.whl",
        "jinja2 @ https://files.example/p/Jinja2-2.10.tar.gz",
        "https://files.example/p/Jinja2-2.10-py2.py3-none-any.whl",
        "Jinja2 @ file:///opt/wheels/Jinja2-2.10-py2.py3-none-any.whl",
    ],
)
def test_a_url_whose_file_states_the_release_has_the_findings_of_the_pin(
    snapshot_project: Path, line: str
) -> None:
    """The shortcut (the version from the file name) against the path it stands for: the
    same findings as the pin ``jinja2==2.10``."""
    pin_code, pinned = audit_json("jinja2==2.10\n")
    code, report = audit_json(line + "\n")
    assert (code, pin_code) == (1, 1)
    dep, pin = only(report), only(pinned)
    assert {f["id"] for f in dep["findings"]} == {f["id"] for f in pin["findings"]} == JINJA2_2_10
    assert dep["fix_requirement"].lower() == pin["fix_requirement"] == "jinja2>=2.11.3"
    assert (dep["version"], dep["skipped"], dep["local"]) == ("2.10", None, True)
    assert AUDITED_AS in dep["local_build"]
    assert "local_build" not in pin  # only a dependency from outside an index has it


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif"])
def test_a_clean_url_requirement_is_still_named_in_every_format(
    snapshot_project: Path, fmt: str
) -> None:
    """No findings, so no findings table names it: the report still says it came from a URL
    and was audited by the version its file name states (it said nothing before)."""
    url = "https://host.example/path/mypkg-1.0-py3-none-any.whl"
    code, out, err = audit(f"mypkg @ {url}\n", "--format", fmt)
    assert code == 0, err
    flat = " ".join(out.split())
    assert LISTED in flat
    assert url in flat
    assert AUDITED_AS in flat
    if fmt == "text":  # the verdict says what the pass rests on
        assert "PASSED: no known vulnerabilities or malware in 1 dependency; 1 dependency " in flat
        assert "audited by the version it states, not from a package index" in flat


def test_a_clean_url_requirement_in_json_and_the_html_page(snapshot_project: Path) -> None:
    url = "https://host.example/path/mypkg-1.0-py3-none-any.whl"
    code, report = audit_json(f"mypkg @ {url}\n")
    assert code == 0
    dep = only(report)
    assert (dep["version"], dep["local"], dep["findings"]) == ("1.0", True, [])
    assert dep["local_build"].startswith(f"direct URL {url}: not from the index; audited as 1.0")
    Path("audit.json").write_text(json.dumps(report), encoding="utf-8")
    code, _, err = run(["report", "--from", "audit.json", "-o", "page.html"])
    assert code == 0, err
    page = Path("page.html").read_text(encoding="utf-8")
    assert f"{LISTED} (1)" in page
    assert url in page


def test_an_index_pin_is_not_listed_as_from_outside_an_index(snapshot_project: Path) -> None:
    code, out, _ = audit("mypkg==1.0\n")
    assert code == 0
    assert LISTED not in " ".join(out.split())


# --------------------------------------------------- a release nobody can tell


@pytest.mark.parametrize(
    "line",
    [
        "mypkg @ git+https://github.com/o/mypkg.git@v1.0",
        "-e git+https://github.com/o/mypkg.git@v1.0#egg=mypkg",
        "git+https://github.com/o/mypkg.git",
        "mypkg @ https://host.example/download/latest",
        "https://host.example/download/latest",
        "mypkg @ https://host.example/archive/main.zip",
        "mypkg @ https://host.example/other-1.0.tar.gz",  # a file of another project
        "mypkg @ file:///opt/dl/mypkg.tar.gz",
    ],
)
def test_a_url_that_states_no_release_is_not_checked(snapshot_project: Path, line: str) -> None:
    code, report = audit_json(line + "\n")
    assert code == 2  # incomplete: it could be any release of any project
    dep = only(report)
    assert (dep["version"], dep["local"]) == (None, False)
    assert "its version cannot be known without fetching it" in dep["skipped"]
    assert report["verdict"]["status"] == "incomplete"
    assert (report["summary"]["unchecked"], report["summary"]["not_from_index"]) == (1, 0)
    code, out, _ = audit(line + "\n")
    assert code == 2
    assert "Not checked: 1 dependency" in out
    code, _, _ = audit(line + "\n", "--allow-unchecked")
    assert code == 0


def test_a_local_folder_is_listed_not_from_the_index_and_passes(snapshot_project: Path) -> None:
    Path("proj").mkdir()
    Path("proj/pyproject.toml").write_text("[project]\nname = 'proj'\n", encoding="utf-8")
    code, report = audit_json("-e ./proj\n")
    assert code == 0
    dep = only(report)
    assert (dep["version"], dep["local"], dep["local_build"]) == (None, True, None)
    assert (report["summary"]["unchecked"], report["summary"]["not_from_index"]) == (0, 1)


def test_the_page_lists_a_local_folder_apart_from_what_was_not_checked(
    snapshot_project: Path,
) -> None:
    Path("proj").mkdir()
    Path("proj/pyproject.toml").write_text("[project]\nname = 'proj'\n", encoding="utf-8")
    lines = "-e ./proj\nx @ git+https://h.example/x.git\n"
    code, _, err = audit(lines, "--format", "json", "-o", "audit.json")
    assert code == 2, err
    code, page, err = run(["report", "--from", "audit.json", "-o", "-"])
    assert code == 2, err
    # as the text report counts them: the VCS line was not checked, the folder is listed
    assert "Not checked (1)" in page
    assert "1 not checked" in page
    assert "Not from a package index (1)" in page
    unchecked = page.split("Not checked (1)")[1].split("</ul>")[0]
    assert "git+https://h.example/x.git" in unchecked
    assert "proj" not in unchecked


def test_unchecked_lines_and_findings_are_all_reported(snapshot_project: Path) -> None:
    lines = "jinja2 @ https://h.example/Jinja2-2.10.tar.gz\nx @ git+https://h.example/x.git\n"
    code, out, _ = audit(lines)
    assert code == 2  # incomplete wins over findings, as for any unchecked dependency
    assert "FAILED: 2 known vulnerabilities in 1 package; 1 dependency could not be checked" in (
        " ".join(out.split())
    )


# ----------------------------------------------------------- credentials in URLs


SECRETS = ("SECRET-USERINFO", "SECRET-QUERY", "SECRET-SIG", "SECRET-VCS", "SECRET-ANYNAME")
PLANTED = """\
jinja2 @ https://me:SECRET-USERINFO@files.example/Jinja2-2.10-py2.py3-none-any.whl
requests @ https://files.example/requests-2.19.0.tar.gz?token=SECRET-QUERY
urllib3 @ https://b.example/urllib3-1.24.1.tar.gz?X-Amz-Date=1&X-Amz-Signature=SECRET-SIG
tool @ git+https://SECRET-VCS@github.com/o/tool.git@v1
https://files.example/dl/latest?X=SECRET-ANYNAME
"""


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_no_credential_of_a_requirement_url_reaches_any_output(
    snapshot_project: Path, fmt: str
) -> None:
    code, out, err = audit(PLANTED, "--format", fmt)
    assert code == 2, err
    code, _, err_o = audit(PLANTED, "--format", fmt, "-o", f"report.{fmt}")
    assert code == 2
    written = Path(f"report.{fmt}").read_text(encoding="utf-8")
    for where, text in (("stdout", out), ("stderr", err + err_o), ("-o", written)):
        assert [s for s in SECRETS if s in text] == [], where
    assert "***" in out


def test_no_credential_reaches_the_html_page(snapshot_project: Path) -> None:
    code, out, _ = audit(PLANTED, "--format", "json", "-o", "audit.json")
    assert code == 2
    code, out, err = run(["report", "--from", "audit.json", "-o", "-"])
    assert code == 2, err  # the page is written; the audit it shows was incomplete
    assert "Not checked (2)" in out
    assert [s for s in SECRETS if s in out + err] == []


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_no_credential_reaches_what_vet_says_of_the_same_lines(
    snapshot_project: Path, fmt: str
) -> None:
    Path("requirements.txt").write_text(PLANTED, encoding="utf-8")
    _, out, err = run(["vet", "--offline", "-r", "requirements.txt", "--format", fmt])
    if fmt != "markdown":  # the markdown table names the package only
        assert "latest?X=***" in out
    assert [s for s in SECRETS if s in out + err] == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_relax_shows_no_credential_and_writes_the_urls_as_they_were(
    snapshot_project: Path, fmt: str
) -> None:
    Path("requirements.txt").write_text(PLANTED + "flask==0.12\n", encoding="utf-8")
    code, out, err = run(["relax", "-r", "requirements.txt", "--dry-run", "--format", fmt])
    assert code == 0, err
    assert "flask>=0.12" in out
    assert [s for s in SECRETS if s in out + err] == []
    code, out, err = run(["relax", "-r", "requirements.txt", "--format", fmt])
    assert code == 0, err
    assert [s for s in SECRETS if s in out + err] == []
    # the file is the user's: its URLs are written back as they were
    assert Path("requirements.txt").read_text(encoding="utf-8") == PLANTED + "flask>=0.12\n"


def test_every_query_value_of_a_shown_requirement_url_is_hidden(snapshot_project: Path) -> None:
    code, report = audit_json("https://files.example/dl/latest?X=SECRET-ANYNAME&v=2\n")
    assert code == 2
    assert "latest?X=***&v=***:" in only(report)["skipped"]


# ------------------------------------------------------------------ real pip (slow)


@pytest.mark.slow
def test_a_wheel_url_is_audited_as_pip_installs_it(snapshot_project: Path, tmp_path: Path) -> None:
    """pip installs ``name @ file:///...whl`` as the release its file holds: the audit of the
    requirement and the audit of the environment pip made name the same version, and both
    say it is not from a package index."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = build_wheel(wheels, "jinja2", "2.10")
    Path("requirements.txt").write_text(f"jinja2 @ {wheel.as_uri()}\n", encoding="utf-8")
    venv = create_venv(tmp_path / "venv")
    pip_install(venv, "--no-deps", "-r", "requirements.txt")
    code, out, _ = run(["audit", "--offline", "--format", "json", "-r", "requirements.txt"])
    from_requirement = only(json.loads(out))
    assert code == 1
    code, out, _ = run(["audit", "--offline", "--format", "json", "--venv", str(venv.root)])
    (installed,) = [d for d in json.loads(out)["dependencies"] if d["name"] == "jinja2"]
    assert code == 1
    assert from_requirement["version"] == installed["version"] == "2.10"
    ids = {f["id"] for f in installed["findings"]}
    assert {f["id"] for f in from_requirement["findings"]} == ids == JINJA2_2_10
    assert from_requirement["local"] is installed["local"] is True
    assert "installed from the archive" in installed["local_build"]
    assert AUDITED_AS in from_requirement["local_build"]
