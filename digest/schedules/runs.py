"""Running schedules: each fire is one edition key in the ledger, so it is sent once.

A fire at 07:00 on 30 November is `schedule:NAME@2026-11-30T07:00:00Z` (UTC, so the
clocks going back never make two fires one key, or one fire two keys). Before sending,
the ledger says whether that key is new, unfinished (rows still to send: pending, cut
off by a crash, or of unknown outcome unless those are held) or done; a repeated fire or a restart finds it done and sends nothing. A run by hand
(`digest schedules run`) is keyed by its date instead: `schedule:NAME@2026-11-30`.

Every function takes `now`, so tests drive them with any clock and never sleep.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from digest import fmt
from digest.content.usable import aside_lines, load_usable
from digest.db import explain, open_db
from digest.delivery import ledger
from digest.errors import DigestError
from digest.fmt import LONDON
from digest.schedules.files import Schedule
from digest.schedules.kinds import KINDS
from digest.schedules.triggers import previous_fire, utc

if TYPE_CHECKING:  # sending renders: digest.delivery.send is imported when a fire sends, not before
    from digest.delivery.compose import Plan
    from digest.delivery.pacing import Policy
    from digest.delivery.send import Summary
    from digest.delivery.transports.base import Transport
    from digest.delivery.trial import Intended
    from digest.settings import Settings


class Stopped(Exception):
    """Raised between two messages when the scheduler is asked to stop."""


@dataclass
class Outcome:
    schedule: str
    key: str
    when: str
    result: (
        str  # sent | incomplete | skipped | already sent | missed | stopped | failed | dry run | done (bounces read)
    )
    detail: str = ""
    summary: Summary | None = None
    intended: list[Intended] = field(default_factory=list)
    report: list[str] = field(default_factory=list)  # a dry run's editions and total (delivery.trial.report)
    catch_up: bool = False
    note: str = ""  # why it ran when it did, for the log: "waited for the last run"
    aside: list[str] = field(default_factory=list)  # forum files that did not load, logged loudly at each fire

    @property
    def ok(self) -> bool:
        return self.result not in ("incomplete", "failed")

    @property
    def retry(self) -> bool:
        """Worth another try while the grace lasts: the server was down, the content is being
        fixed, an answer was lost (unless unknown messages are held). Not for messages
        refused for good: a retry sends none."""
        s = self.summary
        left = s is not None and bool(s.deferred or s.stopped or (s.unknown and s.resend_unknown))
        return self.result == "failed" or (self.result == "incomplete" and left)

    def lines(self) -> list[str]:
        note = self.note or ("missed while stopped" if self.catch_up else "")
        label = f" ({note})" if note else ""
        head = f"{self.schedule} @ {self.when}{label}: {self.result}" + (f": {self.detail}" if self.detail else "")
        body = self.summary.lines() if self.summary else self.report
        unknown = UNKNOWN_RESENT if self.summary and self.summary.resend_unknown else UNKNOWN_HELD
        return [head] + [f"  {unknown if line.startswith('Outcome unknown means') else line}" for line in body]


UNKNOWN_RESENT = (
    "Outcome unknown means the message may have been delivered; the scheduler sends it again, with the same "
    "Message-ID, when it tries this fire again within its grace."
)
UNKNOWN_HELD = (
    "Outcome unknown means the message may have been delivered; held (--hold-unknown): check the mail server's log. "
    "A scheduler started without --hold-unknown sends them again while the fire's grace lasts."
)


def fire_key(name: str, fire: datetime) -> str:
    return f"schedule:{name}@{fire.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def manual_key(name: str, day: date) -> str:
    return f"schedule:{name}@{day.isoformat()}"


def fire_of(key: str) -> datetime | None:
    """The fire time in a fire's key (None for a run by hand's key)."""
    try:
        return datetime.strptime(key.rsplit("@", 1)[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None


def state(conn: sqlite3.Connection, key: str, resend_unknown: bool = True) -> str:
    """'new' (no rows), 'unfinished' (rows a rerun sends: pending, sending, handed, and
    unknown unless held) or 'done'."""
    counts = ledger.counts(conn, key)
    if not sum(counts.values()):
        return "new"
    return "unfinished" if any(counts[s] for s in ledger.unfinished_states(resend_unknown)) else "done"


def fires_in_ledger(
    conn: sqlite3.Connection, name: str, unfinished: bool = False, resend_unknown: bool = True
) -> list[datetime]:
    """Fire times (UTC) of this schedule with ledger rows (only those a rerun would send, if asked)."""
    fires = (fire_of(k) for k in ledger.keys(conn, f"schedule:{name}@", unfinished, resend_unknown))
    return sorted(f for f in fires if f is not None)


def sending_settings(settings: Settings, schedule: Schedule) -> Settings:
    """The schedule's transport, if it names one, over delivery.transport."""
    if not schedule.spec.transport:
        return settings
    return settings.model_copy(
        update={"delivery": settings.delivery.model_copy(update={"transport": schedule.spec.transport})}
    )


def run_fire(
    settings: Settings,
    schedule: Schedule,
    fire: datetime,
    now: datetime,
    *,
    transport: Transport | None = None,
    policy: Policy | None = None,
    stopping: threading.Event | None = None,
    catch_up: bool = False,
    note: str = "",
) -> Outcome:
    """Send one fire of a schedule, unless it is done, too late, a holiday or has nothing new."""
    key, when = fire_key(schedule.name, fire), fmt.moment(fire)
    late = utc(now) - utc(fire)
    if late > schedule.grace:
        detail = f"{fmt.ago(late)} late, outside the grace of {fmt.duration(schedule.grace)}; not sent"
        return Outcome(schedule.name, key, when, "missed", detail, catch_up=catch_up, note=note)
    out = _run(settings, schedule, fire.astimezone(LONDON).date(), key, when, transport, policy, stopping, False)
    out.catch_up, out.note = catch_up, note
    return out


def fire_state(settings: Settings, name: str, fire: datetime) -> str:
    """A fire's state in the ledger: 'new', 'unfinished' or 'done' (see `state`)."""
    conn = open_db(settings)
    try:
        return state(conn, fire_key(name, fire), not settings.delivery.hold_unknown)
    finally:
        conn.close()


def run_now(
    settings: Settings, schedule: Schedule, as_of: date, *, dry_run: bool = False, transport: Transport | None = None
) -> Outcome:
    """`digest schedules run`: the schedule as of a date, now; a second run that day finishes the first."""
    key = manual_key(schedule.name, as_of)
    return _run(settings, schedule, as_of, key, f"{as_of} (run by hand)", transport, None, None, dry_run)


def _run(
    settings: Settings,
    schedule: Schedule,
    as_of: date,
    key: str,
    when: str,
    transport: Transport | None,
    policy: Policy | None,
    stopping: threading.Event | None,
    dry_run: bool,
) -> Outcome:
    def outcome(result: str, detail: str = "", **kw: Any) -> Outcome:
        return Outcome(schedule.name, key, when, result, detail, **kw)

    from digest.delivery.send import send_plan
    from digest.delivery.trial import intended, report

    if (act := KINDS[schedule.kind].act) is not None:  # it sends nothing: no ledger key, idempotent on its own
        if dry_run:
            return outcome("dry run", KINDS[schedule.kind].describe(schedule.options))
        try:
            return outcome("done", report=act(settings, schedule))
        except DigestError as exc:
            return outcome("failed", exc.format_message().replace("\n", "; "))
    settings = sending_settings(settings, schedule)
    aside: list[str] = []
    try:
        plan, why = _plan(settings, schedule, as_of, key, aside)
        if plan is None:
            return outcome(*why, aside=aside)
        if dry_run:
            planned = list(intended(settings, plan))
            who = site_audience(plan, schedule)
            return outcome("dry run", f"to {who}", intended=planned, report=report(plan, planned), aside=aside)
        if stopping is not None and stopping.is_set():
            return outcome("stopped", "the scheduler is stopping; not started")
        summary = send_plan(settings, plan, transport=transport, policy=policy, progress=_stop_check(stopping))
    except Stopped:
        conn = open_db(settings)
        try:
            counts = ledger.counts(conn, key)
        finally:
            conn.close()
        return outcome("stopped", f"asked to stop between messages: {counts['sent']} sent, {counts['pending']} to go")
    except DigestError as exc:
        return outcome("failed", exc.format_message().replace("\n", "; "), aside=aside)
    except sqlite3.Error as exc:  # a damaged or unwritable database is the operator's to fix, not a crash
        explained = explain(exc)
        if explained is None:
            raise
        return outcome("failed", explained.message)
    return outcome("sent" if summary.ok else "incomplete", summary=summary, aside=aside)


def site_audience(plan: Plan, schedule: Schedule) -> str:
    """The schedule's audience in words: 'everyone', 'Swale', 'not Medway'."""
    return plan.site.taxonomy.describe(schedule.rule) or "everyone"


def _plan(
    settings: Settings, schedule: Schedule, as_of: date, key: str, aside: list[str]
) -> tuple[Plan | None, tuple[str, str]]:
    """The plan to send, or None and (result, why not); aside gets the lines about each forum
    file that did not load (the others are sent all the same)."""
    conn = open_db(settings)
    try:
        status = state(conn, key, not settings.delivery.hold_unknown)
        if status == "done":
            return None, ("already sent", f"{key} is done in the ledger")
        kind = KINDS[schedule.kind]
        if status == "new":  # skip rules decide whether to start; a started send is finished
            if holiday := schedule.holiday_on(as_of):
                return None, ("skipped", f"{as_of} is in {holiday.label()}")
            if schedule.beyond_term_dates(as_of):
                aside.append(
                    f"{as_of} is past the last term in content/terms.yaml ({schedule.term_dates_end}): not known"
                    " to be a school holiday, so this run goes ahead; add the next school year's term dates"
                )
            if schedule.spec.skip.nothing_new and (why := kind.nothing_new(conn, schedule, key)):
                return None, ("skipped", why)
        site = load_usable(settings)
        aside += aside_lines(site, but=getattr(schedule.options, "forum", None))
        plan = kind.plan(settings, site, schedule, as_of, key)
        plan.start(conn)
        if status == "new" and not plan.prepared:
            return None, (
                "skipped",
                f"nothing for anyone: {kind.describe(schedule.options)} from {as_of}, no reader has any",
            )
        return plan, ("", "")
    finally:
        conn.close()


def _stop_check(stopping: threading.Event | None) -> Any:
    if stopping is None:
        return None

    def check(done: int, total: int, sent: int) -> None:
        if stopping.is_set():
            raise Stopped

    return check


def catch_up(settings: Settings, schedules: list[Schedule], now: datetime, **kw: Any) -> list[Outcome]:
    """At start: finish unfinished fires and run the latest fire missed while stopped, each
    only within its schedule's grace (outside it, an Outcome 'missed' says so)."""
    todo: list[tuple[Schedule, datetime]] = []
    conn = open_db(settings)
    try:
        for schedule in schedules:
            if schedule.spec.paused:
                continue
            resend = not settings.delivery.hold_unknown
            unfinished = fires_in_ledger(conn, schedule.name, unfinished=True, resend_unknown=resend)
            todo += [(schedule, f) for f in unfinished]
            last = previous_fire(schedule.trigger(), now)
            if last is None or utc(last) in unfinished or state(conn, fire_key(schedule.name, last), resend) != "new":
                continue
            if any(f > utc(last) for f in fires_in_ledger(conn, schedule.name)):
                continue  # a later fire went out (the trigger was changed): this one is superseded
            todo.append((schedule, last))
    finally:
        conn.close()
    return [run_fire(settings, s, f, now, catch_up=True, **kw) for s, f in todo]
