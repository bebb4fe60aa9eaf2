"""``pipvet.models.canonicalize_name`` is PEP 503 normalisation, exactly as packaging does it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name as packaging_canonicalize_name

from pipvet.models import canonicalize_name


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
