"""When schedules fire: Europe/London triggers for APScheduler, and their fire times.

- `LondonCron`: APScheduler's CronTrigger in Europe/London, fixed to fire once per
  wall-clock time. APScheduler 3.11 fires a time in the hour repeated when the clocks go
  back (01:00 to 02:00 on the last Sunday of October) twice, at 01:30 BST and again at
  01:30 GMT; the second is dropped here. A time in the hour skipped when the clocks go
  forward (last Sunday of March) does not exist; APScheduler fires it at the same instant
  as if the clocks had not moved, which the clock shows as an hour later (01:30 -> 02:30
  BST). Times come back normalised, so that is what they read.
- `DatesTrigger`: given dates and times.
- `previous_fire` and `next_fires`: the fire times before and after a moment, for
  catch-up after downtime and for `digest schedules`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from digest import fmt
from digest.fmt import LONDON


def repeated(dt: datetime) -> bool:
    """dt is the second time its wall-clock time happens (the hour repeated in October)."""
    if not dt.fold:
        return False
    first = dt.replace(fold=0)
    same_wall = first.astimezone(UTC).astimezone(dt.tzinfo).replace(tzinfo=None) == dt.replace(tzinfo=None)
    return same_wall and first.utcoffset() != dt.utcoffset()


def utc(dt: datetime) -> datetime:
    """Compare and subtract fire times in UTC: Python compares two datetimes with the same
    tzinfo by their wall-clock times, so 01:30 BST and 01:30 GMT would count as equal."""
    return dt.astimezone(UTC)


class LondonCron(CronTrigger):
    """CronTrigger in Europe/London that fires once per wall-clock time.

    APScheduler 3.11 fires a time in the repeated hour twice (BST, then GMT); the second is
    skipped here. Times come back normalised, so one in the skipped hour reads 02:30 BST.
    """

    def __init__(self, **fields: str) -> None:
        super().__init__(timezone=LONDON, **fields)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        nxt = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(10_000):
            late = previous_fire_time is not None and nxt is not None and utc(nxt) <= utc(previous_fire_time)
            if nxt is None or not (repeated(nxt) or late):
                return None if nxt is None else nxt.astimezone(UTC).astimezone(LONDON)
            step = nxt.astimezone(UTC) + timedelta(seconds=1)
            nxt = super().get_next_fire_time(None, step.astimezone(LONDON))
        raise RuntimeError(f"{self}: no next fire time after {now}")


class DatesTrigger(BaseTrigger):
    """Given dates and times; with no previous fire, only those from now on."""

    def __init__(self, dates: list[datetime]) -> None:
        self.dates = sorted({d.astimezone(UTC) for d in dates})

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        for d in self.dates:
            if (d > previous_fire_time) if previous_fire_time is not None else (d >= now):
                return d.astimezone(LONDON)
        return None

    def __str__(self) -> str:
        return "dates[" + ", ".join(fmt.moment(d) for d in self.dates) + "]"


_WINDOWS = [timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(days=8)]
_WINDOWS += [timedelta(days=32), timedelta(days=367), timedelta(days=4 * 366 + 1), timedelta(days=30 * 366)]


def previous_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The latest fire time at or before now."""
    now = utc(now)
    if isinstance(trigger, DatesTrigger):
        return max((d.astimezone(LONDON) for d in trigger.dates if d <= now), default=None)
    for window in _WINDOWS:  # widening look-backs: a per-second schedule is found at once, a yearly one too
        last, fire = None, trigger.get_next_fire_time(None, (now - window).astimezone(LONDON))
        while fire is not None and utc(fire) <= now:
            last, fire = fire, trigger.get_next_fire_time(fire, fire)
        if last is not None:
            return last
    return None


def next_fires(trigger: BaseTrigger, after: datetime, n: int = 3) -> list[datetime]:
    out: list[datetime] = []
    fire = trigger.get_next_fire_time(None, after)
    while fire is not None and len(out) < n:
        out.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return out
