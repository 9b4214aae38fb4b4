"""What a reader scans: an item's headline and summary, written or derived.

An organiser may write `headline:` (the question as a reader would scan it, about 15
words) and `summary:` (the short answer, about 40 words). Where they are missing they
are derived: the headline is the question's last sentence ending in "?" if it is short
enough (with the sentence before it when the question alone is a few words, "What is
being done?", and both fit), otherwise its first sentence cut at a word boundary; the summary is the answer's
first sentence. The importer suggests the same ones, and `digest check` warns when a
derived one is over its limit.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

from digest.content.model import Item

HEADLINE_WORDS = 15
SUMMARY_WORDS = 40
CONTEXT_WORDS = 6  # a question this short takes the sentence before it along, when both fit
PENDING_SUMMARY = "The answer is still to come."
FOLLOW_UP_SUMMARY = "More to follow."

# A sentence ends at . ? or ! followed by space and a capital, a digit or an opening quote,
# but not after the abbreviations the forum documents use.
_ABBREVIATIONS = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bNo)(?<!\bvs)"
# bounded repeats (tests/content/test_patterns.py): `sentences` has made every space one already
_SENTENCE_END = re.compile(_ABBREVIATIONS + r"(?<=[.?!])[\"'”’)]{0,8}\s{1,8}(?=[A-Z0-9\"'“‘(])")


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


@lru_cache(maxsize=4096)
def plain(markdown: str) -> str:
    """Markdown as one line of plain text: emphasis and link markup gone, blocks joined."""
    blocks = []
    for token in _md().parse(markdown or ""):
        if token.type == "inline":
            text = "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline", "softbreak"))
            text = " ".join(text.split())
            if text:
                blocks.append(text if text[-1] in ".?!:;" else text + ".")
    return " ".join(blocks)


def sentences(text: str) -> list[str]:
    text = " ".join((text or "").split())
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def words(text: str) -> int:
    return len(text.split())


def cut(text: str, limit: int) -> str:
    """At most `limit` words, cut at a word boundary, with an ellipsis when cut."""
    parts = text.split()
    if len(parts) <= limit:
        return text
    return " ".join(parts[:limit]).rstrip(",;:–-") + "…"


@lru_cache(maxsize=4096)
def derive_headline(question: str) -> str:
    found = sentences(plain(question))
    if not found:
        return ""
    asks = [i for i, s in enumerate(found) if s.endswith("?")]
    if asks and words(found[asks[-1]]) <= HEADLINE_WORDS:
        last = asks[-1]
        # "What is being done?" says nothing alone: keep the sentence before it when both fit
        if words(found[last]) <= CONTEXT_WORDS and last > 0:
            both = f"{found[last - 1]} {found[last]}"
            if words(both) <= HEADLINE_WORDS:
                return both
        return found[last]
    return found[0]


@lru_cache(maxsize=4096)
def derive_summary(answer: str) -> str:
    found = sentences(plain(answer))
    return found[0] if found else ""


def headline(item: Item) -> str:
    """The headline a reader sees: the written one, or one derived from the question, cut
    to about 15 words."""
    return item.headline or cut(derive_headline(item.question), HEADLINE_WORDS)


def summary(item: Item) -> str:
    """The short answer a reader sees: the written one, or the answer's first sentence cut
    to about 40 words; for an answer still to come, says so."""
    if item.summary:
        return item.summary
    if item.status == "pending" and not (item.answer or "").strip():
        return PENDING_SUMMARY
    derived = derive_summary(item.answer or "")
    return cut(derived, SUMMARY_WORDS) if derived else FOLLOW_UP_SUMMARY
