"""Helpers for the schedule tests: schedule files in a copy of the test site, and what arrived."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from digest.content.load import load_site
from digest.schedules.files import Schedule, load_or_fail
from digest.settings import load_settings
from support.delivery import outbox, parse, smtp_env

# Every Monday at 07:00, the dates of the week ahead. In the test site's content the Swale
# surgery is on Tuesdays (15 July to 16 December 2025, not 22 July or 28 October) and the
# primary training on Thursday 18 September 2025.
WEEKLY = """\
    name: weekly
    trigger:
      cron: {day_of_week: mon, hour: 7, minute: 0}
    send:
      kind: upcoming-dates
      days: 7
    grace: 1h
"""

POST_FORUM = """\
    name: post-forum
    trigger:
      dates: [2025-07-11T16:00]
    send:
      kind: forum-digest
      forum: 2025-07-test
    subject: "{{ forum.title }}: {{ count }} answers for you"
    grace: 1d
"""


def write_schedule(site_dir: Path, text: str, name: str | None = None) -> Path:
    text = textwrap.dedent(text)
    name = name or text.split("name:", 1)[1].split()[0]
    folder = site_dir / "schedules"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def schedules(site_dir: Path) -> dict[str, Schedule]:
    settings = load_settings(site_dir)
    return {s.name: s for s in load_or_fail(settings, load_site(settings))}


def received(site_dir: Path) -> list[tuple[str, str, str]]:
    """(to address, subject, Message-ID) of every message in the outbox."""
    out = []
    for raw in outbox(site_dir):
        msg = parse(raw)
        out.append((msg["To"].addresses[0].addr_spec, str(msg["Subject"]), str(msg["Message-ID"])))
    return out


# -- the real `digest scheduler` process ----------------------------------------------------------
DIGEST = Path(sys.executable).parent / "digest"


STARTED: list[subprocess.Popen] = []  # every scheduler a test started: stopped after it (tests/schedules/conftest.py)


def same_clock(env: dict[str, str]) -> dict[str, str]:
    """env for a child process that tells the time as this one does. Under libfaketime's
    fixed start (FAKETIME='@2031-06-15 10:00:00') every new process's clock starts at that
    moment again, so a scheduler restarted after a kill would go back in time, as no real
    clock does: the child gets this process's clock as an offset from the real one (the
    kernel's boot time and uptime, which libfaketime does not change)."""
    if not env.get("FAKETIME", "").startswith("@"):
        return env
    boot = next(
        int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
    )
    real = boot + float(Path("/proc/uptime").read_text().split()[0])
    return {**env, "FAKETIME": f"{time.time() - real:+.0f}"}


def start(site_dir: Path, port: int, log: Path) -> subprocess.Popen:
    """`digest scheduler` in site_dir, sending to the SMTP server on port, logging to log."""
    with log.open("a") as err:
        proc = subprocess.Popen(
            [str(DIGEST), "scheduler"],
            cwd=site_dir,
            env=same_clock(smtp_env(port)),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    STARTED.append(proc)
    return proc


def ledger(site_dir: Path) -> dict[str, Counter]:
    """Each edition key in the ledger and how many of its rows are in each state."""
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3", timeout=10)
    try:
        out: dict[str, Counter] = {}
        for key, state in conn.execute("SELECT edition_key, state FROM deliveries"):
            out.setdefault(key, Counter())[state] += 1
        return out
    except sqlite3.OperationalError:  # the scheduler has not made the table yet
        return {}
    finally:
        conn.close()


def wait_for(what: str, test, proc: subprocess.Popen, seconds: float = 180):
    """Poll test() until it is true (and return it) while the process runs; fail after `seconds`,
    which only stops a test that would hang: with both cores busy a fire can take many times
    what it takes on a quiet machine."""
    deadline = time.monotonic() + seconds
    while not (found := test()):
        assert proc.poll() is None, f"the scheduler exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return found
