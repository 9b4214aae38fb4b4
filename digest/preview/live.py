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
from digest.editions.build import ForumBuild, render_forum
from digest.editions.render import Renderer, builtin_templates
from digest.errors import DigestError, Problem, display_path
from digest.preview.reload import Watched
from digest.settings import SETTINGS_FILE, Settings


class NotFound(DigestError):
    """A page for a forum or reader that does not exist (anymore)."""


@dataclass
class View:
    site: Site
    build: ForumBuild
    findings: list[tuple[str, list[Problem]]]
    generation: str


class LiveSite:
    """Loads the site (again after each change) and renders each forum once per change."""

    def __init__(
        self,
        load_settings: Callable[[], Settings],
        forum_id: str | None = None,
        as_of: date | None = None,
        settings_file: Path | None = None,
    ) -> None:
        self._load_settings = load_settings
        self.settings = load_settings()  # a mistake here stops the command: paths come from it
        self.settings_file = settings_file or self.settings.root / SETTINGS_FILE
        self.forum_id, self.as_of = forum_id, as_of
        self._boot, self._count = secrets.token_hex(4), 0
        self._lock = threading.RLock()
        self._builds: dict[str, ForumBuild | DigestError] = {}
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
        """Load everything again; re-render the forums that were being looked at."""
        with self._lock:
            shown = list(self._builds)
            self._count += 1
            self._builds, self.site, self.failure, self.findings = {}, None, None, []
            try:
                self.settings = self._load_settings()
                site = load_site(self.settings)
            except DigestError as exc:
                self.failure = exc
                return
            self.findings = findings(site)
            if not site.problems.errors:
                budget = over_budget(site, self.as_of)
                site.problems.extend(budget)
                self.findings.append(("Editions over the word budget", budget))
            if site.problems.errors:
                n = len(site.problems.errors)
                self.failure = DigestError(f"{n} error{'s' * (n != 1)} in content: fix and save", site.problems.errors)
                return
            self.site, self.renderer = site, Renderer(self.settings)
            for forum_id in shown:
                with contextlib.suppress(DigestError):
                    self.view(forum_id)

    def default_forum(self) -> str:
        with self._lock:
            if self.failure:
                raise self.failure
            return self.forum_id or list(self.site.forums)[-1]

    def view(self, forum_id: str) -> View:
        with self._lock:
            if self.failure:
                raise self.failure
            if forum_id not in self.site.forums:
                raise NotFound(f"no forum '{forum_id}'", [])
            if forum_id not in self._builds:
                try:
                    self._builds[forum_id] = render_forum(self.site, forum_id, self.as_of, self.renderer)
                except DigestError as exc:
                    self._builds[forum_id] = exc
                except Exception as exc:  # an error in a template: say where, like any other mistake
                    self._builds[forum_id] = template_failure(exc, self.settings)
            build = self._builds[forum_id]
            if isinstance(build, DigestError):
                raise build
            return View(self.site, build, self.findings, self.generation)


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
