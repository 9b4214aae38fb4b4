"""Migration 0008_bounces: it applies to a database as the last release left it, and the
migrations apply in the order of their names whatever order a merge put them in the list
(0007_subscriber_settings comes from another branch)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from digest import db


def names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")]


def test_0008_applies_to_a_database_from_before_it_keeping_every_row(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", [m for m in db.MIGRATIONS if m[0] < "0008"])
        old = db.connect(tmp_path / "d.sqlite3")
        old.execute(
            "INSERT INTO subscribers (email, district, phases, settings, status, created_at, updated_at)"
            " VALUES ('a@example.org', 'Swale', 'primary', 'mainstream', 'confirmed', 'then', 'then')"
        )
        old.close()
    conn = db.connect(tmp_path / "d.sqlite3")
    assert "0008_bounces" in names(conn)
    assert [r[0] for r in conn.execute("SELECT email FROM subscribers")] == ["a@example.org"]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"deliveries_message", "bounces_reader"} <= indexes
    assert conn.execute("SELECT COUNT(*) FROM reader_suppressions").fetchone()[0] == 0


def test_migrations_apply_in_name_order_whatever_order_the_list_is_in(tmp_path: Path) -> None:
    other = ("0007_other_branch", "CREATE TABLE other_branch (x INTEGER);")
    merged = [m for m in db.MIGRATIONS if m[0] != other[0]] + [other]  # appended after 0008, as a merge may
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", merged)
        fresh = db.connect(tmp_path / "fresh.sqlite3")
        assert names(fresh) == sorted(names(fresh))  # 0007 before 0008 on a new database
    # a database that had 0008 before 0007 was merged gets 0007 on its next open
    conn = db.connect(tmp_path / "later.sqlite3")
    assert other[0] not in names(conn)
    conn.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", merged)
        conn = db.connect(tmp_path / "later.sqlite3")
        assert names(conn)[-1] == other[0]
        assert conn.execute("SELECT COUNT(*) FROM other_branch").fetchone()[0] == 0


def test_every_migration_has_its_own_name_in_number_order() -> None:
    listed = [name for name, _ in db.MIGRATIONS]
    assert len(set(listed)) == len(listed)
    assert all(name[:4].isdigit() and name[4] == "_" for name in listed)
