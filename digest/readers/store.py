"""Subscribers: who reads, for which district, phases and settings, and their consent.

This module is the store (plain functions over the SQLite connection). The CLI and the
web preference centre call it; delivery reads confirmed readers from it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from digest.content.audience import Profile, Tax
from digest.db import now, transaction
from digest.errors import Invalid, suggest
from digest.readers import suppressions

STATUSES = ("pending", "confirmed", "unsubscribed", "bounced")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidSubscriber(Invalid):
    """A reader's detail as a person typed it is wrong: which field, and how to fix it."""


def check_status(status: str) -> str:
    """status, if it is one; InvalidSubscriber naming the four otherwise (add, set, list, export)."""
    if status not in STATUSES:
        raise InvalidSubscriber("status", f"'{status}' is not one of {', '.join(STATUSES)}")
    return status


def normalise_email(address: str) -> str:
    """Trim and lower-case; refuse anything that is not one plain address."""
    address = (address or "").strip()
    if _CONTROL.search(address) or len(address) > 254 or not _EMAIL.match(address):
        raise InvalidSubscriber("email", f"'{address[:60]}' is not an email address")
    return address.lower()


def email_hash(address: str) -> str:
    return hashlib.sha256(normalise_email(address).encode()).hexdigest()


def clean_text(field: str, value: str | None, limit: int = 200) -> str:
    value = (value or "").strip()
    if _CONTROL.search(value):
        raise InvalidSubscriber(field, "contains line breaks or control characters")
    if len(value) > limit:
        raise InvalidSubscriber(field, f"is longer than {limit} characters")
    return value


def _names(value: list[str] | tuple[str, ...] | str) -> list[str]:
    """Names as a person typed them: a list, or one string with ';' or ',' between them."""
    return [v.strip() for v in (re.split(r"[;,]", value or "") if isinstance(value, str) else value) if v.strip()]


def parse_profile(
    tax: Tax, district: str, phases: list[str] | str, settings: list[str] | tuple[str, ...] | str
) -> Profile:
    """A validated Profile from names as a person typed them (';' or ',' between phases, and
    between settings: "independent;special")."""
    phases = _names(phases)
    district, kinds = (district or "").strip(), _names(settings)
    if not district:
        raise InvalidSubscriber("district", "is empty", f"use one of: {', '.join(tax.districts)}")
    d = tax.canonical("district", district)
    if d is None:
        raise InvalidSubscriber("district", f"'{district}' is not a district", suggest(district, tax.districts))
    if not kinds:
        raise InvalidSubscriber("setting", "is empty", f"use one or more of: {', '.join(tax.settings)}")
    for kind in kinds:
        if tax.canonical("setting", kind) is None:
            raise InvalidSubscriber("setting", f"'{kind}' is not a setting", suggest(kind, tax.settings))
    if not phases:
        raise InvalidSubscriber("phases", "choose at least one phase", f"use one or more of: {', '.join(tax.phases)}")
    for p in phases:
        if tax.canonical("phase", p) is None:
            raise InvalidSubscriber("phases", f"'{p.strip()}' is not a phase", suggest(p.strip(), tax.phases))
    return tax.profile(d, phases, kinds)


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    school: str
    profile: Profile
    status: str
    paused: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Subscriber:
        return cls(
            row["id"],
            row["email"],
            row["name"],
            row["school"],
            Profile(row["district"], tuple(row["phases"].split(";")), tuple(row["settings"].split(";"))),
            row["status"],
            bool(row["paused"]),
        )


def is_suppressed(conn: sqlite3.Connection, address: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM suppressions WHERE email_hash = ?", (email_hash(address),)).fetchone() is not None
    )


def add(
    conn: sqlite3.Connection,
    email: str,
    profile: Profile,
    *,
    name: str = "",
    school: str = "",
    status: str = "confirmed",
    consent_method: str = "cli",
    consent_ip: str | None = None,
    paused: bool = False,
) -> int:
    """Insert a subscriber; returns the id. Raises InvalidSubscriber for a duplicate or suppressed address."""
    email = normalise_email(email)
    check_status(status)
    if is_suppressed(conn, email):
        raise InvalidSubscriber("email", "this address asked to be erased and is never mailed again")
    stamp = now()
    try:
        cur = conn.execute(
            "INSERT INTO subscribers (email, name, school, district, phases, settings, status, paused, consent_at,"
            " consent_method, consent_ip, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                email,
                clean_text("name", name),
                clean_text("school", school),
                profile.district,
                ";".join(profile.phases),
                ";".join(profile.settings),
                status,
                int(paused),
                stamp,
                consent_method,
                consent_ip,
                stamp,
                stamp,
            ),
        )
    except sqlite3.IntegrityError:
        raise InvalidSubscriber("email", f"{email} is already subscribed") from None
    return int(cur.lastrowid)


def get(conn: sqlite3.Connection, subscriber_id: int) -> Subscriber | None:
    row = conn.execute("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,)).fetchone()
    return Subscriber.from_row(row) if row else None


def find(conn: sqlite3.Connection, email: str) -> Subscriber | None:
    row = conn.execute("SELECT * FROM subscribers WHERE email = ?", (normalise_email(email),)).fetchone()
    return Subscriber.from_row(row) if row else None


def set_status(conn: sqlite3.Connection, subscriber_id: int, status: str) -> None:
    check_status(status)
    conn.execute("UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?", (status, now(), subscriber_id))


def update(
    conn: sqlite3.Connection,
    subscriber_id: int,
    *,
    profile: Profile | None = None,
    name: str | None = None,
    school: str | None = None,
    status: str | None = None,
    paused: bool | None = None,
) -> None:
    """Change the given fields of one reader (None leaves a field as it is)."""
    values: dict[str, object] = {}
    if profile is not None:
        values.update(district=profile.district, phases=";".join(profile.phases), settings=";".join(profile.settings))
    if name is not None:
        values["name"] = clean_text("name", name)
    if school is not None:
        values["school"] = clean_text("school", school)
    if status is not None:
        values["status"] = check_status(status)
    if paused is not None:
        values["paused"] = int(paused)
    if not values:
        return
    values["updated_at"] = now()
    columns = ", ".join(f"{column} = ?" for column in values)  # names from this function only
    conn.execute(f"UPDATE subscribers SET {columns} WHERE id = ?", (*values.values(), subscriber_id))


def confirm(conn: sqlite3.Connection, subscriber_id: int, client: str | None = None) -> None:
    """Double opt-in completed: confirmed, with when and from where the link was followed (and
    no longer suppressed by a bounce or a complaint: the reader has shown the address works)."""
    stamp = now()
    conn.execute(
        "UPDATE subscribers SET status = 'confirmed', paused = 0, confirmed_at = ?, confirmed_ip = ?, updated_at = ?"
        " WHERE id = ?",
        (stamp, client, stamp, subscriber_id),
    )
    suppressions.lift(conn, subscriber_id)  # confirming again lifts a bounce's or a complaint's suppression


# A subscribe form, as one statement whatever is known about the address (the same work in
# every case, see web/pages.py): a new address is stored as pending; a pending, unsubscribed
# or bounced one takes the form's details, pending again (one already pending keeps when and
# from where it first asked, which its confirmation link is bound to); a confirmed one is left
# as it is; an erased one is never stored. SET reads the row as it was.
_REQUEST = """
INSERT INTO subscribers (email, name, school, district, phases, settings, status, paused, consent_at,
    consent_method, consent_ip, created_at, updated_at)
SELECT :email, :name, :school, :district, :phases, :settings, 'pending', 0, :asked, 'web', :client, :now, :now
WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = :hash)
ON CONFLICT (email) DO UPDATE SET
    name = excluded.name, school = excluded.school, district = excluded.district, phases = excluded.phases,
    settings = excluded.settings, status = 'pending', paused = 0, updated_at = excluded.updated_at,
    consent_at = CASE status WHEN 'pending' THEN consent_at ELSE excluded.consent_at END,
    consent_method = CASE status WHEN 'pending' THEN consent_method ELSE excluded.consent_method END,
    consent_ip = CASE status WHEN 'pending' THEN consent_ip ELSE excluded.consent_ip END
WHERE status != 'confirmed'
"""


def request_subscription(
    conn: sqlite3.Connection,
    email: str,
    profile: Profile,
    *,
    name: str = "",
    school: str = "",
    client: str | None = None,
) -> tuple[str, int | None]:
    """A subscribe form was sent (by anyone: nothing proves it was the address's owner).

    Returns what to mail: ("confirm", id) to ask for confirmation, ("notice", id) to tell a
    confirmed reader they already are (with their preferences link), or ("none", None) for
    an erased address. A confirmed reader's details are never changed from here; a reader
    not yet (or no longer) receiving the digest gets the new details, pending confirmation.
    The same two statements run in every case (_REQUEST, then reading the row back).
    """
    email = normalise_email(email)
    values = {
        "email": email,
        "name": clean_text("name", name),
        "school": clean_text("school", school),
        "district": profile.district,
        "phases": ";".join(profile.phases),
        "settings": ";".join(profile.settings),
        "now": now(),
        # to the microsecond: a confirmation link is bound to it (confirm_bound), and a request
        # after an unsubscribe in the same second is still a new one
        "asked": datetime.now(UTC).isoformat(timespec="microseconds"),
        "client": client,
        "hash": email_hash(email),
    }
    with transaction(conn):
        conn.execute(_REQUEST, values)
        row = conn.execute(
            "SELECT id, status FROM subscribers WHERE email = :email"
            " AND NOT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = :hash)",
            values,
        ).fetchone()
    if row is None:
        return "none", None
    return ("notice" if row["status"] == "confirmed" else "confirm"), row["id"]


def confirm_bound(conn: sqlite3.Connection, subscriber_id: int) -> str:
    """What a confirmation link is bound to: when the reader's pending request began (a new
    request after an unsubscribe, or a confirmed reader unsubscribing, changes what the link
    may do: web/subscribe.py). '' for no such reader."""
    row = conn.execute("SELECT consent_at FROM subscribers WHERE id = ?", (subscriber_id,)).fetchone()
    return (row["consent_at"] or "") if row else ""


def suppress(conn: sqlite3.Connection, address: str, reason: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO suppressions (email_hash, reason, created_at) VALUES (?, ?, ?)",
        (email_hash(address), reason, now()),
    )


def erase(conn: sqlite3.Connection, address: str, reason: str = "erasure requested") -> bool:
    """Right to erasure: delete every field about the person, keep only a hash of the address
    so it is never mailed again by accident. True if there was a reader to delete."""
    address = normalise_email(address)
    with transaction(conn):
        deleted = conn.execute("DELETE FROM subscribers WHERE email = ?", (address,)).rowcount
        suppress(conn, address, reason)
    return bool(deleted)


def consent(conn: sqlite3.Connection, subscriber_id: int) -> dict[str, str | None]:
    """The consent record: how and when the reader agreed, and from which client address."""
    row = conn.execute(
        "SELECT consent_at, consent_method, consent_ip, confirmed_at, confirmed_ip, created_at, updated_at"
        " FROM subscribers WHERE id = ?",
        (subscriber_id,),
    ).fetchone()
    return dict(row) if row else {}


def everyone(conn: sqlite3.Connection, status: str | None = None) -> Iterator[Subscriber]:
    """All readers (or those with one status) in id order, streamed."""
    if status is not None:
        check_status(status)  # now, not at the first row: a misspelt status is not "0 readers"
    return _everyone(conn, status)


def _everyone(conn: sqlite3.Connection, status: str | None) -> Iterator[Subscriber]:
    if status is None:
        cur = conn.execute("SELECT * FROM subscribers ORDER BY id")
    else:
        cur = conn.execute("SELECT * FROM subscribers WHERE status = ? ORDER BY id", (status,))
    for row in cur:
        yield Subscriber.from_row(row)


# Who gets the next digest: one definition, used by every query below.
RECEIVING = "status = 'confirmed' AND paused = 0"
PAGE = 500  # readers read (and ledger rows written) per query


def receiving_pages(conn: sqlite3.Connection, page: int = PAGE) -> Iterator[list[Subscriber]]:
    """Confirmed, unpaused readers a page at a time, by id. No read transaction stays open
    between pages, and someone who unsubscribes mid-send is not mailed once their page comes."""
    after = 0
    while True:
        rows = conn.execute(
            f"SELECT * FROM subscribers WHERE {RECEIVING} AND id > ? ORDER BY id LIMIT ?", (after, page)
        ).fetchall()
        if not rows:
            return
        yield [Subscriber.from_row(r) for r in rows]
        after = rows[-1]["id"]


def confirmed(conn: sqlite3.Connection) -> Iterator[Subscriber]:
    """Every reader who should get the next digest (confirmed, not paused), in id order, streamed:
    a million readers never sit in memory at once."""
    for page in receiving_pages(conn):
        yield from page


def receiving_profiles(conn: sqlite3.Connection) -> list[Profile]:
    """The distinct profiles of the readers who get the next digest (one edition each at most)."""
    rows = conn.execute(f"SELECT DISTINCT district, phases, settings FROM subscribers WHERE {RECEIVING}")
    return sorted(Profile(d, tuple(ph.split(";")), tuple(s.split(";"))) for d, ph, s in rows)


def count_receiving(conn: sqlite3.Connection) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM subscribers WHERE {RECEIVING}").fetchone()[0]


def receiving_counts(conn: sqlite3.Connection) -> dict[Profile, int]:
    """How many readers who get the next digest have each profile."""
    rows = conn.execute(
        f"SELECT district, phases, settings, COUNT(*) FROM subscribers WHERE {RECEIVING} GROUP BY 1, 2, 3"
    )
    return {Profile(d, tuple(ph.split(";")), tuple(s.split(";"))): n for d, ph, s, n in rows}
