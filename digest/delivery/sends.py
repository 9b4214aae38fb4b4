"""Which send of a forum's digest `digest send` is making (docs/delivery.md#which-send).

A send is the forum and a number the organiser raises on purpose: `digest send --forum ID`
carries on the forum's newest send, on any day and with any --as-of, and only
`digest send --forum ID --again` begins the next one (everyone is sent the digest again).
Its ledger rows carry its key, `forum:ID@send-N`. The as-of date is not part of the name:
it is what the digest is written for, so a rerun the day after sends the readers not yet
sent the digest as of that day, and skips everyone already sent.

A send is recorded in the `sends` table when it begins, before any reader, so a run
stopped before its first message still has begun it. Ledgers from before named a send by
its day (`forum:ID@YYYY-MM-DD`); the migration 0006_sends made each such key a send of its
forum, numbered in the order they began, so a rerun carries on the newest of them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from digest import fmt
from digest.db import now, transaction


@dataclass(frozen=True)
class Send:
    key: str  # the edition key of its ledger rows
    forum: str
    number: int
    as_of: date  # what its first run wrote the digest for
    started_at: str  # when it began (ISO, UTC); '' for one not begun yet (a dry run's)

    @property
    def begun(self) -> bool:
        return bool(self.started_at)


def key_for(forum_id: str, number: int) -> str:
    return f"forum:{forum_id}@send-{number}"


def lock_name(forum_id: str) -> str:
    """What the lock held around a forum's send is named after: one send of a forum at a time,
    so that `--again` cannot begin while the send before it runs."""
    return f"forum:{forum_id}@"


def newest(conn: sqlite3.Connection, forum_id: str) -> Send | None:
    row = conn.execute(
        "SELECT key, forum, number, as_of, started_at FROM sends WHERE forum = ? ORDER BY number DESC LIMIT 1",
        (forum_id,),
    ).fetchone()
    return Send(row[0], row[1], row[2], date.fromisoformat(row[3]), row[4]) if row else None


def begin(conn: sqlite3.Connection, forum_id: str, as_of: date) -> Send:
    """Record the forum's next send (1 for its first), in one transaction."""
    with transaction(conn):
        last = conn.execute("SELECT MAX(number) FROM sends WHERE forum = ?", (forum_id,)).fetchone()[0] or 0
        send = Send(key_for(forum_id, last + 1), forum_id, last + 1, as_of, now())
        conn.execute(
            "INSERT INTO sends (key, forum, number, as_of, started_at) VALUES (?, ?, ?, ?, ?)",
            (send.key, send.forum, send.number, send.as_of.isoformat(), send.started_at),
        )
    return send


def choose(conn: sqlite3.Connection, forum_id: str, as_of: date, again: bool = False) -> tuple[Send, bool]:
    """(the send a run makes, whether this run began it): the forum's newest, or a new one
    (with again, or when there is none). Call it holding the forum's lock (lock_name)."""
    current = None if again else newest(conn, forum_id)
    return (current, False) if current else (begin(conn, forum_id, as_of), True)


def would_choose(conn: sqlite3.Connection, forum_id: str, as_of: date, again: bool = False) -> Send:
    """choose for a dry run: writes nothing (a send it would begin has started_at '')."""
    current = newest(conn, forum_id)
    if current is not None and not again:
        return current
    number = current.number + 1 if current else 1
    return Send(key_for(forum_id, number), forum_id, number, as_of, "")


def describe(send: Send, as_of: date, sent: int) -> list[str]:
    """Which send a dry run would make, in words. sent: readers its ledger has as sent so far."""
    name = f"{send.key} (send {send.number} of {send.forum})"
    if not send.begun:
        return [f"Send {name}: {new(send, as_of)}"]
    began = datetime.fromisoformat(send.started_at).astimezone(fmt.LONDON)
    began_at = f"{fmt.day(began)} {fmt.clock(began)}"
    return [
        f"Send {name}, begun {began_at} as of {fmt.day(send.as_of)}, {fmt.plural(sent, 'reader')} sent so far: "
        f"`digest send` carries it on, on any day; --again would begin send {send.number + 1}, for everyone.",
        *later(send, as_of),
    ]


def new(send: Send, as_of: date) -> str:
    if send.number == 1:
        return f"the first send of this forum's digest, as of {fmt.day(as_of)}."
    return (
        f"a new send (--again): every reader is sent the digest as of {fmt.day(as_of)}, whatever the sends before "
        "it sent them."
    )


def later(send: Send, as_of: date) -> list[str]:
    """A line when a run carries a send on as of another day than its first run's."""
    if as_of == send.as_of:
        return []
    return [
        f"This send began as of {fmt.day(send.as_of)}: readers it has not sent yet get the digest as of "
        f"{fmt.day(as_of)}, and readers it has sent are skipped."
    ]
