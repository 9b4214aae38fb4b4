"""The preview's follow-ups page: the emails `digest send --forum ID --follow-up` would send
right now, worked out from the content as last saved and the database's record of what
each reader was sent (digest.delivery.followup). Answer an item in the YAML, save, and
the page shows who would get it; nothing is sent and the database is only read.

The plan is worked out once per saved content and state of the database (its file's and
write-ahead log's times), so the page and its email frames share one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from digest.delivery.compose import Prepared
from digest.delivery.followup import FollowUpPlan
from digest.delivery.trial import Intended, intended
from digest.editions.build import sample_personal
from digest.editions.select import today
from digest.errors import DigestError, display_path
from digest.preview.live import LiveSite, NotFound
from digest.preview.pages import PreviewPages, message_source


@dataclass
class FollowUps:
    plan: FollowUpPlan | None  # None: no database yet, so nothing was ever sent from here
    db: str  # the database, as the page names it
    found: list[Intended] = field(default_factory=list)  # as `digest send --follow-up --dry-run` lists them

    def readers(self, edition_id: str, to_send: bool = True) -> list[str]:
        """Who a send now would send this follow-up to (or, not to_send, who already has it)."""
        return [it.email for it in self.found if it.edition_id == edition_id and (it.action == "send") == to_send]

    @property
    def to_send(self) -> list[Prepared]:
        return [p for p in (self.plan.prepared if self.plan else []) if self.readers(p.edition.id)]


def _stamp(path: Path) -> tuple[float, ...]:
    return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in (path, path.with_name(path.name + "-wal")))


class FollowUpPages:
    def __init__(self, preview: LiveSite, pages: PreviewPages) -> None:
        self.preview, self.pages = preview, pages
        self._lock = threading.Lock()
        self._cache: dict[tuple, FollowUps] = {}

    def follow_ups(self, forum_id: str) -> FollowUps:
        view = self.preview.view(forum_id)  # a content error, or an unknown forum, shows as on every page
        settings = view.site.settings
        path = settings.path("db")
        shown = display_path(path, settings.root)
        memo = (forum_id, view.generation, _stamp(path))
        with self._lock:
            if memo not in self._cache:
                if not path.exists():
                    found = FollowUps(None, shown)
                else:  # the dry run's very plan: reads the record, records nothing
                    plan = FollowUpPlan(settings, view.site, view.site.forum(forum_id), self.preview.as_of or today())
                    found = FollowUps(plan, shown, list(intended(settings, plan)))
                self._cache = {memo: found}
            return self._cache[memo]

    def chosen(self, request: Request) -> Prepared:
        found = self.follow_ups(request.path_params["forum"])
        wanted = request.query_params.get("edition", "")
        for prepared in found.plan.prepared if found.plan else []:
            if prepared.edition.id == wanted:
                return prepared
        raise NotFound(f"no follow-up '{wanted}' now: the answers or the readers have changed; go back to the list", [])

    def page(self, request: Request) -> Response:
        try:
            found = self.follow_ups(request.path_params["forum"])
        except DigestError as exc:
            return self.pages.trouble(exc)
        plan = found.plan
        view = self.preview.view(request.path_params["forum"])
        texts = {p.edition.id: p.rendered.personalise(sample_personal(p.edition))[1] for p in found.to_send}
        return self.pages.page(
            "follow-ups.html",
            view=view,
            forum=view.site.forums[request.path_params["forum"]],
            plan=plan,
            found=found,
            db=found.db,
            texts=texts,
            limit=view.site.settings.render.max_html_bytes,
        )

    def email(self, kind: str) -> Callable[[Request], Response]:
        def part(request: Request) -> Response:
            try:
                prepared = self.chosen(request)
            except DigestError as exc:
                return self.pages.trouble(exc)
            html, text = prepared.rendered.personalise(sample_personal(prepared.edition))
            if kind == "html":
                return HTMLResponse(html)
            if kind == "txt":
                return PlainTextResponse(text)
            try:
                return PlainTextResponse(message_source(prepared.rendered).decode("utf-8", "replace"))
            except DigestError as exc:  # the signing key missing, as on the edition page
                return self.pages.trouble(exc)

        return part
