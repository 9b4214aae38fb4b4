"""What the last `digest build` read and wrote, so that the next one does only what changed.

The manifest, OUT/.digest-build.json (a dotfile: the site never serves it), holds a hash of
every input of the build (the code, the resolved settings, every file of content/, the
templates, the as-of day and the forums asked for), a hash of the content alone (what the
search index depends on), the SHA-256 of every file the build wrote, and the lines it
printed. A build whose inputs hash the same, with every file it wrote present and
unmodified, writes nothing and prints the same report. Anything else is a build, in which
each file is written only when its bytes differ (`Outputs`), each edition is taken from
the kept renders when what it depends on is the same (editions/kept.py), and the search
index is computed again only when the content changed.

A manifest that is missing, unreadable or of another format is no manifest: a full
build. It is removed before a build writes anything and written last, so a build that
stops half-way leaves none.

This module imports nothing heavy: the check for "nothing changed" runs before the
content and the renderer are imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest.files import write_atomic

if TYPE_CHECKING:
    from digest.settings import Settings

MANIFEST = ".digest-build.json"
FORMAT = 1
PACKAGE = Path(__file__).resolve().parent.parent  # digest/


def code_stamp() -> str:
    """digest's own code as installed: every module's name, size and modification time."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        info = path.stat()
        h.update(f"{path.relative_to(PACKAGE)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return h.hexdigest()


def tree_hash(h: hashlib._Hash, root: Path, skip: Path | None = None) -> None:
    """Every file under root, by its path and bytes, in a stable order (skip: a folder left out)."""
    h.update(f"tree\0{root}\n".encode())
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if skip is not None and Path(dirpath) == skip:
            dirnames[:] = []
            continue
        for name in sorted(filenames):
            path = Path(dirpath) / name
            h.update(f"{path.relative_to(root)}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())


def builtin_templates() -> Path:
    """The shipped templates: beside the package in a checkout, inside it when installed."""
    for candidate in (PACKAGE.parent / "templates", PACKAGE / "templates"):
        if (candidate / "edition.html").exists():
            return candidate
    raise FileNotFoundError("digest's built-in templates are missing; reinstall digest")


def stamp(
    settings: Settings, *extra: object, forums: bool = True, templates: bool = True, trees: Iterable[Path] = ()
) -> str:
    """A hash of what editions and pages are made of: the code, the resolved settings (secrets
    masked), content/ (without content/forums/ when forums is false), the organiser's and the
    built-in templates (unless templates is false), the trees given and the extra values."""
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{code_stamp()}\0{settings.model_dump_json()}\0{extra!r}\n".encode())
    content = settings.path("content")
    tree_hash(h, content, None if forums else content / "forums")
    for root in ((settings.path("templates"), builtin_templates()) if templates else ()) + tuple(trees):
        tree_hash(h, root)
    return h.hexdigest()


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Manifest:
    inputs: str  # stamp() of everything the build read
    content: str  # stamp() without the templates or the day: what the search index is made of
    outputs: dict[str, str] = field(default_factory=dict)  # path under OUT -> SHA-256 of its bytes
    lines: list[str] = field(default_factory=list)  # what the build printed

    @classmethod
    def read(cls, out: Path) -> Manifest | None:
        """The last build's manifest, or None (missing, unreadable, another format: a full build)."""
        try:
            data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            outputs = {str(k): str(v) for k, v in data["outputs"].items()}
            return cls(str(data["inputs"]), str(data["content"]), outputs, [str(x) for x in data["lines"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def intact(self, out: Path) -> bool:
        """True when every file the build wrote is there with the same bytes."""
        if not self.outputs:
            return False
        for name, sha in self.outputs.items():
            try:
                if digest_of((out / name).read_bytes()) != sha:
                    return False
            except OSError:
                return False
        return True

    def save(self, out: Path) -> None:
        data = {
            "format": FORMAT,
            "inputs": self.inputs,
            "content": self.content,
            "outputs": dict(sorted(self.outputs.items())),
            "lines": self.lines,
        }
        write_atomic(out / MANIFEST, json.dumps(data, indent=1) + "\n")

    @staticmethod
    def forget(out: Path) -> None:
        """Remove the manifest before a build writes: until it finishes, nothing is known to be current."""
        (out / MANIFEST).unlink(missing_ok=True)


class Outputs:
    """The build's writer: each file written atomically, and only when its bytes differ from
    what is there; every file's hash recorded for the manifest.

    The writes go to a few threads while the build renders on: each is a temporary file,
    fsync and rename (digest/files.py), and the fsyncs, most of a full build's writing,
    wait on the disk together rather than one after another. `close` waits for them all."""

    THREADS = 8

    def __init__(self, out: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.out = out
        self.hashes: dict[str, str] = {}
        self.written = 0  # files whose bytes changed (for tests and the report)
        self._pool = ThreadPoolExecutor(self.THREADS, thread_name_prefix="digest-write")
        self._pending: list = []
        self._lock = threading.Lock()

    def close(self) -> None:
        """Wait for every write; the first that failed raises."""
        self._pool.shutdown(wait=True)
        for future in self._pending:
            future.result()

    def __call__(self, path: Path, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        self._pending.append(self._pool.submit(self._write, path, data))

    def _write(self, path: Path, data: bytes) -> None:
        """On a writing thread: hash, compare with what is there, write if different."""
        self.hashes[path.relative_to(self.out).as_posix()] = digest_of(data)
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass
        write_atomic(path, data)
        with self._lock:
            self.written += 1

    def keep(self, path: Path) -> None:
        """A file the build leaves as it is (the search index when the content is the same)."""
        self.hashes[path.relative_to(self.out).as_posix()] = digest_of(path.read_bytes())


def today_in_london() -> date:
    """Today in Europe/London, as editions/select.py's today() (without importing the models)."""
    from datetime import datetime

    from digest.fmt import LONDON

    return datetime.now(LONDON).date()
