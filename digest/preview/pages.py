"""The preview's pages: the matrix of a forum, one edition (desktop and phone widths,
text, MIME source, size, what it holds and why, who shares it), its parts, the
coverage findings and "send me a test". The message shown and sent is built by the
very code `digest send` uses.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse

from digest import fmt
from digest.editions.build import sample_personal
from digest.editions.render import Rendered, builtin_templates
from digest.errors import DigestError, display_path
from digest.preview.live import LiveSite, NotFound, View
from digest.preview.reload import Hub
from digest.web.csrf import Csrf

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
    from digest.delivery.trial import send_test as deliver_test
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
    env.filters["plural"] = fmt.plural
    env.filters["day"] = fmt.day
    env.filters["sentence"] = lambda s: s[:1].upper() + s[1:]  # 'a primary ... in Swale' -> 'A primary ... in Swale'
    return env


class PreviewPages:
    """The preview's pages, drawn from the LiveSite: the matrix of a forum, one edition,
    its parts, and the event stream that reloads open pages."""

    def __init__(self, preview: LiveSite) -> None:
        self.preview = preview
        self.env = pages_environment()
        self.csrf = Csrf(secrets.token_bytes(32))  # per process: a form from another site cannot know it
        self.hub = Hub()

    def page(self, name: str, status: int = 200, **ctx: object) -> HTMLResponse:
        html = self.env.get_template(f"preview/{name}").render(
            settings=self.preview.settings, generation=self.preview.generation, **ctx
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def trouble(self, exc: DigestError, status: int | None = None) -> HTMLResponse:
        missing = isinstance(exc, NotFound)
        heading = "Not found" if missing else "The preview cannot show this yet"
        return self.page("problems.html", status or (404 if missing else 200), failure=exc, heading=heading)

    def cell(self, request: Request) -> tuple[View, Rendered, dict[str, str]]:
        view = self.preview.view(request.path_params["forum"])
        tax, q = view.site.taxonomy, request.query_params
        names = {kind: tax.canonical(kind, q.get(kind, "")) for kind in ("district", "phase", "setting")}
        if None in names.values():
            wanted = ", ".join(q.get(k, "?") for k in names)
            raise NotFound(f"no reader '{wanted}': choose a cell in the matrix", [])
        return view, view.build.cell(names["district"], names["phase"], names["setting"]), names

    def home(self, request: Request) -> Response:
        try:
            return RedirectResponse(f"/f/{self.preview.default_forum()}", status_code=303)
        except DigestError as exc:
            return self.trouble(exc)

    def forum_page(self, request: Request) -> Response:
        try:
            view = self.preview.view(request.path_params["forum"], whole=True)
        except DigestError as exc:
            return self.trouble(exc)
        grouped = {p for _, found in view.findings for p in found}
        return self.page(
            "forum.html",
            view=view,
            forum=view.site.forums[view.build.forum_id],
            other=[p for p in view.site.problems.warnings if p not in grouped],
            empty=[e for e in view.build.editions if not e.items],
            limit=view.site.settings.render.max_html_bytes,
            budget=view.site.settings.render.words_budget,
        )

    def edition_page(self, request: Request, form: dict[str, str] | None) -> Response:
        try:
            view, rendered, names = self.cell(request)
        except DigestError as exc:
            return self.trouble(exc)
        error, status = "", 200
        if form is not None:
            if not self.csrf.accepts(request, form.get("csrf")):
                return self.trouble(
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
        try:  # signs the sample reader's links: a missing key is said, not a 500 (app.signing_key)
            source = message_source(rendered).decode("utf-8", "replace").replace("\r\n", "\n")
        except DigestError as exc:
            return self.trouble(exc)
        issued = self.csrf.issue(request)
        response = self.page(
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
            budget=view.site.settings.render.words_budget,
            items=[
                (i, edition.reason("item", i.id), "{}:{}".format(*view.site.where(f"item:{i.id}")))
                for i in edition.items
            ],
            events=[(u, edition.reason("event", u.event.id)) for u in edition.events],
            text=text,
            source=source,
            token=issued.field,
            address=(form or {}).get("address", ""),
            error=error,
            sent=display_path(outbox / "new" / sent_name, view.site.settings.root)
            if _MAILDIR_NAME.match(sent_name)
            else "",
            outbox=display_path(outbox, view.site.settings.root),
        )
        return self.csrf.set_cookie(response, request, issued)

    async def edition(self, request: Request) -> Response:
        form = None
        if request.method == "POST":
            if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
                return PlainTextResponse("form too large", status_code=413)
            form = parse_form(await request.body())
        return await run_in_threadpool(self.edition_page, request, form)

    def email(self, kind: str) -> Callable[[Request], Response]:
        def part(request: Request) -> Response:
            try:
                view, rendered, _ = self.cell(request)
            except DigestError as exc:
                return self.trouble(exc)
            html, text = rendered.personalise(sample_personal(rendered.edition))
            if kind == "html":
                return HTMLResponse(html)
            if kind == "txt":
                return PlainTextResponse(text)
            try:
                return PlainTextResponse(message_source(rendered).decode("utf-8", "replace"))
            except DigestError as exc:
                return self.trouble(exc)

        return part

    async def events(self, request: Request) -> Response:
        return StreamingResponse(
            self.hub.stream(lambda: self.preview.generation),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )
