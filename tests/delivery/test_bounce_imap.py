"""`digest bounces --source imap` against Debian's dovecot over verified TLS (make dovecot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.bounces import report
from support.delivery import FORUM, add_readers, outbox, parse
from support.imap import PASSWORD, USER, Dovecot

from digest.cli.main import cli
from digest.db import connect
from digest.delivery.verp import Verp
from digest.readers import store


def run(site_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--root", str(site_dir), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def dovecot():
    with Dovecot() as server:
        yield server


def imap_env(monkeypatch: pytest.MonkeyPatch, server: Dovecot, cafile: str | None = None) -> None:
    for name, value in {
        "DIGEST_BOUNCE_ADDRESS": "bounces@example.org",
        "DIGEST_IMAP_HOST": "127.0.0.1",
        "DIGEST_IMAP_PORT": str(server.port),
        "DIGEST_IMAP_USERNAME": USER,
        "DIGEST_IMAP_PASSWORD": PASSWORD,
        "DIGEST_IMAP_CAFILE": cafile if cafile is not None else str(server.cafile),
    }.items():
        monkeypatch.setenv(name, value)


def test_bounces_over_imap_are_applied_once_and_marked_seen(site_dir, dovecot, monkeypatch) -> None:
    imap_env(monkeypatch, dovecot)
    add_readers(site_dir)
    run(site_dir, "send", "--forum", FORUM, "--as-of", "2025-07-11")
    conn = connect(site_dir / "var" / "digest.sqlite3")
    rows = dict(conn.execute("SELECT message_id, id FROM deliveries"))
    sent = {parse(m)["To"].addresses[0].addr_spec: m for m in outbox(site_dir)}
    ben = sent["ben@example.org"]
    verp = Verp("bounces@example.org").sender(rows[parse(ben)["Message-ID"]])
    dovecot.deliver("1.postfix", report("postfix-5.1.1.eml", ben, verp))
    dovecot.deliver("2.note", b"From: a@example.net\r\nSubject: hello\r\n\r\nNot a bounce.\r\n")

    first = run(site_dir, "bounces", "--source", "imap")
    assert first.splitlines()[0].startswith("2 messages read from the imap: 1 suppressed,")
    assert "1 message kept in the mailbox for a person to read:" in first
    assert store.find(conn, "ben@example.org").status == "bounced"
    second = run(site_dir, "bounces", "--source", "imap")  # the bounce is \\Seen now; the note is kept unseen
    assert second.splitlines()[0].startswith("1 message read from the imap: 0 suppressed,")
    assert len(list((dovecot.maildir / "cur").iterdir())) + len(list((dovecot.maildir / "new").iterdir())) == 2
    conn.close()


def test_an_unverifiable_certificate_is_refused_with_what_to_do(site_dir, dovecot, monkeypatch) -> None:
    imap_env(monkeypatch, dovecot, cafile="")  # the system's CAs only: the throwaway CA is not among them
    add_readers(site_dir)
    result = CliRunner().invoke(cli, ["--root", str(site_dir), "bounces", "--source", "imap"])
    assert result.exit_code == 1
    assert "could not be verified" in result.output and "DIGEST_IMAP_CAFILE" in result.output
    assert "Traceback" not in result.output
