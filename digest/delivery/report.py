"""`digest report`: what happened to each forum's mailing, for organisers.

Per forum (its digest's sends, digest.delivery.sends) and per edition: readers, sent,
failed, outcome unknown, bounced, suppressed, unsubscribed after this forum, and
follow-ups sent. Every figure is read from the ledger, the bounces and the readers in
the database; nothing comes from the mail itself, because digest does not track opens
or clicks. An HTML page (inline SVG charts, no script, nothing fetched from anywhere)
and a text summary.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.content.audience import Profile
from digest.db import open_db, require_db
from digest.delivery import charts
from digest.errors import DigestError
from digest.files import write_atomic

if TYPE_CHECKING:
    from digest.settings import Settings

COLUMNS = (
    ("readers", "Readers"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("unknown", "Outcome unknown"),
    ("bounced", "Bounced"),
    ("suppressed", "Suppressed"),
    ("unsubscribed", "Unsubscribed after this forum"),
    ("follow_ups", "Follow-ups sent"),
)


@dataclass
class Figures:
    readers: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    bounced: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    follow_ups: int = 0

    def values(self) -> list[int]:
        return [getattr(self, name) for name, _ in COLUMNS]


@dataclass
class ForumReport:
    forum: str
    sends: list[tuple[int, str]]  # (number, started_at)
    total: Figures
    editions: list[tuple[str, Figures]] = field(default_factory=list)
    schools: dict[str, str] = field(default_factory=dict)  # edition id -> who it went to, in words

    def school(self, edition: str) -> str:
        return self.schools.get(edition, "")


# One reader counted once per group, whatever number of sends reached them. {group} is
# 'd.edition_id' (per edition) or "''" (the forum as a whole); both from this module only.
_FIGURES = """
SELECT {group} AS g,
    COUNT(DISTINCT d.subscriber_id),
    SUM(d.state = 'sent'),
    SUM(d.state = 'failed'),
    SUM(d.state IN ('unknown', 'handed')),
    COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM bounces b WHERE b.subscriber_id = d.subscriber_id
        AND b.edition_key = d.edition_key AND b.kind IN ('hard', 'soft')) THEN d.subscriber_id END),
    COUNT(DISTINCT CASE WHEN r.subscriber_id IS NOT NULL AND s.status != 'confirmed' THEN d.subscriber_id END),
    COUNT(DISTINCT CASE WHEN s.status = 'unsubscribed' AND s.updated_at >= d.created_at THEN d.subscriber_id END)
FROM deliveries d
JOIN subscribers s ON s.id = d.subscriber_id
LEFT JOIN reader_suppressions r ON r.subscriber_id = d.subscriber_id
WHERE d.edition_key IN (SELECT key FROM sends WHERE forum = :forum)
GROUP BY g ORDER BY g
"""
_FOLLOW_UPS = """
SELECT {group} AS g, COUNT(*)
FROM deliveries f
JOIN (SELECT DISTINCT subscriber_id, edition_id FROM deliveries
      WHERE edition_key IN (SELECT key FROM sends WHERE forum = :forum)) d ON d.subscriber_id = f.subscriber_id
WHERE substr(f.edition_key, 1, length(:prefix)) = :prefix AND f.state = 'sent'
GROUP BY g
"""


def _figures(conn: sqlite3.Connection, forum: str, group: str) -> dict[str, Figures]:
    args = {"forum": forum, "prefix": f"follow-up:{forum}@"}
    out = {row[0]: Figures(*(int(v or 0) for v in row[1:])) for row in conn.execute(_FIGURES.format(group=group), args)}
    if group == "''":  # the forum's follow-ups, each reader's once per follow-up
        n = conn.execute(
            "SELECT COUNT(*) FROM deliveries WHERE substr(edition_key, 1, length(:prefix)) = :prefix AND state = 'sent'",
            args,
        ).fetchone()[0]
        out.setdefault("", Figures()).follow_ups = n
    else:
        for g, n in conn.execute(_FOLLOW_UPS.format(group=group), args):
            out.setdefault(g, Figures()).follow_ups = n
    return out


def schools(conn: sqlite3.Connection, forum: str) -> dict[str, str]:
    """Each edition of the forum's digest named by the schools its readers have (as they are
    now): 'a primary mainstream school in Swale', '... and 3 other kinds of school'. An id
    such as 2025-07-term6-3fa2c1d9 tells an organiser nothing."""
    rows = conn.execute(
        "SELECT DISTINCT d.edition_id, s.district, s.phases, s.settings FROM deliveries d"
        " JOIN subscribers s ON s.id = d.subscriber_id"
        " WHERE d.edition_key IN (SELECT key FROM sends WHERE forum = ?)",
        (forum,),
    )
    kinds: dict[str, set[Profile]] = {}
    for edition, district, phases, settings in rows:
        kinds.setdefault(edition, set()).add(Profile(district, tuple(phases.split(";")), tuple(settings.split(";"))))
    out = {}
    for edition, found in kinds.items():
        first, more = sorted(found)[0].describe(), len(found) - 1
        out[edition] = first + (f" and {more} other kind{'s' * (more != 1)} of school" if more else "")
    return out


def forum_report(conn: sqlite3.Connection, forum: str) -> ForumReport:
    sends = [
        tuple(r) for r in conn.execute("SELECT number, started_at FROM sends WHERE forum = ? ORDER BY number", (forum,))
    ]
    total = _figures(conn, forum, "''").get("", Figures())
    editions = sorted(_figures(conn, forum, "d.edition_id").items())
    return ForumReport(forum, sends, total, editions, schools(conn, forum))  # type: ignore[arg-type]


def forums(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT forum FROM sends GROUP BY forum ORDER BY MIN(started_at), forum")]


def readers_over_time(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(day, readers added by then), for every day a reader was added."""
    rows = conn.execute("SELECT substr(created_at, 1, 10), COUNT(*) FROM subscribers GROUP BY 1 ORDER BY 1")
    out, total = [], 0
    for day, n in rows:
        total += n
        out.append((day, total))
    return out


def readers_by_district(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    rows = conn.execute(
        "SELECT district, COUNT(*) FROM subscribers WHERE status = 'confirmed' AND paused = 0 GROUP BY 1 ORDER BY 1"
    )
    return [(d, n) for d, n in rows]


@dataclass
class Report:
    forums: list[ForumReport]
    over_time: list[tuple[str, int]]
    by_district: list[tuple[str, int]]
    made_at: str

    def lines(self) -> list[str]:
        out = []
        for f in self.forums:
            sends = ", ".join(f"send {n} began {started[:10]}" for n, started in f.sends)
            out.append(f"{f.forum} ({sends or 'not sent yet'})")
            out += [_line("whole forum", f.total)]
            out += [_line(f"{f.school(edition)} ({edition})".lstrip(), figures) for edition, figures in f.editions]
        if not self.forums:
            out.append("No forum's digest has been sent yet.")
        out.append("digest does not track opens or clicks: these figures come from the send ledger and the bounces.")
        return out


def _line(name: str, figures: Figures) -> str:
    parts = " · ".join(
        f"{label.lower()} {value:,}" for (_, label), value in zip(COLUMNS, figures.values(), strict=True)
    )
    return f"  {name}: {parts}"


def build(settings: Settings, forum: str | None = None) -> Report:
    require_db(settings)
    conn = open_db(settings)
    try:
        ids = forums(conn)
        if forum is not None:
            if forum not in ids:
                known = ", ".join(ids) or "none yet"
                raise DigestError(f"no digest of the forum '{forum}' has been sent (forums sent: {known})")
            ids = [forum]
        return Report(
            [forum_report(conn, f) for f in ids],
            readers_over_time(conn),
            readers_by_district(conn),
            f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        )
    finally:
        conn.close()


def html(settings: Settings, report: Report) -> str:
    from digest.editions.render import environment

    template = environment(settings, reload=False).get_template("report.html")
    return template.render(
        report=report,
        columns=COLUMNS,
        site=settings.site,
        over_time=charts.line("readers-over-time", "Readers added over time", report.over_time),
        by_district=charts.bars("readers-by-district", "Readers receiving the digest, by district", report.by_district),
    )


def write(settings: Settings, report: Report, out: Path) -> Path:
    write_atomic(out, html(settings, report))
    return out
