"""Figure 2, one run: readers streamed from the SQLite store, assembled, to a null transport.

    python -m bench.scale make --readers 1000000 --db PATH   # fill a database (once)
    python -m bench.scale stream --db PATH                   # every confirmed reader, no ledger
    python -m bench.scale ledger --db PATH                   # the real send_edition, ledger and all

`stream` is send_edition's loop without the ledger: a compose.Plan for the larger
example forum renders the editions of the readers' distinct profiles, then
subscribers.confirmed(conn) streams every reader through compose.Personaliser to the
null transport. Its peak memory, compared between 100,000 and 1,000,000 readers,
shows whether anything grows with the number of readers. `ledger` runs
send.send_edition itself (a row per reader, marked sending, then sent) on a copy.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.common import NullTransport, arg, emit, fill_db, peak_rss_mb, project, settings_for, text_arg

FORUM = "2025-07-term6"  # the larger example forum: the most editions


def make(db: Path, n: int) -> None:
    from digest.content.load import load_taxonomy

    with project(db) as root:
        start = time.perf_counter()
        fill_db(db, load_taxonomy(settings_for(root)), n)
        emit({"readers": n, "fill_s": time.perf_counter() - start, "db_mb": db.stat().st_size / 1e6})


def stream(db: Path) -> None:
    from digest.content.load import load_or_fail
    from digest.db import open_db
    from digest.delivery.compose import Personaliser, Plan
    from digest.delivery.sends import key_for
    from digest.editions.select import day_after
    from digest.readers import store as subscribers

    with project(db) as root:
        settings = settings_for(root)
        site = load_or_fail(settings)
        forum = site.forum(FORUM)
        as_of = day_after(forum)
        key = key_for(forum.id, 1)
        conn = open_db(settings)
        wall, cpu = time.perf_counter(), time.process_time()
        plan = Plan(settings, site, forum, as_of, key)
        plan.add(subscribers.receiving_profiles(conn))
        plan.check_sizes()
        render = time.perf_counter() - wall
        rss_ready = peak_rss_mb()
        person, sink, sender = Personaliser(settings, key), NullTransport(), settings.site.sender_address
        for sub in subscribers.confirmed(conn):
            prepared = plan.for_profile(sub.profile)
            sink.send(
                sender,
                [sub.email],
                person.message(prepared.template, sub.id, sub.email, sub.name, sub.profile.describe()),
            )
        total, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
        conn.close()
    emit(
        {
            "readers": sink.messages,
            "editions": len(plan.prepared),
            "render_s": render,
            "wall_s": total,
            "cpu_s": total_cpu,
            "us_per_message": (total - render) / sink.messages * 1e6,
            "rss_ready_mb": round(rss_ready, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )


def ledger(db: Path) -> None:
    from digest.content.load import load_or_fail
    from digest.delivery.pacing import Policy
    from digest.delivery.send import send_edition

    with project(db) as root:
        settings = settings_for(root)
        site = load_or_fail(settings)
        sink, first = NullTransport(), []

        def progress(done: int, total: int, sent: int) -> None:
            if done == 1:  # the editions are ready and the first message has gone
                first.append(time.perf_counter())

        wall, cpu = time.perf_counter(), time.process_time()
        summary = send_edition(settings, FORUM, transport=sink, policy=Policy(), site=site, progress=progress)
        end, total_cpu = time.perf_counter(), time.process_time() - cpu
    assert summary.ok and summary.sent == sink.messages, summary.lines()
    emit(
        {
            "readers": summary.sent,
            "wall_s": end - wall,
            "cpu_s": total_cpu,
            "loop_s": end - first[0],
            "us_per_message": (end - first[0]) / (summary.sent - 1) * 1e6,
        }
    )


def main() -> None:
    db = Path(text_arg("db"))
    {"make": lambda: make(db, arg("readers", 1_000_000)), "stream": lambda: stream(db), "ledger": lambda: ledger(db)}[
        sys.argv[1]
    ]()


if __name__ == "__main__":
    main()
