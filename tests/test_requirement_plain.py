"""A plain requirement (``name``, ``name==1.0``, ``name>=1,<2``) is read without packaging's
requirement grammar; what it makes of a text is what ``Requirement`` makes of it, and a text
it cannot read goes to ``Requirement``, which names the problem."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import example, given
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement

from pipvet.inputs.requirement_plain import PLAIN_RE, plain_named

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
    if not PLAIN_RE.fullmatch(text):
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
