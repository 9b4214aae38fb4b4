"""`digest scheduler`: the long-running process that sends each schedule at its time.

APScheduler 3 (BackgroundScheduler, Europe/London) holds one job per schedule in memory
only: the schedules come from schedules/*.yaml and the ledger is the memory, so nothing
is pickled and nothing stale survives a restart. Each job runs with coalesce, one
instance at a time and the schedule's grace as misfire_grace_time; each fire goes
through digest.runs, keyed in the ledger by (schedule, fire time), so a repeated fire or
a restart never sends again.

- One scheduler at a time: an fcntl lock on var/locks/scheduler.lock.
- At start: fires missed while stopped are caught up once, within grace (digest.runs.catch_up).
- Reload: when a file in schedules/ (or digest.toml) changes, or on SIGHUP. A reload with
  errors keeps the running schedules and logs the errors.
- SIGTERM / SIGINT: a send in progress stops between two messages; the process exits 0.
- A fire that could not finish (server down, content errors) is tried again every
  `retry` while its grace lasts.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest import fmt
from digest.content.load import load_site
from digest.errors import DigestError
from digest.fmt import LONDON
from digest.locks import exclusive
from digest.schedules.files import Schedule, load_schedules
from digest.schedules.runs import Outcome, catch_up, fire_key, run_fire
from digest.schedules.triggers import next_fires, previous_fire, utc

if TYPE_CHECKING:
    from digest.settings import Settings

log = logging.getLogger("digest.scheduler")


class LondonTime(logging.Formatter):
    """Log times in Europe/London, whatever the machine's zone: '2026-11-23 07:00:01 GMT'."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")


def setup_logging(stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LondonTime("%(asctime)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # its misses and errors reach our listener


def instance_lock(var: Path) -> AbstractContextManager[Path]:
    """One scheduler per project; the kernel releases the lock if the process dies."""
    return exclusive(
        var, "scheduler.lock", "a digest scheduler is already running ({holder}; lock file {path}); stop it first"
    )


class Service:
    def __init__(
        self,
        load_settings: Callable[[], Settings],
        *,
        poll: float = 2.0,
        retry: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.load_settings, self.poll, self.retry, self.clock = load_settings, poll, retry, clock
        self.stopping, self.reload_requested = threading.Event(), threading.Event()
        self.settings: Settings = None
        self.schedules: dict[str, Schedule] = {}
        self.sched: Any = None

    # -- the process ------------------------------------------------------------------------------
    def run(self) -> None:
        self.settings = self.load_settings()
        with instance_lock(self.settings.path("var")):
            schedules = self._load(self.settings)  # broken schedules at start: refuse to start
            self._signals()
            self.sched = self.scheduler()
            start = self.clock()
            log.info(
                f"digest scheduler started (pid {os.getpid()}): {len(schedules)} schedule(s) in {self.settings.paths.schedules}/"
            )
            self._install(schedules, start)
            self.sched.start()
            stamp = self._stamp()
            # fires before `start` are ours to catch up; later ones are the jobs'
            for outcome in catch_up(
                self.settings, list(self.schedules.values()), start - timedelta(microseconds=1), stopping=self.stopping
            ):
                self._report(outcome)
            while not self.stopping.wait(self.poll):
                if self.reload_requested.is_set() or self._stamp() != stamp:
                    why = "SIGHUP" if self.reload_requested.is_set() else "a schedule file changed"
                    self.reload_requested.clear()
                    stamp = self._stamp()
                    self.reload(why)
            log.info("stopping: a send in progress stops between two messages")
            self.sched.shutdown(wait=True)
            log.info("stopped")

    def scheduler(self) -> Any:
        """APScheduler, jobs in memory only (the ledger is the memory), in Europe/London."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        sched = BackgroundScheduler(
            timezone=LONDON,
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        sched.add_listener(self._event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR)
        return sched

    def _signals(self) -> None:
        def stop(signum: int, frame: Any) -> None:
            log.info(f"{signal.Signals(signum).name}: stopping")
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, lambda signum, frame: self.reload_requested.set())

    def _stamp(self) -> tuple:
        """What the schedule files (and digest.toml) look like now: a change means reload."""
        folder = self.settings.path("schedules")
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        stamp = []
        for path in [*files, self.settings.root / "digest.toml"]:
            try:
                st = path.stat()
            except OSError:  # deleted (or being replaced) just now
                continue
            stamp.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(stamp)

    # -- schedules and jobs -----------------------------------------------------------------------
    def _load(self, settings: Settings) -> list[Schedule]:
        schedules, problems = load_schedules(settings, load_site(settings))
        if problems:
            raise DigestError(
                f"{fmt.plural(len(problems), 'error')} in schedules; fix them (see `digest check`)", sorted(problems)
            )
        return schedules

    def reload(self, why: str) -> None:
        try:
            settings = self.load_settings()
            schedules = self._load(settings)
        except DigestError as exc:
            for line in exc.format_message().splitlines():
                log.error(line)
            log.error(f"reload ({why}) refused: the schedules that were running keep running")
            return
        except Exception as exc:  # digest's own bug: it must not stop the schedules that were running
            log.error(
                f"reload ({why}) failed: internal error: {type(exc).__name__}: {exc}; the schedules that were running "
                "keep running",
                exc_info=exc,
            )
            return
        self.settings = settings
        log.info(f"reloading schedules ({why})")
        self._install(schedules, self.clock())

    def _install(self, schedules: list[Schedule], now: datetime) -> None:
        """Add, replace or remove jobs so there is exactly one per active schedule."""
        old, new = self.schedules, {s.name: s for s in schedules}
        self.schedules = new
        site = load_site(self.settings)
        for name in sorted(set(old) - set(new)):
            self._remove(name)
            log.info(f"{name}: removed")
        for name, s in new.items():
            if name in old and old[name].same_as(s):
                continue  # unchanged: its job keeps its next run
            self._remove(name)
            trigger = s.trigger()
            nxt = None if s.spec.paused else trigger.get_next_fire_time(None, now)
            if nxt is not None:
                self.sched.add_job(
                    self._fire,
                    trigger,
                    args=[name],
                    id=name,
                    name=name,
                    next_run_time=nxt,
                    misfire_grace_time=max(1, int(s.grace.total_seconds())),
                )
            status = "paused" if s.spec.paused else (f"next run {fmt.moment(nxt)}" if nxt else "no further runs")
            log.info(f"{name}: {'changed: ' if name in old else ''}{s.describe(site)}; {status}")

    def _remove(self, name: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        for job_id in (name, f"retry:{name}"):
            with suppress(JobLookupError):
                self.sched.remove_job(job_id)

    # -- one fire ---------------------------------------------------------------------------------
    def _fire(self, name: str, fire: datetime | None = None) -> Outcome | None:
        schedule = self.schedules.get(name)
        if schedule is None or schedule.spec.paused:
            return None
        now = self.clock()
        fire = fire or previous_fire(schedule.trigger(), now)
        if fire is None:
            return None
        log.info(f"{name}: fire for {fmt.moment(fire)} ({fire_key(name, fire)})")
        outcome = run_fire(self.settings, schedule, fire, now, stopping=self.stopping)
        self._report(outcome)
        if outcome.retry and not self.stopping.is_set():
            self._retry_later(schedule, fire, now)
        return outcome

    def _retry_later(self, schedule: Schedule, fire: datetime, now: datetime) -> None:
        from apscheduler.triggers.date import DateTrigger

        when = now + self.retry
        if utc(when) - utc(fire) > schedule.grace:
            log.info(
                f"{schedule.name}: not tried again: the grace of {fmt.duration(schedule.grace)} ends before {fmt.moment(when)}"
            )
            return
        log.info(f"{schedule.name}: trying {fmt.moment(fire)} again at {fmt.moment(when)}")
        self.sched.add_job(
            self._fire,
            DateTrigger(when, timezone=LONDON),
            args=[schedule.name, fire],
            id=f"retry:{schedule.name}",
            replace_existing=True,
            misfire_grace_time=max(1, int(self.retry.total_seconds())),
        )

    def _report(self, outcome: Outcome) -> None:
        level = logging.INFO if outcome.ok else logging.ERROR
        for line in outcome.lines():
            log.log(level, line)
        schedule = self.schedules.get(outcome.schedule)
        if schedule is not None and not schedule.spec.paused:
            nxt = next_fires(schedule.trigger(), self.clock(), 1)
            log.info(
                f"{outcome.schedule}: next run {fmt.moment(nxt[0])}" if nxt else f"{outcome.schedule}: no further runs"
            )

    def _event(self, event: Any) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED

        when = fmt.moment(event.scheduled_run_time)
        if event.code == EVENT_JOB_MISSED:
            log.error(
                f"{event.job_id}: the run at {when} was missed: it started later than its grace (the machine was busy or asleep)"
            )
        elif event.code == EVENT_JOB_ERROR:
            log.error(
                f"{event.job_id}: internal error in the run at {when}: {type(event.exception).__name__}: {event.exception}",
                exc_info=event.exception,
            )
        else:
            log.error(f"{event.job_id}: the run at {when} was skipped: the previous run is still sending")
