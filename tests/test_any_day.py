"""No test depends on the day it runs: the tests whose code reads the wall clock (a build,
an edition or a send "as of today", the golden files, calendars, schedules and their
runs) pass again with the wall clock moved years ahead, each day in a pytest of its own
under Debian's libfaketime (`make faketime`), the monotonic clock left alone.

One pytest per day rather than the whole suite: these files are where today is read, and
they take about 25 s a day on a quiet machine, where the whole suite takes minutes (the
browser tests, which read no date of their own, most of them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from support import REPO, TESTS

# 15 June 2031 in British Summer Time; the last day of 2035 in GMT, its next 7 days in 2036.
MOMENTS = ["2031-06-15 10:00:00", "2035-12-31 12:00:00"]
DATED = [
    "tests/test_golden.py",
    "tests/test_cli.py",
    "tests/content/test_example_content.py",
    "tests/editions/test_build.py",
    "tests/editions/test_select.py",
    "tests/editions/test_past.py",
    "tests/editions/test_render.py",
    "tests/editions/test_calendar.py",
    "tests/editions/test_example_editions.py",
    "tests/delivery/test_follow_up_demo.py",
    "tests/delivery/test_followup.py",
    "tests/delivery/test_since.py",
    "tests/delivery/test_record.py",
    "tests/delivery/test_sends.py",
    "tests/delivery/test_calendar_attachment.py",
    "tests/schedules/test_schedules.py",
    "tests/schedules/test_runs.py",
]
NOT_DATED = "not mutation"  # test_schedules' property test of random files: 7 s, and no date in it
SHIM = TESTS / "support" / "faketime"  # time.sleep for libfaketime 0.9.10 (its sitecustomize.py says why)


def offset(moment: str) -> str:
    """libfaketime's relative form, seconds from now to moment (UTC). Not its "@moment" form,
    which starts the clock at moment in every process anew: a process a test starts later
    (a scheduler restarted, a send run again) would go back in time against the test."""
    then = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return f"{int(then.timestamp() - real_now()):+d}"


def real_now() -> float:
    """The machine's clock, even when this pytest itself runs under libfaketime (whose offset
    a nested faketime would not add to): asked of a process started without it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "FAKETIME"))}
    return float(subprocess.run(["date", "+%s.%N"], env=clean, capture_output=True, text=True, check=True).stdout)


def under_faketime(moment: str, *command: str) -> subprocess.CompletedProcess[str]:
    faketime = shutil.which("faketime")
    assert faketime, "libfaketime is not installed: run `make faketime` (Debian's faketime package)"
    env = os.environ | {
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SHIM), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [faketime, "-f", offset(moment), sys.executable, *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_date_sensitive_tests_pass_years_ahead(moment: str, tmp_path: Path) -> None:
    probe = "import time; from digest.editions.select import today; print(today(), time.monotonic())"
    before = time.monotonic()
    seen = under_faketime(moment, "-c", probe)
    assert seen.returncode == 0, seen.stderr
    day, monotonic = seen.stdout.split()
    assert date.fromisoformat(day) == date.fromisoformat(moment[:10])  # the wall clock moved...
    assert before <= float(monotonic) <= time.monotonic()  # ...and the monotonic clock did not

    inner = ["-m", "pytest", "-p", "no:cacheprovider", "-q", f"--basetemp={tmp_path / 'inner'}", "-k", NOT_DATED]
    done = under_faketime(moment, *inner, *DATED)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0 and " passed" in summary, f"as of {moment}:\n{done.stdout[-6000:]}{done.stderr[-2000:]}"
