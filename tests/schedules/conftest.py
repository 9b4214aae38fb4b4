"""The scheduler's tests run with every core busy: a fire that starts late, or cannot start
because the last one is still sending, must still go out once (issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest


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
