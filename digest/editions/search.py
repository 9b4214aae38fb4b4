"""The search index: every question of every forum, as one JSON file, OUT/search/index.json,
that the search page (templates/site/search.js) loads and searches in the browser with
MiniSearch (docs/architecture.md says why). No search server, nothing sent anywhere.

Each item is one record: the words it is found by, in fields the page weighs differently
(headline highest, then the short answer, the question and answer, and the rest: link
titles, topics, section, forum, who answered), and what a result shows and filters on
(forum, date, status, topic, summary, where it links; the districts, phases and settings
its audience reaches). Beside the records: the synonym groups of content/synonyms.yaml,
which the page reads both into each record and into the query, so that every form of a
group finds the items that use any other.

The file is a few tens of kilobytes for the example's hundred items and replaces the last
one whole (digest/files.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digest.content import wording
from digest.content.load import Site
from digest.editions.archive import Entry, when
from digest.editions.markup import to_text
from digest.editions.public import public
from digest.editions.urls import SEARCH_INDEX, forum_page
from digest.files import write_atomic

STATUS = {"answered": "Answered", "pending": "Answer to come", "follow-up": "More to follow"}
FORMAT = 1  # the page (templates/site/search.js FORMAT) refuses an index of another shape
CAPITALS = re.compile(r"(?<![\w])[A-Z][A-Z0-9]{1,2}(?![\w])")  # LA, EP, EY: short words that are abbreviations


@dataclass
class Index:
    records: int
    bytes: int
    seconds: float | None  # None: the content was the same, the last index was kept


def searchable(site: Site, entry: Entry) -> dict[str, str]:
    """The item's text as it is indexed, by field."""
    item = entry.item
    contact = next((c.name for c in site.contacts if c.id == item.answered_by), "")
    section = next((s.title for s in entry.forum.sections if item in s.items), "")
    more = [" ".join(link.title for link in item.links), ", ".join(item.topics), section, entry.forum.title, contact]
    return {
        "title": wording.headline(item),
        "summary": wording.summary(item),
        "question": to_text(item.question, 100_000),
        "answer": to_text(item.answer or "", 100_000),
        "more": ". ".join(p for p in more if p.strip()),
    }


def record(site: Site, entry: Entry, order: int = 0) -> dict:
    """One item's record. `order`, its place among the items as written, keeps the items of
    one forum in that order when they are listed newest first."""
    item, forum = entry.item, entry.forum
    return {
        "id": item.id,
        **searchable(site, entry),
        "link": f"{forum_page(forum.id)}#{item.id}",
        "forum": forum.title,
        "date": when(forum),
        "sort": f"{max(forum.dates).isoformat()}-{9999 - order:04d}",
        "status": STATUS[item.status],
        "topic": item.topic,
        "changed": bool(entry.later),
        "district": entry.reach["districts"],
        "phase": entry.reach["phases"],
        "setting": entry.reach["settings"],
    }


def index_json(site: Site, found: dict[str, Entry]) -> str:
    records = [record(site, entry, n) for n, entry in enumerate(found.values())]
    words = " ".join(r[f] for r in records for f in ("title", "summary", "question", "answer", "more"))
    data = {
        "format": FORMAT,
        "synonyms": [list(group) for group in site.synonyms.groups],
        "abbreviations": sorted({w.lower() for w in CAPITALS.findall(words)}),
        "items": records,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_index(
    site: Site, out: Path, found: dict[str, Entry], write: Callable[[Path, str], None] = write_atomic
) -> Index:
    """Write every entry to OUT/search/index.json, replacing the last index whole."""
    start = time.perf_counter()
    text = public(index_json(site, found), site)  # officers' addresses as digest.toml says
    write(out / SEARCH_INDEX, text)
    return Index(len(found), len(text.encode("utf-8")), time.perf_counter() - start)
