"""Process locks: one send of an edition, one scheduler, at a time.

An fcntl lock on a file under var/locks/. The kernel releases it when the process
dies, so a crash never leaves a stale lock; the file names who holds it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.db import now
from digest.errors import DigestError


@contextmanager
def exclusive(var: Path, name: str, busy: str) -> Iterator[Path]:
    """Hold var/locks/NAME, or fail at once: `busy` (with {holder} and {path}) says why."""
    folder = var / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise DigestError(busy.format(holder=holder, path=path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {now()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing releases the lock
