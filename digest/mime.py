"""Stage 4 (messages): MIME for digests and for single notices (e.g. confirmations).

Header values are checked before use: CR, LF and C1 control characters are refused so
no input can inject a header. Long values are never RFC 2047-encoded (that breaks
List-Unsubscribe URLs): the policy folds only at spaces and keeps ASCII as it is.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid

_BAD_HEADER = re.compile(r"[\r\n\x00\x80-\x9f]")
POLICY = SMTP.clone(max_line_length=998)


class HeaderInjection(ValueError):
    pass


def check_header(name: str, value: str) -> str:
    """value, unchanged, if safe for a header; HeaderInjection otherwise."""
    if _BAD_HEADER.search(value):
        raise HeaderInjection(f"header {name} contains a line break or control character")
    return value


def simple_message(settings, to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None) -> bytes:  # noqa: ANN001
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
