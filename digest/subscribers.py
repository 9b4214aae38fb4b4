"""Subscribers: who reads, for which district, phases and setting, and their consent.

This module is the store (plain functions over the SQLite connection). The CLI and the
web preference centre call it; delivery reads confirmed readers from it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from digest.audience import Profile, Tax
from digest.db import now
from digest.errors import suggest

STATUSES = ("pending", "confirmed", "unsubscribed", "bounced")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidSubscriber(ValueError):
    """A field a person typed is wrong; the message says which and how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


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


def parse_profile(tax: Tax, district: str, phases: list[str] | str, setting: str) -> Profile:
    """A validated Profile from names as a person typed them (';' or ',' between phases)."""
    if isinstance(phases, str):
        phases = [p for p in re.split(r"[;,]", phases) if p.strip()]
    d = tax.canonical("district", district)
    if d is None:
        raise InvalidSubscriber("district", f"'{district}' is not a district; {suggest(district, tax.districts)}")
    s = tax.canonical("setting", setting)
    if s is None:
        raise InvalidSubscriber("setting", f"'{setting}' is not a setting; {suggest(setting, tax.settings)}")
    if not phases:
        raise InvalidSubscriber("phases", "choose at least one phase")
    for p in phases:
        if tax.canonical("phase", p) is None:
                raise InvalidSubscriber("phases", f"'{p.strip()}' is not a phase; {suggest(p.strip(), tax.phases)}")
    return tax.profile(d, [p.strip() for p in phases], s)


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
            Profile(row["district"], tuple(row["phases"].split(";")), row["setting"]),
            row["status"],
            bool(row["paused"]),
        )


def is_suppressed(conn: sqlite3.Connection, address: str) -> bool:
    return conn.execute("SELECT 1 FROM suppressions WHERE email_hash = ?", (email_hash(address),)).fetchone() is not None


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
) -> int:
    """Insert a subscriber; returns the id. Raises InvalidSubscriber for a duplicate or suppressed address."""
    email = normalise_email(email)
    if status not in STATUSES:
        raise InvalidSubscriber("status", f"'{status}' is not one of {', '.join(STATUSES)}")
    if is_suppressed(conn, email):
        raise InvalidSubscriber("email", "this address asked to be erased and is never mailed again")
    stamp = now()
    try:
        cur = conn.execute(
            "INSERT INTO subscribers (email, name, school, district, phases, setting, status, consent_at,"
            " consent_method, consent_ip, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                email,
                clean_text("name", name),
                clean_text("school", school),
                profile.district,
                ";".join(profile.phases),
                profile.setting,
                status,
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
    if status not in STATUSES:
        raise InvalidSubscriber("status", f"'{status}' is not one of {', '.join(STATUSES)}")
    conn.execute("UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?", (status, now(), subscriber_id))


def confirmed(conn: sqlite3.Connection) -> Iterator[Subscriber]:
    """Every reader who should get the next digest (confirmed, not paused), in id order.

    Streams rows: a million readers never sit in memory at once.
    """
    cur = conn.execute("SELECT * FROM subscribers WHERE status = 'confirmed' AND paused = 0 ORDER BY id")
    for row in cur:
        yield Subscriber.from_row(row)
