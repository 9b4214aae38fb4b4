"""Helpers for the delivery tests: readers in a real SQLite file, a real SMTP server with faults.

Until `digest subscribers import` lands (subscriptions branch), readers are added here
with digest.subscribers.add, as the store's own callers do.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from digest.content.load import load_or_fail
from digest.db import open_db
from digest.readers import store as subscribers
from digest.settings import load_settings

# (email, name, district, phases, setting): five readers, four distinct editions of the test forum
READERS = [
    ("ana@example.org", "Siân Ó Briain", "Swale", "primary", "mainstream"),
    ("ben@example.org", "", "Medway", "secondary", "independent"),
    ("cat@example.org", "Cat Lee", "Swale", "primary", "mainstream"),
    ("dev@example.org", "Dev Patel", "Dover", "early years;primary", "special"),
    ("eve@example.org", "Eve Stone", "Thanet", "post-16", "alternative provision"),
]
PROFILES = [(d, ph, st) for _, _, d, ph, st in READERS]
FORUM = "2025-07-test"
KEY = "forum:2025-07-test@send-1"  # the test forum's first send (digest.delivery.sends)


def add_readers(site_dir: Path, readers: list[tuple[str, str, str, str, str]] | None = None) -> list[int]:
    settings = load_settings(site_dir)
    site = load_or_fail(settings)
    conn = open_db(settings)
    try:
        return [
            subscribers.add(conn, addr, subscribers.parse_profile(site.taxonomy, d, ph, st), name=name)
            for addr, name, d, ph, st in (READERS if readers is None else readers)
        ]
    finally:
        conn.close()


def add_readers_before_0007(site_dir: Path) -> list[int]:
    """READERS as a database from before 0007_subscriber_settings holds them (a `setting`
    column): for the tests that open such a database, with db.MIGRATIONS cut short."""
    conn = open_db(load_settings(site_dir))
    try:
        with conn:
            return [
                conn.execute(
                    "INSERT INTO subscribers (email, name, district, phases, setting, status, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, 'confirmed', 'then', 'then')",
                    row,
                ).lastrowid
                for row in READERS
            ]
    finally:
        conn.close()


def many_readers(n: int) -> list[tuple[str, str, str, str, str]]:
    return [(f"reader{i:05d}@example.org", f"Reader {i}", *PROFILES[i % len(PROFILES)]) for i in range(n)]


def smtp_env(port: int) -> dict[str, str]:
    """The environment for a `digest` subprocess sending to a plain SMTP server on port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(
        DIGEST_SECRET_KEY="test-secret-key-0123456789abcdef",
        DIGEST_TRANSPORT="smtp",
        DIGEST_SMTP_HOST="127.0.0.1",
        DIGEST_SMTP_PORT=str(port),
        DIGEST_SMTP_SECURITY="none",
    )
    return env


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def outbox(site_dir: Path) -> list[bytes]:
    folder = site_dir / "var" / "outbox" / "new"
    return [p.read_bytes() for p in sorted(folder.iterdir())] if folder.exists() else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FaultyHandler:
    """An aiosmtpd handler that accepts mail and injects faults on request."""

    reject: dict[str, str] = field(default_factory=dict)  # rcpt -> permanent reply at RCPT (e.g. 550)
    greylist: dict[str, int] = field(default_factory=dict)  # rcpt -> how many times to answer 451 at end of DATA
    close_after: int | None = None  # after this many messages: 421 to the next MAIL, then hang up (once)
    stall: dict[str, float] = field(default_factory=dict)  # rcpt -> seconds to stall before answering DATA
    hang_up: dict[str, int] = field(
        default_factory=dict
    )  # rcpt -> how many times to hang up at the end of DATA, unanswered
    delay: float = 0.0  # seconds every DATA takes (a slow server)
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    commands: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.commands["EHLO"] += 1
        session.host_name = hostname
        return responses

    async def handle_RSET(self, server, session, envelope):
        self.commands["RSET"] += 1
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.commands["MAIL"] += 1
        if self.close_after is not None and len(self.messages) >= self.close_after:
            self.close_after = None
            asyncio.get_running_loop().call_later(0.01, server.transport.close)
            return "421 4.3.2 Service shutting down, closing transmission channel"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.commands["RCPT"] += 1
        self.commands[f"RCPT {address}"] += 1
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.commands["DATA"] += 1
        rcpt = envelope.rcpt_tos[0]
        if self.greylist.get(rcpt, 0) > 0:
            self.greylist[rcpt] -= 1
            return "451 4.7.1 Greylisted, try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        if rcpt in self.stall:
            await asyncio.sleep(self.stall.pop(rcpt))
        if self.hang_up.get(rcpt, 0) > 0:  # the message is not kept: the connection went before the answer
            self.hang_up[rcpt] -= 1
            server.transport.close()
            return "421 4.4.2 never sent: the connection is gone"
        with self.lock:
            self.messages.append((rcpt, envelope.original_content))
        return "250 2.0.0 Ok: queued"

    def received(self) -> Counter:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.messages)


class SMTPServer:
    """aiosmtpd on 127.0.0.1 in a thread; optional STARTTLS or implicit TLS."""

    def __init__(self, handler: FaultyHandler, **kwargs) -> None:
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
