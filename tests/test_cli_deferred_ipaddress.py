"""The ``pipvet`` process defers ipaddress (which pathlib pulls in through urllib.parse) until
one of its names is read: an offline audit never loads it, and whatever reads it gets the
module itself, bracketed URL hosts still checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(probe: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip().splitlines()


def test_what_reads_ipaddress_gets_the_module() -> None:
    probe = (
        "import sys\n"
        "from pipvet.cli import _defer_ipaddress\n"
        "_defer_ipaddress()\n"
        "import pathlib, urllib.parse\n"
        "print(type(sys.modules['ipaddress']).__name__, file=sys.stderr)\n"
        "print(urllib.parse.urlsplit('http://[::1]:8080/x').hostname, file=sys.stderr)\n"
        "try:\n"
        "    urllib.parse.urlsplit('http://[not-an-address]/')\n"
        "except ValueError:\n"
        "    print('refused', file=sys.stderr)\n"
        "import ipaddress\n"
        "from ipaddress import IPv4Address\n"
        "print(ipaddress is sys.modules['ipaddress'], type(ipaddress).__name__,\n"
        "      isinstance(ipaddress.ip_address('10.0.0.1'), IPv4Address), file=sys.stderr)\n"
    )
    assert _run(probe) == ["Deferred", "::1", "refused", "True module True"]


def test_threads_reading_it_at_once_all_get_the_module() -> None:
    # The index client's threads can follow redirects to bracketed hosts at the same moment:
    # a thread that found the half-imported module raised AttributeError (an internal error
    # of `pipvet vet`, in 15 of 40 runs of this probe before the lock).
    probe = (
        "import sys, threading\n"
        "from pipvet.cli import _defer_ipaddress\n"
        "failed = 0\n"
        "for _ in range(40):\n"
        "    sys.modules.pop('ipaddress', None)\n"
        "    _defer_ipaddress()\n"
        "    import urllib.parse, importlib\n"
        "    importlib.reload(urllib.parse)\n"
        "    errors = []\n"
        "    start = threading.Barrier(4)\n"
        "    def read():\n"
        "        start.wait()\n"
        "        try:\n"
        "            urllib.parse.urlsplit('http://[::1]:3141/simple/')\n"
        "        except BaseException as exc:\n"
        "            errors.append(exc)\n"
        "    threads = [threading.Thread(target=read) for _ in range(4)]\n"
        "    for t in threads: t.start()\n"
        "    for t in threads: t.join()\n"
        "    failed += bool(errors)\n"
        "print(failed, file=sys.stderr)\n"
    )
    assert _run(probe) == ["0"]


def test_a_module_already_imported_is_left_alone() -> None:
    probe = (
        "import sys, ipaddress\n"
        "from pipvet.cli import _defer_ipaddress\n"
        "_defer_ipaddress()\n"
        "print(sys.modules['ipaddress'] is ipaddress, file=sys.stderr)\n"
    )
    assert _run(probe) == ["True"]


def test_an_offline_audit_never_imports_it(snapshot_project: Path) -> None:
    (snapshot_project / "requirements.txt").write_text("parlai==0.1.20200716\n", encoding="utf-8")
    # console_main leaves with os._exit: the probe looks before it does.
    probe = (
        "import os, sys\n"
        "from pipvet.cli import console_main\n"
        "leave = os._exit\n"
        "def look(code):\n"
        "    deferred = type(sys.modules.get('ipaddress')).__name__\n"
        "    print(code, deferred, file=sys.stderr)\n"
        "    sys.stderr.flush()\n"
        "    leave(0)\n"
        "os._exit = look\n"
        "sys.argv = ['pipvet', 'audit', '--offline', '-q', '--format', 'json', '-o', os.devnull,\n"
        "            '-r', 'requirements.txt']\n"
        "console_main()\n"
    )
    assert _run(probe)[-1] == "1 Deferred"
