"""A large send's editions rendered on every core.

Editions are independent, and rendering them is most of what a send does before its first
message. For a send of many distinct editions, `render` hands them to a pool of worker
processes started with the *spawn* method: fresh interpreters, so the pool is safe to use
from the scheduler's and the preview's threads (forking a process that runs threads can
copy a lock another thread holds, and hang). Each worker gets the loaded content once per
call (pickled: the same Site the send selected from, never a second reading of the files),
selects each edition again by one of its profiles, renders it with the same templates,
and sends back its subject, HTML and text parts; the caller's own Edition objects keep
everything else. The output is the same as rendering in one process
(tests/delivery/test_pool.py).

The pool is started once per process, when first needed or earlier with `start()` (the
send command starts it before it loads the content, so the workers' start-up overlaps
with that), and lives until the process ends. With one core, or fewer than
`MIN_EDITIONS` editions, nothing is handed out: starting workers would cost more.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.content.load import Site
    from digest.editions.render import Rendered
    from digest.editions.select import Edition
    from digest.settings import Settings

MIN_EDITIONS = 24  # below this, one process renders them sooner than the workers would
LARGE_SEND = 1000  # readers: `digest send` starts the pool early for a send this large
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start(settings: Settings | None = None) -> ProcessPoolExecutor | None:
    """The process's pool, its workers starting now (None with a single core); with
    settings, each compiles the templates and renders once while the caller loads."""
    global _pool
    n = cores()
    if n < 2 or os.environ.get("DIGEST_RENDER_PROCESSES") == "1":
        return None
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
            blob = pickle.dumps(settings) if settings is not None else None
            for _ in range(n):  # each submit starts a worker while none is idle
                _pool.submit(_warm, blob)
        return _pool


def start_for_send(settings: Settings) -> None:
    """Start the pool now if the send is large (at least LARGE_SEND readers), so that its
    workers start while the send loads the content."""
    from digest.db import open_db
    from digest.readers.store import count_receiving

    conn = open_db(settings)
    try:
        large = count_receiving(conn) >= LARGE_SEND
    finally:
        conn.close()
    if large:
        start(settings)


def render(settings: Settings, site: Site, editions: list[Edition]) -> dict[tuple, Rendered]:
    """Each plain edition's Rendered, by edition key, rendered by the pool; {} when the pool
    is not worth it (the caller renders them itself)."""
    from digest.editions.render import Rendered
    from digest.editions.select import Edition

    plain = [e for e in editions if type(e) is Edition and not e.since and not e.since_more and e.profiles]
    if len(plain) < MIN_EDITIONS:
        return {}
    pool = start()
    if pool is None:
        return {}
    blob = pickle.dumps((settings, site), protocol=pickle.HIGHEST_PROTOCOL)
    token = hashlib.sha256(blob).hexdigest()
    chunks = [plain[i :: cores() * 2] for i in range(cores() * 2)]
    futures: list[Future] = [
        pool.submit(
            _render_chunk,
            token,
            blob,
            [(e.forum.id if e.forum is not None else None, e.as_of, e.profiles[0], e.key) for e in chunk],
        )
        for chunk in chunks
        if chunk
    ]
    by_key = {e.key: e for e in plain}
    out: dict[tuple, Rendered] = {}
    try:
        for future in futures:
            for key, subject, html, text, body in future.result():
                out[key] = Rendered(by_key[key], subject, html, text, body)
    except BrokenProcessPool:  # a worker died: this process renders them, and a new pool is made next time
        global _pool
        with _lock:
            _pool = None
        return {}
    return out


def _warm(settings_blob: bytes | None = None) -> None:
    """Import what rendering needs and, given settings, compile the templates and render one
    edition, so the first real task does not wait for any of it."""
    import digest.editions.inline
    import digest.editions.render

    digest.editions.inline._inliner()
    if settings_blob is None:
        return
    try:
        from digest.content.load import load_site
        from digest.editions.select import day_after, editions

        renderer = _renderer(settings_blob)
        site = load_site(pickle.loads(settings_blob))
        forum = list(site.forums.values())[-1]
        renderer.render(editions(site, forum, day_after(forum), site.taxonomy.profiles())[0])
    except Exception:  # only a warm-up: the real task says what is wrong
        return


_site: dict[str, Any] = {}  # in a worker: the last content it was sent
_renderers: dict[bytes, Any] = {}  # in a worker: a renderer per settings, templates compiled once


def _renderer(settings_blob: bytes) -> Any:
    from digest.editions.render import Renderer

    if settings_blob not in _renderers:
        _renderers.clear()
        _renderers[settings_blob] = Renderer(pickle.loads(settings_blob))
    return _renderers[settings_blob]


def _render_chunk(token: str, blob: bytes, wanted: list[tuple[str | None, date, Any, tuple]]) -> list[tuple]:
    from digest.editions.select import _candidates, _select, _upcoming_events

    if _site.get("token") != token:
        settings, site = pickle.loads(blob)
        _site.update(token=token, site=site, settings=pickle.dumps(settings))
    site, renderer = _site["site"], _renderer(_site["settings"])
    out, ahead = [], {}
    for forum_id, as_of, profile, key in wanted:
        forum = site.forum(forum_id)
        if (forum_id, as_of) not in ahead:  # what every profile's selection shares, once
            ahead[(forum_id, as_of)] = (_upcoming_events(site, as_of), _candidates(site, forum))
        edition = _select(site, forum, as_of, profile, *ahead[(forum_id, as_of)])
        if edition.key != key:
            raise RuntimeError(f"edition {key!r} selected differently in a worker")
        edition.profiles.append(profile)
        r = renderer.render(edition)
        out.append((key, r.subject, r.html, r.text, r.body))
    return out
