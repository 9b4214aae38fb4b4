"""Stage 3: render an Edition to inlined HTML and plain text, once per edition.

An edition is the short way in: an opening (how many answers, how long to read), what is
for the reader's school, the dates, the highlights, every other headline by topic linked
to its full answer in the archive, what is still to come, the links and contacts those
items use, and the way to the full Q&A. Its length is measured as it is rendered
(editions/measure.py).

The personal parts (greeting, the reader's profile, signed unsubscribe and preference
links) are left as placeholders; `Rendered.personalise` fills them per reader without
rendering again. Templates are Jinja with autoescaping; an organiser's own templates
folder is searched first, so one file of the same name overrides the built-in one, and
`{% extends "builtin/edition.html" %}` reaches the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from digest import fmt
from digest.content import wording
from digest.content.model import Event, Forum, Item
from digest.editions import markup
from digest.editions.inline import inline_css
from digest.editions.links import add_links
from digest.editions.manifest import builtin_templates
from digest.editions.past import mark_past
from digest.editions.rendered import PERSONAL, Rendered, placeholder
from digest.editions.select import Edition
from digest.editions.urls import SiteUrls
from digest.settings import Settings

if TYPE_CHECKING:
    from markupsafe import Markup


def environment(settings: Settings, reload: bool = True, compiled: Path | None = None) -> jinja2.Environment:
    """The templates: the organiser's folder first, then the built-in ones. `reload=False`
    for a renderer whose life is one send or build (the preview makes a new one after each
    change): no file is looked at again for each of the hundreds of includes. compiled: a
    folder to keep compiled templates in between runs (see `bytecode`)."""
    builtin = jinja2.FileSystemLoader(builtin_templates())
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(settings.path("templates")), builtin, jinja2.PrefixLoader({"builtin": builtin})]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=reload,
        bytecode_cache=bytecode(compiled) if compiled else None,
    )
    env.filters.update(
        markdown=lambda s: markupsafe_markup(markup.to_html(s or "")),
        markdown_text=markup.to_text,
        day=fmt.day,
        clock=fmt.clock,
        span=fmt.span,
        plural=fmt.plural,
    )
    env.globals["calendar_links"] = lambda upcoming: add_links(upcoming, settings)
    return env


def bytecode(folder: Path) -> jinja2.BytecodeCache | None:
    """Templates compiled by earlier runs (`digest build` and `digest check` keep them in
    var/cache/templates): Jinja keys each by the template's name and checks its source's
    hash and the Python version before using it, so an edited template is compiled again.
    A cache: safe to delete; none when the folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def markupsafe_markup(s: str) -> Markup:
    from markupsafe import Markup

    return Markup(s)


@dataclass
class LinkRef:
    title: str
    url: str
    where: str  # what mentioned it


class Shown:
    """What an edition (or an archive page) shows of a forum's items, as of a date: dates
    gone by are marked ", now past"."""

    def __init__(self, as_of: date, forum: Forum | None, urls: SiteUrls, edition: Edition | None = None) -> None:
        self.as_of, self.forum, self.urls, self.edition = as_of, forum, urls, edition
        self.around = min(forum.dates) if forum else as_of

    def past(self, text: str) -> str:
        return mark_past(text or "", self.as_of, self.around)

    def headline(self, item: Item) -> str:
        return self.past(wording.headline(item))

    def summary(self, item: Item) -> str:
        return self.past(wording.summary(item))

    def answer(self, item: Item) -> str:
        return self.past(item.answer or "")

    def about(self, event: Event) -> str:
        """An event's description as an email shows it: its first sentence, about 30 words
        (the whole description is in its calendar entry)."""
        return wording.cut(wording.derive_summary(event.description or ""), EVENT_WORDS)

    def url(self, item: Item) -> str:
        return self.urls.item(self.forum.id, item.id)

    def links(self) -> list[LinkRef]:
        """Every link the edition's answers use, once each, in reading order ("the links get
        lost"); the dates' join, booking and calendar links stand with their dates."""
        seen: dict[str, LinkRef] = {}

        def add(title: str, url: str, where: str) -> None:
            if url and url not in seen:
                shown = url.removeprefix("mailto:")
                seen[url] = LinkRef("" if title.strip() in (url, shown) else self.past(title), url, where)

        edition = self.edition
        if edition is None:
            return []
        for item in edition.items:
            for text, url in markup.links(item.answer or ""):
                add(text, url, item.topic or "Answer")
            for link in item.links:
                add(link.title, link.url, item.topic or "Answer")
        return list(seen.values())


def soonest(edition: Edition) -> str:
    """The reader's soonest action as a subject names it ('Complete the forms by Tue 22 July
    2025'), or "" when they have none."""
    if not edition.actions:
        return ""
    todo = edition.actions[0]
    return todo.text.rstrip(".") + (f" by {fmt.day(todo.due.day)}" if todo.due else "")


def subject_for(edition: Edition) -> str:
    """'<forum>: 4 answers for you, 2 upcoming dates', or, when the reader has something to
    do, the soonest action first: '<forum>: Send the forms by Tue 22 July 2025; 4 answers for you'."""
    forum = edition.forum
    answers = f"{fmt.plural(len(edition.items), 'answer')} for you"
    if todo := soonest(edition):
        return f"{forum.title}: {todo}; {answers}"
    dates = f", {fmt.plural(len(edition.events), 'upcoming date')}" if edition.events else ""
    return f"{forum.title}: {answers}{dates}"


EVENT_WORDS = 30
MINUTES = "%%digest-minutes%%"  # filled in once the text part has been measured


class Renderer:
    """Renders editions with one Jinja environment (templates compiled once)."""

    def __init__(self, settings: Settings, compiled: Path | None = None) -> None:
        self.settings = settings
        self.env = environment(settings, reload=False, compiled=compiled)
        self.urls = SiteUrls(settings.site.base_url)

    def context(self, edition: Edition, subject: str) -> dict:
        forum = getattr(edition, "forum", None)
        shown = Shown(edition.as_of, forum, self.urls, edition)
        return {
            "site": self.settings.site,
            "forum": forum,
            "edition": edition,
            "subject": subject,
            "as_of": edition.as_of,
            "parts": getattr(edition, "parts", None),
            "actions": getattr(edition, "actions", []),
            "events": edition.events,
            "contacts": edition.contacts,
            "links": shown.links(),
            "shown": shown,
            "urls": self.urls,
            "minutes": MINUTES,
            "forum_url": self.urls.forum(forum.id) if forum else self.urls.home,
            "browser_url": self.urls.edition(forum.id, getattr(edition, "copy_id", edition.id)) if forum else "",
            "personal": {name: placeholder(name) for name in PERSONAL},
            "taxonomy": edition.site.taxonomy,
            "contact_names": {c.id: c.name for c in edition.site.contacts},
        }

    def _text(self, ctx: dict, template: str) -> tuple[str, str]:
        """(body, footer) of the text part."""
        return self.env.get_template(template).render(ctx), self.env.get_template("partials/footer.txt").render(ctx)

    def render_text(self, edition: Edition, subject: str | None = None) -> Rendered:
        """The text part only (what `digest check` measures): no HTML, no inlining."""
        subject = subject or subject_for(edition)
        ctx = self.context(edition, subject)
        body, footer = self._text(ctx, "edition.txt")
        rendered = Rendered(edition, subject, "", body + footer, body)
        return self._timed(rendered)

    def render(self, edition: Edition, subject: str | None = None) -> Rendered:
        return self.render_as(edition, "edition", subject or subject_for(edition))

    def render_as(self, edition: Edition, name: str, subject: str, **extra: object) -> Rendered:
        """An edition with templates NAME.html and NAME.txt (the footer after the text part),
        e.g. a follow-up with templates/follow-up.*; extra values go to the templates."""
        ctx = self.context(edition, subject) | extra
        body, footer = self._text(ctx, f"{name}.txt")
        html = inline_css(self.env.get_template(f"{name}.html").render(ctx))
        return self._timed(Rendered(edition, subject, html, body + footer, body))

    @staticmethod
    def _timed(r: Rendered) -> Rendered:
        """The reading time, measured on the text part, written into both parts."""
        shown = fmt.plural(r.length.minutes, "minute")
        r.text, r.html = r.text.replace(MINUTES, shown), r.html.replace(MINUTES, shown)
        if r.body is not None:
            r.body = r.body.replace(MINUTES, shown)
        r.__dict__.pop("length", None)  # measure again with the minutes in place
        return r
