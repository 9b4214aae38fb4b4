"""Rendered editions kept on disk between runs of `digest build` and `digest check`, so an
edition whose selection and content did not change is not rendered again.

Each edition is kept under a hash of everything it is made of: its selection and the
content of what it selects (`content_of`, as the preview compares them), the as-of day,
and the stamp of what every edition depends on (the code, the settings, the templates,
every content file but the forum files: editions/manifest.py). A change to any of these
is another key, so a kept render is never shown for content it was not made from.

The file, var/cache/renders.json, is a cache: safe to delete (the next run renders
everything again), written atomically, and ignored whole when unreadable or of another
format. It keeps the editions of the latest runs, at most MAX_KEPT.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from digest.files import write_atomic

if TYPE_CHECKING:
    from digest.editions.rendered import Rendered
    from digest.editions.select import Edition

FORMAT = 1
MAX_KEPT = 400  # editions (both example forums as of every day of theirs: about 160; about 35 KB each)
FILE = Path("cache") / "renders.json"


def content_of(edition: Edition) -> tuple:
    """What an edition shows beyond its selection's ids: compared, not hashed (models hold lists)."""
    forum = edition.forum
    head = tuple((k, v) for k, v in forum if k != "sections")
    sections = tuple((s.id, s.title, s.presenter, s.audience) for s in forum.sections)
    return (
        head,
        sections,
        edition.feedback,
        edition.items,
        edition.events,
        edition.contacts,
        tuple(edition.profiles),
        edition.since,
    )


class Kept:
    """The kept renders of one run: `get` an edition's render, `save` when done."""

    def __init__(self, var: Path, common: str, again: Callable[[], str] | None = None) -> None:
        """common: the stamp of what every edition depends on; again: that stamp worked out
        anew, asked before saving (a template or file changed while the run rendered: the
        renders are not kept under the old stamp)."""
        self.path, self.common, self.again = var / FILE, common, again
        self.templates = var / "cache" / "templates"  # where the renderer keeps compiled templates
        self.styles = var / "cache" / "styles.json"  # premailer's answers for the stylesheet (editions/styles.py)
        self.entries: dict[str, dict[str, str]] = {}
        self.used: dict[str, dict[str, str]] = {}
        self.rendered = 0  # editions that had to be rendered (for tests and the report)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT and isinstance(data.get("editions"), dict):
                self.entries = data["editions"]
        except (OSError, ValueError, AttributeError):
            pass

    def key(self, edition: Edition) -> str:
        what = (self.common, edition.forum.id, edition.as_of, edition.key, content_of(edition))
        return hashlib.sha256(repr(what).encode()).hexdigest()

    def get(self, edition: Edition, render: Callable[[Edition], Rendered], html: bool = True) -> Rendered:
        """The edition's render: kept, or made by render and kept. html=False when only the
        text part is wanted (the word budget): a kept text part will do."""
        from digest.editions.rendered import Rendered

        key = self.key(edition)
        entry = self.entries.get(key)
        try:
            if entry is not None and (entry["html"] or not html):
                self.used[key] = entry
                body = entry["body"]
                return Rendered(edition, entry["subject"], entry["html"], entry["text"], body)
        except (KeyError, TypeError):
            pass
        rendered = render(edition)
        self.rendered += 1
        entry = {"subject": rendered.subject, "html": rendered.html, "text": rendered.text, "body": rendered.body}
        self.entries[key] = self.used[key] = entry
        return rendered

    def save(self) -> None:
        """Keep this run's editions, then the most recent others, up to MAX_KEPT; only when something new."""
        if not self.rendered or (self.again is not None and self.again() != self.common):
            return
        others = [(k, v) for k, v in self.entries.items() if k not in self.used]
        room = max(0, MAX_KEPT - len(self.used))
        kept = dict(others[len(others) - room :] if room else [])
        kept.update(self.used)
        with contextlib.suppress(OSError):  # a cache: a run that cannot keep its renders still did its work
            write_atomic(self.path, json.dumps({"format": FORMAT, "editions": kept}, ensure_ascii=False))
