"""What the CLI does with a bug: one line for the user, the traceback kept in a file.

An unexpected exception is a bug in pipvet, never a finding: it must not exit 1 (the code
for "findings") and must not bury the user in a traceback. The traceback goes to a file in
the cache folder (URL credentials masked), the user gets its path, and the exit code is 2:
nothing was checked. ``PIPVET_DEBUG=1`` prints the traceback instead.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

from pipvet.errors import UsageError
from pipvet.redact import mask_userinfo
from pipvet.system.paths import check_cache_dir

__all__ = ["report_internal_error"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _one_line(text: str, limit: int = 300) -> str:
    flat = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", mask_userinfo(text))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def report_internal_error(
    exc: BaseException,
    err: Callable[[str], None],
    *,
    environ: Mapping[str, str],
    cache_dir: Callable[[], Path],
    clock: Callable[[], float] = time.time,
) -> None:
    """Tell the user about a bug in pipvet through ``err``; keep the details in a file."""
    err(f"pipvet: internal error: {type(exc).__name__}: {_one_line(str(exc))}")
    details = mask_userinfo("".join(traceback.format_exception(exc)))
    if environ.get("PIPVET_DEBUG", "") not in ("", "0"):
        err(details.rstrip("\n"))
        return
    try:
        root = cache_dir()
        check_cache_dir(root)  # a folder another user can write is no place for a traceback
        folder = root / "errors"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
        path = folder / f"internal-error-{stamp}-{os.getpid()}.txt"
        # Exclusive: never through a planted file or link. Owner-only: a traceback holds the
        # values of local variables' messages, which can be anything the run read.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(details)
    except (OSError, RuntimeError, UsageError) as write_problem:
        err(f"(the traceback could not be saved: {write_problem}; run with PIPVET_DEBUG=1)")
        return
    err(f"this is a bug in pipvet, not a finding: nothing was checked. Details: {path}")
    err("hint: run again with PIPVET_DEBUG=1 to print the traceback; report it with that file")
