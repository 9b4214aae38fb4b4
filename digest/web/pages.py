"""What every page of `digest serve` shares: settings, taxonomy, the signer, templates,
the database, CSRF and the mail it sends. The pages themselves are in subscribe.py
(subscribe, confirm) and manage.py (preferences, unsubscribe).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digest.content.load import load_site, load_taxonomy
from digest.content.model import Forum
from digest.db import connect
from digest.delivery.mime import simple_message
from digest.delivery.transports.base import DeliveryError
from digest.delivery.transports.registry import open_transport
from digest.editions.render import environment
from digest.errors import DigestError
from digest.readers import store
from digest.readers.tokens import CONFIRM_TTL, BadToken, Signer, secret_key
from digest.readers.tokens import subscriber_id as subscriber_id_of
from digest.settings import Settings
from digest.web.csrf import Csrf
from digest.web.ratelimit import RateLimit

log = logging.getLogger("digest.web")


@dataclass(frozen=True)
class ProfileForm:
    """What the district, phases and setting fields held, and what was wrong with them."""

    district: str
    phases: list[str]
    setting: str
    errors: dict[str, str]


class Pages:
    """The pages' shared state: settings, taxonomy, signer, templates, CSRF, rate limits."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.tax = load_taxonomy(settings)
        self.signer = Signer()
        self.csrf = Csrf(secret_key(), origins=(settings.site.base_url,))
        self.env = environment(settings)
        self.db_path = settings.path("db")
        connect(self.db_path).close()  # create and migrate now: a bad DIGEST_DB fails at start
        # Counted per address the form names, never per connection: a room of readers on one
        # Wi-Fi never holds each other up (subscribe.py says what counts).
        self.tries = RateLimit(settings.web.subscribe_limit, settings.web.subscribe_period, clock)
        self.address_limit = RateLimit(3, 3600, clock)  # confirmation mails to one address
        # Work that must not show in an answer's timing (looking an address up, writing it,
        # mailing it) is done by one thread after the answer, in the order it came.
        self._after = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-web-after")

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
        self, request: Request, template: str, status: int = 200, headers: dict | None = None, **context: Any
    ) -> HTMLResponse:
        """Render templates/web/TEMPLATE with a CSRF field for forms posting to this page's URL."""
        issued = self.csrf.issue(request)
        context.setdefault("errors", {})
        html = self.env.get_template(f"web/{template}").render(
            site=self.settings.site,
            tax=self.tax,
            root=request.scope.get("root_path", ""),
            csrf=issued.field,
            **context,
        )
        return self.csrf.set_cookie(HTMLResponse(html, status_code=status, headers=headers), request, issued)

    def message(self, request: Request, title: str, text: str, status: int = 200, **context: Any) -> HTMLResponse:
        return self.page(request, "message.html", status, title=title, text=text, **context)

    async def form(self, request: Request) -> FormData | None:
        """The posted form if its CSRF field matches this browser's cookie, else None."""
        try:
            form = await request.form(max_files=0, max_fields=40, max_part_size=16 * 1024)
        except MultiPartException:
            return None
        return form if self.csrf.accepts(request, form.get("csrf")) else None

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
        """The reader a link is for, or why it does not work. A confirmation link is bound to
        the request it answers (store.confirm_bound): after a new request it no longer works."""
        try:
            if purpose != "confirm":
                subscriber_id = self.signer.verify(purpose, token)
                with self.db() as conn:
                    return store.get(conn, subscriber_id), None
            with self.db() as conn:
                bound = store.confirm_bound(conn, subscriber_id_of(token))
                return store.get(conn, self.signer.verify(purpose, token, bound=bound)), None
        except BadToken as exc:
            return None, exc

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

    # -- after the answer ----------------------------------------------------------------
    def later(self, work: Callable[..., None], *args: Any) -> None:
        """Run work(*args) after the answer, on the one thread for that: the request that
        asked for it neither waits for it nor takes longer for what it finds."""
        self._after.submit(self._logged, work, *args)

    async def after(self, work: Callable[..., None], *args: Any) -> None:
        """later(), as a response's background task: handed over once the answer has been sent."""
        self.later(work, *args)

    @staticmethod
    def _logged(work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except Exception:  # nobody is waiting for an answer: the log is where this goes
            log.exception("%s failed", getattr(work, "__name__", "work after the answer"))

    def settle(self) -> None:
        """Wait until the work handed over so far is done (tests; shutdown)."""
        self._after.submit(lambda: None).result()

    def close(self) -> None:
        self._after.shutdown(wait=True)

    def subscription_requested(self, email: str, profile: store.Profile, name: str, school: str, client: str) -> None:
        """What a sent subscribe form causes, after the answer, as the same work whatever is
        known about the address: one connection, the same statements (store.request_subscription),
        one mail composed; it goes to the address unless the address was erased or has had its
        three mails this hour."""
        with self.db() as conn:
            action, subscriber_id = store.request_subscription(
                conn, email, profile, name=name, school=school, client=client
            )
            reader = store.get(conn, subscriber_id or 0)
            bound = store.confirm_bound(conn, subscriber_id or 0)
        allowed = not self.address_limit.take(email)
        if reader is None:  # erased: the same mail is made, for no one, and not sent
            reader = store.Subscriber(0, email, name, school, profile, "pending", False)
        message = self.mail_for(action, reader, bound)
        if action != "none" and allowed:
            self.deliver(reader.email, message)

    # -- mail ----------------------------------------------------------------------------
    def compose(self, to: str, template: str, subject: str, **context: Any) -> bytes:
        text = self.env.get_template(f"web/{template}").render(site=self.settings.site, **context)
        return simple_message(self.settings, to, subject, text)

    def deliver(self, to: str, message: bytes, what: str = "mail") -> None:
        try:
            with open_transport(self.settings) as transport:
                transport.send(self.settings.site.sender_address, [to], message)
        except DeliveryError as exc:  # the page already answered; the person can ask again
            log.error("could not send %s: %s", what, exc.detail)

    def send(self, to: str, template: str, subject: str, **context: Any) -> None:
        self.deliver(to, self.compose(to, template, subject, **context), template)

    def mail_for(self, action: str, s: store.Subscriber, bound: str) -> bytes:
        """The mail request_subscription's answer calls for: a confirmation link (bound to the
        request it answers), or for a confirmed reader a notice with their preferences link."""
        title = self.settings.site.title
        if action == "notice":
            link = self.url(f"/preferences/{self.signer.sign('manage', s.id)}")
            return self.compose(
                s.email, "subscribed-email.txt", f"You already receive the {title}", reader=s, link=link
            )
        link = self.url(f"/confirm/{self.signer.sign('confirm', s.id, ttl=CONFIRM_TTL, bound=bound)}")
        subject = f"Confirm your subscription to the {title}"
        return self.compose(s.email, "confirm-email.txt", subject, reader=s, link=link, days=CONFIRM_TTL // 86400)

    def welcome(self, subscriber_id: int) -> None:
        """After a confirmation, once: what comes next, the latest digest in the archive
        ({base_url}/{forum id}/) and the reader's own preferences link. Runs after the answer."""
        with self.db() as conn:
            s = store.get(conn, subscriber_id)
        if s is None or s.status != "confirmed":
            return
        latest = self.latest_forum()
        site = self.settings.site
        self.send(
            s.email,
            "welcome-email.txt",
            f"Welcome to the {site.title}",
            reader=s,
            link=self.url(f"/preferences/{self.signer.sign('manage', s.id)}"),
            latest=latest,
            latest_link=self.url(f"/{latest.id}/") if latest else "",
        )

    def latest_forum(self) -> Forum | None:
        """The forum whose last session is the most recent, as the content stands now (a
        forum file with mistakes is left out, and so is a draft, which is not published; with
        none to show, the mail has no link)."""
        try:
            forums = [f for f in load_site(self.settings).forums.values() if f.status != "draft"]
        except DigestError:
            return None
        return max(forums, key=lambda f: max(f.dates), default=None)

    # -- pages ---------------------------------------------------------------------------

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
