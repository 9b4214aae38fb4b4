"""An edition as rendered: its subject, HTML (CSS inlined) and text, with the personal parts
(greeting, the reader's profile, signed unsubscribe and preference links) as placeholders
that `Rendered.personalise` fills per reader, and its length (editions/measure.py).

Apart from the renderer (editions/render.py) so that what only reads a render, such as
the word budget over kept renders (editions/kept.py), does not import Jinja.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from digest.editions.measure import Length

if TYPE_CHECKING:
    from digest.editions.select import Edition

PERSONAL = ("greeting", "profile", "unsubscribe_url", "preferences_url")
_PLACEHOLDER = re.compile(r"%%digest:(\w+)%%")


def placeholder(name: str) -> str:
    return f"%%digest:{name}%%"


@dataclass
class Rendered:
    edition: Edition
    subject: str
    html: str  # CSS inlined; personal parts as placeholders
    text: str
    body: str | None = None  # the text part without its footer (what the word budget counts)

    @cached_property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))

    @cached_property
    def length(self) -> Length:
        return Length.of(self.text if self.body is None else self.body)

    def personalise(self, values: dict[str, str]) -> tuple[str, str]:
        """(html, text) for one reader; values are escaped for HTML here."""
        missing = set(PERSONAL) - set(values)
        if missing:
            raise KeyError(f"missing personal values: {sorted(missing)}")
        html = _PLACEHOLDER.sub(lambda m: htmllib.escape(values[m.group(1)]), self.html)
        text = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)
        return html, text
