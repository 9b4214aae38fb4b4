"""Loaded (through PYTHONPATH) by every Python process the date tests run under libfaketime.

Debian's libfaketime 0.9.10 breaks Python's time.sleep when the monotonic clock is left
alone (FAKETIME_DONT_FAKE_MONOTONIC=1): Python 3.11 sleeps with clock_nanosleep on the
monotonic clock to an absolute deadline, libfaketime moves that deadline by the fake
offset, and the kernel answers EINVAL (libfaketime issue #426, fixed after 0.9.10). Here
time.sleep waits the same time with select(), whose timeout is relative. Nothing else
changes: the wall clock is the fake one, the monotonic clock the real one.
"""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
