"""What a schedule sends: a small registry of kinds, each turning (schedule, date) into a Plan.

A kind is an options model (the `send:` mapping of a schedule file, checked like content),
a plan factory and a few helpers. The plan is a digest.delivery.compose.Plan, so a scheduled send
goes through the same editions-once, MIME-once, ledger-per-reader path as `digest send`:

- `forum-digest`: a forum's digest as of the fire date, for the schedule's audience;
- `upcoming-dates`: a reminder holding only the dates in the next N days that apply to each
  reader (optionally only some kinds of event); readers with none get nothing;
- `follow-up`: the answers of a forum that each reader was waiting for and that have come
  since (or have changed), as `digest send --follow-up` sends them; readers due none get
  nothing (digest.delivery.followup).

To add a kind, write its options model and plan factory and add it to KINDS. The plans
themselves (digest.schedules.plans) render, so they are imported only when a fire sends:
loading and listing schedules, and the scheduler waiting for its next fire, need no
renderer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from digest import fmt
from digest.content import todo
from digest.content.load import Site
from digest.content.model import Forum, Slug, Strict
from digest.content.yamlio import Located
from digest.delivery import ledger
from digest.errors import Problem, suggest

if TYPE_CHECKING:
    from digest.delivery.compose import Plan
    from digest.schedules.files import Schedule
    from digest.settings import Settings

EventKind = Literal["training", "drop-in", "surgery", "webinar", "forum", "conference"]


class ForumDigest(Strict):
    kind: Literal["forum-digest"]
    forum: Slug


class UpcomingDates(Strict):
    kind: Literal["upcoming-dates"]
    days: int = Field(ge=1, le=366)
    kinds: list[EventKind] | None = None  # only these kinds of event (absent: every kind)


class FollowUp(Strict):
    kind: Literal["follow-up"]
    forum: Slug


# -- the registry -------------------------------------------------------------------------------
def forum_plan(settings: Settings, site: Site, schedule: Schedule, as_of: date, key: str) -> Plan:
    from digest.schedules.plans import ForumPlan  # renders: imported only when a fire sends

    return ForumPlan(settings, site, schedule, _sendable(site, schedule.options.forum), as_of, key)


def reminder_plan(settings: Settings, site: Site, schedule: Schedule, as_of: date, key: str) -> Plan:
    from digest.schedules.plans import ReminderPlan

    return ReminderPlan(settings, site, schedule, None, as_of, key)


def follow_up_plan(settings: Settings, site: Site, schedule: Schedule, as_of: date, key: str) -> Plan:
    from digest.schedules.plans import FollowUpSchedulePlan

    return FollowUpSchedulePlan(settings, site, schedule, _sendable(site, schedule.options.forum), as_of, key)


def _sendable(site: Site, forum_id: str) -> Forum:
    """The schedule's forum; a forum file that did not load, or a draft, is refused with why."""
    forum = site.forum(forum_id)
    todo.refuse_draft(site, forum, "sent")
    return forum


def forum_already_sent(conn: sqlite3.Connection, schedule: Schedule, key: str) -> str:
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
    plan: Callable[[Settings, Site, Schedule, date, str], Plan]  # (settings, site, schedule, as_of, key)
    describe: Callable[[Any], str]
    sample: Callable[[Any, Site], dict[str, Any]]  # subject values, to check a subject template
    check: Callable[[Any, Site, Located], list[Problem]] = lambda options, site, src: []  # beyond the options' shape
    nothing_new: Callable[[sqlite3.Connection, Schedule, str], str] = lambda conn, schedule, key: ""  # why, or ''


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
    "follow-up": Kind(
        FollowUp,
        follow_up_plan,
        describe=lambda o: f"the {o.forum} follow-ups (answers readers were waiting for)",
        sample=lambda o, site: {"forum": site.forums[o.forum], "count": 2},
        check=check_forum,
    ),
}
