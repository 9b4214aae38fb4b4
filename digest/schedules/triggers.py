"""When schedules fire: Europe/London triggers for APScheduler, and their fire times.

- `LondonCron`: cron fields in Europe/London, firing once per wall-clock time. A time in
  the hour repeated when the clocks go back (01:00 to 02:00 on the last Sunday of
  October) runs once, at its first occurrence (APScheduler 3.11's CronTrigger runs it
  twice, at 01:30 BST and again at 01:30 GMT). A time in the hour skipped when the
  clocks go forward (last Sunday of March) does not exist; it runs at the same instant as
  if the clocks had not moved, which the clock shows as an hour later (01:30 -> 02:30
  BST), and so does every other time in that hour (01:15, 01:30 and 01:45 run at 02:15,
  02:30 and 02:45 BST). Times come back normalised, so that is what they read.
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

    The cron fields are matched against the wall clock by a second CronTrigger in UTC,
    which has no clock changes, so each matching wall-clock time is found exactly once
    and in order. Each is then placed in Europe/London: a time in the repeated hour at
    its first occurrence (APScheduler 3.11 would fire it twice, BST then GMT), a time in
    the skipped hour at the instant it would have been had the clocks not moved, which
    the clock shows an hour later (01:30 -> 02:30 BST). APScheduler's own trigger,
    asked for the fire after 02:15 BST, searches the wall clock from 02:15 and so loses
    01:30 and 01:45 when all three are in the skipped hour. Fires are the instants in
    increasing order; two wall-clock times at one instant (01:30 moved to 02:30 BST, and
    02:30 BST itself) fire once. Times come back normalised.
    """

    def __init__(self, **fields: str) -> None:
        super().__init__(timezone=LONDON, **fields)
        self.wall = CronTrigger(timezone=UTC, **fields)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The earliest fire strictly after previous_fire_time, or at or after now with none.

        A wall-clock time w (the UTC trigger's times, read as wall-clock) fires at w less
        its offset, 0 or 1 hour, and the offset is the same for a whole hour of wall-clock
        time. So within an hour the fires keep the wall clock's order, and one wall-clock
        time that fires at or after `best` leaves nothing earlier in its hour; a later
        hour can only beat it while its wall-clock times are under best + 1h."""
        after = utc(previous_fire_time) if previous_fire_time is not None else utc(now) - timedelta(microseconds=1)
        best: datetime | None = None
        try:
            wall = self._wall_after(after)
            while wall is not None and (best is None or wall < best + timedelta(hours=1)):
                here = wall.replace(
                    tzinfo=LONDON, fold=0
                )  # fold=0: the first of a repeated time; a skipped one as if not
                instant, offset = here.astimezone(UTC), here.utcoffset() or timedelta(0)
                if instant > after:
                    best = instant if best is None else min(best, instant)
                    nxt = (
                        wall.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1) - timedelta(microseconds=1)
                    )
                else:  # fired already: the next that can fire after `after` is on the wall clock after after + offset
                    nxt = max(wall, after + offset)
                wall = self._wall_after(nxt)
        except OverflowError:  # the wall clock ran past the year 9999
            pass
        return None if best is None else best.astimezone(LONDON)

    def _wall_after(self, moment: datetime) -> datetime | None:
        """The first wall-clock time strictly after moment's numbers (read as wall-clock time)."""
        return self.wall.get_next_fire_time(None, moment.replace(tzinfo=UTC) + timedelta(microseconds=1))


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
