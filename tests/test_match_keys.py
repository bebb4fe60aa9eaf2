"""Version equality keys: the text shortcuts agree with parsing the version."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from pipvet.advisories.versions import plain_key, version_key, versions_keys

_component = st.sampled_from(["0", "00", "1", "01", "007", "10", "100", "2024", "9"])
_plain = st.lists(_component, min_size=1, max_size=6).map(".".join)
_text = _plain | st.tuples(
    _plain, st.sampled_from(["", ".", "a1", "rc2", ".post0", "+x", "x"])
).map("".join)


@given(_text)
def test_plain_key_is_the_key_of_the_parsed_version_or_none(text: str) -> None:
    plain = re.fullmatch(r"[0-9]+(?:\.[0-9]+)*", text)
    key = plain_key(text)
    if plain is None:
        assert key is None
    else:
        assert key == version_key(Version(text))


@given(st.lists(_text, max_size=8), _text)
def test_a_version_is_listed_exactly_when_an_equal_one_is(listed: list[str], text: str) -> None:
    keys = versions_keys(listed)
    try:
        version = Version(text)
    except ValueError:
        return
    equal = any(_parses_equal(entry, version) for entry in listed)
    assert (f" {version_key(version)} " in keys) == equal


def _parses_equal(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except ValueError:
        return False
