"""Properties of requirements parsing that must hold for every file, not just the examples."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipvet.errors import InputError
from pipvet.inputs import requirements
from pipvet.inputs.requirement_text import parse_requirement_text
from pipvet.inputs.requirements import parse_requirements_file
from pipvet.inputs.requirements_model import RequirementEntry, RequirementsFile
from pipvet.models import Location, canonicalize_name

FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

_alnum = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_sep = st.sampled_from(["-", "_", ".", "--", "_.-"])


@st.composite
def names(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.text(_alnum, min_size=1, max_size=6), min_size=1, max_size=3))
    seps = [draw(_sep) for _ in parts[1:]]
    out = parts[0]
    for sep, part in zip(seps, parts[1:], strict=True):
        out += sep + part
    return out


versions = st.builds(
    lambda parts, post: ".".join(map(str, parts)) + post,
    st.lists(st.integers(0, 40), min_size=1, max_size=4),
    st.sampled_from(["", "rc1", ".post2", ".dev0", "a3", "+local.7"]),
)


@st.composite
def requirement_lines(draw: st.DrawFn) -> str:
    name = draw(names())
    extras = draw(st.lists(st.sampled_from(["s3", "test", "all"]), max_size=2, unique=True))
    op = draw(st.sampled_from(["", "==", ">=", "~=", "!=", "<", "==="]))
    version = draw(versions)
    if op not in ("==", "!=", "==="):  # local labels only go with these operators
        version = version.split("+")[0]
    spec = f"{op}{version}" if op else ""
    if op == "~=":  # compatible release needs a plain release with two parts or more
        spec = f"~={draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}"
    marker = draw(
        st.sampled_from(
            ["", ' ; python_version >= "3.9"', "; sys_platform == 'linux'", ";extra=='x'"]
        )
    )
    hashes = draw(st.lists(st.text("0123456789abcdef", min_size=4, max_size=8), max_size=2))
    line = name + (f"[{','.join(extras)}]" if extras else "") + spec + marker
    if hashes and not marker:
        line += "".join(f" --hash=sha256:{h}" for h in hashes)
    return line


option_lines = st.sampled_from(
    [
        "--index-url https://mirror.example/simple",
        "--extra-index-url=https://extra.example/simple",
        "--pre",
        "-f ./wheels",
        "--trusted-host mirror.example",
        "--only-binary :all:",
    ]
)

files = st.lists(st.one_of(requirement_lines(), option_lines), min_size=1, max_size=12)


def read(tmp_path: Path, text: str) -> RequirementsFile:
    path = tmp_path / "requirements.txt"
    path.write_bytes(text.encode())
    return parse_requirements_file(path, environ={})


def shape(entry: RequirementEntry) -> tuple[object, ...]:
    """Everything about an entry except where it is."""
    return (
        entry.name,
        entry.display_name,
        str(entry.specifier),
        entry.extras,
        str(entry.marker),
        entry.raw,
        entry.kind,
        entry.hashes,
        entry.pinned_version,
    )


@FIXTURE_OK
@given(files)
def test_crlf_and_lf_parse_the_same(tmp_path: Path, lines: list[str]) -> None:
    lf = read(tmp_path, "\n".join(lines) + "\n")
    crlf = read(tmp_path, "\r\n".join(lines) + "\r\n")
    assert lf.entries == crlf.entries
    assert lf.options == crlf.options


@FIXTURE_OK
@given(files, st.data())
def test_comments_and_blank_lines_only_shift_lines(
    tmp_path: Path, lines: list[str], data: st.DataObject
) -> None:
    noise = st.sampled_from(["", "   ", "# a comment", "   # indented", "#", "\t"])
    padded: list[str] = []
    new_line_of: dict[int, int] = {}
    for i, line in enumerate(lines, start=1):
        padded += data.draw(st.lists(noise, max_size=3))
        comment = data.draw(st.sampled_from(["", "  # why", "\t#note"]))
        padded.append(line + comment)
        new_line_of[i] = len(padded)
    padded += data.draw(st.lists(noise, max_size=2))
    plain = read(tmp_path, "\n".join(lines) + "\n")
    noisy = read(tmp_path, "\n".join(padded) + "\n")
    assert [shape(e) for e in noisy.entries] == [shape(e) for e in plain.entries]
    assert [e.location.line for e in noisy.entries] == [
        new_line_of[e.location.line or 0] for e in plain.entries
    ]
    assert [(o.option, o.value) for o in noisy.options] == [
        (o.option, o.value) for o in plain.options
    ]


@FIXTURE_OK
@given(requirement_lines(), st.data())
def test_continuations_join_to_the_single_line_form(
    tmp_path: Path, line: str, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(line)), min_size=1, max_size=3)))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    # a physical line that looks like a comment ends a continuation in pip; avoid making one
    assume(not any(re.match(r"\s*#", p) for p in pieces))
    continued = "\\\n".join(pieces)
    single = read(tmp_path, f"# top\n{line}\n")
    joined = read(tmp_path, f"# top\n{continued}\n")
    (a,), (b,) = single.entries, joined.entries
    assert shape(b) == shape(a)
    assert b.location.line == a.location.line == 2
    assert (b.end_line or 2) == 2 + len(pieces) - 1


def _scramble(name: str, flips: list[bool], seps: list[str]) -> str:
    out = []
    sep_iter = iter(seps)
    for ch, flip in zip(name, flips + [False] * len(name), strict=False):
        if ch in "-_.":
            out.append(next(sep_iter, ch))
        else:
            out.append(ch.swapcase() if flip else ch)
    return "".join(out)


@given(names(), st.lists(st.booleans(), max_size=30), st.lists(_sep, max_size=5))
def test_names_normalise_whatever_the_case_and_separators(
    name: str, flips: list[bool], seps: list[str]
) -> None:
    loc = Location("x", 1)
    variant = _scramble(name, flips, seps)
    a = parse_requirement_text(f"{name}==1.0", loc)
    b = parse_requirement_text(f"{variant}==1.0", loc)
    assert a.name == b.name
    assert a.name == canonicalize_name(a.name or "")  # idempotent
    assert a.name is not None
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a.name)
    assert b.display_name == variant


@FIXTURE_OK
@given(st.lists(st.text(st.characters(blacklist_categories=["Cs"]), max_size=40), max_size=6))
def test_any_text_parses_or_fails_with_located_problems(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes("\n".join(lines).encode())
    parsed: RequirementsFile | None = None
    problems: tuple[str, ...] = ()
    try:
        parsed = parse_requirements_file(path, environ={})
    except InputError as err:
        problems = err.problems
    if parsed is None:  # a failure names the file and line of each problem
        assert problems
        assert all(p.startswith(f"{path}:") for p in problems)
        return
    # A successful parse: every entry and option points at a real line of this file, in
    # file order, holds the text written there, and any name it has is canonical.
    physical_lines = max(1, len(path.read_text(encoding="utf-8").splitlines()))
    assert parsed.files[:1] == (path,)
    located = [(e.location, e.raw) for e in parsed.entries]
    assert [loc.path for loc, _ in located] == [str(path)] * len(located)
    numbers = [loc.line or 0 for loc, _ in located]
    assert numbers == sorted(numbers)
    assert all(1 <= n <= physical_lines for n in numbers)
    assert all(raw and raw == raw.strip() for _, raw in located)
    assert all(e.name is None or e.name == canonicalize_name(e.name) for e in parsed.entries)
    assert all(o.location.path == str(path) for o in parsed.options)


_ENVIRONMENT_NAMES = st.tuples(
    st.sampled_from(["", "dev-", "x.", "a", "\u212a_", "\u017f-"]),
    st.sampled_from(["environment", "ENVIRONMENT", "Environment", "env\u0131ronment"])
    | st.sampled_from(["ENV\u0130RONMENT", "environ", "requirements", "ment"]),
    st.sampled_from([".yml", ".yaml", ".YML", ".txt", "-dev.yml", "", "_\u00e9.yml"]),
).map("".join)


@given(_ENVIRONMENT_NAMES | st.text())
def test_is_conda_name_is_the_patterns_match(name: str) -> None:
    # The ASCII shortcut must say no only where the pattern says no.
    expected = re.match(requirements._CONDA, name, re.IGNORECASE) is not None
    assert requirements.is_conda_name(name) == expected
