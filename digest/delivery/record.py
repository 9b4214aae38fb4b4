"""What each reader was sent, item by item: the record behind follow-ups and "Answered
since the last forum" (docs/follow-ups.md).

Recording keeps the house rule of rendering: once per distinct edition, never once per
reader. The items a prepared edition holds, each in the status and with the fingerprint
of the answer it was sent in, are one *snapshot* (tables `snapshots` and
`snapshot_items`), named by a hash of exactly that, so a later change of content can
never be taken for it, and two sends of the same items in the same versions share it.
A reader is tied to the snapshot by the ledger row they get anyway (`deliveries.snapshot`,
written with the 'sending' mark in digest.delivery.ledger): a message costs one short
column, not a row per item per reader.

"Materially changed" is a change of the fingerprint: a hash of the answer's words and
links as a reader reads them, with Markdown, case, punctuation and spacing taken out. A
comma, a line break, bold or a curly quote is not a change; a word, a number or a link
is. The status is kept beside it, since an answer can go from "still to come" to
answered with the same words.

Every query on the snapshot tables lives here.
"""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from urllib.parse import urlsplit, urlunsplit

from digest.content import wording
from digest.content.model import Item
from digest.db import now, transaction
from digest.editions import markup

KINDS = ("digest", "follow-up")
WAITING = ("pending", "follow-up")  # statuses of an answer a reader is still waiting for (in part)

Row = tuple[str, str, str, str]  # (forum, item, status, fingerprint)
Version = tuple[str, str]  # (status, fingerprint)


def _url(url: str) -> str:
    """A link as a reader follows it: scheme and host in lower case, no trailing slash."""
    url = url.strip()
    if url.lower().startswith("mailto:"):
        return url.lower()
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, parts.fragment))


@lru_cache(maxsize=4096)
def _fingerprint(answer: str, links: tuple[str, ...]) -> str:
    words = unicodedata.normalize("NFKC", wording.plain(answer)).casefold()
    letters = "".join(ch for ch in words if ch.isalnum())
    urls = sorted({_url(url) for _, url in markup.links(answer)} | {_url(url) for url in links})
    return hashlib.sha256("\0".join(["v1", letters, *urls]).encode()).hexdigest()[:16]


def fingerprint(item: Item) -> str:
    """The answer as a reader reads it (its words, numbers and links), hashed."""
    return _fingerprint(item.answer or "", tuple(link.url for link in item.links))


def version(item: Item) -> Version:
    return item.status, fingerprint(item)


@dataclass(frozen=True)
class Snapshot:
    """The items one edition held, in the versions it held them."""

    kind: str  # 'digest' or 'follow-up'
    rows: tuple[Row, ...]  # sorted

    @classmethod
    def of(cls, kind: str, items: Iterable[tuple[str, Item]]) -> Snapshot:
        """From (forum id, item) pairs."""
        if kind not in KINDS:
            raise ValueError(f"unknown snapshot kind {kind!r}")
        return cls(kind, tuple(sorted({(forum, item.id, *version(item)) for forum, item in items})))

    @cached_property
    def id(self) -> str:
        return hashlib.sha256(repr((self.kind, self.rows)).encode()).hexdigest()[:32]


def save(conn: sqlite3.Connection, snapshot: Snapshot) -> None:
    """Record a snapshot (once: a snapshot already recorded is left as it is)."""
    with transaction(conn):
        if conn.execute("SELECT 1 FROM snapshots WHERE id = ?", (snapshot.id,)).fetchone():
            return
        conn.execute(
            "INSERT INTO snapshots (id, kind, created_at) VALUES (?, ?, ?)", (snapshot.id, snapshot.kind, now())
        )
        conn.executemany(
            "INSERT INTO snapshot_items (snapshot, forum, item, status, fingerprint) VALUES (?, ?, ?, ?, ?)",
            [(snapshot.id, *row) for row in snapshot.rows],
        )


class Record:
    """The recorded snapshots that mention some forums (their items of those forums only),
    for reading readers' histories against: a reader's history is the set of snapshot ids
    of their ledger rows (digest.delivery.ledger.told), and what it says about each item is
    worked out once per distinct set."""

    def __init__(self, snapshots: dict[str, Snapshot]) -> None:
        self.snapshots = snapshots
        self._memo: dict[frozenset[str], dict[tuple[str, str], frozenset[tuple[str, str, str]]]] = {}

    @classmethod
    def load(cls, conn: sqlite3.Connection, forums: Iterable[str]) -> Record:
        wanted = sorted(set(forums))
        if not wanted:
            return cls({})
        marks = ", ".join("?" * len(wanted))
        rows = conn.execute(
            "SELECT s.id, s.kind, i.forum, i.item, i.status, i.fingerprint FROM snapshot_items i"
            f" JOIN snapshots s ON s.id = i.snapshot WHERE i.forum IN ({marks}) ORDER BY s.id, i.forum, i.item",
            wanted,
        )
        found: dict[str, tuple[str, list[Row]]] = {}
        for sid, kind, *row in rows:
            found.setdefault(sid, (kind, []))[1].append(tuple(row))  # type: ignore[arg-type]
        return cls({sid: Snapshot(kind, tuple(items)) for sid, (kind, items) in found.items()})

    def relevant(self, snapshot_ids: Iterable[str]) -> frozenset[str]:
        """The ones of these snapshots that mention the record's forums."""
        return frozenset(s for s in snapshot_ids if s in self.snapshots)

    def told(self, snapshot_ids: frozenset[str]) -> dict[tuple[str, str], frozenset[tuple[str, str, str]]]:
        """(forum, item) -> every (kind, status, fingerprint) these snapshots sent it in."""
        if snapshot_ids not in self._memo:
            out: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
            for sid in snapshot_ids:
                snap = self.snapshots[sid]
                for forum, item, status, fp in snap.rows:
                    out.setdefault((forum, item), set()).add((snap.kind, status, fp))
            self._memo[snapshot_ids] = {k: frozenset(v) for k, v in out.items()}
        return self._memo[snapshot_ids]


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(snapshots, their item rows) in the database: what the record costs."""
    snapshots = conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
    return snapshots, conn.execute("SELECT COUNT(*) FROM snapshot_items").fetchone()[0]
