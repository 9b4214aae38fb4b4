"""APScheduler's thread pool, telling each run the time it was scheduled for.

APScheduler 3 calls a job's function without its scheduled run time. A job that starts
late on a busy machine, after the clock has passed its next fire time, would otherwise
not know which fire it is; with this executor it is told (`scheduled=`), so every fire is
its own key in the ledger, however late its thread gets going.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor


class FireTimes(ThreadPoolExecutor):
    """A thread pool whose runs get `scheduled=` their run time (the latest, coalesced)."""

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        super()._do_submit_job(Scheduled(job, run_times[-1]), run_times)


class Scheduled:
    """A job as one run of it sees it: the same job, with `scheduled=` its run time."""

    def __init__(self, job: Any, when: datetime) -> None:
        self._job, self._when = job, when

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._job, attr)

    @property
    def kwargs(self) -> dict[str, Any]:
        return {**self._job.kwargs, "scheduled": self._when}

    def __str__(self) -> str:
        return str(self._job)
