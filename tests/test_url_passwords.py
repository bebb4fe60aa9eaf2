"""A password holding '#', '?', '/' or '@' that is not percent-encoded ends a URL's host early:
the password's first part then reads as a port, or as the host that is sent the rest. pipvet
refuses such a source URL before any request, and shows it masked to its last '@'."""

from __future__ import annotations

import io
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.cli import Output, main
from pipvet.errors import NetworkError, UsageError
from pipvet.policy import Policy, resolve_sources
from pipvet.redact import bad_port, mask_userinfo
from pipvet.system.http import HttpClient

SECRET = "pa55#w?rd/SECRET"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:se#SECRET@127.0.0.1:9/osv",  # the host is "user", the port "se"
        "https://user:se?SECRET@127.0.0.1:9/osv",
        "https://user:se/SECRET@127.0.0.1:9/osv",
        "https://user:12#SECRET@mirror.example/osv",  # port 12 of the host "user"
        "https://token/SECRET@mirror.example/osv",  # the host "token", sent "/SECRET@..."
    ],
)
@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["db", "sync"], "PIPVET_OSV_URL"),
        (["audit", "-r", "requirements.txt", "--offline"], "PIPVET_OSV_URL"),
        (["db", "status"], "PIPVET_OSV_URL"),
        (["vet", "six"], "PIPVET_INDEX_URL"),
        (["vet", "six"], "PIPVET_TOP_PACKAGES_URL"),
    ],
)
def test_a_source_url_with_an_unencoded_password_is_refused_unshown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, argv: list[str], env: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    monkeypatch.setenv("PIPVET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(env, url)
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Output(stdout=out, stderr=err))
    text = out.getvalue() + err.getvalue()
    assert code == 2, text
    assert "SECRET" not in text
    assert f"{env} gives https://***@" in " ".join(text.split())
    assert "%23" in text


def test_the_policy_file_is_named(tmp_path: Path) -> None:
    policy = Policy(source=tmp_path / "pipvet.toml", osv_url="https://u:x#SECRET@h/osv")
    with pytest.raises(UsageError) as caught:
        resolve_sources(policy, {})
    assert f"policy file {tmp_path / 'pipvet.toml'} gives https://***@h/osv" in str(caught.value)
    assert "SECRET" not in str(caught.value) + str(caught.value.hint)


def test_a_request_to_a_url_whose_port_is_not_a_number_is_not_retried(tmp_path: Path) -> None:
    waits: list[float] = []
    client = HttpClient(tmp_path / "cache", sleep=waits.append, timeout=5)
    with pytest.raises(NetworkError) as caught:
        client.get("https://user:se#SECRET@127.0.0.1:9/x.json")
    assert waits == []
    assert "SECRET" not in str(caught.value)
    assert str(caught.value).startswith("https://***@127.0.0.1:9/x.json is not a valid URL")


@pytest.mark.parametrize(
    "url",
    [
        "https://u:p@mirror.example/simple",
        "https://mirror.example:8443/simple",
        "http://127.0.0.1:8080/osv",
        "/srv/osv",
        "file:///srv/osv/all.zip",
        "https://files.example/top.json?sig=a/b",
        "file:///srv/mirror@2026/osv",  # a path with an "@": no credentials in a file URL
        "http://[::1]:8080/osv",
        "https://u:se'cret@mirror.example/osv",  # "'" may stand in a password, and is masked
    ],
)
def test_usable_urls_pass(url: str) -> None:
    assert bad_port(url, at_after_host=True) is None


PASSWORD = st.text(alphabet="abc123#?/@:%'\" <>", min_size=1, max_size=12)


def test_a_password_with_a_quote_is_masked_and_one_masking_cannot_find_is_refused() -> None:
    assert mask_userinfo("source https://u:se'cret@h.example/osv") == (
        "source https://***@h.example/osv"
    )
    assert mask_userinfo("x" * 300 + " https://u:se'cret@h.example/osv").endswith(
        " https://***@h.example/osv"
    )  # the long scan as well
    for url in ('https://u:se"cret@h.example/osv', "https://u:se<cret@h.example/osv"):
        shown = bad_port(url, at_after_host=True)
        assert shown == "https://***@h.example/osv"


@given(user=st.text(alphabet="abc12", min_size=1, max_size=5), password=PASSWORD)
def test_no_password_reaches_what_is_shown(user: str, password: str) -> None:
    """Whatever the password holds, either the URL parses with the password in its userinfo
    (and the usual masking hides it) or it is refused, shown masked to its last '@'."""
    url = f"https://{user}:{password}@mirror.example/simple"
    marker = f"{user}:{password}"
    shown = bad_port(url, at_after_host=True)
    if shown is None:
        assert urllib.parse.urlsplit(url).hostname == "mirror.example"
        assert marker not in mask_userinfo(url)
    else:
        assert shown.startswith("https://***@")
        assert marker not in shown
