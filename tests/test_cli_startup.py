"""Start-up pays only for what it uses: listing the commands imports none of them, and the
listing says what each command module registers."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipvet.cli import _COMMANDS, _SUMMARIES, Output, build_parser, main


def _choices_help(listing: bool) -> dict[str, str]:
    parser = build_parser(listing=listing)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: str(a.help) for a in sub._choices_actions}


def test_the_listing_says_what_each_command_registers() -> None:
    assert list(_SUMMARIES) == list(_COMMANDS)
    assert _choices_help(listing=True) == _choices_help(listing=False)


def test_help_is_the_full_parsers_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out = io.StringIO()
    assert main(["--help"], Output(out, io.StringIO())) == 0
    listed = out.getvalue()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    assert listed == capsys.readouterr().out
    assert "report    one self-contained HTML page" in listed
    bare = io.StringIO()
    assert main([], Output(bare, io.StringIO())) == 2  # no command to run
    assert bare.getvalue() == listed


@pytest.mark.parametrize("width", [*range(60, 130), 150, 200, 400])
def test_the_listing_is_laid_out_as_argparse_lays_it_out(width: int) -> None:
    from pipvet.cli._listing import listing_help
    from pipvet.cli._parser import PipvetArgumentParser

    parser = build_parser(listing=True)
    formatter = argparse.HelpFormatter(prog=parser.prog, width=width)
    assert isinstance(parser, PipvetArgumentParser)
    expected = argparse.ArgumentParser.format_help(_with(parser, formatter))
    assert listing_help(_SUMMARIES, width) == expected


def _with(parser: argparse.ArgumentParser, formatter: argparse.HelpFormatter) -> Any:
    # The parser, formatting at the given width (argparse reads the terminal's otherwise).
    parser._get_formatter = lambda: formatter  # type: ignore[method-assign]
    return parser


@pytest.mark.parametrize("width", [20, 40, 58, 59])
def test_a_narrow_terminal_gets_argparse_itself(
    width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipvet.cli._listing import listing_help

    assert listing_help(_SUMMARIES, width) is None
    monkeypatch.setenv("COLUMNS", str(width + 2))
    assert main(["--help"], Output(io.StringIO(), io.StringIO())) == 0
    narrow = capsys.readouterr().out
    assert narrow.startswith("usage: pipvet")
    assert "COMMAND" in narrow


def test_help_and_version_import_no_command() -> None:
    probe = (
        "import sys, runpy\n"
        "from pipvet.cli import main\n"
        "import os\n"
        "os.environ['COLUMNS'] = '80'\n"
        "for argv in (['--help'], ['--version'], []):\n"
        "    main(argv)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('pipvet.') and m not in "
        "('pipvet.cli', 'pipvet.cli._listing'))\n"
        "heavy = sorted(m for m in ('typing', 'dataclasses', 'pathlib', 'sqlite3', '_sqlite3',"
        " 'argparse') if m in sys.modules)\n"
        "print(loaded, heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "[] []"


def test_an_audit_of_a_folder_imports_neither_dataclasses_nor_inspect(
    snapshot_project: Path,
) -> None:
    # What a 300-package audit spent a third of its instructions on (pipvet.frozen says why).
    site = snapshot_project / "site"
    (site / "demo-1.0.dist-info").mkdir(parents=True)
    (site / "demo-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", encoding="utf-8"
    )
    probe = (
        "import sys\n"
        "from pipvet.cli import main\n"
        f"code = main(['audit', '--offline', '-q', '--format', 'json', '--path', {str(site)!r}])\n"
        "print(code, sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules), "
        "file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "0 []"


# What an offline audit of fresh data does without: each is imported only on the rarer path
# that needs it (named here, and tested where that path is).
_NOT_ON_AN_AUDITS_PATH = (
    "tomllib",  # a policy file of blank lines and comments (tests/test_policy_blank.py)
    "argparse",  # a command line of the command's own options (tests/test_cli_quick.py)
    "gettext",
    "locale",
    "fcntl",  # the sync lock: only a run that syncs takes it (tests/test_sync.py)
    "importlib",  # the command's module is imported with __import__
    "json",  # digests are scanned by _json's scanner, reports written by jsonindent
    # (tests/test_store_digests.py compares the scanner with json.loads's)
    "zlib",  # records are stored compressed; an audit reads their digests
    "pipvet.inputs.interpreter",  # a folder or a file is read without asking an interpreter
    "pipvet.advisories.records",  # without an overlay (test_no_overlay_has_no_fingerprint)
    "pipvet.advisories.osv",  # records are parsed by a sync; an audit matches their digests
    "pipvet.policy_schema",  # a blank policy is the defaults (test_policy_blank.py)
    # A file of exact pins has no URL, path or VCS line (tests/test_requirements.py)
    "pipvet.inputs.requirement_urls",
    "pipvet.inputs.release_files",
    # The store opens _sqlite3, OSV times are read without datetime, and only an ignore
    # needs today's date (tests/test_audit_no_datetime.py)
    "sqlite3",
    "datetime",
)


def test_no_overlay_has_no_fingerprint() -> None:
    # What sync.ensure_fresh takes for no overlay without importing records.
    from pipvet.advisories.records import overlay_fingerprint

    assert overlay_fingerprint(None) == ""


@pytest.mark.parametrize("source", ["--path", "-r"])
def test_an_offline_audit_leaves_the_rare_paths_unimported(
    snapshot_project: Path, source: str
) -> None:
    site = snapshot_project / "site"
    (site / "demo-1.0.dist-info").mkdir(parents=True)
    (site / "demo-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", encoding="utf-8"
    )
    (snapshot_project / "requirements.txt").write_text("demo==1.0\n", encoding="utf-8")
    (snapshot_project / "pipvet.toml").write_text("# the defaults\n", encoding="utf-8")
    target = str(site) if source == "--path" else "requirements.txt"
    probe = (
        "import sys\n"
        "from pipvet.cli import main\n"
        f"code = main(['audit', '--offline', '-q', '--format', 'json', {source!r}, {target!r}])\n"
        f"print(code, sorted(m for m in {_NOT_ON_AN_AUDITS_PATH!r} if m in sys.modules), "
        "file=sys.stderr)\n"
        "from pipvet import redact\n"
        "from pipvet.advisories import records\n"
        "from pipvet.report import safe\n"
        "lazy = (safe._runner_command, safe._link_breakers, redact._break, records.safe_id)\n"
        "print([f.__name__ for f in lazy if f.cache_info().currsize], file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Nor are the patterns only text, markdown, long URLs or a sync use compiled.
    assert proc.stderr.strip().splitlines()[-2:] == ["0 []", "[]"]


def test_a_sarif_audit_loads_no_openssl_for_its_fingerprints(snapshot_project: Path) -> None:
    # hashlib loads OpenSSL: 10 million instructions of a SARIF audit of 300 packages
    # (633 -> 623 million). The fingerprints are pipvet.sha256's, the same digests.
    (snapshot_project / "requirements.txt").write_text("aim==2.0.21rc1\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from pipvet.cli import main\n"
        "code = main(['audit', '--offline', '-q', '--format', 'sarif', '-o', 'out.sarif',"
        " '-r', 'requirements.txt'])\n"
        "print(code, 'hashlib' in sys.modules, '_hashlib' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.split()[-3:] == ["1", "False", "False"]
    assert '"pipvetFinding/v1": "' in (snapshot_project / "out.sarif").read_text(encoding="utf-8")


def test_the_policy_and_the_reports_import_no_packaging() -> None:
    # An audit reads versions without packaging where it can; these modules must not bring it
    # back (an ignore limited to versions imports it when it is matched).
    probe = (
        "import sys\n"
        "import pipvet.policy, pipvet.cli.audit, pipvet.cli._context, pipvet.report.jsonout\n"
        "import pipvet.report.text, pipvet.report.sarif, pipvet.report.markdown\n"
        "print(sorted(m for m in sys.modules if m.startswith('packaging')), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "[]"


# Which pipvet modules import typing: each import statement calls __import__, even when the
# module is already loaded.
_TYPING_IMPORTERS = """
import builtins, sys
importers = set()
_import = builtins.__import__
def _watch(name, globals=None, *args, **kwargs):
    if name == "typing" and (globals or {}).get("__name__", "").startswith("pipvet"):
        importers.add(globals["__name__"])
    return _import(name, globals, *args, **kwargs)
builtins.__import__ = _watch
"""


@pytest.mark.parametrize("fmt", ["json", "text", "markdown", "sarif"])
@pytest.mark.parametrize("source", ["--path", "-r"])
def test_an_audit_imports_typing_through_no_module_of_its_own(
    snapshot_project: Path, source: str, fmt: str
) -> None:
    # typing (with the Literal, NamedTuple and TypeVar objects made from it at import) was
    # about 15 million instructions of a 300-package audit: the modules an audit runs name
    # typing's objects only for type checkers (see pipvet.frozen).
    site = snapshot_project / "site"
    (site / "demo-1.0.dist-info").mkdir(parents=True)
    (site / "demo-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", encoding="utf-8"
    )
    (snapshot_project / "requirements.txt").write_text("demo==1.0\n", encoding="utf-8")
    target = str(site) if source == "--path" else "requirements.txt"
    probe = _TYPING_IMPORTERS + (
        "from pipvet.cli import main\n"
        f"code = main(['audit', '--offline', '-q', '--format', {fmt!r}, {source!r}, {target!r}])\n"
        "print(code, *sorted(importers), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    code, *importers = proc.stderr.strip().splitlines()[-1].split()
    assert code == "0"
    assert importers == []


def test_a_vet_imports_typing_through_no_module_of_its_own() -> None:
    # What a warm vet imports (the command, and what it imports as it runs): typing was
    # about 24 million instructions of a warm vet of 25 packages.
    probe = _TYPING_IMPORTERS + (
        "import pipvet.cli.vet, pipvet.advisories.source, pipvet.advisories.sync\n"
        "import pipvet.audit.run, pipvet.report.plain\n"
        "print(*sorted(importers), 'typing' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "False"


def test_a_vet_loads_no_openssl_for_its_digests(tmp_path: Path) -> None:
    # hashlib loads OpenSSL's library on import: 11 million instructions, and 20 million of a
    # warm vet of 25 packages with the hashing it did (455 -> 435 million). A warm vet hashes
    # the URLs of its parsed copies, the popularity list's names and the interpreter's facts.
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "import pipvet.cli.vet, pipvet.report.vet, pipvet.audit.run\n"
        "from pipvet.cli._vetting import _interpreter_key\n"
        "from pipvet.index.parsed_cache import ParsedCache\n"
        "from pipvet.vetting.typosquat_cache import _stamp\n"
        "_interpreter_key(Path(sys.executable))\n"
        f"ParsedCache(Path({str(tmp_path)!r})).load('https://x.test/pypi/a/json', 'h', 0.0,"
        " lambda: None)\n"
        "assert _stamp(['a', 'b'], [2, 1]) is not None\n"
        "print('hashlib' in sys.modules, '_hashlib' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.split()[-2:] == ["False", "False"]


def test_a_json_vet_loads_neither_the_markdown_renderer_nor_the_osv_parser() -> None:
    # About 0.8 million instructions of a warm vet (its module and two patterns compiled).
    probe = (
        "import sys\n"
        "import pipvet.cli.vet\n"
        "from pipvet.report.vet import render_vet\n"
        "from pipvet.vetting.model import VetReport\n"
        "report = VetReport(tool_version='1', target='t', packages=())\n"
        "render_vet(report, 'json'); render_vet(report, 'text')\n"
        "print('pipvet.report.markdown' in sys.modules, file=sys.stderr)\n"
        "print('pipvet.advisories.osv' in sys.modules, file=sys.stderr)\n"
        "render_vet(report, 'markdown')\n"
        "print('pipvet.report.markdown' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Nor the OSV parser: only names missing from the index have raw records read.
    assert proc.stderr.split() == ["False", "False", "True"]


def test_a_vet_of_plain_requests_loads_no_requirement_file_reader() -> None:
    # About 3.5 million instructions of a warm vet: the readers come with the check of a
    # request's lengths that only a request read the long way (by packaging) needs.
    probe = (
        "import sys\n"
        "import pipvet.cli.vet\n"
        "from pipvet.errors import UsageError\n"
        "from pipvet.vetting.request import parse_request\n"
        "parse_request('requests'); parse_request('demo[extra]>=1.0,<2')\n"
        "print('pipvet.inputs.requirement_text' in sys.modules, file=sys.stderr)\n"
        "try:\n"
        "    parse_request('demo @ https://example.org/demo-1.0.tar.gz')\n"
        "except UsageError as exc:\n"
        "    print('URL' in exc.message, file=sys.stderr)\n"
        "print('pipvet.inputs.requirement_text' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.split() == ["False", "True", "True"]


def test_the_vet_verdicts_are_the_literals() -> None:
    import typing

    from pipvet.vetting import model

    alias = eval(str(model.VetVerdict), {"Literal": typing.Literal})  # type checkers read it
    assert typing.get_args(alias) == model.VET_VERDICTS
