"""The JSON report is written a dependency at a time (for memory), and must be exactly the
text of the whole document dumped at once."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipvet import frozen
from pipvet.cli import Output
from pipvet.models import AuditReport
from pipvet.redact import mask_userinfo
from pipvet.report.jsonindent import Raw, dumps, dumps_at
from pipvet.report.jsonout import (
    _GROUP,
    audit_to_dict,
    render_audit_json,
    render_audit_json_pieces,
)
from pipvet.report.safe import json_safe, shown_json
from tests.report_samples import SAMPLES


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_written_in_pieces_is_the_whole_document(name: str) -> None:
    report = SAMPLES[name]
    text = render_audit_json(report)
    assert text == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_no_dependencies() -> None:
    report = frozen.replace(SAMPLES["clean"], results=())
    assert render_audit_json(report) == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_what_only_json_dumps_writes_falls_back_to_it() -> None:
    snapshot = frozen.replace(SAMPLES["full"].snapshot, age_seconds=float("nan"))
    report = frozen.replace(SAMPLES["full"], snapshot=snapshot)
    text = render_audit_json(report)
    assert '"age_seconds": NaN' in text
    assert text == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_raw_text_goes_in_as_it_is() -> None:
    inner = dumps_at({"a": [1, "x"]}, 2)
    assert inner is not None
    assert dumps_at({"k": [Raw(inner)]}, 0) == dumps({"k": [{"a": [1, "x"]}]})


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_pieces_the_cli_writes_join_to_the_same_text(name: str) -> None:
    report = SAMPLES[name]
    pieces = list(render_audit_json_pieces(report))
    assert "".join(pieces) == render_audit_json(report)
    # the frame's head, the dependencies a group at a time, the frame's tail
    groups = -(-len(report.results) // _GROUP)
    assert len(pieces) == (groups + 2 if report.results else 1)


def _many(count: int, hostile: dict[int, str]) -> AuditReport:
    """The full sample's results repeated under new names, some with a hostile version."""
    base = SAMPLES["full"]
    results = []
    for i in range(count):
        result = base.results[i % len(base.results)]
        dep = frozen.replace(
            result.dependency,
            name=f"{result.dependency.name}-{i}",
            version=hostile.get(i, result.dependency.version),
        )
        results.append(frozen.replace(result, dependency=dep))
    return frozen.replace(base, results=tuple(results))


@pytest.mark.parametrize(
    "hostile",
    [{}, {0: "https://u:TOKEN@h/x"}, {129: "a@b", 200: "c://d"}, {255: "https://u:TOKEN@h/"}],
)
def test_dependencies_written_a_group_at_a_time_are_the_whole_document(
    hostile: dict[int, str],
) -> None:
    # Groups of clean dependencies, and groups holding one that could carry a URL's userinfo
    # (or two that together could): the same text as the whole report cleaned, then dumped.
    report = _many(2 * _GROUP + 3, hostile)
    pieces = list(render_audit_json_pieces(report))
    expected = json_safe(mask_userinfo(dumps(audit_to_dict(shown_json(report))) + "\n"))
    assert "".join(pieces) == expected
    assert "TOKEN" not in expected
    if not hostile:
        assert len(pieces) == 3 + 2


def test_a_dependency_only_json_dumps_writes_falls_back_alone() -> None:
    full = SAMPLES["full"]
    index, result = next(
        (i, r) for i, r in enumerate(full.results) if any(f.severity for f in r.findings)
    )
    findings = tuple(
        frozen.replace(f, severity=frozen.replace(f.severity, score=float("nan")))
        if f.severity
        else f
        for f in result.findings
    )
    results = list(full.results)
    results[index] = frozen.replace(result, findings=findings)
    report = frozen.replace(full, results=tuple(results))
    joined = "".join(render_audit_json_pieces(report))
    assert '"score": NaN' in joined
    assert joined == json.dumps(audit_to_dict(report), indent=2) + "\n"


def test_the_cli_writes_pieces_masked_and_ends_them_with_one_newline() -> None:
    stdout = io.StringIO()
    Output(stdout, io.StringIO()).write_pieces(["see https://u:TOKEN@mirror.example/x", "", " b"])
    assert stdout.getvalue() == "see https://***@mirror.example/x b\n"
    ended = io.StringIO()
    Output(ended, io.StringIO()).write_pieces(["{", "}\n"])
    assert ended.getvalue() == "{}\n"


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_stops_the_output_not_the_command() -> None:
    out = Output(_ClosedPipe(), io.StringIO())
    out.write_pieces(["{", "}\n"])  # no exception: `pipvet audit | head` is not a crash
    out.write("more\n")


def test_audit_piped_into_a_reader_that_stops_early_exits_with_its_own_code(
    snapshot_project: Path,
) -> None:
    """A real process and a real pipe: the reader takes 64 bytes of a JSON report of 2,000
    packages and closes it; pipvet still exits 1 (findings), with nothing on stderr."""
    site = snapshot_project / "site"
    for i in range(2000):
        info = site / f"requests-2.19.{i}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.{i % 2}\n\n", encoding="utf-8"
        )
    command = [sys.executable, "-m", "pipvet", "audit", "--path", str(site), "--format", "json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.read(64).startswith(b"{")
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert code == 1, err
    assert "error" not in err.lower()
