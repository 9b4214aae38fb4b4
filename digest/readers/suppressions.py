"""Readers suppressed by bounces and complaints: why, and since when (docs/bounces.md).

A hard bounce (5.x.x) suppresses a reader at once, soft bounces (4.x.x) on `soft_limit`
days within `soft_days`, and a complaint unsubscribes. A suppressed reader's status is
'bounced' (or 'unsubscribed', for a complaint), so no send reaches them: digests,
follow-ups and reminders all read `store.RECEIVING`. The row here says why and since when,
for `digest subscribers list` and `export`; confirming again (the reader's own action,
`store.confirm`) lifts it.

Every bounce is recorded once, by its fingerprint: the same report read twice changes
nothing. This is unlike the `suppressions` table, which keeps an erased address's hash
for ever and refuses it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digest.db import now, transaction

KINDS = ("hard", "soft", "complaint")
REASONS = {"hard": "hard bounce", "soft": "soft bounces", "complaint": "complaint"}
STATUS_AFTER = {"hard bounce": "bounced", "soft bounces": "bounced", "complaint": "unsubscribed"}


@dataclass(frozen=True)
class Bounce:
    """One reader's bounce or complaint, as read from a report (or a refusal at RCPT)."""

    subscriber_id: int
    kind: str  # hard, soft, complaint
    fingerprint: str  # the same report gives the same one
    received_at: str  # ISO 8601, UTC
    status: str = ""  # 5.1.1
    detail: str = ""
    edition_key: str = ""
    source: str = ""


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def record(conn: sqlite3.Connection, bounce: Bounce, *, soft_limit: int, soft_days: int) -> str:
    """Record a bounce and suppress its reader if it calls for it, in the caller's transaction.

    Returns what changed: 'seen' (this bounce was recorded before: nothing changes),
    'suppressed' (hard bounce, or the soft one that reached the limit), 'unsubscribed'
    (a complaint), 'counted' (a soft one below the limit), 'already' (the reader was
    suppressed already: recorded, nothing else changes) or 'gone' (no such reader)."""
    if bounce.kind not in KINDS:
        raise ValueError(f"unknown bounce kind {bounce.kind!r}")
    if conn.execute("SELECT 1 FROM subscribers WHERE id = ?", (bounce.subscriber_id,)).fetchone() is None:
        return "gone"
    added = conn.execute(
        "INSERT OR IGNORE INTO bounces (fingerprint, subscriber_id, edition_key, kind, status, detail, source,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            bounce.fingerprint,
            bounce.subscriber_id,
            bounce.edition_key,
            bounce.kind,
            bounce.status,
            bounce.detail[:500],
            bounce.source,
            bounce.received_at,
        ),
    ).rowcount
    if not added:
        return "seen"
    if why(conn, bounce.subscriber_id) is not None:
        return "already"
    if bounce.kind == "soft" and soft_days_within(conn, bounce, soft_days) < soft_limit:
        return "counted"
    reason = REASONS[bounce.kind]
    detail = " ".join(p for p in (bounce.status, bounce.detail) if p)[:300]
    suppress(conn, bounce.subscriber_id, reason, detail, bounce.received_at)
    return "unsubscribed" if bounce.kind == "complaint" else "suppressed"


def soft_days_within(conn: sqlite3.Connection, bounce: Bounce, days: int) -> int:
    """On how many days within `days` before this bounce the reader bounced softly (one
    score a day, as Mailman counts: a retrying server's repeats the same day count once)."""
    start = (datetime.fromisoformat(bounce.received_at) - timedelta(days=days)).isoformat(timespec="seconds")
    row = conn.execute(
        "SELECT COUNT(DISTINCT substr(received_at, 1, 10)) FROM bounces WHERE subscriber_id = ? AND kind = 'soft'"
        " AND received_at > ? AND received_at <= ?",
        (bounce.subscriber_id, start, bounce.received_at),
    ).fetchone()
    return int(row[0])


def suppress(conn: sqlite3.Connection, subscriber_id: int, reason: str, detail: str, since: str | None = None) -> None:
    """Stop sending to a reader, saying why (a reason in STATUS_AFTER)."""
    conn.execute(
        "INSERT OR IGNORE INTO reader_suppressions (subscriber_id, reason, detail, since) VALUES (?, ?, ?, ?)",
        (subscriber_id, reason, detail, since or now()),
    )
    conn.execute(
        "UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?",
        (STATUS_AFTER[reason], now(), subscriber_id),
    )


def lift(conn: sqlite3.Connection, subscriber_id: int) -> None:
    """The reader confirmed again: the suppression no longer holds (their bounces stay recorded)."""
    conn.execute("DELETE FROM reader_suppressions WHERE subscriber_id = ?", (subscriber_id,))


@dataclass(frozen=True)
class Why:
    reason: str
    detail: str
    since: str


def why(conn: sqlite3.Connection, subscriber_id: int) -> Why | None:
    row = conn.execute(
        "SELECT reason, detail, since FROM reader_suppressions WHERE subscriber_id = ?", (subscriber_id,)
    ).fetchone()
    return Why(*row) if row else None


def every_why(conn: sqlite3.Connection) -> dict[int, Why]:
    """Every suppressed reader's reason (for list and export: one query, not one a reader)."""
    rows = conn.execute("SELECT subscriber_id, reason, detail, since FROM reader_suppressions")
    return {r[0]: Why(r[1], r[2], r[3]) for r in rows}


def count_suppressed(conn: sqlite3.Connection) -> int:
    """Readers not sent because of a bounce or a complaint (for a send's summary)."""
    return conn.execute(
        "SELECT COUNT(*) FROM reader_suppressions r JOIN subscribers s ON s.id = r.subscriber_id"
        " WHERE s.status != 'confirmed'"
    ).fetchone()[0]


_STATUS = re.compile(r"\b5\.\d{1,3}\.\d{1,3}\b")


def refused_at_rcpt(
    conn: sqlite3.Connection, key: str, subscriber_id: int, detail: str, *, soft_limit: int, soft_days: int
) -> str:
    """A 5xx answered at RCPT during a send counts as a hard bounce (once per send and reader)."""
    code = _STATUS.search(detail)
    bounce = Bounce(
        subscriber_id,
        "hard",
        fingerprint("rcpt", key, str(subscriber_id)),
        datetime.now(UTC).isoformat(timespec="seconds"),
        status=code[0] if code else "5.0.0",
        detail=detail,
        edition_key=key,
        source="rcpt",
    )
    with transaction(conn):
        return record(conn, bounce, soft_limit=soft_limit, soft_days=soft_days)
