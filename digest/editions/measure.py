"""How long an edition is, as a reader feels it: words of the text part (footer left
out), minutes at 200 words a minute, and screens on a 375 px phone; and which part of
it is the largest, so that `digest check` can say what to shorten.

The phone height is estimated from the text part, whose lines are close to what a
375 px screen shows: a line of the phone's column holds about 44 characters of the text
part, a line is 24 px tall, and a screen is 667 px. tests/editions/test_phone_height.py checks the
estimate against Debian's chromium.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

WORDS_PER_MINUTE = 200
SCREEN_PX = 667  # an iPhone SE-sized phone: 375 x 667 CSS pixels
# Fitted by least squares to chromium's heights of 91 editions of the example content
# (tests/editions/test_phone.py keeps the estimate within 10 % of chromium's).
COLUMN_CHARS = 44  # characters of a text line that fill one line of the phone's column
LINE_PX = 24
BLOCK_PX = 27  # the space a paragraph, heading or list item adds
CHROME_PX = 72  # what the body's lines leave out: header, greeting, footer, less what they overcount
RULE = re.compile(r"^-{20,}$")
URL = re.compile(r"^\s*(?:https?://|mailto:)\S+$")  # a text part's link line: a link text in the HTML


def words(text: str) -> int:
    return len(text.split())


def minutes(n_words: int) -> int:
    return max(1, math.ceil(n_words / WORDS_PER_MINUTE))


def parts(body: str) -> dict[str, int]:
    """Words per part of a text body: each part starts at a heading line underlined with
    dashes; what comes before the first heading is 'Opening'."""
    out: dict[str, int] = {}
    current, lines = "Opening", body.splitlines()
    for i, line in enumerate(lines):
        if RULE.match(line.strip()):
            continue
        if i + 1 < len(lines) and RULE.match(lines[i + 1].strip()) and line.strip():
            current = line.strip().capitalize()
            continue
        out[current] = out.get(current, 0) + words(line)
    return out


def phone_screens(body: str) -> float:
    """Screens a 375 px phone scrolls through for this body (estimated)."""
    px, blank = CHROME_PX, True
    for line in body.splitlines():
        text = line.strip()
        if not text or RULE.match(text):
            blank = True
            continue
        if URL.match(line):
            continue  # in the HTML the link sits on the text above it
        px += math.ceil(len(text) / COLUMN_CHARS) * LINE_PX + (BLOCK_PX if blank else 0)
        blank = False
    return px / SCREEN_PX


@dataclass(frozen=True)
class Length:
    words: int
    minutes: int
    screens: float
    parts: dict[str, int]

    @property
    def largest(self) -> tuple[str, int]:
        return max(self.parts.items(), key=lambda kv: kv[1], default=("Opening", 0))

    @classmethod
    def of(cls, body: str) -> Length:
        n = words(body)
        return cls(n, minutes(n), phone_screens(body), parts(body))
