"""An exact pin (``name==version``) is read without packaging: its version checked by
``pipvet.pep440`` and its ``SpecifierSet`` made only when something reads it. What it gives is
what packaging gives, and an audit of pins or of installed packages imports no packaging
module."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pipvet import pep440
from pipvet.frozen import replace
from pipvet.inputs.release_files import ARCHIVES
from pipvet.inputs.requirement_plain import exact_pin
from pipvet.inputs.requirement_text import plain_entry
from pipvet.inputs.requirements_model import RequirementEntry
from pipvet.models import PROJECT_NAME_PATTERN, Location
from tests.test_pep440 import spelled
from tests.test_requirement_plain import _NAMES, _PINS

# Versions of the characters a pin's may have (ASCII letters, digits, ".+!_-"), often valid.
_VERSIONS = st.from_regex(r"[0-9][A-Za-z0-9.+!_-]{0,16}", fullmatch=True) | spelled().filter(
    lambda t: re.fullmatch(r"[0-9][A-Za-z0-9.+!_-]*", t) is not None
)


@given(_PINS | st.tuples(st.sampled_from(["a", "Zope.Interface"]), _VERSIONS).map("==".join))
@example("a==1.0foo")
@example("a==1.0-r1")
@example("a==1!2.0+Ubuntu-01")
@example("a==1.0.post")
@example("a==1.0..1")
def test_a_pin_is_taken_exactly_when_its_specifier_parses(text: str) -> None:
    pin = exact_pin(text)
    if pin is None:
        return  # the full reader reads it (test_requirement_plain compares the two)
    name, version = pin
    assert text == f"{name}=={version}"
    SpecifierSet(text[len(name) :])  # does not raise


@given(st.tuples(st.sampled_from(["a", "b-c"]), _VERSIONS).map("==".join))
def test_a_pin_left_out_for_its_version_does_not_parse_as_a_specifier(text: str) -> None:
    name, _, version = text.partition("==")
    if exact_pin(text) is not None or len(version) > 128 or version.lower().endswith(ARCHIVES):
        return
    try:
        SpecifierSet(text[len(name) :])
    except InvalidSpecifier:
        return
    raise AssertionError(f"{text!r} parses, yet the shortcut left it out")


def _pin(text: str) -> RequirementEntry:
    entry = plain_entry(text, Location("r.txt", 3), False, None, Path("r.txt"))
    assert entry is not None
    return entry


def test_the_specifier_of_a_pin_is_made_when_read_and_kept() -> None:
    entry = _pin("Zope.Interface==6.2rc1")
    slot = RequirementEntry.__dict__["specifier"]
    with pytest.raises(AttributeError):
        slot.__get__(entry)  # not made yet
    first = entry.specifier
    assert first == SpecifierSet("==6.2rc1")
    assert str(first) == "==6.2rc1"
    assert entry.specifier is first


def test_a_pin_copies_pickles_and_compares_with_its_specifier() -> None:
    entry = _pin("numpy==1.26.4")
    assert replace(entry, raw="numpy==1.26.4").specifier == SpecifierSet("==1.26.4")
    again = pickle.loads(pickle.dumps(_pin("numpy==1.26.4")))
    assert again == entry
    assert again.specifier == SpecifierSet("==1.26.4")
    assert hash(_pin("numpy==1.26.4")) == hash(entry)
    assert "specifier=<SpecifierSet('==1.26.4')>" in repr(_pin("numpy==1.26.4"))
    assert _pin("numpy==1.26.4") != _pin("numpy==1.26.5")


def test_an_audit_of_pins_or_of_a_folder_imports_no_packaging(snapshot_project: Path) -> None:
    site = snapshot_project / "site"
    for name, version in (("demo", "1.0"), ("other", "2.0rc1"), ("third", "3.0.post1")):
        folder = site / f"{name}-{version}.dist-info"
        folder.mkdir(parents=True)
        (folder / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
    pins = snapshot_project / "requirements.txt"
    pins.write_text("demo==1.0\nother==2.0rc1\nthird==3.0.post1\n", encoding="utf-8")
    for args in (["--path", str(site)], ["-r", str(pins)]):
        probe = (
            "import sys\n"
            "from pipvet.cli import main\n"
            f"code = main(['audit', '--offline', '-q', '--format', 'json', *{args!r}])\n"
            "print(code, sorted(m for m in sys.modules if m.startswith('packaging')), "
            "file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        assert done.stderr.strip().splitlines()[-1] == "0 []", args


_PIN_RE = re.compile(rf"({PROJECT_NAME_PATTERN})==([0-9][A-Za-z0-9.+!_-]*)")


@given(
    st.text(st.sampled_from([*"aZ09._-+!=* \t;[]@\u0661\u00b2\u212a"]), max_size=14)
    | _PINS
    | st.tuples(_NAMES, _VERSIONS).map("==".join)
)
@example("a==1")
@example("a-==1")
@example("-a==1")
@example("a==b==1")
@example("a===1")
@example("\u212a==1")
@example("a==1\u0661")
def test_a_pin_is_told_by_its_characters_as_the_pattern_tells_it(text: str) -> None:
    """exact_pin reads ``name==version`` with string methods; the pattern it stands for."""
    found = _PIN_RE.fullmatch(text)
    pin = exact_pin(text)
    if found is None:
        assert pin is None
    elif pin is not None:
        assert pin == found.groups()
    else:  # left out for its length, an archive's name or a version that does not parse
        name, version = found.groups()
        assert (
            len(name) > 200
            or len(version) > 128
            or version.lower().endswith(ARCHIVES)
            or pep440.parse(version) is None
        )
