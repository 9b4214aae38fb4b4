"""Stage 3: render an Edition to inlined HTML and plain text, once per edition.

The personal parts (greeting, the reader's profile, signed unsubscribe and preference
links) are left as placeholders; `Rendered.personalise` fills them per reader without
rendering again. Templates are Jinja with autoescaping; an organiser's own templates
folder is searched first, so one file of the same name overrides the built-in one, and
`{% extends "builtin/edition.html" %}` reaches the original.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from digest import fmt
from digest.editions import markup
from digest.editions.links import add_links, event_url
from digest.editions.select import Edition
from digest.settings import Settings

if TYPE_CHECKING:
    from markupsafe import Markup

PERSONAL = ("greeting", "profile", "unsubscribe_url", "preferences_url")
_PLACEHOLDER = re.compile(r"%%digest:(\w+)%%")


def placeholder(name: str) -> str:
    return f"%%digest:{name}%%"


def builtin_templates() -> Path:
    """The shipped templates: beside the package in a checkout, inside it when installed."""
    package = Path(__file__).resolve().parent.parent  # digest/
    for candidate in (package.parent / "templates", package / "templates"):
        if (candidate / "edition.html").exists():
            return candidate
    raise FileNotFoundError("digest's built-in templates are missing; reinstall digest")


def environment(settings: Settings) -> jinja2.Environment:
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


def markupsafe_markup(s: str) -> Markup:
    from markupsafe import Markup

    return Markup(s)


@dataclass
class LinkRef:
    title: str
    url: str
    where: str  # what mentioned it


def collect_links(edition: Edition) -> list[LinkRef]:
    """Every link in the edition, once each, in reading order: "the links get lost"."""
    seen: dict[str, LinkRef] = {}

    def add(title: str, url: str, where: str) -> None:
        if url and url not in seen:
            seen[url] = LinkRef(title, url, where)

    for u in edition.events:
        ev = u.event
        if ev.online:
            add(f"Join: {ev.title}", ev.online, fmt.day(u.start))
        if ev.booking:
            add(f"Book: {ev.title}", ev.booking, fmt.day(u.start))
        if ev.status != "cancelled":
            add(f"Add to calendar: {ev.title}", event_url(ev, edition.site.settings), fmt.day(u.start))
    for item in edition.items:
        for text, url in markup.links(item.answer or ""):
            add(text, url, item.topic or "Answer")
        for link in item.links:
            add(link.title, link.url, item.topic or "Answer")
    for c in edition.contacts:
        if c.url:
            add(c.name, c.url, "Contacts")
    return list(seen.values())


def group_by_topic(edition: Edition) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for item in edition.items:
        groups.setdefault(item.topic or "Other questions", []).append(item)
    return list(groups.items())


@dataclass
class Rendered:
    edition: Edition
    subject: str
    html: str  # CSS inlined; personal parts as placeholders
    text: str

    @cached_property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))

    def personalise(self, values: dict[str, str]) -> tuple[str, str]:
        """(html, text) for one reader; values are escaped for HTML here."""
        missing = set(PERSONAL) - set(values)
        if missing:
            raise KeyError(f"missing personal values: {sorted(missing)}")
        html = _PLACEHOLDER.sub(lambda m: htmllib.escape(values[m.group(1)]), self.html)
        text = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)
        return html, text


def subject_for(edition: Edition) -> str:
    forum = edition.forum
    n, d = len(edition.items), len(edition.events)
    dates = f", {d} upcoming date{'s' * (d != 1)}" if d else ""
    return f"{forum.title}: {n} answer{'s' * (n != 1)} for you{dates}"


# premailer with no network access, links left alone, @media/dark rules kept (they sit in a
# <style data-premailer="ignore">) and cssutils' warnings silenced.
PREMAILER_OPTIONS = {
    "base_url": None,
    "disable_link_rewrites": True,
    "allow_network": False,
    "allow_loading_external_files": False,
    "keep_style_tags": False,
    "remove_classes": False,
    "strip_important": False,
    "cssutils_logging_level": logging.CRITICAL,
    "disable_validation": True,
}


def inline_css(html: str) -> str:
    """Inline the stylesheet into style attributes (premailer, see _inliner)."""
    return _inliner()(html, **PREMAILER_OPTIONS).transform()


@lru_cache(maxsize=1)
def _inliner() -> type:
    """premailer.Premailer, remembering what is the same for every edition.

    Every edition carries the same stylesheet, and premailer parses and re-serialises it
    through cssutils for each document, then works out the HTML attributes (bgcolor,
    width, align...) of each element's style anew: most of its time, for the same answer
    each time. Both are kept here for the life of the process, keyed by their text (so
    an organiser editing the CSS in `digest preview` gets fresh ones). The output is the
    same as premailer's own (tests/test_render.py compares them). premailer is imported
    here, not at the top, so `digest --help` does not pay for it."""
    import premailer

    rules_by_css: dict[tuple[str, int], tuple[list, list]] = {}
    attributes_by_style: dict[str, tuple[tuple[str, str], ...]] = {}

    class Probe:  # stands in for an lxml element: collects the attributes premailer would set
        def __init__(self) -> None:
            self.attrib: dict[str, str] = {}

    class Inliner(premailer.Premailer):
        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> tuple[list, list]:
            key = (css_body, ruleset_index)
            parsed = rules_by_css.get(key)
            if parsed is None:
                parsed = super()._parse_style_rules(css_body, ruleset_index)
                if len(rules_by_css) >= 32:
                    rules_by_css.clear()
                rules_by_css[key] = parsed
            rules, leftover = parsed
            return list(rules), list(leftover)  # the caller may extend them

        def _style_to_basic_html_attributes(self, element: Any, style_content: str, force: bool = False) -> None:
            attributes = attributes_by_style.get(style_content)
            if attributes is None:
                probe = Probe()
                super()._style_to_basic_html_attributes(probe, style_content, force=True)
                attributes = tuple(probe.attrib.items())
                if len(attributes_by_style) >= 4096:
                    attributes_by_style.clear()
                attributes_by_style[style_content] = attributes
            for key, value in attributes:
                if force or key not in element.attrib:
                    element.attrib[key] = value

    return Inliner


class Renderer:
    """Renders editions with one Jinja environment (templates compiled once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = environment(settings)

    def context(self, edition: Edition, subject: str) -> dict:
        items = edition.items
        return {
            "site": self.settings.site,
            "forum": edition.forum,
            "edition": edition,
            "subject": subject,
            "as_of": edition.as_of,
            "topics": group_by_topic(edition),
            "events": edition.events,
            "contacts": edition.contacts,
            "links": collect_links(edition),
            "pending": [i for i in items if i.status != "answered"],
            "personal": {name: placeholder(name) for name in PERSONAL},
            "taxonomy": edition.site.taxonomy,
            "contact_names": {c.id: c.name for c in edition.site.contacts},
        }

    def render(self, edition: Edition, subject: str | None = None) -> Rendered:
        subject = subject or subject_for(edition)
        ctx = self.context(edition, subject)
        html = inline_css(self.env.get_template("edition.html").render(ctx))
        text = self.env.get_template("edition.txt").render(ctx)
        return Rendered(edition, subject, html, text)
