"""The search index: every question of every forum, searchable in the browser with
Pagefind (docs/architecture.md says why), written to OUT/pagefind by `digest build`.

Each item becomes one small HTML record in a staging folder, never published: its
headline (Pagefind's title, weighted highest), summary, question, answer, link titles,
topics, section and forum, who answered, and the other forms of every abbreviation it
uses (content/synonyms.yaml: Pagefind has no synonyms, so the index carries them). Its
metadata is what a result shows (headline, forum, date, status, topic, summary) and
where it links (the item's anchor on its forum's page); its filters are the districts,
phases and settings its audience reaches, its status, forum and topics. Pagefind's own
command line indexes the folder in one run (a tenth of a second for the example content;
its Python API answers each call a tenth of a second apart, which for a hundred items
would cost seconds), and the bundle replaces the last one whole. Pagefind's ready-made
search interfaces are left out: templates/site/search.js is the page's own.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from digest.content import wording
from digest.content.load import Site
from digest.editions.archive import Entry, when
from digest.editions.markup import to_text
from digest.editions.public import public
from digest.editions.urls import SEARCH_BUNDLE, forum_page
from digest.errors import DigestError

UNUSED = (  # Pagefind's own interfaces
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
)
STATUS = {"answered": "Answered", "pending": "Answer to come", "follow-up": "More to follow"}


@dataclass
class Index:
    records: int
    bytes: int  # the whole bundle: scripts, WebAssembly and index
    seconds: float


def pagefind() -> Path:
    """The Pagefind binary that the pagefind-bin package installs."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise DigestError(
            "Pagefind is not installed, so the search index cannot be built "
            "(install digest again, `pip install -e .`: it brings the pagefind-bin package)"
        ) from None
    return Path(get_executable())


def searchable(site: Site, entry: Entry) -> list[str]:
    """The item's text as it is indexed, headline first."""
    item = entry.item
    contact = next((c.name for c in site.contacts if c.id == item.answered_by), "")
    section = next((s.title for s in entry.forum.sections if item in s.items), "")
    return [
        wording.headline(item),
        wording.summary(item),
        to_text(item.question, 100_000),
        to_text(item.answer or "", 100_000),
        " ".join(link.title for link in item.links),
        ", ".join(item.topics),
        section,
        entry.forum.title,
        contact,
    ]


def record(site: Site, entry: Entry, order: int = 0) -> str:
    """One item's record. `order`, its place among the items as written, keeps the items
    of one forum in that order when results are listed newest first."""
    item, forum = entry.item, entry.forum
    parts = searchable(site, entry)
    also = site.synonyms.expand(" ".join(parts))
    e = html.escape
    meta = {
        "title": parts[0],
        "link": f"{forum_page(forum.id)}#{item.id}",
        "forum": forum.title,
        "date": when(forum),
        "status": STATUS[item.status],
        "topic": item.topic,
        "summary": parts[1],
        **({"changed": "yes"} if entry.later else {}),
    }
    filters = {
        "district": entry.reach["districts"],
        "phase": entry.reach["phases"],
        "setting": entry.reach["settings"],
        "status": [STATUS[item.status]],
        "forum": [forum.title],
        "topic": list(item.topics),
    }
    hidden = [f'<span data-pagefind-meta="{k}">{e(v)}</span>' for k, v in meta.items()]
    hidden += [f'<span data-pagefind-filter="{k}">{e(v)}</span>' for k, vs in filters.items() for v in vs]
    hidden.append(f'<span data-pagefind-sort="date">{max(forum.dates).isoformat()}-{9999 - order:04d}</span>')
    body = [f"<h1>{e(parts[0])}</h1>"] + [f"<p>{e(p)}</p>" for p in parts[1:] if p.strip()]
    if also:
        body.append(f"<p>Also: {e(', '.join(also))}.</p>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(parts[0])}</title></head><body>"
        + "".join(body)
        + '<div data-pagefind-ignore="index">'
        + "".join(hidden)
        + "</div></body></html>\n"
    )


def write_index(site: Site, out: Path, found: dict[str, Entry]) -> Index:
    """Index every entry into OUT/pagefind, replacing the last index whole."""
    start = time.perf_counter()
    binary = pagefind()
    out.mkdir(parents=True, exist_ok=True)
    bundle, fresh, stale = out / SEARCH_BUNDLE, out / f".{SEARCH_BUNDLE}-new", out / f".{SEARCH_BUNDLE}-old"
    for leftover in (fresh, stale):
        shutil.rmtree(leftover, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="digest-search-") as tmp:
        stage = Path(tmp) / "records"
        stage.mkdir()
        for n, entry in enumerate(found.values()):
            (stage / f"{n:04d}-{entry.item.id}.html").write_text(public(record(site, entry, n), site), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}  # no stray settings
        args = [str(binary), "--site", str(stage), "--output-path", str(fresh), "--force-language", "en", "--silent"]
        try:
            done = subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
        except OSError as exc:
            raise DigestError(f"could not run Pagefind ({binary}): {exc}") from None
        if done.returncode != 0 or not (fresh / "pagefind.js").is_file():
            shutil.rmtree(fresh, ignore_errors=True)
            said = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise DigestError("Pagefind could not build the search index:\n" + "\n".join(said))
    for name in UNUSED:
        (fresh / name).unlink(missing_ok=True)
    if bundle.exists():
        bundle.rename(stale)
    fresh.rename(bundle)
    shutil.rmtree(stale, ignore_errors=True)
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    return Index(len(found), size, time.perf_counter() - start)
