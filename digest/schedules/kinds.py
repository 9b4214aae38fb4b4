"""What a schedule sends: a small registry of kinds, each turning (schedule, date) into a Plan.

A kind is an options model (the `send:` mapping of a schedule file, checked like content),
a plan factory and a few helpers. The plan is a digest.compose.Plan, so a scheduled send
goes through the same editions-once, MIME-once, ledger-per-reader path as `digest send`:

- `forum-digest`: a forum's digest as of the fire date, for the schedule's audience;
- `upcoming-dates`: a reminder holding only the dates in the next N days that apply to each
  reader (optionally only some kinds of event); readers with none get nothing.

To add a kind, write its options model and plan factory and add it to KINDS.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from digest import fmt
from digest.content.audience import Profile
from digest.content.load import Site
from digest.content.model import Slug, Strict
from digest.content.yamlio import Located
from digest.delivery import ledger
from digest.delivery.compose import Plan
from digest.editions.render import Rendered, Renderer, inline_css
from digest.editions.select import Edition, Upcoming, editions, upcoming
from digest.errors import DigestError, Problem, suggest
from digest.fmt import LONDON

EventKind = Literal["training", "drop-in", "surgery", "webinar", "forum", "conference"]


class ForumDigest(Strict):
    kind: Literal["forum-digest"]
    forum: Slug


class UpcomingDates(Strict):
    kind: Literal["upcoming-dates"]
    days: int = Field(ge=1, le=366)
    kinds: list[EventKind] | None = None  # only these kinds of event (absent: every kind)


# -- subjects: organisers' one-line Jinja, sandboxed --------------------------------------------
def subject_template(text: str) -> Any:
    """Compile a subject template in Jinja's sandbox (no attribute tricks, no undefined names)."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False).from_string(text)


def render_subject(template: Any, values: dict[str, Any]) -> str:
    import jinja2

    try:
        out = template.render(values).strip()
    except jinja2.TemplateError as exc:
        raise DigestError(f"subject: {exc} (use {', '.join(sorted(values))})") from None
    if "\r" in out or "\n" in out:
        raise DigestError("subject: the template makes a line break; a subject is one line")
    if not out:
        raise DigestError("subject: the template makes an empty subject")
    return out


# -- the reminder edition -----------------------------------------------------------------------
@dataclass
class Reminder:
    """The dates in [as_of, as_of + days) a group of profiles share; rendered like an Edition."""

    site: Site = field(repr=False)
    schedule: str
    as_of: date
    days: int
    events: tuple[Upcoming, ...]
    profiles: list[Profile] = field(default_factory=list, repr=False)
    forum: None = None
    items: tuple = ()
    contacts: tuple = ()

    @property
    def key(self) -> tuple:
        return (self.schedule, self.as_of, tuple((u.event.id, u.start.isoformat(), u.later) for u in self.events))

    @property
    def id(self) -> str:
        # a dot never appears in a forum id, so a reminder is never taken for a forum's edition
        return f"{self.schedule}.dates-{hashlib.sha256(repr(self.key).encode()).hexdigest()[:8]}"

    @property
    def until(self) -> date:
        return self.as_of + timedelta(days=self.days - 1)

    def reason(self, kind: str, id: str) -> str:
        return self.site.taxonomy.describe(self.site.rule(kind, id))


def dates_for(site: Site, profile: Profile, as_of: date, options: UpcomingDates) -> tuple[Upcoming, ...]:
    horizon = datetime.combine(as_of, time.min, LONDON) + timedelta(days=options.days)
    out = []
    for event in site.events:
        if options.kinds is not None and event.kind not in options.kinds:
            continue
        if site.rule("event", event.id).matches(profile) and (u := upcoming(event, as_of, options.days)):
            out.append(replace(u, later=tuple(s for s in u.later if s < horizon)))  # only dates in the window
    return tuple(sorted(out, key=lambda u: (u.start, u.event.title)))


# -- plans ----------------------------------------------------------------------------------------
class SchedulePlan(Plan):
    """A Plan narrowed to the schedule's audience, with the schedule's subject."""

    def __init__(self, settings: Any, site: Site, schedule: Any, forum: Any, as_of: date, key: str) -> None:
        super().__init__(settings, site, forum, as_of, key)
        self.schedule, self.rule = schedule, schedule.rule
        self.subject = subject_template(schedule.spec.subject) if schedule.spec.subject else None
        self.renderer = KindRenderer(settings, self)

    def audience(self, profiles: list[Profile]) -> list[Profile]:
        return [p for p in profiles if self.rule.matches(p)]

    def values(self, edition: Any) -> dict[str, Any]:
        return subject_values(self.schedule, edition, self.as_of)


class ForumPlan(SchedulePlan):
    def select(self, profiles: list[Profile]) -> list[Edition]:
        return editions(self.site, self.forum, self.as_of, self.audience(profiles))


class ReminderPlan(SchedulePlan):
    def select(self, profiles: list[Profile]) -> list[Reminder]:  # type: ignore[override]
        options = self.schedule.options
        by_key: dict[tuple, Reminder] = {}
        for profile in self.audience(profiles):
            events = dates_for(self.site, profile, self.as_of, options)
            if events:  # no dates for this reader: they get nothing
                r = Reminder(self.site, self.schedule.name, self.as_of, options.days, events)
                by_key.setdefault(r.key, r).profiles.append(profile)
        return list(by_key.values())


class KindRenderer(Renderer):
    """Renders a schedule's editions: its subject; reminders with templates/reminder.*."""

    def __init__(self, settings: Any, plan: SchedulePlan) -> None:
        super().__init__(settings)
        self.plan = plan

    def render(self, edition: Any, subject: str | None = None) -> Rendered:
        if subject is None and self.plan.subject is not None:
            subject = render_subject(self.plan.subject, self.plan.values(edition))
        if not isinstance(edition, Reminder):
            return super().render(edition, subject)
        n = len(edition.events)
        subject = subject or f"Dates for your diary: {n} date{'s' * (n != 1)} in the next {edition.days} days"
        ctx = self.context(edition, subject) | {"days": edition.days, "until": edition.until}  # type: ignore[arg-type]
        html = inline_css(self.env.get_template("reminder.html").render(ctx))
        text = self.env.get_template("reminder.txt").render(ctx)
        return Rendered(edition, subject, html, text)  # type: ignore[arg-type]


def subject_values(schedule: Any, edition: Any, as_of: date) -> dict[str, Any]:
    """What a subject template may use."""
    values: dict[str, Any] = {"schedule": schedule.name, "date": fmt.day(as_of)}
    if isinstance(edition, Reminder):
        return values | {"count": len(edition.events), "days": edition.days, "until": fmt.day(edition.until)}
    return values | {"forum": edition.forum, "count": len(edition.items), "dates": len(edition.events)}


# -- the registry -------------------------------------------------------------------------------
def forum_plan(settings: Any, site: Site, schedule: Any, as_of: date, key: str) -> Plan:
    return ForumPlan(settings, site, schedule, site.forum(schedule.options.forum), as_of, key)


def reminder_plan(settings: Any, site: Site, schedule: Any, as_of: date, key: str) -> Plan:
    return ReminderPlan(settings, site, schedule, None, as_of, key)


def forum_already_sent(conn: sqlite3.Connection, schedule: Any, key: str) -> str:
    """'Nothing new': this forum's digest was sent in full under another key (a schedule or `digest send`)."""
    forum_id = schedule.options.forum
    done = ledger.finished_with(conn, f"{forum_id}-" + "[0-9a-f]" * 8, other_than=key)
    return f"nothing new: the {forum_id} digest was already sent ({done})" if done else ""


def check_forum(options: ForumDigest, site: Site, src: Located) -> list[Problem]:
    if options.forum in site.forums:
        return []
    hint = suggest(options.forum, list(site.forums))
    return [src.problem(("send", "forum"), f"no forum '{options.forum}'", hint, value=True)]


@dataclass(frozen=True)
class Kind:
    options: type[BaseModel]
    plan: Callable[[Any, Site, Any, date, str], Plan]  # (settings, site, schedule, as_of, key)
    describe: Callable[[Any], str]
    sample: Callable[[Any, Site], dict[str, Any]]  # subject values, to check a subject template
    check: Callable[[Any, Site, Located], list[Problem]] = lambda options, site, src: []  # beyond the options' shape
    nothing_new: Callable[[sqlite3.Connection, Any, str], str] = lambda conn, schedule, key: ""  # why, or ''


KINDS: dict[str, Kind] = {
    "forum-digest": Kind(
        ForumDigest,
        forum_plan,
        describe=lambda o: f"the {o.forum} digest",
        sample=lambda o, site: {"forum": site.forums[o.forum], "count": 12, "dates": 3},
        check=check_forum,
        nothing_new=forum_already_sent,
    ),
    "upcoming-dates": Kind(
        UpcomingDates,
        reminder_plan,
        describe=lambda o: f"{', '.join(o.kinds) + ' ' if o.kinds else ''}dates in the next {o.days} days",
        sample=lambda o, site: {"count": 3, "days": o.days, "until": fmt.day(date(2026, 1, 11))},
    ),
}
