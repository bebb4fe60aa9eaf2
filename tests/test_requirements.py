"""Requirements files and pyproject dependencies: tables of inputs and what pipvet reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipvet.errors import InputError
from pipvet.inputs.requirement_text import parse_requirement_text
from pipvet.inputs.requirements import parse_pyproject, parse_requirements_file, to_dependencies
from pipvet.inputs.requirements_model import UNPINNED_REASON, RequirementEntry, RequirementsFile
from pipvet.models import Dependency, Location, canonicalize_name


def write(path: Path, text: str, *, newline: str = "\n", bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.replace("\n", newline).encode()
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def parse(tmp_path: Path, text: str, **kw: object) -> RequirementsFile:
    req = write(tmp_path / "requirements.txt", text)
    environ = kw.pop("environ", {})
    assert isinstance(environ, dict)
    return parse_requirements_file(req, environ=environ)


def problems_of(tmp_path: Path, text: str, name: str = "requirements.txt") -> tuple[str, ...]:
    req = write(tmp_path / name, text)
    with pytest.raises(InputError) as info:
        parse_requirements_file(req, environ={})
    return info.value.problems


# --------------------------------------------------------------------- single lines

LINES = [
    # text, kind, name, pinned_version, extras, marker
    ("requests==2.19.0", "pinned", "requests", "2.19.0", (), None),
    ("Requests_Toolbelt == 1.0.0", "pinned", "requests-toolbelt", "1.0.0", (), None),
    ("foo===1.0-weird", "pinned", "foo", "1.0-weird", (), None),
    ("torch==2.1.0+cu118", "pinned", "torch", "2.1.0+cu118", (), None),
    ("foo==1.0.*", "unpinned", "foo", None, (), None),
    ("foo>=1.0", "unpinned", "foo", None, (), None),
    ("foo==1.0,<2", "unpinned", "foo", None, (), None),
    ("foo", "unpinned", "foo", None, (), None),
    ("foo[b,a]==1.0", "pinned", "foo", "1.0", ("a", "b"), None),
    (
        'foo==1.0; python_version < "3.12"',
        "pinned",
        "foo",
        "1.0",
        (),
        'python_version < "3.12"',
    ),
]


@pytest.mark.parametrize("case", LINES, ids=[case[0] for case in LINES])
def test_requirement_lines(
    tmp_path: Path,
    case: tuple[str, str, str, str | None, tuple[str, ...], str | None],
) -> None:
    text, kind, name, pinned, extras, marker = case
    rf = parse(tmp_path, f"# header\n{text}\n")
    (entry,) = rf.entries
    assert (entry.kind, entry.name, entry.pinned_version, entry.extras) == (
        kind,
        name,
        pinned,
        extras,
    )
    assert (str(entry.marker) if entry.marker else None) == marker
    assert entry.location == Location(str(tmp_path / "requirements.txt"), 2)
    assert entry.raw == text


# A local folder is the user's own project: listed as not from the index, no advisory can name
# it. Anything else whose release its text does not state (a VCS URL, an archive or URL whose
# file name states no version) could install any release of any project: not checked, so the
# audit is incomplete (exit 2). These had been listed as "not from the index" and passed.
ORIGINS = [
    # text, kind, name, reason starts with, left unchecked
    ("-e ./src/mypkg", "editable", None, "editable install of ./src/mypkg: not from the index", 0),
    ("--editable=../lib#egg=Lib_X", "editable", "lib-x", "editable install of ../lib#egg=Lib_X", 0),
    (
        "-e git+https://github.com/o/tool.git@v1#egg=tool",
        "editable",
        "tool",
        "editable install of git+https://github.com/o/tool.git@v1#egg=tool",
        1,
    ),
    (
        "git+https://github.com/o/repo.git@abc123",
        "url",
        None,
        "VCS requirement git+https://github.com/o/repo.git@abc123: not from the index",
        1,
    ),
    ("pkg @ https://files.example/pkg.tar.gz", "url", "pkg", "direct URL https://files.example", 1),
    ("pkg @ https://h.example/other-1.0.tar.gz", "url", "pkg", "direct URL https://h.example", 1),
    ("https://h.example/download/latest", "url", None, "direct URL https://h.example/download", 1),
    ("pkg @ file:///opt/dl/pkg.zip", "url", "pkg", "local path file:///opt/dl/pkg.zip", 1),
    # every compression pip unpacks, and extras after the file name (pip strips them first)
    ("thing.tlz", "url", None, "local path thing.tlz: not from the index", 1),
    ("thing.tar.lzma", "url", None, "local path thing.tar.lzma: not from the index", 1),
    ("thing.tar.gz[x]", "url", None, "local path thing.tar.gz[x]: not from the index", 1),
    # a folder is a requirement only when it exists and holds a project, as in pip
    ("./proj", "url", None, "local path ./proj: not from the index", 0),
    ("-e .", "editable", None, "editable install of .: not from the index", 0),
    ("proj @ file:///opt/src/proj", "url", "proj", "local path file:///opt/src/proj: not from", 0),
]

UNKNOWABLE = (
    "not from the index, and its version cannot be known without fetching it, so no advisory "
    "was matched; pin a release from the index (NAME==VERSION), or audit the environment it "
    "is installed in (--venv DIR)"
)


@pytest.mark.parametrize("case", ORIGINS)
def test_unauditable_origins_are_recorded_with_a_reason(
    tmp_path: Path, case: tuple[str, str, str | None, str, int]
) -> None:
    text, kind, name, reason, unchecked = case
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "setup.py").write_text("", encoding="utf-8")
    (entry,) = parse(tmp_path, text + "\n").entries
    assert entry.kind == kind
    assert entry.name == name
    assert entry.reason is not None
    assert entry.reason.startswith(reason)
    assert entry.reason.endswith(UNKNOWABLE if unchecked else "cannot be audited by version")
    assert entry.pinned_version is None
    (dep,) = to_dependencies([entry])
    assert (dep.version, dep.skipped, dep.local_build) == (None, entry.reason, None)
    assert dep.local is not unchecked  # AuditReport.unchecked: skipped and not local


# A wheel or sdist file states its release: audited by it (pip installs such a file whatever
# its metadata says, so the label says what was assumed). These had passed unaudited.
FILES = [
    # text, name, version, reason starts with
    ("pkg @ https://files.example/pkg-1.0.tar.gz", "pkg", "1.0", "direct URL https://files"),
    ("pkg@file:///opt/wheels/pkg-1.0-py3-none-any.whl", "pkg", "1.0", "local path file:///opt"),
    ("./dist/foo_bar-1.2-py3-none-any.whl", "foo-bar", "1.2", "local path ./dist/foo_bar"),
    ("https://x.example/a/b/thing-2.0.tar.gz", "thing", "2.0", "direct URL https://x.example"),
    ("https://h.example/Jinja2-2.10%2Bcpu-py3-none-any.whl", "jinja2", "2.10+cpu", "direct URL"),
    # every compression pip unpacks, and extras after the file name (pip strips them first):
    # these were listed, then not checked, though their names state the release
    ("thing-2.0.tlz", "thing", "2.0", "local path thing-2.0.tlz"),
    ("thing-2.0.tar.lzma", "thing", "2.0", "local path thing-2.0.tar.lzma"),
    ("thing-2.0.tar.gz[x]", "thing", "2.0", "local path thing-2.0.tar.gz[x]"),
    ("./dist/foo_bar-1.2-py3-none-any.whl[a]", "foo-bar", "1.2", "local path ./dist/foo_bar"),
    ("x @ https://h.example/X-3.0.tar.bz2", "x", "3.0", "direct URL https://h.example/X-3.0"),
]


@pytest.mark.parametrize(("text", "name", "version", "reason"), FILES)
def test_a_wheel_or_sdist_file_is_audited_by_the_release_its_name_states(
    tmp_path: Path, text: str, name: str, version: str, reason: str
) -> None:
    (entry,) = parse(tmp_path, text + "\n").entries
    assert (entry.kind, entry.name, entry.pinned_version) == ("url", name, version)
    assert entry.reason is not None
    assert entry.reason.startswith(reason)
    assert entry.reason.endswith(
        f"not from the index; audited as {version}, the version its file name states (pip "
        "does not check that the file holds that release)"
    )
    (dep,) = to_dependencies([entry])
    assert (dep.version, dep.skipped, dep.local, dep.local_build) == (
        version,
        None,
        True,
        entry.reason,
    )


def test_url_credentials_never_reach_reasons(tmp_path: Path) -> None:
    rf = parse(
        tmp_path,
        "pkg @ https://user:s3cret@files.example/pkg-1.0.tar.gz\n"
        "git+https://${GH_TOKEN}@github.com/o/r.git#egg=r\n",
        environ={"GH_TOKEN": "ghp_verysecret"},
    )
    # the expanded value of a variable is nowhere in what was read
    assert "ghp_verysecret" not in repr(rf)
    # a credential written into the file stays in `raw` (that is the file's text), but never
    # reaches the url or reason that reports show
    for entry in rf.entries:
        assert "s3cret" not in f"{entry.url} {entry.reason}"
    assert rf.entries[0].url == "https://***@files.example/pkg-1.0.tar.gz"
    assert rf.entries[1].name == "r"


def test_url_marker_is_kept(tmp_path: Path) -> None:
    (entry,) = parse(
        tmp_path, 'https://x.example/pkg-1.0.tar.gz ; sys_platform == "linux"\n'
    ).entries
    assert str(entry.marker) == 'sys_platform == "linux"'
    assert entry.url == "https://x.example/pkg-1.0.tar.gz"


# --------------------------------------------------------------------- file syntax


def test_comments_blank_lines_and_egg_fragments(tmp_path: Path) -> None:
    rf = parse(
        tmp_path,
        "# a comment\n"
        "\n"
        "   \n"
        "requests==2.19.0  # pinned for now\n"
        "\t# indented comment\n"
        "git+https://github.com/o/r.git#egg=real-name\n"
        "flask>=2 #comment right after\n",
    )
    assert [(e.name, e.location.line) for e in rf.entries] == [
        ("requests", 4),
        ("real-name", 6),
        ("flask", 7),
    ]
    assert rf.entries[0].raw == "requests==2.19.0"


def test_continuation_reports_first_physical_line(tmp_path: Path) -> None:
    rf = parse(
        tmp_path,
        "numpy==1.26.4 \\\n    --hash=sha256:AAAA \\\n    --hash=sha256:bbbb\npandas\\\n>=2\n",
    )
    numpy, pandas = rf.entries
    assert numpy.location.line == 1
    assert numpy.end_line == 3
    assert numpy.hashes == ("sha256:aaaa", "sha256:bbbb")
    assert pandas.location.line == 4
    assert str(pandas.specifier) == ">=2"


def test_comment_line_ending_in_backslash_does_not_continue(tmp_path: Path) -> None:
    rf = parse(tmp_path, "# note \\\nrequests==1.0\n")
    assert [(e.name, e.location.line) for e in rf.entries] == [("requests", 2)]


def test_crlf_and_bom_are_tolerated(tmp_path: Path) -> None:
    text = "# c\nrequests==2.0\nflask \\\n>=2\n"
    req = write(tmp_path / "r.txt", text, newline="\r\n", bom=True)
    rf = parse_requirements_file(req, environ={})
    assert [(e.name, e.location.line, str(e.specifier)) for e in rf.entries] == [
        ("requests", 2, "==2.0"),
        ("flask", 3, ">=2"),
    ]


def test_utf16_file_with_bom(tmp_path: Path) -> None:
    req = tmp_path / "r.txt"
    req.write_bytes("requests==2.0\n".encode("utf-16"))
    assert parse_requirements_file(req, environ={}).entries[0].pinned_version == "2.0"


# pip decodes by a PEP 263 comment in the first two lines: in UTF-7, "+AAo-" is a line break,
# so for pip the comment below ends and jinja2==2.10 is a requirement of its own.
UTF7_HIDDEN = b"# -*- coding: utf-7 -*-\nsix==1.16.0 # +AAo-jinja2==2.10\n"


def test_a_coding_comment_decides_the_encoding_as_for_pip(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_bytes(UTF7_HIDDEN)
    pins = [(e.name, e.pinned_version) for e in parse_requirements_file(req, environ={}).entries]
    assert pins == [("six", "1.16.0"), ("jinja2", "2.10")]
    (tmp_path / "more.txt").write_bytes(UTF7_HIDDEN)
    top = write(tmp_path / "top.txt", "-r more.txt\n")
    assert [e.name for e in parse_requirements_file(top, environ={}).entries] == ["six", "jinja2"]


@pytest.mark.parametrize(
    ("declared", "said"),
    [
        ("rot13", "(rot13: 'rot13' is not a text encoding"),
        ("no-such", "(no-such: unknown encoding: no-such)"),
        ("ascii", "(ascii: ordinal not in range(128))"),
    ],
)
def test_a_coding_comment_that_does_not_decode_is_an_error(
    tmp_path: Path, declared: str, said: str
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_bytes(f"# coding: {declared}\nsix==1.16.0  # caf\u00e9\n".encode())
    with pytest.raises(InputError) as info:
        parse_requirements_file(req, environ={})
    assert str(info.value).startswith(
        f"{req} is not text in the encoding its coding: comment names {said}"
    )


def test_environment_variables_expand_like_pip(tmp_path: Path) -> None:
    rf = parse(
        tmp_path,
        "${PKG}==${VER}\n"
        "--index-url https://${HOST}/simple\n"
        "--find-links ${EMPTY}/wheels\n"
        "lower==1.0 ; python_version > '${lower}'\n",
        environ={"PKG": "requests", "VER": "2.31.0", "HOST": "mirror.example", "EMPTY": ""},
    )
    first, lower = rf.entries
    assert (first.name, first.pinned_version) == ("requests", "2.31.0")
    assert first.raw == "${PKG}==${VER}"  # as written, never the expanded value
    assert lower.marker is not None
    assert "${lower}" in str(lower.marker)  # lowercase names are not variables
    # option values are kept as written too; an empty variable stays as written, like pip
    assert [(o.option, o.value) for o in rf.options] == [
        ("--index-url", "https://${HOST}/simple"),
        ("--find-links", "${EMPTY}/wheels"),
    ]
    assert any("${EMPTY} is not set" in w for w in rf.warnings)


def test_unset_variable_is_left_as_is_and_warned_once(tmp_path: Path) -> None:
    rf = parse(tmp_path, "--extra-index-url https://${NOPE}/a\n--find-links ${NOPE}\n")
    assert [o.value for o in rf.options] == ["https://${NOPE}/a", "${NOPE}"]
    assert len([w for w in rf.warnings if "${NOPE}" in w]) == 1
    assert rf.warnings[0].endswith(
        "requirements.txt:1: ${NOPE} is not set, so it was left as written"
    )


OPTIONS = [
    ("--index-url https://i.example/simple", "--index-url", "https://i.example/simple"),
    ("-i https://i.example/simple", "--index-url", "https://i.example/simple"),
    ("--index-url=https://i.example/simple", "--index-url", "https://i.example/simple"),
    ("--extra-index-url https://x.example", "--extra-index-url", "https://x.example"),
    ("--trusted-host x.example", "--trusted-host", "x.example"),
    ("-f ./wheels", "--find-links", "./wheels"),
    ("--find-links=./wheels", "--find-links", "./wheels"),
    ("--pre", "--pre", None),
    ("--no-binary :all:", "--no-binary", ":all:"),
    ("--only-binary=numpy", "--only-binary", "numpy"),
    ("--prefer-binary", "--prefer-binary", None),
    ("--require-hashes", "--require-hashes", None),
    ("--no-index", "--no-index", None),
    ("--use-feature truststore", "--use-feature", "truststore"),
    ("--extra-index https://x.example", "--extra-index-url", "https://x.example"),
]


@pytest.mark.parametrize(("line", "option", "value"), OPTIONS)
def test_option_lines_are_recorded(
    tmp_path: Path, line: str, option: str, value: str | None
) -> None:
    rf = parse(tmp_path, f"requests==1.0\n{line}\n")
    (opt,) = rf.options
    assert (opt.option, opt.value, opt.location.line, opt.raw) == (option, value, 2, line)


def test_several_options_on_one_line(tmp_path: Path) -> None:
    rf = parse(tmp_path, "--pre --index-url https://a.example --trusted-host a.example\n")
    assert [(o.option, o.value) for o in rf.options] == [
        ("--pre", None),
        ("--index-url", "https://a.example"),
        ("--trusted-host", "a.example"),
    ]


# ------------------------------------------------------------------------ includes


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path / "reqs" / "base.txt", "urllib3==1.26.0\n-r common/more.txt\n")
    write(tmp_path / "reqs" / "common" / "more.txt", "idna==2.5\n")
    write(tmp_path / "reqs" / "constraints.txt", "numpy==1.26.4\n")
    top = write(
        tmp_path / "requirements.txt",
        "requests==2.19.0\n-r reqs/base.txt\n-c reqs/constraints.txt\nnumpy\n",
    )
    rf = parse_requirements_file(top, environ={})
    root = str(tmp_path)
    assert [(e.name, e.kind, e.location.path, e.location.line) for e in rf.entries] == [
        ("requests", "pinned", f"{root}/requirements.txt", 1),
        ("urllib3", "pinned", f"{root}/reqs/base.txt", 1),
        ("idna", "pinned", f"{root}/reqs/common/more.txt", 1),
        ("numpy", "constraint", f"{root}/reqs/constraints.txt", 1),
        ("numpy", "unpinned", f"{root}/requirements.txt", 4),
    ]
    assert rf.files == (
        top,
        tmp_path / "reqs" / "base.txt",
        tmp_path / "reqs" / "common" / "more.txt",
        tmp_path / "reqs" / "constraints.txt",
    )
    assert [e.name for e in rf.requirements] == ["requests", "urllib3", "idna", "numpy"]
    assert [e.name for e in rf.constraints] == ["numpy"]


def test_relative_display_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "reqs" / "base.txt", "idna==2.5\n--requirement=../more.txt\n")
    write(tmp_path / "more.txt", "six==1.0\n")
    write(tmp_path / "requirements.txt", "-r reqs/base.txt\n")
    monkeypatch.chdir(tmp_path)
    rf = parse_requirements_file(Path("requirements.txt"), environ={})
    assert [str(e.location) for e in rf.entries] == ["reqs/base.txt:1", "more.txt:1"]


def test_a_diamond_is_read_once(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r common.txt\nsix==1.0\n")
    write(tmp_path / "b.txt", "-r common.txt\n")
    write(tmp_path / "common.txt", "idna==2.5\n")
    top = write(tmp_path / "top.txt", "-r a.txt\n-r b.txt\n")
    rf = parse_requirements_file(top, environ={})
    assert [e.name for e in rf.entries] == ["idna", "six"]


def test_include_cycle_names_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "requirements.txt", "requests==1.0\n-r sub/base.txt\n")
    write(tmp_path / "sub" / "base.txt", "idna==2.5\n-r more.txt\n")
    write(tmp_path / "sub" / "more.txt", "# back to the top\n-r ../requirements.txt\n")
    with pytest.raises(InputError) as info:
        parse_requirements_file(Path("requirements.txt"), environ={})
    assert info.value.problems == (
        "sub/more.txt:2: '-r ../requirements.txt' — include cycle: requirements.txt -> "
        "sub/base.txt -> sub/more.txt -> requirements.txt (remove one of these includes)",
    )


def test_self_include_is_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.txt", "-r ./r.txt\n")
    with pytest.raises(InputError) as info:
        parse_requirements_file(Path("r.txt"), environ={})
    assert "include cycle: r.txt -> r.txt" in info.value.problems[0]


def test_missing_include_names_the_including_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "reqs" / "dev.txt", "pytest\n\n-c constraints.txt\n")
    write(tmp_path / "requirements.txt", "-r reqs/dev.txt\n")
    with pytest.raises(InputError) as info:
        parse_requirements_file(Path("requirements.txt"), environ={})
    assert info.value.problems == (
        "reqs/dev.txt:3: '-c constraints.txt' — included file not found: "
        "reqs/constraints.txt (fix the path; it is relative to reqs/dev.txt, the including "
        "file)",
    )


def test_missing_top_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"requirements file not found: .*nope\.txt"):
        parse_requirements_file(tmp_path / "nope.txt", environ={})


def test_remote_include_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, "-r https://example.org/requirements.txt\n")
    assert "remote requirements files are not read" in problem
    assert "download the file" in problem


@pytest.mark.parametrize(
    "target",
    [
        "../home/.huggingface/token",  # a token is a valid package name: "not pinned: hf_..."
        "../home/.netrc",
        "../home/.env.txt",  # a dotfile, whatever its suffix
        "/proc/self/environ",  # every variable of the process, secrets of a CI job included
        "link.txt",  # inside, but a link to a file outside
    ],
)
def test_an_include_outside_the_folder_reads_only_requirements_files(
    tmp_path: Path, target: str
) -> None:
    # A requirements file from someone else (a pull request) must not make pipvet read any
    # file of this machine and show its lines.
    home = tmp_path / "home"
    write(home / ".huggingface" / "token", "hf_abcdefghijklmnopqrstuvwxyz0123\n")
    write(home / ".netrc", "machine github.com login bob password ghp_abcdefghijklmnop\n")
    write(home / ".env.txt", "TOKEN=sk-abcdefghijklmnop\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.txt").symlink_to(home / ".huggingface" / "token")
    top = write(repo / "requirements.txt", f"six==1.16.0\n-r {target}\n")
    with pytest.raises(InputError) as caught:
        parse_requirements_file(top, environ={})
    (problem,) = caught.value.problems
    assert "so it is not read: an include can name any file" in problem
    for secret in ("hf_abc", "ghp_", "sk-abc", "PATH="):
        assert secret not in str(caught.value) + problem


def test_an_include_outside_the_folder_may_be_a_requirements_file(tmp_path: Path) -> None:
    # docs/requirements.txt with "-r ../requirements.txt": the common case outside the folder.
    write(tmp_path / "requirements.txt", "six==1.16.0\n")
    write(tmp_path / "constraints.in", "idna==3.7\n")
    write(tmp_path / "requirements.lock", "attrs==24.2.0\n")  # rye's name
    top = write(
        tmp_path / "docs" / "requirements.txt",
        "-r ../requirements.txt\n-c ../constraints.in\n-r ../requirements.lock\n",
    )
    rf = parse_requirements_file(top, environ={})
    assert [e.name for e in rf.entries] == ["six", "idna", "attrs"]


def test_a_requirements_file_that_links_out_of_its_folder_to_another_file_is_not_read(
    tmp_path: Path,
) -> None:
    write(tmp_path / "home" / ".npmrc", "//registry.npmjs.org/:_authToken=npm_abcdefghijkl\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").symlink_to(tmp_path / "home" / ".npmrc")
    with pytest.raises(InputError) as caught:
        parse_requirements_file(repo / "requirements.txt", environ={})
    assert "links to" in str(caught.value)
    assert "npm_abc" not in str(caught.value)
    # Named by its own path, the file is the user's choice: read.
    write(tmp_path / "home" / "pins", "six==1.16.0\n")
    assert [
        e.name for e in parse_requirements_file(tmp_path / "home" / "pins", environ={}).entries
    ] == ["six"]


# ------------------------------------------------------------------------ errors


def test_all_errors_of_a_file_are_reported_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "requirements.txt",
        "requests==2.19.0\n"
        "reqeusts>=\n"
        "foo bar\n"
        "--bogus-option\n"
        "ok==1.0 --hash=md5:abcd\n"
        "-r\n"
        "good>=1\n"
        "bad; python_version >>> '3'\n",
    )
    with pytest.raises(InputError) as info:
        parse_requirements_file(Path("requirements.txt"), environ={})
    err = info.value
    assert str(err).startswith("cannot read requirements from requirements.txt: 6 problems\n")
    assert err.problems == (
        "requirements.txt:2: 'reqeusts>=' — invalid requirement: expected a version after "
        "'>=' (write it as NAME, NAME>=VERSION or NAME==VERSION; see PEP 508)",
        "requirements.txt:3: 'foo bar' — invalid requirement: expected semicolon (after name "
        "with no version specifier) or end at column 5 (write it as NAME, NAME>=VERSION or "
        "NAME==VERSION; see PEP 508)",
        "requirements.txt:4: '--bogus-option' — unknown option '--bogus-option' (pip does not "
        "accept it in requirements files; remove it or fix the spelling)",
        "requirements.txt:5: 'ok==1.0 --hash=md5:abcd' — invalid --hash value 'md5:abcd' "
        "(write --hash=sha256:HEXDIGEST (sha256, sha384 or sha512), as pip hash prints it)",
        "requirements.txt:6: '-r' — option '--requirement' needs a value (write "
        "--requirement VALUE)",
        err.problems[5],
    )
    assert err.problems[5].startswith("requirements.txt:8: 'bad; python_version >>> '3'' — ")
    assert err.hint


def test_errors_in_included_files_are_collected_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "base.txt", "x==\n")
    write(tmp_path / "requirements.txt", "-r base.txt\ny>=\n")
    with pytest.raises(InputError) as info:
        parse_requirements_file(Path("requirements.txt"), environ={})
    assert [p.split(" — ")[0] for p in info.value.problems] == [
        "base.txt:1: 'x=='",
        "requirements.txt:2: 'y>='",
    ]


BAD_LINES = [
    ("foo==1.0 --hash 'sha256:ab", "cannot split the options: No closing quotation"),
    ("--pre=yes", "option '--pre' takes no value"),
    ("./x ; python_version >>> '3'", "invalid environment marker"),
    ("-x", "unknown option '-x'"),
    ("--no", "ambiguous option '--no' (it could be --no-index, --no-binary"),
    ("--index", "option '--index-url' needs a value"),  # an unambiguous prefix, like optparse
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_bad_lines(tmp_path: Path, line: str, message: str) -> None:
    (problem,) = problems_of(tmp_path, line + "\n")
    assert problem.startswith(f"{tmp_path / 'requirements.txt'}:1: '{line}' — ")
    assert message in problem


def test_words_after_options_are_ignored_like_pip_with_a_warning(tmp_path: Path) -> None:
    rf = parse(tmp_path, "-e ./x ; python_version < '3'\n")
    (entry,) = rf.entries
    assert entry.kind == "editable"
    assert entry.marker is None
    assert rf.warnings == (
        f"{tmp_path / 'requirements.txt'}:1: pip ignores '; python_version < 3' on this line "
        "(after an option, only options count); put a requirement or marker before the "
        "options",
    )


def test_url_in_constraints_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "c.txt", "-e ./local\npkg @ https://x.example/p.tar.gz\n")
    (tmp_path / "r.txt").write_text("-c c.txt\n")
    with pytest.raises(InputError) as info:
        parse_requirements_file(tmp_path / "r.txt", environ={})
    # an included file is read up to its first problem, as pip does
    (problem,) = info.value.problems
    assert "c.txt:1: '-e ./local'" in problem
    assert "cannot be constraints" in problem
    assert "c.txt not read past the first problem" in (info.value.hint or "")


def test_requirement_text_error_is_an_input_error() -> None:
    loc = Location("cli", None)
    with pytest.raises(InputError) as info:
        parse_requirement_text("requests>=", loc)
    assert str(info.value).startswith("cli: 'requests>=' — invalid requirement")


# ------------------------------------------------------------------------ pyproject

PYPROJECT = """\
[build-system]
requires = ["setuptools"]

[project]
name = "demo"
version = "1.0"
dependencies = [
    "requests==2.19.0",
    "numpy>=1.26",
    'pandas[performance]==2.2.0 ; python_version >= "3.10"',
]

[project.optional-dependencies]
test = ["pytest==8.0.0"]
docs = [
  "sphinx",
]

[dependency-groups]
lint = ["ruff==0.5.0"]
dev = [
    {include-group = "lint"},
    "numpy>=1.26",
]
"""


def test_pyproject_sections_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", PYPROJECT)
    rf = parse_pyproject(path)
    got = [(e.name, e.kind, e.section, e.location.line) for e in rf.entries]
    assert got == [
        ("requests", "pinned", "project.dependencies", 8),
        ("numpy", "unpinned", "project.dependencies", 9),
        ("pandas", "pinned", "project.dependencies", 10),
        ("pytest", "pinned", "project.optional-dependencies.test", 14),
        ("sphinx", "unpinned", "project.optional-dependencies.docs", 16),
        ("ruff", "pinned", "dependency-groups.lint", 20),
        ("numpy", "unpinned", "dependency-groups.dev", 23),
    ]
    assert all(e.location.path == str(path) for e in rf.entries)
    assert rf.entries[2].extras == ("performance",)


def test_pyproject_what_uv_and_pdm_install_from_their_own_tables_is_read(
    tmp_path: Path,
) -> None:
    """'uv sync' installs [tool.uv] dev-dependencies and 'pdm install' the groups of
    [tool.pdm.dev-dependencies]: jinja2==2.10 there passed 'pipvet audit -r pyproject.toml'."""
    path = write(
        tmp_path / "pyproject.toml",
        "[project]\n"
        'name = "x"\n'
        'dependencies = ["six==1.16.0", "idna"]\n'
        "\n"
        "[tool.uv]\n"
        'dev-dependencies = ["jinja2==2.10"]\n'
        'override-dependencies = ["urllib3==1.24.1"]\n'
        'constraint-dependencies = ["idna==2.7"]\n'
        "\n"
        "[tool.pdm.dev-dependencies]\n"
        'test = ["pyyaml==3.12", "-e file:///${PROJECT_ROOT}/libs/mine#egg=mine"]\n',
    )
    rf = parse_pyproject(path)
    got = [(e.name, e.kind, e.section, e.location.line) for e in rf.entries]
    assert got == [
        ("six", "pinned", "project.dependencies", 3),
        ("idna", "unpinned", "project.dependencies", 3),
        ("jinja2", "pinned", "tool.uv.dev-dependencies", 6),
        ("urllib3", "pinned", "tool.uv.override-dependencies", 7),
        ("idna", "constraint", "tool.uv.constraint-dependencies", 8),
        ("pyyaml", "pinned", "tool.pdm.dev-dependencies.test", 11),
        ("mine", "editable", "tool.pdm.dev-dependencies.test", 11),
    ]
    pins = {(d.name, d.version) for d in to_dependencies(rf.entries)}
    assert {("jinja2", "2.10"), ("urllib3", "1.24.1"), ("idna", "2.7"), ("pyyaml", "3.12")} <= pins
    bad = write(tmp_path / "bad" / "pyproject.toml", "[tool.pdm]\ndev-dependencies = 3\n")
    with pytest.raises(InputError) as info:
        parse_pyproject(bad)
    assert "[tool.pdm.dev-dependencies] — must be a table" in info.value.problems[0]


POETRY = """\
[project]
name = "x"
dependencies = ["six==1.16.0"]

[tool.poetry.dependencies]
python = "^3.8"
requests = "^2.19"
idna = {version = "==2.7", markers = "python_version >= '3'"}
mylib = {path = "../mylib", develop = true}
tool = {git = "https://github.com/o/tool.git", rev = "v1"}
numpy = [{version = "1.21.0", python = "<3.10"}, {version = "1.26.4", python = ">=3.10"}]

[tool.poetry.dev-dependencies]
pytest = "*"

[tool.poetry.group.docs.dependencies]
jinja2 = "2.10"
"""


def test_pyproject_poetry_tables_are_read_in_poetry_syntax(tmp_path: Path) -> None:
    """'poetry install' installs [tool.poetry.dependencies] and every group: jinja2 = "2.10"
    (exact, in Poetry's syntax) in a group passed 'pipvet audit -r pyproject.toml'."""
    rf = parse_pyproject(write(tmp_path / "pyproject.toml", POETRY))
    got = [(e.name, e.kind, e.pinned_version, e.section, e.location.line) for e in rf.entries]
    deps, dev, docs = (
        "tool.poetry.dependencies",
        "tool.poetry.dev-dependencies",
        "tool.poetry.group.docs.dependencies",
    )
    assert got == [
        ("six", "pinned", "1.16.0", "project.dependencies", 3),
        ("requests", "unpinned", None, deps, 7),
        ("idna", "pinned", "2.7", deps, 8),
        (None, "editable", None, deps, 9),
        ("tool", "url", None, deps, 10),
        ("numpy", "pinned", "1.21.0", deps, 11),
        ("numpy", "pinned", "1.26.4", deps, 11),
        ("pytest", "unpinned", None, dev, 14),
        ("jinja2", "pinned", "2.10", docs, 17),
    ]
    assert rf.entries[-1].raw == "jinja2 = 2.10"
    bad = write(tmp_path / "bad" / "pyproject.toml", "[tool.poetry]\ndependencies = 3\n")
    with pytest.raises(InputError) as info:
        parse_pyproject(bad)
    assert "[tool.poetry.dependencies] — must be a table" in info.value.problems[0]


def test_pyproject_without_project_table(tmp_path: Path) -> None:
    rf = parse_pyproject(write(tmp_path / "pyproject.toml", "[tool.black]\nline-length = 99\n"))
    assert rf.entries == ()


def test_pyproject_dynamic_dependencies_warn(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndynamic = ["dependencies", "version"]\n'
    rf = parse_pyproject(write(tmp_path / "pyproject.toml", text))
    assert rf.entries == ()
    assert "dynamic" in rf.warnings[0]
    assert "audit the installed environment" in rf.warnings[0]


def test_pyproject_invalid_toml_names_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\ndependencies = [\n  "a",\n  b\n]\n')
    with pytest.raises(InputError) as info:
        parse_pyproject(Path("pyproject.toml"))
    (problem,) = info.value.problems
    assert problem == (
        "pyproject.toml:5:3: invalid TOML: Invalid value (fix the syntax at that position)"
    )


def test_pyproject_bad_entries_are_collected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "pyproject.toml",
        "[project]\n"
        'name = "x"\n'
        'dependencies = ["ok==1", "reqeusts>=", 3]\n'
        "[project.optional-dependencies]\n"
        'test = "pytest"\n',
    )
    with pytest.raises(InputError) as info:
        parse_pyproject(Path("pyproject.toml"))
    assert info.value.problems == (
        "pyproject.toml:3: 'reqeusts>=' — invalid requirement: expected a version after '>=' "
        "(write it as NAME, NAME>=VERSION or NAME==VERSION; see PEP 508)",
        "pyproject.toml:3: 3 — in [project.dependencies]: not a requirement string (write "
        "each requirement as a quoted PEP 508 string)",
        "pyproject.toml:5: [project.optional-dependencies.test] — must be a list of "
        'requirement strings (write it like: ["requests>=2.31"])',
    )


def test_dependency_group_include_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "pyproject.toml",
        "[dependency-groups]\n"
        'a = [{include-group = "b"}, "six==1.0"]\n'
        'b = [{include-group = "C"}]\n'
        'c = [{include-group = "a"}]\n'
        'd = [{include-group = "missing"}]\n'
        'e = [{include = "a"}]\n',
    )
    with pytest.raises(InputError) as info:
        parse_pyproject(Path("pyproject.toml"))
    problems = info.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("pyproject.toml:6: {'include': 'a'} — in [dependency-groups.e]")
    assert "include cycle: a -> b -> c -> a (remove one of these includes)" in problems[1]
    assert problems[1].startswith("pyproject.toml:4: ")
    assert problems[2] == (
        'pyproject.toml:5: {include-group = "missing"} — in [dependency-groups.d]: no group '
        "named 'missing' (fix the name or add the group)"
    )


def test_dependency_group_includes_are_walked_once_each(tmp_path: Path) -> None:
    """26 groups each including the next twice took 2**26 steps (a hang); a chain of 3,000
    overflowed the recursion limit (an internal error)."""
    twice = [f'g{i} = [{{include-group = "g{i + 1}"}}, {{include-group = "g{i + 1}"}}]'
             for i in range(26)]  # fmt: skip
    path = write(tmp_path / "pyproject.toml", "[dependency-groups]\n" + "\n".join(
        [*twice, 'g26 = ["django==1.11"]']) + "\n")  # fmt: skip
    assert [e.name for e in parse_pyproject(path).entries] == ["django"]
    chain = [f'c{i} = [{{include-group = "c{i + 1}"}}]' for i in range(3000)]
    path.write_text("[dependency-groups]\n" + "\n".join([*chain, 'c3000 = ["six==1.0"]']) + "\n")
    assert [e.name for e in parse_pyproject(path).entries] == ["six"]


def test_pyproject_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="pyproject file not found"):
        parse_pyproject(tmp_path / "pyproject.toml")


# -------------------------------------------------------------------- to_dependencies


def entries(tmp_path: Path, text: str) -> tuple[RequirementEntry, ...]:
    return parse(tmp_path, text).entries


def test_to_dependencies(tmp_path: Path) -> None:
    loc = str(tmp_path / "requirements.txt")
    deps = to_dependencies(
        entries(
            tmp_path,
            "Requests==2.19.0\n"
            "flask>=2\n"
            "-e ./src/mine\n"
            "pkg @ https://x.example/pkg-1.0.tar.gz\n"
            "requests==2.19.0\n",
        )
    )
    assert deps == [
        Dependency(canonicalize_name("requests"), "2.19.0", "Requests", Location(loc, 1)),
        Dependency(
            canonicalize_name("flask"), None, "flask", Location(loc, 2), skipped=UNPINNED_REASON
        ),
        Dependency(
            canonicalize_name("mine"),
            None,
            "mine",
            Location(loc, 3),
            skipped="editable install of ./src/mine: not from the index, cannot be audited "
            "by version",
            local=True,
        ),
        Dependency(
            canonicalize_name("pkg"),
            "1.0",
            "pkg",
            Location(loc, 4),
            local=True,
            local_build="direct URL https://x.example/pkg-1.0.tar.gz: not from the index; "
            "audited as 1.0, the version its file name states (pip does not check that the "
            "file holds that release)",
        ),
    ]


def test_unnamed_editable_is_keyed_by_what_was_written(tmp_path: Path) -> None:
    (dep,) = to_dependencies(entries(tmp_path, "-e .\n"))
    assert (dep.name, dep.display_name, dep.version) == (".", ".", None)
    assert dep.skipped == "editable install of .: not from the index, cannot be audited by version"


def test_constraint_pin_decides_an_unpinned_requirement(tmp_path: Path) -> None:
    write(tmp_path / "constraints.txt", "numpy==1.26.4\nscipy==1.0\nidna==2.5\n")
    text = "-c constraints.txt\nnumpy\nscipy>=1.5\nrequests==2.19.0\n"
    deps = to_dependencies(entries(tmp_path, text))
    assert [(d.name, d.version, d.location.line if d.location else None) for d in deps] == [
        ("numpy", "1.26.4", 1),  # located at the constraint line, where the version is decided
        ("scipy", None, 3),
        ("requests", "2.19.0", 4),
    ]
    numpy, scipy, _ = deps
    assert numpy.location is not None
    assert numpy.location.path.endswith("constraints.txt")
    assert scipy.skipped is not None
    assert "the constraint 'scipy==1.0'" in scipy.skipped
    assert "does not satisfy 'scipy>=1.5'" in scipy.skipped
    # idna is only a constraint: nothing to audit on its own


def test_pyproject_to_dependencies(tmp_path: Path) -> None:
    rf = parse_pyproject(write(tmp_path / "pyproject.toml", PYPROJECT))
    deps = to_dependencies(rf.entries)
    assert [(d.name, d.version) for d in deps] == [
        ("requests", "2.19.0"),
        ("numpy", None),
        ("pandas", "2.2.0"),
        ("pytest", "8.0.0"),
        ("sphinx", None),
        ("ruff", "0.5.0"),
    ]


def test_pdm_overrides_are_what_pdm_installs(tmp_path: Path) -> None:
    """[tool.pdm.resolution.overrides] replaces what anything asks for: with jinja2 = "==2.10"
    there, pdm install installs 2.10 whatever [project] says, and the audit had passed."""
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["jinja2==3.1.6"]\n'
        '[tool.pdm.resolution.overrides]\njinja2 = "==2.10"\nsix = "*"\nflask = "0.12"\n'
        'idna = "https://example.org/idna-2.7-py2.py3-none-any.whl"\n'
    )
    got = {(e.name, str(e.specifier), e.kind) for e in parse_pyproject(path).entries}
    assert ("jinja2", "==2.10", "pinned") in got
    assert ("six", "", "unpinned") in got
    assert ("flask", "==0.12", "pinned") in got  # a bare version is exact, as PDM reads it
    assert any(name == "idna" and kind == "url" for name, _, kind in got)
