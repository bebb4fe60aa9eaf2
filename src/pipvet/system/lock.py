"""One sync at a time per database: an OS-level lock file beside it."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pipvet.errors import DataError

__all__ = ["sync_lock"]


@contextlib.contextmanager
def sync_lock(store_path: Path, *, timeout: float = 900.0) -> Iterator[None]:
    """Hold the exclusive sync lock of ``store_path``, waiting up to ``timeout`` seconds.

    An OS-level lock (flock on POSIX, msvcrt on Windows) that the OS releases if its holder
    dies, so it is never stale.
    """
    lock_path = store_path.with_name(store_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise DataError(
                    f"another pipvet process has been syncing {store_path} for over "
                    f"{timeout:.0f} s",
                    hint="wait for it to finish, or stop it and try again",
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
