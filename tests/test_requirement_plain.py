"""A plain requirement (``name``, ``name==1.0``, ``name>=1,<2``) is read without packaging's
requirement grammar; what it makes of a text is what ``Requirement`` makes of it, and a text
it cannot read goes to ``Requirement``, which names the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement

from pipvet.inputs.requirement_plain import exact_pin, is_plain, plain_named
from pipvet.inputs.requirement_text import entry_from_text, plain_entry
from pipvet.inputs.requirements_model import LineProblem, RequirementEntry
from pipvet.models import Location

_NAMES = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?", fullmatch=True)
_VERSIONS = st.one_of(
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}", fullmatch=True),
    st.sampled_from(
        ["1.0.*", "1.0rc1", "2.0.post3", "1!2.0", "1.0+local.7", "1.0.dev4", "01.02", "1.*.2",
         "1..2", "1.0a", "1_0", "0"]
    ),
)  # fmt: skip
_OPS = st.sampled_from(["==", ">=", "<=", "~=", "!=", "<", ">"])
_SPACE = st.sampled_from(["", " ", "  ", "\t", "\u2003", "\x0c", "\x0b", "\r", "\xa0"])
_CLAUSE = st.tuples(_SPACE, _OPS, _SPACE, _VERSIONS).map("".join)
_TEXTS = st.tuples(_NAMES, st.lists(_CLAUSE, max_size=3).map(",".join)).map(
    lambda parts: parts[0] + parts[1]
)


@given(_TEXTS)
@example("numpy==1.26.4")
@example("Pandas >= 2.0, <3")
@example("scikit_learn~=1.4")
@example("urllib3==1.26.*")
@example("foo>=1.0.*")
@example("foo~=1")
@example("numpy\u2003==1.0")
@example("numpy ==\x0c1.0")
def test_a_plain_text_reads_as_requirement_reads_it(text: str) -> None:
    plain = plain_named(text)
    if not is_plain(text):
        assert plain is None
        return
    try:
        req = Requirement(text)
    except InvalidRequirement:
        assert plain is None  # left to Requirement, which says why
        return
    if plain is None:  # only white space other than spaces and tabs leaves it to Requirement
        assert any(c.isspace() and c not in " \t" for c in text)
        return
    assert plain.display_name == req.name
    assert plain.specifier == req.specifier
    assert str(plain.specifier) == str(req.specifier)
    assert plain.extras == ()
    assert plain.marker is None
    assert plain.url is None


def test_a_file_of_plain_pins_does_not_load_the_requirement_grammar(tmp_path: object) -> None:
    probe = (
        "import sys, pathlib, tempfile\n"
        "from pipvet.inputs.requirements import parse_declared\n"
        "folder = pathlib.Path(tempfile.mkdtemp())\n"
        "path = folder / 'requirements.txt'\n"
        "path.write_text('numpy==1.26.4\\n# a comment\\nPandas >= 2.0, <3\\nrequests\\n')\n"
        "parsed = parse_declared(path, environ={})\n"
        "print(len(parsed.entries), sorted(m for m in ('packaging.requirements', "
        "'packaging.markers', 'packaging.tags', 'dataclasses') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "3 []"


# What an exact pin may be written as: versions that parse, that do not, wildcards, locals
# that read as an archive's file name, and names and versions past the length caps.
_PIN_VERSIONS = st.one_of(
    _VERSIONS,
    st.from_regex(r"[0-9][A-Za-z0-9.+!_-]{0,12}", fullmatch=True),
    st.sampled_from(
        ["1.0+local.whl", "1.0+b.tar.gz", "1.0+x.ZIP", "1.tar", "1.0+tgz", "1" * 129, "1" * 128,
         "1.0+local", "2!1.0", "1.0-1", "1.0_post1", "1.0.0.0.0", "0.1a", "1.0+", "1.0.*"]
    ),
)  # fmt: skip
_PIN_NAMES = st.one_of(_NAMES, st.sampled_from(["a" * 200, "a" * 201, "A_b.C-d", "x"]))
_PINS = st.tuples(_PIN_NAMES, _PIN_VERSIONS).map("==".join)


def _full(text: str, *, constraint: bool) -> RequirementEntry | LineProblem:
    try:
        return entry_from_text(
            text,
            Location("r.txt", 3),
            text,
            text,
            editable=False,
            constraint=constraint,
            hashes=(),
            end_line=4,
            section=None,
        )
    except LineProblem as exc:
        return exc


def _quick(text: str, *, constraint: bool) -> RequirementEntry | LineProblem | None:
    try:
        return plain_entry(text, Location("r.txt", 3), constraint, 4, Path("r.txt"))
    except LineProblem as exc:
        return exc


@given(st.one_of(_PINS, _TEXTS), st.booleans())
@example("numpy==1.26.4", False)
@example("numpy==1.26.4", True)
@example("a==1.0+local.whl", False)
@example("a==1.0+b.tar.gz", False)
@example("a" * 201 + "==1.0", False)
@example("a==" + "1" * 129, False)
@example("a==1.0.*", False)
@example("a==1.0foo", False)
def test_an_exact_pin_reads_as_the_full_reader_reads_it(text: str, constraint: bool) -> None:
    """The shortcut for ``name==version`` makes the entry the full reader makes, or leaves
    the line to it: a pin too long, a version that does not parse, or one pip reads as an
    archive's file name is never made by the shortcut."""
    full = _full(text, constraint=constraint)
    quick = _quick(text, constraint=constraint)
    if isinstance(quick, LineProblem):
        assert exact_pin(text) is None  # the shortcut never refuses: the full reader does
        assert isinstance(full, LineProblem)
        assert (quick.what, quick.todo) == (full.what, full.todo)
        return
    if quick is None:
        assert not is_plain(text)
        return
    assert isinstance(full, RequirementEntry), full.what
    assert quick == full
    assert str(quick.specifier) == str(full.specifier)
    if exact_pin(text) is not None:
        assert quick.kind == ("constraint" if constraint else "pinned")


@pytest.mark.parametrize(
    "text", ["numpy==1.26.4", "Django==4.2.11", "zope.interface==6.2", "a_b-c.d==1.0rc1+x.7"]
)
def test_the_commonest_pins_take_the_shortcut(text: str) -> None:
    pin = exact_pin(text)
    assert pin is not None
    assert pin[0] + "==" + pin[1] == text


@pytest.mark.parametrize(
    "text",
    ["numpy == 1.0", "numpy==1.*", "numpy===1.0", "numpy==1.0,<2", "numpy", "numpy>=1.0",
     "a==1.0+local.whl", "numpy==1.0; python_version>'3'", "numpy[x]==1.0"],
)  # fmt: skip
def test_other_texts_are_left_to_the_full_reader(text: str) -> None:
    assert exact_pin(text) is None
