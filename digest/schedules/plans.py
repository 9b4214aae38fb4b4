"""The plans a schedule's fire sends: a forum's digest for the schedule's audience, a
reminder of the dates coming up, or a forum's follow-up. Each is a
digest.delivery.compose.Plan, so a scheduled send takes the same editions-once,
MIME-once, ledger-per-reader path as `digest send`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from digest import fmt
from digest.content.audience import Profile
from digest.content.load import Site
from digest.delivery.compose import Plan
from digest.delivery.followup import FollowUp, FollowUpPlan
from digest.editions.inline import inline_css
from digest.editions.render import Rendered, Renderer, soonest
from digest.editions.select import Edition, Upcoming, editions, upcoming
from digest.fmt import LONDON
from digest.schedules.subjects import render_subject, subject_template

if TYPE_CHECKING:
    from digest.content.model import Forum
    from digest.schedules.files import Schedule
    from digest.schedules.kinds import UpcomingDates
    from digest.settings import Settings


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

    def __init__(
        self, settings: Settings, site: Site, schedule: Schedule, forum: Forum | None, as_of: date, key: str
    ) -> None:
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


class FollowUpSchedulePlan(FollowUpPlan):
    """A forum's follow-up for the schedule's audience, with the schedule's subject."""

    def __init__(self, settings: Settings, site: Site, schedule: Schedule, forum: Forum, as_of: date, key: str) -> None:
        super().__init__(settings, site, forum, as_of, key)
        self.schedule, self.rule = schedule, schedule.rule
        self.subject = subject_template(schedule.spec.subject) if schedule.spec.subject else None

    def wants(self, profile: Profile) -> bool:
        return self.rule.matches(profile)

    def subject_of(self, edition: FollowUp) -> str:
        if self.subject is None:
            return super().subject_of(edition)
        return render_subject(self.subject, subject_values(self.schedule, edition, self.as_of))


class KindRenderer(Renderer):
    """Renders a schedule's editions: its subject; reminders with templates/reminder.*."""

    def __init__(self, settings: Settings, plan: SchedulePlan) -> None:
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


def subject_values(schedule: Schedule, edition: Any, as_of: date) -> dict[str, Any]:
    """What a subject template may use."""
    values: dict[str, Any] = {"schedule": schedule.name, "date": fmt.day(as_of)}
    if isinstance(edition, Reminder):
        return values | {"count": len(edition.events), "days": edition.days, "until": fmt.day(edition.until)}
    if isinstance(edition, FollowUp):
        return values | {"forum": edition.forum, "count": len(edition.items)}
    return values | {
        "forum": edition.forum,
        "count": len(edition.items),
        "dates": len(edition.events),
        "todo": soonest(edition),
    }
