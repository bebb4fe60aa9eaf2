"""Which file names are read as a PEP 751 lock (``pylock.<name>.toml``): the text test that
replaced a pattern reads every name exactly as the pattern did."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipvet.inputs.lockfiles import _is_pylock_name

PATTERN = re.compile(r"^pylock\.[^/\\]+\.toml$")

# Names built from the pieces that matter (the prefix, the suffix, dots, slashes, newlines).
_PIECES = st.sampled_from(["pylock", ".", "toml", "x", "/", "\\", "\n", "é", " ", "lock"])
_SHAPED = st.tuples(
    st.sampled_from(["pylock.", "pylock", "Pylock.", ""]),
    st.lists(_PIECES, max_size=4).map("".join),
    st.sampled_from([".toml", ".toml\n", ".toml\n\n", "toml", ".tom", ""]),
).map("".join)
NAMES = st.one_of(st.text(max_size=20), st.lists(_PIECES, max_size=8).map("".join), _SHAPED)


@given(NAMES)
def test_pylock_names_are_read_as_the_pattern_reads_them(name: str) -> None:
    assert _is_pylock_name(name) == (PATTERN.match(name) is not None)


def test_examples() -> None:
    assert _is_pylock_name("pylock.dev.toml")
    assert _is_pylock_name("pylock...toml")
    assert not _is_pylock_name("pylock..toml")
    assert not _is_pylock_name("pylock.toml")  # the plain name is asked for by itself
    assert not _is_pylock_name("pylock.a\\b.toml")
    assert not _is_pylock_name("xpylock.dev.toml")
    assert _is_pylock_name("pylock.dev.toml\n")  # as the pattern's "$" reads it
    assert not _is_pylock_name("pylock.dev.toml\n\n")
