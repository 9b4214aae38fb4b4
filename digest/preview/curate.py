"""The curation page, /f/<forum>/curate: an imported draft made ready in the browser.

Each item's question and answer are shown as the document has them; its headline,
summary, status, kind, highlight, topics, contact and audience are a form, with what
`digest check` says of them and the importer's notes and audience suggestions. Saving
writes only what changed, through content/edit.py (round-trip, checked as `digest check`
would, atomic, never over an edit made meanwhile in a text editor); "Mark ready" sets
the forum's `status: ready` once no error remains.

Writing is guarded three ways, each enough to refuse: the per-run token the preview
prints when it starts (the printed address sets it as a SameSite=Strict cookie, as
Jupyter does), the browser's Origin header (a POST must name this preview), and the
signed form field every preview form carries (web/csrf.py). Nothing is written but the
forum's own file in content/forums/.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest.content.checks import findings as check_findings
from digest.content.edit import Conflict, ForumDoc, check, fingerprint, forum_path, save, suggestions
from digest.content.model import Forum
from digest.content.validation import validate
from digest.content.yamlio import parse_yaml
from digest.errors import DigestError, display_path
from digest.preview.curation import KINDS, STATUSES, cards, changed, chosen, item_edit
from digest.preview.live import LiveSite
from digest.preview.pages import PreviewPages, parse_form

TOKEN_COOKIE = "digest_preview_token"  # and the port: cookies are shared by every port of a host


def token_cookie(request: Request) -> str:
    """This preview's cookie: two previews at once (8001, 8002) keep a token each."""
    return f"{TOKEN_COOKIE}_{request.url.port or 80}"


MAX_FORM_BYTES = 65_536
FILTERS = ("todo", "section", "topic", "finding")
SAVED = {"1": "Saved.", "0": "Nothing had changed, so nothing was written."}


def on_disk(raw: bytes, shown: str) -> Forum:
    """The forum as its file says now (checked as the loader checks it)."""
    try:
        src, problems = parse_yaml(raw.decode("utf-8"), shown)
    except UnicodeDecodeError:
        raise DigestError(f"{shown} is not UTF-8 text: save it as UTF-8") from None
    forum, more = validate(src, Forum) if src is not None else (None, [])
    if forum is None:
        raise DigestError(f"{shown} has mistakes: fix them in your editor and save", problems + more)
    return forum


class CuratePages:
    def __init__(self, preview: LiveSite, pages: PreviewPages, token: str) -> None:
        self.preview, self.pages, self.token = preview, pages, token
        self.written: dict[Path, str] = {}  # file -> hash of what a save wrote and loaded at once

    def loaded_already(self, paths: set[Path]) -> bool:
        """The watcher saw only files a save here wrote, and loaded, as they are now: nothing
        to reload (a second reload would tell a page being typed in that the content changed)."""
        ours = {p: self.written.pop(p, None) for p in paths}
        try:
            return bool(paths) and all(h is not None and fingerprint(p.read_bytes()) == h for p, h in ours.items())
        except OSError:
            return False

    # -- who may write ----------------------------------------------------------------------
    def has_token(self, request: Request) -> bool:
        given = request.cookies.get(token_cookie(request), "")
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def take_token(self, request: Request) -> Response | None:
        """The address printed at start-up carries ?token=: keep it as a cookie, and drop it
        from the address (so it is not left in the history or passed on in a Referer)."""
        given = request.query_params.get("token")
        if given is None:
            return None
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
        if hmac.compare_digest(given.encode(), self.token.encode()):
            response.set_cookie(token_cookie(request), self.token, httponly=True, samesite="strict", path="/")
        return response

    def refusal(self, request: Request, form: dict[str, str]) -> str:
        """Why this POST may not write ('' when it may)."""
        origin = request.headers.get("origin")
        if not origin or not self.pages.csrf.same_origin(request):
            return "it did not come from this preview's own pages"
        if not self.has_token(request):
            return "this browser has not opened the address with the token the preview printed when it started"
        if not self.pages.csrf.accepts(request, form.get("csrf")):
            return "this form has expired (the preview was restarted): reload the page"
        return ""

    # -- the page ---------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        if taken := self.take_token(request):
            return taken
        return await run_in_threadpool(self.draw, request)

    def draw(
        self, request: Request, status: int = 200, message: str = "", failure: DigestError | None = None
    ) -> Response:
        forum_id = request.path_params["forum"]
        try:
            view = self.preview.view(forum_id)
            path = forum_path(view.site.settings, forum_id)
            # The forms show the file as it is on disk, and carry its hash: what a save compares
            # with, so that it never writes back a value a text editor has changed meanwhile
            # (the site as last loaded may be a moment behind the file; only the findings come from it).
            raw = path.read_bytes()
            file = display_path(path, view.site.settings.root)
            forum = on_disk(raw, file)
        except OSError as exc:
            return self.pages.trouble(DigestError(f"cannot read the forum file: {exc.strerror or exc}"))
        except DigestError as exc:  # what was refused says why, with the file's mistakes
            return self.pages.trouble(failure or exc, status if failure else None)
        site = view.site
        # The open editions come first after a save and the findings follow in the background
        # (preview.live): the page needs them now, so it works them out if they are not in yet.
        findings = list(view.findings) or list(check_findings(site))
        findings.append(("Other warnings", [p for p in site.problems.warnings if not any(p in f for _, f in findings)]))
        all_cards = cards(forum, raw.decode("utf-8"), findings, file)
        query = {k: request.query_params.get(k, "") for k in FILTERS}
        at = request.query_params.get("at", "")
        kept = urlencode({k: v for k, v in query.items() if v})
        shown = chosen(all_cards, query)
        on_items = {id(p) for c in all_cards for _, p in c.findings}
        forum_wide = [  # a draft's notes on items ("item <id>") are on the items already
            p
            for _, found in findings
            for p in found
            if p.file == file and id(p) not in on_items and not p.field.startswith("item ")
        ]
        writes = self.has_token(request)
        issued = self.pages.csrf.issue(request, f"/f/{forum_id}/curate")
        ready = self.pages.csrf.token(issued.nonce, f"/f/{forum_id}/curate/ready")  # the same cookie
        response = self.pages.page(
            "curate.html",
            status,
            view=view,
            forum=forum,
            cards=shown,
            total=len(all_cards),
            todo=[c for c in all_cards if c.todo],
            query=query,
            action=f"/f/{forum_id}/curate" + (f"?{kept}" if kept else ""),
            topics=sorted({t for c in all_cards for t in c.item.topics}),
            finding_titles=[t for t, found in findings if found],
            contacts=site.contacts,
            statuses=STATUSES,
            kinds=KINDS,
            base=fingerprint(raw),
            file=file,
            forum_wide=forum_wide,
            writes=writes,
            token=issued.field,
            ready_token=ready,
            message=message or SAVED.get(request.query_params.get("saved", ""), ""),
            at=at if any(c.id == at for c in shown) else "",  # the item saved: its message is said there
            failure=failure,
            errors=site.problems.errors,
        )
        return self.pages.csrf.set_cookie(response, request, issued)

    # -- writing ----------------------------------------------------------------------------
    async def form(self, request: Request) -> dict[str, str] | None:
        body = await request.body()
        return None if len(body) > MAX_FORM_BYTES else parse_form(body)

    async def save_item(self, request: Request) -> Response:
        form = await self.form(request)
        if form is None:
            return self.pages.trouble(DigestError("the form is too large to save"), 413)
        if reason := self.refusal(request, form):
            return self.pages.trouble(DigestError(f"nothing was saved: {reason}"), 403)
        return await self.write(request, form, self._edit_item(form))

    async def ready(self, request: Request) -> Response:
        form = await self.form(request)
        if form is None:
            return self.pages.trouble(DigestError("the form is too large to save"), 413)
        if reason := self.refusal(request, form):
            return self.pages.trouble(DigestError(f"nothing was saved: {reason}"), 403)
        settings = self.preview.settings
        try:
            path = forum_path(settings, request.path_params["forum"])
            errors, _ = await run_in_threadpool(check, settings, path, path.read_text(encoding="utf-8"))
        except DigestError as exc:
            return self.pages.trouble(exc)
        if errors:
            failure = DigestError("not marked ready: fix these errors first", errors)
            return await run_in_threadpool(self.draw, request, 400, "", failure)
        return await self.write(request, form, lambda doc: doc.set_forum("status", "ready"), "ready")

    def _edit_item(self, form: dict[str, str]) -> Callable[[ForumDoc], None]:
        item_id = form.get("item", "")

        def change(doc: ForumDoc) -> None:
            item = doc.item_model(item_id)  # compared with the file as it is, not as last loaded
            edit = item_edit(item, form, len(suggestions(doc.text.split("\n"), item_id)))
            if changed(edit):
                doc.edit_item(item_id, edit)

        return change

    async def write(
        self, request: Request, form: dict[str, str], change: Callable[[ForumDoc], None], anchor: str = ""
    ) -> Response:
        forum_id = request.path_params["forum"]
        try:
            saved = await run_in_threadpool(save, self.preview.settings, forum_id, form.get("base", ""), change)
        except Conflict as exc:
            await self.reloaded()
            message = f"{exc.message}: your change was not saved. The page now shows the file as it is; make it again."
            return await run_in_threadpool(self.draw, request, 409, "", DigestError(message))
        except DigestError as exc:
            return await run_in_threadpool(self.draw, request, 400, "", exc)
        if saved.changed:
            self.written[forum_path(self.preview.settings, forum_id)] = saved.hash
            await self.reloaded()
        anchor = anchor or form.get("item", "")
        kept = {k: v for k, v in request.query_params.items() if k in FILTERS}
        at = {"at": anchor} if anchor and anchor != "ready" else {}
        query = urlencode({**kept, "saved": "1" if saved.changed else "0", **at})
        return RedirectResponse(f"/f/{forum_id}/curate?{query}#{anchor}", status_code=303)

    async def reloaded(self) -> None:
        """Load the saved file now (the watcher would, a moment later) and tell the open pages."""
        await run_in_threadpool(self.preview.reload)
        self.pages.hub.publish(self.preview.generation)
