"""The SMTP transport against a real SMTP server (aiosmtpd on 127.0.0.1) with injected faults."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from support import FIXTURE_DAY
from support.delivery import FORUM, KEY, READERS, FaultyHandler, SMTPServer, add_readers, parse

from digest.cli.main import cli
from digest.delivery.pacing import Policy
from digest.delivery.send import send_edition
from digest.delivery.transports.base import OutcomeUnknown, PermanentError, TransientError
from digest.delivery.transports.smtp import SMTPTransport, dot_stuff, tls_context
from digest.errors import DigestError
from digest.settings import load_settings

SENDER = "digest@example.org"


def no_sleep(**kw) -> Policy:
    slept: list[float] = []
    return Policy(sleep=slept.append, random=lambda: 0.5, **kw)


def plain(server: SMTPServer, **kw) -> SMTPTransport:
    return SMTPTransport("127.0.0.1", server.port, "none", timeout=kw.pop("timeout", 5), **kw)


def test_cli_delivers_one_message_per_subscriber_with_headers_and_a_rerun_sends_nothing(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_readers(site_dir)
    with SMTPServer(FaultyHandler()) as server:
        for name, value in {
            "DIGEST_TRANSPORT": "smtp",
            "DIGEST_SMTP_HOST": "127.0.0.1",
            "DIGEST_SMTP_PORT": str(server.port),
            "DIGEST_SMTP_SECURITY": "none",
        }.items():
            monkeypatch.setenv(name, value)
        first = CliRunner().invoke(
            cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--as-of", "2025-07-11"], catch_exceptions=False
        )
        assert first.exit_code == 0, first.output
        assert (
            first.output.splitlines()[0]
            == f"{KEY}: 5 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown"
        )
        assert server.handler.received() == {r[0]: 1 for r in READERS}
        for rcpt, raw in server.handler.messages:
            msg = parse(raw)
            assert msg["To"].addresses[0].addr_spec == rcpt
            for name in ("From", "Reply-To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe"):
                assert msg[name], name
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert msg["List-Unsubscribe"].startswith("<https://digest.test.example/unsubscribe/")
            assert b"=?" not in raw.split(b"List-Unsubscribe:")[1].split(b"\r\nList-Unsubscribe-Post")[0]
        assert server.handler.commands["EHLO"] == 1  # one connection for all five
        assert server.handler.commands["RSET"] == 0  # an accepted message leaves a clean state: no RSET needed
        second = CliRunner().invoke(
            cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--as-of", "2025-07-11"], catch_exceptions=False
        )
        assert second.exit_code == 0
        assert (
            second.output.splitlines()[0]
            == f"{KEY}: 0 sent, 5 already sent (skipped), 0 failed permanently, 0 outcome unknown"
        )
        assert len(server.handler.messages) == 5


@pytest.mark.parametrize("hold_unknown", [False, True])
def test_faults_451_then_ok_550_for_one_mailbox_421_with_disconnect_and_a_stall_after_data(
    site_dir: Path, hold_unknown: bool
) -> None:
    add_readers(site_dir)
    handler = FaultyHandler(
        greylist={"ana@example.org": 1},  # 451 once, accepted on the retry
        reject={"ben@example.org": "550 5.1.1 <ben@example.org>: Recipient address rejected"},
        close_after=2,  # after two messages: 421 and the connection is dropped; the transport reconnects
        stall={"eve@example.org": 3.0},  # no reply to the end of DATA within the 1 s timeout (once)
    )
    settings = load_settings(site_dir, overrides={"delivery.hold_unknown": hold_unknown})
    with SMTPServer(handler) as server:
        with plain(server, timeout=1.0) as transport:
            summary = send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=transport, policy=no_sleep())
        assert handler.commands["RCPT ben@example.org"] == 1  # permanent: not retried
        assert transport.connections >= 2  # reconnected after the 421 (and after the stall)
        states = {email: (state, detail) for email, state, detail in summary.problems}
        assert states["ben@example.org"][0] == "failed" and "550 5.1.1" in states["ben@example.org"][1]
        if hold_unknown:
            assert (summary.sent, summary.failed, summary.unknown, summary.deferred) == (3, 1, 1, 0)
            assert (
                states["eve@example.org"][0] == "unknown" and "may have been delivered" in states["eve@example.org"][1]
            )
        else:  # sent again at once, with the same Message-ID
            assert (summary.sent, summary.failed, summary.unknown, summary.deferred) == (4, 1, 0, 0)
            assert "eve@example.org" not in states
    received = handler.received()
    assert received["ana@example.org"] == 1 and received["cat@example.org"] == 1 and received["dev@example.org"] == 1
    # this server drops a stalled message when the client gives up on it: held, Eve has nothing
    assert received["eve@example.org"] == (0 if hold_unknown else 1)
    assert "ben@example.org" not in received


def test_a_connection_dropped_after_the_final_dot_is_sent_again_and_nobody_is_lost(site_dir: Path) -> None:
    """The server hangs up instead of answering the end of DATA, for every reader once:
    each is unknown for a moment, and sent again in the same run."""
    add_readers(site_dir)
    handler = FaultyHandler(hang_up={r[0]: 1 for r in READERS})
    with SMTPServer(handler) as server, plain(server) as transport:
        summary = send_edition(load_settings(site_dir), FORUM, transport=transport, policy=no_sleep())
    assert (summary.sent, summary.unknown, summary.ok) == (5, 0, True)
    assert handler.commands["DATA"] == 10
    assert handler.received() == {r[0]: 1 for r in READERS}  # the hung-up copies never arrived: no duplicates


def test_421_and_disconnect_mid_run_reconnects_without_losing_or_doubling(site_dir: Path) -> None:
    add_readers(site_dir)
    with SMTPServer(FaultyHandler(close_after=3)) as server:
        with plain(server) as transport:
            summary = send_edition(
                load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=no_sleep()
            )
        assert summary.sent == 5 and summary.ok
        assert server.handler.received() == {r[0]: 1 for r in READERS}
        assert transport.connections == 2


def test_a_cap_on_messages_per_connection(site_dir: Path) -> None:
    add_readers(site_dir)
    with SMTPServer(FaultyHandler()) as server:
        with plain(server, max_per_connection=2) as transport:
            assert (
                send_edition(
                    load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=no_sleep()
                ).sent
                == 5
            )
        assert transport.connections == 3
        assert server.handler.commands["EHLO"] == 3


def test_transport_errors_are_classified() -> None:
    handler = FaultyHandler(
        reject={"no@example.org": "550 5.1.1 no"}, greylist={"later@example.org": 1}, stall={"slow@example.org": 2.5}
    )
    with SMTPServer(handler) as server:
        transport = plain(server, timeout=1.0)
        with pytest.raises(PermanentError, match="550 5.1.1 no"):
            transport.send(SENDER, ["no@example.org"], b"Subject: x\r\n\r\nbody\r\n")
        assert handler.commands["RSET"] == 0
        with pytest.raises(TransientError, match="451 4.7.1"):
            transport.send(SENDER, ["later@example.org"], b"Subject: x\r\n\r\nbody\r\n")
        assert handler.commands["RSET"] == 1  # the refused recipient's transaction was reset first
        assert transport.send(SENDER, ["later@example.org"], b"Subject: x\r\n\r\n.leading dot\r\n").startswith("250")
        assert handler.commands["RSET"] == 2  # ... and so was the greylisted one's
        with pytest.raises(OutcomeUnknown):
            transport.send(SENDER, ["slow@example.org"], b"Subject: x\r\n\r\nbody\r\n")
        assert handler.commands["RSET"] == 2  # the accepted message needed none
        transport.close()
    assert handler.messages[0][1].endswith(b".leading dot\r\n")  # dot-stuffed on the wire, intact on arrival
    closed = SMTPTransport("127.0.0.1", server.port, "none", timeout=0.5)
    with pytest.raises(TransientError, match="cannot connect"):
        closed.send(SENDER, ["a@example.org"], b"x\r\n")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, name: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(ctx)
    return ctx


def client_context(ca: trustme.CA, tmp_path: Path) -> ssl.SSLContext:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return tls_context(str(tmp_path / "ca.pem"))


def test_starttls_with_a_verified_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    handler = FaultyHandler()
    with SMTPServer(handler, tls_context=server_context(ca, "localhost"), require_starttls=True) as server:
        transport = SMTPTransport("localhost", server.port, "starttls", timeout=5, context=client_context(ca, tmp_path))
        assert transport.send(SENDER, ["a@example.org"], b"Subject: tls\r\n\r\nhello\r\n").startswith("250")
        assert transport.conn is not None and isinstance(transport.conn.sock, ssl.SSLSocket)
        transport.close()
    assert handler.received() == {"a@example.org": 1}


def test_implicit_tls_with_a_verified_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    handler = FaultyHandler()
    with SMTPServer(handler, ssl_context=server_context(ca, "localhost")) as server:
        transport = SMTPTransport("localhost", server.port, "tls", timeout=5, context=client_context(ca, tmp_path))
        assert transport.send(SENDER, ["a@example.org"], b"Subject: tls\r\n\r\nhello\r\n").startswith("250")
        transport.close()
    assert handler.received() == {"a@example.org": 1}


def test_an_unverifiable_certificate_is_refused(ca: trustme.CA, tmp_path: Path) -> None:
    with SMTPServer(FaultyHandler(), tls_context=server_context(ca, "localhost"), require_starttls=True) as server:
        untrusted = SMTPTransport("localhost", server.port, "starttls", timeout=5)  # the system's CAs: not our test CA
        with pytest.raises(DigestError, match="could not be verified.*DIGEST_SMTP_CAFILE"):
            untrusted.send(SENDER, ["a@example.org"], b"x\r\n")
        wrong_name = SMTPTransport(
            "127.0.0.1", server.port, "starttls", timeout=5, context=client_context(ca, tmp_path)
        )
        with pytest.raises(DigestError, match="could not be verified"):  # the certificate is for 'localhost'
            wrong_name.send(SENDER, ["a@example.org"], b"x\r\n")
    assert server.handler.messages == []


def test_starttls_missing_is_refused_not_downgraded() -> None:
    with SMTPServer(FaultyHandler()) as server:
        transport = SMTPTransport("127.0.0.1", server.port, "starttls", timeout=5)
        with pytest.raises(DigestError, match="does not offer STARTTLS"):
            transport.open()


def test_credentials_are_never_sent_in_clear() -> None:
    with pytest.raises(DigestError, match="unencrypted"):
        SMTPTransport("127.0.0.1", 25, "none", username="digest", password="x")
    with pytest.raises(DigestError, match="DIGEST_SMTP_PASSWORD"):
        SMTPTransport("127.0.0.1", 587, "starttls", username="digest", password="")


def test_a_wrong_port_is_reported_before_anything_is_sent(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from support.delivery import free_port

    add_readers(site_dir)
    for name, value in {
        "DIGEST_TRANSPORT": "smtp",
        "DIGEST_SMTP_HOST": "127.0.0.1",
        "DIGEST_SMTP_PORT": str(free_port()),
        "DIGEST_SMTP_SECURITY": "none",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        cli, ["--root", str(site_dir), "send", "--forum", FORUM, "--as-of", "2025-07-11"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "cannot connect to 127.0.0.1" in result.output and "Traceback" not in result.output


@given(st.lists(st.sampled_from([b".", b"..", b"\r\n", b"\n", b"\r", b"a", b" .", b"=2E", b"\r\n.\r\n"]), max_size=30))
def test_dot_stuffing_is_smtplibs(pieces: list[bytes]) -> None:
    """Every line that starts with '.' gets another, exactly as smtplib's regular expression does it."""
    import re

    message = b"".join(pieces)
    assert dot_stuff(message) == re.sub(rb"(?m)^\.", b"..", message)
