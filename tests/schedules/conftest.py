"""The scheduler's tests run with every core busy: a fire that starts late, or cannot start
because the last one is still sending, must still go out once (issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from support.schedules import STARTED


@pytest.fixture
def busy_cpus() -> Iterator[int]:
    """A CPU-burning process on every core this test may use, for the test's duration."""
    cores = len(os.sched_getaffinity(0))
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        yield cores
    finally:
        for proc in burners:
            proc.kill()
        for proc in burners:
            proc.wait(10)


@pytest.fixture(autouse=True)
def _stop_schedulers() -> Iterator[None]:
    """A `digest scheduler` a test started is stopped when the test ends, passed or failed:
    left running it would hold the lock and warn in a later test."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
