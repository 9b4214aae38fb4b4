"""Stage 4 (files): `digest build` writes each edition's HTML and text, and an index.

The index is the matrix of editions by district and phase, one table per setting, with
item counts and sizes, so an organiser sees at a glance what every reader gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from digest.content.load import Site
from digest.editions.calendar import write_calendars
from digest.editions.render import Rendered, Renderer
from digest.editions.select import Edition, default_as_of, editions
from digest.errors import DigestError
from digest.files import write_atomic

SAMPLE_PERSONAL = {
    "greeting": "Hello,",
    "unsubscribe_url": "https://example.org/unsubscribe/SAMPLE",
    "preferences_url": "https://example.org/preferences/SAMPLE",
}


@dataclass
class ForumBuild:
    forum_id: str
    as_of: date
    editions: list[Edition] = field(default_factory=list)
    rendered: dict[str, Rendered] = field(default_factory=dict)  # edition id -> rendered

    def cell(self, district: str, phase: str, setting: str) -> Rendered:
        """The edition a single-phase reader of this district and setting gets."""
        if not hasattr(self, "_cells"):
            self._cells = {
                (p.district, p.phases[0], p.setting): self.rendered[e.id] for e in self.editions for p in e.profiles
            }
        return self._cells[(district, phase, setting)]

    def oversize(self, limit: int) -> list[Rendered]:
        return [r for r in self.rendered.values() if r.html_bytes > limit]


def sample_personal(edition: Edition) -> dict[str, str]:
    return {**SAMPLE_PERSONAL, "profile": edition.profiles[0].describe() if edition.profiles else "a reader"}


def render_forum(site: Site, forum_id: str, as_of: date | None, renderer: Renderer) -> ForumBuild:
    forum = site.forum(forum_id)
    as_of = as_of or default_as_of(forum)
    result = ForumBuild(forum.id, as_of, editions(site, forum, as_of, site.taxonomy.profiles()))
    for edition in result.editions:
        result.rendered[edition.id] = renderer.render(edition)
    return result


def build(site: Site, out: Path, forum_ids: list[str] | None = None, as_of: date | None = None) -> list[ForumBuild]:
    """Render every edition first; write only when all are within the size budget.

    Calendars (each event's .ics and the district and phase feeds) are written under
    OUT/calendar, where the editions' "Add to calendar" links point.
    """
    renderer = Renderer(site.settings)
    limit = site.settings.render.max_html_bytes
    builds = [render_forum(site, fid, as_of, renderer) for fid in (forum_ids or list(site.forums))]
    over = [(b, r) for b in builds for r in b.oversize(limit)]
    if over:
        lines = [f"{b.forum_id}/{r.edition.id}: HTML is {r.html_bytes:,} bytes, over {limit:,}" for b, r in over]
        raise DigestError(
            "\n".join(lines)
            + "\nGmail clips HTML beyond about 102 KB: shorten answers or split the forum; nothing was written"
        )
    feeds = write_calendars(site, out)
    for b in builds:
        folder = out / b.forum_id
        for r in b.rendered.values():
            html, text = r.personalise(sample_personal(r.edition))
            write_atomic(folder / f"{r.edition.id}.html", html)
            write_atomic(folder / f"{r.edition.id}.txt", text)
        write_atomic(
            folder / "index.html",
            renderer.env.get_template("build/forum_index.html").render(
                site=site, build=b, taxonomy=site.taxonomy, limit=limit, feeds=feeds
            ),
        )
    write_atomic(
        out / "index.html", renderer.env.get_template("build/index.html").render(site=site, builds=builds, limit=limit)
    )
    return builds
