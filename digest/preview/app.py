"""`digest preview`: every edition on a local web page that follows the organiser's edits.

Pages are drawn from the same stages `digest build` uses: content.load_site, the checks,
build.render_forum and its Renderer. Only the last step differs: instead of files, the
matrix, each edition (desktop and phone widths, text, MIME source, size budget, what it
holds and why, who shares it) and the coverage findings are served over HTTP. A mistake
in content, settings or a template shows on the page, as `digest check` words it, until
it is fixed. livereload.py keeps the site loaded and reloads open pages when a file is saved.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode

import anyio
import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from digest.editions.build import sample_personal
from digest.editions.render import Rendered, builtin_templates
from digest.errors import DigestError, display_path
from digest.preview import live as livereload
from digest.preview.live import LiveSite, NotFound, View

SAMPLE_TO = "senco@school.example"


# -- the message: the very bytes and the very path `digest send` uses ------------------------
def message_source(rendered: Rendered, to: str = SAMPLE_TO) -> bytes:
    """The MIME message `digest send` would build for a sample reader of this edition."""
    from digest.delivery.compose import Personaliser, template_for

    edition = rendered.edition
    settings = edition.site.settings
    key = f"preview:{edition.forum.id}@{edition.as_of}"
    profile = edition.profiles[0].describe() if edition.profiles else "a reader"
    return Personaliser(settings, key).message(template_for(settings, rendered, key), 0, to, "", profile)


def send_test(rendered: Rendered, address: str) -> str:
    """Send this edition, subject "[TEST] ...", to address through the configured transport,
    exactly as `digest send --to ADDRESS --edition ID` does; returns the transport's receipt."""
    from digest.delivery.send import send_test as deliver_test
    from digest.readers.store import InvalidSubscriber, normalise_email

    try:
        address = normalise_email(address)
    except InvalidSubscriber as exc:
        raise DigestError(f"test address: {exc.reason}") from None
    edition = rendered.edition
    [(_, receipt)] = deliver_test(
        edition.site.settings, edition.forum.id, address, as_of=edition.as_of, edition_id=edition.id, site=edition.site
    )
    if receipt.startswith("FAILED: "):
        raise DigestError(f"the test message was not sent: {receipt.removeprefix('FAILED: ')}")
    return receipt


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a clear error (port taken, no such address)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise DigestError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another with --port, or --host)"
        ) from None


def loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def serve(preview: LiveSite, host: str, port: int, echo: Callable[[str], None]) -> None:
    """Run the preview until Ctrl+C (the `digest preview` command)."""
    forum_id = preview.forum_id
    if forum_id and preview.site is not None:
        preview.site.forum(forum_id)  # unknown id: a clear error before serving
    sock = bind(host, port)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    echo(f"Previewing at http://{shown}:{port}/ (reloads when you save content or templates; Ctrl+C to stop)")
    if not loopback(host):
        echo(f"Warning: listening on {host}, so others on the network can read the drafts and send test messages.")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops cleanly, then passes Ctrl+C on
        make_server(create_app(preview, host=host), log_config=None).run(sockets=[sock])
    echo("Preview stopped.")


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, first value of each field."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


# -- the server ----------------------------------------------------------------------------
MAX_FORM_BYTES = 8_192
_MAILDIR_NAME = re.compile(r"^[\w.-]+$")


def pages_environment() -> jinja2.Environment:
    """The preview's own pages: built-in templates only, so a broken override cannot hide its error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(builtin_templates()),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["kb"] = lambda n: f"{n / 1000:.1f}"
    env.filters["sentence"] = lambda s: s[:1].upper() + s[1:]  # 'a primary ... in Swale' -> 'A primary ... in Swale'
    return env


def create_app(preview: LiveSite, host: str = "127.0.0.1", watch: bool = True) -> Starlette:
    """The preview's routes; with watch, saved files reload open pages (see livereload)."""
    env = pages_environment()
    token = secrets.token_urlsafe(32)  # per process: a form from another site cannot know it
    hub = livereload.Hub()

    def page(name: str, status: int = 200, **ctx: object) -> HTMLResponse:
        html = env.get_template(f"preview/{name}").render(
            settings=preview.settings, generation=preview.generation, **ctx
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def trouble(exc: DigestError, status: int | None = None) -> HTMLResponse:
        missing = isinstance(exc, NotFound)
        heading = "Not found" if missing else "The preview cannot show this yet"
        return page("problems.html", status or (404 if missing else 200), failure=exc, heading=heading)

    def cell(request: Request) -> tuple[View, Rendered, dict[str, str]]:
        view = preview.view(request.path_params["forum"])
        tax, q = view.site.taxonomy, request.query_params
        names = {kind: tax.canonical(kind, q.get(kind, "")) for kind in ("district", "phase", "setting")}
        if None in names.values():
            wanted = ", ".join(q.get(k, "?") for k in names)
            raise NotFound(f"no reader '{wanted}': choose a cell in the matrix", [])
        return view, view.build.cell(names["district"], names["phase"], names["setting"]), names

    def home(request: Request) -> Response:
        try:
            return RedirectResponse(f"/f/{preview.default_forum()}", status_code=303)
        except DigestError as exc:
            return trouble(exc)

    def forum_page(request: Request) -> Response:
        try:
            view = preview.view(request.path_params["forum"])
        except DigestError as exc:
            return trouble(exc)
        grouped = {p for _, found in view.findings for p in found}
        return page(
            "forum.html",
            view=view,
            forum=view.site.forums[view.build.forum_id],
            other=[p for p in view.site.problems.warnings if p not in grouped],
            empty=[e for e in view.build.editions if not e.items],
            limit=view.site.settings.render.max_html_bytes,
        )

    def edition_page(request: Request, form: dict[str, str] | None) -> Response:
        try:
            view, rendered, names = cell(request)
        except DigestError as exc:
            return trouble(exc)
        error, status = "", 200
        if form is not None:
            if not secrets.compare_digest(form.get("csrf", ""), token):
                return trouble(
                    DigestError("this form has expired (the preview was restarted): reload the page and send again"),
                    403,
                )
            try:
                sent = send_test(rendered, form.get("address", ""))
            except DigestError as exc:
                error, status = exc.message, 400
            else:
                return RedirectResponse(f"{request.url.path}?{urlencode({**names, 'sent': sent})}", status_code=303)
        sent_name = request.query_params.get("sent", "")
        outbox = view.site.settings.path("var") / "outbox"
        edition = rendered.edition
        html, text = rendered.personalise(sample_personal(edition))
        source = message_source(rendered).decode("utf-8", "replace").replace("\r\n", "\n")
        return page(
            "edition.html",
            status,
            view=view,
            forum=edition.forum,
            r=rendered,
            edition=edition,
            names=names,
            reader=view.site.taxonomy.profile(names["district"], [names["phase"]], names["setting"]),
            query=urlencode(names),
            limit=view.site.settings.render.max_html_bytes,
            items=[
                (i, edition.reason("item", i.id), "{}:{}".format(*view.site.where(f"item:{i.id}")))
                for i in edition.items
            ],
            events=[(u, edition.reason("event", u.event.id)) for u in edition.events],
            text=text,
            source=source,
            token=token,
            address=(form or {}).get("address", ""),
            error=error,
            sent=display_path(outbox / "new" / sent_name, view.site.settings.root)
            if _MAILDIR_NAME.match(sent_name)
            else "",
            outbox=display_path(outbox, view.site.settings.root),
        )

    async def edition(request: Request) -> Response:
        form = None
        if request.method == "POST":
            if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
                return PlainTextResponse("form too large", status_code=413)
            form = parse_form(await request.body())
        return await run_in_threadpool(edition_page, request, form)

    def email(kind: str) -> Callable[[Request], Response]:
        def part(request: Request) -> Response:
            try:
                view, rendered, _ = cell(request)
            except DigestError as exc:
                return trouble(exc)
            html, text = rendered.personalise(sample_personal(rendered.edition))
            if kind == "html":
                return HTMLResponse(html)
            if kind == "txt":
                return PlainTextResponse(text)
            return PlainTextResponse(message_source(rendered).decode("utf-8", "replace"))

        return part

    async def events(request: Request) -> Response:
        return StreamingResponse(
            hub.stream(lambda: preview.generation),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )

    async def on_change(changes: set) -> None:
        await anyio.to_thread.run_sync(preview.reload)
        hub.publish(preview.generation)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # noqa: ANN202
        stop = anyio.Event()
        async with anyio.create_task_group() as tasks:
            if watch:
                tasks.start_soon(livereload.watch, preview.watched, on_change, stop)
            try:
                yield
            finally:
                stop.set()
                hub.close()

    anywhere = host in ("0.0.0.0", "::", "")
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/events", events),
            Route("/f/{forum}", forum_page),
            Route("/f/{forum}/edition", edition, methods=["GET", "POST"]),
            Route("/f/{forum}/edition.html", email("html")),
            Route("/f/{forum}/edition.txt", email("txt")),
            Route("/f/{forum}/edition.eml", email("eml")),
        ],
        # a page on another site cannot reach the preview through a name that points here
        middleware=[
            Middleware(
                TrustedHostMiddleware, allowed_hosts=["*"] if anywhere else [host, "127.0.0.1", "localhost", "::1"]
            )
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app


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
