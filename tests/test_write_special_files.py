"""Writing a report to a device or a pipe writes into it; it never replaces it with a file. A
report written in pieces replaces the file only when every piece was made."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipvet.errors import InputError
from pipvet.system.files import write_bytes_atomic, write_chunks_atomic, write_text_atomic


def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, "report\n")
    reader.join(timeout=10)
    assert received == [b"report\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo"]  # no temporary left


def test_the_null_device_stays_a_device() -> None:
    before = os.stat(os.devnull)
    write_bytes_atomic(Path(os.devnull), b"discarded\n")
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_link_to_a_pipe_or_device_outside_dev_is_refused(tmp_path: Path) -> None:
    """A checkout's pipvet.sarif planted as a link: CI's `-o pipvet.sarif` wrote into the pipe
    or device it named."""
    fifo = tmp_path / "elsewhere.fifo"
    os.mkfifo(fifo)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pipvet.sarif").symlink_to(fifo)
    (checkout / "null.sarif").symlink_to(os.devnull)
    for name in ("pipvet.sarif", "null.sarif"):
        with pytest.raises(InputError, match="which is not a regular file"):
            write_text_atomic(checkout / name, "report\n")  # refused before any open
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    # Named outright, or through the system's own links, a device is still written into.
    write_text_atomic(Path("/dev/stdout") if Path("/dev/stdout").exists() else Path(os.devnull), "")


def test_a_link_to_a_setuid_file_does_not_lend_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "ww.txt"
    target.write_text("x\n")
    target.chmod(0o4777)
    linked = tmp_path / "requirements.txt"
    linked.symlink_to(target)
    write_text_atomic(linked, "y\n")
    assert not linked.is_symlink()
    assert stat.S_IMODE(linked.stat().st_mode) == 0o666 & ~_umask()
    assert target.read_text() == "x\n"  # the target is left alone
    # A file's own mode is kept, without setuid, setgid or sticky bits.
    write_text_atomic(target, "z\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o777


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_a_folder_is_refused_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="it is a folder"):
        write_text_atomic(tmp_path, "x")


def test_chunks_are_written_as_they_come_and_a_failure_leaves_the_old_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")
    seen: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        for chunk in (b"{", b'"a": 1', b"}\n"):
            seen.append(chunk)
            yield chunk

    write_chunks_atomic(target, chunks())
    assert target.read_bytes() == b'{"a": 1}\n'
    assert len(seen) == 3

    def failing() -> Iterator[bytes]:
        yield b"half"
        raise RuntimeError("the renderer failed")

    with pytest.raises(RuntimeError):
        write_chunks_atomic(target, failing())
    assert target.read_bytes() == b'{"a": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left


def _audit_argv(project: Path) -> list[str]:
    requirements = project / "requirements.txt"
    requirements.write_text("requests==2.19.0\n", encoding="utf-8")
    return [sys.executable, "-m", "pipvet", "audit", "-r", str(requirements)]


def test_a_closed_stdout_is_no_crash(snapshot_project: Path) -> None:
    """`pipvet audit >&-` (a cron job that closed stdout): the audit runs, its exit code is
    the verdict's, and nothing like a traceback reaches stderr."""
    done = subprocess.run(
        _audit_argv(snapshot_project),
        preexec_fn=lambda: os.close(1),
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error" not in done.stderr


def test_a_full_device_on_stdout_is_a_clear_error(snapshot_project: Path) -> None:
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            _audit_argv(snapshot_project),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert "pipvet: error: cannot write the report to standard output: No space left" in (
        done.stderr
    )
    assert "internal error" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "code"), [(["--version"], 0), (["--help"], 0), (["-h"], 0), ([], 2)]
)
def test_the_early_answers_survive_a_closed_a_full_and_a_short_lived_stdout(
    argv: list[str], code: int
) -> None:
    """`--version` and the listing are written before the CLI's machinery loads; they too
    must treat a closed stdout and a reader that stops as no error, and a full disk as one."""
    command = [sys.executable, "-m", "pipvet", *argv]
    env = {**os.environ, "COLUMNS": "100"}
    closed = subprocess.run(
        command, preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, text=True,
        env=env, check=False, timeout=60,
    )  # fmt: skip
    assert (closed.returncode, closed.stderr) == (code, "")
    with open("/dev/full", "w", encoding="utf-8") as full:
        filled = subprocess.run(
            command, stdout=full, stderr=subprocess.PIPE, text=True, env=env, check=False,
            timeout=60,
        )  # fmt: skip
    assert filled.returncode == 2
    assert filled.stderr == (
        "pipvet: error: cannot write to standard output: No space left on device\n"
    )
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert reader.stdout is not None
    assert reader.stderr is not None
    reader.stdout.close()  # gone before a byte is read
    assert reader.wait(timeout=60) == code
    assert reader.stderr.read() == b""
    reader.stderr.close()


def test_a_full_disk_on_stderr_still_exits_2_never_1() -> None:
    """A usage error whose message cannot be written (standard error is a full device): the
    exit code still says "usage error", never 1, which means findings."""
    script = Path(sys.executable).with_name("pipvet")
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [str(script), "no-such-command"], stderr=full, stdout=subprocess.DEVNULL,
            check=False, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2


def _fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counted(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counted)
    return calls


def test_a_users_file_waits_for_the_disk_a_cache_entry_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fsyncs(monkeypatch)
    write_text_atomic(tmp_path / "requirements.txt", "numpy>=2\n")
    assert len(calls) == 1
    write_bytes_atomic(tmp_path / "entry.http", b"cached", durable=False)
    assert len(calls) == 1
    assert (tmp_path / "entry.http").read_bytes() == b"cached"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.http", "requirements.txt"]


def test_the_http_cache_writes_without_waiting_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipvet.system.http_cache import read_entry, write_entry
    from pipvet.system.http_model import HttpResponse

    calls = _fsyncs(monkeypatch)
    path = tmp_path / "ab" / "entry.http"
    response = HttpResponse("http://127.0.0.1/x", 200, b"body", {"etag": '"1"'}, False, 1.0)
    write_entry(path, response)
    assert calls == []
    entry = read_entry(path, "http://127.0.0.1/x")
    assert entry is not None
    assert entry.response.body == b"body"


@pytest.mark.skipif(not os.path.islink("/dev/stdout"), reason="/dev/stdout is no link here")
def test_dev_stdout_sent_to_a_file_is_written_into_not_replaced(tmp_path: Path) -> None:
    """/dev/stdout leads to a regular file when stdout is redirected: renaming over the link,
    as for any file, would replace /dev/stdout for every program on the machine (as root)."""
    out = tmp_path / "out.txt"
    code = "from pathlib import Path; from pipvet.system.files import write_text_atomic; "
    code += "write_text_atomic(Path('/dev/stdout'), 'report\\n')"
    with out.open("wb") as fh:
        subprocess.run([sys.executable, "-c", code], stdout=fh, check=True)
    assert out.read_text() == "report\n"
    assert os.path.islink("/dev/stdout")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_edits_that_belong_together_stop_before_a_pipe(tmp_path: Path) -> None:
    from pipvet.system.files import write_texts_atomic

    first = tmp_path / "requirements.txt"
    first.write_text("a==1\n")
    pipe = tmp_path / "dev.txt"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match=r"dev\.txt: it is a FIFO"):
        write_texts_atomic([(first, "a>=1\n"), (pipe, "b>=2\n")])
    assert first.read_text() == "a==1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.txt", "requirements.txt"]
    write_texts_atomic([(first, "a>=1\n"), (tmp_path / "new" / "c.txt", "c\n")])
    assert first.read_text() == "a>=1\n"
    assert (tmp_path / "new" / "c.txt").read_text() == "c\n"
