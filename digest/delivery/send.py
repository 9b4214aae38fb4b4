"""Stage 5 (orchestration): send one edition key's digests to every confirmed reader.

Editions are chosen for the distinct profiles of confirmed readers and each is rendered
and turned into a MIME template once (digest.compose); readers are then streamed from
the database a page at a time, each message assembled by splicing in the reader's
parts, paced, retried when the failure is transient, and every hand-over recorded in
the ledger (digest.ledger) so that a rerun finishes the job.

Library functions take an edition key (the ledger's name for "this send"): `digest send`
makes the forum's send "forum:ID@send-N" (digest.delivery.sends: the same send on any
day, until --again begins the next), a schedule passes its own, "schedule:NAME@2025-07-14T07:00".
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from digest.content import todo
from digest.content.load import Site
from digest.content.usable import load_usable
from digest.db import open_db
from digest.delivery import ledger, sends
from digest.delivery.compose import Personaliser, Plan
from digest.delivery.mime import message_id
from digest.delivery.pacing import Pace, Policy
from digest.delivery.transports.base import OutcomeUnknown, PermanentError, TransientError, Transport
from digest.delivery.transports.registry import open_transport
from digest.editions.select import today
from digest.errors import DigestError
from digest.fmt import plural
from digest.readers import store
from digest.readers.store import Subscriber

if TYPE_CHECKING:
    from digest.settings import Settings

Progress = Callable[[int, int, int], None]  # (readers done, readers in all, messages sent)


# -- the send ----------------------------------------------------------------------------------
@dataclass
class Summary:
    key: str
    readers: int = 0
    sent: int = 0  # handed over in this run
    skipped: int = 0  # sent by an earlier run
    failed: int = 0  # refused for good (this run and earlier)
    unknown: int = 0  # may or may not have been delivered (this run and earlier)
    deferred: int = 0  # still pending: transient failures outlasted the retries, or the run stopped
    recovered: int = 0  # left 'handed' by a crashed run (may have been delivered), now 'unknown'
    interrupted: int = 0  # left 'sending' by a crashed run (not handed over), pending again
    stopped: str = ""
    resend_unknown: bool = True  # unknown messages are sent again (the default), or held
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (email, state, detail)
    notes: list[str] = field(default_factory=list)  # which send this was, when it needs saying

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.deferred or self.stopped)

    def lines(self) -> list[str]:
        out = [
            f"{self.key}: {self.sent:,} sent, {self.skipped:,} already sent (skipped), {self.failed:,} failed permanently, "
            f"{self.unknown:,} outcome unknown"
            + (f", {self.deferred:,} not sent yet (run again to retry)" if self.deferred else "")
        ]
        out += self.notes
        if self.interrupted:
            out.append(
                f"{plural(self.interrupted, 'message')} {plural(self.interrupted, 'was', number=False)} not yet handed "
                "over when an earlier run stopped: not delivered, so sent in this run"
            )
        if self.recovered:
            what = "sent again in this run" if self.resend_unknown else "held (--hold-unknown)"
            out.append(
                f"{plural(self.recovered, 'message')} {plural(self.recovered, 'was', number=False)} handed over when an "
                f"earlier run stopped, before the server answered: outcome unknown, {what}"
            )
        out += [f"  {state}: {email}: {detail}" for email, state, detail in self.problems]
        if self.unknown:
            out.append(UNKNOWN_RESENT if self.resend_unknown else UNKNOWN_HELD)
        if self.stopped:
            out.append(f"Stopped early: {self.stopped}")
        return out


UNKNOWN_RESENT = (
    "Outcome unknown means the message may have been delivered. Running the same command again sends those again, "
    "with the same Message-ID (some readers may get two copies); to check the mail server's log first, add --hold-unknown."
)
UNKNOWN_HELD = (
    "Outcome unknown means the message may have been delivered. Check the mail server's log, then run the same "
    "command with --resend-unknown to send those again (some readers may get two copies)."
)


HINTS = {
    "smtp": "check DIGEST_SMTP_HOST, DIGEST_SMTP_PORT and DIGEST_SMTP_SECURITY (or delivery.smtp_* in digest.toml)",
    "api": "check DIGEST_API_LOGIN_URL and the network, or try again later",
}


def open_or_explain(transport: Transport) -> None:
    """Connect before the first message: a wrong host or port is a message, not a run of failures."""
    try:
        transport.open()
    except TransientError as exc:
        hint = HINTS.get(transport.name, "try again later")
        raise DigestError(f"{exc.detail}; nothing was sent ({hint})") from None


def _deliver(
    conn: sqlite3.Connection,
    key: str,
    transport: Transport,
    policy: Policy,
    pace: Pace,
    sender: str,
    sub: Subscriber,
    edition_id: str,
    message: bytes,
    snapshot: str | None = None,
    resend_unknown: bool = True,
) -> tuple[str, str]:
    """Hand one message over, retrying transient failures; record each step. Returns (state, detail).

    A lost answer after the end of the message went (OutcomeUnknown) is tried again like a
    transient failure, with the same Message-ID, unless unknown messages are held."""
    detail, left, unknown = "", "pending", False
    for attempt in range(1, policy.max_attempts + 1):
        pace.wait()
        ledger.mark_sending(conn, key, sub.id, edition_id, transport.name, snapshot)
        retry_after = None
        try:
            receipt = transport.send(sender, [sub.email], message, lambda: ledger.mark_handed(conn, key, sub.id))
        except PermanentError as exc:
            ledger.mark(conn, key, sub.id, "failed", exc.detail)
            return "failed", exc.detail
        except OutcomeUnknown as exc:
            ledger.mark(conn, key, sub.id, "unknown", exc.detail)
            if not resend_unknown:
                return "unknown", exc.detail
            detail, unknown = exc.detail, True
        except TransientError as exc:
            ledger.mark(conn, key, sub.id, "unknown" if unknown else "pending", exc.detail)
            detail, retry_after = exc.detail, exc.retry_after
        except DigestError:  # a setting is wrong (login refused, TLS unverifiable): nothing was handed over
            ledger.mark(
                conn,
                key,
                sub.id,
                "unknown" if unknown else "pending",
                "not sent: the transport's settings were refused",
            )
            raise
        else:
            ledger.mark(conn, key, sub.id, "sent", receipt)
            return "sent", receipt
        delay = policy.backoff(attempt, retry_after) if attempt < policy.max_attempts else None
        if delay is None:
            break
        policy.sleep(delay)
    left = "unknown" if unknown else "pending"
    tries = plural(attempt, "attempt")
    detail = (
        f"outcome unknown after {tries}, will be sent again on the next run: {detail}"
        if unknown
        else f"not sent after {tries}, will retry on the next run: {detail}"
    )
    ledger.mark(conn, key, sub.id, left, detail)
    return left, detail


def send_edition(
    settings: Settings,
    forum_id: str,
    *,
    as_of: date | None = None,
    again: bool = False,
    key: str | None = None,
    transport: Transport | None = None,
    resend_unknown: bool | None = None,
    progress: Progress | None = None,
    policy: Policy | None = None,
    site: Site | None = None,
) -> Summary:
    """Send forum_id's digest (as of as_of) to every confirmed reader the forum's newest send
    has not sent it to; with again, begin the forum's next send (everyone is sent it again).

    Safe to run again after any failure or crash, on any day: the send is named by the forum
    and its number, not the day (digest.delivery.sends). Holds the forum's lock throughout.
    key: send under this edition key instead (a benchmark's or a test's own)."""
    site = site or load_usable(settings)
    forum = site.forum(forum_id)
    todo.refuse_draft(site, forum, "sent")
    as_of = as_of or today()

    def run(key: str) -> Summary:
        plan = Plan(settings, site, forum, as_of, key)
        return send_plan(
            settings, plan, transport=transport, resend_unknown=resend_unknown, progress=progress, policy=policy
        )

    if key is not None:
        return run(key)
    with ledger.lock(settings.path("var"), sends.lock_name(forum.id), what=f"the digest of {forum.id}"):
        conn = open_db(settings, synchronous=ledger.SYNCHRONOUS)
        try:
            send, began = sends.choose(conn, forum.id, as_of, again)
        finally:
            conn.close()
        summary = run(send.key)
    if began and send.number > 1:
        summary.notes.append(f"Began send {send.number} of {forum.id}: {sends.new(send, as_of)}")
    elif not began:
        summary.notes += sends.later(send, as_of)
    return summary


def send_plan(
    settings: Settings,
    plan: Plan,
    *,
    transport: Transport | None = None,
    resend_unknown: bool | None = None,
    progress: Progress | None = None,
    policy: Policy | None = None,
) -> Summary:
    """Send a plan's editions (under plan.key) to every confirmed reader it has one for.

    send_edition's plan is a forum's digest for everyone; a schedule passes its own plan
    (its audience, its kind of edition). Same ledger, lock, retries and summary.
    resend_unknown=None: as delivery.hold_unknown says (by default, unknown ones are sent again)."""
    if resend_unknown is None:
        resend_unknown = not settings.delivery.hold_unknown
    conn = open_db(settings, synchronous=ledger.SYNCHRONOUS)
    own = transport is None
    try:
        with ledger.lock(settings.path("var"), plan.key):
            transport = transport or open_transport(settings)
            policy = policy or Policy.from_settings(settings, transport.name)
            return _send(settings, plan, conn, transport, policy, resend_unknown, progress)
    finally:
        if own and transport is not None:
            transport.close()
        conn.close()


def _send(
    settings: Settings,
    plan: Plan,
    conn: sqlite3.Connection,
    transport: Transport,
    policy: Policy,
    resend_unknown: bool,
    progress: Progress | None,
) -> Summary:
    key = plan.key
    interrupted, recovered = ledger.recover(conn, key)
    summary = Summary(
        key,
        readers=store.count_receiving(conn),
        recovered=recovered,
        interrupted=interrupted,
        resend_unknown=resend_unknown,
    )
    plan.start(conn, record_on=True)
    plan.check_sizes()  # every edition is ready before the first message goes
    publish_copies(settings, plan)
    person = Personaliser(settings, key)
    sender = settings.site.sender_address
    pace, done, in_a_row = Pace(policy), 0, 0
    open_or_explain(transport)
    for page in plan.pages(conn):
        known = ledger.entries(conn, key, [s.id for s in page])
        ledger.add_pending(
            conn,
            key,
            [
                (s.id, p.edition.id, message_id(key, s.id, person.domain))
                for s in page
                if s.id not in known and (p := plan.for_reader(s)) is not None  # None: nothing for them
            ],
        )
        for sub in page:
            done += 1
            entry = known.get(sub.id)
            state = entry.state if entry else "pending"
            if state == "sent":
                summary.skipped += 1
            elif (state == "pending" or (state == "unknown" and resend_unknown)) and (
                prepared := plan.for_reader(sub)
            ) is not None:
                message = person.message(prepared.template, sub.id, sub.email, sub.name, sub.profile.describe())
                outcome, _ = _deliver(
                    conn,
                    key,
                    transport,
                    policy,
                    pace,
                    sender,
                    sub,
                    prepared.edition.id,
                    message,
                    prepared.snapshot_id,
                    resend_unknown,
                )
                summary.sent += outcome == "sent"
                gave_up = outcome == "pending" or (outcome == "unknown" and resend_unknown)  # every attempt failed
                in_a_row = in_a_row + 1 if gave_up else 0
                if in_a_row >= policy.stop_after:
                    summary.stopped = f"{plural(in_a_row, 'reader')} in a row could not be sent to; the server seems down. Run the same command again later."
                    break
            if progress:
                progress(done, summary.readers, summary.sent)
        if summary.stopped:
            break
    counts = ledger.counts(conn, key)
    summary.failed, summary.unknown, summary.deferred = counts["failed"], counts["unknown"], counts["pending"]
    summary.problems = ledger.problems(conn, key)
    return summary


def publish_copies(settings: Settings, plan: Plan) -> None:
    """Each forum edition's browser copy in the built site, so that "View in your browser"
    answers whatever day the build ran and whatever phases a school has."""
    from digest.editions.build import write_copy

    for prepared in plan.prepared:
        if getattr(prepared.edition, "forum", None) is not None:
            write_copy(settings.path("build"), prepared.rendered)


class ProgressLine:
    """'1,200/5,000 readers · 1,180 sent · 45.2/s · 1m24s left' on a terminal, redrawn at most 10 times a second."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.start, self.last, self.drawn = stream, time.monotonic(), 0.0, False

    def __call__(self, done: int, total: int, sent: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last, elapsed = now, max(now - self.start, 1e-9)
        left = (total - done) * elapsed / done if done else 0
        m, sec = divmod(int(left), 60)
        self.stream.write(
            f"\r{done:,}/{total:,} readers · {sent:,} sent · {sent / elapsed:.1f}/s · {m}m{sec:02d}s left  "
        )
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
