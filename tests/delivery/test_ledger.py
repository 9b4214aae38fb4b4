"""The send ledger and the orchestration around it, on real SQLite files."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import FIXTURE_DAY
from support.delivery import FORUM, KEY, READERS, add_readers, outbox, parse

from digest.cli.main import cli
from digest.db import open_db
from digest.delivery import ledger
from digest.delivery.pacing import Pace, Policy
from digest.delivery.send import send_edition
from digest.delivery.transports.base import OutcomeUnknown, PermanentError, TransientError, Transport, nothing
from digest.delivery.trial import dry_run, send_test
from digest.errors import DigestError
from digest.settings import load_settings


class Crash(BaseException):
    """The process dying where it stands (nothing after it runs, as after kill -9)."""


class Scripted(Transport):
    """A transport whose answers per recipient are scripted: 'ok', 'temp', 'temp429:N', 'perm' (at RCPT: a
    hard bounce, the reader is suppressed), 'perm-data',
    'unknown' (the end went, no answer), 'crash-before' and 'crash-after' (the process dies
    before or after the end of the message went)."""

    name = "scripted"

    def __init__(self, script: dict[str, list[str]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[str] = []
        self.delivered: list[tuple[str, bytes]] = []

    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        rcpt = recipients[0]
        self.calls.append(rcpt)
        answers = self.script.get(rcpt, [])
        answer = answers.pop(0) if answers else "ok"
        if answer == "temp":
            raise TransientError("451 4.7.1 try again later")
        if answer.startswith("temp429:"):
            raise TransientError("429 throttled", retry_after=float(answer.split(":")[1]))
        if answer == "perm":
            raise PermanentError("RCPT TO: 550 5.1.1 no such mailbox")
        if answer == "perm-data":  # the message refused, not the address: no bounce, the reader stays
            raise PermanentError("end of DATA: 554 5.7.1 message refused")
        if answer == "crash-before":
            raise Crash
        handing_over()
        if answer == "crash-after":
            self.delivered.append((rcpt, message))  # it arrived; the answer never came back
            raise Crash
        if answer == "unknown":
            self.delivered.append((rcpt, message))
            raise OutcomeUnknown("no reply after DATA")
        self.delivered.append((rcpt, message))
        return "250 ok"


class Clock:
    def __init__(self) -> None:
        self.now, self.slept = 1000.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def policy(clock: Clock | None = None, **kw) -> Policy:
    clock = clock or Clock()
    return Policy(sleep=clock.sleep, clock=clock, random=lambda: 0.5, **kw)


def rows(site_dir: Path) -> dict[str, tuple[str, int, str]]:
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    out = {
        email: (state, attempts, detail)
        for email, state, attempts, detail in conn.execute(
            "SELECT s.email, d.state, d.attempts, d.detail FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
        )
    }
    conn.close()
    return out


def test_outbox_send_then_rerun_sends_nothing(site_dir: Path) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    first = send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    assert (first.sent, first.skipped, first.failed, first.unknown, first.ok) == (5, 0, 0, 0, True)
    messages = [parse(m) for m in outbox(site_dir)]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(r[0] for r in READERS)
    assert {state for state, _, _ in rows(site_dir).values()} == {"sent"}
    second = send_edition(settings, FORUM, as_of=FIXTURE_DAY)
    assert (second.sent, second.skipped) == (0, 5)
    assert len(outbox(site_dir)) == 5


def test_each_reader_gets_the_edition_for_their_profile(site_dir: Path) -> None:
    add_readers(site_dir)
    send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)
    by_reader = {parse(m)["To"].addresses[0].addr_spec: parse(m) for m in outbox(site_dir)}
    text = {addr: m.get_body(("plain",)).get_content() for addr, m in by_reader.items()}
    assert "Swale schools lack access to SALT" in text["ana@example.org"]
    assert "Swale schools lack access to SALT" not in text["ben@example.org"]
    assert "How does this work for out of authority areas such as Medway?" in text["ben@example.org"]
    assert text["ana@example.org"].startswith("SENCO Forum digest: Test SENCO Forum")
    assert "Dear Siân Ó Briain," in text["ana@example.org"]
    assert "Hello," in text["ben@example.org"]
    conn = open_db(load_settings(site_dir))
    editions = dict(
        conn.execute("SELECT s.email, d.edition_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id")
    )
    assert editions["ana@example.org"] == editions["cat@example.org"] != editions["ben@example.org"]


def test_transient_failures_are_retried_with_backoff_and_jitter(site_dir: Path) -> None:
    add_readers(site_dir)
    clock = Clock()
    transport = Scripted({"ben@example.org": ["temp", "temp", "ok"]})
    summary = send_edition(
        load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(clock, retry_base=2.0)
    )
    assert summary.sent == 5 and summary.ok
    assert transport.calls.count("ben@example.org") == 3
    assert clock.slept == [1.5, 3.0]  # 2 then 4 seconds, each with jitter in [half, whole] (random() = 0.5)
    assert rows(site_dir)["ben@example.org"][:2] == ("sent", 3)


def test_jitter_spreads_the_backoff() -> None:
    low, high = Policy(random=lambda: 0.0, retry_base=2.0), Policy(random=lambda: 0.999, retry_base=2.0)
    assert [low.backoff(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert [round(high.backoff(n), 2) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert Policy(retry_max=10, random=lambda: 0.5).backoff(10) == 7.5  # capped
    assert Policy(random=lambda: 0.0).backoff(1, retry_after=30) == 30  # Retry-After is a floor
    assert Policy(retry_max=60).backoff(1, retry_after=3600) is None  # too long: defer to the next run


def test_permanent_failure_is_recorded_with_the_reply_and_not_retried(site_dir: Path) -> None:
    add_readers(site_dir)
    transport = Scripted({"cat@example.org": ["perm"]})
    summary = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert (summary.sent, summary.failed, summary.ok) == (4, 1, False)
    assert transport.calls.count("cat@example.org") == 1
    state, attempts, detail = rows(site_dir)["cat@example.org"]
    assert (state, attempts) == ("failed", 1)
    assert "550 5.1.1 no such mailbox" in detail
    assert ("cat@example.org", "failed", detail) in summary.problems
    again = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert (again.sent, again.skipped, again.failed) == (0, 4, 1)
    assert transport.calls.count("cat@example.org") == 1


def test_transient_failures_that_outlast_the_retries_wait_for_the_next_run(site_dir: Path) -> None:
    add_readers(site_dir)
    transport = Scripted({"dev@example.org": ["temp"] * 3})
    summary = send_edition(
        load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(max_attempts=3)
    )
    assert (summary.sent, summary.deferred, summary.ok) == (4, 1, False)
    assert rows(site_dir)["dev@example.org"][0] == "pending"
    assert "run again to retry" in summary.lines()[0]
    again = send_edition(
        load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(max_attempts=3)
    )
    assert (again.sent, again.skipped, again.deferred, again.ok) == (1, 4, 0, True)


def test_a_retry_after_longer_than_retry_max_defers_at_once(site_dir: Path) -> None:
    add_readers(site_dir)
    clock = Clock()
    transport = Scripted({"ana@example.org": ["temp429:7200"]})
    summary = send_edition(
        load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(clock, retry_max=300)
    )
    assert summary.deferred == 1 and clock.slept == []


def test_a_server_that_keeps_failing_stops_the_run(site_dir: Path) -> None:
    add_readers(site_dir)
    transport = Scripted({r[0]: ["temp"] * 9 for r in READERS})
    summary = send_edition(
        load_settings(site_dir),
        FORUM,
        as_of=FIXTURE_DAY,
        transport=transport,
        policy=policy(max_attempts=2, stop_after=3),
    )
    assert summary.stopped and summary.sent == 0
    assert len(set(transport.calls)) == 3  # the last two readers were not tried
    assert summary.deferred == 5  # the three tried plus the two rows made for their page


def test_an_unknown_outcome_is_sent_again_with_the_same_message_id(site_dir: Path) -> None:
    """The end of the message went and no answer came: mail prefers a duplicate to a loss."""
    add_readers(site_dir)
    clock = Clock()
    transport = Scripted({"eve@example.org": ["unknown"]})
    summary = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(clock))
    assert (summary.sent, summary.unknown, summary.ok) == (5, 0, True)
    assert transport.calls.count("eve@example.org") == 2 and clock.slept == [1.5]  # backed off, like a 4xx
    first, second = (parse(m) for rcpt, m in transport.delivered if rcpt == "eve@example.org")
    assert first["Message-ID"] == second["Message-ID"]
    assert rows(site_dir)["eve@example.org"][:2] == ("sent", 2)


def test_unknown_after_every_attempt_is_sent_again_by_a_plain_rerun(site_dir: Path) -> None:
    add_readers(site_dir)
    transport = Scripted({"eve@example.org": ["unknown", "unknown"]})
    summary = send_edition(
        load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(max_attempts=2)
    )
    assert (summary.sent, summary.unknown, summary.ok) == (4, 1, False)
    assert rows(site_dir)["eve@example.org"][0] == "unknown"
    assert "Running the same command again sends those again" in "\n".join(summary.lines())
    again = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert (again.sent, again.unknown, again.ok) == (1, 0, True)


def test_unknown_outcomes_are_held_when_asked_and_resend_unknown_sends_them(site_dir: Path) -> None:
    add_readers(site_dir)
    (site_dir / "digest.toml").write_text(
        (site_dir / "digest.toml").read_text() + "\n[delivery]\nhold_unknown = true\n"
    )
    transport = Scripted({"eve@example.org": ["unknown"]})
    summary = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert (summary.sent, summary.unknown, summary.ok) == (4, 1, False)
    assert transport.calls.count("eve@example.org") == 1  # held: not tried again in this run
    assert any("--resend-unknown" in line for line in summary.lines())
    again = send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert (again.sent, again.unknown) == (0, 1)
    assert {p.email: p.action for p in dry_run(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY)}[
        "eve@example.org"
    ] == ("hold (outcome unknown; --resend-unknown sends)")
    resent = send_edition(
        load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy(), resend_unknown=True
    )
    assert (resent.sent, resent.unknown, resent.ok) == (1, 0, True)
    assert transport.calls.count("eve@example.org") == 2


@pytest.mark.parametrize(
    ("crash", "left", "summary_line"),
    [
        (
            "crash-before",
            ("pending", ledger.NOT_HANDED),
            "1 message was not yet handed over when an earlier run stopped: not delivered, so sent in this run",
        ),
        (
            "crash-after",
            ("unknown", ledger.INTERRUPTED),
            "1 message was handed over when an earlier run stopped, before the server answered: outcome unknown, sent again in this run",
        ),
    ],
)
def test_after_a_crash_a_plain_rerun_sends_the_message_that_was_in_flight(
    site_dir: Path, crash: str, left: tuple[str, str], summary_line: str
) -> None:
    """Cut off before the end of the message went: certainly not delivered, pending again.
    After it: perhaps delivered, unknown, and sent again all the same."""
    add_readers(site_dir)
    settings = load_settings(site_dir)
    transport = Scripted({"cat@example.org": [crash]})
    with pytest.raises(Crash):
        send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert rows(site_dir)["cat@example.org"][0] == ("sending" if crash == "crash-before" else "handed")
    conn = open_db(settings)
    ledger.recover(conn, KEY)  # what the rerun does first, looked at on its own
    assert (rows(site_dir)["cat@example.org"][0], rows(site_dir)["cat@example.org"][2]) == left
    conn.close()
    rerun = send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert rerun.ok and {state for state, _, _ in rows(site_dir).values()} == {"sent"}
    assert sorted({rcpt for rcpt, _ in transport.delivered}) == sorted(r[0] for r in READERS)
    conn = open_db(settings)
    conn.execute(
        "UPDATE deliveries SET state = ? WHERE subscriber_id = 3", ("sending" if crash == "crash-before" else "handed",)
    )
    conn.close()
    assert (
        summary_line in send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=Scripted(), policy=policy()).lines()
    )


def test_a_ledger_from_before_handed_existed_is_migrated_with_its_rows(tmp_path: Path) -> None:
    from digest.db import MIGRATIONS, connect

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    for _, sql in MIGRATIONS[:3]:
        old.executescript(sql)
    old.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    old.executemany("INSERT INTO migrations VALUES (?, 'then')", [(name,) for name, _ in MIGRATIONS[:3]])
    old.execute(
        "INSERT INTO subscribers (email, district, phases, setting, status, created_at, updated_at)"
        " VALUES ('a@example.org', 'Swale', 'primary', 'mainstream', 'confirmed', 'then', 'then')"
    )
    old.execute(
        "INSERT INTO deliveries (edition_key, subscriber_id, edition_id, message_id, state, attempts, detail,"
        " created_at, updated_at) VALUES ('forum:x@2025-07-11', 1, 'e', '<m@x>', 'unknown', 2, 'why', 'then', 'then')"
    )
    old.commit()
    old.close()
    conn = connect(path)
    assert [tuple(r) for r in conn.execute("SELECT edition_key, state, attempts, detail FROM deliveries")] == [
        ("forum:x@2025-07-11", "unknown", 2, "why")
    ]
    ledger.mark_handed(conn, "forum:x@2025-07-11", 1)  # the new state is allowed
    assert ledger.counts(conn, "forum:x@2025-07-11")["handed"] == 1
    conn.close()


def test_rows_left_handed_by_a_crash_become_unknown_and_are_held_if_asked(site_dir: Path) -> None:
    ids = add_readers(site_dir)
    settings = load_settings(site_dir, overrides={"delivery.hold_unknown": True})
    conn = open_db(settings)
    ledger.add_pending(conn, KEY, [(ids[0], "e", "<m@x>")])
    ledger.mark_sending(conn, KEY, ids[0], "e", "smtp")
    ledger.mark_handed(conn, KEY, ids[0])  # ... and then the process died
    conn.close()
    transport = Scripted()
    summary = send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=transport, policy=policy())
    assert summary.recovered == 1 and summary.unknown == 1 and summary.sent == 4
    assert "ana@example.org" not in transport.calls
    assert rows(site_dir)["ana@example.org"][0] == "unknown"
    assert ledger.INTERRUPTED in rows(site_dir)["ana@example.org"][2]
    assert "held (--hold-unknown)" in summary.lines()[1]


def test_one_send_of_an_edition_at_a_time(site_dir: Path) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    with ledger.lock(settings.path("var"), KEY), pytest.raises(DigestError, match="already being sent"):
        send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=Scripted(), policy=policy())
    with ledger.lock(settings.path("var"), "forum:other@2025-07-11"):  # another edition key is not blocked
        assert send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=Scripted(), policy=policy()).sent == 5


def test_rate_limit_spaces_hand_overs() -> None:
    clock = Clock()
    pace = Pace(Policy(rate=4, sleep=clock.sleep, clock=clock))
    for _ in range(5):
        pace.wait()
    assert clock.slept == [0.25] * 4
    unlimited = Clock()
    pace = Pace(Policy(rate=0, sleep=unlimited.sleep, clock=unlimited))
    pace.wait(), pace.wait()
    assert unlimited.slept == []


def test_the_ledger_is_unique_per_edition_and_reader(site_dir: Path) -> None:
    ids = add_readers(site_dir)
    conn = open_db(load_settings(site_dir))
    ledger.add_pending(conn, KEY, [(ids[0], "e1", "<a@x>")])
    ledger.add_pending(conn, KEY, [(ids[0], "e2", "<b@x>")])  # ignored: the first row stays
    assert tuple(conn.execute("SELECT COUNT(*), MIN(edition_id) FROM deliveries").fetchone()) == (1, "e1")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO deliveries (edition_key, subscriber_id, edition_id, message_id, state, created_at, updated_at) VALUES (?, ?, 'e', 'm', 'sent', 'now', 'now')",
            (KEY, ids[0]),
        )
    with pytest.raises(sqlite3.IntegrityError):
        ledger.add_pending(conn, KEY, [(99999, "e", "m")])  # no such reader
    conn.execute("DELETE FROM subscribers WHERE id = ?", (ids[0],))  # erasure takes the history with it
    assert conn.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


def test_dry_run_reports_and_writes_nothing(site_dir: Path) -> None:
    add_readers(site_dir)
    settings = load_settings(site_dir)
    planned = list(dry_run(settings, FORUM, as_of=FIXTURE_DAY))
    assert [p.email for p in planned] == [r[0] for r in READERS]
    assert {p.action for p in planned} == {"send"}
    assert len({p.edition_id for p in planned}) == 4
    assert rows(site_dir) == {}
    send_edition(
        settings, FORUM, as_of=FIXTURE_DAY, transport=Scripted({"ben@example.org": ["perm-data"]}), policy=policy()
    )
    assert {p.email: p.action for p in dry_run(settings, FORUM, as_of=FIXTURE_DAY)}[
        "ben@example.org"
    ] == "skip (failed permanently)"


def test_test_copies_are_marked_and_leave_the_ledger_alone(site_dir: Path) -> None:
    add_readers(site_dir)
    transport = Scripted()
    results = send_test(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, to="Tester@Example.org", transport=transport)
    assert len(results) == 4  # one per edition the readers get
    assert set(transport.calls) == {"tester@example.org"}
    subjects = {parse(m)["Subject"] for _, m in transport.delivered}
    assert all(s.startswith("[TEST] Test SENCO Forum") for s in subjects)
    assert rows(site_dir) == {}
    one = send_test(
        load_settings(site_dir),
        FORUM,
        as_of=FIXTURE_DAY,
        to="tester@example.org",
        edition_id=results[0][0],
        transport=Scripted(),
    )
    assert [eid for eid, _ in one] == [results[0][0]]
    with pytest.raises(DigestError, match="--edition: no edition 'nope'"):
        send_test(
            load_settings(site_dir),
            FORUM,
            as_of=FIXTURE_DAY,
            to="tester@example.org",
            edition_id="nope",
            transport=Scripted(),
        )
    with pytest.raises(DigestError, match="--to"):
        send_test(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY, to="not an address", transport=Scripted())


# -- the command -------------------------------------------------------------------------------
def run(site_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(site_dir), "send", *args], catch_exceptions=False)


def test_cli_send_dry_run_and_rerun(site_dir: Path) -> None:
    add_readers(site_dir)
    dry = run(site_dir, "--forum", FORUM, "--dry-run")
    assert dry.exit_code == 0
    assert dry.output.splitlines()[-1] == "Dry run: 5 readers in 4 editions: 5 send"
    assert sum(1 for line in dry.output.splitlines() if re.match(r"  2025-07-test-[0-9a-f]{8}: \d reader", line)) == 4
    swale = r"  2025-07-test-[0-9a-f]{8}: 2 readers \(2 send\); subject: Test SENCO Forum: [^;]+; for a primary mainstream school in Swale"
    assert any(re.fullmatch(swale, line) for line in dry.output.splitlines())
    first = run(site_dir, "--forum", FORUM, "--as-of", "2025-07-11")
    assert first.exit_code == 0, first.output
    assert (
        first.output.splitlines()[0]
        == f"{KEY}: 5 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown"
    )
    second = run(site_dir, "--forum", FORUM, "--as-of", "2025-07-11")
    assert (
        second.output.splitlines()[0]
        == f"{KEY}: 0 sent, 5 already sent (skipped), 0 failed permanently, 0 outcome unknown"
    )
    assert len(outbox(site_dir)) == 5


def test_cli_test_copy(site_dir: Path) -> None:
    add_readers(site_dir)
    result = run(site_dir, "--forum", FORUM, "--to", "me@example.org")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 4 and all(
        line.startswith("[TEST] 2025-07-test-") for line in result.output.splitlines()
    )
    assert rows(site_dir) == {}


def test_cli_mistakes_are_messages_not_tracebacks(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_readers(site_dir)
    assert "--edition goes with --to" in run(site_dir, "--forum", FORUM, "--edition", "x").output
    unknown = run(site_dir, "--forum", "2025-07-tset")
    assert unknown.exit_code == 1 and "no forum '2025-07-tset'" in unknown.output
    monkeypatch.setenv("DIGEST_SMTP_SECURITY", "ssl")
    bad = run(site_dir, "--forum", FORUM)
    assert bad.exit_code == 1 and "DIGEST_SMTP_SECURITY" in bad.output and "Traceback" not in bad.output
    monkeypatch.delenv("DIGEST_SMTP_SECURITY")
    monkeypatch.setenv("DIGEST_TRANSPORT", "api")
    api = run(site_dir, "--forum", FORUM)
    assert api.exit_code == 1 and "DIGEST_API_TENANT, DIGEST_API_CLIENT_ID, DIGEST_API_CLIENT_SECRET" in api.output


def test_secrets_in_the_settings_file_are_refused(site_dir: Path) -> None:
    (site_dir / "digest.toml").write_text('[delivery]\nsmtp_password = "hunter2"\napi_client_secret = "x"\n')
    with pytest.raises(DigestError) as info:
        load_settings(site_dir)
    text = info.value.format_message()
    assert (
        "delivery.smtp_password: secrets are not read from files (remove it and set the environment variable DIGEST_SMTP_PASSWORD instead)"
        in text
    )
    assert "DIGEST_API_CLIENT_SECRET" in text


def test_environment_overrides_delivery_settings(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DIGEST_TRANSPORT": "smtp",
        "DIGEST_SMTP_HOST": "mail.example.org",
        "DIGEST_SMTP_PORT": "2525",
        "DIGEST_SMTP_SECURITY": "tls",
        "DIGEST_SMTP_USERNAME": "digest",
        "DIGEST_SMTP_PASSWORD": "s3cret",
        "DIGEST_RATE_LIMIT": "2.5",
        "DIGEST_DB": "elsewhere.sqlite3",
    }.items():
        monkeypatch.setenv(name, value)
    s = load_settings(site_dir)
    d = s.delivery
    assert (d.transport, d.smtp_host, d.smtp_port, d.smtp_security, d.smtp_username, d.rate_limit) == (
        "smtp",
        "mail.example.org",
        2525,
        "tls",
        "digest",
        2.5,
    )
    assert d.smtp_password.get_secret_value() == "s3cret" and "s3cret" not in repr(s)
    assert s.path("db") == site_dir.resolve() / "elsewhere.sqlite3"
    assert Policy.from_settings(s, "smtp").rate == 2.5
    monkeypatch.delenv("DIGEST_RATE_LIMIT")
    assert Policy.from_settings(load_settings(site_dir), "api").rate == 0.5  # Exchange Online: 30 a minute
    assert Policy.from_settings(load_settings(site_dir), "smtp").rate == 0


def test_progress_line_shows_sent_rate_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from digest.delivery import send

    now = [100.0]
    monkeypatch.setattr(send.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    bar = send.ProgressLine(out)
    now[0] = 110.0
    bar(500, 2000, 480)
    bar.finish()
    assert out.getvalue() == "\r500/2,000 readers · 480 sent · 48.0/s · 0m30s left  \n"


def test_the_send_commits_without_a_flush_each_time_and_everything_else_with_one(
    site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger survives kill -9 either way (tests/test_crash.py); only the send gives up
    surviving a power cut for its last few seconds of commits (docs/delivery.md)."""
    from digest import db
    from digest.delivery import send

    add_readers(site_dir)
    settings = load_settings(site_dir)
    seen: list[int] = []

    def open_db(settings, **kw):
        conn = db.open_db(settings, **kw)
        seen.append(conn.execute("PRAGMA synchronous").fetchone()[0])
        return conn

    monkeypatch.setattr(send, "open_db", open_db)
    assert send_edition(settings, FORUM, as_of=FIXTURE_DAY, transport=Scripted(), policy=policy()).sent == 5
    assert seen and set(seen) == {1}  # NORMAL
    conn = open_db(settings)
    assert seen[-1] == 2  # FULL: subscribers, suppressions, the web pages
    conn.close()
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        db.open_db(settings, synchronous="OFF")


def test_dry_run_says_when_every_date_of_the_forum_is_past(site_dir: Path) -> None:
    events = site_dir / "content/events.yaml"
    events.write_text(events.read_text().replace("    start:", "    forum: 2025-07-test\n    start:"))
    add_readers(site_dir)
    before = run(site_dir, "--forum", FORUM, "--dry-run", "--as-of", "2025-07-11")
    assert "is past" not in before.output
    after = run(site_dir, "--forum", FORUM, "--dry-run", "--as-of", "2026-01-05")
    assert after.output.splitlines()[-1].startswith(
        "Every date of this forum is past as of Mon 5 January 2026 (all 2 dates): the digest holds none of them"
    )
