"""Running ``python -m pipvet`` as a terminal runs it, to press Ctrl-C at it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

# SIGINT's default restored before pipvet starts: a test process may run with it ignored
# (a job started in the background), and the child would inherit that.
_AS_IN_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'pipvet', *sys.argv[1:]])"
)


def start_pipvet(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """``pipvet ARGV`` in a process of its own: output discarded, errors kept."""
    return subprocess.Popen(
        [sys.executable, "-c", _AS_IN_A_TERMINAL, *argv],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def press_ctrl_c(proc: subprocess.Popen[str], *, timeout: float) -> tuple[float, str]:
    """SIGINT to ``proc``; the seconds it took to end, and what it wrote to stderr."""
    interrupted_at = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=timeout)
    return time.monotonic() - interrupted_at, err
