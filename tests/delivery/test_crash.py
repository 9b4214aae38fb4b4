"""kill -9 in the middle of `digest send` (a digest or a follow-up), run it again: nobody is lost,
at most the message in flight is doubled."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import FIXTURE_DAY
from support.delivery import FORUM, FaultyHandler, SMTPServer, add_readers, many_readers, parse, smtp_env

from demo.answer import answer
from digest.delivery.send import send_edition
from digest.settings import load_settings

DIGEST = Path(sys.executable).parent / "digest"
READERS = 40
IN_FLIGHT = 1  # messages are handed over one at a time


def digest_send(site_dir: Path, port: int, *extra: str) -> subprocess.Popen:
    env = smtp_env(port)
    return subprocess.Popen(
        [str(DIGEST), "send", "--forum", FORUM, "--as-of", "2025-07-11", *extra],
        cwd=site_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def states(site_dir: Path, keys: str = "%") -> dict[str, int]:
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    try:
        sql = "SELECT state, COUNT(*) FROM deliveries WHERE edition_key LIKE ? GROUP BY state"
        return dict(conn.execute(sql, (keys,)).fetchall())
    finally:
        conn.close()


def kill_mid_send(site_dir: Path, handler: FaultyHandler, port: int, kill_after: int) -> None:
    """kill -9 while the server holds the kill_after-th message's final dot and has not
    answered (each DATA takes it 30 ms): the worst moment, when the client cannot know.
    This server, like many, drops a message whose connection goes before it answers."""
    proc = digest_send(site_dir, port)
    deadline = time.monotonic() + 20
    while handler.commands["DATA"] < kill_after:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the send did not get going"
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)  # reaps it and closes its pipes
    time.sleep(0.2)  # let the server finish (or drop) the message it was holding
    assert kill_after - 1 <= len(handler.messages) <= kill_after < READERS


@pytest.mark.parametrize("kill_after", [3, 17])
def test_sigkill_mid_send_then_a_plain_rerun_loses_nobody(site_dir: Path, kill_after: int) -> None:
    """The message in flight at the kill is sent again by the rerun: cut off before its final
    dot it was certainly not delivered (pending again); after it, perhaps (unknown), and
    mail prefers a duplicate to a loss."""
    readers = many_readers(READERS)
    add_readers(site_dir, readers)
    handler = FaultyHandler(delay=0.03)  # a slow server: the kill lands while a message is in flight
    with SMTPServer(handler) as server:
        kill_mid_send(site_dir, handler, server.port, kill_after)
        rerun = digest_send(site_dir, server.port)
        out, err = rerun.communicate(timeout=60)
        assert "Traceback" not in err
        assert rerun.returncode == 0, out + err
        assert states(site_dir) == {"sent": READERS}
    received = handler.received()
    assert all(received[r[0]] >= 1 for r in readers)  # every reader got the digest
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= IN_FLIGHT
    assert len(handler.messages) == READERS + duplicates


def test_sigkill_mid_send_with_unknown_messages_held_until_resend_unknown(site_dir: Path) -> None:
    readers = many_readers(READERS)
    add_readers(site_dir, readers)
    handler = FaultyHandler(delay=0.03)
    with SMTPServer(handler) as server:
        kill_mid_send(site_dir, handler, server.port, 5)
        rerun = digest_send(site_dir, server.port, "--hold-unknown")
        out, err = rerun.communicate(timeout=60)
        assert "Traceback" not in err
        after_rerun = states(site_dir)
        assert after_rerun.get("unknown", 0) <= IN_FLIGHT
        assert after_rerun.get("sent", 0) + after_rerun.get("unknown", 0) == READERS
        assert (rerun.returncode == 0) == (after_rerun.get("unknown", 0) == 0), out
        received = handler.received()
        assert all(n == 1 for n in received.values())  # held: nobody is doubled
        missing = [r[0] for r in readers if received[r[0]] == 0]
        assert len(missing) <= after_rerun.get("unknown", 0)  # only the in-flight one may still be missing

        resend = digest_send(site_dir, server.port, "--resend-unknown")
        out, err = resend.communicate(timeout=60)
        assert resend.returncode == 0, out + err
        assert states(site_dir) == {"sent": READERS}
    received = handler.received()
    assert all(received[r[0]] >= 1 for r in readers)
    assert sum(n - 1 for n in received.values()) <= IN_FLIGHT


@pytest.mark.parametrize("kill_after", [5])
def test_sigkill_mid_follow_up_then_a_plain_rerun_finishes_it_and_loses_nobody(site_dir: Path, kill_after: int) -> None:
    readers = many_readers(READERS)
    add_readers(site_dir, readers)
    assert send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY).sent == READERS  # to the outbox
    path = site_dir / "content" / "forums" / f"{FORUM}.yaml"
    path.write_text(answer(path.read_text(), "pt-summer", "Yes: the six weeks stop over the summer holidays."))
    handler = FaultyHandler(delay=0.03)
    with SMTPServer(handler) as server:
        proc = digest_send(site_dir, server.port, "--follow-up")
        deadline = time.monotonic() + 20
        while len(handler.messages) < kill_after:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the follow-up did not get going"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        time.sleep(0.2)
        assert kill_after <= len(handler.messages) < READERS

        rerun = digest_send(site_dir, server.port, "--follow-up")
        out, err = rerun.communicate(timeout=60)
        assert "Traceback" not in err
        assert rerun.returncode == 0, out + err
        assert states(site_dir, "follow-up:%") == {"sent": READERS}  # the one in flight was sent again

        again = digest_send(site_dir, server.port, "--follow-up")
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0 and ": 0 sent," in out, out + err

    received = handler.received()
    assert all(received[r[0]] >= 1 for r in readers)  # every reader who had it pending got the answer
    assert sum(n - 1 for n in received.values()) <= IN_FLIGHT
    assert all("waiting for" in parse(raw)["Subject"] for _, raw in handler.messages)  # follow-ups, nothing else
