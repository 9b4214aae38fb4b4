"""How dates, times, durations and counts read, everywhere digest shows them.

Light on purpose (the standard library only): the scheduler, the CLI and the
templates all use these without pulling in the renderer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")  # content and schedules are Europe/London wall-clock times


def day(d: date | datetime) -> str:
    """'Tue 7 May 2024'"""
    return f"{d:%a} {d.day} {d:%B %Y}"


def clock(t: datetime) -> str:
    """'14:00'"""
    return f"{t:%H:%M}"


def span(start: datetime, end: datetime) -> str:
    """'Tue 7 May 2024, 14:00 to 15:00'"""
    if start.date() == end.date():
        return f"{day(start)}, {clock(start)} to {clock(end)}"
    return f"{day(start)}, {clock(start)} to {day(end)}, {clock(end)}"


def moment(dt: datetime) -> str:
    """A fire time in London: 'Mon 30 Nov 2026 07:00 GMT'"""
    local = dt.astimezone(LONDON)
    shown = f"{local:%H:%M}" if local.second == 0 else f"{local:%H:%M:%S}"
    return f"{day(local)} {shown} {local.tzname()}"


def duration(delta: timedelta) -> str:
    """timedelta(hours=1, minutes=30) -> '1h30m'"""
    left, out = int(delta.total_seconds()), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            out += f"{left // size}{unit}"
            left %= size
    return out or "0s"


def ago(delta: timedelta) -> str:
    """How late: '2h5m' (whole minutes), or '40s' under a minute."""
    if delta >= timedelta(minutes=1):
        return duration(timedelta(minutes=int(delta.total_seconds() // 60)))
    return f"{int(delta.total_seconds())}s"


_IRREGULAR = {"reply": "replies", "is": "are", "was": "were", "has": "have", "copy": "copies", "this": "these"}


def plural(n: int, word: str, many: str | None = None, *, number: bool = True) -> str:
    """'1 date', '2 dates', '0 replies'; number=False gives the word alone ('is'/'are')."""
    form = word if n == 1 else (many or _IRREGULAR.get(word) or word + "s")
    return f"{n:,} {form}" if number else form
