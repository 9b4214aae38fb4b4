"""Bounce and complaint reports for the tests, made from the samples in tests/fixtures/bounces
and a message a test really sent (its envelope sender, recipient, Message-ID and headers)."""

from __future__ import annotations

import email
import email.policy
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from support.delivery import FaultyHandler

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "bounces"
_tags = itertools.count(1)


@dataclass
class EnvelopeHandler(FaultyHandler):
    """FaultyHandler that also keeps each message's envelope sender: (rcpt, mail_from, bytes)."""

    envelopes: list[tuple[str, str, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            with self.lock:
                self.envelopes.append((envelope.rcpt_tos[0], envelope.mail_from, envelope.original_content))
        return reply


def report(sample: str, sent: bytes, mail_from: str, tag: str | None = None) -> bytes:
    """The sample, answering the message `sent` that went from the envelope sender `mail_from`."""
    head = sent.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
    msg = email.message_from_bytes(sent, policy=email.policy.default)
    text = Template((SAMPLES / sample).read_text()).substitute(
        verp=mail_from,
        recipient=msg["To"].addresses[0].addr_spec,
        message_id=str(msg["Message-ID"]).strip(),
        headers=head + "\n",
        tag=tag or f"t{next(_tags)}",
    )
    return text.encode()


def drop(maildir: Path, name: str, raw: bytes) -> Path:
    """Deliver a report into a Maildir as a mail server does (tmp/, then new/)."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    (maildir / "tmp" / name).write_bytes(raw)
    (maildir / "tmp" / name).rename(maildir / "new" / name)
    return maildir / "new" / name
