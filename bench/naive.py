"""The obvious implementation, for comparison: everything once per reader.

Per reader: select their content, render the Jinja templates with their own greeting
and links, inline the CSS with premailer, build an EmailMessage and serialise it. The
same templates, filters and headers as digest; only the order of work differs.

premailer is called as published (`plain=True`), as the obvious implementation would;
with `plain=False` it gets digest's own inliner, which remembers the parsed stylesheet
between documents, to show how much of the gap is the architecture alone.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from digest.delivery.compose import greeting
from digest.delivery.mime import POLICY, list_unsubscribe, message_id
from digest.editions.inline import PREMAILER_OPTIONS, inline_css
from digest.editions.render import Renderer, subject_for
from digest.editions.select import select
from digest.readers.tokens import Signer


def premailer_as_published(html: str) -> str:
    """digest.editions.inline.inline_css's options, without what digest remembers between documents."""
    import premailer

    return premailer.Premailer(html, **PREMAILER_OPTIONS).transform()


class Naive:
    def __init__(self, settings, site, forum, as_of, key: str, date, plain: bool = True) -> None:
        self.settings, self.site, self.forum, self.as_of, self.key, self.date = settings, site, forum, as_of, key, date
        self.inline = premailer_as_published if plain else inline_css
        self.renderer = Renderer(settings)
        self.signer = Signer()
        self.base = settings.site.base_url.rstrip("/")
        self.domain = settings.site.sender_address.rsplit("@", 1)[1]

    def message(self, sub) -> bytes:
        site = self.settings.site
        edition = select(self.site, self.forum, self.as_of, sub.profile)
        subject = subject_for(edition)
        token = self.signer.sign("manage", sub.id)
        unsubscribe = f"{self.base}/unsubscribe/{token}"
        ctx = self.renderer.context(edition, subject)
        ctx["personal"] = {
            "greeting": greeting(sub.name),
            "profile": sub.profile.describe(),
            "unsubscribe_url": unsubscribe,
            "preferences_url": f"{self.base}/preferences/{token}",
        }
        html = self.inline(self.renderer.env.get_template("edition.html").render(ctx))
        text = self.renderer.env.get_template("edition.txt").render(ctx)
        msg = EmailMessage(policy=POLICY)
        msg["From"] = formataddr((site.sender_name, site.sender_address))
        msg["To"] = formataddr((sub.name, sub.email))
        msg["Reply-To"] = site.reply_to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.date)
        msg["Message-ID"] = message_id(self.key, sub.id, self.domain)
        msg["List-Id"] = f"<digest.{self.domain}>"
        msg["List-Unsubscribe"] = list_unsubscribe(
            unsubscribe, f"mailto:unsubscribe@{self.domain}?subject=unsubscribe-{token}"
        )
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content(text, charset="utf-8", cte="quoted-printable")
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        return msg.as_bytes(policy=POLICY)
