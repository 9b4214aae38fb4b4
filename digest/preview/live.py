"""The site as the preview last loaded it, and forums rendered on demand.

`LiveSite` loads everything again after each change; a mistake becomes its `failure`,
shown on the page, instead of stopping the server. Forums are rendered on demand, once
per generation, by the same build.render_forum and Renderer as `digest build`.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2

from digest.content.checks import findings
from digest.content.load import Site, load_site
from digest.editions.budget import over_budget
from digest.editions.build import ForumBuild
from digest.editions.render import Rendered, builtin_templates
from digest.editions.select import editions, today
from digest.errors import DigestError, Problem, display_path
from digest.preview.reload import Watched
from digest.preview.renders import LazyRendered, Renders
from digest.settings import SETTINGS_FILE, Settings

BACKGROUND_AFTER = 0.5  # seconds: the open page is drawn again first, then the rest is rendered
SHOWN_CELLS = 4  # editions per forum rendered before a reload returns: those its open pages showed lately


class NotFound(DigestError):
    """A page for a forum or reader that does not exist (anymore)."""


@dataclass
class View:
    site: Site
    build: ForumBuild
    findings: list[tuple[str, list[Problem]]]
    generation: str


class LiveSite:
    """Loads the site (again after each change) and renders editions as pages need them.

    After a save, `reload` loads the site (parsing only the files that changed), renders the
    editions the open pages show, and returns: the page can be drawn again at once. The rest
    (every other edition, the coverage findings and the word budget, which the forum's page
    shows) is finished in the background, or at once by a page that needs it. An edition
    whose selection and content did not change is not rendered again (preview/renders.py).
    """

    def __init__(
        self,
        load_settings: Callable[[], Settings],
        forum_id: str | None = None,
        as_of: date | None = None,
        settings_file: Path | None = None,
        background: float | None = BACKGROUND_AFTER,
    ) -> None:
        self._load_settings = load_settings
        self.settings = load_settings()  # a mistake here stops the command: paths come from it
        self.settings_file = settings_file or self.settings.root / SETTINGS_FILE
        self.forum_id, self.as_of = forum_id, as_of
        self.background = background  # seconds after a reload to finish the rest; None: only when asked
        self._boot, self._count = secrets.token_hex(4), 0
        self._lock = threading.RLock()
        self._finishing = threading.Lock()
        self._builds: dict[str, ForumBuild | DigestError] = {}
        self._finished = True
        self.renders = Renders()
        self.shown: dict[str, list[tuple[str, str, str]]] = {}  # forum -> cells its pages asked for lately
        self.site: Site | None = None
        self.failure: DigestError | None = None
        self.findings: list[tuple[str, list[Problem]]] = []
        self.reload()

    @property
    def generation(self) -> str:
        return f"{self._boot}-{self._count}"

    def watched(self) -> Watched:
        trees = [self.settings.path("content"), builtin_templates(), self.settings.path("templates")]
        return Watched.of(trees, self.settings_file)

    def reload(self) -> None:
        """Load everything again; render what the open pages show, and the rest later."""
        with self._lock:
            self._count += 1
            self._builds, self.site, self.failure, self.findings = {}, None, None, []
            self._finished = True
            try:
                self.settings = self._load_settings()
                site = load_site(self.settings)
            except DigestError as exc:
                self.failure = exc
                return
            if site.problems.errors:
                self.findings = findings(site)
                n = len(site.problems.errors)
                self.failure = DigestError(f"{n} error{'s' * (n != 1)} in content: fix and save", site.problems.errors)
                return
            self.site, self._finished = site, False
            self.renderer = self.renders.start(self.settings, self.settings_file)
            for forum_id, cells in list(self.shown.items()):
                with contextlib.suppress(Exception):  # a mistake shows when the page asks again
                    build = self.view(forum_id).build
                    for cell in cells:
                        build.cell(*cell)
            generation = self._count
        if self.background is not None:
            later = threading.Timer(self.background, self._finish_quietly, (generation,))
            later.daemon = True
            later.start()

    def finish(self) -> None:
        """Every edition of every forum, the coverage findings and the word budget, for this load."""
        with self._finishing:
            with self._lock:
                if self._finished:
                    return
                site, generation = self.site, self._count
            found = findings(site)
            for forum_id in site.forums:
                with contextlib.suppress(Exception):  # a template's mistake: the forum's page says where
                    rendered = self.view(forum_id).build.rendered
                    for edition_id in rendered.ids():
                        if generation != self._count:
                            return  # saved again meanwhile: the next load finishes
                        rendered.__getitem__(edition_id)
            try:
                budget = over_budget(site, self.as_of, self.renders.get)
            except Exception:  # a template that cannot be rendered: its page says where
                budget = []
            with self._lock:
                if generation == self._count:
                    site.problems.extend(budget)
                    self.findings = [*found, ("Editions over the word budget", budget)]
                    self._finished = True

    def _finish_quietly(self, generation: int) -> None:
        if generation == self._count:
            with contextlib.suppress(Exception):
                self.finish()

    def default_forum(self) -> str:
        with self._lock:
            if self.failure:
                raise self.failure
            return self.forum_id or list(self.site.forums)[-1]

    def view(self, forum_id: str, whole: bool = False) -> View:
        """A forum's editions, each rendered when first asked; whole: every one of them, and
        the findings (the forum's page)."""
        if whole:
            self.finish()
        with self._lock:
            if self.failure:
                raise self.failure
            if forum_id not in self.site.forums:
                raise NotFound(f"no forum '{forum_id}'", [])
            if forum_id not in self._builds:
                try:
                    self._builds[forum_id] = self._build(forum_id)
                except DigestError as exc:
                    self._builds[forum_id] = exc
            build = self._builds[forum_id]
            if isinstance(build, DigestError):
                raise build
            if whole:
                try:
                    build.rendered.fill()
                except Exception as exc:
                    failure = exc if isinstance(exc, DigestError) else template_failure(exc, self.settings)
                    self._builds[forum_id] = failure
                    raise failure from None
            return View(self.site, build, self.findings, self.generation)

    def _build(self, forum_id: str) -> ForumBuild:
        forum = self.site.forum(forum_id)
        as_of = self.as_of or today()
        build = _Build(forum.id, as_of, editions(self.site, forum, as_of, self.site.taxonomy.profiles()))
        build.rendered = LazyRendered(build.editions, self.renders)
        build.live, build.settings = self, self.settings
        return build


class _Build(ForumBuild):
    """A forum's build whose editions are rendered when asked; a template's mistake says where."""

    live: LiveSite
    settings: Settings

    def cell(self, district: str, phase: str, setting: str) -> Rendered:
        shown = self.live.shown.setdefault(self.forum_id, [])
        wanted = (district, phase, setting)
        if wanted in shown:
            shown.remove(wanted)
        shown[:] = [wanted, *shown][:SHOWN_CELLS]
        try:
            return super().cell(district, phase, setting)
        except (KeyError, DigestError):
            raise
        except Exception as exc:  # an error in a template: say where, like any other mistake
            raise template_failure(exc, self.settings) from None


def template_failure(exc: Exception, settings: Settings) -> DigestError:
    """A template mistake as file:line, from Jinja's syntax error or its rewritten traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        where = (display_path(exc.filename, settings.root), exc.lineno or 1)
        message = exc.message or str(exc)
    else:
        folders = [builtin_templates().resolve(), settings.path("templates").resolve()]
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if any(Path(f.filename).resolve().is_relative_to(d) for d in folders)
        ]
        if not frames:
            raise exc
        where = (display_path(frames[-1].filename, settings.root), frames[-1].lineno or 1)
        message = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
    problem = Problem(where[0], where[1], 1, "", f"template: {message}", "fix the template and save")
    return DigestError("a template cannot be rendered: fix and save", [problem])
