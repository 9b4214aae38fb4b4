"""Live reload for the preview: notice saved files, load again, tell every open page.

`watch` waits on watchfiles for changes to the content, the settings file and both
template folders (built-in and the organiser's), then calls back; the `LiveSite` loads
everything again (a mistake becomes its `failure`, shown on the page, instead of
stopping the server) and the `Hub` publishes its new generation. Each page keeps an
EventSource on /events and reloads itself when the generation it was drawn at is no
longer current. Forums are rendered on demand, once per generation, by the same
build.render_forum and Renderer as `digest build`.

Folders are watched one level each (not recursively) so that a project root full of
other things (.venv, var/, build/) costs nothing; when a folder appears or disappears
the list is worked out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import anyio
import jinja2
from watchfiles import Change, awatch

from digest.content.checks import findings
from digest.content.load import Site, load_site
from digest.editions.build import ForumBuild, render_forum
from digest.editions.render import Renderer, builtin_templates
from digest.errors import DigestError, Problem, display_path
from digest.settings import SETTINGS_FILE, Settings

log = logging.getLogger("digest.preview")
HEARTBEAT = 15.0  # seconds between keep-alive comments on an idle event stream
_SKIP_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part")


class Hub:
    """Fans each new generation out to every open page's event stream."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[str | None]] = set()
        self.closed = False

    def publish(self, generation: str) -> None:
        for queue in self.queues:
            queue.put_nowait(generation)

    def close(self) -> None:
        """End every stream (the server is stopping: open pages reconnect to the next one)."""
        self.closed = True
        for queue in self.queues:
            queue.put_nowait(None)

    async def stream(self, current: Callable[[], str]) -> AsyncIterator[str]:
        """Server-Sent Events: the current generation at once, then each new one."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.queues.add(queue)
        try:
            yield f"retry: 500\ndata: {current()}\n\n"
            while not self.closed:
                try:
                    generation = await asyncio.wait_for(queue.get(), HEARTBEAT)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                if generation is None:
                    return
                yield f"data: {generation}\n\n"
        finally:
            self.queues.discard(queue)


@dataclass(frozen=True)
class Watched:
    """What a preview is made from: folders of files, and one settings file."""

    trees: tuple[Path, ...]  # content/, built-in templates/, the organiser's templates folder
    settings_file: Path

    @classmethod
    def of(cls, trees: Iterable[Path], settings_file: Path) -> Watched:
        return cls(tuple(p.resolve() for p in trees), settings_file.resolve())

    def folders(self) -> list[Path]:
        """Every existing folder to watch, one level each."""
        out = {_nearest_existing(self.settings_file.parent)}
        for tree in self.trees:
            if tree.is_dir():
                out.add(tree)
                out.update(p for p in tree.rglob("*") if p.is_dir() and not _skipped(p.name))
            else:
                out.add(_nearest_existing(tree))  # see it when it is created
        return sorted(out)

    def relevant(self, change: Change, path: str) -> bool:
        p = Path(path)
        if p == self.settings_file:
            return True
        if _skipped(p.name):
            return False
        return any(p == tree or tree in p.parents or p in tree.parents for tree in self.trees)


def _skipped(name: str) -> bool:
    """Editors' backup, swap and temporary files, and hidden ones."""
    return name.startswith((".", "#")) or name.endswith(_SKIP_SUFFIXES)


def _nearest_existing(path: Path) -> Path:
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


async def watch(
    watched: Callable[[], Watched], on_change: Callable[[set[tuple[Change, str]]], Awaitable[None]], stop: anyio.Event
) -> None:
    """Call on_change after each batch of saved files until stop is set."""
    while not stop.is_set():
        folders = watched().folders()
        try:
            async for changes in awatch(
                *folders, watch_filter=watched().relevant, recursive=False, stop_event=stop, debounce=400, step=50
            ):
                await on_change(changes)
                if watched().folders() != folders:
                    break  # a folder came or went (or settings moved one): watch the new set
        except OSError as exc:  # a folder vanished between listing and watching
            log.warning("watching again after: %s", exc)
            await anyio.sleep(0.2)


# -- the site as last loaded, and forums rendered on demand ------------------------------------
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
