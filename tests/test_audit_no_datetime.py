"""An offline audit imports neither datetime nor the sqlite3 package: the store talks to the C
module ``_sqlite3`` (the same connect, Connection and exception classes), OSV times in their
usual spelling are read by ``store_model.utc_micros``, and today's date is made only for an
ignore. Each shortcut must read exactly what datetime reads, and a damaged database must still
be said to be one."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipvet.advisories.findings import _modified_key, _newest
from pipvet.advisories.store_model import age_since, utc_micros

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_USUAL = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00:00)"
)


def _datetime_micros(text: str) -> int | None:
    """What utc_micros must give: datetime's reading, for a UTC time it reads."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.utcoffset() != timedelta(0):
        return None
    return (when - _EPOCH) // timedelta(microseconds=1)


_FIELDS = st.tuples(
    st.sampled_from([1, 4, 100, 400, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9999])
    | st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
)
_FRACTIONS = st.sampled_from(["", ".", ".1234567", ".123456789"]) | st.from_regex(
    r"\.[0-9]{1,6}", fullmatch=True
)
_ZONES = st.sampled_from(["Z", "+00:00", "", "z", "+01:00", "-00:00", "ZZ"])


@st.composite
def _times(draw: st.DrawFn) -> str:
    y, mo, d, h, mi, s = draw(_FIELDS)
    sep = draw(st.sampled_from(["T", "T", "T", " ", "t"]))
    return f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{draw(_FRACTIONS)}{draw(_ZONES)}"


@given(_times() | st.text(max_size=40))
@example("2024-02-29T23:59:59.999999Z")
@example("2023-02-29T00:00:00Z")
@example("0001-01-01T00:00:00+00:00")
@example("9999-12-31T23:59:59.5Z")
@example("2024-01-02T03:04:05.\uff11Z")
@example("\uff12024-01-02T03:04:05Z")
def test_utc_micros_is_what_datetime_reads(text: str) -> None:
    got = utc_micros(text)
    if got is not None:  # read: exactly datetime's instant, and its timestamp()
        assert got == _datetime_micros(text)
        assert got / 1_000_000 == datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    elif _USUAL.fullmatch(text):  # the usual spelling is left to datetime only when it refuses
        assert _datetime_micros(text) is None


@given(_times(), st.floats(0, 4e11, allow_nan=False))
@example("2024-01-02T03:04:05Z", 1704164645.0 + 86400)
@example("2024-01-02T03:04:05Z", 1704164645.0 - 86400.5)
def test_an_age_is_what_datetime_makes_of_it(text: str, now: float) -> None:
    try:
        moment = datetime.fromisoformat(text)
        then: float | None = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    except (ValueError, OverflowError):
        then = None
    want = None if then is None or then > now + 86400 else max(0.0, now - then)
    assert age_since(text, now) == want


def _newest_by_datetime(times: list[str]) -> str:
    """``findings._newest`` as it was, datetime for every time."""
    parsed = [(_modified_key(t), t) for t in times]
    aware = [(k[1], t) for k, t in parsed if isinstance(k[1], datetime) and k[1].tzinfo]
    if aware and len(aware) == len(parsed):
        return max(aware)[1]
    return max(t for _, t in parsed)


@given(st.lists(_times(), min_size=1, max_size=5))
@example(["2021-09-23T00:11:05.455785Z", "2021-09-23T16:57:40.954858Z"])
@example(["2024-01-01T00:00:58.3Z", "2024-01-01T00:00:58Z"])
@example(["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.0Z"])
@example(["2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00"])
def test_the_newest_time_is_the_one_datetime_chose(times: list[str]) -> None:
    assert _newest(times) == _newest_by_datetime(times)


# ---------------------------------------------------------------------------- whole runs


def _run(probe: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip().splitlines()


_LOADED = "sorted(m for m in ('datetime', '_datetime', 'sqlite3') if m in sys.modules)"
# A probe's start: `pipvet audit --offline --format json -r requirements.txt` in-process, its
# exit code in `code` and its JSON report in `report`.
_JSON_AUDIT = (
    "import io, json, sys\n"
    "from pipvet.cli import Output, main\n"
    "out = io.StringIO()\n"
    "code = main(['audit', '--offline', '--format', 'json', '-r', 'requirements.txt'],"
    " Output(out, io.StringIO()))\n"
    "report = json.loads(out.getvalue())\n"
)


@pytest.mark.parametrize(
    ("source", "fmt"),
    [("-r", "json"), ("-r", "text"), ("-r", "markdown"), ("-r", "sarif"), ("--path", "json")],
)
def test_an_offline_audit_with_findings_imports_neither(
    snapshot_project: Path, source: str, fmt: str
) -> None:
    # parlai 0.1.20200716: one finding of two records, whose newest modified time is chosen.
    site = snapshot_project / "site"
    (site / "parlai-0.1.20200716.dist-info").mkdir(parents=True)
    (site / "parlai-0.1.20200716.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: parlai\nVersion: 0.1.20200716\n", encoding="utf-8"
    )
    (snapshot_project / "requirements.txt").write_text("parlai==0.1.20200716\n", encoding="utf-8")
    target = str(site) if source == "--path" else "requirements.txt"
    probe = (
        "import io, sys\n"
        "from pipvet.cli import Output, main\n"
        "out = io.StringIO()\n"
        f"code = main(['audit', '--offline', '--format', {fmt!r}, {source!r}, {target!r}],"
        " Output(out, io.StringIO()))\n"
        f"print(code, 'PYSEC-2021-334' in out.getvalue(), {_LOADED}, file=sys.stderr)\n"
    )
    assert _run(probe)[-1] == "1 True []"


def test_an_ignore_still_reads_today(snapshot_project: Path) -> None:
    # With an ignore, today's date is made: an expired ignore is not applied, and one that
    # runs more than a year ahead is warned about.
    (snapshot_project / "requirements.txt").write_text("parlai==0.1.20200716\n", encoding="utf-8")
    (snapshot_project / "pipvet.toml").write_text(
        '[[ignore]]\nid = "PYSEC-2021-334"\nreason = "r"\nexpires = "2020-01-01"\n'
        '[[ignore]]\nid = "PYSEC-2021-330"\nreason = "r"\nexpires = "2999-01-01"\n',
        encoding="utf-8",
    )
    probe = _JSON_AUDIT + (
        "notes = [(n['id'], n['problem']) for n in report['ignore_notes']]\n"
        "ahead = [w for w in report['warnings'] if 'more than a year from today' in w]\n"
        "print(code, notes, len(ahead), file=sys.stderr)\n"
    )
    # The two records name one problem: the live ignore of PYSEC-2021-330 covers it.
    assert _run(probe)[-1] == "0 [('PYSEC-2021-334', 'expired')] 1"


def _damage_inside(db: Path) -> None:
    """Zero most of the file but its first pages: opening works, queries hit bad pages."""
    data = bytearray(db.read_bytes())
    start, end = 64 * 1024, len(data) - 64 * 1024
    data[start:end] = bytes(end - start)
    db.write_bytes(bytes(data))


def test_a_garbage_database_is_still_said_to_be_unreadable(snapshot_project: Path) -> None:
    # _sqlite3 raises the sqlite3 package's own exception classes: the store catches them.
    cache = snapshot_project / "garbage-cache"
    cache.mkdir()
    (cache / "advisories.sqlite3").write_bytes(b"definitely not sqlite" * 50)
    probe = (
        "import io, sys\n"
        "from pipvet.cli import Output, main\n"
        "err = io.StringIO()\n"
        f"code = main(['db', 'status', '--cache-dir', {str(cache)!r}],"
        " Output(io.StringIO(), err))\n"
        f"print(code, {_LOADED}, file=sys.stderr)\n"
        "print(err.getvalue(), file=sys.stderr)\n"
    )
    lines = _run(probe)
    assert lines[0] == "2 []"
    assert lines[1] == (
        f"pipvet: error: the advisory database {cache / 'advisories.sqlite3'} is unreadable: "
        "file is not a database"
    )
    assert lines[2] == "hint: run 'pipvet db sync --full' to rebuild it"


def test_a_database_damaged_inside_is_still_found_and_rebuilt(snapshot_project: Path) -> None:
    (snapshot_project / "requirements.txt").write_text("parlai==0.1.20200716\n", encoding="utf-8")
    db = snapshot_project.parent / "cache" / "advisories.sqlite3"
    _damage_inside(db)
    probe = _JSON_AUDIT + (
        "print(code, 'sqlite3' in sys.modules, file=sys.stderr)\n"
        "print(*report['warnings'], sep='\\n', file=sys.stderr)\n"
    )
    lines = _run(probe)
    assert lines[0] == "1 False"
    assert lines[1].startswith(f"the advisory database {db} is damaged: ")
    assert "; pipvet rebuilt it from " in lines[1]
