"""Stage 4 (messages): MIME for digests and for single notices (e.g. confirmations).

Header values are checked before use: CR, LF and other control characters (C0 but tab,
DEL, C1) are refused so no input can inject a header. Long values are never RFC
2047-encoded (that breaks List-Unsubscribe URLs): the policy folds only at spaces and
keeps ASCII as it is.

Digests do not go through EmailMessage at all: `DigestTemplate` builds one edition's
message once, as bytes with holes, and `DigestTemplate.message` fills the holes for one
reader. Each part is quoted-printable; every personal value starts an encoded line
after a soft break and ends with one, so splicing in a value (itself QP-encoded) never
makes a line longer than 76 characters or splits an escape.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.settings import Settings

_BAD_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
POLICY = SMTP.clone(max_line_length=998)


class HeaderInjection(ValueError):
    pass


def check_header(name: str, value: str) -> str:
    """value, unchanged, if safe for a header; HeaderInjection otherwise."""
    if _BAD_HEADER.search(value):
        raise HeaderInjection(f"header {name} contains a line break or control character")
    return value


def simple_message(
    settings: Settings, to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> bytes:
    """A one-off message (confirmation, test notice): text, or text + HTML alternative."""
    site = settings.site
    domain = site.sender_address.rsplit("@", 1)[1]
    msg = EmailMessage(policy=POLICY)
    msg["From"] = formataddr((check_header("From", site.sender_name), site.sender_address))
    msg["To"] = check_header("To", to)
    msg["Reply-To"] = site.reply_to
    msg["Subject"] = check_header("Subject", subject)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        msg[name] = check_header(name, value)
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes(policy=POLICY)


# -- digests: one template per edition, personal parts spliced in per reader -----------------

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"
_SLOT = re.compile(r"%%digest:(\w+)%%")
MAX_HEADER_LINE = 78
RFC2047_LINE = 76
TEXT_HEADERS = ("Subject",)  # free text, where RFC 2047 applies; never List-Unsubscribe, which must stay as it is


@dataclass(frozen=True)
class Attachment:
    """A file after the alternative part (multipart/mixed), e.g. the edition's calendar."""

    content_type: str  # 'text/calendar; charset="utf-8"; method=PUBLISH'
    filename: str
    data: bytes


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].lower()


def message_id(edition_key: str, subscriber_id: int, domain: str) -> str:
    """The same per (edition, reader) on every run: a resent message is recognisably the same."""
    digest = hashlib.sha256(f"digest.v1\0{edition_key}\0{subscriber_id}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def list_unsubscribe(url: str, mailto: str) -> str:
    """RFC 2369 / 8058: the one-click HTTPS link first, then the mailto fallback."""
    return f"<{url}>, <{mailto}>"


def qp(data: bytes) -> bytes:
    """Quoted-printable with CRLF line ends; every line at most 76 characters."""
    out = binascii.b2a_qp(data, istext=True)
    if b"=20\n" in out or b"=09\n" in out or out.endswith((b"=20", b"=09")):
        # binascii encodes a space or tab ending a line without room for it: 77 or 78 characters
        lines = out.split(b"\n")
        out = b"\n".join(piece for line in lines for piece in (_fold(line) if len(line) > 76 else (line,)))
    return out.replace(b"\n", CRLF)


def _fold(line: bytes) -> Iterator[bytes]:
    """An encoded line in pieces of at most 76 characters, joined by soft breaks, never
    splitting an =XX escape."""
    while len(line) > 76:
        cut = 75
        if line[cut - 1 : cut] == b"=":
            cut -= 1
        elif line[cut - 2 : cut - 1] == b"=":
            cut -= 2
        yield line[:cut] + b"="
        line = line[cut:]
    yield line


_HTML_SPECIAL = re.compile(r"[&<>\"']")  # what html.escape changes
_PLAIN_QP = re.compile(rb"[ !-<>-~]{0,74}[!-<>-~]")  # what QP keeps as it is, on one line: no '=', no end space


def qp_to_break(data: bytes) -> bytes:
    """qp(data), always ending in a line break (soft when the data does not end one line),
    so whatever is spliced in next starts a fresh encoded line."""
    if _PLAIN_QP.fullmatch(data) and data != b".":  # most personal values (a link, a greeting): as they are
        return data + SOFT_BREAK
    return _qp_to_break(data)


def _qp_to_break(data: bytes) -> bytes:
    out = qp(data)
    if out.endswith(CRLF):
        return out
    start = out.rfind(CRLF) + 2 if CRLF in out else 0
    line = out[start:]
    if len(line) > 75:  # no room for the '=': break earlier, never inside an =XX escape
        cut = 75
        if line[cut - 1 : cut] == b"=":
            cut -= 1
        elif line[cut - 2 : cut - 1] == b"=":
            cut -= 2
        out = out[:start] + line[:cut] + SOFT_BREAK + line[cut:]
    return out + SOFT_BREAK


def header(name: str, value: str) -> bytes:
    """One header line (folded at spaces when long; CRLF-terminated). Non-ASCII text is
    RFC 2047-encoded; ASCII is never encoded, however long."""
    check_header(name, value)
    if not value.isascii() or (name in TEXT_HEADERS and "=?" in value):
        # ASCII that looks like an encoded word ('=?utf-8?q?x?=') would be decoded by the
        # reader's mail program: in a text header it is encoded, so it reads as written
        # RFC 2047 2: a line holding encoded words is at most 76 characters (Header's own
        # default, 78, made 'Subject: =?utf-8?b?...?=' lines of 77)
        value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n", maxlinelen=RFC2047_LINE)
        return f"{name}: {value}".encode("ascii") + CRLF
    line = f"{name}: {value}"
    if len(line) <= MAX_HEADER_LINE:
        return line.encode("ascii") + CRLF
    lines, current = [], f"{name}:"
    for n, word in enumerate(value.split(" ")):
        if n == 0 or len(current) + 1 + len(word) <= MAX_HEADER_LINE or not current.strip():
            current += " " + word
        else:
            lines.append(current)
            current = " " + word
    lines.append(current)
    return "\r\n".join(lines).encode("ascii") + CRLF


_SPECIALS = re.compile(r'[][\\()<>@,:;".]')  # email.utils.formataddr's: a name with one of these is quoted
_ESCAPES = re.compile(r'[\\"]')


def address(name: str, email: str) -> str:
    """'Name <email>': a non-ASCII name RFC 2047-encoded, the address never."""
    check_header("address", name)
    check_header("address", email)
    if name.isascii() and email.isascii() and "=?" not in name:  # formataddr's own result, sooner
        if not name:
            return email
        if _SPECIALS.search(name):
            return '"' + _ESCAPES.sub(r"\\\g<0>", name) + f'" <{email}>'
        return f"{name} <{email}>"
    if "=?" in name and name.isascii():  # would be read as an encoded word: encode it for real
        return f"{Header(name, 'utf-8').encode(maxlinelen=RFC2047_LINE)} <{email}>"
    return formataddr((name, email), charset="utf-8")


def _qp_part(content_type: str, text: str) -> list[bytes | tuple[str, bool]]:
    """A text part as literal QP chunks and (slot name, html?) holes."""
    html = content_type == "text/html"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    items: list[bytes | tuple[str, bool]] = [
        f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'.encode()
    ]
    pieces = _SLOT.split(text)
    for i, piece in enumerate(pieces):
        if i % 2:
            items.append((piece, html))
        elif piece:
            last = i == len(pieces) - 1
            items.append(qp(piece.encode("utf-8")) if last else qp_to_break(piece.encode("utf-8")))
    items.append(CRLF)  # the line break before the next boundary belongs to the boundary
    return items


class DigestTemplate:
    """One edition's message, built once; `message()` assembles it for one reader.

    Per reader only the To, Message-ID and List-Unsubscribe headers and the personal
    values (QP-encoded) are new; everything else is shared bytes.
    """

    SLOTS = ("greeting", "profile", "unsubscribe_url", "preferences_url")

    def __init__(self, head: bytes, tail: bytes, items: list[bytes | tuple[str, bool]]) -> None:
        self.head, self.tail, self.items = head, tail, items
        self.slots = {item[0] for item in items if isinstance(item, tuple)}
        # the message as a list to copy and fill in: the personal headers' places (1 and 2), then
        # each slot's places in the text part and in the HTML part
        self._parts: list[bytes] = [head, b"", b"", tail] + [i if isinstance(i, bytes) else b"" for i in items]
        self._slots = [
            (
                slot,
                [n + 4 for n, i in enumerate(items) if i == (slot, False)],
                [n + 4 for n, i in enumerate(items) if i == (slot, True)],
            )
            for slot in sorted(self.slots)
        ]

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        seed: str,
        subject: str,
        html: str,
        text: str,
        date: datetime | None = None,
        attachments: list[Attachment] | tuple[Attachment, ...] = (),
    ) -> DigestTemplate:
        site = settings.site
        domain = domain_of(site.sender_address)
        boundary = "=_digest_" + hashlib.sha256(f"alt\0{seed}".encode()).hexdigest()[:24]  # '=_' never occurs in QP
        unknown = {m for m in _SLOT.findall(html + text)} - set(cls.SLOTS)
        if unknown:
            raise ValueError(f"templates use unknown personal placeholders: {sorted(unknown)}")
        list_name = re.sub(r"[^A-Za-z0-9-]+", "-", site.sender_address.split("@")[0]).strip("-") or "digest"
        phrase = site.title.replace("\\", "").replace('"', "")
        head = b"".join(
            [
                header("From", address(site.sender_name, site.sender_address)),
                header("Reply-To", site.reply_to),
                header("Subject", subject),
                header("Date", format_datetime((date or datetime.now(UTC)).astimezone(UTC))),
                header(
                    "List-Id", f'"{phrase}" <{list_name}.{domain}>' if phrase.isascii() else f"<{list_name}.{domain}>"
                ),
            ]
        )
        tail = [header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), header("MIME-Version", "1.0")]
        alternative: list[bytes | tuple[str, bool]] = [f"--{boundary}\r\n".encode()]
        alternative += _qp_part("text/plain", text)
        alternative.append(f"--{boundary}\r\n".encode())
        alternative += _qp_part("text/html", html)
        alternative.append(f"--{boundary}--\r\n".encode())
        if not attachments:
            tail.append(header("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
            items = alternative
        else:
            mixed = "=_digest_" + hashlib.sha256(f"mixed\0{seed}".encode()).hexdigest()[:24]
            tail.append(header("Content-Type", f'multipart/mixed; boundary="{mixed}"'))
            items = [
                f"--{mixed}\r\n".encode()
                + header("Content-Type", f'multipart/alternative; boundary="{boundary}"')
                + CRLF
            ]
            items += alternative
            for a in attachments:
                check_header("Content-Type", a.content_type)
                name = a.filename.replace('"', "")
                check_header("filename", name)
                items.append(
                    f"\r\n--{mixed}\r\nContent-Type: {a.content_type}\r\n"
                    f'Content-Disposition: attachment; filename="{name}"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n".encode()
                    + base64.encodebytes(a.data).replace(b"\n", CRLF)
                )
            items.append(f"\r\n--{mixed}--\r\n".encode())
        merged: list[bytes | tuple[str, bool]] = []
        for item in items:  # join neighbouring literal chunks: fewer pieces to join per reader
            if isinstance(item, bytes) and merged and isinstance(merged[-1], bytes):
                merged[-1] += item
            else:
                merged.append(item)
        return cls(head, b"".join(tail) + CRLF, merged)

    def message(self, *, to: str, message_id: str, unsubscribe: str, values: dict[str, str]) -> bytes:
        """The whole message for one reader. `to` is a formatted address (see `address`)."""
        out = self._parts.copy()
        if (
            len(to) <= 74
            and len(message_id) <= 66
            and (pair := to + message_id).isascii()
            and not _BAD_HEADER.search(pair)
        ):
            out[1] = f"To: {to}\r\nMessage-ID: {message_id}\r\n".encode()  # header()'s own lines, unfolded
        else:
            out[1] = header("To", to) + header("Message-ID", message_id)
        out[2] = header("List-Unsubscribe", unsubscribe)
        for name, text_at, html_at in self._slots:
            value = values[name]
            chunk = qp_to_break(value.encode("utf-8"))
            for n in text_at:
                out[n] = chunk
            if html_at:
                if _HTML_SPECIAL.search(value):
                    chunk = qp_to_break(htmllib.escape(value).encode("utf-8"))
                for n in html_at:
                    out[n] = chunk
        return b"".join(out)
