"""Dates inside answers that have gone by: "Tuesday 7 May 2024" reads "Tuesday 7 May 2024,
now past" in an edition written after it, and a link whose title names a past date (a
booking or join link for that session) is marked the same way. The note is a clause of
the sentence, never a bracket spliced into it: "book by 2 May to attend" reads "book by
2 May, now past, to attend", and "(2 May)" reads "(2 May, now past)".

The dates are found as people write them in the forum documents: a day and a month
name with an optional weekday, ordinal and year ("7 May 2024", "Tue 7th May",
"25 June"), or "07/05/2024". A date without a year is taken in the forum's year, or the
next one when that would put it more than a month before the forum.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], 1)}  # fmt: skip
_MONTH = "|".join(n.capitalize() for n in sorted([*MONTHS, *(m[:3] for m in MONTHS), "sept"], key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>20\d\d))?\b"
)  # month names capitalised, as written: "2 may" in a sentence is not a date
_NUMERIC = re.compile(r"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>20\d\d)\b")
_MARKED = re.compile(r"(?:,?\s+20\d\d)?, now past\b")  # what follows a date already marked
MARK = ", now past"
_CLOSES = re.compile(r"[*_]*\s*(?:$|[),.;:!?\]])")  # the sentence or the bracket ends after the date


def _month(name: str) -> int:
    name = name.lower()
    return MONTHS.get(name) or next(n for m, n in MONTHS.items() if m.startswith(name[:3]))


def _when(m: re.Match[str], around: date) -> date | None:
    month = int(m["month"]) if m["month"].isdigit() else _month(m["month"])
    try:
        if m["year"]:
            return date(int(m["year"]), month, int(m["day"]))
        found = date(around.year, month, int(m["day"]))
    except ValueError:
        return None
    return found if found >= around - timedelta(days=31) else found.replace(year=found.year + 1)


@lru_cache(maxsize=8192)
def mark_past(text: str, as_of: date, around: date) -> str:
    """text with ", now past" after every date before as_of (`around`: the forum's date, for
    dates written without a year), and a comma after it where the sentence goes on."""
    if not text:
        return text

    def mark(m: re.Match[str]) -> str:
        if _MARKED.match(m.string, m.end()):
            return m[0]
        when = _when(m, around)
        if when is None or when >= as_of:
            return m[0]
        return m[0] + MARK + ("" if _CLOSES.match(m.string, m.end()) else ",")

    return _NUMERIC.sub(mark, _DAY_MONTH.sub(mark, text))
