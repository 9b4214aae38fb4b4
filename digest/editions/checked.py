"""What the last `digest check` reported, kept by a hash of everything it read, so that a
check of content that did not change answers at once.

The key is editions/manifest.py's stamp: the code, the resolved settings, every file of
content/, the templates (the word budget renders the text parts), the schedules, the day
(the budget and the schedules are measured as of today) and the working folder (problems
name files relative to it). Any change is another key, and the check runs again (with
each edition's text part taken from the kept renders when its content is the same:
editions/kept.py).

The file, var/cache/check.json, is a cache: safe to delete, written atomically, ignored
whole when unreadable or of another format.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from digest.editions.manifest import stamp
from digest.files import write_atomic

if TYPE_CHECKING:
    from digest.settings import Settings

FORMAT = 1
FILE = Path("cache") / "check.json"


@dataclass
class Report:
    problems: list[str]  # each error and warning as printed, in order
    summary: str  # '2 forums, 100 items, ...: 0 errors, 3 warnings'
    failed: bool  # any error: the check exits 1


class Checked:
    def __init__(self, settings: Settings, day: date) -> None:
        self.path = settings.path("var") / FILE
        self.key = stamp(settings, "check", day, os.getcwd(), trees=(settings.path("schedules"),))

    def read(self) -> Report | None:
        """The report of a check of exactly these inputs, or None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("key") != self.key:
                return None
            return Report([str(p) for p in data["problems"]], str(data["summary"]), bool(data["failed"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, report: Report) -> None:
        data = {"format": FORMAT, "key": self.key, **report.__dict__}
        with contextlib.suppress(OSError):  # a cache: a check that cannot keep its report still did its work
            write_atomic(self.path, json.dumps(data, ensure_ascii=False))
