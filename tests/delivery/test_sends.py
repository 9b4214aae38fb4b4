"""Which send `digest send` makes (issue 19): a forum's send is the forum and a number the
organiser raises on purpose (--again), never the day it runs; ledgers from before keep working."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import FIXTURE_DAY
from support.delivery import FORUM, KEY, READERS, add_readers, add_readers_before_0007, outbox, parse

from digest import db
from digest.cli.main import cli
from digest.db import open_db
from digest.delivery import ledger, sends
from digest.delivery.mime import domain_of, message_id
from digest.delivery.send import send_edition
from digest.delivery.transports.base import Transport, nothing
from digest.errors import DigestError
from digest.settings import load_settings

NEXT_DAY = date(2025, 7, 12)


class Crash(BaseException):
    """The process dying where it stands (nothing after it runs, as after kill -9)."""


class DiesAt(Transport):
    """Hands messages over, and dies before handing over the one to `dies_at`."""

    name = "dies"

    def __init__(self, dies_at: str = "") -> None:
        self.dies_at, self.calls = dies_at, []

    def send(self, sender, recipients, message, handing_over=nothing) -> str:
        if recipients[0] == self.dies_at:
            raise Crash
        handing_over()
        self.calls.append(recipients[0])
        return "250 ok"


def sent_to(site_dir: Path, since: int = 0) -> list[str]:
    return [parse(raw)["To"].addresses[0].addr_spec for raw in outbox(site_dir)[since:]]


def run(site_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(site_dir), "send", "--forum", FORUM, *args])


def sends_table(site_dir: Path) -> list[tuple]:
    with sqlite3.connect(site_dir / "var" / "digest.sqlite3") as conn:
        return conn.execute("SELECT key, forum, number, as_of FROM sends ORDER BY forum, number").fetchall()


def test_a_rerun_on_a_later_day_carries_on_the_same_send(site_dir: Path) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    first = DiesAt("cat@example.org")
    with pytest.raises(Crash):
        send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=first)
    assert first.calls == ["ana@example.org", "ben@example.org"]
    rerun = send_edition(settings, FORUM, as_of=NEXT_DAY)  # to the outbox
    assert (rerun.key, rerun.sent, rerun.skipped, rerun.interrupted) == (KEY, 3, 2, 1)
    assert sent_to(site_dir) == ["cat@example.org", "dev@example.org", "eve@example.org"]
    assert rerun.lines()[1] == (
        "This send began as of Fri 11 July 2025: readers it has not sent yet get the digest as of Sat 12 July 2025, "
        "and readers it has sent are skipped."
    )
    autumn = send_edition(settings, FORUM, as_of=date(2025, 9, 1))
    assert (autumn.key, autumn.sent, autumn.skipped) == (KEY, 0, 5)  # any day after: nobody again
    assert sends_table(site_dir) == [(KEY, FORUM, 1, "2025-07-11")]


def test_again_begins_a_new_send_for_everyone_and_the_dry_run_says_which(site_dir: Path) -> None:
    add_readers(site_dir)
    first = run(site_dir, "--as-of", "2025-07-11")
    assert first.exit_code == 0 and first.output.startswith(f"{KEY}: 5 sent, 0 already sent"), first.output
    assert "Began send" not in first.output

    dry = run(site_dir, "--dry-run", "--as-of", "2025-07-12")
    lines = dry.output.splitlines()
    assert re.fullmatch(  # begun: when the first run was (today, in the test)
        rf"Send {KEY} \(send 1 of {FORUM}\), begun \w+ \d+ \w+ \d{{4}} \d\d:\d\d as of Fri 11 July 2025, 5 readers "
        r"sent so far: `digest send` carries it on, on any day; --again would begin send 2, for everyone\.",
        lines[0],
    ), lines[0]
    assert lines[1].startswith("This send began as of Fri 11 July 2025: readers it has not sent yet")
    assert all(line.endswith("skip (already sent)") for line in lines if "@example.org" in line)

    dry_again = run(site_dir, "--dry-run", "--again", "--as-of", "2025-07-12")
    lines = dry_again.output.splitlines()
    assert lines[0] == (
        f"Send forum:{FORUM}@send-2 (send 2 of {FORUM}): a new send (--again): every reader is sent the digest as of "
        "Sat 12 July 2025, whatever the sends before it sent them."
    )
    assert [line.split("\t")[2] for line in lines if "@example.org" in line] == ["send"] * len(READERS)
    assert len(sends_table(site_dir)) == 1  # a dry run begins nothing

    again = run(site_dir, "--again", "--as-of", "2025-07-12")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"forum:{FORUM}@send-2: 5 sent, 0 already sent")
    assert "Began send 2 of 2025-07-test: a new send (--again)" in again.output
    plain = run(site_dir, "--as-of", "2025-07-13")  # carries on the newest: send 2
    assert plain.output.startswith(f"forum:{FORUM}@send-2: 0 sent, 5 already sent"), plain.output
    assert len(outbox(site_dir)) == 10
    assert [n for _, _, n, _ in sends_table(site_dir)] == [1, 2]

    for other in ("--follow-up", "--to=me@example.org"):
        refused = run(site_dir, "--again", other)
        assert refused.exit_code == 2 and "--again begins a new send of a forum's digest" in refused.output


def test_one_send_of_a_forum_at_a_time_again_included(site_dir: Path) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    busy = pytest.raises(DigestError, match=f"the digest of {FORUM} is already being sent")
    with ledger.lock(settings.path("var"), sends.lock_name(FORUM)), busy:
        send_edition(settings, FORUM, as_of=FIXTURE_DAY, again=True, transport=DiesAt())
    assert sends_table(site_dir) == []  # refused before it began anything


def test_a_ledger_from_before_carries_on_its_newest_send_and_keeps_its_message_ids(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before 0006_sends each day's run had its own key: the organiser sent on 10 July, and
    again on the 11th (everyone twice: the defect), which a kill cut short after two readers."""
    settings = load_settings(site_dir)
    day1, day2 = f"forum:{FORUM}@2025-07-10", f"forum:{FORUM}@2025-07-11"
    with monkeypatch.context() as patch:
        patch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:5])  # the database as the last release left it
        ids = add_readers_before_0007(site_dir)
        conn = open_db(settings)
        for key, stamp in ((day2, "2025-07-11T09:00:00+00:00"), (day1, "2025-07-10T09:00:00+00:00")):
            ledger.add_pending(conn, key, [(sid, f"{FORUM}-00000000", f"<{key}.{sid}@x>") for sid in ids])
            conn.execute("UPDATE deliveries SET created_at = ? WHERE edition_key = ?", (stamp, key))
        for sid in ids:
            ledger.mark(conn, day1, sid, "sent", "250 ok")
        for sid in ids[:2]:
            ledger.mark(conn, day2, sid, "sent", "250 ok")
        ledger.mark_sending(conn, day2, ids[2], f"{FORUM}-00000000", "smtp")  # ... and then the kill
        ledger.add_pending(conn, "schedule:weekly@2025-07-14T06:00:00Z", [(ids[0], "e", "<s@x>")])  # not a forum's
        conn.close()

    rerun = send_edition(settings, FORUM, as_of=date(2025, 7, 14))
    assert sends_table(site_dir) == [(day1, FORUM, 1, "2025-07-10"), (day2, FORUM, 2, "2025-07-11")]
    assert (rerun.key, rerun.sent, rerun.skipped, rerun.interrupted) == (day2, 3, 2, 1)
    assert sent_to(site_dir) == ["cat@example.org", "dev@example.org", "eve@example.org"]
    cat = parse(outbox(site_dir)[0])  # the old key's Message-ID: the message resent is recognisably the same
    assert cat["Message-ID"] == message_id(day2, ids[2], domain_of(settings.site.sender_address))
    again = send_edition(settings, FORUM, as_of=date(2025, 7, 14), again=True)
    assert (again.key, again.sent) == (f"forum:{FORUM}@send-3", 5)


def test_the_migration_names_each_old_key_a_send_of_its_own_forum(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.sqlite3")
    for _, sql in db.MIGRATIONS[:5]:
        for statement in db._statements(sql):
            conn.execute(statement)
    conn.execute(
        "INSERT INTO subscribers (email, district, phases, setting, status, created_at, updated_at)"
        " VALUES ('a@example.org', 'Swale', 'primary', 'mainstream', 'confirmed', 'then', 'then')"
    )
    old = [
        ("forum:2025-07-term6@2025-07-11", "2025-07-11T09:00"),
        ("forum:2025-03-term4@2025-03-14", "2025-03-14T09:00"),
        ("forum:2025-07-term6@2025-07-09", "2025-07-12T09:00"),  # sent as of an earlier day, but later
        ("follow-up:2025-07-term6@ee8921ceaf58", "2025-07-20T09:00"),
        ("forum:2025-07-term6@send-1", "2025-07-21T09:00"),  # not a day: not a key of before
    ]
    conn.executemany(
        "INSERT INTO deliveries (edition_key, subscriber_id, edition_id, message_id, state, created_at, updated_at)"
        " VALUES (?, 1, 'e', 'm', 'sent', ?, ?)",
        [(key, stamp, stamp) for key, stamp in old],
    )
    statements = db._statements(dict(db.MIGRATIONS)["0006_sends"])
    for statement in statements:
        conn.execute(statement)
    assert conn.execute("SELECT key, forum, number, as_of FROM sends ORDER BY forum, number").fetchall() == [
        ("forum:2025-03-term4@2025-03-14", "2025-03-term4", 1, "2025-03-14"),
        ("forum:2025-07-term6@2025-07-11", "2025-07-term6", 1, "2025-07-11"),
        ("forum:2025-07-term6@2025-07-09", "2025-07-term6", 2, "2025-07-09"),
    ]
    conn.close()
