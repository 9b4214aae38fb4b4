"""Fire times across the Europe/London clock changes, by iterating the triggers (never real time).

The clocks go forward at 01:00 GMT on the last Sunday of March (01:00 to 02:00 does not
exist) and back at 02:00 BST on the last Sunday of October (01:00 to 02:00 happens twice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from digest.fmt import LONDON
from digest.fmt import moment as fmt_fire
from digest.schedules.runs import fire_key
from digest.schedules.triggers import DatesTrigger, LondonCron, next_fires, previous_fire

SPRING = [date(2026, 3, 29), date(2027, 3, 28), date(2028, 3, 26)]
AUTUMN = [date(2026, 10, 25), date(2027, 10, 31), date(2028, 10, 29)]


def london(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=LONDON, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def simulate(trigger, start: datetime, end: datetime, step: timedelta = timedelta(minutes=1)) -> list[datetime]:
    """What APScheduler's loop does: a clock ticking (in UTC, as real time does) from start to
    end, running each due fire (next_run_time <= now), then asking for the next one after it."""
    fired, now, end = [], start.astimezone(UTC), end.astimezone(UTC)
    nxt = trigger.get_next_fire_time(None, now.astimezone(LONDON))
    while now <= end:
        while nxt is not None and nxt.astimezone(UTC) <= now:
            fired.append(nxt)
            nxt = trigger.get_next_fire_time(nxt, now.astimezone(LONDON))
        now += step
    return fired


def test_the_clock_changes_are_where_the_tests_expect() -> None:
    for day in SPRING + AUTUMN:
        assert day.weekday() == 6 and (day + timedelta(days=7)).month != day.month  # last Sundays
        before = datetime.combine(day, datetime.min.time(), LONDON)
        assert before.utcoffset() != (before + timedelta(days=1)).utcoffset()


def test_monday_seven_oclock_fires_once_every_week_across_both_clock_changes() -> None:
    trigger = LondonCron(day_of_week="mon", hour="7", minute="0")
    fires = next_fires(trigger, london(2026, 1, 1), 52 * 3)
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(52 * 3)]
    assert [f.date() for f in fires] == mondays
    assert all((f.hour, f.minute, f.second) == (7, 0, 0) for f in fires)
    assert len({fire_key("weekly", f) for f in fires}) == len(fires)
    # the instant moves with the clocks: 07:00 GMT is 07:00 UTC, 07:00 BST is 06:00 UTC
    for sunday in SPRING:
        week_before, week_after = (
            f for f in fires if f.date() in (sunday - timedelta(days=6), sunday + timedelta(days=1))
        )
        assert (week_before.astimezone(UTC).hour, fmt_fire(week_before)[-3:]) == (7, "GMT")
        assert (week_after.astimezone(UTC).hour, fmt_fire(week_after)[-3:]) == (6, "BST")
    for sunday in AUTUMN:
        week_before, week_after = (
            f for f in fires if f.date() in (sunday - timedelta(days=6), sunday + timedelta(days=1))
        )
        assert week_before.astimezone(UTC).hour == 6 and week_after.astimezone(UTC).hour == 7


@pytest.mark.parametrize("sunday", SPRING + AUTUMN)
def test_a_running_scheduler_fires_monday_at_seven_once_around_each_change(sunday: date) -> None:
    trigger = LondonCron(day_of_week="mon", hour="7", minute="0")
    start = datetime.combine(sunday - timedelta(days=8), datetime.min.time(), LONDON)
    fired = simulate(trigger, start, start + timedelta(days=17))
    assert [fmt_fire(f)[:-4] for f in fired] == [
        f"Mon {d.day} {d:%B %Y} 07:00"
        for d in (sunday - timedelta(days=6), sunday + timedelta(days=1), sunday + timedelta(days=8))
    ]


def test_a_time_in_the_skipped_hour_runs_once_an_hour_later_on_the_clock() -> None:
    """01:30 does not exist on 29 March 2026: it runs at 01:30 UTC, which the clock shows as 02:30 BST."""
    trigger = LondonCron(hour="1", minute="30")
    fired = simulate(trigger, london(2026, 3, 27, 12), london(2026, 3, 31, 12))
    assert [fmt_fire(f) for f in fired] == [
        "Sat 28 March 2026 01:30 GMT",
        "Sun 29 March 2026 02:30 BST",
        "Mon 30 March 2026 01:30 BST",
        "Tue 31 March 2026 01:30 BST",
    ]
    assert fired[1].astimezone(UTC) == utc(2026, 3, 29, 1, 30)


def test_several_times_in_the_skipped_hour_each_run_an_hour_later() -> None:
    """01:15, 01:30 and 01:45 do not exist on 29 March 2026: each runs, at 02:15, 02:30 and 02:45 BST."""
    trigger = LondonCron(hour="1", minute="15,30,45")
    fired = simulate(trigger, london(2026, 3, 28, 12), london(2026, 3, 30, 12))
    assert [fmt_fire(f) for f in fired] == [
        "Sun 29 March 2026 02:15 BST",
        "Sun 29 March 2026 02:30 BST",
        "Sun 29 March 2026 02:45 BST",
        "Mon 30 March 2026 01:15 BST",
        "Mon 30 March 2026 01:30 BST",
        "Mon 30 March 2026 01:45 BST",
    ]
    assert next_fires(trigger, london(2026, 3, 29), 3) == fired[:3]


def wall_clock_fires(minutes: set[int], hours: set[int], day: date) -> list[datetime]:
    """The documented rule, computed by brute force: every wall-clock minute of the day that
    matches, in Europe/London; one in the skipped hour at the instant the clock would have
    shown it (an hour later), one in the repeated hour at its first occurrence; an instant
    reached twice runs once."""
    out: set[datetime] = set()
    for n in range(24 * 60):
        wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=n)
        if wall.minute in minutes and wall.hour in hours:
            out.add(wall.replace(tzinfo=LONDON, fold=0).astimezone(UTC))
    return sorted(out)


@pytest.mark.parametrize("day", SPRING + AUTUMN)
@pytest.mark.parametrize(
    ("minutes", "hours"),
    [({15, 30, 45}, {1}), ({0, 20, 40}, {0, 1, 2}), ({5, 55}, {1, 2, 3}), ({30}, set(range(24))), ({59}, {0, 1})],
)
def test_every_wall_clock_time_of_a_clock_change_day_runs_once(minutes: set[int], hours: set[int], day: date) -> None:
    trigger = LondonCron(hour=",".join(map(str, sorted(hours))), minute=",".join(map(str, sorted(minutes))))
    start = datetime.combine(day, datetime.min.time(), LONDON)
    fired = simulate(trigger, start, start + timedelta(hours=25))
    assert [f.astimezone(UTC) for f in fired if f.date() == day] == wall_clock_fires(minutes, hours, day)


def test_a_time_in_the_repeated_hour_runs_once_at_its_first_occurrence() -> None:
    trigger = LondonCron(hour="1", minute="30")
    fired = simulate(trigger, london(2026, 10, 23, 12), london(2026, 10, 27, 12))
    assert [fmt_fire(f) for f in fired] == [
        "Sat 24 October 2026 01:30 BST",
        "Sun 25 October 2026 01:30 BST",  # 00:30 UTC; not again at 01:30 GMT
        "Mon 26 October 2026 01:30 GMT",
        "Tue 27 October 2026 01:30 GMT",
    ]


def test_apschedulers_own_cron_trigger_fires_the_repeated_hour_twice() -> None:
    """Why LondonCron exists: if this starts failing, APScheduler has changed its behaviour."""
    trigger = CronTrigger(hour="1", minute="30", timezone=LONDON)
    fired = simulate(trigger, london(2026, 10, 24, 12), london(2026, 10, 25, 12))
    assert [f.astimezone(UTC) for f in fired] == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)]


@pytest.mark.parametrize(
    ("fields", "start", "expected"),
    [
        # hourly at half past, over the night the clocks go forward: 01:30 never exists
        ({"minute": "30"}, london(2026, 3, 28, 23, 50), ["23:30 GMT", "00:30 GMT", "02:30 BST", "03:30 BST"]),
        # ... and the night they go back: each clock time once, 01:30 at its first occurrence
        ({"minute": "30"}, london(2026, 10, 24, 23, 50), ["23:30 BST", "00:30 BST", "01:30 BST", "02:30 GMT"]),
        # every 20 minutes through the repeated hour: no wall-clock time twice
        (
            {"minute": "*/20", "hour": "0-2"},
            london(2026, 10, 25, 0, 10),
            ["00:00 BST", "00:20 BST", "00:40 BST", "01:00 BST", "01:20 BST", "01:40 BST", "02:00 GMT", "02:20 GMT"],
        ),
    ],
)
def test_frequent_schedules_through_the_changes(fields: dict, start: datetime, expected: list[str]) -> None:
    trigger = LondonCron(**fields)
    fired = simulate(trigger, start - timedelta(hours=1), start + timedelta(hours=4))
    shown = [fmt_fire(f)[-9:] for f in fired if f.astimezone(UTC) >= start.astimezone(UTC) - timedelta(minutes=30)]
    assert shown[: len(expected)] == expected
    instants = [f.astimezone(UTC) for f in fired]
    assert instants == sorted(set(instants))  # strictly increasing: no instant fires twice


def test_given_dates_fire_once_each_and_the_repeated_hour_means_its_first_occurrence() -> None:
    trigger = DatesTrigger([london(2026, 10, 25, 1, 30), london(2025, 7, 11, 16), london(2026, 11, 30, 7)])
    # compared in UTC: Python never finds a time in the repeated hour equal to one in another zone
    assert trigger.get_next_fire_time(None, london(2026, 1, 1)).astimezone(UTC) == utc(2026, 10, 25, 0, 30)  # BST
    fired = simulate(trigger, london(2026, 10, 24), london(2026, 12, 1), timedelta(minutes=10))
    assert [fmt_fire(f) for f in fired] == ["Sun 25 October 2026 01:30 BST", "Mon 30 November 2026 07:00 GMT"]
    assert next_fires(trigger, london(2026, 12, 1)) == []


def test_previous_fire_finds_the_latest_fire_at_or_before_now() -> None:
    weekly = LondonCron(day_of_week="mon", hour="7", minute="0")
    assert previous_fire(weekly, london(2026, 11, 30, 7)) == london(2026, 11, 30, 7)
    assert previous_fire(weekly, london(2026, 11, 30, 6, 59)) == london(2026, 11, 23, 7)
    assert previous_fire(weekly, london(2026, 3, 29, 12)) == london(2026, 3, 23, 7)  # GMT, across the change
    every_second = LondonCron(second="*/2")
    assert previous_fire(every_second, london(2026, 11, 30, 7, 0, 3)) == london(2026, 11, 30, 7, 0, 2)
    yearly = LondonCron(month="2", day="29", hour="9", minute="0")
    assert previous_fire(yearly, london(2026, 11, 30)) == london(2024, 2, 29, 9)
    dates = DatesTrigger([london(2025, 7, 11, 16), london(2024, 3, 22, 16)])
    assert previous_fire(dates, london(2026, 1, 1)) == london(2025, 7, 11, 16)
    assert previous_fire(dates, london(2024, 1, 1)) is None
