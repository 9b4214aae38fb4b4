"""A reader's own pages, reached only through a link signed for their id: preferences
(district, phases, setting, pause, resubscribe) and unsubscribing, including the RFC
8058 one-click POST that a mail provider sends from its own servers: no cookie, no CSRF
field, and an Origin that is not ours (or none). The signed token in the URL authorises
it, so neither the CSRF field nor the Origin is asked of it; any other POST here is one
of our forms, and both are.
"""

from __future__ import annotations

from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from digest.readers import store
from digest.web.pages import Pages

ONE_CLICK = "One-Click"  # RFC 8058: the body is List-Unsubscribe=One-Click


class Managing:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    async def preferences(self, request: Request) -> Response:
        token = request.path_params["token"]
        s, bad = self.pages.reader("manage", token)
        if s is None:
            return self.pages.bad_link(request, bad)
        context = {
            "reader": s,
            "values": {"district": s.profile.district, "settings": list(s.profile.settings)},
            "phases": list(s.profile.phases),
        }
        if request.method != "POST":  # GET, or HEAD: it only ever shows
            return self.pages.page(request, "preferences.html", **context)
        form = await self.pages.form(request)
        if form is None:
            return self.pages.refused(request)
        action = str(form.get("action", ""))
        with self.pages.db() as conn:
            if action == "save":
                checked = self.pages.profile_form(form)
                if checked.errors:
                    context |= {
                        "values": {"district": checked.district, "settings": checked.settings},
                        "phases": checked.phases,
                    }
                    return self.pages.page(request, "preferences.html", 400, errors=checked.errors, **context)
                store.update(
                    conn, s.id, profile=self.pages.tax.profile(checked.district, checked.phases, checked.settings)
                )
                done = "Your preferences are saved. The next digest will follow them."
            elif action in ("pause", "resume"):
                store.update(conn, s.id, paused=action == "pause")
                done = (
                    "Digests are paused until you resume them."
                    if action == "pause"
                    else "Digests will come again from the next one."
                )
            elif action == "unsubscribe":
                store.set_status(conn, s.id, "unsubscribed")
                done = "You are unsubscribed. You will get no more digests."
            elif action == "resubscribe":
                store.confirm(conn, s.id, self.pages.client(request))
                done = "You are subscribed again."
            else:
                return self.pages.refused(request)
            s = store.get(conn, s.id)
        # the form shows what is stored now, after any action: showing the values from before a
        # save would make the next "Save preferences" put them back
        context |= {
            "reader": s,
            "done": done,
            "values": {"district": s.profile.district, "settings": list(s.profile.settings)},
            "phases": list(s.profile.phases),
        }
        return self.pages.page(request, "preferences.html", **context)

    async def unsubscribe(self, request: Request) -> Response:
        """GET (and HEAD) asks: a mail scanner following the link changes nothing; POST unsubscribes, no redirect."""
        token = request.path_params["token"]
        s, bad = self.pages.reader("manage", token)
        if bad is not None:
            return self.pages.bad_link(request, bad)
        if request.method != "POST":  # GET, or HEAD: a scanner, or a HEAD with a One-Click body, changes nothing
            if s is None:
                return self.pages.bad_link(request)
            return self.pages.page(
                request,
                "unsubscribe.html",
                reader=s,
                manage=f"{request.scope.get('root_path', '')}/preferences/{token}",
            )
        if not await self.one_click(request) and await self.pages.form(request) is None:
            return self.pages.refused(request)
        if s is not None and s.status != "unsubscribed":
            with self.pages.db() as conn:
                store.set_status(conn, s.id, "unsubscribed")
        return self.pages.page(
            request,
            "unsubscribed.html",
            reader=s,
            manage=f"{request.scope.get('root_path', '')}/preferences/{token}" if s else None,
        )

    async def one_click(self, request: Request) -> bool:
        """An RFC 8058 POST: body List-Unsubscribe=One-Click (form-encoded or multipart)."""
        if request.method != "POST":
            return False
        try:
            form = await request.form(max_files=0, max_fields=40, max_part_size=16 * 1024)
        except MultiPartException:
            return False
        return str(form.get("List-Unsubscribe", "")) == ONE_CLICK
