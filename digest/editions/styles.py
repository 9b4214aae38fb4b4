"""premailer's answers for the stylesheet, kept on disk between runs of `digest build`.

The inliner (editions/inline.py) asks premailer three things, each the same for the same
stylesheet: its rules, what stays in its <style> (the @media rules), and the style and
HTML attributes a set of rules gives an element with a given style attribute. In one
process each is worked out once; this keeps them in var/cache/styles.json too, so that a
build whose stylesheet has not changed does not import premailer and cssutils at all
(about a tenth of a second) nor parse the stylesheet again.

Each answer is kept under what it was worked out from (the stylesheet's hash, the rules'
indices, the element's style attribute) in a file that also records the versions of
premailer and cssutils and of digest's inliner (their files' sizes and times): another
version is another file's worth of answers, the old ones ignored. A cache: safe to delete,
written atomically, ignored whole when unreadable.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digest.files import write_atomic

FORMAT = 1


def _versions() -> str:
    """premailer's, cssutils' and the inliner's files, by size and time (nothing imported)."""
    from importlib.util import find_spec

    parts = []
    for name in ("premailer", "cssutils"):
        spec = find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        info = origin.stat() if origin else None
        parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}" if info else f"{name}:?")
    inline = Path(__file__).with_name("inline.py").stat()
    parts.append(f"inline:{inline.st_size}:{inline.st_mtime_ns}")
    return " ".join(parts)


def _plain(value: Any) -> Any:
    """JSON's lists back to the tuples premailer and the inliner use."""
    return tuple(_plain(v) for v in value) if isinstance(value, list) else value


class KeptStyles:
    """Answers by key, in memory; from and to a file only when `load` and `save` are called."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.path: Path | None = None
        self.answers: dict[str, Any] = {}
        self.changed = False

    def load(self, path: Path) -> None:
        """Use the answers kept in path (none if it is unreadable or of other versions)."""
        answers: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT and data.get("versions") == _versions():
                answers = {str(k): v for k, v in data["answers"].items()}
        with self._lock:
            self.path, self.answers, self.changed = path, answers, False

    def get(self, key: tuple, work: Callable[[], Any]) -> Any:
        """The answer kept for key, or work()'s (kept). Without a file loaded, work() alone."""
        if self.path is None:
            return work()
        name = json.dumps(key, ensure_ascii=False)
        if name in self.answers:
            return _plain(self.answers[name])
        answer = work()
        with self._lock:
            self.answers[name] = answer
            self.changed = True
        return answer

    def save(self) -> None:
        """Write the answers back when any is new; then stop keeping (until the next load)."""
        with self._lock:
            path, answers, changed = self.path, dict(self.answers), self.changed
            self.path, self.answers, self.changed = None, {}, False
        if path is not None and changed:
            data = {"format": FORMAT, "versions": _versions(), "answers": answers}
            with contextlib.suppress(OSError):  # a cache: a build that cannot keep them still did its work
                write_atomic(path, json.dumps(data, ensure_ascii=False))


kept_styles = KeptStyles()  # the inliner's; `digest build` loads and saves it around its renders
