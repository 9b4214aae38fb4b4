"""`digest preview`: every edition on a local web page that follows the organiser's edits.

Pages are drawn from the same stages `digest build` uses: content.load_site, the checks,
build.render_forum and its Renderer. Only the last step differs: instead of files, the
matrix, each edition (desktop and phone widths, text, MIME source, size budget, what it
holds and why, who shares it), the coverage findings and the follow-ups that would go
out now are served over HTTP. A mistake
in content, settings or a template shows on the page, as `digest check` words it, until
it is fixed.

This module serves, under a Content-Security-Policy that runs only the preview's own script
files; pages.py draws the pages, followups.py the follow-ups, items.py the items against
their answers, curate.py the curation page (the only one that writes: with the token printed
at start-up), live.py keeps the site loaded, and reload.py reloads open pages when a file is
saved.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest.editions.render import builtin_templates
from digest.errors import DigestError
from digest.preview.curate import CuratePages
from digest.preview.followups import FollowUpPages
from digest.preview.items import ItemPages
from digest.preview.live import LiveSite
from digest.preview.pages import PreviewPages
from digest.preview.reload import watch as watch_files
from digest.readers.tokens import secret_key
from digest.web.listen import address, bind, loopback
from digest.web.site import BuiltSite


def serve(make: Callable[[str], LiveSite], host: str, port: int, echo: Callable[[str], None]) -> None:
    """Run the preview until Ctrl+C (the `digest preview` command). make(url) loads the site
    with the preview's own address, url, for its links while site.base_url is not set."""
    sock = bind(host, port)
    try:
        preview = make(url := address(sock, host))
        forum_id = preview.forum_id
        if forum_id and preview.site is not None:
            preview.site.forum(forum_id)  # unknown id: a clear error before serving
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    echo(f"Previewing at http://{shown}:{port}/ (reloads when you save content or templates; Ctrl+C to stop)")
    if note := signing_key():
        echo(note)
    if not loopback(host):
        echo(f"Warning: listening on {host}, so others on the network can read the drafts and send test messages.")
    token = secrets.token_urlsafe(24)  # what the curation page's saves need, for this run only
    echo(f"To curate a forum (saving changes content/forums/), open once in your browser: {url}/?token={token}")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops cleanly, then passes Ctrl+C on
        make_server(create_app(preview, host=host, token=token), log_config=None).run(sockets=[sock])
    echo("Preview stopped.")


def signing_key() -> str:
    """The preview's emails carry a sample reader's unsubscribe and preference links, signed
    like every link. With no DIGEST_SECRET_KEY (or one too short) this process signs them
    with a key made for this run: the preview works, and links that open no reader's page
    cannot be mistaken for real ones. Returns what to tell the organiser ('' with a key)."""
    try:
        secret_key()
    except DigestError:
        os.environ["DIGEST_SECRET_KEY"] = secrets.token_urlsafe(32)
        return (
            "DIGEST_SECRET_KEY is not set: the sample unsubscribe and preference links in these emails (and in "
            "test messages) are signed with a key made for this run, and open no reader's page. "
            "`digest send` and `digest serve` need the real key."
        )
    return ""


def create_app(preview: LiveSite, host: str = "127.0.0.1", watch: bool = True, token: str | None = None) -> Starlette:
    """The preview's routes; with watch, saved files reload open pages (see preview.reload).
    token: what the curation page's writes need (default: one made now, told to nobody)."""
    pages = PreviewPages(preview)
    follow_ups = FollowUpPages(preview, pages)
    items = ItemPages(preview, pages)
    curate = CuratePages(preview, pages, token or secrets.token_urlsafe(24))

    async def home(request: Request) -> Response:
        return curate.take_token(request) or pages.home(request)

    async def on_change(changes: set) -> None:
        if curate.loaded_already({Path(path).resolve() for _, path in changes}):
            return
        await anyio.to_thread.run_sync(preview.reload)
        pages.hub.publish(preview.generation)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = anyio.Event()
        async with anyio.create_task_group() as tasks:
            if watch:
                tasks.start_soon(watch_files, preview.watched, on_change, stop)
            try:
                yield
            finally:
                stop.set()
                pages.hub.close()

    anywhere = host in ("0.0.0.0", "::", "")
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/_preview/{name}", asset),
            Route("/events", pages.events),
            Route("/f/{forum}", pages.forum_page),
            Route("/f/{forum}/edition", pages.edition, methods=["GET", "POST"]),
            Route("/f/{forum}/edition.html", pages.email("html")),
            Route("/f/{forum}/edition.txt", pages.email("txt")),
            Route("/f/{forum}/edition.eml", pages.email("eml")),
            Route("/f/{forum}/items", items.page),
            Route("/f/{forum}/curate", curate.page),
            Route("/f/{forum}/curate", curate.save_item, methods=["POST"]),
            Route("/f/{forum}/curate/ready", curate.ready, methods=["POST"]),
            Route("/f/{forum}/follow-ups", follow_ups.page),
            Route("/f/{forum}/follow-up.html", follow_ups.email("html")),
            Route("/f/{forum}/follow-up.txt", follow_ups.email("txt")),
            Route("/f/{forum}/follow-up.eml", follow_ups.email("eml")),
            # the site as last built, where the emails' links lead while site.base_url is not set
            Mount("/", app=BuiltSite(preview.settings.path("build"))),
        ],
        # a page on another site cannot reach the preview through a name that points here
        middleware=[
            Middleware(
                TrustedHostMiddleware, allowed_hosts=["*"] if anywhere else [host, "127.0.0.1", "localhost", "::1"]
            ),
            Middleware(Policy),
        ],
        lifespan=lifespan,
    )
    app.state.hub = pages.hub
    return app


# The preview's own pages run only their script files; the emails in their frames, their
# inline styles and images. The built site served beside them (web/site.py) sets its own.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
ASSETS = {"reload.js": "text/javascript", "curate.js": "text/javascript", "curate.css": "text/css"}


async def asset(request: Request) -> Response:
    """The preview's scripts and stylesheet, from the built-in templates (never an override)."""
    name = request.path_params["name"]
    if name not in ASSETS:
        return PlainTextResponse("Not found", status_code=404)
    body = (builtin_templates() / "preview" / name).read_bytes()
    return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


class Policy:
    """Adds the Content-Security-Policy (and no sniffing, no referrer elsewhere) to each response that has none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")  # no-referrer would make a POST's Origin `null`
            await send(message)

        await self.app(scope, receive, with_policy)


class PreviewServer(uvicorn.Server):
    """uvicorn, ending the open pages' event streams first so that stopping is immediate."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.config.app.state.hub.close()
        await super().shutdown(sockets)


def make_server(app: Starlette, **config: object) -> PreviewServer:
    options = {
        "lifespan": "on",
        "ws": "none",
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": 3,
    }
    return PreviewServer(uvicorn.Config(app, **{**options, **config}))
