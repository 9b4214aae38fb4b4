"""The "Answered since the last forum" list: in a forum's digest, the answers to earlier forums'
questions that this reader was still waiting for when a digest last told them of it,
and that are answered now, as headlines linked to the archive.

This depends on the reader's history (digest.delivery.record), not only on their
profile, so a digest's readers are grouped by (profile, that list): each distinct email
is still rendered once. The list is read from the record a page of readers at a time,
and worked out once per distinct history and profile.

An answer is listed when a digest sent it to the reader as still to come (pending or
more to follow), the answer is now given, no digest has delivered it to them in that
version since (a later digest's list counts: it is listed once; a digest whose outcome is
unknown does not, so the answer is listed again rather than lost), and it still applies
to the reader's school. Follow-up emails do not take an answer off the list: the next digest
sums up what has come since the last one either way.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from digest.content.audience import Profile
from digest.content.load import Site
from digest.content.model import Forum, Item
from digest.delivery import ledger
from digest.delivery.record import WAITING, Record, version
from digest.readers.store import Subscriber

if TYPE_CHECKING:
    from digest.editions.render import Renderer
    from digest.editions.select import Edition

SHOWN_AT_MOST = 10  # headlines in the list; more are counted in one line
Answered = tuple[tuple[Forum, Item], ...]


def earlier(site: Site, forum: Forum) -> list[Forum]:
    """The forums whose last session was before this one's first, oldest first; never a
    draft (status: draft), which nothing sends or publishes."""
    first = min(forum.dates)
    done = (f for f in site.forums.values() if max(f.dates) < first and f.status != "draft")
    return sorted(done, key=lambda f: max(f.dates))


class History:
    """For one forum's digest: the answers of earlier forums readers may be waiting for."""

    def __init__(self, site: Site, key: str, record: Record, candidates: list[tuple[Forum, Item]]) -> None:
        self.site, self.key, self.record, self.candidates = site, key, record, candidates
        self._memo: dict[tuple[frozenset[str], frozenset[str], Profile], Answered] = {}

    @classmethod
    def load(cls, conn: sqlite3.Connection, site: Site, forum: Forum, key: str) -> History | None:
        """None when no reader can have anything in the list (nothing was sent as still to
        come and answered since): then a send reads no history at all."""
        answered = [
            (f, item)
            for f in earlier(site, forum)
            for item in f.items
            if item.status == "answered" and not item.feedback
        ]
        if not answered:
            return None
        record = Record.load(conn, {f.id for f, _ in answered})
        waited = {
            (forum_id, item_id)
            for snap in record.snapshots.values()
            if snap.kind == "digest"
            for forum_id, item_id, status, _ in snap.rows
            if status in WAITING
        }
        candidates = [(f, item) for f, item in answered if (f.id, item.id) in waited]
        return cls(site, key, record, candidates) if candidates else None

    def for_page(self, conn: sqlite3.Connection, page: list[Subscriber]) -> dict[int, Answered]:
        """Reader id -> their list (readers with none are left out), from what they were
        sent under other edition keys than this send's."""
        told = ledger.told(conn, [s.id for s in page], other_than=self.key)
        out = {}
        for sub in page:
            history = told.get(sub.id)
            if history is None or not (maybe := self.record.relevant(history.maybe)):
                continue
            if found := self.answered(maybe, self.record.relevant(history.surely), sub.profile):
                out[sub.id] = found
        return out

    def answered(self, maybe: frozenset[str], surely: frozenset[str], profile: Profile) -> Answered:
        """maybe: the snapshots of messages that may have reached the reader (so may have told
        them an answer was to come); surely: those delivered (so told them what they hold)."""
        memo = (maybe, surely, profile)
        if memo not in self._memo:
            told, delivered = self.record.told(maybe), self.record.told(surely)
            out = []
            for forum, item in self.candidates:
                where = (forum.id, item.id)
                waited = any(kind == "digest" and status in WAITING for kind, status, _ in told.get(where, ()))
                listed = any(
                    kind == "digest" and (status, fp) == version(item) for kind, status, fp in delivered.get(where, ())
                )
                if waited and not listed and self.site.rule("item", item.id).matches(profile):
                    out.append((forum, item))
            self._memo[memo] = tuple(out)
        return self._memo[memo]


def fit(renderer: Renderer, edition: Edition, answered: Answered, budget: int) -> Edition:
    """The edition with its "Answered since" list: as many headlines (at most SHOWN_AT_MOST)
    as keep the text part within the word budget, the rest counted in one line. When not
    even one fits, the edition as it was: the list waits for the next digest (what is not
    shown is not recorded as sent)."""
    for shown in range(min(len(answered), SHOWN_AT_MOST), 0, -1):
        candidate = edition.with_since(answered[:shown], len(answered) - shown)
        if renderer.render_text(candidate).length.words <= budget:
            return candidate
    return edition
