"""The web pages (`digest serve`): subscribe with double opt-in, confirm, preferences, unsubscribe.

No logins and no sessions: a reader reaches their own preferences only through a link
signed for their id (digest.readers.tokens), mailed to them. Every form carries a CSRF field
bound to a random value in a SameSite=Strict cookie; the one exception is the RFC 8058
one-click unsubscribe POST, which a mail provider sends with no cookie and which the
signed token in its URL already authorises. The subscribe page answers the same, after
the same work, whatever is known about the address: looking it up, writing it and the
mail it causes happen after the answer, on one thread of their own (Pages.later), so
neither the page nor its timing tells who subscribes.

Beside them it serves the built site (site.py): the archive, the edition copies and the
calendars, which the emails link to.

This module puts the app together; pages.py holds what the pages share, subscribe.py
and manage.py the pages, csrf.py and ratelimit.py the guards.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from digest.db import db_source
from digest.errors import display_path
from digest.settings import Settings
from digest.web.listen import address, bind, explicit_base_url, with_base_url
from digest.web.manage import Managing
from digest.web.pages import Pages
from digest.web.site import BuiltSite
from digest.web.subscribe import Subscribing

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    # The page's URL holds the reader's token: no other site is ever told it. same-origin, not
    # no-referrer: under no-referrer a browser sends `Origin: null` with every POST (Fetch
    # standard, "append a request Origin header"), and the Origin check would refuse our own forms.
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",  # pages show one reader's details
}


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


def _lifespan(pages: Pages) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pages.close()  # on shutdown, finish what answered forms left to do (mail a confirmation)

    return lifespan


def create_app(settings: Settings, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The ASGI app for settings (raises DigestError for a missing key, taxonomy or database)."""
    pages = Pages(settings, clock)
    joining, managing = Subscribing(pages), Managing(pages)
    built = BuiltSite(settings.path("build"))
    methods = ["GET", "POST"]
    app = Starlette(
        routes=[
            Route("/", built.home),
            Route("/static/web.css", joining.stylesheet),
            Route("/subscribe", joining.subscribe, methods=methods),
            Route("/confirm/{token}", joining.confirm, methods=methods),
            Route("/preferences/{token}", managing.preferences, methods=methods),
            Route("/unsubscribe/{token}", managing.unsubscribe, methods=methods),
            Mount("/", app=built),  # the archive, edition copies and calendars
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: pages.not_found},
        lifespan=_lifespan(pages),
    )
    app.state.pages = pages
    return app


class HideTokens(logging.Filter):
    """Keep readers' link tokens out of the access log (a manage token never expires)."""

    _TOKEN = re.compile(r"/(confirm|preferences|unsubscribe)/[^/?\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"/\1/<token>", a) if isinstance(a, str) else a for a in record.args)
        return True


def serve(settings: Settings, echo: Callable[[str], None]) -> None:
    """Run `digest serve` until Ctrl+C. While site.base_url is not set, the links it mails
    (confirmation, welcome) lead back to its own address, so the subscribe flow can be
    followed through on this machine. A database that does not exist yet is made: this is
    where readers subscribe (say so, in case its path was mistyped)."""
    import uvicorn

    host = settings.web.host
    sock = bind(host, settings.web.port)
    try:
        url = address(sock, host)
        local = not explicit_base_url(settings)
        settings = with_base_url(settings, url)
        made = not settings.path("db").exists()
        app = create_app(settings)
    except BaseException:
        sock.close()
        raise
    echo(f"Serving at {url}/ (Ctrl+C to stop)")
    if local:
        echo(f"Links in mail lead here ({url}); set DIGEST_BASE_URL (site.base_url) to the public address.")
    if made:
        echo(
            f"Made a new, empty database at {display_path(settings.path('db'), settings.root)} ({db_source(settings)})."
        )
    logging.getLogger("uvicorn.access").addFilter(HideTokens())
    config = uvicorn.Config(
        app,
        proxy_headers=True,
        forwarded_allow_ips=settings.web.trusted_proxies,
        server_header=False,
        log_level="info",
    )
    uvicorn.Server(config).run(sockets=[sock])
