"""The preview's items page: each item's headline and summary beside its answer, with
what they say that the answer does not marked (a date, number, address, link or
negation: digest.content.claims), and each answer that says "contact ..." with no way
to (digest.content.routes), as `digest check` reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from digest.content import claims, routes, wording
from digest.content.load import Site
from digest.content.model import Forum, Item
from digest.errors import DigestError
from digest.preview.live import LiveSite
from digest.preview.pages import PreviewPages

Marked = list[tuple[str, bool]]  # the text in pieces, each marked or not


def marked(text: str, extra: list[claims.Claim]) -> Marked:
    """The text with each claim in `extra` marked wherever it is written."""
    spans: list[tuple[int, int]] = []
    for claim in extra:
        for m in re.finditer(rf"(?<![\w@.]){re.escape(claim.shown)}(?![\w@])", text, re.I):
            spans.append((m.start(), m.end()))
    out: Marked = []
    at = 0
    for start, end in sorted(spans):
        if start < at:
            continue
        out += [(text[at:start], False), (text[start:end], True)]
        at = end
    out.append((text[at:], False))
    return [(piece, mark) for piece, mark in out if piece]


@dataclass
class Row:
    item: Item
    where: str  # file:line
    headline: Marked
    summary: Marked
    answer: str  # the answer as plain text
    added: dict[str, list[claims.Claim]] = field(default_factory=dict)
    told: str = ""  # "Contact ..." with no address, phone or page

    @property
    def differences(self) -> int:
        return sum(len(found) for found in self.added.values())


def rows(site: Site, forum: Forum) -> list[tuple[str, list[Row]]]:
    """Each section's items (comments have nothing to summarise), as the page shows them."""
    contacts = {c.id: c for c in site.contacts}
    out = []
    for section in forum.sections:
        found = []
        for item in section.items:
            if item.feedback:
                continue
            contact = contacts.get(item.answered_by or "")
            added = dict(claims.added(item, contact, section.title))
            answer = wording.plain(item.answer or "")
            told = routes.tells_to_contact(answer) if answer and not routes.has_route(item, contact) else ""
            found.append(
                Row(
                    item,
                    "{}:{}".format(*site.where(f"item:{item.id}")),
                    marked(wording.headline(item), added.get("headline", [])),
                    marked(wording.summary(item), added.get("summary", [])),
                    answer,
                    added,
                    told,
                )
            )
        out.append((section.title, found))
    return out


class ItemPages:
    def __init__(self, preview: LiveSite, pages: PreviewPages) -> None:
        self.preview, self.pages = preview, pages

    def page(self, request: Request) -> Response:
        try:
            view = self.preview.view(request.path_params["forum"])
        except DigestError as exc:
            return self.pages.trouble(exc)
        forum = view.site.forums[request.path_params["forum"]]
        sections = rows(view.site, forum)
        every = [row for _, found in sections for row in found]
        return self.pages.page(
            "items.html",
            view=view,
            forum=forum,
            sections=sections,
            differing=sum(1 for row in every if row.added),
            unreachable=sum(1 for row in every if row.told),
        )
