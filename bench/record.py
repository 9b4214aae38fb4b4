"""What the record of what each reader was sent costs a send (issue 15), and the follow-up.

    python -m bench.record [--readers 20000] [--runs 3]

Each measurement is a fresh process on a fresh copy of one database of N confirmed
readers (every district, phase mix and setting), sending the July forum's digest to a
null transport through send.send_edition, ledger and all, as figure 2's ledger line does:

- record: the code as it is: one snapshot per distinct edition, a column per ledger row;
- none: the same send with the record switched off (no snapshots, no index on the
  ledger's reader column): what a send cost before;
- per-reader: the obvious alternative: a row per item per reader, written in the same
  commit as the 'sending' mark;
- since: the July digest after the March one, with one of March's answers to come now
  given, so every reader's history is read and most get an "Answered since" list;
- follow-up: after the July digest, one of its pending answers given
  (demo.answer.DEMO_ANSWER): `digest send --follow-up` to the readers waiting for it.

Prints a table: microseconds a message once the editions are ready (median of the runs),
the preparation before the first message, and the database's size.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, NullTransport, arg, emit, fill_db, project, settings_for, text_arg

FORUM, MARCH = "2025-07-term6", "2024-03-countywide"
VARIANTS = ("none", "record", "per-reader", "since", "follow-up")


def _size(db: Path) -> float:
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size / 1e6


def _content(root: Path, forum: str, item: str, answer_text: str) -> None:
    """The project's content as a copy with one item answered (DIGEST_CONTENT points at it)."""
    import os

    from demo.answer import answer

    copy = root / "content-copy"
    shutil.copytree(ROOT / "content", copy)
    path = copy / "forums" / f"{forum}.yaml"
    path.write_text(answer(path.read_text(), item, answer_text))
    os.environ["DIGEST_CONTENT"] = str(copy)


def _timed_send(send, **kw) -> dict:
    first: list[tuple[float, float]] = []

    def progress(done: int, total: int, sent: int) -> None:
        if sent == 1 and not first:
            first.append((time.perf_counter(), time.process_time()))

    start = time.perf_counter()
    result = send(progress=progress, **kw)
    end, cpu = time.perf_counter(), time.process_time()
    summary = result[1] if isinstance(result, tuple) else result
    assert summary is not None and summary.ok, summary
    n = max(summary.sent - 1, 1)
    return {
        "sent": summary.sent,
        "prepare_s": first[0][0] - start,
        "us_per_message": (end - first[0][0]) / n * 1e6,
        "cpu_us_per_message": (cpu - first[0][1]) / n * 1e6,
    }


def _per_reader() -> None:
    """Patch the ledger to write a row per item per reader with each 'sending' mark."""
    from digest.db import transaction
    from digest.delivery import ledger, record

    rows: dict[str, tuple] = {}
    save, mark = record.save, ledger.mark_sending

    def remember(conn, snapshot) -> None:
        rows[snapshot.id] = snapshot.rows
        save(conn, snapshot)

    def mark_sending(conn, key, subscriber_id, edition_id, transport, snapshot=None) -> None:
        with transaction(conn):
            mark(conn, key, subscriber_id, edition_id, transport, None)
            conn.executemany(
                "INSERT OR REPLACE INTO sent_items VALUES (?, ?, ?, ?, ?, ?)",
                [(subscriber_id, key, *row) for row in rows.get(snapshot, ())],
            )

    record.save, ledger.mark_sending = remember, mark_sending


def measure(variant: str, pristine: Path) -> None:
    import os
    import sqlite3

    from digest.content.load import load_or_fail
    from digest.delivery.pacing import Policy
    from digest.delivery.send import send_edition
    from digest.editions.select import day_after

    with project() as root:
        db = root / "var" / "digest.sqlite3"
        db.parent.mkdir()
        shutil.copy(pristine, db)
        os.environ["DIGEST_DB"] = str(db)
        if variant in ("none", "per-reader"):
            from digest.delivery.compose import Plan

            conn = sqlite3.connect(db)
            conn.execute("DROP INDEX deliveries_reader")  # the ledger as it was
            if variant == "per-reader":
                conn.execute(
                    "CREATE TABLE sent_items (subscriber_id INTEGER, edition_key TEXT, forum TEXT, item TEXT,"
                    " status TEXT, fingerprint TEXT, PRIMARY KEY (subscriber_id, edition_key, forum, item)) WITHOUT ROWID"
                )
            conn.commit()
            conn.close()
            if variant == "none":
                Plan.snapshot = lambda self, edition: None  # type: ignore[method-assign]
            else:
                _per_reader()
        settings = settings_for(root)
        site = load_or_fail(settings)
        july, march = site.forum(FORUM), site.forum(MARCH)
        sink = NullTransport()
        out: dict = {"variant": variant}
        if variant == "since":
            send_edition(settings, MARCH, as_of=day_after(march), transport=sink, policy=Policy(), site=site)
            _content(root, MARCH, "loc-consultation-dates", "The consultation runs from 1 to 30 June 2024.")
            site = load_or_fail(settings_for(root))
        digest = _timed_send(
            send_edition,
            settings=settings,
            forum_id=FORUM,
            as_of=day_after(july),
            transport=sink,
            policy=Policy(),
            site=site,
        )
        out |= digest
        if variant == "follow-up":
            from demo.answer import DEMO_ANSWER, DEMO_ITEM
            from digest.delivery.followup import send_follow_up

            _content(root, FORUM, DEMO_ITEM, DEMO_ANSWER)
            settings = settings_for(root)
            site = load_or_fail(settings)
            follow = _timed_send(
                send_follow_up, settings=settings, forum_id=FORUM, as_of=day_after(july), transport=sink, site=site
            )
            out |= {f"follow_{k}": v for k, v in follow.items()}
        conn = sqlite3.connect(db)
        out["snapshots"] = conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
        out["editions"] = conn.execute("SELECT COUNT(DISTINCT edition_id) FROM deliveries").fetchone()[0]
        conn.close()
        out["db_mb"] = _size(db)
    emit(out)


def main() -> None:
    if "--measure" in sys.argv:
        measure(text_arg("measure"), Path(text_arg("db")))
        return
    readers, runs = arg("readers", 20_000), arg("runs", 3)
    with tempfile.TemporaryDirectory(prefix="digest-bench-record-") as tmp:
        pristine = Path(tmp) / "readers.sqlite3"
        from digest.content.load import load_taxonomy

        with project() as root:
            fill_db(pristine, load_taxonomy(settings_for(root)), readers)
        empty = _size(pristine)
        results: dict[str, list[dict]] = {v: [] for v in VARIANTS}
        for _ in range(runs):
            for variant in VARIANTS:
                done = subprocess.run(
                    [sys.executable, "-m", "bench.record", "--measure", variant, "--db", str(pristine)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                results[variant].append(json.loads(done.stdout.splitlines()[-1]))

    def med(variant: str, key: str) -> float:
        return statistics.median(r[key] for r in results[variant])

    print(f"{readers:,} readers, the July forum's digest to a null transport; median of {runs} run(s)")
    print(f"database with the readers only: {empty:.1f} MB")
    print(
        "| send | µs a message (wall) | CPU µs a message | before the first message | editions | snapshots | database after |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for variant in VARIANTS:
        print(
            f"| {variant} | {med(variant, 'us_per_message'):.0f} | {med(variant, 'cpu_us_per_message'):.0f} |"
            f" {med(variant, 'prepare_s'):.2f} s | {med(variant, 'editions'):.0f} | {med(variant, 'snapshots'):.0f} |"
            f" {med(variant, 'db_mb'):.1f} MB |"
        )
    f = results["follow-up"]
    print(
        f"follow-up: {statistics.median(r['follow_sent'] for r in f):,.0f} readers due; before the first message "
        f"{statistics.median(r['follow_prepare_s'] for r in f):.2f} s (the whole ledger's history read); "
        f"{statistics.median(r['follow_us_per_message'] for r in f):.0f} µs a message "
        f"({statistics.median(r['follow_cpu_us_per_message'] for r in f):.0f} µs CPU)"
    )


if __name__ == "__main__":
    main()
