"""What the preview keeps from one save to the next: its Renderer (templates compiled once)
and each edition as rendered, for as long as what the edition shows is the same.

After a save, most editions select the same items with the same content as before: those
are not rendered again. An edition is rendered again when its selection, the content of
what it selects (items, dates, contacts, the forum's heading, its sections' audiences), or
anything every edition depends on (templates, settings, the taxonomy, events, contacts,
any other content file) changed. The last is the `stamp`: each such file's size and
modification time, and the settings file's bytes.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import ItemsView, ValuesView
from pathlib import Path

from digest.editions.kept import content_of
from digest.editions.render import Rendered, Renderer, builtin_templates
from digest.editions.select import Edition
from digest.settings import Settings

MAX_KEPT = 4000  # editions kept (both example forums have about 150); beyond, start again


def stamp(settings: Settings, settings_file: Path) -> tuple:
    """What every edition depends on beyond its own selection and forum."""
    content = settings.path("content")
    forums = content / "forums"
    files = []
    for tree in (builtin_templates(), settings.path("templates"), content):
        if tree.is_dir():
            for path in sorted(tree.rglob("*")):
                if path.is_file() and path.parent != forums:
                    info = path.stat()
                    files.append((str(path), info.st_size, info.st_mtime_ns))
    try:
        own = settings_file.read_bytes()
    except OSError:
        own = b""
    return (own, tuple(files))


class Renders:
    """Rendered editions by selection, kept while their content and the stamp stay the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple, tuple[tuple, Rendered]] = {}
        self._stamp: tuple | None = None
        self.renderer: Renderer | None = None
        self.rendered = 0  # how many renders were needed (for tests and the bench)

    def start(self, settings: Settings, settings_file: Path) -> Renderer:
        """The renderer for a newly loaded site: the same one unless templates or settings changed."""
        now = stamp(settings, settings_file)
        with self._lock:
            if now != self._stamp or self.renderer is None:
                self._stamp, self._kept, self.renderer = now, {}, Renderer(settings)
            return self.renderer

    def get(self, edition: Edition) -> Rendered:
        key = (edition.forum.id, edition.as_of, edition.key)
        content = content_of(edition)
        with self._lock:
            hit = self._kept.get(key)
            renderer = self.renderer
        if hit is not None and hit[0] == content:
            rendered = copy.copy(hit[1])  # keeps its measured length; shown with this load's edition
            rendered.edition = edition
            return rendered
        rendered = renderer.render(edition)
        with self._lock:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            self._kept[key] = (content, rendered)
            self.rendered += 1
        return rendered


class LazyRendered(dict[str, Rendered]):
    """A ForumBuild's rendered editions, each rendered (or taken from Renders) when first asked."""

    def __init__(self, editions: list[Edition], renders: Renders) -> None:
        super().__init__()
        self._by_id, self._renders = {e.id: e for e in editions}, renders

    def __missing__(self, edition_id: str) -> Rendered:
        rendered = self._renders.get(self._by_id[edition_id])
        self[edition_id] = rendered
        return rendered

    def ids(self) -> list[str]:
        return list(self._by_id)

    def fill(self) -> None:
        for edition_id in self._by_id:
            self.__getitem__(edition_id)  # renders it if missing

    def values(self) -> ValuesView[Rendered]:
        self.fill()
        return super().values()

    def items(self) -> ItemsView[str, Rendered]:
        self.fill()
        return super().items()
