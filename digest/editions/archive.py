"""The archive: the reader-facing pages `digest build` writes beside the editions.

- index.html: search, the topics, every forum newest first, the calendars;
- <forum>/index.html: the forum's full Q&A, every item in full (question, answer,
  status, links, who answered) at a stable anchor, its id, which the emails link to;
  comments on the forum at #comments;
- topics/<topic>.html: every item of a topic across the forums, newest forum first,
  each with its forum and date, and where a later answer changed it (content/updates.py);
- search.html: the search page (its index, search/index.json: editions/search.py);
- contacts.html: every contact (an email carries only those its items name);
- calendars.html: the district and phase feeds to subscribe to;
- assets/: one stylesheet, an icon, and the scripts for the filters and the search (with
  MiniSearch, vendored, so no request leaves the site; no inline style or script, so the
  pages keep to a strict Content-Security-Policy).

The forum and topic pages can show only what applies to a school: each item carries the
districts, phases and settings its audience reaches, and assets/filter.js hides the rest
(without scripts every item shows, with its "For: ..." label). Pages link to one another
with relative paths, so the archive opens from the build folder on disk as well as from
`digest serve` or any static host (the search needs a web server: browsers refuse its
scripts from disk).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest.content import wording
from digest.content.audience import Rule
from digest.content.load import Site
from digest.content.model import Forum, Item, Section, slug
from digest.content.updates import Placed, changes
from digest.editions.public import public
from digest.editions.render import Renderer, Shown
from digest.editions.urls import CONTACTS, SEARCH, forum_page, topic_page
from digest.files import write_atomic

if TYPE_CHECKING:
    from digest.editions.calendar import Feed

STYLESHEET = "assets/site.css"
ASSETS = (
    "assets/choice.js",
    "assets/filter.js",
    "assets/search.js",
    "assets/finder.js",
    "assets/minisearch.js",
    "assets/icon.svg",
)


def newest_first(site: Site) -> list[Forum]:
    return sorted(site.forums.values(), key=lambda f: max(f.dates), reverse=True)


def when(forum: Forum) -> str:
    """A forum's dates in a few words: '2 and 10 July 2025', '20 March 2024'."""
    days = sorted(forum.dates)
    last = days[-1]
    if all((d.year, d.month) == (last.year, last.month) for d in days):
        numbers = [str(d.day) for d in days]
        joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
        return f"{joined} {last:%B %Y}"
    return " and ".join(f"{d.day} {d:%B %Y}" for d in days)


@dataclass
class Entry:
    """An item as the archive shows it, on its forum's page and on each of its topics'."""

    forum: Forum
    item: Item
    shown: Shown
    why: str  # 'Swale · primary': whom the item is for, '' for everyone
    reach: dict[str, list[str]]  # the districts, phases and settings it reaches
    narrowed: dict[str, list[str]]  # only those that leave some readers out (the filters' data)
    earlier: Placed | None = None  # the earlier answer this one changes
    later: list[Placed] = field(default_factory=list)  # later answers that change this one

    @property
    def data(self) -> str:
        """The data attributes assets/filter.js reads: names joined with '|'."""
        return " ".join(f'data-{k}="{html.escape("|".join(v))}"' for k, v in self.narrowed.items())


def entries(site: Site, as_of: date, renderer: Renderer) -> dict[str, Entry]:
    """Every question of every forum (comments have nothing to find), by id."""
    tax = site.taxonomy
    earlier, later = changes(site)
    full = {"districts": tax.districts, "phases": tax.phases, "settings": tax.settings}
    out: dict[str, Entry] = {}
    reaches: dict[Rule, dict[str, list[str]]] = {}  # most items share a few rules: each worked out once
    for forum in site.forums.values():
        shown = Shown(as_of, forum, renderer.urls)
        for item in forum.items:
            if item.feedback:
                continue
            rule = site.rule("item", item.id)
            if rule not in reaches:
                reaches[rule] = tax.reach(rule)
            reach = {k: list(v) for k, v in reaches[rule].items()}
            narrowed = {k: v for k, v in reach.items() if v != full[k]}
            out[item.id] = Entry(
                forum, item, shown, tax.describe(rule), reach, narrowed, earlier.get(item.id), later.get(item.id, [])
            )
    return out


@dataclass
class Topic:
    name: str
    path: str  # topics/<slug>.html
    groups: list[tuple[Forum, list[Entry]]]  # newest forum first, items as written

    @property
    def count(self) -> int:
        return sum(len(es) for _, es in self.groups)


def topics(site: Site, found: dict[str, Entry]) -> list[Topic]:
    """Every topic the questions name, A to Z; names that differ only in case or
    punctuation are one topic, under the name first written."""
    names: dict[str, str] = {}
    gathered: dict[str, dict[str, list[Entry]]] = {}
    for forum in newest_first(site):
        for item in forum.items:
            entry = found.get(item.id)
            for name in item.topics if entry else []:
                key = slug(name)
                names.setdefault(key, name)
                gathered.setdefault(key, {}).setdefault(forum.id, []).append(entry)
    return sorted(
        (
            Topic(names[key], topic_page(names[key]), [(site.forums[f], es) for f, es in by_forum.items()])
            for key, by_forum in gathered.items()
        ),
        key=lambda t: t.name.lower(),
    )


def forum_sections(forum: Forum) -> list[tuple[Section, list[Item]]]:
    """Each section with its questions (comments go to their own list)."""
    out = []
    for section in forum.sections:
        items = [i for i in section.items if not i.feedback]
        if items:
            out.append((section, items))
    return out


def write_archive(
    site: Site,
    out: Path,
    as_of: date,
    renderer: Renderer,
    feeds: list[Feed],
    found: dict[str, Entry] | None = None,
    write: Callable[[Path, str], None] = write_atomic,
) -> list[Path]:
    """Write every archive page; returns the paths written. write: how a file is written (the
    build's writes only what changed)."""
    env, settings = renderer.env, site.settings
    found = found if found is not None else entries(site, as_of, renderer)
    every = topics(site, found)
    common = {
        "site": settings.site,
        "settings": settings,
        "content": site,
        "taxonomy": site.taxonomy,
        "topic_for": {slug(t.name): t for t in every}.get,  # by slug: names differing in case are one topic
        "slug": slug,
        "contacts": {c.id: c for c in site.contacts},
        "when": when,
        "headline": wording.headline,
    }
    written: list[Path] = []

    def page(path: str, template: str, **ctx: object) -> None:
        root = "../" * path.count("/")
        write(out / path, public(env.get_template(template).render(**common, root=root, **ctx), site))
        written.append(out / path)

    forums = newest_first(site)
    page("index.html", "site/home.html", forums=forums, topics=every)
    for forum in site.forums.values():
        sections = [(s, [found[i.id] for i in items]) for s, items in forum_sections(forum)]
        page(
            forum_page(forum.id),
            "site/forum.html",
            forum=forum,
            sections=sections,
            questions=[e for _, es in sections for e in es],
            waiting=sum(1 for _, es in sections for e in es if e.item.status == "pending"),
            comments=[i for i in forum.items if i.feedback],
            here={e.item.id for _, es in sections for e in es},
        )
    for topic in every:
        page(topic.path, "site/topic.html", topic=topic, here={e.item.id for _, es in topic.groups for e in es})
    page(SEARCH, "site/search.html", forums=forums, topics=every)
    page(CONTACTS, "site/contacts.html")
    page("calendars.html", "site/calendars.html", feeds=feeds)
    for asset in (STYLESHEET, *ASSETS):
        write(out / asset, env.loader.get_source(env, f"site/{Path(asset).name}")[0])
        written.append(out / asset)
    return written
