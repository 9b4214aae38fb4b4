"""`digest bounces`: read the bounce mailbox, and suppress or unsubscribe the readers it names.

Each report is read (digest.delivery.dsn), matched to the ledger row of the message it
answers, without guessing: by the signed VERP address it came back to
(digest.delivery.verp), or by the original's Message-ID that it quotes. An address alone
is never enough. Then, in one transaction per report, it is recorded once
(digest.readers.suppressions): a hard bounce suppresses the reader, a soft one counts
towards `bounces.soft_limit` days within `bounces.soft_days`, a complaint unsubscribes.
Only then is the message marked handled in its mailbox. A report that cannot be read, or
names no message of ours, is left where it is and listed in the summary.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.db import open_db, require_db, transaction
from digest.delivery import dsn
from digest.delivery.mailboxes import Mailbox, open_mailbox
from digest.delivery.verp import Verp, verp_of
from digest.fmt import plural
from digest.readers import suppressions
from digest.readers.suppressions import Bounce

if TYPE_CHECKING:
    from digest.settings import Settings


@dataclass
class Outcome:
    read: int = 0
    changes: dict[str, int] = field(default_factory=dict)  # what record() answered, counted
    notices: int = 0  # delivery or relay notices: nothing to do
    kept: list[tuple[str, str]] = field(default_factory=list)  # (reference, why) left in the mailbox

    def lines(self, source: str) -> list[str]:
        c = self.changes
        out = [
            f"{plural(self.read, 'message')} read from the {source}: "
            f"{c.get('suppressed', 0)} suppressed, {c.get('unsubscribed', 0)} unsubscribed (complaints), "
            f"{plural(c.get('counted', 0), 'soft bounce')} counted, "
            f"{c.get('seen', 0) + c.get('already', 0) + c.get('gone', 0)} changing nothing (seen before, or the "
            "reader is suppressed or erased already)"
        ]
        if self.notices:
            out.append(f"{plural(self.notices, 'delivery notice')} (not bounces) marked read")
        if self.kept:
            out.append(f"{plural(len(self.kept), 'message')} kept in the mailbox for a person to read:")
            out += [f"  {ref}: {why}" for ref, why in self.kept]
        return out


def rows_for(conn: sqlite3.Connection, report: dsn.Report, verp: Verp | None) -> list[sqlite3.Row]:
    """The ledger rows of the messages a report answers: VERP first, then quoted Message-IDs."""
    ids = verp.delivery_ids(report.addressed) if verp else []
    rows = [
        r
        for i in ids
        if (r := conn.execute("SELECT id, subscriber_id, edition_key FROM deliveries WHERE id = ?", (i,)).fetchone())
    ]
    if not rows:
        for mid in report.message_ids:
            rows += conn.execute(
                "SELECT id, subscriber_id, edition_key FROM deliveries WHERE message_id = ?", (mid,)
            ).fetchall()
    seen: set[int] = set()
    return [r for r in rows if not (r["subscriber_id"] in seen or seen.add(r["subscriber_id"]))]


def apply(
    conn: sqlite3.Connection, settings: Settings, report: dsn.Report, raw_id: str, source: str, verp: Verp | None
) -> tuple[list[str], str]:
    """Record one report. Returns (what changed for each reader, why it is kept: '' if it is not)."""
    if not report.kind:
        return [], report.problem
    if report.kind == "notice":
        return ["notice"], ""
    rows = rows_for(conn, report, verp)
    if not rows:
        return [], "names no message digest sent (no VERP address of ours, no Message-ID in the ledger)"
    worst = report.worst
    kind = "complaint" if report.kind == "complaint" else (worst.kind if worst else "hard")
    changed = []
    with transaction(conn):
        for row in rows:
            bounce = Bounce(
                row["subscriber_id"],
                kind,
                suppressions.fingerprint(report.report_id or raw_id, str(row["subscriber_id"]), kind),
                report.received_at,
                status=worst.status if worst and kind != "complaint" else "",
                detail=report.complaint if kind == "complaint" else (worst.detail if worst else ""),
                edition_key=row["edition_key"],
                source=source,
            )
            changed.append(
                suppressions.record(
                    conn, bounce, soft_limit=settings.bounces.soft_limit, soft_days=settings.bounces.soft_days
                )
            )
    return changed, ""


def process(settings: Settings, mailbox: Mailbox, now: datetime | None = None) -> Outcome:
    require_db(settings)
    outcome, verp = Outcome(), verp_of(settings)
    conn = open_db(settings)
    try:
        for ref, raw in mailbox.messages():
            outcome.read += 1
            report = dsn.read(raw, now or datetime.now(UTC))
            changed, why = apply(conn, settings, report, hashlib.sha256(raw).hexdigest(), mailbox.name, verp)
            if why:
                outcome.kept.append((ref, why))
                continue
            for what in changed:
                if what == "notice":
                    outcome.notices += 1
                else:
                    outcome.changes[what] = outcome.changes.get(what, 0) + 1
            mailbox.done(ref)
    finally:
        conn.close()
    return outcome


def run(settings: Settings, source: str | None = None, maildir: Path | None = None) -> tuple[Outcome, str]:
    """`digest bounces`: read the configured (or given) mailbox once."""
    mailbox = open_mailbox(settings, source, maildir)
    try:
        return process(settings, mailbox), mailbox.name
    finally:
        mailbox.close()
