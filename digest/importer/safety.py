"""Reading a document someone else made, safely: every limit is checked before the
document is parsed, and the parsing itself runs in a child process with a time limit and
a memory cap, so that a hostile file is refused in seconds with a message that says why.

- only a regular file is read: a FIFO, a device or a symlink to /dev/zero is refused
  before it is opened;
- a file over MAX_BYTES is refused;
- a Word document (a zip) is refused with more than MAX_ENTRIES entries, more than
  MAX_UNZIPPED bytes once unzipped (the sizes zipfile will hold each entry to), or a
  DTD or entity declaration in any XML part (no document Word writes has one: XXE and
  "billion laughs" need one);
- in the child: XML nested deeper than digest.importer.word.MAX_DEPTH is refused before
  python-docx reads it, and any failure of the reader is a message, never a traceback.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from digest.errors import DigestError

MAX_BYTES = 20 << 20  # a Q&A document with pictures is a few MB; anything bigger is not one
MAX_UNZIPPED = 100 << 20  # a 100-page document's XML is a few MB
MAX_ENTRIES = 2_000
SECONDS = 30.0  # the child's time limit
MEMORY = 1 << 30  # the child's address space
_DECLARES = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")


def regular_file(path: Path) -> int:
    """The size of path, which must be a regular file (a symlink to one is fine)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DigestError(f"{path} does not exist") from None
    except OSError as exc:
        raise DigestError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise DigestError(f"{path} is a folder, not a document")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) else "not a file"
        raise DigestError(f"{path} is {kind}, not a regular file: digest import reads only documents saved as files")
    if st.st_size > MAX_BYTES:
        raise DigestError(
            f"{path} is {st.st_size >> 20} MB; a Q&A document is far smaller (limit {MAX_BYTES >> 20} MB)"
        )
    return st.st_size


def check_zip(path: Path) -> None:
    """Refuse a .docx whose zip is too big once unzipped, has too many entries, or declares
    a DTD or entities; read only each XML part's first bytes, where a declaration must be."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise DigestError(
                    f"{path} holds {len(infos)} files; a Word document holds far fewer (limit {MAX_ENTRIES})"
                )
            total = sum(i.file_size for i in infos)
            if total > MAX_UNZIPPED:
                raise DigestError(
                    f"{path} unzips to {total >> 20} MB; a Q&A document unzips to a few MB "
                    f"(limit {MAX_UNZIPPED >> 20} MB): not imported"
                )
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as fh:
                        head = fh.read(4096)
                    if any(d in head for d in _DECLARES):
                        raise DigestError(
                            f"{path}: {info.filename} declares a DTD or entities, which Word never writes: "
                            "not imported (a file made to read other files or to exhaust memory)"
                        )
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise DigestError(f"{path} is not a Word document that can be read ({exc})") from None


def _limits() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (int(SECONDS) + 1, int(SECONDS) + 2))


def in_child(kind: str, path: Path) -> list[dict[str, Any]]:
    """The blocks of the document at path ("docx" or "pdf") as dicts, read by a child process."""
    return Child(kind, path).blocks()


class Child:
    """The child process reading a document, started at once so that it reads while the
    parent loads the rest of digest import; `blocks` waits for its answer (within SECONDS
    of the start), `stop` ends it when its answer is no longer wanted."""

    def __init__(self, kind: str, path: Path) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.path, self.started = path, time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "digest.importer.child", kind, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_limits,
            env=env,
        )

    def blocks(self) -> list[dict[str, Any]]:
        path = self.path
        try:
            stdout, stderr = self.process.communicate(timeout=max(0.0, SECONDS - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self.stop()
            raise DigestError(
                f"{path} took more than {SECONDS:.0f} s to read: not a document digest can import"
            ) from None
        try:
            answer = json.loads(stdout.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            failed = b"MemoryError" in stderr or self.process.returncode < 0
            why = "ran out of memory" if failed else "failed"
            raise DigestError(
                f"{path}: reading it {why} (limit {MEMORY >> 20} MB, {SECONDS:.0f} s): not a document digest can import"
            ) from None
        if "error" in answer:
            raise DigestError(answer["error"])
        return answer["blocks"]

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.returncode is None:  # its answer was not read
            self.process.kill()
            self.process.communicate()
