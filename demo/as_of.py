"""The day `make demo` writes and sends as of: the day after the latest forum's last session,
when its digest would first go out. Sent as of today instead, every date in the example
content would be past, and a newcomer would see no dates, calendars or reminders.

    python -m demo.as_of    # prints YYYY-MM-DD
"""

from __future__ import annotations

from pathlib import Path

from digest.content.load import load_or_fail
from digest.editions.select import day_after
from digest.settings import load_settings


def demo_day(root: Path) -> str:
    site = load_or_fail(load_settings(root))
    return max(day_after(forum) for forum in site.forums.values()).isoformat()


if __name__ == "__main__":
    print(demo_day(Path.cwd()))
