"""pipvet's own reading of Requires-Dist texts and markers (``pipvet.vetting.requires``), of
wheel file names (``wheels.wheel_name_valid``) and of project names, against packaging's, which
they stand in for on a vet's path: what they read they read as packaging does, and a marker
they decide they decide as ``Marker.evaluate`` does, for generated texts (hostile and odd ones
included) and environments."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, InvalidWheelFilename, canonicalize_name
from packaging.utils import parse_wheel_filename as packaging_wheel

from pipvet.models import is_project_name
from pipvet.vetting import requires
from pipvet.vetting.target import from_facts
from pipvet.vetting.wheels import wheel_name_valid

# Half the texts are made of usual parts only (those the reader must read, and mostly does),
# the others of odd parts too (it must read nothing packaging would read otherwise).
ODD = st.shared(st.booleans(), key="odd")


def mostly(usual: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    """One of ``usual``, or (drawing odd texts) of ``usual`` and ``odd``."""
    return ODD.flatmap(lambda odd_too: st.sampled_from(usual + odd if odd_too else usual))


SPACE = mostly(["", " "], ["  ", "\t"])
NAMES = mostly(
    ["requests", "Typing_Extensions", "zope.interface", "a", "A-b", "pkg1", "1pkg"],
    ["x-", "_x", "a__b", "é", "name.", "b-", "x_", ""],
)
VERSIONS = mostly(
    ["1", "1.0", "2.0.1", "1.0rc1", "1.*", "1.0.*", "1.0+local", "1.0.post1", "1.0.dev0", "0",
     "3.8", "1!2.0", "01.02"],
    ["1..0", "abc", "v1", "1.0a1.post2.dev3", "1.0-1", "1.0 ", "1;0", "1)", "1.0.*.*", ""],
)  # fmt: skip
OPERATORS = mostly(["==", "!=", "<=", ">=", "<", ">", "~="], ["===", "=", "=>", "<>", ""])
VARIABLES = mostly(
    ["python_version", "python_full_version", "os_name", "sys_platform", "platform_release",
     "platform_system", "platform_version", "platform_machine", "platform_python_implementation",
     "implementation_name", "implementation_version", "extra"],
    ["os.name", "sys.platform", "python_implementation", "extras", "dependency_groups",
     "platform.machine", "python", "extra2", "Extra"],
)  # fmt: skip
MARKER_OPS = mostly(
    ["==", "!=", "<", "<=", ">", ">=", "in", "not in"],
    ["~=", "===", "not  in", "notin", "= ="],
)
VALUES = st.sampled_from(
    ["3.8", "3.11", "3.11.7", "3", "3.13.0rc1", "3.11.7+", "3.8.*", "linux", "win32", "Linux",
     "Windows", "x86_64", "AMD64", "socks", "Socks", "SOCKS_extra", "a.b", "", "cpython",
     "CPython", "PyPy", "posix", "nt", "lin", "3.10", "03.08", "6.8.0-1017-aws", "5.15",
     "3.11.0", "1" * 25, "test extra", "café"]
)  # fmt: skip


@st.composite
def quoted(draw: st.DrawFn) -> str:
    value = draw(VALUES | st.text(max_size=4) if draw(ODD) else VALUES)
    quote = draw(st.sampled_from(["'", '"', '"', "'"]))
    if quote in value:
        value = value.replace(quote, "")
    return quote + value + quote


@st.composite
def atoms(draw: st.DrawFn) -> str:
    left, right = draw(VARIABLES), draw(quoted())
    if draw(st.booleans()):
        left, right = right, left
    return f"{left}{draw(SPACE)}{draw(MARKER_OPS)}{draw(SPACE)}{right}"


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    word = mostly([" and ", " or "], [" and", "and ", " AND ", " an d ", "or"])
    pair = st.tuples(children, word, children).map("".join)
    return pair | children.map(lambda m: f"({m})") | children.map(lambda m: f"( {m} )")


MARKERS = st.recursive(atoms(), _combine, max_leaves=6)


@st.composite
def requirement_texts(draw: st.DrawFn) -> str:
    text = draw(SPACE) + draw(NAMES) + draw(SPACE)
    if draw(st.booleans()):
        extras = draw(st.lists(NAMES, max_size=3))
        text += "[" + draw(st.sampled_from([",", ", ", " , "])).join(extras) + "]" + draw(SPACE)
    clauses = [
        f"{draw(OPERATORS)}{draw(SPACE)}{draw(VERSIONS)}" for _ in range(draw(st.integers(0, 3)))
    ]
    specifier = draw(st.sampled_from([",", ", ", " ,"])).join(clauses)
    if draw(st.booleans()) and clauses:
        specifier = f"({specifier})"
    text += specifier + draw(SPACE)
    if draw(st.booleans()):
        text += ";" + draw(SPACE) + draw(MARKERS) + draw(SPACE)
    return text


@st.composite
def environments(draw: st.DrawFn) -> dict[str, str]:
    env = {
        "python_version": draw(st.sampled_from(["3.11", "3.8", "3.13", "3.10", "3"])),
        "python_full_version": draw(st.sampled_from(["3.11.7", "3.13.0rc1", "3.11.7+", "3.8.0"])),
        "implementation_version": draw(st.sampled_from(["3.11.7", "7.3.13", "3.13.0a2"])),
        "platform_release": draw(st.sampled_from(["6.8.0-1017-aws", "5.15", "10", "", "22.1.0"])),
        "os_name": draw(st.sampled_from(["posix", "nt"])),
        "sys_platform": draw(st.sampled_from(["linux", "win32", "darwin"])),
        "platform_system": draw(st.sampled_from(["Linux", "Windows", "Darwin", ""])),
        "platform_version": draw(st.sampled_from(["#1 SMP", "10.0.19041", ""])),
        "platform_machine": draw(st.sampled_from(["x86_64", "AMD64", "arm64", ""])),
        "platform_python_implementation": draw(st.sampled_from(["CPython", "PyPy"])),
        "implementation_name": draw(st.sampled_from(["cpython", "pypy"])),
        "extra": draw(st.sampled_from(["", "socks", "Socks", "SOCKS_extra", "a.b", "test-extra"])),
    }
    for key in draw(st.lists(st.sampled_from(sorted(env)), max_size=2)):
        env.pop(key, None)  # a key the target did not report: packaging decides
    return env


def _packaging(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _evaluated(marker: Marker, env: dict[str, str]) -> bool | str:
    try:
        return marker.evaluate(env)
    except Exception as exc:  # which exception is packaging's to choose; it is not a value
        return type(exc).__name__


def check_requirement(text: str, envs: list[dict[str, str]]) -> None:
    found = requires.read(text)
    if found is None:
        return  # packaging's reader decides
    try:
        specifier = SpecifierSet(found[3])
    except InvalidSpecifier:
        return  # the caller hands the text to packaging
    req = _packaging(text)
    assert req is not None, text
    name, canonical, extras, _, marker = found
    assert (name, canonical, extras) == (
        req.name,
        canonicalize_name(req.name),
        frozenset(req.extras),
    )
    assert specifier == req.specifier
    assert str(specifier) == str(req.specifier)
    assert specifier.prereleases == req.specifier.prereleases
    assert (marker is None) == (req.marker is None), text
    if marker is None or req.marker is None:
        return
    for env in envs:
        mine = requires.evaluate(marker, env)
        if mine is not None:
            assert mine == _evaluated(req.marker, env), (text, env)


@given(requirement_texts(), st.lists(environments(), min_size=1, max_size=4))
@example('requests[socks]>=2.0; extra == "Socks"', [{"extra": "socks"}])
@example('x; python_version < "3.8"and os_name == "nt"', [{"python_version": "3.11"}])
@example('x; "3.8" < python_version', [{"python_version": "3.11"}])
@example('x; "lin" in sys_platform', [{"sys_platform": "linux"}])
@example("x (>=1.0, <2)", [{}])
def test_what_is_read_is_read_as_packaging_reads_it(text: str, envs: list[dict[str, str]]) -> None:
    check_requirement(text, envs)


@given(st.text(max_size=40), environments())
@example("x;extra=='a'", {"extra": "A"})
@example("x ; python_version >= '3'", {"python_version": "3.11"})
def test_any_text_is_read_as_packaging_reads_it_or_left_to_it(
    text: str, env: dict[str, str]
) -> None:
    check_requirement(text, [env])


@given(MARKERS, st.lists(environments(), min_size=1, max_size=4))
def test_markers_decided_here_are_decided_as_packaging_decides(
    marker: str, envs: list[dict[str, str]]
) -> None:
    check_requirement(f"x; {marker}", envs)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ('x; python_version < "3.8"', {"python_version": "3.11"}, False),
        ('x; python_version >= "3.8"', {"python_version": "3.11"}, True),
        ('x; python_version < "3.11"', {"python_version": "3.11"}, False),
        ('x; python_version <= "3.11.0"', {"python_version": "3.11"}, True),
        ('x; python_full_version > "3.11.0"', {"python_full_version": "3.11"}, False),
        ('x; "3.11" != python_version', {"python_version": "3.11.0"}, False),
        ('x; python_full_version == "3.11"', {"python_full_version": "3.11.0"}, True),
        ('x; extra == "Socks"', {"extra": "SOCKS"}, True),
        ('x; sys_platform == "win32" or os_name == "nt"', {"sys_platform": "linux",
                                                            "os_name": "posix"}, False),
        ('x; (sys_platform == "linux" or os_name == "nt") and extra == ""', {
            "sys_platform": "linux", "os_name": "posix", "extra": ""}, True),
    ],
)  # fmt: skip
def test_the_common_markers_are_decided_here(
    text: str, env: dict[str, str], expected: bool
) -> None:
    found = requires.read(text)
    assert found is not None
    assert found[4] is not None
    assert requires.evaluate(found[4], env) is expected
    req = Requirement(text)
    assert req.marker is not None
    assert req.marker.evaluate(env) is expected


@pytest.mark.parametrize(
    "text",
    [
        'x; python_version ~= "3.8"',  # packaging's meaning
        'x; platform_release >= "6.8.0-1017-aws"',  # no plain release
        'x; python_full_version < "3.11.7+"',
        'x; sys_platform < "z"',  # packaging's own meaning of < on text
        'x; extra in "socks"',
    ],
)
def test_what_packaging_must_decide_is_left_to_it(text: str) -> None:
    found = requires.read(text)
    env = {
        "python_version": "3.11",
        "python_full_version": "3.11.7",
        "platform_release": "6.8.0",
        "sys_platform": "linux",
        "extra": "socks",
    }
    assert found is not None
    assert found[4] is not None
    assert requires.evaluate(found[4], env) is None


@pytest.mark.parametrize(
    "text",
    ["x; os.name == 'nt'", "x;\tos_name == 'nt'", "x; os_name == '\\x41'", "x @ https://e/x.whl",
     "x[a,]", "x >= 1.0 ; ", "x-", "_x", "x_ >=1", "name.", "x[a-]", "x ~= 1.0 , ", "x===1.0",
     "x; (((os_name == 'nt')", "x; os_name === 'nt'"],
)  # fmt: skip
def test_odd_forms_are_left_to_packaging(text: str) -> None:
    assert requires.read(text) is None


def test_deep_parentheses_are_left_to_packaging() -> None:
    depth = requires.MAX_DEPTH + 1
    assert requires.read("x; " + "(" * depth + "os_name == 'nt'" + ")" * depth) is None
    assert requires.read("x; " + "(" * 3 + "os_name == 'nt'" + ")" * 3) is not None


# --------------------------------------------------------------------------- wheel names

_PARTS = st.sampled_from(
    ["cp311", "CP311", "py3", "py2.py3", "1py", "_py", "py-3", "", "none", "abi3", "a..b",
     "manylinux_2_17_x86_64", "any", "é", "cp311.", "x y", "win_amd64"]
)  # fmt: skip


@st.composite
def wheel_names(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["pkg", "Pkg_Name", "pkg__x", "", "p.k", "p-k", "é", "p k"]))
    parts = [name, draw(VERSIONS)]
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["1", "12abc", "x1", "", "\u0661"])))
    parts += [draw(_PARTS), draw(_PARTS), draw(_PARTS)]
    return "-".join(parts) + draw(st.sampled_from([".whl", ".whl", ".WHL", ""]))


def _packaging_accepts(filename: str) -> bool:
    try:
        packaging_wheel(filename)
    except InvalidWheelFilename:
        return False
    return True


@given(wheel_names() | st.text(max_size=30).map(lambda t: t + ".whl"))
@example("pkg-1.0-py3-none-any.whl")
@example("pkg-1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
@example("pkg-1.0-py3-none-.whl")
@example("pkg-1.0-3py-none-any.whl")
@example("pkg__x-1.0-py3-none-any.whl")
@example("pkg-1.0-x1-py3-none-any.whl")
@example("pkg-1.0-1x-py3-none-any.whl")
def test_wheel_names_are_accepted_as_packaging_accepts_them(filename: str) -> None:
    assert wheel_name_valid(filename) == _packaging_accepts(filename)


# --------------------------------------------------------------------------- names, tags


@given(st.text(max_size=12) | NAMES)
@example("K\u212a")
@example("a\n")
def test_project_names_are_valid_as_packaging_validates_them(text: str) -> None:
    try:
        canonicalize_name(text, validate=True)
        valid = True
    except InvalidName:
        valid = False
    assert is_project_name(text) == valid


@given(st.lists(st.text(alphabet="cpPY3-1_.aNyx", max_size=14), max_size=4))
def test_target_tags_are_the_text_of_packagings_tags(tags: list[str]) -> None:
    from packaging.tags import Tag

    facts: dict[str, Any] = {
        "executable": "/p/python", "version": "3.11.7", "implementation": "CPython",
        "prefix": "/p", "markers": {}, "tags": tags,
    }  # fmt: skip
    try:
        expected: tuple[str, ...] | None = tuple(str(Tag(*t.split("-", 2))) for t in tags)
    except TypeError:
        expected = None
    if expected is None:
        with pytest.raises(TypeError):
            from_facts(facts, {})
    else:
        assert from_facts(facts, {}).tags == expected
