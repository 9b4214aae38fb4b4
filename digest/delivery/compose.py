"""Stage 4 (per reader): which edition each reader gets, and their message from its template.

`Plan` selects the editions for a set of reader profiles and renders each one once,
turning it into a MIME template (digest.mime.DigestTemplate); `Personaliser` makes one
reader's message from it: signed manage token, unsubscribe and preference links,
greeting, To, Message-ID and List-Unsubscribe. Readers come from digest.readers.store a page at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from digest.content.audience import Profile
from digest.content.load import Site
from digest.content.model import Forum
from digest.delivery import pool, record, since
from digest.delivery.mime import DigestTemplate, address, domain_of, list_unsubscribe, message_id
from digest.delivery.template import template_for
from digest.editions.render import Rendered, Renderer
from digest.editions.select import Edition, editions
from digest.errors import DigestError
from digest.readers import store
from digest.readers.store import Subscriber
from digest.readers.tokens import Signer

if TYPE_CHECKING:
    from digest.settings import Settings


def greeting(name: str) -> str:
    return f"Dear {name}," if name.strip() else "Hello,"


@dataclass
class Prepared:
    edition: Edition
    rendered: Rendered
    template: DigestTemplate
    snapshot: record.Snapshot | None = None  # what the record keeps of it (None: a send with no items)

    @property
    def snapshot_id(self) -> str | None:
        return self.snapshot.id if self.snapshot else None


class Plan:
    """The editions for a set of profiles, each rendered and made a MIME template once.

    A send asks it in three steps: `start` (every edition ready before the first message),
    `pages` (the readers, a page at a time) and `for_reader` (the reader's edition, or None).
    A forum's digest goes by the reader's profile and, where they were waiting for answers
    to earlier forums that have come since, by that list too (digest.delivery.since)."""

    def __init__(
        self, settings: Settings, site: Site, forum: Forum | None, as_of: date, key: str, subject_prefix: str = ""
    ) -> None:
        self.settings, self.site, self.forum, self.as_of, self.key = settings, site, forum, as_of, key
        self.subject_prefix = subject_prefix
        self.renderer = Renderer(settings)
        self.date = datetime.now(UTC)
        self.calendars: dict[tuple[str, ...], bytes] = {}  # each distinct set of dates' .ics, once
        self.by_profile: dict[Profile, Prepared] = {}
        self.by_key: dict[tuple, Prepared] = {}
        self.variants: dict[tuple, Prepared] = {}  # (profile's edition key, answered since) -> edition
        self.nothing: set[Profile] = set()  # profiles select() gave no edition: those readers get nothing
        self.history: since.History | None = None  # earlier answers readers were waiting for
        self.recording: sqlite3.Connection | None = None  # a real send's: snapshots are recorded on it
        self._started = False
        self._page: dict[int, Any] = {}  # what pages() worked out for the readers of the current page
        self._pooled: dict[tuple, pool.Ready] = {}  # editions add() had prepared by the pool, by key

    # -- the three steps of a send ------------------------------------------------------------
    def start(self, conn: sqlite3.Connection, *, record_on: bool = False) -> None:
        """Make every edition the receiving readers may get, before the first message goes.
        With record_on (a real send, on its ledger connection) each one's snapshot is recorded."""
        if not self._started:
            self._started = True
            self.prepare_all(conn)
        if record_on and self.recording is None:
            self.recording = conn
            for prepared in self.prepared:
                self._record(prepared)

    def prepare_all(self, conn: sqlite3.Connection) -> None:
        """The editions of every profile, and of every "answered since" list a reader has."""
        self.add(store.receiving_profiles(conn))
        if self.forum is not None:
            self.history = since.History.load(conn, self.site, self.forum, self.key)
        if self.history is not None:  # the lists depend on each reader's history: one pass over them
            for page in self.pages(conn):
                for sub in page:
                    self.for_reader(sub)

    def pages(self, conn: sqlite3.Connection) -> Iterator[list[Subscriber]]:
        """The receiving readers a page at a time, each page's histories read with it."""
        for page in store.receiving_pages(conn):
            self._page = self.history.for_page(conn, page) if self.history is not None else {}
            yield page

    def for_reader(self, sub: Subscriber) -> Prepared | None:
        """The reader's edition (from the current page); None when this plan has nothing for them."""
        prepared = self.for_profile(sub.profile)
        answered = self._page.get(sub.id)
        if prepared is None or not answered:
            return prepared
        key = (prepared.edition.key, tuple((forum.id, item.id) for forum, item in answered))
        if key not in self.variants:
            edition = since.fit(self.renderer, prepared.edition, answered, self.settings.render.words_budget)
            self.variants[key] = self.by_key.get(edition.key) or self._keep(self._prepare(edition))
        return self.variants[key]

    # -- editions -------------------------------------------------------------------------------
    def select(self, profiles: list[Profile]) -> list[Edition]:
        """The editions for these profiles. A subclass (a schedule's plan) may leave profiles out."""
        return editions(self.site, self.forum, self.as_of, profiles)

    def add(self, profiles: list[Profile]) -> None:
        todo = [p for p in profiles if p not in self.by_profile and p not in self.nothing]
        selected = self.select(todo)
        fresh = [e for e in selected if e.key not in self.by_key]
        self._pooled = self._pool(fresh)
        for edition in selected:
            prepared = self.by_key.get(edition.key)
            if prepared is None:
                prepared = self.by_key[edition.key] = self._prepare(edition)
            elif prepared.edition is not edition:
                prepared.edition.profiles.extend(edition.profiles)
            for profile in edition.profiles:
                self.by_profile[profile] = prepared
        self.nothing.update(p for p in todo if p not in self.by_profile)

    def _pool(self, editions: list[Edition]) -> dict[tuple, pool.Ready]:
        """What the pool prepares of these editions (delivery/pool.py), by key: only where its
        workers do as this plan would, i.e. the plain renderer (a schedule's own subject is
        worked out here) and the plain snapshot."""
        if not pool.worth_it(len(editions)) or type(self.renderer) is not Renderer:
            return {}
        if type(self).snapshot is not Plan.snapshot:  # rendered there, the rest here
            return {k: (r, None, None) for k, r in pool.render(self.settings, self.site, editions).items()}
        return pool.prepare(self.settings, self.site, editions, self.key, self.subject_prefix, self.date)

    def _prepare(self, edition: Any) -> Prepared:
        pooled = self._pooled.pop(edition.key, None)  # prepared on another core (delivery/pool.py)
        if pooled is not None and pooled[0].edition is edition and pooled[1] is not None:
            prepared = Prepared(edition, pooled[0], pooled[1], pooled[2])
        else:
            rendered = (
                pooled[0] if pooled is not None and pooled[0].edition is edition else self.renderer.render(edition)
            )
            template = template_for(self.settings, rendered, self.key, self.subject_prefix, self.date, self.calendars)
            prepared = Prepared(edition, rendered, template, self.snapshot(edition))
        self._record(prepared)
        return prepared

    def _keep(self, prepared: Prepared) -> Prepared:
        self.by_key[prepared.edition.key] = prepared
        return prepared

    def snapshot(self, edition: Any) -> record.Snapshot | None:
        """What the record keeps of an edition: the forum's items it holds and the earlier
        answers it lists, in their versions. None for an edition with neither (a reminder)."""
        items = [(edition.forum.id, item) for item in edition.items] if edition.forum is not None else []
        items += [(forum.id, item) for forum, item in getattr(edition, "since", ())]
        return record.Snapshot.of("digest", items) if items else None

    def _record(self, prepared: Prepared) -> None:
        if self.recording is not None and prepared.snapshot is not None:
            record.save(self.recording, prepared.snapshot)

    def for_profile(self, profile: Profile) -> Prepared | None:
        """The reader's edition; None when this plan has nothing for them."""
        if profile not in self.by_profile and profile not in self.nothing:  # a reader changed their profile mid-send
            self.add([profile])
        return self.by_profile.get(profile)

    @property
    def prepared(self) -> list[Prepared]:
        return list(self.by_key.values())

    def check_sizes(self) -> None:
        limit = self.settings.render.max_html_bytes
        over = [p.rendered for p in self.prepared if p.rendered.html_bytes > limit]
        if over:
            lines = [f"{r.edition.id}: HTML is {r.html_bytes:,} bytes, over {limit:,}" for r in over]
            raise DigestError(
                "\n".join(lines) + "\nGmail clips HTML beyond about 102 KB: shorten answers; nothing was sent"
            )


class Personaliser:
    """One reader's message from an edition's template: tokens, links, headers."""

    def __init__(self, settings: Settings, key: str, signer: Signer | None = None) -> None:
        self.key, self.signer = key, signer or Signer()
        self.base = settings.site.base_url.rstrip("/")
        self.domain = domain_of(settings.site.sender_address)

    def message(
        self, template: DigestTemplate, subscriber_id: int, email: str, name: str, profile: str, mid: str | None = None
    ) -> bytes:
        token = self.signer.sign("manage", subscriber_id)
        unsubscribe = f"{self.base}/unsubscribe/{token}"
        return template.message(
            to=address(name, email),
            message_id=mid or message_id(self.key, subscriber_id, self.domain),
            unsubscribe=list_unsubscribe(unsubscribe, f"mailto:unsubscribe@{self.domain}?subject=unsubscribe-{token}"),
            values={
                "greeting": greeting(name),
                "profile": profile,
                "unsubscribe_url": unsubscribe,
                "preferences_url": f"{self.base}/preferences/{token}",
            },
        )
