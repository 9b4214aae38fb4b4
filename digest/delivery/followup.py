"""Follow-ups: the answers readers were waiting for, sent once they have come
(docs/follow-ups.md).

`digest send --forum ID --follow-up`, and a schedule of kind `follow-up`, send each reader
a short email ("2 answers you were waiting for") holding in full the items of that forum
that they were sent while the answer was still to come, or whose answer has materially
changed since (digest.delivery.record says what was sent and what a material change is),
and nothing else. A reader is due an item when:

- a digest or follow-up sent it to them, under another edition key than this send's;
- it is answered now, or more has come (status answered or follow-up);
- they were never sent it in this version (status and fingerprint), and what they were
  sent is not this answer's very words already marked answered;
- it still applies to their school (site.rule("item", id).matches(profile)) and they
  still receive digests (confirmed, not paused).

Each (reader, item, answer version) goes out once: the follow-up's own snapshot, tied to
the reader's ledger row, records that they have it. The plan is a compose.Plan, so a
follow-up goes through the very send a digest does (ledger, lock, transports, pacing,
retries, crash safety, List-Unsubscribe); readers are grouped by the answers they are
due, and each distinct set is rendered once.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from digest import fmt
from digest.content import todo
from digest.content.audience import Profile
from digest.content.load import Site
from digest.content.model import Contact, Forum, Item
from digest.content.usable import load_usable
from digest.db import open_db
from digest.delivery import ledger
from digest.delivery.compose import Plan, Prepared
from digest.delivery.record import Record, Snapshot, version
from digest.delivery.trial import Intended, intended
from digest.editions.render import Rendered, Renderer
from digest.editions.select import today
from digest.readers import store
from digest.readers.store import Subscriber

if TYPE_CHECKING:
    from digest.delivery.pacing import Policy
    from digest.delivery.send import Progress, Summary
    from digest.delivery.transports.base import Transport
    from digest.settings import Settings

WAITED, CHANGED = "waited", "changed"  # why a reader is due an answer
Due = tuple[tuple[Item, str], ...]


@dataclass
class FollowUp:
    """The answers a group of readers is due, rendered like an Edition."""

    site: Site = field(repr=False)
    forum: Forum
    as_of: date
    items: tuple[Item, ...]
    reasons: tuple[str, ...]  # per item: WAITED (it was still to come) or CHANGED (the answer changed)
    profiles: list[Profile] = field(default_factory=list, repr=False)
    events: tuple = ()

    @cached_property
    def key(self) -> tuple:
        return (
            "follow-up",
            self.forum.id,
            tuple((i.id, why, *version(i)) for i, why in zip(self.items, self.reasons, strict=True)),
        )

    @cached_property
    def id(self) -> str:
        # a dot never appears in a forum id, so a follow-up is never taken for a forum's edition
        return f"{self.forum.id}.answers-{hashlib.sha256(repr(self.key).encode()).hexdigest()[:8]}"

    @property
    def answers(self) -> list[tuple[Item, str]]:
        return list(zip(self.items, self.reasons, strict=True))

    @property
    def waited(self) -> int:
        return self.reasons.count(WAITED)

    @property
    def changed(self) -> int:
        return self.reasons.count(CHANGED)

    @cached_property
    def contacts(self) -> tuple[Contact, ...]:
        """Who answered, as the items name them."""
        named = {i.answered_by for i in self.items if i.answered_by}
        return tuple(c for c in self.site.contacts if c.id in named)


def subject_for(edition: FollowUp) -> str:
    """'Term 6 Countywide SENCO Forum: 2 answers you were waiting for'"""
    parts = []
    if edition.waited:
        parts.append(f"{fmt.plural(edition.waited, 'answer')} you were waiting for")
    if edition.changed:
        parts.append(fmt.plural(edition.changed, "updated answer"))
    return f"{edition.forum.title}: {' and '.join(parts)}"


def follow_up_key(forum: Forum) -> str:
    """The ledger's name for `digest send --follow-up` of a forum as its answers stand now:
    the same content is the same key (a rerun finishes it), a changed answer a new one."""
    versions = tuple((item.id, *version(item)) for item in forum.items if not item.feedback)
    return f"follow-up:{forum.id}@{hashlib.sha256(repr(versions).encode()).hexdigest()[:12]}"


def key_prefix(forum_id: str) -> str:
    return f"follow-up:{forum_id}@"


class FollowUpRenderer(Renderer):
    """Follow-ups with templates/follow-up.html and .txt."""

    def __init__(self, settings: Settings, plan: FollowUpPlan) -> None:
        super().__init__(settings)
        self.plan = plan

    def render(self, edition: Any, subject: str | None = None) -> Rendered:
        people = {c.id: c for c in edition.site.contacts}
        return self.render_as(
            edition,
            "follow-up",
            subject or self.plan.subject_of(edition),
            people=people,
            kind_of_email="this follow-up",
        )


class FollowUpPlan(Plan):
    """The follow-ups of one forum: each reader's due answers, each distinct set rendered once."""

    def __init__(
        self,
        settings: Settings,
        site: Site,
        forum: Forum,
        as_of: date,
        key: str | None = None,
        subject_prefix: str = "",
    ) -> None:
        super().__init__(settings, site, forum, as_of, key or follow_up_key(forum), subject_prefix)
        self.forum: Forum = forum
        self.renderer = FollowUpRenderer(settings, self)
        self.answerable = [i for i in forum.items if not i.feedback and i.status != "pending"]
        self.record = Record({})
        self.by_due: dict[tuple[tuple[str, str], ...], Prepared] = {}
        self._memo: dict[tuple[frozenset[str], frozenset[str], Profile], Due] = {}
        self.readers: dict[str, int] = {}  # edition id -> readers due it (counted by start)

    # -- what a schedule may change ---------------------------------------------------------------
    def wants(self, profile: Profile) -> bool:
        """Whether readers of this profile may get a follow-up at all (a schedule's audience)."""
        return True

    def subject_of(self, edition: FollowUp) -> str:
        return subject_for(edition)

    # -- the plan -------------------------------------------------------------------------------
    def select(self, profiles: list[Profile]) -> list[Any]:
        return []  # a profile alone never makes a follow-up: a reader's history does

    def prepare_all(self, conn: sqlite3.Connection) -> None:
        self.record = Record.load(conn, [self.forum.id])
        if not self.record.snapshots or not self.answerable:
            return  # nobody was sent anything of this forum, or nothing is answered: no pass over readers
        for page in self.pages(conn):
            for sub in page:
                if (prepared := self.for_reader(sub)) is not None:
                    eid = prepared.edition.id
                    self.readers[eid] = self.readers.get(eid, 0) + 1

    def pages(self, conn: sqlite3.Connection) -> Iterator[list[Subscriber]]:
        for page in store.receiving_pages(conn):
            if self.record.snapshots and self.answerable:
                told = ledger.told(conn, [s.id for s in page], other_than=self.key)
                self._page = {}
                for sub in page:
                    history = told.get(sub.id)
                    if history is None or not (maybe := self.record.relevant(history.maybe)):
                        continue
                    if due := self.due(maybe, self.record.relevant(history.surely), sub.profile):
                        self._page[sub.id] = due
            yield page

    def for_reader(self, sub: Subscriber) -> Prepared | None:
        due = self._page.get(sub.id)
        if not due:
            return None
        ids = tuple((item.id, why) for item, why in due)  # items themselves are not hashable
        if ids not in self.by_due:
            items, reasons = zip(*due, strict=True)
            edition = FollowUp(self.site, self.forum, self.as_of, tuple(items), tuple(reasons))
            self.by_due[ids] = self.by_key.get(edition.key) or self._keep(self._prepare(edition))
        return self.by_due[ids]

    def due(self, maybe: frozenset[str], surely: frozenset[str], profile: Profile) -> Due:
        """The answers a reader is due, in the forum's order, given their history: the
        snapshots of the messages that may have reached them, and of those delivered.

        A message that may have reached them may have told them an item was still to come;
        only one delivered tells them an answer they have. So an answer held by a message of
        unknown outcome (a crash, a lost reply) is sent again: a duplicate, never a loss."""
        memo = (maybe, surely, profile)
        if memo in self._memo:
            return self._memo[memo]
        told, delivered, out = self.record.told(maybe), self.record.told(surely), []
        if self.wants(profile):
            for item in self.answerable:
                where = (self.forum.id, item.id)
                if not told.get(where):
                    continue  # never sent it
                have = {(status, fp) for _, status, fp in delivered.get(where, ())}
                now = version(item)
                if now in have or ("answered", now[1]) in have:
                    continue  # they have it as it is, or these very words as an answer
                if self.site.rule("item", item.id).matches(profile):
                    out.append((item, CHANGED if any(s == "answered" for s, _ in have) else WAITED))
        self._memo[memo] = tuple(out)
        return self._memo[memo]

    def snapshot(self, edition: Any) -> Snapshot | None:
        return Snapshot.of("follow-up", [(self.forum.id, item) for item in edition.items])

    @property
    def due_readers(self) -> int:
        return sum(self.readers.values())


# -- sending --------------------------------------------------------------------------------------
def plan_for(settings: Settings, forum_id: str, as_of: date | None = None, site: Site | None = None) -> FollowUpPlan:
    site = site or load_usable(settings)
    return FollowUpPlan(settings, site, site.forum(forum_id), as_of or today())


def send_follow_up(
    settings: Settings,
    forum_id: str,
    *,
    as_of: date | None = None,
    transport: Transport | None = None,
    resend_unknown: bool | None = None,  # None: as delivery.hold_unknown says
    progress: Progress | None = None,
    policy: Policy | None = None,
    site: Site | None = None,
) -> tuple[FollowUpPlan, Summary | None]:
    """Send every reader the answers of forum_id they are due; the summary is None when
    nobody is due any (then nothing is opened or sent).

    One follow-up of a forum at a time. Its edition key names the forum's answers as they
    stand (follow_up_key): run it again after any failure or crash and it finishes the job;
    after the answers change it is a new key, and what the old one had not handed over yet
    is dropped from the ledger (the new one sends it, with the newer answers)."""
    from digest.delivery.send import send_plan  # the send renders and opens transports: only when sending

    plan = plan_for(settings, forum_id, as_of, site)
    todo.refuse_draft(plan.site, plan.forum, "sent")
    prefix = key_prefix(plan.forum.id)
    with ledger.lock(settings.path("var"), prefix, what=f"a follow-up of {plan.forum.id}"):
        conn = open_db(settings, synchronous=ledger.SYNCHRONOUS)
        try:
            unknown, _ = ledger.supersede(conn, prefix, keep=plan.key)
            plan.start(conn)
        finally:
            conn.close()
        if not plan.prepared:
            return plan, None
        summary = send_plan(
            settings, plan, transport=transport, resend_unknown=resend_unknown, progress=progress, policy=policy
        )
    if unknown:
        its, them = ("its", "its reader") if unknown == 1 else ("their", "their readers")
        summary.notes.append(
            f"{fmt.plural(unknown, 'message')} of an earlier follow-up of {plan.forum.id} "
            f"{fmt.plural(unknown, 'was', number=False)} handed over when its run stopped, before the server answered "
            f"(outcome unknown): {its} answers are sent again in this one, so {them} may have them twice."
        )
    return plan, summary


def dry_run(
    settings: Settings,
    forum_id: str,
    *,
    as_of: date | None = None,
    resend_unknown: bool | None = None,  # None: as delivery.hold_unknown says
    site: Site | None = None,
) -> tuple[FollowUpPlan, list[Intended]]:
    """Who would get which answers; reads the ledger, writes nothing, takes no lock."""
    plan = plan_for(settings, forum_id, as_of, site)
    return plan, list(intended(settings, plan, resend_unknown=resend_unknown))


def describe(plan: FollowUpPlan) -> list[str]:
    """One line per follow-up edition: its answers and how many readers are due it."""
    out = []
    for prepared in plan.prepared:
        edition = prepared.edition
        n = plan.readers.get(edition.id, 0)
        ids = ", ".join(item.id for item in edition.items)
        out.append(f"  {edition.id}: {fmt.plural(len(edition.items), 'answer')} for {fmt.plural(n, 'reader')}: {ids}")
    return out
