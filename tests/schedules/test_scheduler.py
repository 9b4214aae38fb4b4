"""`digest scheduler`: jobs follow the files, one instance at a time, and kill -9 never sends twice."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.delivery import FaultyHandler, SMTPServer, add_readers, many_readers, parse
from support.schedules import DIGEST, POST_FORUM, WEEKLY, ledger, start, wait_for, write_schedule

from digest.errors import DigestError
from digest.fmt import LONDON
from digest.schedules.runs import fire_of
from digest.schedules.service import Service, instance_lock
from digest.settings import load_settings

MONDAY = datetime(2025, 9, 15, 7, tzinfo=LONDON)
pytestmark = pytest.mark.usefixtures("busy_cpus")  # every test here runs with both cores busy


# -- jobs, in process (the scheduler is started paused: nothing runs by itself) ---------------------
@pytest.fixture
def service(site_dir: Path):
    clock = {"now": MONDAY - timedelta(days=1)}
    svc = Service(lambda: load_settings(site_dir), clock=lambda: clock["now"], retry=timedelta(minutes=10))
    svc.settings = load_settings(site_dir)
    svc.sched = svc.scheduler()
    svc.sched.start(paused=True)
    svc.clock_value = clock  # type: ignore[attr-defined]
    yield svc
    svc.sched.shutdown(wait=False)


def jobs(svc: Service) -> dict[str, tuple[str, str]]:
    return {j.id: (str(j.trigger), j.next_run_time.astimezone(LONDON).isoformat()) for j in svc.sched.get_jobs()}


def test_one_job_per_active_schedule_with_the_schedules_grace(service: Service, site_dir: Path) -> None:
    write_schedule(site_dir, WEEKLY)
    write_schedule(site_dir, POST_FORUM)  # its one date has passed: no job
    write_schedule(site_dir, WEEKLY.replace("name: weekly", "name: paused") + "    paused: true\n")
    service._install(service._load(service.settings), service.clock())
    assert jobs(service) == {"weekly": ("cron[day_of_week='mon', hour='7', minute='0']", "2025-09-15T07:00:00+01:00")}
    job = service.sched.get_job("weekly")
    assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (3600, True, 1)


def test_a_reload_replaces_changed_jobs_keeps_the_rest_and_refuses_broken_files(
    service: Service, site_dir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    weekly = write_schedule(site_dir, WEEKLY)
    other = write_schedule(site_dir, WEEKLY.replace("name: weekly", "name: fridays").replace("mon", "fri"))
    service._install(service._load(service.settings), service.clock())
    kept = service.sched.get_job("fridays")
    weekly.write_text(weekly.read_text().replace("hour: 7", "hour: 8"))
    service.reload("a schedule file changed")
    assert jobs(service) == {
        "weekly": ("cron[day_of_week='mon', hour='8', minute='0']", "2025-09-15T08:00:00+01:00"),
        "fridays": ("cron[day_of_week='fri', hour='7', minute='0']", "2025-09-19T07:00:00+01:00"),
    }
    assert service.sched.get_job("fridays") is kept  # unchanged: not re-added, its next run untouched
    other.write_text(other.read_text().replace("days: 7", "days: seven"))
    with caplog.at_level(logging.INFO, "digest.scheduler"):
        service.reload("SIGHUP")
    assert set(jobs(service)) == {"weekly", "fridays"}  # the running ones keep running
    assert caplog.messages == [
        "schedules/fridays.yaml:6:9: send.days: expected a whole number, got str 'seven'",
        "1 error in schedules; fix them (see `digest check`)",
        "reload (SIGHUP) refused: the schedules that were running keep running",
    ]
    caplog.clear()
    other.write_text(
        other.read_text().replace("days: seven", "days: 7").replace("kind: upcoming-dates", "kind: [upcoming-dates]")
    )
    with caplog.at_level(logging.INFO, "digest.scheduler"):
        service.reload("a schedule file changed")  # a value of the wrong shape where `send:` is free-form
    assert set(jobs(service)) == {"weekly", "fridays"}
    assert caplog.messages == [
        "schedules/fridays.yaml:5:9: send.kind: expected one kind as text, got list ['upcoming-dates'] (write `kind: upcoming-dates`)",
        "1 error in schedules; fix them (see `digest check`)",
        "reload (a schedule file changed) refused: the schedules that were running keep running",
    ]
    caplog.clear()

    def bug(*args: object) -> None:
        raise RuntimeError("a bug in digest")

    with monkeypatch.context() as patch, caplog.at_level(logging.INFO, "digest.scheduler"):
        patch.setattr("digest.schedules.service.load_schedules", bug)
        service.reload("SIGHUP")  # even digest's own bug in loading leaves the running schedules alone
    assert set(jobs(service)) == {"weekly", "fridays"}
    assert caplog.messages == [
        "reload (SIGHUP) failed: internal error: RuntimeError: a bug in digest; the schedules that were running keep running"
    ]
    other.unlink()
    weekly.write_text(weekly.read_text() + "paused: true\n")
    service.reload("a schedule file changed")
    assert jobs(service) == {}


def test_a_fire_runs_once_and_a_failed_one_is_retried_within_its_grace(service: Service, site_dir: Path) -> None:
    add_readers(site_dir)
    write_schedule(site_dir, WEEKLY)
    service._install(service._load(service.settings), service.clock())
    service.clock_value["now"] = MONDAY + timedelta(seconds=1)  # type: ignore[attr-defined]
    assert service._fire("weekly").result == "sent"
    assert service._fire("weekly").result == "already sent"  # a repeated fire
    events = site_dir / "content" / "events.yaml"
    events.write_text(events.read_text().replace("kind: training", "kind: trainign"))
    service.clock_value["now"] = MONDAY + timedelta(days=7, seconds=1)  # type: ignore[attr-defined]
    assert service._fire("weekly").result == "failed"
    retry = service.sched.get_job("retry:weekly")
    assert retry.args == ("weekly", MONDAY + timedelta(days=7)) and retry.next_run_time == MONDAY + timedelta(
        days=7, minutes=10, seconds=1
    )
    service.retry = timedelta(hours=2)  # longer than the grace: not tried again
    service.sched.remove_job("retry:weekly")
    service._fire("weekly")
    assert service.sched.get_job("retry:weekly") is None


def test_only_one_scheduler_at_a_time(tmp_path: Path) -> None:
    with instance_lock(tmp_path) as path:
        assert path.read_text().startswith(f"pid {os.getpid()} since ")
        with (
            pytest.raises(DigestError, match=r"a digest scheduler is already running \(pid \d+ since"),
            instance_lock(tmp_path),
        ):
            pass
    with instance_lock(tmp_path):  # released when its holder closed it
        assert path.exists()


# -- the real process: kill -9, restart, SIGTERM ------------------------------------------------------
FAST = """\
    name: fast
    trigger:
      cron: {second: "*/2"}
    send:
      kind: forum-digest
      forum: 2025-07-test
    grace: 20s
    skip: {nothing_new: false}
"""
READERS = 10


def test_killed_and_restarted_the_scheduler_sends_each_fire_once(site_dir: Path) -> None:
    add_readers(site_dir, many_readers(READERS))
    write_schedule(site_dir, FAST)
    log = site_dir / "scheduler.log"
    handler = FaultyHandler(delay=0.04)  # a slow server: the kill lands mid-send
    with SMTPServer(handler) as server:
        first = start(site_dir, server.port, log)
        mid_send = wait_for(
            "a fire half sent after one fully sent",
            lambda: (
                any(c["sent"] == READERS for c in ledger(site_dir).values())
                and [k for k, c in ledger(site_dir).items() if c["sent"] >= 2 and c["pending"]]
            ),
            first,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = datetime.now(UTC)
        fire_while_down = killed_at.replace(microsecond=0) + timedelta(seconds=2 - killed_at.second % 2)
        while datetime.now(UTC) <= fire_while_down:  # down across at least one fire time (a condition on the clock)
            time.sleep(0.02)
        restarted_at = datetime.now(UTC)
        second = start(site_dir, server.port, log)
        wait_for("the restart", lambda: log.read_text().count("digest scheduler started") == 2, second)
        third = subprocess.run([str(DIGEST), "scheduler"], cwd=site_dir, capture_output=True, text=True, timeout=30)
        assert third.returncode == 1 and "Error: a digest scheduler is already running (pid" in third.stderr

        def done_after_restart() -> bool:
            state = ledger(site_dir)
            later = [k for k, c in state.items() if fire_of(k) > restarted_at and c["sent"] == READERS]
            return len(later) >= 2 and not state[mid_send[0]]["pending"]

        wait_for("two fires after the restart and the killed one finished", done_after_restart, second)
        wait_for("a moment between fires", lambda: not any(c["pending"] for c in ledger(site_dir).values()), second)
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
    text = log.read_text()
    assert "Traceback" not in text and text.rstrip().endswith("stopped")
    assert f"  {mid_send[0]}: " in text and "(missed while stopped): sent" in text  # finished at start

    state = ledger(site_dir)
    assert sum(c["unknown"] for c in state.values()) <= 1  # at most the message in flight at the kill
    assert all(set(c) <= {"sent", "unknown"} for c in state.values())
    assert all(c["sent"] + c["unknown"] == READERS for c in state.values())
    downtime = [k for k in state if killed_at < fire_of(k) < restarted_at]
    assert len(downtime) <= 1  # only the latest fire missed while down was caught up

    ids = Counter(str(parse(raw)["Message-ID"]) for _, raw in handler.messages)
    # no message went twice, but the one in flight at the kill if the server had it before the kill
    # and had not answered: its outcome is unknown, and the restart sends it again with its Message-ID
    twice = [mid for mid, n in ids.items() if n > 1]
    assert max(ids.values()) <= 2 and len(twice) <= 1
    assert not twice or "outcome unknown, sent again in this run" in text
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    sent = {mid for (mid,) in conn.execute("SELECT message_id FROM deliveries WHERE state = 'sent'")}
    conn.close()
    assert sent <= set(ids) and len(ids) - len(sent) <= 1  # every sent row arrived; the unknown one may have
