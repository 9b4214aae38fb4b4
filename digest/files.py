"""Files that are never half-written: a temporary file, fsync, then rename.

`write_atomic` writes text or bytes (the build's pages, calendars, the calendar state,
an imported forum); `write_private` writes a file only its owner can read (exported
readers); `deliver_file` moves a finished file into place (the Maildir outbox writes to
tmp/ and renames into new/). A crash at any moment leaves the old file, or the new one,
never a mixture.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from digest.errors import DigestError

T = TypeVar("T")


def _commit(tmp: Path, path: Path, fill: Callable[[IO[bytes]], T], fd: int) -> T:
    try:
        with os.fdopen(fd, "wb") as fh:
            result = fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def write_atomic(path: Path, content: str | bytes, *, private: bool = False) -> None:
    """Write content (str as UTF-8) to path through a temporary file beside it."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    if not private:
        os.fchmod(fd, 0o644)  # mkstemp makes it 0600: published pages are for anyone to read
    _commit(Path(tmp), path, lambda fh: fh.write(data), fd)


def write_private(path: Path, write: Callable[[IO[str]], T]) -> T:
    """Write a file of personal data readable by its owner only (0600), atomically.

    `write` gets a text stream (UTF-8, newlines as written) and its result is returned."""
    import io

    def fill(fh: IO[bytes]) -> T:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
        try:
            return write(text)
        finally:
            text.detach()

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        return _commit(Path(tmp), path, fill, fd)
    except OSError as exc:
        raise DigestError(f"cannot write {path}: {exc.strerror or exc}") from None


def deliver_file(staging: Path, final: Path, data: bytes) -> None:
    """Write data to staging (a name of its own in a staging folder), fsync, rename to final."""
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    _commit(staging, final, lambda fh: fh.write(data), fd)
