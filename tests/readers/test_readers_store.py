"""The store beneath the CLI and the web pages: migrations, erasure, the rate limiter."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from support import REPO

from digest.content.audience import Profile
from digest.content.load import load_taxonomy
from digest.db import MIGRATIONS, connect, transaction
from digest.readers import store as store
from digest.settings import load_settings
from digest.web.app import HideTokens
from digest.web.ratelimit import RateLimit

SWALE = store.Profile("Swale", ("primary",), "mainstream")


def test_a_database_from_before_0002_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    old.executescript(MIGRATIONS[0][1])
    old.execute("INSERT INTO migrations VALUES ('0001_subscribers', 'then')")
    old.execute(
        "INSERT INTO subscribers (email, district, phases, setting, status, created_at, updated_at)"
        " VALUES ('a@b.example', 'Swale', 'primary', 'mainstream', 'confirmed', 'then', 'then')"
    )
    old.commit()
    old.close()
    conn = connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")] == [name for name, _ in MIGRATIONS]
    assert store.consent(conn, 1)["confirmed_at"] is None
    store.confirm(conn, 1, "192.0.2.1")
    assert store.consent(conn, 1)["confirmed_ip"] == "192.0.2.1"
    # 0007_subscriber_settings: the one setting a reader had is their settings, unchanged
    assert store.get(conn, 1).profile == Profile("Swale", ("primary",), ("mainstream",))


def test_a_reader_may_have_several_settings_as_for_phases(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    tax = load_taxonomy(load_settings(REPO))
    profile = store.parse_profile(tax, "Dover", "primary;secondary", "Special; independent")
    assert profile.settings == ("special", "independent")  # canonical, in the taxonomy's order
    rid = store.add(conn, "head@oak.example", profile)
    assert store.get(conn, rid).profile == profile
    assert store.receiving_profiles(conn) == [profile]
    with pytest.raises(store.InvalidSubscriber, match="'specal' is not a setting"):
        store.parse_profile(tax, "Dover", "primary", "independent;specal")


def test_erase_is_one_transaction_and_keeps_only_a_hash(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    store.add(conn, "Amy@Oak.example", SWALE, name="Amy")
    assert store.erase(conn, "amy@oak.EXAMPLE") is True
    assert store.find(conn, "amy@oak.example") is None
    [(digest, reason)] = conn.execute("SELECT email_hash, reason FROM suppressions").fetchall()
    assert digest == store.email_hash("AMY@oak.example") and "amy" not in digest and reason == "erasure requested"
    assert store.erase(conn, "amy@oak.example") is False  # again: nothing to delete, still suppressed
    assert store.request_subscription(conn, "amy@oak.example", SWALE) == ("none", None)


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    with (
        pytest.raises(store.InvalidSubscriber, match="^email: a@oak.example is already subscribed$"),
        transaction(conn),
    ):
        store.add(conn, "a@oak.example", SWALE)
        store.add(conn, "A@oak.example", SWALE)  # the same address
    assert list(store.everyone(conn)) == []


def test_rate_limit_refills_evenly_and_forgets_idle_clients() -> None:
    now = [0.0]
    limit = RateLimit(2, 60, lambda: now[0])
    assert [limit.take("a"), limit.take("a")] == [0.0, 0.0]
    assert limit.take("a") == 30.0 and limit.take("b") == 0.0
    now[0] = 30
    assert limit.take("a") == 0.0 and limit.take("a") == 30.0
    for n in range(10_001):
        limit.take(f"client-{n}")
    now[0] = 10_000  # everyone's bucket is full again
    limit.take("c")
    assert len(limit.buckets) == 1


def test_access_log_hides_link_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s"', ("1.2.3.4", "GET", "/preferences/7.0.SECRET?x=1"), None
    )
    HideTokens().filter(record)
    assert record.getMessage() == '1.2.3.4 - "GET /preferences/<token>?x=1"'
