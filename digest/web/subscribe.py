"""Subscribing: the form (double opt-in), the confirmation it mails, and confirming.

The subscribe page answers the same, after the same work, whatever is known about the
address: looking it up, writing it and the mail it causes all happen after the answer
has been sent, on the pages' one worker thread.
"""

from __future__ import annotations

import math

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from digest.readers import store
from digest.readers.tokens import CONFIRM_TTL
from digest.web.pages import Pages


class Subscribing:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    async def stylesheet(self, request: Request) -> Response:
        css = self.pages.env.loader.get_source(self.pages.env, "web/web.css")[0]
        return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=3600"})

    async def subscribe(self, request: Request) -> Response:
        if request.method != "POST":  # GET, or HEAD
            return self.pages.page(request, "subscribe.html", values={}, phases=[])
        form = await self.pages.form(request)
        if form is None:
            return self.pages.refused(request)
        values = {k: str(form.get(k, "")).strip() for k in ("email", "name", "school")}
        # Tries are counted per address the form names, a form with mistakes included, never
        # per connection (a room on one Wi-Fi); a form naming no address stores and mails
        # nothing, and is not counted.
        tries = values["email"].lower()[:254]
        if tries and (wait := self.pages.tries.wait(tries)):
            minutes = math.ceil(wait / 60)
            return self.pages.message(
                request,
                "Too many attempts",
                f"This address has been sent from the form too often. Try again in {minutes} minute{'s' * (minutes != 1)}.",
                429,
                headers={"retry-after": str(int(wait) + 1)},
            )
        if tries:
            self.pages.tries.take(tries)
        checked = self.pages.profile_form(form)
        errors: dict[str, str] = {}
        try:
            email = store.normalise_email(values["email"])
        except store.InvalidSubscriber:
            errors["email"] = "Enter an email address in the correct format, like name@school.kent.sch.uk"
        for field in ("name", "school"):
            try:
                store.clean_text(field, values[field])
            except store.InvalidSubscriber as exc:
                errors[field] = f"{field.capitalize()} {exc.reason}"
        errors |= checked.errors
        if errors:
            return self.pages.page(
                request,
                "subscribe.html",
                400,
                values=values | {"district": checked.district, "settings": checked.settings},
                phases=checked.phases,
                errors=errors,
            )
        profile = self.pages.tax.profile(checked.district, checked.phases, checked.settings)
        # Whether the address is new, pending, confirmed or erased is looked up after the
        # answer has gone (handed to the worker once the page is sent), so the answer is the
        # same page after the same work in every case.
        answer = self.pages.page(request, "check-email.html", email=email, days=CONFIRM_TTL // 86400)
        answer.background = BackgroundTask(
            self.pages.after,
            self.pages.subscription_requested,
            email,
            profile,
            values["name"],
            values["school"],
            self.pages.client(request),
        )
        return answer

    async def confirm(self, request: Request) -> Response:
        """GET asks (a mail scanner confirms nothing); POST confirms a pending reader. The link
        does nothing for a reader who has unsubscribed (or bounced) since it was sent, and
        nothing after a newer request (Pages.reader): subscribing again sends a new one."""
        token = request.path_params["token"]
        s, bad = self.pages.reader("confirm", token)
        if s is None:
            return self.pages.bad_link(request, bad)
        manage = f"{request.scope.get('root_path', '')}/preferences/{self.pages.signer.sign('manage', s.id)}"
        if s.status == "confirmed":  # following it again, or pressing Confirm twice, is harmless
            if request.method == "POST" and await self.pages.form(request) is None:
                return self.pages.refused(request)
            return self.pages.page(request, "confirmed.html", reader=s, manage=manage)
        if s.status != "pending":
            return self.pages.message(
                request,
                "This link is out of date",
                "This address stopped receiving the digest after the link was sent (it was unsubscribed), "
                "so the link confirms nothing. To get the digest again, subscribe again.",
                400,
                subscribe_link=True,
            )
        if request.method != "POST":
            return self.pages.page(request, "confirm.html", reader=s)
        if await self.pages.form(request) is None:
            return self.pages.refused(request)
        with self.pages.db() as conn:
            store.confirm(conn, s.id, self.pages.client(request))
        self.pages.later(self.pages.welcome, s.id)  # once: a second press finds them confirmed
        return self.pages.page(request, "confirmed.html", reader=s, manage=manage)
