"""The web pages (`digest serve`): subscribe with double opt-in, confirm, preferences, unsubscribe.

No logins and no sessions: a reader reaches their own preferences only through a link
signed for their id (digest.tokens), mailed to them. Every form carries a CSRF field
bound to a random value in a SameSite=Strict cookie; the one exception is the RFC 8058
one-click unsubscribe POST, which a mail provider sends with no cookie and which the
signed token in its URL already authorises. The subscribe page answers the same whatever
is known about the address, and the mail it causes is sent after the response, so
neither the page nor its timing tells who subscribes.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from digest.content.load import load_taxonomy
from digest.db import connect
from digest.delivery.mime import simple_message
from digest.delivery.transports.base import DeliveryError, open_transport
from digest.editions.render import environment
from digest.readers import store as store
from digest.readers.tokens import CONFIRM_TTL, BadToken, Signer
from digest.settings import Settings

log = logging.getLogger("digest.web")

CSRF_COOKIE = "digest_csrf"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ONE_CLICK = "One-Click"  # RFC 8058: the body is List-Unsubscribe=One-Click
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # the page's URL holds the reader's token
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",  # pages show one reader's details
}


class RateLimit:
    """A token bucket per key (client address): `limit` at once, refilled evenly over `period` seconds."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.rate, self.clock = limit, limit / period, clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def take(self, key: str) -> float:
        """0 if allowed (and a token is used), else the seconds until the next token."""
        now = self.clock()
        if len(self.buckets) > 10_000:  # forget the clients whose buckets have refilled
            self.buckets = {k: (t, w) for k, (t, w) in self.buckets.items() if t + (now - w) * self.rate < self.limit}
        tokens, when = self.buckets.get(key, (self.limit, now))
        tokens = min(self.limit, tokens + (now - when) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        self.buckets[key] = (tokens - 1, now)
        return 0.0


class SecurityHeaders:
    """ASGI middleware adding SECURITY_HEADERS to every response (a route may set its own cache-control)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class ProfileForm:
    """What the district, phases and setting fields held, and what was wrong with them."""

    district: str
    phases: list[str]
    setting: str
    errors: dict[str, str]


class Web:
    """The pages' shared state: settings, taxonomy, signer, templates, rate limits."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.tax = load_taxonomy(settings)
        self.signer = Signer()
        self.env = environment(settings)
        self.db_path = settings.path("db")
        connect(self.db_path).close()  # create and migrate now: a bad DIGEST_DB fails at start
        self.client_limit = RateLimit(settings.web.subscribe_limit, settings.web.subscribe_period, clock)
        self.address_limit = RateLimit(3, 3600, clock)  # confirmation mails to one address

    # -- plumbing ------------------------------------------------------------------------
    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    def url(self, path: str) -> str:
        return self.settings.site.base_url.rstrip("/") + path

    def page(
        self, request: Request, template: str, status: int = 200, headers: dict | None = None, **context
    ) -> HTMLResponse:  # noqa: ANN003
        """Render templates/web/TEMPLATE with a CSRF field for forms posting to this page's URL."""
        nonce = request.cookies.get(CSRF_COOKIE, "")
        fresh = not _NONCE.match(nonce)
        if fresh:
            nonce = secrets.token_urlsafe(24)
        context.setdefault("errors", {})
        html = self.env.get_template(f"web/{template}").render(
            site=self.settings.site,
            tax=self.tax,
            root=request.scope.get("root_path", ""),
            csrf=self.signer.form_token(nonce, request.url.path),
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=headers)
        if fresh:
            response.set_cookie(
                CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
            )
        return response

    def message(self, request: Request, title: str, text: str, status: int = 200, **context) -> HTMLResponse:  # noqa: ANN003
        return self.page(request, "message.html", status, title=title, text=text, **context)

    async def form(self, request: Request) -> FormData | None:
        """The posted form if its CSRF field matches this browser's cookie, else None."""
        try:
            form = await request.form(max_files=0, max_fields=40, max_part_size=16 * 1024)
        except MultiPartException:
            return None
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if not self.signer.check_form_token(nonce, request.url.path, str(form.get("csrf", ""))):
            return None
        return form

    def refused(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            "Your form could not be accepted",
            "The page was out of date, or your browser did not send back this site's cookie. "
            "Go back, reload the page and send the form again.",
            403,
        )

    def bad_link(self, request: Request, exc: BadToken | None = None) -> HTMLResponse:
        expired = exc is not None and str(exc) == "expired"
        return self.message(
            request,
            "This link has expired" if expired else "This link does not work",
            (
                f"Confirmation links last {CONFIRM_TTL // 86400} days. Subscribe again to get a new one."
                if expired
                else "It may have been copied incompletely, or the reader it was for no longer exists. "
                "Copy the whole link from the email, or subscribe again."
            ),
            400 if exc is not None else 404,
            subscribe_link=True,
        )

    def reader(self, purpose: str, token: str) -> tuple[store.Subscriber | None, BadToken | None]:
        try:
            subscriber_id = self.signer.verify(purpose, token)
        except BadToken as exc:
            return None, exc
        with self.db() as conn:
            return store.get(conn, subscriber_id), None

    def client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def profile_form(self, form: FormData) -> ProfileForm:
        district, setting = str(form.get("district", "")), str(form.get("setting", ""))
        phases = [str(p) for p in form.getlist("phases")]
        errors = {}
        if self.tax.canonical("district", district) is None:
            errors["district"] = "Choose your school's district"
        if not phases or any(self.tax.canonical("phase", p) is None for p in phases):
            errors["phases"] = "Choose at least one phase your school covers"
        if self.tax.canonical("setting", setting) is None:
            errors["setting"] = "Choose your school's setting"
        return ProfileForm(district, phases, setting, errors)

    # -- mail ----------------------------------------------------------------------------
    def send(self, to: str, template: str, subject: str, **context) -> None:  # noqa: ANN003
        text = self.env.get_template(f"web/{template}").render(site=self.settings.site, **context)
        message = simple_message(self.settings, to, subject, text)
        try:
            with open_transport(self.settings) as transport:
                transport.send(self.settings.site.sender_address, [to], message)
        except DeliveryError as exc:  # the page already answered; the person can ask again
            log.error("could not send %s: %s", template, exc.detail)

    def mail_for(self, action: str, subscriber_id: int) -> None:
        """Send what request_subscription decided; runs after the response has gone."""
        with self.db() as conn:
            s = store.get(conn, subscriber_id)
        if s is None or self.address_limit.take(s.email):
            return
        site = self.settings.site
        if action == "confirm":
            link = self.url(f"/confirm/{self.signer.sign('confirm', s.id, ttl=CONFIRM_TTL)}")
            self.send(
                s.email,
                "confirm-email.txt",
                f"Confirm your subscription to the {site.title}",
                reader=s,
                link=link,
                days=CONFIRM_TTL // 86400,
            )
        elif action == "notice":
            link = self.url(f"/preferences/{self.signer.sign('manage', s.id)}")
            self.send(s.email, "subscribed-email.txt", f"You already receive the {site.title}", reader=s, link=link)

    # -- pages ---------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/subscribe", 303)

    async def stylesheet(self, request: Request) -> Response:
        css = self.env.loader.get_source(self.env, "web/web.css")[0]
        return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=3600"})

    async def subscribe(self, request: Request) -> Response:
        if request.method == "GET":
            return self.page(request, "subscribe.html", values={}, phases=[])
        form = await self.form(request)
        if form is None:
            return self.refused(request)
        wait = self.client_limit.take(self.client(request))
        if wait:
            return self.message(
                request,
                "Too many attempts",
                f"This connection has sent the form too often. Try again in {math.ceil(wait / 60)} minute{'s' * (wait > 60)}.",
                429,
                headers={"retry-after": str(int(wait) + 1)},
            )
        values = {k: str(form.get(k, "")).strip() for k in ("email", "name", "school")}
        checked = self.profile_form(form)
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
            return self.page(
                request,
                "subscribe.html",
                400,
                values=values | {"district": checked.district, "setting": checked.setting},
                phases=checked.phases,
                errors=errors,
            )
        profile = self.tax.profile(checked.district, checked.phases, checked.setting)
        with self.db() as conn:
            action, subscriber_id = store.request_subscription(
                conn, email, profile, name=values["name"], school=values["school"], client=self.client(request)
            )
        response = self.page(request, "check-email.html", email=email, days=CONFIRM_TTL // 86400)
        if subscriber_id is not None:
            response.background = BackgroundTask(run_in_threadpool, self.mail_for, action, subscriber_id)
        return response

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        s, bad = self.reader("confirm", token)
        if s is None:
            return self.bad_link(request, bad)
        manage = f"{request.scope.get('root_path', '')}/preferences/{self.signer.sign('manage', s.id)}"
        if request.method == "POST":
            if await self.form(request) is None:
                return self.refused(request)
            if s.status != "confirmed":
                with self.db() as conn:
                    store.confirm(conn, s.id, self.client(request))
            return self.page(request, "confirmed.html", reader=s, manage=manage)
        if s.status == "confirmed":
            return self.page(request, "confirmed.html", reader=s, manage=manage)
        return self.page(request, "confirm.html", reader=s)

    async def preferences(self, request: Request) -> Response:
        token = request.path_params["token"]
        s, bad = self.reader("manage", token)
        if s is None:
            return self.bad_link(request, bad)
        context = {
            "reader": s,
            "values": {"district": s.profile.district, "setting": s.profile.setting},
            "phases": list(s.profile.phases),
        }
        if request.method == "GET":
            return self.page(request, "preferences.html", **context)
        form = await self.form(request)
        if form is None:
            return self.refused(request)
        action = str(form.get("action", ""))
        with self.db() as conn:
            if action == "save":
                checked = self.profile_form(form)
                if checked.errors:
                    context |= {
                        "values": {"district": checked.district, "setting": checked.setting},
                        "phases": checked.phases,
                    }
                    return self.page(request, "preferences.html", 400, errors=checked.errors, **context)
                store.update(conn, s.id, profile=self.tax.profile(checked.district, checked.phases, checked.setting))
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
                store.confirm(conn, s.id, self.client(request))
                done = "You are subscribed again."
            else:
                return self.refused(request)
            s = store.get(conn, s.id)
        context |= {"reader": s, "done": done}
        if action != "save":
            context |= {
                "values": {"district": s.profile.district, "setting": s.profile.setting},
                "phases": list(s.profile.phases),
            }
        return self.page(request, "preferences.html", **context)

    async def unsubscribe(self, request: Request) -> Response:
        """GET asks (a mail scanner following the link changes nothing); POST unsubscribes, no redirect."""
        token = request.path_params["token"]
        s, bad = self.reader("manage", token)
        if bad is not None:
            return self.bad_link(request, bad)
        if request.method == "GET":
            if s is None:
                return self.bad_link(request)
            return self.page(
                request,
                "unsubscribe.html",
                reader=s,
                manage=f"{request.scope.get('root_path', '')}/preferences/{token}",
            )
        if not await self.one_click(request) and await self.form(request) is None:
            return self.refused(request)
        if s is not None and s.status != "unsubscribed":
            with self.db() as conn:
                store.set_status(conn, s.id, "unsubscribed")
        return self.page(
            request,
            "unsubscribed.html",
            reader=s,
            manage=f"{request.scope.get('root_path', '')}/preferences/{token}" if s else None,
        )

    async def one_click(self, request: Request) -> bool:
        """An RFC 8058 POST: body List-Unsubscribe=One-Click (form-encoded or multipart)."""
        try:
            form = await request.form(max_files=0, max_fields=40, max_part_size=16 * 1024)
        except MultiPartException:
            return False
        return str(form.get("List-Unsubscribe", "")) == ONE_CLICK

    async def not_found(self, request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return self.message(request, "That did not work", "This page does not accept that kind of request.", 405)
        return self.message(
            request,
            "Page not found",
            "Check the address, or start from the subscribe page.",
            exc.status_code,
            subscribe_link=True,
        )


def create_app(settings: Settings, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The ASGI app for settings (raises DigestError for a missing key, taxonomy or database)."""
    web = Web(settings, clock)
    methods = ["GET", "POST"]
    app = Starlette(
        routes=[
            Route("/", web.home),
            Route("/static/web.css", web.stylesheet),
            Route("/subscribe", web.subscribe, methods=methods),
            Route("/confirm/{token}", web.confirm, methods=methods),
            Route("/preferences/{token}", web.preferences, methods=methods),
            Route("/unsubscribe/{token}", web.unsubscribe, methods=methods),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: web.not_found},
    )
    app.state.web = web
    return app


class HideTokens(logging.Filter):
    """Keep readers' link tokens out of the access log (a manage token never expires)."""

    _TOKEN = re.compile(r"/(confirm|preferences|unsubscribe)/[^/?\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"/\1/<token>", a) if isinstance(a, str) else a for a in record.args)
        return True


def serve(settings: Settings) -> None:
    import uvicorn

    app = create_app(settings)
    logging.getLogger("uvicorn.access").addFilter(HideTokens())
    uvicorn.run(
        app,
        host=settings.web.host,
        port=settings.web.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.web.trusted_proxies,
        server_header=False,
        log_level="info",
    )
