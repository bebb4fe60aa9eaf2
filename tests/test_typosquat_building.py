"""The typosquat index's building shortcuts give what the plain per-name code gives."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from pipvet.vetting.nearmiss import (
    BARE_PREFIXES,
    PREFIXES,
    SUFFIXES,
    affix_cores,
    homoglyph_fold,
    homoglyph_fold_all,
)
from pipvet.vetting.typosquat import TyposquatIndex
from pipvet.vetting.typosquat_build import _all_canonical

_names = st.lists(st.text(alphabet=st.sampled_from("abclmnorsvw0135i-_.\nXΣ"), max_size=12))


@given(_names)
def test_folding_all_names_at_once_is_folding_each(names: list[str]) -> None:
    assert homoglyph_fold_all(names) == [homoglyph_fold(n) for n in names]


@given(_names)
def test_all_canonical_is_exactly_every_name_canonical(names: list[str]) -> None:
    assert _all_canonical(names) == all(canonicalize_name(n) == n for n in names)


def _affix_cores_reference(name: str, *, bare: bool) -> set[str]:
    """affix_cores as first written, trying every prefix and suffix on every name."""
    heads = [name]
    for prefix in PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            heads.append(name[len(prefix) :])
    if bare:
        for prefix in BARE_PREFIXES:
            rest = name[len(prefix) :]
            if name.startswith(prefix) and len(rest) > 3 and rest[0] != "-":
                heads.append(rest)
    cores: set[str] = set(heads[1:])
    for head in heads:
        for suffix in SUFFIXES:
            if head.endswith(suffix) and len(head) > len(suffix) + 1:
                cores.add(head[: -len(suffix)])
    cores.discard(name)
    return cores


@given(st.text(alphabet=st.sampled_from("pyhton3-libdevkgacs"), max_size=20), st.booleans())
def test_affix_cores_agrees_with_trying_every_affix(name: str, bare: bool) -> None:
    assert affix_cores(name, bare=bare) == _affix_cores_reference(name, bare=bare)


@pytest.mark.parametrize(
    "pairs",
    [
        [("colorama", 300), ("requests", 200), ("small", 5)],  # canonical, unique: fast path
        [("Colorama", 100), ("colorama", 300), ("requests", 200), ("small", 5)],
        [("colorama", 300), ("colorama", 100), ("requests", 200), ("small", 5)],
        [("small", 5), ("requests", 200), ("colorama", 300)],  # any order
        [("b", 7), ("a", 7), ("c", 9)],  # ties ranked by name
    ],
)
def test_build_ranks_the_same_whatever_the_path(pairs: list[tuple[str, int]]) -> None:
    index = TyposquatIndex.build(pairs)
    expected: dict[str, int] = {}
    for name, count in pairs:
        canonical = canonicalize_name(name)
        expected[canonical] = max(count, expected.get(canonical, 0))
    ranked = sorted(expected.items(), key=lambda item: (-item[1], item[0]))
    assert list(index._names) == [n for n, _ in ranked]
    assert list(index._downloads) == [c for _, c in ranked]
