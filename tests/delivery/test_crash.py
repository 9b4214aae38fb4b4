"""kill -9 in the middle of `digest send` (a digest or a follow-up), run it again: nobody is lost,
at most the message in flight is doubled; and so on the next day, or after more answers came."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import FIXTURE_DAY
from support.delivery import FORUM, KEY, FaultyHandler, SMTPServer, add_readers, many_readers, parse, smtp_env

from demo.answer import answer
from digest.delivery.send import send_edition
from digest.settings import load_settings

DIGEST = Path(sys.executable).parent / "digest"
READERS = 40
IN_FLIGHT = 1  # messages are handed over one at a time


def digest_send(site_dir: Path, port: int, *extra: str, as_of: str = "2025-07-11") -> subprocess.Popen:
    env = smtp_env(port)
    return subprocess.Popen(
        [str(DIGEST), "send", "--forum", FORUM, "--as-of", as_of, *extra],
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
    deadline = time.monotonic() + 120  # only stops a test that would hang
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
        deadline = time.monotonic() + 120  # only stops a test that would hang
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


# -- issue 19: a rerun finishes the job whenever it runs -----------------------------------------
@dataclass
class Holding(FaultyHandler):
    """A server that holds the nth message until the test releases it: at RCPT, before its end
    has gone (so the client has not handed it over), or at the end of DATA, unanswered (handed
    over; with keep, the server keeps it, so it was delivered though the client cannot know)."""

    stage: str = "RCPT"
    nth: int = 1
    keep: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    held: str = ""  # the recipient of the message held

    async def _hold(self, rcpt: str) -> None:
        self.held = rcpt
        self.holding.set()
        while not self.release.is_set():  # waits for the test, not for a time
            await asyncio.sleep(0.01)

    async def handle_RCPT(self, server, session, envelope, address, options):
        reply = await super().handle_RCPT(server, session, envelope, address, options)
        if self.stage == "RCPT" and self.commands["RCPT"] == self.nth:
            await self._hold(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        if self.stage != "DATA" or self.commands["DATA"] + 1 != self.nth:
            return await super().handle_DATA(server, session, envelope)
        self.commands["DATA"] += 1
        if self.keep:
            with self.lock:
                self.messages.append((envelope.rcpt_tos[0], envelope.original_content))
        await self._hold(envelope.rcpt_tos[0])
        return "250 2.0.0 Ok: queued"  # to a client that is gone


def kill_while_held(proc: subprocess.Popen, handler: Holding, site_dir: Path, left: str) -> None:
    """kill -9 the send while the server holds a message, once the ledger shows it in flight."""
    deadline = time.monotonic() + 60
    while not (handler.holding.is_set() and states(site_dir).get(left) == 1):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the send did not reach the held message"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    handler.release.set()


def ledger_keys(site_dir: Path) -> set[str]:
    conn = sqlite3.connect(site_dir / "var" / "digest.sqlite3")
    try:
        return {r[0] for r in conn.execute("SELECT DISTINCT edition_key FROM deliveries")}
    finally:
        conn.close()


# before the end of the message went: not delivered; after it, delivered, the client cannot know
MOMENTS = [("RCPT", "sending", False), ("DATA", "handed", True)]


@pytest.mark.parametrize(("stage", "left", "keep"), MOMENTS)
def test_killed_one_day_and_rerun_the_next_sends_nobody_twice_but_the_one_in_flight(
    site_dir: Path, stage: str, left: str, keep: bool
) -> None:
    """A send is the forum and its number, not the day: the plain rerun the day after (as of
    that day) carries on the same send and sends only the readers not yet sent."""
    readers = many_readers(READERS)
    add_readers(site_dir, readers)
    handler = Holding(stage=stage, nth=18, keep=keep)
    with SMTPServer(handler) as server:
        kill_while_held(digest_send(site_dir, server.port, as_of="2025-07-11"), handler, site_dir, left)
        assert states(site_dir)["sent"] == 17

        rerun = digest_send(site_dir, server.port, as_of="2025-07-12")
        out, err = rerun.communicate(timeout=120)
        assert "Traceback" not in err
        assert rerun.returncode == 0, out + err
        assert f"{KEY}: 23 sent, 17 already sent (skipped), 0 failed permanently, 0 outcome unknown" in out
        assert (
            "This send began as of Fri 11 July 2025: readers it has not sent yet get the digest as of Sat 12 July"
            in out
        )
        assert states(site_dir) == {"sent": READERS} and ledger_keys(site_dir) == {KEY}

    received = handler.received()
    assert all(received[r[0]] >= 1 for r in readers)  # nobody is lost
    twice = {rcpt for rcpt, n in received.items() if n > 1}
    assert twice == ({handler.held} if keep else set())  # nobody twice but the one in flight, if it arrived
    assert len(handler.messages) == READERS + len(twice)


FORUM_FILE = Path("content/forums") / f"{FORUM}.yaml"
FIRST = "Yes: the six weeks stop over the summer holidays."
SECOND = "Funding decisions are made in the second week of Term 6."


def answers_received(handler: FaultyHandler) -> dict[str, list[set[str]]]:
    """Reader -> for each message they were sent, which of the two answers it held."""
    out: dict[str, list[set[str]]] = {}
    for rcpt, raw in handler.messages:
        text = " ".join(parse(raw).get_body(("plain",)).get_content().split())
        out.setdefault(rcpt, []).append({a for a in (FIRST, SECOND) if a in text})
    return out


@pytest.mark.parametrize(("stage", "left", "keep"), MOMENTS)
def test_a_follow_up_killed_then_rerun_after_another_answer_loses_no_answer(
    site_dir: Path, stage: str, left: str, keep: bool
) -> None:
    """The follow-up of one answer is killed with a message in flight; a second answer comes;
    the rerun (a new follow-up: the answers changed) sends every reader every answer they were
    waiting for. A message not delivered, or whose outcome is unknown, told nobody anything."""
    readers = many_readers(READERS)
    add_readers(site_dir, readers)
    path = site_dir / FORUM_FILE
    text = path.read_text()  # a second answer still to come, for early years and primary, not independent
    path.write_text(
        text.replace("answer: In Term 6, so schools can plan.", "answer: To follow.\n        status: pending")
    )
    assert send_edition(load_settings(site_dir), FORUM, as_of=FIXTURE_DAY).sent == READERS  # to the outbox
    path.write_text(answer(path.read_text(), "pt-summer", FIRST))
    handler = Holding(stage=stage, nth=4, keep=keep)
    with SMTPServer(handler) as server:
        kill_while_held(digest_send(site_dir, server.port, "--follow-up"), handler, site_dir, left)
        path.write_text(answer(path.read_text(), "year-r-funding", SECOND))

        rerun = digest_send(site_dir, server.port, "--follow-up")
        out, err = rerun.communicate(timeout=120)
        assert "Traceback" not in err
        assert rerun.returncode == 0, out + err
        # 3 readers had the first answer; of them, the 2 of early years or primary are due the second
        assert ": 39 sent, 0 already sent (skipped), 0 failed permanently, 0 outcome unknown" in out, out
        assert ("handed over when its run stopped, before the server answered (outcome unknown)" in out) == keep
        new_key = next(
            k for k in ledger_keys(site_dir) if k.startswith("follow-up:") and states(site_dir, k) == {"sent": 39}
        )
        assert new_key in out

    got = answers_received(handler)
    due_second = {r[0] for i, r in enumerate(readers) if i % 5 in (0, 2, 3)}  # ana's, cat's and dev's profiles
    for rcpt, *_ in readers:
        held = set().union(*got[rcpt])
        assert held == ({FIRST, SECOND} if rcpt in due_second else {FIRST}), rcpt  # every answer, none lost
    assert handler.held == readers[3][0] and {FIRST, SECOND} in got[handler.held]  # in flight: both, together
    doubled = {rcpt for rcpt, sent in got.items() if sum(FIRST in s for s in sent) > 1}
    assert doubled == ({handler.held} if keep else set())  # a duplicate only where the first may have arrived
