"""pipvet's own PEP 440 reading (``pipvet.pep440``) against ``packaging``'s
``Version``, which it replaces on an audit's path: the same texts valid, the same parts, normal
form and keys, and an audit that finds, skips and advises exactly as matching on Versions."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pipvet import pep440
from pipvet.advisories.match import package_record
from pipvet.advisories.ranges import order_key
from pipvet.advisories.versions import version_key, version_or_none
from pipvet.audit.match import fix_requirement, match_records
from pipvet.models import Dependency, DependencyResult
from tests.test_match_intervals import (
    PKG,
    _events,
    _old_closing,
    _old_match,
    _record,
    version_texts,
)

EXAMPLES = [
    "1.0.post",
    "1.0-r1",
    "1!2",
    "v1",
    "V1.0",
    "1.0+ubuntu-1",
    "1.0+Ubuntu_01.AB",
    "\u0661\u0662",  # Arabic-Indic digits
    "1.\u0662",
    "1.0+\u017f",  # long s: folds to "s"
    "1.0+\u212a",  # Kelvin sign: folds to "k"
    "\u00b2",
    " 1.0 ",
    "\t1.0rc1\n",
    "1.0\u2003",
    "\x1c1.0",
    "1.0RC1",
    "1.0c1",
    "1.0C",
    "1.0pre",
    "1.0preview2",
    "1.0-1",
    "1.0-",
    "1.0.dev",
    "1.0a.post1",
    "1.0.a1",
    "1.0ab1",
    "1.0rc1.dev",
    "1.0.dev1.post2",
    "1.0_post_1",
    "1.0-dev",
    "1..0",
    ".1",
    "1.",
    "",
    " ",
    ".dev1",
    "a1",
    "1.0a-1",
    "1.0prerev",
    "1.0prev",
    "01.002rc03.post04.dev05",
    "1" * 129,
    "1." * 63 + "1",
    " " * 127 + "1.0",
]

_junk = st.sampled_from([*"\u0661\u0662\u00b2\u017f\u212a\u0131\u2003", *"xX.+!-_ *0"])
_number = st.sampled_from(["0", "1", "01", "007", "10", "2024"])
_maybe_number = _number | st.just("")
_sep = st.sampled_from(["", "", ".", "-", "_"])
_space = st.sampled_from(["", "", "", " ", "\t", "\n", "\u2003", "\x1c"])


def _cased(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if up else c for c, up in zip(word, flips, strict=True))


@st.composite
def spelled(draw: st.DrawFn) -> str:
    """A version in any spelling PEP 440 allows, often with one character out of place."""
    out = [draw(_space), draw(st.sampled_from(["", "", "v", "V"]))]
    if draw(st.integers(0, 4)) == 0:
        out.append(draw(_number) + "!")
    out.append(".".join(draw(st.lists(_number, min_size=1, max_size=4))))
    if draw(st.booleans()):
        word = draw(st.sampled_from(["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]))
        out += [draw(_sep), _cased(draw, word), draw(_sep), draw(_maybe_number)]
    if draw(st.booleans()):
        if draw(st.booleans()):
            out.append("-" + draw(_number))
        else:
            word = draw(st.sampled_from(["post", "rev", "r"]))
            out += [draw(_sep), _cased(draw, word), draw(_sep), draw(_maybe_number)]
    if draw(st.booleans()):
        out += [draw(_sep), _cased(draw, "dev"), draw(_sep), draw(_maybe_number)]
    if draw(st.integers(0, 3)) == 0:
        segments = draw(
            st.lists(st.sampled_from(["ubuntu", "1", "01", "AB", "cu118", "x"]), min_size=1)
        )
        out.append("+" + segments[0])
        for segment in segments[1:]:
            out.append(draw(st.sampled_from([".", "-", "_"])) + segment)
    out.append(draw(_space))
    text = "".join(out)
    if draw(st.integers(0, 3)) == 0:  # one character inserted or replaced
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 1))
        text = text[:at] + draw(_junk) + text[at + cut :]
    return text


_texts = spelled() | version_texts | st.text(max_size=12) | st.sampled_from(EXAMPLES)


@given(_texts)
@settings(max_examples=3000)
@example("1.0rc1")
def test_parse_reads_a_text_as_packaging_does(text: str) -> None:
    parts = pep440.parse(text)
    version = version_or_none(text)
    if version is None:
        assert parts is None
        return
    assert parts == pep440.parts_of(version)
    assert pep440.normal(parts) == str(version)
    assert pep440.order_key(parts) == order_key(version)
    assert pep440.equality_key(parts) == version_key(version)


@given(_texts, _texts)
@settings(max_examples=1500)
def test_keys_compare_as_the_versions_do(a: str, b: str) -> None:
    pa, pb = pep440.parse(a), pep440.parse(b)
    va, vb = version_or_none(a), version_or_none(b)
    if va is None or vb is None or pa is None or pb is None:
        assert (pa is None) == (va is None)
        assert (pb is None) == (vb is None)
        return
    assert (pep440.order_key(pa) < pep440.order_key(pb)) == (va < vb)
    assert (pep440.order_key(pa) == pep440.order_key(pb)) == (va == vb)
    assert (pep440.equality_key(pa) == pep440.equality_key(pb)) == (va == vb)


def test_every_listed_example_is_read_as_packaging_reads_it() -> None:
    for text in EXAMPLES:
        version = version_or_none(text)
        parts = pep440.parse(text)
        assert (parts is None) == (version is None), text
        if version is not None:
            assert parts == pep440.parts_of(version), text


# ------------------------------------------------------------------------------ whole audit


@given(
    st.lists(
        st.tuples(st.lists(_events, max_size=2), st.lists(version_texts, max_size=2)), max_size=3
    ),
    st.data(),
)
@settings(max_examples=500)
def test_an_audit_matches_skips_and_advises_as_on_versions(
    specs: list[tuple[list[list[tuple[str, str]]], list[str]]], data: st.DataObject
) -> None:
    # Installed versions are often a bound or a listed version, or a local build of one,
    # respelled: where a key that is off by a little shows.
    near = [t for raw, listed in specs for t in (*(t for r in raw for _, t in r), *listed)]
    choice = version_texts | spelled() | st.sampled_from(EXAMPLES)
    if near:
        respelled = st.sampled_from(near).map(lambda t: t.replace(".", "_").upper())
        local = st.tuples(st.sampled_from(near), st.sampled_from(["+cu118", "+Ubuntu-01", "+7"]))
        choice |= st.sampled_from(near) | respelled | local.map("".join)
    installed = data.draw(st.lists(choice, min_size=1, max_size=4))
    advisories = [_record([tuple(r) for r in raw], tuple(listed)) for raw, listed in specs]
    records = [package_record(a, PKG) for a in advisories]
    deps = [Dependency(PKG, text) for text in installed]
    outcome = match_records(deps, lambda names: dict.fromkeys(names, records))
    for dep, result in zip(deps, outcome.results, strict=True):
        version = version_or_none(dep.version or "")
        if version is None:  # skipped, with the words it always had
            assert result.dependency.skipped == (
                f"version {dep.version!r} is not a valid PEP 440 version, so it cannot be "
                "compared with advisory ranges; upgrade to a release with a standard version"
            )
            assert result.findings == ()
            continue
        assert result.dependency.skipped is None
        public = Version(version.public)
        expected = [
            _old_match(
                [tuple((e.kind, e.version) for e in r.events) for r in a.affected[0].ranges],
                a.affected[0].versions,
                version,
                public,
            )
            for a in advisories
        ]
        hit_ids = sorted({a.id for a, (hit, _) in zip(advisories, expected, strict=True) if hit})
        assert sorted({i for f in result.findings for i in f.records}) == hit_ids
        fixes = {fix for hit, found in expected if hit for fix in found}
        assert {fix for f in result.findings for fix in f.fixed_in} == fixes
        # The advice is the one the events give, compared as Versions.
        advice = fix_requirement(DependencyResult(dep, result.findings), records)
        target = _old_closing(advisories, version) if result.findings else None
        assert advice == (None if target is None else f"{dep.label}>={target}")
