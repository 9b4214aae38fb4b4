"""Live reload for the preview: notice saved files, and tell every open page.

`watch` waits on watchfiles for changes to the content, the settings file and both
template folders (built-in and the organiser's), then calls back; the `Hub` publishes
the site's new generation to each open page's EventSource on /events, and a page
reloads itself when the generation it was drawn at is no longer current.

Folders are watched one level each (not recursively) so that a project root full of
other things (.venv, var/, build/) costs nothing; when a folder appears or disappears
the list is worked out again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import anyio
from watchfiles import Change, awatch

log = logging.getLogger("digest.preview")

HEARTBEAT = 15.0  # seconds between keep-alive comments on an idle event stream
STEP_MS = 20  # a batch of changes is handed on once this long passes with no more (a save shows sooner)
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
                *folders, watch_filter=watched().relevant, recursive=False, stop_event=stop, debounce=400, step=STEP_MS
            ):
                await on_change(changes)
                if watched().folders() != folders:
                    break  # a folder came or went (or settings moved one): watch the new set
        except OSError as exc:  # a folder vanished between listing and watching
            log.warning("watching again after: %s", exc)
            await anyio.sleep(0.2)
