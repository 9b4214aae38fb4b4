"""The archive: the reader-facing pages `digest build` writes beside the editions.

- index.html: every forum, newest first;
- <forum>/index.html: the forum's full Q&A, every item in full (question, answer,
  status, links, who answered) at a stable anchor, its id, which the emails link to;
  comments on the forum at #comments;
- contacts.html: every contact (an email carries only those its items name);
- calendars.html: the district and phase feeds to subscribe to;
- assets/site.css: one stylesheet (the pages carry no inline style or script).

Pages link to one another with relative paths, so the archive opens from the build
folder on disk as well as from `digest serve` or any static host.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest.content.load import Site
from digest.content.model import Forum, Item, Section
from digest.editions.render import Renderer, Shown
from digest.editions.urls import CONTACTS, forum_page
from digest.files import write_atomic

if TYPE_CHECKING:
    from digest.editions.calendar import Feed

STYLESHEET = "assets/site.css"


def newest_first(site: Site) -> list[Forum]:
    return sorted(site.forums.values(), key=lambda f: max(f.dates), reverse=True)


def forum_sections(forum: Forum) -> list[tuple[Section, list[Item]]]:
    """Each section with its questions (comments go to their own list)."""
    out = []
    for section in forum.sections:
        items = [i for i in section.items if not i.feedback]
        if items:
            out.append((section, items))
    return out


def write_archive(site: Site, out: Path, as_of: date, renderer: Renderer, feeds: list[Feed]) -> list[Path]:
    """Write every archive page; returns the paths written."""
    env, settings = renderer.env, site.settings
    common = {"site": settings.site, "settings": settings, "content": site, "taxonomy": site.taxonomy}
    written: list[Path] = []

    def page(path: str, template: str, **ctx: object) -> None:
        root = "../" * path.count("/")
        write_atomic(out / path, env.get_template(template).render(**common, root=root, **ctx))
        written.append(out / path)

    page("index.html", "site/home.html", forums=newest_first(site))
    for forum in site.forums.values():
        items = [i for i in forum.items if not i.feedback]
        page(
            forum_page(forum.id),
            "site/forum.html",
            forum=forum,
            sections=forum_sections(forum),
            questions=items,
            waiting=sum(1 for i in items if i.status == "pending"),
            comments=[i for i in forum.items if i.feedback],
            contacts={c.id: c for c in site.contacts},
            shown=Shown(as_of, forum, renderer.urls),
        )
    page(CONTACTS, "site/contacts.html")
    page("calendars.html", "site/calendars.html", feeds=feeds)
    css = env.loader.get_source(env, "site/site.css")[0]
    write_atomic(out / STYLESHEET, css)
    written.append(out / STYLESHEET)
    return written
