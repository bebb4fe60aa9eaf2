"""The pip runner: version parsing and feature table, install reports, and real pip against
a real loopback index whose upload times the test controls."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from packaging.version import Version

from pipvet.errors import PipError
from pipvet.system.process import SubprocessRunner
from pipvet.update.pip import (
    Pip,
    PipFeatures,
    cooldown_cutoff,
    parse_install_report,
    parse_pip_version,
)
from tests.support.httpserver import LoopbackServer
from tests.support.pipvenv import venv_with_pip
from tests.support.simple_index import SimpleIndex, venv_with_current_pip
from tests.support.wheels import build_wheel, pip_env


@pytest.mark.parametrize(
    ("output", "version", "python"),
    [
        ("pip 26.3 from /v/lib/python3.11/site-packages/pip (python 3.11)\n", "26.3", "3.11"),
        ("pip 23.2.1 from C:\\v\\Lib\\site-packages\\pip (python 3.12)", "23.2.1", "3.12"),
        ("WARNING: something\npip 24.0 from /a b/pip (python 3.8)\n", "24.0", "3.8"),
    ],
)
def test_parse_pip_version(output: str, version: str, python: str) -> None:
    assert parse_pip_version(output) == (Version(version), python)


@pytest.mark.parametrize("output", ["", "Python 3.11.4", "pip from x (python 3)", "pip x.y from"])
def test_parse_pip_version_rejects_other_text(output: str) -> None:
    with pytest.raises(PipError, match="not 'pip X from"):
        parse_pip_version(output)


@pytest.mark.parametrize(
    ("version", "cooldown", "release", "report", "duration", "missing"),
    [
        ("26.3", True, True, True, True, ()),
        ("26.0", True, True, True, False, ()),
        ("25.3", False, False, True, False, ("--uploaded-prior-to", "--only-final")),
        ("22.1", False, False, False, False, ("--uploaded-prior-to", "--only-final", "--report")),
    ],
)
def test_features_follow_the_version(  # noqa: PLR0917
    version: str,
    cooldown: bool,
    release: bool,
    report: bool,
    duration: bool,
    missing: tuple[str, ...],
) -> None:
    f = PipFeatures(Version(version))
    assert (f.uploaded_prior_to, f.release_control, f.report) == (cooldown, release, report)
    assert f.uploaded_prior_to_duration is duration
    said = f.missing_protections(3)
    assert len(said) == len(missing)
    for flag, text in zip(missing, said, strict=True):
        assert flag in text
        assert f"pip {version}" in text


def test_missing_cooldown_is_not_reported_when_the_cooldown_is_off() -> None:
    said = PipFeatures(Version("25.0")).missing_protections(0)
    assert not any("uploaded-prior-to" in s for s in said)
    assert (
        "3-day cooldown was NOT applied" in PipFeatures(Version("25.0")).missing_protections(3)[0]
    )


def test_cooldown_cutoff_is_an_absolute_utc_time() -> None:
    now = datetime(2026, 3, 10, 12, 30, 5, tzinfo=UTC)
    assert cooldown_cutoff(now, 3) == "2026-03-07T12:30:05Z"
    assert cooldown_cutoff(now, 0) == "2026-03-10T12:30:05Z"


def test_install_report_tells_wheels_from_source_builds() -> None:
    report = {
        "version": "1",
        "install": [
            {
                "metadata": {"name": "Foo_Bar", "version": "1.0"},
                "download_info": {"url": "https://x/files/foo_bar-1.0-py3-none-any.whl#sha256=a"},
                "requested": True,
                "is_direct": False,
            },
            {
                "metadata": {"name": "legacy", "version": "2.0"},
                "download_info": {"url": "https://x/files/legacy-2.0.tar.gz"},
                "is_direct": False,
            },
            {
                "metadata": {"name": "proj", "version": "0.1"},
                "download_info": {"url": "file:///src/proj", "dir_info": {"editable": True}},
                "requested": True,
                "is_direct": True,
            },
        ],
    }
    items = parse_install_report(json.dumps(report))
    assert [(i.name, i.from_wheel, i.editable, i.local_dir) for i in items] == [
        ("foo-bar", True, False, False),
        ("legacy", False, False, False),
        ("proj", False, True, True),
    ]


@pytest.mark.parametrize("text", ["", "[]", '{"install": [{"metadata": {}}]}'])
def test_broken_install_report_is_a_pip_error(text: str) -> None:
    with pytest.raises(PipError, match="install report could not be read"):
        parse_install_report(text)


# ------------------------------------------------------------------------ real pip


@pytest.mark.slow
def test_old_pip_says_what_it_cannot_protect(tmp_path: Path) -> None:
    venv = venv_with_pip(tmp_path / "venv")  # the pip bundled with the running Python
    pip = Pip(venv.python, SubprocessRunner(env=pip_env()))
    version = pip.version()
    if version >= Version("26.0"):
        pytest.skip("the bundled pip is already current")
    assert any("cooldown was NOT applied" in s for s in pip.features().missing_protections(3))


@pytest.mark.slow
def test_real_pip_honours_the_cooldown_flag_against_the_index(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    index = SimpleIndex(http_server, tmp_path / "files")
    build_wheel(index.folder, "fresh", "1.0")
    build_wheel(index.folder, "fresh", "1.1")
    index.set_uploaded("fresh-1.1-py3-none-any.whl", datetime.now(UTC) - timedelta(days=1))
    root = venv_with_current_pip(tmp_path / "venv")
    pip = Pip(root / "bin" / "python", SubprocessRunner(env=pip_env()))
    assert pip.features().uploaded_prior_to
    cutoff = cooldown_cutoff(datetime.now(UTC), 3)
    common = ["--index-url", index.url, "--only-final", ":all:"]
    held = pip.install([*common, "--uploaded-prior-to", cutoff, "fresh"], dry_run=True)
    assert held.report is not None
    assert [(i.name, i.version, i.from_wheel) for i in held.report] == [("fresh", "1.0", True)]
    latest = pip.install([*common, "fresh"], dry_run=True)
    assert latest.report is not None
    assert [i.version for i in latest.report] == ["1.1"]


@pytest.mark.slow
def test_failed_install_names_pips_error(tmp_path: Path, http_server: LoopbackServer) -> None:
    index = SimpleIndex(http_server, tmp_path / "files")
    build_wheel(index.folder, "present", "1.0")
    root = venv_with_current_pip(tmp_path / "venv")
    pip = Pip(root / "bin" / "python", SubprocessRunner(env=pip_env()))
    with pytest.raises(PipError, match="No matching distribution found for absent") as info:
        pip.install(["--index-url", index.url, "absent"])
    assert info.value.hint is not None
    assert "pip install" in info.value.hint


@pytest.mark.slow
def test_hash_lines_say_that_hashes_need_pins_and_show_pips_whole_error(
    tmp_path: Path, http_server: LoopbackServer
) -> None:
    index = SimpleIndex(http_server, tmp_path / "files")
    wheel = build_wheel(index.folder, "present", "1.0", requires=["helper"])
    build_wheel(index.folder, "helper", "1.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    req = tmp_path / "requirements.txt"
    req.write_text(f"present==1.0 --hash=sha256:{digest}\n")
    root = venv_with_current_pip(tmp_path / "venv")
    pip = Pip(root / "bin" / "python", SubprocessRunner(env=pip_env()))
    with pytest.raises(PipError) as info:
        pip.install(["--index-url", index.url, "-U", "--upgrade-strategy", "eager", "-r", str(req)])
    message = info.value.message
    # pip explains over several lines: the requirement without a hash is named below the
    # first ERROR line, and it must be in the message.
    first, _, rest = message.partition("ERROR: In --require-hashes mode")
    assert first == "pip install failed (exit code 1):\n  "
    assert "These do not:" in rest
    assert "helper" in rest.split("These do not:", 1)[1]  # on pip's next line, not its first
    assert info.value.hint is not None
    assert "pinned with ==" in info.value.hint
    assert "pipvet relax" in info.value.hint
