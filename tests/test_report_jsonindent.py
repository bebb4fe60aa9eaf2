"""The fast indented JSON writer gives exactly what ``json.dumps(value, indent=2)`` gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipvet.report.jsonindent import dumps

_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(_values)
def test_same_text_as_the_standard_library(value: object) -> None:
    assert dumps(value) == json.dumps(value, indent=2)


@given(_values)
def test_same_text_as_the_standard_library_with_ensure_ascii_off(value: object) -> None:
    # What a vet report is written with: its non-ASCII characters as they are.
    assert dumps(value, ensure_ascii=False) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": [], "b": {}, "c": [{}], "d": None, "e": 'é\n"x"', "f": 1.5, "g": True},
        {1: "int key", None: "null key", 2.5: "float key", False: "bool key"},
        [float("nan"), float("inf"), -float("inf")],
        {"nested": [[1, [2, [3, {"deep": "\u2603"}]]]]},
    ],
)
def test_table(value: object) -> None:
    assert dumps(value) == json.dumps(value, indent=2)
    assert dumps(value, ensure_ascii=False) == json.dumps(value, indent=2, ensure_ascii=False)


def test_values_json_cannot_write_fail_the_same_way() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": object()})
