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
- One send per schedule at a time: a fire due while the last one still sends (APScheduler's
  EVENT_JOB_MAX_INSTANCES, or a retry) waits, and goes out when that one ends; several
  new fires that waited together are coalesced into the latest, and the log says so.
- Every event APScheduler sends reaches `_event`; those about a fire are logged in words.
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
from digest.schedules.executor import FireTimes
from digest.schedules.files import Schedule, load_schedules
from digest.schedules.runs import Outcome, catch_up, fire_key, fire_state, run_fire
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
        self._lock = threading.Lock()
        self._running: dict[str, datetime] = {}  # schedule -> the fire it is sending
        self._waiting: dict[str, set[datetime]] = {}  # schedule -> fires due while it was sending

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
            self._unsendable()
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
        from apscheduler.events import EVENT_ALL
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        sched = BackgroundScheduler(
            timezone=LONDON,
            jobstores={"default": MemoryJobStore()},
            executors={"default": FireTimes(4)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        sched.add_listener(self._event, EVENT_ALL)
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

    def _unsendable(self) -> None:
        """At start, loudly: each schedule whose forum cannot be sent now (see unsendable)."""
        from digest.content.usable import unsendable

        for line in unsendable(
            self.settings, {n: getattr(s.options, "forum", None) for n, s in self.schedules.items()}
        ):
            log.error(line)

    def _remove(self, name: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        for job_id in (name, f"retry:{name}"):
            with suppress(JobLookupError):
                self.sched.remove_job(job_id)

    # -- one fire ---------------------------------------------------------------------------------
    def _fire(self, name: str, fire: datetime | None = None, scheduled: datetime | None = None) -> Outcome | None:
        """A job's run: `fire` for a retry or a delayed fire, else the time APScheduler
        scheduled it for. One send per schedule at a time: while one sends, this fire waits
        for it (and is sent by its thread when it ends)."""
        schedule = self.schedules.get(name)
        if schedule is None or schedule.spec.paused:
            return None
        fire = fire or scheduled or previous_fire(schedule.trigger(), self.clock())
        if fire is None:
            return None
        with self._lock:
            if name in self._running:
                self._wait(name, fire)
                return None
            self._running[name] = fire
        try:
            outcome = self._send(name, fire)
            while fires := self._waited(name):
                self._send_waited(name, fires)
        except BaseException:  # digest's own bug (logged by _event): what waited still goes out, in a job
            with self._lock:
                self._running.pop(name, None)
                left = self._waiting.pop(name, set())
            if left:
                self._soon(name, max(left, key=utc))
            raise
        return outcome

    def _wait(self, name: str, fire: datetime) -> None:
        """Under the lock: `fire` goes out when the send of this schedule now running ends."""
        self._waiting.setdefault(name, set()).add(fire)
        log.info(
            f"{name}: the fire for {fmt.moment(fire)} ({fire_key(name, fire)}) could not start: the run for "
            f"{fmt.moment(self._running[name])} is still sending; it goes out when that one ends"
        )

    def _waited(self, name: str) -> list[datetime]:
        """The fires that waited for the send that just ended; none: this schedule is idle."""
        with self._lock:
            fires = sorted(self._waiting.pop(name, ()), key=utc)
            if not fires:
                self._running.pop(name, None)
            return fires

    def _send_waited(self, name: str, fires: list[datetime]) -> None:
        """Fires that waited: each one already started in the ledger is finished; of the new
        ones only the latest is sent (coalesced, as APScheduler and catch-up do)."""
        *older, latest = fires
        for fire in older:
            status = fire_state(self.settings, name, fire)
            if status == "unfinished":
                self._send(name, fire, WAITED)
            elif status == "new":
                log.info(
                    f"{name}: the fire for {fmt.moment(fire)} ({fire_key(name, fire)}) is coalesced into the one "
                    f"for {fmt.moment(latest)}: "
                    "both waited for the last run, and only the latest is sent"
                )
        self._send(name, latest, WAITED)

    def _send(self, name: str, fire: datetime, note: str = "") -> Outcome | None:
        schedule = self.schedules.get(name)
        if schedule is None or schedule.spec.paused:  # removed or paused by a reload meanwhile
            return None
        with self._lock:
            self._running[name] = fire  # what a fire that comes due meanwhile waits for
        now = self.clock()
        log.info(f"{name}: fire for {fmt.moment(fire)} ({fire_key(name, fire)})")
        outcome = run_fire(self.settings, schedule, fire, now, stopping=self.stopping, note=note)
        self._report(outcome)
        if outcome.retry and not self.stopping.is_set():
            self._retry_later(schedule, fire, now)
        return outcome

    def _soon(self, name: str, fire: datetime) -> None:
        """Send `fire` now, in a job of its own (it checks its grace and the ledger itself)."""
        self.sched.add_job(
            self._fire,
            args=[name],
            kwargs={"fire": fire},
            id=f"late:{name}",
            replace_existing=True,
            misfire_grace_time=None,
        )

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
        for line in outcome.aside:
            log.error(line)
        schedule = self.schedules.get(outcome.schedule)
        if schedule is not None and not schedule.spec.paused:
            nxt = next_fires(schedule.trigger(), self.clock(), 1)
            log.info(
                f"{outcome.schedule}: next run {fmt.moment(nxt[0])}" if nxt else f"{outcome.schedule}: no further runs"
            )

    def _event(self, event: Any) -> None:
        """Every event APScheduler 3 sends (apscheduler.events: scheduler, executor, job store and
        job events). Those about a fire are logged in words; the others (jobs added, removed or
        run, the scheduler started or stopped) are what this service did itself and logs already.
        A listener must never raise: APScheduler would only print a traceback."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

        try:
            code, job_id = event.code, getattr(event, "job_id", None)
            name = job_id.rpartition(":")[2] if isinstance(job_id, str) else None
            if code == EVENT_JOB_MAX_INSTANCES and name:
                self._blocked(name, max(event.scheduled_run_times, key=utc))
            elif code == EVENT_JOB_MISSED and name:
                self._missed(name, job_id, event.scheduled_run_time)
            elif code == EVENT_JOB_ERROR:
                log.error(
                    f"{name}: internal error in the run at {fmt.moment(event.scheduled_run_time)}: "
                    f"{type(event.exception).__name__}: {event.exception}",
                    exc_info=event.exception,
                )
            else:
                log.debug(f"APScheduler event {code} ({type(event).__name__}) for {job_id or 'the scheduler'}")
        except Exception as exc:  # digest's own bug in handling an event: say so and keep scheduling
            log.error(f"internal error handling APScheduler's event {event!r}: {type(exc).__name__}: {exc}")

    def _blocked(self, name: str, fire: datetime) -> None:
        """APScheduler could not start a fire: this schedule's last run was still sending."""
        with self._lock:
            if name in self._running:
                self._wait(name, fire)
                return
        log.info(
            f"{name}: the fire for {fmt.moment(fire)} ({fire_key(name, fire)}) could not start while the last run "
            "was still sending; that run has just ended, so it starts now"
        )
        self._soon(name, fire)

    def _missed(self, name: str, job_id: str, when: datetime) -> None:
        schedule = self.schedules.get(name)
        grace = f" of {fmt.duration(schedule.grace)}" if schedule else ""
        what = "retry of the run" if job_id.startswith("retry:") else "run"
        log.error(
            f"{name}: the {what} at {fmt.moment(when)} was missed: it could not start within its grace{grace} "
            "(the machine was busy or asleep); not sent"
        )


WAITED = "waited for the last run"
