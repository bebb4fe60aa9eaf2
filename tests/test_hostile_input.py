"""Hostile input: a ``~user`` that does not exist, numbers that overflow, NUL bytes, FIFOs and
devices where files belong. Each must end in a clear error naming where the bad value came
from (exit 2), never a traceback nor the "internal error" safety net."""

from __future__ import annotations

import io
import os
import threading
from datetime import date
from pathlib import Path

import pytest

from pipvet.cli import Output, main
from pipvet.errors import PipvetError, PolicyError, UsageError
from pipvet.policy import load_policy
from pipvet.system.files import FileProblem, read_bytes_capped
from pipvet.system.paths import expand_home

GHOST = "~pipvet-no-such-user-7d1f"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def assert_clean_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "internal error" not in err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("PIPVET_OSV_URL", "PIPVET_OSV_OVERLAY", "VIRTUAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "pipvet.toml").write_text("", encoding="utf-8")
    (folder / "requirements.txt").write_text("requests==2.0.0\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


# ---------------------------------------------------------------------------- ~nosuchuser


def test_expand_home_names_the_origin_of_an_unknown_user() -> None:
    with pytest.raises(UsageError) as caught:
        expand_home(f"{GHOST}/cache", origin="--cache-dir")
    message = str(caught.value)
    assert message.startswith("--cache-dir: cannot expand")
    assert GHOST in message
    assert "full path" in (caught.value.hint or "")
    assert expand_home("~/x", origin="x") == Path.home() / "x"
    assert expand_home("/a/~b", origin="x") == Path("/a/~b")


@pytest.mark.parametrize(
    ("argv", "origin"),
    [
        (["audit", "-r", "requirements.txt", "--cache-dir", f"{GHOST}/c"], "--cache-dir"),
        (["audit", "--venv", f"{GHOST}/venv"], "--venv"),
        (["audit", "--python", f"{GHOST}/python"], "--python"),
        (["audit", "-r", "requirements.txt", "--osv-url", f"{GHOST}/osv"], "--osv-url"),
        (["audit", "-r", "requirements.txt", "--osv-overlay", f"{GHOST}/o"], "--osv-overlay"),
        (["vet", "--offline", "--index-url", f"{GHOST}/index", "requests"], "--index-url"),
        (["exposure", "--home", f"{GHOST}/home"], "--home"),
    ],
)
def test_an_unknown_user_in_a_flag_is_a_usage_error(
    project: Path, argv: list[str], origin: str
) -> None:
    code, _out, err = run(argv)
    assert_clean_error(code, err, origin, GHOST)


@pytest.mark.parametrize("variable", ["PIPVET_CACHE_DIR", "PIPVET_OSV_OVERLAY", "PIPVET_OSV_URL"])
def test_an_unknown_user_in_an_environment_variable_is_a_usage_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, f"{GHOST}/x")
    code, _out, err = run(["audit", "-r", "requirements.txt"])
    assert_clean_error(code, err, variable, GHOST)


@pytest.mark.parametrize("key", ["osv-overlay", "osv-url", "index-url", "top-packages-url"])
def test_an_unknown_user_in_a_policy_path_is_a_policy_error(project: Path, key: str) -> None:
    (project / "pipvet.toml").write_text(f'{key} = "{GHOST}/data"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(project, today=date(2026, 1, 1))
    assert any(key in p and GHOST in p for p in caught.value.problems), caught.value.problems
    code, _out, err = run(["audit", "-r", "requirements.txt"])
    assert_clean_error(code, err, key, GHOST, "pipvet.toml")


# ---------------------------------------------------------------------------- policy numbers


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("cooldown-days", "800000", "from 0 to 3650"),
        ("min-project-age-days", "99999999999", "from 0 to 3650"),
        ("max-release-silence-days", "10000000", "from 0 to 3650"),
        ("min-maintainers", "1000001", "from 0 to 10000"),
        ("max-maintainers", "123456789", "from 1 to 10000"),
        ("max-new-dependencies", "9223372036854775807", "from 0 to 10000"),
        ("max-age-hours", "1e300", "from 0 to 87600"),
        ("max-age-hours", "nan", "from 0 to 87600"),
    ],
)
def test_every_number_in_the_policy_is_bounded(
    project: Path, key: str, value: str, allowed: str
) -> None:
    (project / "pipvet.toml").write_text(f"{key} = {value}\n", encoding="utf-8")
    code, _out, err = run(["audit", "-r", "requirements.txt"])
    assert_clean_error(code, err, key, allowed)


def test_the_largest_allowed_cooldown_is_accepted(project: Path) -> None:
    (project / "pipvet.toml").write_text("cooldown-days = 3650\n", encoding="utf-8")
    policy = load_policy(project, today=date(2026, 1, 1))
    assert policy.cooldown_days == 3650


# ---------------------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize("command", [["audit"], ["vet", "--offline"], ["relax"]])
def test_a_nul_byte_in_an_include_names_the_file_and_line(
    project: Path, command: list[str]
) -> None:
    (project / "requirements.txt").write_text("requests==2.0.0\n-r \x00\n", encoding="utf-8")
    code, _out, err = run([*command, "-r", "requirements.txt"])
    assert_clean_error(code, err, "requirements.txt:2", "NUL")


@pytest.mark.parametrize("command", [["audit"], ["vet", "--offline"], ["relax"]])
def test_a_nul_byte_in_a_path_on_the_command_line_is_a_clear_error(
    project: Path, command: list[str]
) -> None:
    code, _out, err = run([*command, "-r", "req\x00uirements.txt"])
    assert_clean_error(code, err, "req\\x00uirements.txt")


# ---------------------------------------------------------------------------- special files


def test_the_reader_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    result: list[BaseException] = []
    worker = threading.Thread(target=lambda: result.append(_problem(fifo)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert isinstance(result[0], FileProblem)
    assert "FIFO" in str(result[0])


def test_the_reader_refuses_a_device_a_folder_and_a_file_over_the_cap(tmp_path: Path) -> None:
    link = tmp_path / "METADATA"
    link.symlink_to("/dev/zero")
    assert "character device" in str(_problem(link))
    assert "a folder" in str(_problem(tmp_path))
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    assert "larger than 1024 bytes" in str(_problem(big, cap=1024))
    assert read_bytes_capped(big, cap=2048) == b"x" * 2048
    assert _problem(tmp_path / "absent").missing  # type: ignore[attr-defined]


def _problem(path: Path, cap: int = 1 << 20) -> PipvetError:
    try:
        read_bytes_capped(path, cap=cap)
    except FileProblem as exc:
        return exc
    raise AssertionError(f"{path} was read")


# ---------------------------------------------------------------------------- long names


def test_a_megabyte_name_is_refused_before_any_work(project: Path) -> None:
    import time

    started = time.monotonic()
    code, _out, err = run(["vet", "--offline", "a" * (1 << 20)])
    assert_clean_error(code, err, "not a valid package name: longer than 200 characters")
    assert time.monotonic() - started < 10
    assert len(err) < 1000  # the name is cut in the message


def test_a_long_name_or_version_in_a_requirements_file_names_the_line(project: Path) -> None:
    (project / "requirements.txt").write_text(
        f"requests==2.0.0\n{'x' * 201}==1.0\nflask=={'1' * 129}\n", encoding="utf-8"
    )
    code, _out, err = run(["audit", "-r", "requirements.txt"])
    assert_clean_error(
        code,
        err,
        "requirements.txt:2",
        "longer than 200 characters",
        "requirements.txt:3",
        "not a valid version: longer than 128 characters",
    )


# ---------------------------------------------------------------------------- pins, not paths


@pytest.mark.parametrize("line", ["flask==0.12/", "..==2.19.0", "requests==${HOME}", "a==1\\2"])
def test_a_pin_with_a_slash_or_a_dot_is_not_a_local_path(project: Path, line: str) -> None:
    (project / "requirements.txt").write_text(f"requests==2.0.0\n{line}\n", encoding="utf-8")
    code, _out, err = run(["audit", "--offline", "-r", "requirements.txt"])
    assert_clean_error(code, err, "requirements.txt:2", "invalid requirement")


@pytest.mark.parametrize("line", ["flask/", "./nothere", "~/nothere", "src\\pkg"])
def test_a_path_to_no_folder_is_an_error_as_in_pip(project: Path, line: str) -> None:
    (project / "requirements.txt").write_text(f"{line}\n", encoding="utf-8")
    code, _out, err = run(["audit", "--offline", "-r", "requirements.txt"])
    assert_clean_error(code, err, "requirements.txt:1", "no such folder exists")


def test_a_project_folder_is_still_a_local_requirement(project: Path) -> None:
    from pipvet.inputs.requirements import parse_requirements_file

    (project / "pkg").mkdir()
    (project / "pkg" / "pyproject.toml").write_text("[project]\nname='p'\n", encoding="utf-8")
    (project / "empty").mkdir()
    (project / "requirements.txt").write_text("./pkg\n./dist/p-1.0-py3-none-any.whl\n")
    entries = parse_requirements_file(project / "requirements.txt").entries
    assert [e.kind for e in entries] == ["url", "url"]
    (project / "requirements.txt").write_text("./empty\n", encoding="utf-8")
    code, _out, err = run(["audit", "--offline", "-r", "requirements.txt"])
    assert_clean_error(code, err, "requirements.txt:1", "holds no setup.py or pyproject.toml")


# ---------------------------------------------------------------------------- found by fuzzing


def test_toml_nested_too_deeply_is_a_clear_error(project: Path) -> None:
    from pipvet.errors import InputError
    from pipvet.inputs.requirements import parse_pyproject

    deep = "[project]\nname = 'x'\ndependencies = " + "[" * 5000 + "\n"
    (project / "pyproject.toml").write_text(deep, encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        parse_pyproject(project / "pyproject.toml")
    (project / "pipvet.toml").write_text("internal = " + "[" * 5000, encoding="utf-8")
    code, _out, err = run(["audit", "-r", "requirements.txt"])
    assert_clean_error(code, err, "pipvet.toml", "nested too deeply")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("pkg @ https://f[[[", "invalid URL"),
        ("pkg @ https://fi\x1b[31mles.example/pkg-1.0.tar.gz", "invalid URL"),
        ("requestfile://s===", "unknown URL scheme 'requestfile'"),
        ("tps://github", "unknown URL scheme 'tps'"),
        ("pkg @ https://files.e;xample/pkg-1.0.tar.gz", "invalid environment marker"),
        ("//files.example/pkg-1.0.tar.gz", "a path on another host"),
    ],
)
def test_urls_pip_rejects_are_errors(project: Path, line: str, message: str) -> None:
    (project / "requirements.txt").write_text(f"{line}\n", encoding="utf-8")
    code, _out, err = run(["audit", "--offline", "-r", "requirements.txt"])
    assert_clean_error(code, err, "requirements.txt:1", message)


def test_an_egg_link_to_a_path_with_a_nul_byte_is_read_not_a_crash(tmp_path: Path) -> None:
    from pipvet.inputs.installed import read_site_packages

    (tmp_path / "old.egg-link").write_bytes(b"/some\x00where\n.\n")
    (dist,) = read_site_packages(tmp_path).distributions
    assert dist.version is None
    assert dist.dependency().skipped  # no version: cannot be checked, and says so
