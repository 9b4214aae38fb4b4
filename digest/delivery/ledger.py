"""Stage 6: the send ledger. One row per (edition key, reader) in the shared SQLite file.

States: pending -> sending -> handed -> sent, or failed (refused for good, with the
server's reply), or unknown (the message may have been delivered: its end went to the
server and no answer came back).

A row is marked 'sending' in its own committed statement before the message is handed
over, 'handed' just before its end goes (SMTP's final dot, the API's request) and 'sent'
when the server accepts it. So after a crash (even kill -9) a row left 'sending' was
certainly not delivered, and the next run makes it pending and sends it; a row left
'handed' may have been, and becomes 'unknown'. Unknown messages are sent again by
default, with the same Message-ID: mail prefers a duplicate to a loss (RFC 5321 6.1).
An operator who wants to read the server's log first holds them (`--hold-unknown`, or
delivery.hold_unknown). Everything else is finished by running the same command again.

One send of an edition key at a time: an fcntl lock on a file under var/locks/, which the
kernel releases when the process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from digest.db import now, transaction
from digest.locks import exclusive

STATES = ("pending", "sending", "handed", "sent", "failed", "unknown")
# The send's connection commits without an fsync each time (WAL, synchronous=NORMAL): a
# commit is in the operating system's hands at once, so it survives kill -9, and costs
# microseconds instead of a disk flush per message. An OS crash or power cut can lose the
# last few seconds of commits; docs/delivery.md says what that means for a rerun.
SYNCHRONOUS = "NORMAL"
INTERRUPTED = "the send was interrupted after this message was handed over, before the server answered; it may have been delivered"
NOT_HANDED = "the send was interrupted before this message was handed over; it was not delivered"


@dataclass(frozen=True)
class Entry:
    subscriber_id: int
    state: str
    attempts: int
    detail: str


def recover(conn: sqlite3.Connection, key: str) -> tuple[int, int]:
    """What a crashed run left: 'sending' rows become pending (nothing was handed over),
    'handed' rows unknown. Returns (pending again, unknown)."""
    stamp = now()
    with transaction(conn):
        again = conn.execute(
            "UPDATE deliveries SET state = 'pending', detail = ?, updated_at = ? WHERE edition_key = ? AND state = 'sending'",
            (NOT_HANDED, stamp, key),
        ).rowcount
        unknown = conn.execute(
            "UPDATE deliveries SET state = 'unknown', detail = ?, updated_at = ? WHERE edition_key = ? AND state = 'handed'",
            (INTERRUPTED, stamp, key),
        ).rowcount
    return again, unknown


def entries(conn: sqlite3.Connection, key: str, subscriber_ids: list[int]) -> dict[int, Entry]:
    """The ledger rows of these readers (one page of them) for this edition key."""
    if not subscriber_ids:
        return {}
    rows = conn.execute(
        "SELECT subscriber_id, state, attempts, detail FROM deliveries WHERE edition_key = ? AND subscriber_id BETWEEN ? AND ?",
        (key, min(subscriber_ids), max(subscriber_ids)),
    )
    wanted = set(subscriber_ids)
    return {r[0]: Entry(*r) for r in rows if r[0] in wanted}


def row_ids(conn: sqlite3.Connection, key: str, subscriber_ids: list[int]) -> dict[int, int]:
    """The ledger row id of each of these readers (one page) for this edition key: a message's
    VERP envelope sender names it (digest.delivery.verp)."""
    if not subscriber_ids:
        return {}
    rows = conn.execute(
        "SELECT subscriber_id, id FROM deliveries WHERE edition_key = ? AND subscriber_id BETWEEN ? AND ?",
        (key, min(subscriber_ids), max(subscriber_ids)),
    )
    wanted = set(subscriber_ids)
    return {sid: rid for sid, rid in rows if sid in wanted}


def add_pending(conn: sqlite3.Connection, key: str, rows: Iterable[tuple[int, str, str]]) -> None:
    """(subscriber_id, edition_id, message_id) rows as 'pending', in one transaction; existing rows are kept."""
    stamp = now()
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO deliveries (edition_key, subscriber_id, edition_id, message_id, state, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
            [(key, sid, eid, mid, stamp, stamp) for sid, eid, mid in rows],
        )


def mark_sending(
    conn: sqlite3.Connection, key: str, subscriber_id: int, edition_id: str, transport: str, snapshot: str | None = None
) -> None:
    """Committed before the message is handed over (autocommit: one durable statement).

    edition_id is written again: a reader who changed their profile since the row was
    made gets (and is recorded with) the edition for the new one. So is snapshot, the
    items the message holds in their versions (digest.delivery.record), already recorded."""
    conn.execute(
        "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, edition_id = ?, transport = ?, snapshot = ?,"
        " updated_at = ? WHERE edition_key = ? AND subscriber_id = ?",
        (edition_id, transport, snapshot, now(), key, subscriber_id),
    )


def mark_handed(conn: sqlite3.Connection, key: str, subscriber_id: int) -> None:
    """Committed just before the end of the message goes: from here it may be delivered."""
    conn.execute(
        "UPDATE deliveries SET state = 'handed', updated_at = ? WHERE edition_key = ? AND subscriber_id = ?",
        (now(), key, subscriber_id),
    )


def mark(conn: sqlite3.Connection, key: str, subscriber_id: int, state: str, detail: str = "") -> None:
    if state not in STATES:
        raise ValueError(f"unknown ledger state {state!r}")
    conn.execute(
        "UPDATE deliveries SET state = ?, detail = ?, updated_at = ? WHERE edition_key = ? AND subscriber_id = ?",
        (state, detail[:1000], now(), key, subscriber_id),
    )


def counts(conn: sqlite3.Connection, key: str) -> dict[str, int]:
    out = dict.fromkeys(STATES, 0)
    for state, n in conn.execute("SELECT state, COUNT(*) FROM deliveries WHERE edition_key = ? GROUP BY state", (key,)):
        out[state] = n
    return out


def problems(conn: sqlite3.Connection, key: str, limit: int = 50) -> list[tuple[str, str, str]]:
    """(email, state, detail) of failed and unknown rows, for the summary."""
    rows = conn.execute(
        "SELECT COALESCE(s.email, '#' || d.subscriber_id), d.state, d.detail FROM deliveries d"
        " LEFT JOIN subscribers s ON s.id = d.subscriber_id"
        " WHERE d.edition_key = ? AND d.state IN ('failed', 'unknown') ORDER BY d.state, d.subscriber_id LIMIT ?",
        (key, limit),
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def unfinished_states(resend_unknown: bool) -> tuple[str, ...]:
    """The states a rerun still sends: unknown too, unless unknown messages are held."""
    return ("pending", "sending", "handed") + (("unknown",) if resend_unknown else ())


def keys(
    conn: sqlite3.Connection, prefix: str = "", unfinished: bool = False, resend_unknown: bool = True
) -> list[str]:
    """Edition keys in the ledger (those starting with prefix; with rows a rerun would send, if asked)."""
    sql = "SELECT DISTINCT edition_key FROM deliveries WHERE substr(edition_key, 1, ?) = ?"
    if unfinished:
        sql += " AND state IN (" + ", ".join(f"'{s}'" for s in unfinished_states(resend_unknown)) + ")"
    return [r[0] for r in conn.execute(sql + " ORDER BY edition_key", (len(prefix), prefix))]


def finished_with(conn: sqlite3.Connection, edition_glob: str, other_than: str) -> str | None:
    """The first edition key, other than other_than, whose rows for editions matching
    edition_glob are all finished (none pending, sending or handed): a send already done in full."""
    row = conn.execute(
        "SELECT edition_key FROM deliveries WHERE edition_key != ? AND edition_id GLOB ? GROUP BY edition_key"
        " HAVING SUM(state IN ('pending', 'sending', 'handed')) = 0 ORDER BY MIN(created_at) LIMIT 1",
        (other_than, edition_glob),
    ).fetchone()
    return row[0] if row else None


# What a reader's history says (docs/follow-ups.md): a message that may have reached them
# (its row is sent, unknown, handed or sending) may have told them of an item still to come,
# so they may be waiting for its answer; only a message delivered (sent: the server took
# it) tells them an answer they have. One of unknown outcome is never taken as delivered:
# whoever sends next sends its answers again, a duplicate rather than a loss.
MAY_HAVE_REACHED = ("sent", "unknown", "handed", "sending")
DELIVERED = "sent"


@dataclass(frozen=True)
class Told:
    maybe: frozenset[str]  # snapshots (digest.delivery.record) of messages that may have reached the reader
    surely: frozenset[str]  # those of them delivered


def told(conn: sqlite3.Connection, subscriber_ids: list[int], other_than: str) -> dict[int, Told]:
    """What these readers (one page of them) may have been sent, and what they surely were,
    under any edition key but other_than (the send being made)."""
    if not subscriber_ids:
        return {}
    marks = ", ".join("?" * len(MAY_HAVE_REACHED))
    rows = conn.execute(
        "SELECT subscriber_id, snapshot, state FROM deliveries WHERE subscriber_id BETWEEN ? AND ?"
        f" AND snapshot IS NOT NULL AND state IN ({marks}) AND edition_key != ?",
        (min(subscriber_ids), max(subscriber_ids), *MAY_HAVE_REACHED, other_than),
    )
    wanted, maybe, surely = set(subscriber_ids), {}, {}
    for sid, snapshot, state in rows:
        if sid in wanted:
            maybe.setdefault(sid, set()).add(snapshot)
            if state == DELIVERED:
                surely.setdefault(sid, set()).add(snapshot)
    return {sid: Told(frozenset(s), frozenset(surely.get(sid, ()))) for sid, s in maybe.items()}


SUPERSEDED = (
    "the send was interrupted after this message was handed over, before the server answered; it may have been "
    "delivered. A later send of this kind with newer content took its place and sent its answers again"
)


def supersede(conn: sqlite3.Connection, prefix: str, keep: str) -> tuple[int, int]:
    """Other edition keys starting with prefix are done with (a follow-up whose content has
    changed since): their rows never handed over ('pending', and 'sending' left by a crash)
    are dropped, and the new key sends what they would have; rows left 'handed' become
    'unknown' (they may have been delivered). Neither counts as delivered (see told), so
    the new key sends those readers every answer they were waiting for. Returns (unknown, dropped)."""
    with transaction(conn):
        args = (len(prefix), prefix, keep)
        where = "substr(edition_key, 1, ?) = ? AND edition_key != ?"
        unknown = conn.execute(
            f"UPDATE deliveries SET state = 'unknown', detail = ?, updated_at = ? WHERE {where} AND state = 'handed'",
            (SUPERSEDED, now(), *args),
        ).rowcount
        dropped = conn.execute(
            f"DELETE FROM deliveries WHERE {where} AND state IN ('pending', 'sending')", args
        ).rowcount
    return unknown, dropped


def lock(var: Path, key: str, what: str = "") -> AbstractContextManager[Path]:
    """Hold the send lock for this edition key (or any name), or fail at once naming who holds it."""
    return exclusive(
        var,
        f"send-{hashlib.sha256(key.encode()).hexdigest()[:16]}.lock",
        f"{what or 'edition ' + key} is already being sent ({{holder}}; lock file {{path}}); wait for that send to finish",
    )
