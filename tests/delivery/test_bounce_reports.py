"""Reading bounces in the formats of Postfix, Exim and Exchange/Microsoft 365, and complaints
(ARF); matching them to the message without guessing; scoring soft ones; keeping what cannot
be read; a 5xx at RCPT; and confirming again lifting a suppression."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.bounces import drop, report
from support.delivery import FORUM, FaultyHandler, SMTPServer, add_readers, outbox, parse

from digest.cli.main import cli
from digest.db import connect
from digest.delivery import dsn
from digest.delivery.verp import Verp
from digest.readers import store, suppressions

AS_OF = "2025-07-11"


def run(site_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--root", str(site_dir), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def sent(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, bytes]]:
    """The five readers sent the test forum through the outbox: address -> (VERP sender, message)."""
    monkeypatch.setenv("DIGEST_BOUNCE_ADDRESS", "bounces@example.org")
    add_readers(site_dir)
    run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF)
    conn = connect(site_dir / "var" / "digest.sqlite3")
    rows = dict(conn.execute("SELECT message_id, id FROM deliveries"))
    conn.close()
    verp = Verp("bounces@example.org")
    out = {}
    for raw in outbox(site_dir):
        msg = parse(raw)
        out[msg["To"].addresses[0].addr_spec] = (verp.sender(rows[msg["Message-ID"]]), raw)
    return out


def db(site_dir: Path) -> sqlite3.Connection:
    return connect(site_dir / "var" / "digest.sqlite3")


@pytest.mark.parametrize(
    ("sample", "kind", "failure"),
    [
        ("postfix-5.1.1.eml", "bounce", ("hard", "5.1.1")),
        ("exim-4.2.2.eml", "bounce", ("soft", "4.2.2")),
        ("exim-plain-5.0.0.eml", "bounce", ("hard", "5.1.1")),  # no DSN part: flufl.bounce's Exim detector
        ("exchange-5.1.10.eml", "bounce", ("hard", "5.1.10")),
        ("arf-abuse.eml", "complaint", None),
    ],
)
def test_each_format_is_read_with_its_status_and_the_original_message_id(sent, sample, kind, failure) -> None:
    verp, raw = sent["ben@example.org"]
    got = dsn.read(report(sample, raw, verp))
    assert got.kind == kind
    assert parse(raw)["Message-ID"] in got.message_ids  # each quotes the original's headers
    if failure:
        assert (got.worst.kind, got.worst.status) == failure
        assert got.worst.address == "ben@example.org"
    else:
        assert got.complaint == "abuse"
    assert Verp("bounces@example.org").delivery_ids(got.addressed)  # and came back to the VERP address


def test_a_report_is_matched_by_message_id_when_there_is_no_verp(site_dir, sent, tmp_path, monkeypatch) -> None:
    """Microsoft Graph sends from the mailbox itself: its NDR names the message by its Message-ID."""
    _, raw = sent["eve@example.org"]
    maildir = tmp_path / "inbox"
    drop(maildir, "ndr", report("exchange-5.1.10.eml", raw, "digest@example.org"))
    monkeypatch.delenv("DIGEST_BOUNCE_ADDRESS")
    out = run(site_dir, "bounces", "--maildir", str(maildir))
    assert out.startswith("1 message read from the maildir: 1 suppressed,")
    conn = db(site_dir)
    eve = store.find(conn, "eve@example.org")
    assert eve.status == "bounced"
    assert suppressions.why(conn, eve.id).detail.startswith("5.1.10 550 5.1.10 RESOLVER.ADR.RecipientNotFound")


def test_what_cannot_be_read_or_matched_is_kept_and_reported_never_deleted(site_dir, sent, tmp_path) -> None:
    verp, raw = sent["ana@example.org"]
    maildir = tmp_path / "bounces"
    drop(maildir, "garbage", b"\xff\xfe not mail at all \x00\x01")
    drop(
        maildir, "out-of-office", b"From: ana@example.org\nTo: " + verp.encode() + b"\nSubject: Away\n\nBack Monday.\n"
    )
    forged = verp.rsplit(".", 1)[0] + "." + "A" * 24 + "@example.org"  # the MAC made up: names nobody
    bare = report("postfix-5.1.1.eml", raw, forged).replace(b"Message-ID:", b"X-Was-Message-ID:")
    drop(maildir, "forged", bare)
    before = sorted(p.name for p in (maildir / "new").iterdir())
    out = run(site_dir, "bounces", "--maildir", str(maildir))
    assert "3 messages kept in the mailbox for a person to read:" in out
    assert "new/forged: names no message digest sent (no VERP address of ours, no Message-ID in the ledger)" in out
    assert "new/out-of-office: not a bounce or a complaint that digest can read" in out
    assert sorted(p.name for p in (maildir / "new").iterdir()) == before  # left where they were
    assert store.find(db(site_dir), "ana@example.org").status == "confirmed"
    assert run(site_dir, "bounces", "--maildir", str(maildir)) == out  # and reported again next time


def test_soft_bounces_suppress_on_the_third_day_within_the_window_and_a_day_counts_once(
    site_dir, sent, tmp_path
) -> None:
    verp, raw = sent["cat@example.org"]
    maildir = tmp_path / "bounces"

    def soft(name: str, date: str) -> None:
        text = report("exim-4.2.2.eml", raw, verp).replace(b"Date: Sat, 12 Jul 2025 10:20:44 +0100", date.encode())
        drop(maildir, name, text)
        run(site_dir, "bounces", "--maildir", str(maildir))

    soft("a", "Date: Sat, 12 Jul 2025 10:20:44 +0100")
    soft("b", "Date: Sat, 12 Jul 2025 18:20:44 +0100")  # the same day: counts once
    assert store.find(db(site_dir), "cat@example.org").status == "confirmed"
    soft("c", "Date: Mon, 14 Jul 2025 10:20:44 +0100")
    assert store.find(db(site_dir), "cat@example.org").status == "confirmed"  # two days of three
    soft("d", "Date: Wed, 16 Jul 2025 10:20:44 +0100")
    conn = db(site_dir)
    cat = store.find(conn, "cat@example.org")
    assert cat.status == "bounced"
    assert suppressions.why(conn, cat.id).reason == "soft bounces"


def test_old_soft_bounces_fall_out_of_the_window(site_dir, sent, tmp_path) -> None:
    verp, raw = sent["cat@example.org"]
    maildir = tmp_path / "bounces"
    for name, date in (("a", "Tue, 1 Jul 2025"), ("b", "Wed, 9 Jul 2025"), ("c", "Wed, 23 Jul 2025")):
        text = report("exim-4.2.2.eml", raw, verp).replace(b"Sat, 12 Jul 2025", date.encode())
        drop(maildir, name, text)
    run(site_dir, "bounces", "--maildir", str(maildir))
    assert store.find(db(site_dir), "cat@example.org").status == "confirmed"  # never three within 14 days


def test_a_complaint_unsubscribes_and_list_and_export_say_why_and_since_when(site_dir, sent, tmp_path) -> None:
    verp, raw = sent["dev@example.org"]
    drop(tmp_path / "b", "fbl", report("arf-abuse.eml", raw, verp))
    drop(tmp_path / "b", "dsn", report("postfix-5.1.1.eml", *reversed(sent["ben@example.org"])))
    run(site_dir, "bounces", "--maildir", str(tmp_path / "b"))
    listed = run(site_dir, "subscribers", "list")
    dev = next(line for line in listed.splitlines() if "dev@example.org" in line)
    assert "unsubscribed" in dev and dev.endswith("(suppressed: complaint, abuse, since 2025-07-14)")
    ben = next(line for line in listed.splitlines() if "ben@example.org" in line)
    assert "bounced" in ben and "(suppressed: hard bounce, 5.1.1 550 5.1.1 <ben@example.org>" in ben
    assert ben.endswith("since 2025-07-11)")
    exported = run(site_dir, "subscribers", "export").splitlines()
    assert exported[0].endswith(",status,paused,suppressed,suppressed_since")
    assert any(
        r.startswith("dev@example.org,") and r.endswith(",unsubscribed,no,complaint,2025-07-14T11:40:36+00:00")
        for r in exported
    )


def test_confirming_again_lifts_the_suppression(site_dir, sent, tmp_path) -> None:
    verp, raw = sent["ben@example.org"]
    drop(tmp_path / "b", "dsn", report("postfix-5.1.1.eml", raw, verp))
    run(site_dir, "bounces", "--maildir", str(tmp_path / "b"))
    refused = run(site_dir, "subscribers", "set", "ben@example.org", "--status", "confirmed", code=1)
    assert refused.startswith("Error: --status: ben@example.org is suppressed since 2025-07-11: hard bounce (5.1.1 ")
    assert "only the reader can lift that: they subscribe again on the web page" in refused
    conn = db(site_dir)
    ben = store.find(conn, "ben@example.org")
    assert (ben.status, suppressions.count_suppressed(conn)) == ("bounced", 1)
    kind, sid = store.request_subscription(conn, "ben@example.org", ben.profile)  # the web form, then the link
    assert kind == "confirm"
    store.confirm(conn, sid)
    assert store.get(conn, sid).status == "confirmed"
    assert suppressions.why(conn, sid) is None
    assert "suppressed" not in run(site_dir, "subscribers", "list")
    assert conn.execute("SELECT COUNT(*) FROM bounces").fetchone()[0] == 1  # the bounce itself stays on record
    store.erase(conn, "ben@example.org")  # erasure takes the bounces with the reader
    assert conn.execute("SELECT COUNT(*) FROM bounces").fetchone()[0] == 0


def test_a_5xx_at_rcpt_during_a_send_is_a_hard_bounce(site_dir, monkeypatch) -> None:
    add_readers(site_dir)
    handler = FaultyHandler(reject={"cat@example.org": "550 5.1.1 <cat@example.org>: Recipient address rejected"})
    with SMTPServer(handler) as server:
        for name, value in {
            "DIGEST_TRANSPORT": "smtp",
            "DIGEST_SMTP_HOST": "127.0.0.1",
            "DIGEST_SMTP_PORT": str(server.port),
            "DIGEST_SMTP_SECURITY": "none",
        }.items():
            monkeypatch.setenv(name, value)
        first = run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF, code=1)
        assert first.splitlines()[0].endswith(
            "4 sent, 0 already sent (skipped), 1 failed permanently, 0 outcome unknown"
        )
        conn = db(site_dir)
        cat = store.find(conn, "cat@example.org")
        assert cat.status == "bounced"
        why = suppressions.why(conn, cat.id)
        assert (why.reason, why.detail[:5]) == ("hard bounce", "5.1.1")
        again = run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF, "--again")
        assert again.splitlines()[0].endswith(
            "4 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown, 1 suppressed by a bounce or a complaint (not sent)"
        )
        assert handler.received()["cat@example.org"] == 0


def test_the_scheduler_reads_bounces_on_a_schedule(site_dir, sent, monkeypatch) -> None:
    verp, raw = sent["ana@example.org"]
    maildir = site_dir / "var" / "bounces"  # bounces.maildir's default: made on first use
    drop(maildir, "dsn", report("postfix-5.1.1.eml", raw, verp))
    (site_dir / "schedules").mkdir()
    (site_dir / "schedules" / "read-bounces.yaml").write_text(
        "name: read-bounces\ndescription: Bounces and complaints, every morning\n"
        "trigger:\n  cron: {hour: 6, minute: 30}\nsend:\n  kind: bounces\n"
    )
    listed = run(site_dir, "schedules", "--from", "2025-07-14")
    assert "reading bounces and complaints (from the configured mailbox)" in listed
    out = run(site_dir, "schedules", "run", "read-bounces", "--as-of", "2025-07-14")
    assert "read-bounces @ 2025-07-14 (run by hand): done" in out
    assert "1 message read from the maildir: 1 suppressed," in out
    assert store.find(db(site_dir), "ana@example.org").status == "bounced"
    again = run(site_dir, "schedules", "run", "read-bounces", "--as-of", "2025-07-14")
    assert "0 messages read from the maildir" in again


def test_a_suppressed_reader_gets_no_reminder_either(site_dir, sent, tmp_path) -> None:
    """Digests, follow-ups and reminders all send to the same readers (store.RECEIVING): a
    scheduled reminder of the dates ahead leaves out the reader a hard bounce suppressed."""
    verp, raw = sent["ana@example.org"]
    drop(tmp_path / "b", "dsn", report("postfix-5.1.1.eml", raw, verp))
    run(site_dir, "bounces", "--maildir", str(tmp_path / "b"))
    before = len(outbox(site_dir))
    (site_dir / "schedules").mkdir()
    (site_dir / "schedules" / "dates.yaml").write_text(
        "name: dates\ndescription: Dates ahead\ntrigger:\n  cron: {hour: 7, minute: 0}\n"
        "send:\n  kind: upcoming-dates\n  days: 120\n"
    )
    out = run(site_dir, "schedules", "run", "dates", "--as-of", "2025-07-12")
    assert "1 suppressed by a bounce or a complaint (not sent)" in out
    reminded = [parse(m)["To"].addresses[0].addr_spec for m in outbox(site_dir)[before:]]
    assert reminded and "ana@example.org" not in reminded
