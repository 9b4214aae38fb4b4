"""Stage 2: audience selection. Which items, dates and contacts each reader gets, and in
which part of the email each item goes.

Readers whose selections are identical share one Edition, so rendering happens once
per distinct selection, never once per reader. Feedback (comments on the forum itself)
is never selected as an item; an edition only counts it. Contacts are the ones the
edition's items name, and those meant for the reader's own district or kind of school
(their adviser); the full list lives in the archive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

from digest.content.actions import Action, actions
from digest.content.audience import ALL_AGE, Profile, Rule
from digest.content.load import Site
from digest.content.model import Contact, Event, Forum, Item
from digest.fmt import LONDON


@dataclass(frozen=True)
class Upcoming:
    """An event as an edition shows it: the next occurrence(s) from the as-of date."""

    event: Event
    start: datetime
    end: datetime
    later: tuple[datetime, ...] = ()  # further weekly occurrences shown after the first
    last: datetime | None = None  # a weekly event's final occurrence (its `until` may fall on another weekday)

    @property
    def recurring(self) -> bool:
        return self.event.repeat is not None

    @property
    def timed(self) -> bool:
        """False for a date alone: "time to be confirmed"."""
        return self.event.timed


def occurrences(event: Event) -> list[tuple[datetime, datetime]]:
    """Every (start, end) of an event, weekly ones expanded in Europe/London wall time; an
    event with a date alone (time to be confirmed) spans its whole day."""
    if event.repeat is None:
        return [event.span()]
    skip = set(event.repeat.except_)
    out = []
    day = event.day
    while day <= event.repeat.until:
        if day not in skip:
            out.append(event.span(day))
        day += timedelta(days=7)
    return out


def upcoming(event: Event, as_of: date, days: int, show: int = 3) -> Upcoming | None:
    begin = datetime.combine(as_of, time.min, LONDON)
    horizon = begin + timedelta(days=days)
    future = [(s, e) for s, e in occurrences(event) if e >= begin]
    if not future or future[0][0] >= horizon:
        return None
    (start, end), rest = future[0], future[1:show]
    return Upcoming(event, start, end, tuple(s for s, _ in rest), future[-1][0] if event.repeat else None)


@dataclass
class Edition:
    """One distinct selection of content, shared by every profile that selects it."""

    site: Site = field(repr=False)
    forum: Forum
    as_of: date
    items: tuple[Item, ...]
    events: tuple[Upcoming, ...]
    contacts: tuple[Contact, ...]
    profiles: list[Profile] = field(default_factory=list, repr=False)
    # "Answered since the last forum": earlier forums' answers this reader was still waiting
    # for in their last digest (digest.delivery.since), and how many more there are
    since: tuple[tuple[Forum, Item], ...] = ()
    since_more: int = 0
    # items narrowed only by phase to a part of an all-age school: not "for your school"
    # (an all-age special school's email does not open with Year R items), in their topic instead
    apart: tuple[str, ...] = ()

    @cached_property  # items, events and contacts never change after selection; a send asks per reader
    def selection(self) -> tuple:
        """What the reader's profile selects (the same for every reader of the profile)."""
        base = (
            self.forum.id,
            tuple(i.id for i in self.items),
            tuple((u.event.id, u.start.isoformat()) for u in self.events),
            tuple(c.id for c in self.contacts),
        )
        return (*base, ("apart", self.apart)) if self.apart else base

    @cached_property
    def key(self) -> tuple:
        if not (self.since or self.since_more):
            return self.selection
        return (*self.selection, tuple((f.id, i.id) for f, i in self.since), self.since_more)

    @cached_property
    def id(self) -> str:
        digest = hashlib.sha256(repr(self.key).encode()).hexdigest()[:8]
        return f"{self.forum.id}-{digest}"

    @cached_property
    def copy_id(self) -> str:
        """The browser copy `digest build` writes: the selection's, without a reader's history."""
        digest = hashlib.sha256(repr(self.selection).encode()).hexdigest()[:8]
        return f"{self.forum.id}-{digest}"

    def with_since(self, since: tuple[tuple[Forum, Item], ...], more: int = 0) -> Edition:
        """This selection with an "Answered since the last forum" list (a new edition)."""
        return replace(self, since=since, since_more=more, profiles=[])

    def reason(self, kind: str, id: str) -> str:
        """Why this edition holds a narrowed item/event ('' when it is for everyone)."""
        return self.site.taxonomy.describe(self.site.rule(kind, id))

    def for_whom(self, item: Item) -> str:
        """'For Swale schools' when the item names the reader's district, phase or setting."""
        return self.site.taxonomy.for_whom(self.site.rule("item", item.id))

    @cached_property
    def actions(self) -> list[Action]:
        """What the reader must do, soonest first: the "To do" the email opens with."""
        return actions(self.items, self.site.due, self.as_of)

    def _first(self, item: Item) -> int:
        """Decisions and deadlines before background: an item asking something of the
        reader comes before the others of its part."""
        return 0 if item.action else 1

    def _group_rank(self, group: tuple[str, list[Item]]) -> tuple[int, int]:
        """Where a group of "For your school" goes: those with something to do first, then
        the most particular to the school: its kind of school, then its district, its phase."""
        why, items = group
        named = self.site.taxonomy.narrowing(self.site.rule("item", items[0].id))
        which = 0 if "settings" in named else 1 if "districts" in named else 2
        return min(self._first(i) for i in items), which

    @cached_property
    def parts(self) -> Parts:
        """The items by the part of the email they go in, each item in exactly one."""
        yours: dict[str, list[Item]] = {}
        highlights, pending, rest = [], [], []
        for item in sorted(self.items, key=self._first):
            if item.id not in self.apart and (why := self.for_whom(item)):
                yours.setdefault(why, []).append(item)
            elif item.status == "pending":
                pending.append(item)
            elif item.highlight:
                highlights.append(item)
            else:
                rest.append(item)
        topics: dict[str, list[Item]] = {}
        for item in rest:
            topics.setdefault(item.topic or OTHER, []).append(item)
        groups = sorted(yours.items(), key=self._group_rank)
        return Parts(tuple(groups), tuple(highlights), tuple(topics.items()), tuple(pending))

    @property
    def feedback(self) -> int:
        """How many comments on the forum itself the full Q&A holds (never sent as items)."""
        return sum(1 for item in self.forum.items if item.feedback)


OTHER = "Other questions"


@dataclass(frozen=True)
class Parts:
    yours: tuple[tuple[str, list[Item]], ...]  # narrowed to the reader's district, phase or setting, by reason
    highlights: tuple[Item, ...]  # highlight: true, for everyone: headline and summary
    topics: tuple[tuple[str, list[Item]], ...]  # everything else by topic: headlines
    pending: tuple[Item, ...]  # answers still to come (for everyone): headlines

    @property
    def for_your_school(self) -> list[Item]:
        return [item for _, items in self.yours for item in items]


def select(site: Site, forum: Forum, as_of: date, profile: Profile) -> Edition:
    return _select(site, forum, as_of, profile, _upcoming_events(site, as_of))


def _upcoming_events(site: Site, as_of: date) -> list[tuple[Event, Upcoming | None]]:
    """Each event's next occurrences: the same for every profile, so worked out once per
    selection run (weekly events expand a year of dates)."""
    days = site.settings.render.upcoming_days
    return [(event, upcoming(event, as_of, days)) for event in site.events]


def _candidates(site: Site, forum: Forum) -> tuple[list[tuple[Item, int]], list[Rule]]:
    """The forum's items with the index of their audience rule among its distinct rules: a
    selection run asks each distinct rule once per profile, not each item's."""
    rules: dict[Rule, int] = {}
    out = [(i, rules.setdefault(site.rule("item", i.id), len(rules))) for i in forum.items if not i.feedback]
    return out, list(rules)


def _select(
    site: Site,
    forum: Forum,
    as_of: date,
    profile: Profile,
    events_ahead: list[tuple[Event, Upcoming | None]],
    candidates: tuple[list[tuple[Item, int]], list[Rule]] | None = None,
) -> Edition:
    found, rules = candidates or _candidates(site, forum)
    fits = [rule.matches(profile) for rule in rules]
    items = tuple(i for i, k in found if fits[k])
    events = [u for event, u in events_ahead if u is not None and site.rule("event", event.id).matches(profile)]
    events.sort(key=lambda u: (u.start, u.event.title))
    named = {i.answered_by for i in items if i.answered_by}
    contacts = tuple(
        c
        for c in site.contacts
        if (rule := site.rule("contact", c.id)).matches(profile) and (c.id in named or site.taxonomy.narrowing(rule))
    )
    return Edition(site, forum, as_of, items, tuple(events), contacts, apart=_apart(site, items, profile))


def _apart(site: Site, items: tuple[Item, ...], profile: Profile) -> tuple[str, ...]:
    """The items an all-age school gets for one part of it only: narrowed by phase alone,
    to phases that leave some of the school's out."""
    if len(profile.phases) < ALL_AGE:
        return ()
    out = []
    for item in items:
        named = site.taxonomy.narrowing(site.rule("item", item.id))
        if set(named) == {"phases"} and not set(profile.phases) <= named["phases"]:
            out.append(item.id)
    return tuple(out)


def editions(site: Site, forum: Forum, as_of: date, profiles: Iterable[Profile]) -> list[Edition]:
    """Group profiles by what they select: one Edition per distinct selection."""
    by_key: dict[tuple, Edition] = {}
    events_ahead, candidates = _upcoming_events(site, as_of), _candidates(site, forum)
    for profile in profiles:
        edition = _select(site, forum, as_of, profile, events_ahead, candidates)
        edition = by_key.setdefault(edition.key, edition)
        edition.profiles.append(profile)
    return list(by_key.values())


def today() -> date:
    """What a send, a build and a preview are written for unless told otherwise: today in
    Europe/London, so that dates already past are never promised as upcoming."""
    return datetime.now(LONDON).date()


def day_after(forum: Forum) -> date:
    """The day after a forum's last session: when its digest would first go out."""
    return max(forum.dates) + timedelta(days=1)


def past_dates(site: Site, forum: Forum, as_of: date) -> tuple[int, int]:
    """(the forum's events, how many of them are wholly past on as_of)."""
    begin = datetime.combine(as_of, time.min, LONDON)
    mine = [e for e in site.events if e.forum == forum.id]
    return len(mine), sum(1 for e in mine if all(end < begin for _, end in occurrences(e)))
