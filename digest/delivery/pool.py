"""A large send's editions prepared on every core.

Editions are independent, and preparing them is most of what a send does before its first
message. For a send of many distinct editions, `prepare` (or `render`, for the rendered
parts only) hands them to a pool of worker processes started with the *spawn* method:
fresh interpreters, so the pool is safe to use from the scheduler's and the preview's
threads (forking a process that runs threads can copy a lock another thread holds, and
hang). Each worker gets the loaded content once per call (pickled: the same Site the send
selected from, never a second reading of the files; it unpickles it once), selects each
edition again by one of its profiles, renders it with the same templates, builds its MIME
template (digest.delivery.template) and record snapshot, and sends them back; the caller's
own Edition objects keep everything else, and the sending process only assembles messages.
The output is the same bytes as preparing in one process (tests/delivery/test_pool.py).

The pool is started once per process, when first needed or earlier with `start()` (the
send command starts it before it loads the content, so the workers' start-up overlaps
with that), and lives until the process ends; each worker warms up once as it starts.
With one core, or fewer than `MIN_EDITIONS` editions (`MIN_WARM` once the pool runs),
nothing is handed out: starting workers would cost more. A worker that dies makes the
call give nothing, before any message goes: the caller prepares every edition itself, and
the next large send starts a new pool.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.content.load import Site
    from digest.delivery.mime import DigestTemplate
    from digest.delivery.record import Snapshot
    from digest.editions.render import Rendered
    from digest.editions.select import Edition
    from digest.settings import Settings

MIN_EDITIONS = 24  # below this, one process renders them sooner than starting the workers would
MIN_WARM = 4  # once the workers run (warm), this many go to them
LARGE_SEND = 1000  # readers: `digest send` starts the pool early for a send this large
_lock = threading.Lock()
Ready = tuple["Rendered", "DigestTemplate | None", "Snapshot | None"]  # what prepare() gives for an edition
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
            blob = _pickled(settings) if settings is not None else None
            _pool = ProcessPoolExecutor(
                max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=_warm, initargs=(blob,)
            )
            for _ in range(n):  # each submit starts a worker while none is idle; each warms up first
                _pool.submit(os.getpid)
        return _pool


def _forget(broken: ProcessPoolExecutor) -> None:
    """Leave a broken pool (a worker died): the next large send starts a new one."""
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def wait_warm() -> None:
    """Return once every worker has warmed up (the bench does not time the warm-up; a send
    never waits for it)."""
    seen: set[int] = set()
    for _ in range(50):  # a worker takes a pause only once warm; two pauses at once go to two workers
        if _pool is None or len(seen) >= cores():
            return
        seen.update(f.result() for f in [_pool.submit(_pause) for _ in range(cores())])


def _pause() -> int:
    time.sleep(0.05)
    return os.getpid()


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


def worth_it(n: int) -> bool:
    """Whether n editions go to the pool: MIN_EDITIONS to start it, fewer (MIN_WARM) once it runs."""
    return cores() >= 2 and (n >= MIN_EDITIONS or (_pool is not None and n >= MIN_WARM))


def render(settings: Settings, site: Site, editions: list[Edition]) -> dict[tuple, Rendered]:
    """Each plain edition's Rendered, by edition key, rendered by the pool; {} when the pool
    is not worth it (the caller renders them itself)."""
    return {key: done[0] for key, done in _run(settings, site, editions, None).items()}


def prepare(
    settings: Settings, site: Site, editions: list[Edition], key: str, subject_prefix: str, date: datetime
) -> dict[tuple, Ready]:
    """Each plain edition as a send's plan needs it, by edition key: rendered, made its MIME
    template (digest.delivery.template, for the send `key`, with `subject_prefix` and the
    plan's `date`) and its record snapshot, all by the pool; {} when the pool is not worth it."""
    return _run(settings, site, editions, (key, subject_prefix, date))


def _run(settings: Settings, site: Site, editions: list[Edition], spec: tuple | None) -> dict[tuple, Ready]:
    from digest.editions.render import Rendered
    from digest.editions.select import Edition

    plain = [e for e in editions if type(e) is Edition and not e.since and not e.since_more and e.profiles]
    if not worth_it(len(plain)):
        return {}
    pool = start()
    if pool is None:
        return {}
    settings_blob, site_blob = _pickled(settings), _pickled(site)
    token = hashlib.sha256(settings_blob + site_blob).hexdigest()
    n = min(len(plain), cores() * 2)
    by_key = {e.key: e for e in plain}
    out: dict[tuple, Ready] = {}
    try:
        futures: list[Future] = [
            pool.submit(
                _prepare_chunk,
                token,
                settings_blob,
                site_blob,
                [(e.forum.id if e.forum is not None else None, e.as_of, e.profiles[0], e.key) for e in plain[i::n]],
                spec,
            )
            for i in range(n)
        ]
        for future in futures:
            for key, subject, html, text, body, template, snapshot in future.result():
                out[key] = (Rendered(by_key[key], subject, html, text, body), template, snapshot)
    except BrokenProcessPool:  # a worker died: nothing was sent yet, the caller renders every edition itself
        _forget(pool)
        return {}
    return out


def _warm(settings_blob: bytes | None = None) -> None:
    """Import what preparing editions needs and, given settings, compile the templates and
    prepare one edition, so the first real task does not wait for any of it."""
    import digest.delivery.record
    import digest.delivery.template
    import digest.editions.calendar
    import digest.editions.inline
    import digest.editions.render

    digest.editions.inline._inliner()
    if settings_blob is None:
        return
    try:
        from digest.content.load import load_site
        from digest.editions.select import day_after, editions

        renderer = _renderer(settings_blob)
        for name in renderer.env.list_templates(extensions=("html", "txt")):  # an email's, whichever it uses
            if "/" not in name or name.startswith("partials/"):
                renderer.env.get_template(name)
        site = load_site(pickle.loads(settings_blob))
        forum = list(site.forums.values())[-1]
        edition = editions(site, forum, day_after(forum), site.taxonomy.profiles())[0]
        digest.delivery.template.template_for(renderer.settings, renderer.render(edition), "warm-up")
        digest.delivery.record.Snapshot.of("digest", [(forum.id, item) for item in edition.items])
    except Exception:  # only a warm-up: the real task says what is wrong
        return


_site: dict[str, Any] = {}  # in a worker: the last content it was sent
_renderers: dict[bytes, Any] = {}  # in a worker: a renderer per settings, templates compiled once


def _pickled(value: Any) -> bytes:
    """The same bytes for the same settings in start() and _run(): the workers know their
    compiled templates by them."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _renderer(settings_blob: bytes) -> Any:
    from digest.editions.render import Renderer

    if settings_blob not in _renderers:
        _renderers.clear()
        _renderers[settings_blob] = Renderer(pickle.loads(settings_blob))
    return _renderers[settings_blob]


def _prepare_chunk(
    token: str,
    settings_blob: bytes,
    site_blob: bytes,
    wanted: list[tuple[str | None, date, Any, tuple]],
    spec: tuple | None,
) -> list[tuple]:
    """In a worker: select each wanted edition again by one of its profiles and render it;
    with spec (key, subject prefix, date), also its MIME template and snapshot."""
    from digest.delivery import record
    from digest.delivery.template import template_for
    from digest.editions.select import _candidates, _select, _upcoming_events

    if _site.get("token") != token:
        _site.update(token=token, site=pickle.loads(site_blob))
    site, renderer = _site["site"], _renderer(settings_blob)  # the warm-up's renderer: same settings, same bytes
    out, ahead, calendars = [], {}, {}
    for forum_id, as_of, profile, key in wanted:
        forum = site.forum(forum_id)
        if (forum_id, as_of) not in ahead:  # what every profile's selection shares, once
            ahead[(forum_id, as_of)] = (_upcoming_events(site, as_of), _candidates(site, forum))
        edition = _select(site, forum, as_of, profile, *ahead[(forum_id, as_of)])
        if edition.key != key:
            raise RuntimeError(f"edition {key!r} selected differently in a worker")
        edition.profiles.append(profile)
        r = renderer.render(edition)
        template = snapshot = None
        if spec is not None:
            send_key, prefix, when = spec
            template = template_for(renderer.settings, r, send_key, prefix, when, calendars)
            items = [(forum.id, item) for item in edition.items]
            snapshot = record.Snapshot.of("digest", items) if items else None
        out.append((key, r.subject, r.html, r.text, r.body, template, snapshot))
    return out
