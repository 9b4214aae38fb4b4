"""Helpers for the schedule tests: schedule files in a copy of the test site, and what arrived."""

from __future__ import annotations

import textwrap
from pathlib import Path

from digest.content.load import load_site
from digest.schedules.files import Schedule, load_or_fail
from digest.settings import load_settings
from support.delivery import outbox, parse

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
