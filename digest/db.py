"""The one SQLite database: subscribers, suppressions, the send ledger and what each reader was sent.

Migrations are named functions' SQL applied in order, each in its own transaction and
recorded in a `migrations` table (after sqlite-utils' migrations.py), so an old
database is brought up to date on open and a half-applied migration never sticks.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.errors import DigestError, display_path

if TYPE_CHECKING:
    from digest.settings import Settings

# (name, SQL). Append only: never edit or reorder a migration that has shipped.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_subscribers",
        """
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: tokens name this id
            email TEXT NOT NULL UNIQUE,            -- normalised (see subscribers.normalise_email)
            name TEXT NOT NULL DEFAULT '',
            school TEXT NOT NULL DEFAULT '',
            district TEXT NOT NULL,
            phases TEXT NOT NULL,                  -- canonical phases joined with ';'
            setting TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
            paused INTEGER NOT NULL DEFAULT 0,
            consent_at TEXT,
            consent_method TEXT,                   -- 'import', 'cli', 'web'
            consent_ip TEXT,                       -- the client address, for the web form
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX subscribers_status ON subscribers (status);
        CREATE TABLE suppressions (
            email_hash TEXT PRIMARY KEY,           -- sha256 of the normalised address
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
    (
        "0002_subscribers_confirmed",
        """
        -- double opt-in: when and from which client address the confirmation link was followed
        ALTER TABLE subscribers ADD COLUMN confirmed_at TEXT;
        ALTER TABLE subscribers ADD COLUMN confirmed_ip TEXT;
        """,
    ),
    (
        "0003_delivery_ledger",
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            edition_key TEXT NOT NULL,             -- what was sent: 'forum:ID@DATE' or 'schedule:NAME@WHEN'
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,  -- erasure removes the history too
            edition_id TEXT NOT NULL,              -- which selection (select.Edition.id) the reader got
            message_id TEXT NOT NULL,              -- deterministic per (edition_key, reader): a resend keeps it
            state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
            attempts INTEGER NOT NULL DEFAULT 0,
            transport TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',       -- the server's reply, or why the outcome is unknown
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (edition_key, subscriber_id)
        );
        CREATE INDEX deliveries_state ON deliveries (edition_key, state);
        """,
    ),
    (
        "0004_sent_items",
        """
        -- what each reader was sent, item by item (docs/follow-ups.md): each distinct edition's items,
        -- in the versions it held, recorded once as a snapshot; a reader's ledger row names its snapshot
        CREATE TABLE snapshots (
            id TEXT PRIMARY KEY,                   -- a hash of kind and items: the same items in the same versions are one snapshot
            kind TEXT NOT NULL CHECK (kind IN ('digest', 'follow-up')),
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE snapshot_items (
            snapshot TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
            forum TEXT NOT NULL,
            item TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('answered', 'pending', 'follow-up')),
            fingerprint TEXT NOT NULL,             -- the answer as readers read it (delivery.record.fingerprint)
            PRIMARY KEY (snapshot, forum, item)
        ) WITHOUT ROWID;
        CREATE INDEX snapshot_items_forum ON snapshot_items (forum, item);
        -- NULL for rows made before this migration and for sends that hold no items (reminders)
        ALTER TABLE deliveries ADD COLUMN snapshot TEXT REFERENCES snapshots(id);
        CREATE INDEX deliveries_reader ON deliveries (subscriber_id);
        """,
    ),
    (
        "0005_delivery_handed",
        """
        -- 'handed': the end of the message has gone to the server, its answer has not come
        -- back. A crash leaves 'sending' (certainly not delivered: sent again) apart from
        -- 'handed' (may have been delivered: unknown). SQLite cannot change a CHECK, so the
        -- table is rebuilt, rows and all, in this migration's transaction.
        CREATE TABLE deliveries_new (
            id INTEGER PRIMARY KEY,
            edition_key TEXT NOT NULL,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            edition_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'handed', 'sent', 'failed', 'unknown')),
            attempts INTEGER NOT NULL DEFAULT 0,
            transport TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            snapshot TEXT REFERENCES snapshots(id),
            UNIQUE (edition_key, subscriber_id)
        );
        INSERT INTO deliveries_new (id, edition_key, subscriber_id, edition_id, message_id, state, attempts, transport,
            detail, created_at, updated_at, snapshot)
            SELECT id, edition_key, subscriber_id, edition_id, message_id, state, attempts, transport, detail,
            created_at, updated_at, snapshot FROM deliveries;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_new RENAME TO deliveries;
        CREATE INDEX deliveries_state ON deliveries (edition_key, state);
        CREATE INDEX deliveries_reader ON deliveries (subscriber_id);
        """,
    ),
    (
        "0006_sends",
        """
        -- The sends of each forum's digest (digest.delivery.sends): a send is the forum and a number
        -- the organiser raises on purpose (`digest send --again`), not the day it runs, so a rerun
        -- after midnight carries on the same send. Its ledger rows carry its key, 'forum:ID@send-N'.
        CREATE TABLE sends (
            key TEXT PRIMARY KEY,                  -- the edition key of the send's ledger rows
            forum TEXT NOT NULL,
            number INTEGER NOT NULL,               -- 1 for a forum's first send, then one more for each --again
            as_of TEXT NOT NULL,                   -- the date its first run wrote the digest for
            started_at TEXT NOT NULL,
            UNIQUE (forum, number)
        );
        -- Before, each day's run had its own key, 'forum:ID@YYYY-MM-DD'. Each such key becomes a send
        -- of its forum, numbered in the order they began, and keeps its rows: a plain rerun carries
        -- on the newest, so what it sent counts as sent.
        INSERT INTO sends (key, forum, number, as_of, started_at)
            SELECT edition_key, forum, ROW_NUMBER() OVER (PARTITION BY forum ORDER BY started_at, edition_key),
                as_of, started_at
            FROM (
                SELECT edition_key, substr(edition_key, 7, length(edition_key) - 17) AS forum,
                    substr(edition_key, -10) AS as_of, MIN(created_at) AS started_at
                FROM deliveries
                WHERE edition_key GLOB 'forum:?*@[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                GROUP BY edition_key
            );
        """,
    ),
    (
        "0007_subscriber_settings",
        """
        -- a school may be more than one kind (an independent special school): canonical
        -- settings joined with ';', as phases are; every reader before this had one, which
        -- stays as it was
        ALTER TABLE subscribers RENAME COLUMN setting TO settings;
        """,
    ),
    (
        "0008_bounces",
        """
        -- Bounces and complaints (digest.delivery.bounces, docs/bounces.md). Independent of 0007: it
        -- adds tables and an index only, so it applies the same before or after it.
        -- Each bounce, complaint or refusal at RCPT, once: the same report read twice has one fingerprint.
        CREATE TABLE bounces (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,      -- sha256 of the report (its Message-ID, or its bytes) and the reader
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,  -- erasure removes them
            edition_key TEXT NOT NULL DEFAULT '',  -- the send whose message bounced, when known
            kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
            status TEXT NOT NULL DEFAULT '',       -- the enhanced status code, e.g. 5.1.1
            detail TEXT NOT NULL DEFAULT '',       -- the server's diagnostic, or the complaint's type
            source TEXT NOT NULL DEFAULT '',       -- where it was read: 'maildir', 'imap', 'api' or 'rcpt'
            received_at TEXT NOT NULL
        );
        CREATE INDEX bounces_reader ON bounces (subscriber_id, kind, received_at);
        -- Why a reader is not sent, and since when; confirming again (the reader's own action) lifts it.
        CREATE TABLE reader_suppressions (
            subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
            reason TEXT NOT NULL CHECK (reason IN ('hard bounce', 'soft bounces', 'complaint')),
            detail TEXT NOT NULL DEFAULT '',
            since TEXT NOT NULL
        );
        -- a report that quotes the original headers names the message by its Message-ID
        CREATE INDEX deliveries_message ON deliveries (message_id);
        """,
    ),
]
# Migrations apply in the order of their names (NNNN_...), whatever order branches merged them in:
# each names what it needs of the ones before by number, and a database that has a later one and
# not an earlier one (two branches' migrations) gets the earlier one applied next time.
if len({name for name, _ in MIGRATIONS}) != len(MIGRATIONS):
    raise RuntimeError("two migrations share a name")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_IOERR")
_last_opened: Path | None = None  # for naming the file when a query finds it damaged (see `explain`)


def explain(exc: sqlite3.Error, path: Path | None = None) -> DigestError | None:
    """The user's problem in an SQLite error (a file that is not digest's database, a
    damaged or an unwritable one) as a message saying what to do; None for anything else."""
    path = path or _last_opened
    where = f"the database {path}" if path else "the database"
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(_DAMAGED):
        return DigestError(
            f"{where} is damaged or is not an SQLite database (SQLite: {exc}); point DIGEST_DB (paths.db) at "
            "digest's database, or restore it from a backup (see docs/operating.md)"
        )
    if name.startswith(_UNWRITABLE):
        return DigestError(f"cannot use {where}: {exc} (set DIGEST_DB to a file digest can read and write)")
    return None


def connect(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at path.

    synchronous=FULL (the default) makes every commit survive a power cut. NORMAL, which
    the send ledger uses, skips the fsync per commit: a commit still survives the process
    being killed, but an OS crash or power cut may lose the last few seconds of them
    (see docs/delivery.md)."""
    global _last_opened
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise DigestError(f"cannot open database {path}: {exc} (set DIGEST_DB to a writable file)") from None
    _last_opened = path
    conn.row_factory = sqlite3.Row
    try:  # the first reads: a file that is not a database, or a damaged one, shows here
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        explained = explain(exc, path)
        if explained is None:
            raise
        raise explained from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing: BEGIN IMMEDIATE (take the write lock now), COMMIT, or ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> list[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    for name, sql in sorted(MIGRATIONS):
        if name in done:
            continue
        with transaction(conn):
            # re-check inside the write lock: another process may have just applied it
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, now()))
        applied.append(name)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def open_db(settings: Settings, *, synchronous: str = "FULL") -> sqlite3.Connection:
    return connect(settings.path("db"), synchronous=synchronous)


def require_db(settings: Settings) -> None:
    """The commands that read readers or the ledger (send, subscribers list, a schedule)
    call this first: a database that does not exist is an error naming where its path came
    from, not a new, empty one that sends to nobody (a mistyped DIGEST_DB). `subscribers
    add` and `import`, and `digest serve`, make it on purpose."""
    if not settings.path("db").exists():
        raise missing(settings)


def db_source(settings: Settings) -> str:
    """Where the database's path came from, as a person would change it."""
    value = os.environ.get("DIGEST_DB")
    if value and value == settings.paths.db:
        return f"the environment variable DIGEST_DB={value}"
    if "db" in settings.paths.model_fields_set:
        return f'paths.db = "{settings.paths.db}" in digest.toml'
    return "the default; DIGEST_DB or paths.db in digest.toml name another"


def missing(settings: Settings) -> DigestError:
    shown = display_path(settings.path("db"), settings.root)
    return DigestError(
        f"the database {shown} does not exist (from {db_source(settings)}). If that name is mistyped, "
        "correct it; a new database is made by adding readers: `digest subscribers add` or "
        "`digest subscribers import` (or `digest serve`, as readers subscribe)"
    )
