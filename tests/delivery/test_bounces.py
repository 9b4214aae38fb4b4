"""Bounces, complaints and suppression, end to end: sent over SMTP (aiosmtpd), reports into a
Maildir, `digest bounces`, the next send, and `digest report` (issue 25's "Done when")."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.bounces import EnvelopeHandler, drop, report
from support.delivery import FORUM, SMTPServer, add_readers, many_readers, parse

from digest.cli.main import cli

AS_OF = "2025-07-11"


def run(site_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--root", str(site_dir), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def table(site_dir: Path) -> list[tuple]:
    """Everything bounces can change: readers' status, suppressions, the bounces recorded."""
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    try:
        return [
            *conn.execute("SELECT id, email, status, updated_at FROM subscribers ORDER BY id"),
            *conn.execute("SELECT * FROM reader_suppressions ORDER BY subscriber_id"),
            *conn.execute("SELECT * FROM bounces ORDER BY id"),
        ]
    finally:
        conn.close()


def status(site_dir: Path, address: str) -> str:
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    try:
        return conn.execute("SELECT status FROM subscribers WHERE email = ?", (address,)).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def smtp(site_dir: Path, monkeypatch: pytest.MonkeyPatch):
    with SMTPServer(EnvelopeHandler()) as server:
        for name, value in {
            "DIGEST_TRANSPORT": "smtp",
            "DIGEST_SMTP_HOST": "127.0.0.1",
            "DIGEST_SMTP_PORT": str(server.port),
            "DIGEST_SMTP_SECURITY": "none",
            "DIGEST_BOUNCE_ADDRESS": "bounces@example.org",
        }.items():
            monkeypatch.setenv(name, value)
        yield server


def test_done_when_twenty_readers_three_reports_the_next_send_and_the_report(site_dir: Path, smtp, tmp_path) -> None:
    page = done_when(site_dir, smtp.handler, tmp_path / "bounces")
    assert page.exists()


def done_when(site_dir: Path, handler: EnvelopeHandler, maildir: Path) -> Path:
    """Issue 25's "Done when", step by step; returns the report page it wrote."""
    add_readers(site_dir, many_readers(20))
    first = run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF)
    assert first.splitlines()[0].startswith(f"forum:{FORUM}@send-1: 20 sent,")
    sent = {rcpt: (mail_from, raw) for rcpt, mail_from, raw in handler.envelopes}
    assert len(sent) == 20
    for rcpt, (mail_from, raw) in sent.items():  # every envelope sender is its own signed VERP address
        assert mail_from.startswith("bounces+") and mail_from.endswith("@example.org"), mail_from
        assert parse(raw)["To"].addresses[0].addr_spec == rcpt
    assert len({m for m, _ in sent.values()}) == 20

    hard, soft, complaint = "reader00003@example.org", "reader00007@example.org", "reader00011@example.org"
    drop(maildir, "1752221523.M1P1.mx1", report("postfix-5.1.1.eml", sent[hard][1], sent[hard][0]))
    drop(maildir, "1752312044.M2P1.relay", report("exim-4.2.2.eml", sent[soft][1], sent[soft][0]))
    drop(maildir, "1752493236.M3P1.fbl", report("arf-abuse.eml", sent[complaint][1], sent[complaint][0]))

    out = run(site_dir, "bounces", "--maildir", str(maildir))
    assert out.splitlines()[0] == (
        "3 messages read from the maildir: 1 suppressed, 1 unsubscribed (complaints), 1 soft bounce counted, "
        "0 changing nothing (seen before, or the reader is suppressed or erased already)"
    )
    assert status(site_dir, hard) == "bounced"
    assert status(site_dir, complaint) == "unsubscribed"
    assert status(site_dir, soft) == "confirmed"  # one soft bounce is not enough
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1752221523.M1P1.mx1:2,S",
        "1752312044.M2P1.relay:2,S",
        "1752493236.M3P1.fbl:2,S",
    ]  # handled: marked read, never deleted

    before = table(site_dir)
    again = run(site_dir, "bounces", "--maildir", str(maildir))
    assert again.splitlines()[0].startswith("0 messages read from the maildir: 0 suppressed, 0 unsubscribed")
    # the same reports delivered a second time (a server's retry) change nothing either
    for path in sorted((maildir / "cur").iterdir()):
        drop(maildir, path.name.split(":")[0] + ".copy", path.read_bytes())
    twice = run(site_dir, "bounces", "--maildir", str(maildir))
    assert twice.splitlines()[0] == (
        "3 messages read from the maildir: 0 suppressed, 0 unsubscribed (complaints), 0 soft bounces counted, "
        "3 changing nothing (seen before, or the reader is suppressed or erased already)"
    )
    assert table(site_dir) == before

    handler.envelopes.clear()
    second = run(site_dir, "send", "--forum", FORUM, "--as-of", AS_OF, "--again")
    assert second.splitlines()[0] == (
        f"forum:{FORUM}@send-2: 18 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown, "
        "2 suppressed by a bounce or a complaint (not sent)"
    )
    assert {rcpt for rcpt, _, _ in handler.envelopes} == set(sent) - {hard, complaint}

    out = run(site_dir, "report", "--forum", FORUM)
    lines = out.splitlines()
    assert lines[0].startswith(f"{FORUM} (send 1 began ")
    assert lines[1] == (
        "  whole forum: readers 20 · sent 38 · failed 0 · outcome unknown 0 · bounced 2 · suppressed 2 · "
        "unsubscribed after this forum 1 · follow-ups sent 0"
    )
    # each edition is named by the schools it went to, with its id to tell variants apart
    editions = [line for line in lines[2:] if line.startswith("  ") and "readers" in line]
    assert editions and all(
        re.match(rf"  an? .+ school in .+ \({FORUM}-[0-9a-f]{{8}}\): readers \d", e) for e in editions
    ), editions
    page = (site_dir / "var" / "report.html").read_text()
    assert "<script" not in page and "does not track opens or clicks" in page
    assert page.count("<svg") == 2
    return site_dir / "var" / "report.html"


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    """The Done-when run's report, once for the browser tests."""
    import shutil

    from support import REPO

    site_dir = tmp_path_factory.mktemp("report") / "site"
    shutil.copytree(REPO / "tests" / "fixtures" / "site", site_dir)
    with pytest.MonkeyPatch.context() as patch, SMTPServer(EnvelopeHandler()) as server:
        for name in [n for n in os.environ if n.startswith("DIGEST_")]:  # module scope: before the autouse fixture
            patch.delenv(name)
        for name, value in {
            "DIGEST_SECRET_KEY": "test-secret-key-0123456789abcdef",
            "DIGEST_TRANSPORT": "smtp",
            "DIGEST_SMTP_HOST": "127.0.0.1",
            "DIGEST_SMTP_PORT": str(server.port),
            "DIGEST_SMTP_SECURITY": "none",
            "DIGEST_BOUNCE_ADDRESS": "bounces@example.org",
        }.items():
            patch.setenv(name, value)
        return done_when(site_dir, server.handler, tmp_path_factory.mktemp("maildir"))


@pytest.mark.parametrize("width", [1024, 375])
def test_the_report_passes_axe_core_fits_a_phone_and_fetches_nothing(browser, report_page: Path, width: int) -> None:
    from support.browser import axe_violations

    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)  # to add axe
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(report_page.as_uri())
        assert requests == [report_page.as_uri()]  # no script, style sheet, font or image from anywhere
        assert page.get_by_role("img", name="Readers receiving the digest, by district").is_visible()
        assert axe_violations(page) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # nothing to scroll sideways
    finally:
        context.close()
