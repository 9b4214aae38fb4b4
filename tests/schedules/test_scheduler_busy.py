"""`digest scheduler` under load: every event APScheduler sends is handled, and a fire that
cannot start because the last one is still sending waits for it, then goes out (coalesced
with any others that came due meanwhile, never lost without a word). Issue 19."""

from __future__ import annotations

import inspect
import logging
import re
import signal
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import apscheduler.events as ev
import pytest
from support.delivery import FaultyHandler, SMTPServer, add_readers, many_readers, parse
from support.schedules import WEEKLY, ledger, start, wait_for, write_schedule

from digest.fmt import LONDON
from digest.schedules import service as service_module
from digest.schedules.runs import fire_key
from digest.schedules.service import Service
from digest.settings import load_settings

MONDAY = datetime(2025, 9, 15, 7, tzinfo=LONDON)
pytestmark = pytest.mark.usefixtures("busy_cpus")  # every test here runs with both cores busy
WEEK = timedelta(days=7)


@pytest.fixture
def service(site_dir: Path):
    clock = {"now": MONDAY + timedelta(seconds=1)}
    svc = Service(lambda: load_settings(site_dir), clock=lambda: clock["now"])
    svc.settings = load_settings(site_dir)
    svc.sched = svc.scheduler()
    svc.sched.start(paused=True)
    svc.clock_value = clock  # type: ignore[attr-defined]
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    svc._install(svc._load(svc.settings), clock["now"])
    yield svc
    svc.sched.shutdown(wait=False)


def every_event() -> list[ev.SchedulerEvent]:
    """One event of each code in apscheduler.events, of the class APScheduler sends it as."""
    at = MONDAY
    submission = {ev.EVENT_JOB_SUBMITTED, ev.EVENT_JOB_MAX_INSTANCES}
    execution = {ev.EVENT_JOB_EXECUTED, ev.EVENT_JOB_ERROR, ev.EVENT_JOB_MISSED}
    job = {ev.EVENT_JOB_ADDED, ev.EVENT_JOB_REMOVED, ev.EVENT_JOB_MODIFIED}
    codes = {name: code for name, code in vars(ev).items() if name.startswith("EVENT_") and name != "EVENT_ALL"}
    assert len(set(codes.values())) == 17  # APScheduler 3.x's events: a new one would need a look
    out: list[ev.SchedulerEvent] = []
    for code in sorted(set(codes.values())):
        if code in submission:
            out.append(ev.JobSubmissionEvent(code, "weekly", "default", [at]))
        elif code in execution:
            exc = RuntimeError("a bug in digest") if code == ev.EVENT_JOB_ERROR else None
            out.append(ev.JobExecutionEvent(code, "weekly", "default", at, exception=exc))
        elif code in job:
            out.append(ev.JobEvent(code, "weekly", "default"))
        else:
            out.append(ev.SchedulerEvent(code, "default"))
    return out


def test_every_event_apscheduler_sends_is_handled_in_words(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    assert {cls for _, cls in inspect.getmembers(ev, inspect.isclass)} >= {
        ev.SchedulerEvent,
        ev.JobEvent,
        ev.JobSubmissionEvent,
        ev.JobExecutionEvent,
    }
    with caplog.at_level(logging.INFO, "digest.scheduler"):
        for event in every_event():
            service._event(event)  # the listener takes every code (EVENT_ALL) and raises for none
    when = "Mon 15 September 2025 07:00 BST"
    assert caplog.messages == [
        f"weekly: internal error in the run at {when}: RuntimeError: a bug in digest",
        f"weekly: the run at {when} was missed: it could not start within its grace of 1h (the machine was busy "
        "or asleep); not sent",
        f"weekly: the fire for {when} ({fire_key('weekly', MONDAY)}) could not start while the last run was still "
        "sending; that run has just ended, so it starts now",
    ]
    late = service.sched.get_job("late:weekly")  # nothing was running: it goes out at once
    assert late.args == ("weekly",) and late.kwargs == {"fire": MONDAY}


def test_fires_due_while_one_sends_wait_and_go_out_when_it_ends_coalesced(
    service: Service, site_dir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    sending, release = threading.Event(), threading.Event()
    real = service_module.run_fire

    def slow_first(settings, schedule, fire, now, **kw):
        if fire == MONDAY:
            sending.set()
            assert release.wait(30)
        return real(settings, schedule, fire, now, **kw)

    monkeypatch.setattr(service_module, "run_fire", slow_first)
    with caplog.at_level(logging.INFO, "digest.scheduler"):
        first = threading.Thread(target=service._fire, args=["weekly"], kwargs={"scheduled": MONDAY})
        first.start()
        assert sending.wait(30)
        for fire in (MONDAY + WEEK, MONDAY + 2 * WEEK):  # APScheduler: max instances reached
            service._event(ev.JobSubmissionEvent(ev.EVENT_JOB_MAX_INSTANCES, "weekly", "default", [fire]))
        service._fire("weekly", MONDAY, scheduled=MONDAY)  # a retry of the running fire waits too
        service.clock_value["now"] = MONDAY + 2 * WEEK + timedelta(minutes=5)  # type: ignore[attr-defined]
        release.set()
        first.join(30)
    assert not first.is_alive()
    state = ledger(site_dir)
    assert fire_key("weekly", MONDAY + WEEK) not in state  # coalesced, in words below
    for fire in (MONDAY, MONDAY + 2 * WEEK):
        assert set(state[fire_key("weekly", fire)]) == {"sent"}
    waits = [m for m in caplog.messages if "could not start" in m]
    assert waits == [
        "weekly: the fire for Mon 22 September 2025 07:00 BST (schedule:weekly@2025-09-22T06:00:00Z) could not "
        "start: the run for Mon 15 September 2025 07:00 BST is still sending; it goes out when that one ends",
        "weekly: the fire for Mon 29 September 2025 07:00 BST (schedule:weekly@2025-09-29T06:00:00Z) could not "
        "start: the run for Mon 15 September 2025 07:00 BST is still sending; it goes out when that one ends",
        "weekly: the fire for Mon 15 September 2025 07:00 BST (schedule:weekly@2025-09-15T06:00:00Z) could not "
        "start: the run for Mon 15 September 2025 07:00 BST is still sending; it goes out when that one ends",
    ]
    assert (
        "weekly: the fire for Mon 22 September 2025 07:00 BST (schedule:weekly@2025-09-22T06:00:00Z) is coalesced "
        "into the one for Mon 29 September 2025 07:00 BST: both waited for the last run, and only the latest is sent"
        in caplog.messages
    )
    assert sum(m.startswith("weekly @ Mon 15 September 2025") for m in caplog.messages) == 1  # its retry: done
    assert "weekly @ Mon 29 September 2025 07:00 BST (waited for the last run): sent" in caplog.messages
    assert service._running == {} and service._waiting == {}


# -- the real process, both cores busy ---------------------------------------------------------------
EVERY_2S = """\
    name: every2s
    trigger:
      cron: {second: "*/2"}
    send:
      kind: forum-digest
      forum: 2025-07-test
    grace: 30s
    skip: {nothing_new: false}
"""
READERS = 6
MOMENT = r"\w{3} \d{1,2} \w+ \d{4} [\d:]+ (?:GMT|BST)"
FIRE_KEY = r"(schedule:every2s@[0-9T:-]+Z)"
KEY = rf"\({FIRE_KEY}\)"


def idle(log: Path) -> bool:
    """Every fire that came due has been sent or coalesced: the scheduler is between two fires."""
    text = log.read_text()
    due = set(re.findall(rf"fire for {MOMENT} {KEY}", text)) | set(re.findall(rf"{KEY} could not start", text))
    done = set(re.findall(rf"   {FIRE_KEY}: \d+ sent", text)) | set(re.findall(rf"{KEY} is coalesced", text))
    return bool(due) and due <= done


def test_a_fire_due_while_the_last_still_sends_goes_out_when_it_ends(site_dir: Path) -> None:
    add_readers(site_dir, many_readers(READERS))
    write_schedule(site_dir, EVERY_2S)
    log = site_dir / "scheduler.log"
    handler = FaultyHandler(delay=0.6)  # each send takes longer than the 2 s between fires
    with SMTPServer(handler) as server:
        proc = start(site_dir, server.port, log)
        wait_for(
            "two fires that waited for the last one, coalesced",
            lambda: "is coalesced into" in log.read_text(),
            proc,
            90,
        )
        handler.delay = 0.0  # the server is quick again: the scheduler catches up and idles between fires
        wait_for("a moment between fires", lambda: idle(log), proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    text = log.read_text()
    assert "Traceback" not in text and "internal error" not in text and text.rstrip().endswith("stopped")
    state = ledger(site_dir)
    assert all(c == Counter(sent=READERS) for c in state.values())  # every fire started was finished
    waited = set(re.findall(rf"{KEY} could not start", text))
    coalesced = re.findall(rf"{KEY} is coalesced into the one for ({MOMENT}):", text)
    assert waited and coalesced
    sent = set(re.findall(rf"every2s @ ({MOMENT})(?: \([^)]*\))?: sent", text))
    assert {into for _, into in coalesced} <= sent  # the fire a coalesced one went out as was sent
    assert waited - set(state) == {key for key, _ in coalesced}  # every other fire that waited was sent
    ids = Counter(str(parse(raw)["Message-ID"]) for _, raw in handler.messages)
    assert max(ids.values()) == 1 and len(ids) == READERS * len(state)
