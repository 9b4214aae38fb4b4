"""Subscribing: the form (double opt-in), the confirmation it mails, and confirming.

The subscribe page answers the same, after the same work, whatever is known about the
address: looking it up, writing it and the mail it causes all happen after the answer.
"""

from __future__ import annotations

import math

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
        wait = self.pages.client_limit.take(self.pages.client(request))
        if wait:
            return self.pages.message(
                request,
                "Too many attempts",
                f"This connection has sent the form too often. Try again in {math.ceil(wait / 60)} minute{'s' * (wait > 60)}.",
                429,
                headers={"retry-after": str(int(wait) + 1)},
            )
        values = {k: str(form.get(k, "")).strip() for k in ("email", "name", "school")}
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
                values=values | {"district": checked.district, "setting": checked.setting},
                phases=checked.phases,
                errors=errors,
            )
        profile = self.pages.tax.profile(checked.district, checked.phases, checked.setting)
        # Whether the address is new, pending, confirmed or erased is looked up after the
        # answer, so the answer is the same page after the same work in every case.
        self.pages.later(
            self.pages.subscription_requested,
            email,
            profile,
            values["name"],
            values["school"],
            self.pages.client(request),
        )
        return self.pages.page(request, "check-email.html", email=email, days=CONFIRM_TTL // 86400)

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        s, bad = self.pages.reader("confirm", token)
        if s is None:
            return self.pages.bad_link(request, bad)
        manage = f"{request.scope.get('root_path', '')}/preferences/{self.pages.signer.sign('manage', s.id)}"
        if request.method == "POST":
            if await self.pages.form(request) is None:
                return self.pages.refused(request)
            if s.status != "confirmed":
                with self.pages.db() as conn:
                    store.confirm(conn, s.id, self.pages.client(request))
                self.pages.later(self.pages.welcome, s.id)  # once: a second press finds them confirmed
            return self.pages.page(request, "confirmed.html", reader=s, manage=manage)
        if s.status == "confirmed":
            return self.pages.page(request, "confirmed.html", reader=s, manage=manage)
        return self.pages.page(request, "confirm.html", reader=s)
