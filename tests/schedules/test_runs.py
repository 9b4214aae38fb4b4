"""Fires, catch-up after downtime and never sending twice, with an injected clock (no sleeping)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support import FIXTURE_DAY
from support.delivery import FORUM, add_readers, many_readers
from support.schedules import POST_FORUM, WEEKLY, received, schedules, write_schedule

from digest.delivery.pacing import Policy
from digest.delivery.send import send_edition
from digest.delivery.transports.base import OutcomeUnknown, nothing
from digest.delivery.transports.outbox import Outbox
from digest.fmt import LONDON
from digest.schedules.runs import catch_up, fire_key, run_fire, sending_settings
from digest.settings import load_settings

MONDAY = datetime(2025, 9, 15, 7, tzinfo=LONDON)  # Swale gets the surgery and the training, Dover the training
POST = datetime(2025, 7, 11, 16, tzinfo=LONDON)
MINUTE = timedelta(minutes=1)


def keys(site_dir: Path) -> dict[str, dict[str, int]]:
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    try:
        out: dict[str, dict[str, int]] = {}
        for key, state, n in conn.execute("SELECT edition_key, state, COUNT(*) FROM deliveries GROUP BY 1, 2"):
            out.setdefault(key, {})[state] = n
        return out
    finally:
        conn.close()


class StopAfter(Outbox):
    """The outbox, with the scheduler asked to stop after n messages (SIGTERM mid-send)."""

    def __init__(self, folder: Path, n: int, stopping: threading.Event) -> None:
        super().__init__(folder)
        self.n, self.stopping = n, stopping

    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        receipt = super().send(sender, recipients, message, handing_over)
        self.n -= 1
        if self.n == 0:
            self.stopping.set()
        return receipt


def test_a_fire_sends_once_and_the_same_fire_again_sends_nothing(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    settings, weekly = load_settings(site_dir), schedules(site_dir)["weekly"]
    first = run_fire(settings, weekly, MONDAY, MONDAY + timedelta(seconds=2))
    assert first.key == "schedule:weekly@2025-09-15T06:00:00Z"  # 07:00 BST
    assert first.lines() == [
        "weekly @ Mon 15 September 2025 07:00 BST: sent",
        "  schedule:weekly@2025-09-15T06:00:00Z: 3 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown",
    ]
    again = run_fire(settings, weekly, MONDAY, MONDAY + 5 * MINUTE)
    assert again.lines() == [
        "weekly @ Mon 15 September 2025 07:00 BST: already sent: schedule:weekly@2025-09-15T06:00:00Z is done in the ledger"
    ]
    got = received(site_dir)
    assert sorted(to for to, _, _ in got) == ["ana@example.org", "cat@example.org", "dev@example.org"]
    assert {subject for _, subject, _ in got} == {
        "Dates for your diary: 2 dates in the next 7 days",
        "Dates for your diary: 1 date in the next 7 days",
    }


def test_down_across_a_fire_it_is_caught_up_once_within_the_grace(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    settings, weekly = load_settings(site_dir), schedules(site_dir)["weekly"]
    back = MONDAY + 40 * MINUTE  # grace 1h
    [outcome] = catch_up(settings, [weekly], back)
    assert outcome.lines()[0] == "weekly @ Mon 15 September 2025 07:00 BST (missed while stopped): sent"
    assert catch_up(settings, [weekly], back + 10 * MINUTE) == []  # restarted again: nothing to do
    assert run_fire(settings, weekly, MONDAY, back).result == "already sent"
    assert keys(site_dir) == {"schedule:weekly@2025-09-15T06:00:00Z": {"sent": 3}}
    assert len(received(site_dir)) == 3


def test_down_past_the_grace_nothing_is_sent_and_the_log_says_so(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    settings, weekly = load_settings(site_dir), schedules(site_dir)["weekly"]
    [outcome] = catch_up(settings, [weekly], MONDAY + timedelta(hours=1, seconds=1))
    assert outcome.lines() == [
        "weekly @ Mon 15 September 2025 07:00 BST (missed while stopped): missed: 1h late, outside the grace of 1h; not sent"
    ]
    assert received(site_dir) == [] and keys(site_dir) == {}


def test_down_for_days_only_the_latest_fire_is_caught_up(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY.replace("day_of_week: mon, ", "").replace("grace: 1h", "grace: 3d"))
    settings, daily = load_settings(site_dir), schedules(site_dir)["weekly"]
    outcomes = catch_up(settings, [daily], MONDAY + timedelta(days=3, hours=3))  # down Monday to Thursday 10:00
    assert [o.lines()[0] for o in outcomes] == ["weekly @ Thu 18 September 2025 07:00 BST (missed while stopped): sent"]
    assert list(keys(site_dir)) == ["schedule:weekly@2025-09-18T06:00:00Z"]


def test_across_the_clock_change_catch_up_measures_lateness_in_real_time(site_dir: Path) -> None:
    """Down over the night the clocks go back: 01:30 BST to 01:45 GMT is 1h15m, not 15 minutes."""
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY.replace("day_of_week: mon, hour: 7, minute: 0", "hour: 1, minute: 30"))
    settings, nightly = load_settings(site_dir), schedules(site_dir)["weekly"]
    back = datetime(2025, 10, 26, 1, 45, tzinfo=LONDON, fold=1)
    [outcome] = catch_up(settings, [nightly], back)
    assert outcome.lines()[0] == (
        "weekly @ Sun 26 October 2025 01:30 BST (missed while stopped): missed: 1h15m late, outside the grace of 1h; not sent"
    )


def test_an_interrupted_fire_is_finished_at_start_and_nobody_gets_it_twice(site_dir: Path) -> None:
    readers = many_readers(12)
    add_readers(site_dir, readers)
    write_schedule(site_dir, POST_FORUM)
    settings, post = load_settings(site_dir), schedules(site_dir)["post-forum"]
    stopping = threading.Event()
    outbox = StopAfter(site_dir / "var" / "outbox", 4, stopping)
    stopped = run_fire(settings, post, POST, POST + MINUTE, transport=outbox, stopping=stopping)
    assert stopped.lines() == [
        "post-forum @ Fri 11 July 2025 16:00 BST: stopped: asked to stop between messages: 4 sent, 8 to go"
    ]
    [resumed] = catch_up(settings, [post], POST + timedelta(hours=5))
    assert resumed.lines()[1] == (
        "  schedule:post-forum@2025-07-11T15:00:00Z: 8 sent, 4 already sent (skipped), 0 failed permanently, 0 outcome unknown"
    )
    got = received(site_dir)
    assert sorted(to for to, _, _ in got) == sorted(r[0] for r in readers)  # each reader once
    assert len({mid for _, _, mid in got}) == 12
    assert all(re.fullmatch(r"Test SENCO Forum: \d+ answers for you", subject) for _, subject, _ in got)


class NoAnswer(Outbox):
    """The outbox, but the answer for one reader never comes back (OutcomeUnknown) n times."""

    def __init__(self, folder: Path, reader: str, n: int) -> None:
        super().__init__(folder)
        self.reader, self.n = reader, n

    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        if recipients[0] == self.reader and self.n > 0:
            self.n -= 1
            handing_over()
            raise OutcomeUnknown("no reply from the server after the message was sent")
        return super().send(sender, recipients, message, handing_over)


@pytest.mark.parametrize("hold_unknown", [False, True])
def test_a_fire_with_an_unknown_outcome_is_tried_again_and_finished_unless_held(
    site_dir: Path, hold_unknown: bool
) -> None:
    """Nobody is there to run a flag under the scheduler: an unknown message is sent again
    by the fire's retry and by catch-up at start, unless unknown messages are held."""
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY.replace("grace: 1h", "grace: 4h"))
    settings = load_settings(site_dir, overrides={"delivery.hold_unknown": hold_unknown})
    weekly = schedules(site_dir)["weekly"]
    folder = site_dir / "var" / "outbox"
    tries = Policy(max_attempts=2, sleep=lambda s: None)
    first = run_fire(settings, weekly, MONDAY, MONDAY, transport=NoAnswer(folder, "dev@example.org", 5), policy=tries)
    assert first.result == "incomplete" and first.summary.unknown == 1
    assert first.retry is not hold_unknown
    assert any(("sends it again" in line) is not hold_unknown for line in first.lines())
    restart = catch_up(settings, [weekly], MONDAY + timedelta(hours=1))  # the scheduler restarted
    if hold_unknown:
        assert restart == []  # held: the fire counts as done
        assert sorted(to for to, _, _ in received(site_dir)) == ["ana@example.org", "cat@example.org"]
    else:
        assert [(o.result, o.summary.sent) for o in restart] == [("sent", 1)]
        assert sorted(to for to, _, _ in received(site_dir)) == [
            "ana@example.org",
            "cat@example.org",
            "dev@example.org",
        ]


def test_an_interrupted_fire_past_its_grace_is_left_and_said(site_dir: Path) -> None:
    add_readers(site_dir, many_readers(6))
    write_schedule(site_dir, POST_FORUM)
    settings, post = load_settings(site_dir), schedules(site_dir)["post-forum"]
    stopping = threading.Event()
    run_fire(
        settings, post, POST, POST, transport=StopAfter(site_dir / "var" / "outbox", 2, stopping), stopping=stopping
    )
    [outcome] = catch_up(settings, [post], POST + timedelta(days=1, minutes=1))
    assert outcome.result == "missed" and "outside the grace of 1d" in outcome.detail
    assert keys(site_dir) == {"schedule:post-forum@2025-07-11T15:00:00Z": {"sent": 2, "pending": 4}}


def test_a_changed_trigger_does_not_resend_what_a_later_fire_sent(site_dir: Path) -> None:
    add_readers(site_dir)
    path = write_schedule(site_dir, WEEKLY.replace("grace: 1h", "grace: 4h"))
    settings = load_settings(site_dir)
    run_fire(settings, schedules(site_dir)["weekly"], MONDAY, MONDAY)
    path.write_text(path.read_text().replace("hour: 7", "hour: 6"))  # the organiser moves it to 06:00 at 09:00
    assert catch_up(settings, list(schedules(site_dir).values()), MONDAY + timedelta(hours=2)) == []
    assert len(received(site_dir)) == 3


def test_holidays_and_nothing_new_skip_a_fire_and_say_why(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY + "    skip: {holidays: [{name: INSET week, from: 2025-09-13, to: 2025-09-21}]}\n")
    write_schedule(site_dir, POST_FORUM)
    settings, found = load_settings(site_dir), schedules(site_dir)
    assert run_fire(settings, found["weekly"], MONDAY, MONDAY).lines() == [
        "weekly @ Mon 15 September 2025 07:00 BST: skipped: 2025-09-15 is in INSET week"
    ]
    send_edition(settings, FORUM, as_of=FIXTURE_DAY)  # an organiser sent the forum's digest by hand first
    assert run_fire(settings, found["post-forum"], POST, POST).lines() == [
        "post-forum @ Fri 11 July 2025 16:00 BST: skipped: nothing new: the 2025-07-test digest was already sent "
        "(forum:2025-07-test@send-1)"
    ]
    assert len(received(site_dir)) == 5
    write_schedule(site_dir, POST_FORUM + "    skip: {nothing_new: false}\n")
    assert run_fire(settings, schedules(site_dir)["post-forum"], POST, POST).result == "sent"
    assert len(received(site_dir)) == 10


def test_paused_schedules_are_not_caught_up(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY + "    paused: true\n")
    settings = load_settings(site_dir)
    assert catch_up(settings, list(schedules(site_dir).values()), MONDAY + MINUTE) == []
    assert received(site_dir) == []


def test_a_fire_that_cannot_load_the_content_fails_plainly_and_asks_for_a_retry(site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    settings, weekly = load_settings(site_dir), schedules(site_dir)["weekly"]
    events = site_dir / "content" / "events.yaml"
    events.write_text(events.read_text().replace("kind: training", "kind: trainign"))
    outcome = run_fire(settings, weekly, MONDAY, MONDAY)
    assert (outcome.result, outcome.ok, outcome.retry) == ("failed", False, True)
    assert "content/events.yaml:4:11: events[0].kind: 'trainign' is not allowed here" in outcome.detail
    assert "1 error in content" in outcome.detail


def test_a_schedules_transport_overrides_the_setting(site_dir: Path) -> None:
    write_schedule(site_dir, WEEKLY + "    transport: smtp\n")
    settings = load_settings(site_dir)
    assert sending_settings(settings, schedules(site_dir)["weekly"]).delivery.transport == "smtp"
    assert settings.delivery.transport == "outbox"


def test_fire_keys_are_utc_so_the_clock_change_never_merges_or_splits_a_fire() -> None:
    bst = datetime(2025, 10, 26, 1, 30, tzinfo=LONDON)
    gmt = datetime(2025, 10, 26, 1, 30, tzinfo=LONDON, fold=1)
    assert (fire_key("n", bst), fire_key("n", gmt)) == (
        "schedule:n@2025-10-26T00:30:00Z",
        "schedule:n@2025-10-26T01:30:00Z",
    )


FOLLOW_UP = """\
    name: answers
    trigger:
      cron: {day_of_week: fri, hour: 16, minute: 0}
    send:
      kind: follow-up
      forum: 2025-07-test
    audience:
      districts: [Swale, Medway]
    subject: "{{ count }} answer{{ 's' if count != 1 }} from the {{ forum.title }}"
    grace: 2h
"""
FRIDAY = datetime(2025, 8, 1, 16, tzinfo=LONDON)


def test_a_follow_up_schedule_sends_each_waiting_reader_the_answer_once(site_dir: Path) -> None:
    from demo.answer import answer

    add_readers(site_dir)
    settings = load_settings(site_dir)
    send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    write_schedule(site_dir, FOLLOW_UP)
    found = schedules(site_dir)
    quiet = run_fire(settings, found["answers"], FRIDAY - timedelta(days=7), FRIDAY - timedelta(days=7))
    assert quiet.lines() == [
        "answers @ Fri 25 July 2025 16:00 BST: skipped: nothing for anyone: the 2025-07-test follow-ups (answers "
        "readers were waiting for) from 2025-07-25, no reader has any"
    ]
    forum = site_dir / "content" / "forums" / "2025-07-test.yaml"
    forum.write_text(answer(forum.read_text(), "pt-summer", "Yes: the six weeks stop over the summer holidays."))
    before = len(received(site_dir))
    first = run_fire(settings, found["answers"], FRIDAY, FRIDAY + MINUTE)
    assert first.result == "sent", first.lines()
    got = received(site_dir)[before:]
    assert sorted(to for to, _, _ in got) == ["ana@example.org", "ben@example.org", "cat@example.org"]  # the audience
    assert {subject for _, subject, _ in got} == {"1 answer from the Test SENCO Forum"}
    assert run_fire(settings, found["answers"], FRIDAY, FRIDAY + MINUTE).result == "already sent"
    week = FRIDAY + timedelta(days=7)
    assert run_fire(settings, found["answers"], week, week).result == "skipped"  # they have it: nothing new
    assert len(received(site_dir)) == before + 3


def test_a_fire_past_the_term_dates_goes_ahead_and_says_the_dates_run_out(site_dir: Path) -> None:
    """school_holidays with no term dates for the day: not known to be a holiday, so the run
    is not dropped on a guess, and its log says which file to extend."""
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY + "    skip: {school_holidays: true}\n")
    (site_dir / "content" / "terms.yaml").write_text(
        "terms:\n  - {year: 2025-26, term: 1, start: 2025-09-01, end: 2025-09-12}\n"
    )
    settings = load_settings(site_dir)
    out = run_fire(settings, schedules(site_dir)["weekly"], MONDAY, MONDAY + MINUTE)
    assert out.result == "sent", out.lines()
    assert any("past the last term in content/terms.yaml (2025-09-12)" in line for line in out.aside), out.aside
