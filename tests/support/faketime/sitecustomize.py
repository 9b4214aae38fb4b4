"""Loaded (through PYTHONPATH) by every Python process the date tests run under libfaketime.

Debian's libfaketime 0.9.10 has two faults that have nothing to do with dates; here they
are worked around, and nothing else changes (the wall clock is the fake one, the
monotonic clock and the CPU clocks the real ones):

- Python 3.11 sleeps with clock_nanosleep on the monotonic clock to an absolute deadline.
  With the monotonic clock left alone (FAKETIME_DONT_FAKE_MONOTONIC=1) libfaketime still
  moves that deadline by the fake offset, and the kernel answers EINVAL (libfaketime issue
  #426, fixed after 0.9.10). time.sleep here waits the same time with select(), whose
  timeout is relative.
- A thread's CPU clock (time.pthread_getcpuclockid) is moved by the fake offset as if it
  were the wall clock. time.clock_gettime here reads such a clock from the kernel's
  /proc/self/task/<id>/schedstat (nanoseconds on the CPU), as the clock itself does.
"""

import errno
import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    _clock_gettime = time.clock_gettime

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    def _thread_cpu_clock(clock: int) -> float:
        """Linux names a thread's CPU clock ((~tid) << 3) | 6; its value is the thread's
        time on the CPU."""
        if clock >= 0 or clock & 7 != 6:
            return _clock_gettime(clock)
        try:
            with open(f"/proc/self/task/{~(clock >> 3)}/schedstat") as stat:
                return int(stat.read().split()[0]) / 1e9
        except FileNotFoundError:  # the thread has ended: what the clock answers then
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL)) from None

    time.sleep = _sleep
    time.clock_gettime = _thread_cpu_clock
