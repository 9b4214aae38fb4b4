"""Reading a bounce or a complaint: what failed, how badly, and which message it answers.

- A delivery status notification (RFC 3464: `multipart/report; report-type=delivery-status`,
  as Postfix, Exim with DSNs and Exchange/Microsoft 365 send them) is read with the
  standard library's email package, recipient block by recipient block: `Action: failed`
  with a 5.x.x `Status` is hard, a 4.x.x one or `Action: delayed` soft; `delivered`,
  `relayed` and `expanded` are not bounces.
- A complaint (ARF, RFC 5965: `report-type=feedback-report`) is a complaint whatever its
  Feedback-Type says.
- Anything else (Exim's plain-text bounce, older servers' own wording) goes to flufl.bounce,
  Mailman's detectors, which tell permanent failures from temporary ones.

Which message it answers: the VERP addresses it was sent to (digest.delivery.verp), and
the Message-IDs of the original that it quotes (a `message/rfc822` or
`text/rfc822-headers` part, or the headers copied into a plain-text bounce).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from flufl.bounce import all_failures

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
# where a server puts the address the report was sent to (the VERP envelope sender)
ADDRESSED = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "Original-Recipient")


@dataclass(frozen=True)
class Failure:
    address: str
    kind: str  # hard or soft
    status: str = ""  # 5.1.1
    detail: str = ""  # the server's diagnostic


@dataclass
class Report:
    kind: str  # 'bounce', 'complaint', 'notice' (a delivery or relay notice: nothing to do) or '' (unreadable)
    failures: list[Failure] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)  # the original message's, quoted
    addressed: list[str] = field(default_factory=list)  # header values that may hold a VERP address
    report_id: str = ""  # the report's own Message-ID
    received_at: str = ""
    complaint: str = ""  # the ARF Feedback-Type
    problem: str = ""  # why it could not be read

    @property
    def worst(self) -> Failure | None:
        return next((f for f in self.failures if f.kind == "hard"), None) or next(iter(self.failures), None)


def read(raw: bytes, now: datetime | None = None) -> Report:
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        report = _read(msg)
    except Exception as exc:  # a malformed message must never stop the run: it is kept and reported
        return Report("", problem=f"cannot be parsed ({type(exc).__name__}: {exc})"[:200])
    report.received_at = _date(msg, now or datetime.now(UTC))
    return report


def _read(msg: Message) -> Report:
    addressed = [str(v) for name in ADDRESSED for v in msg.get_all(name, [])]
    report_id = str(msg.get("Message-ID", "")).strip()
    report_type = msg.get_param("report-type", "", header="content-type")
    report_type = str(report_type).lower() if isinstance(report_type, str) else ""
    ids = _quoted_ids(msg)
    if msg.get_content_type() == "multipart/report" and report_type == "feedback-report":
        feedback = _part(msg, "message/feedback-report")
        fields = _fields(feedback)
        addressed += [v for k, v in fields if k in ("original-mail-from", "original-rcpt-to")]
        kind = next((v for k, v in fields if k == "feedback-type"), "abuse")
        return Report("complaint", [], ids, addressed, report_id, complaint=kind.strip().lower())
    status_part = _part(msg, "message/delivery-status")
    if status_part is not None:
        failures, notices = _dsn(status_part)
        if failures:
            return Report("bounce", failures, ids, addressed, report_id)
        if notices:
            return Report("notice", [], ids, addressed, report_id)
    temporary, permanent = all_failures(msg)
    failures = [Failure(_text(a), "hard", _status(msg, "5")) for a in sorted(permanent)]
    failures += [Failure(_text(a), "soft", _status(msg, "4")) for a in sorted(temporary - permanent)]
    if failures:
        return Report("bounce", failures, ids, addressed, report_id)
    return Report("", [], ids, addressed, report_id, problem="not a bounce or a complaint that digest can read")


def _dsn(part: Message) -> tuple[list[Failure], int]:
    """The failures of a message/delivery-status part, and how many blocks were notices."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):  # some servers send it as text: parse its blocks ourselves
        text = blocks.decode("latin-1") if isinstance(blocks, bytes) else str(blocks)
        blocks = [email.message_from_string(b) for b in re.split(r"\r?\n\r?\n", text.strip()) if b.strip()]
    failures, notices = [], 0
    for block in blocks[1:]:  # the first block is about the message, the rest one per recipient
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        code = _STATUS.search(status)
        recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
        address = recipient.split(";", 1)[-1].strip()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split()).split(";", 1)[-1].strip()
        if action in ("delivered", "relayed", "expanded"):
            notices += 1
        elif action == "delayed" or (code and code[1] == "4"):
            failures.append(Failure(address, "soft", code[0] if code else status, diagnostic))
        elif action == "failed" or (code and code[1] == "5"):
            failures.append(Failure(address, "hard", code[0] if code else status, diagnostic))
    return failures, notices


def _part(msg: Message, content_type: str) -> Message | None:
    return next((p for p in msg.walk() if p.get_content_type() == content_type), None)


def _fields(part: Message | None) -> list[tuple[str, str]]:
    """The fields of an ARF or DSN part, whichever way the parser held it."""
    if part is None:
        return []
    payload = part.get_payload()
    if isinstance(payload, list):
        return [(k.lower(), str(v)) for block in payload for k, v in block.items()]
    text = payload.decode("latin-1") if isinstance(payload, bytes) else str(payload)
    return [(k.lower(), str(v)) for k, v in email.message_from_string(text).items()]


def _quoted_ids(msg: Message) -> list[str]:
    """The Message-IDs of the original message, from whatever part of the report quotes it."""
    ids: list[str] = []
    for part in msg.walk():
        if part is msg:
            continue
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            for m in inner if isinstance(inner, list) else []:
                ids.append(str(m.get("Message-ID", "")).strip())
        elif kind in ("text/rfc822-headers", "text/plain") and not part.is_multipart():
            body = part.get_payload(decode=True) or b""
            ids += _MESSAGE_ID.findall(body.decode("utf-8", "replace"))
    if not msg.is_multipart():  # a plain-text bounce copies the original's headers into its body
        body = msg.get_payload(decode=True) or b""
        ids += _MESSAGE_ID.findall(body.decode("utf-8", "replace"))
    return list(dict.fromkeys(i for i in ids if i))


def _status(msg: Message, klass: str) -> str:
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            body = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
            for match in _STATUS.finditer(body):
                if match[1] == klass:
                    return match[0]
    return ""


def _text(address: bytes | str) -> str:
    return address.decode("utf-8", "replace") if isinstance(address, bytes) else address


def _date(msg: Message, now: datetime) -> str:
    """When the report was written (its Date), or now if it has none or one in the future."""
    try:
        when = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        when = None
    if when is None or when.tzinfo is None or when > now:
        when = now
    return when.astimezone(UTC).isoformat(timespec="seconds")
