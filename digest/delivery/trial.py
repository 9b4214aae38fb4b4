"""Looking before sending: who a send would reach (a dry run), and [TEST] copies of every
edition to one address. Neither touches the ledger or takes the send's lock."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from digest import fmt
from digest.content.load import Site
from digest.content.usable import load_usable
from digest.db import open_db
from digest.delivery import ledger, sends
from digest.delivery.compose import Personaliser, Plan
from digest.delivery.mime import message_id
from digest.delivery.send import open_or_explain
from digest.delivery.transports.base import OutcomeUnknown, PermanentError, TransientError, Transport
from digest.delivery.transports.registry import open_transport
from digest.editions.select import past_dates, today
from digest.errors import DigestError, Invalid, suggest
from digest.fmt import plural
from digest.readers import store
from digest.readers.store import normalise_email

if TYPE_CHECKING:
    from digest.settings import Settings


@dataclass
class Intended:
    email: str
    edition_id: str
    state: str  # 'new' or the ledger state
    action: str  # what a real send would do


ACTIONS = {
    "new": "send",
    "pending": "send",
    "sending": "send (not handed over when a run stopped)",
    "sent": "skip (already sent)",
    "failed": "skip (failed permanently)",
}
UNKNOWN = {True: "send again (outcome unknown)", False: "hold (outcome unknown; --resend-unknown sends)"}


def dry_run(
    settings: Settings,
    forum_id: str,
    *,
    as_of: date | None = None,
    again: bool = False,
    key: str | None = None,
    resend_unknown: bool | None = None,
    site: Site | None = None,
) -> Iterator[Intended]:
    """Who would get which edition; reads the ledger, writes nothing, takes no lock."""
    plan, _ = _forum_plan(settings, forum_id, as_of, again, key, site)
    yield from intended(settings, plan, resend_unknown=resend_unknown)


def dry_run_report(
    settings: Settings, forum_id: str, *, as_of: date | None = None, again: bool = False, site: Site | None = None
) -> tuple[list[Intended], list[str], list[str]]:
    """`digest send --dry-run`: each reader's line, what each edition is (see `report`), and
    which send a real run would make (digest.delivery.sends.describe)."""
    plan, which = _forum_plan(settings, forum_id, as_of, again, None, site)
    planned = list(intended(settings, plan))
    return planned, report(plan, planned), which


def _forum_plan(
    settings: Settings, forum_id: str, as_of: date | None, again: bool, key: str | None, site: Site | None
) -> tuple[Plan, list[str]]:
    """The plan of the send a real run would make (or of key), and that send in words."""
    site = site or load_usable(settings)
    forum = site.forum(forum_id)
    as_of = as_of or today()
    which: list[str] = []
    if key is None:
        conn = open_db(settings)
        try:
            send = sends.would_choose(conn, forum.id, as_of, again)
            which = sends.describe(send, as_of, ledger.counts(conn, send.key)["sent"])
        finally:
            conn.close()
        key = send.key
    return Plan(settings, site, forum, as_of, key), which


def report(plan: Plan, planned: list[Intended]) -> list[str]:
    """Each edition a dry run reaches: its subject, who it is for, how many readers and what
    would happen to them; the last line is the total. The same for `digest send` and a schedule."""
    readers = Counter(it.edition_id for it in planned)
    actions: dict[str, Counter] = {}
    for it in planned:
        actions.setdefault(it.edition_id, Counter())[it.action] += 1
    lines = []
    for p in plan.prepared:
        n = readers.get(p.edition.id, 0)
        if not n:
            continue
        profiles = sorted({pr.describe() for pr in p.edition.profiles})
        audience = "; ".join(profiles[:3]) + (
            f"; and {plural(len(profiles) - 3, 'more profile')}" if len(profiles) > 3 else ""
        )
        what = ", ".join(f"{k} {a}" for a, k in sorted(actions[p.edition.id].items()))
        lines.append(f"{p.edition.id}: {plural(n, 'reader')} ({what}); subject: {p.rendered.subject}; for {audience}")
    editions = sum(1 for p in plan.prepared if readers.get(p.edition.id))
    total = Counter(it.action for it in planned)
    lines.append(
        f"{plural(len(planned), 'reader')} in {plural(editions, 'edition')}"
        + (": " + ", ".join(f"{k} {a}" for a, k in sorted(total.items())) if total else "")
    )
    return lines


def dates_note(settings: Settings, forum_id: str, as_of: date | None = None, site: Site | None = None) -> str:
    """A line for the dry run when every date that came with the forum has gone by, so that
    nobody expects them in the digest ('' otherwise)."""
    site = site or load_usable(settings)
    forum = site.forum(forum_id)
    as_of = as_of or today()
    total, past = past_dates(site, forum, as_of)
    if not total or past < total:
        return ""
    return (
        f"Every date of this forum is past as of {fmt.day(as_of)} (all {fmt.plural(total, 'date')}): the digest holds "
        "none of them, and dates named inside answers are marked as past. Give --as-of to send it as of another day."
    )


def intended(settings: Settings, plan: Plan, *, resend_unknown: bool | None = None) -> Iterator[Intended]:
    """dry_run for any plan: readers it has nothing for are left out."""
    key = plan.key
    if resend_unknown is None:
        resend_unknown = not settings.delivery.hold_unknown
    conn = open_db(settings)
    try:
        plan.start(conn)
        for page in plan.pages(conn):
            known = ledger.entries(conn, key, [s.id for s in page])
            for sub in page:
                prepared = plan.for_reader(sub)
                if prepared is None:
                    continue
                state = known[sub.id].state if sub.id in known else "new"
                action = UNKNOWN[resend_unknown] if state in ("unknown", "handed") else ACTIONS[state]
                yield Intended(sub.email, prepared.edition.id, state, action)
    finally:
        conn.close()


def send_test(
    settings: Settings,
    forum_id: str,
    to: str,
    *,
    as_of: date | None = None,
    edition_id: str | None = None,
    transport: Transport | None = None,
    site: Site | None = None,
    dry_run: bool = False,
) -> list[tuple[str, str]]:
    """A [TEST] copy of every edition (or one) to one address; no ledger, no lock.

    The editions are those of the confirmed readers' profiles, or of every profile in the
    taxonomy while there are no readers (as `digest build` shows them)."""
    try:
        to = normalise_email(to)
    except Invalid as exc:
        raise DigestError(str(exc.at("", field="--to"))) from None
    site = site or load_usable(settings)
    forum = site.forum(forum_id)
    as_of = as_of or today()
    key = f"test:forum:{forum.id}@{as_of.isoformat()}:{time.time_ns()}"  # never in the ledger
    conn = open_db(settings)
    try:
        profiles = store.receiving_profiles(conn)
    finally:
        conn.close()
    plan = Plan(settings, site, forum, as_of, key, subject_prefix="[TEST] ")
    plan.add(profiles or list(site.taxonomy.profiles()))
    chosen = plan.prepared
    if edition_id is not None:
        if edition_id not in {p.edition.id for p in chosen}:
            plan.add(list(site.taxonomy.profiles()))
            chosen = [p for p in plan.prepared if p.edition.id == edition_id]
        else:
            chosen = [p for p in chosen if p.edition.id == edition_id]
        if not chosen:
            raise DigestError(
                f"--edition: no edition '{edition_id}' in {forum.id}; {suggest(edition_id, [p.edition.id for p in plan.prepared])}"
            )
    plan.check_sizes()
    if dry_run:
        return [(p.edition.id, "would send") for p in chosen]
    person = Personaliser(settings, key)
    own = transport is None
    transport = transport or open_transport(settings)
    results = []
    try:
        open_or_explain(transport)
        for n, p in enumerate(chosen):
            profile = p.edition.profiles[0].describe() if p.edition.profiles else "a reader"
            message = person.message(p.template, 0, to, "", profile, mid=message_id(key, n, person.domain))
            try:
                results.append((p.edition.id, transport.send(settings.site.sender_address, [to], message)))
            except (PermanentError, TransientError, OutcomeUnknown) as exc:
                results.append((p.edition.id, f"FAILED: {exc.detail}"))
    finally:
        if own:
            transport.close()
    return results
