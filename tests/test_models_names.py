"""``pipvet.models.canonicalize_name`` is PEP 503 normalisation, exactly as packaging does it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name as packaging_canonicalize_name

from pipvet.models import PROJECT_NAME_PATTERN, canonicalize_name, is_project_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Django", "django"),
        ("oslo.concurrency", "oslo-concurrency"),
        ("Foo__Bar", "foo-bar"),
        ("a-_.b", "a-b"),
        ("ruamel.yaml.clib", "ruamel-yaml-clib"),
        ("-x-", "-x-"),
        ("", ""),
    ],
)
def test_table(name: str, expected: str) -> None:
    assert canonicalize_name(name) == expected


@given(st.text(alphabet=st.sampled_from("aZ09-_.ÄİK ")))
def test_agrees_with_packaging(name: str) -> None:
    assert canonicalize_name(name) == packaging_canonicalize_name(name)


@given(st.text())
def test_agrees_with_packaging_on_any_text(name: str) -> None:
    assert canonicalize_name(name) == packaging_canonicalize_name(name)


_NAMEISH = st.text(alphabet="aZ09-_.", max_size=6)
# Characters a name must not hold, put where they are hardest to see: inside a name.
_ODD = "\u00c4\u0130\u0131K\u212a \n\t/#+\u00e9"


@given(
    _NAMEISH
    | st.tuples(_NAMEISH, st.sampled_from(_ODD), _NAMEISH).map("".join)
    | st.text(alphabet=st.sampled_from("aZ09-_." + _ODD))
    | st.text()
)
def test_is_project_name_is_the_patterns_fullmatch(text: str) -> None:
    # is_project_name tells a name by string methods; the pattern says what a name is.
    assert is_project_name(text) == (re.fullmatch(PROJECT_NAME_PATTERN, text) is not None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("a", True), ("a.b-c_d", True), ("A9", True), ("", False), ("-a", False)],
        *[("a-", False), ("a b", False), ("\u00e9", False), ("a\n", False), ("\u212a", False)],
    ],
)
def test_is_project_name_table(text: str, expected: bool) -> None:
    assert is_project_name(text) is expected
