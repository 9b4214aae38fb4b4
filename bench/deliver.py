"""Figure 3, one run: `digest send` over SMTP beside a minimal smtplib loop, same server.

An aiosmtpd server that accepts and discards every message runs in its own process on
127.0.0.1. In this process, one after the other (the order alternates between runs):

- digest: send.send_edition, as `digest send --transport smtp` calls it, on a fresh
  copy of a database of N readers: editions rendered, then every reader's message
  assembled, recorded in the ledger and handed over on one reused connection.
- minimal: the same messages, built beforehand, sent with smtplib's sendmail in a
  loop over one connection: what the server can take.

Each side runs twice, in the order A B B A, so a drift in what else the machine is
doing falls on both alike.
Messages per second are counted from the first message handed over to the last, so
rendering (figure 1) is not in them; the whole send's wall time is reported as well.

    python -m bench.deliver --db PATH --first digest|minimal
"""

from __future__ import annotations

import multiprocessing
import shutil
import smtplib
import socket
import time
from pathlib import Path

from bench.common import emit, project, settings_for, text_arg

FORUM = "2025-07-term6"


class Discard:
    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 2.0.0 Ok: discarded"


def serve(ready, stop) -> None:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:  # a free port (the controller's own start-up check needs a real one)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.put(port)
    stop.wait()
    controller.stop()


def build_messages(settings, site) -> list[tuple[str, bytes]]:
    """Every reader's message as digest would send it, held in memory for the minimal loop."""
    from digest.db import open_db
    from digest.delivery.compose import Personaliser, Plan
    from digest.delivery.sends import key_for
    from digest.editions.select import day_after
    from digest.readers import store as subscribers

    forum = site.forum(FORUM)
    key = key_for(forum.id, 1)
    conn = open_db(settings)
    try:
        plan = Plan(settings, site, forum, day_after(forum), key)
        plan.add(subscribers.receiving_profiles(conn))
        person = Personaliser(settings, key)
        out = []
        for sub in subscribers.confirmed(conn):
            template = plan.for_profile(sub.profile).template
            out.append((sub.email, person.message(template, sub.id, sub.email, sub.name, sub.profile.describe())))
        return out
    finally:
        conn.close()


def minimal(port: int, sender: str, messages: list[tuple[str, bytes]]) -> dict:
    conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
    conn.ehlo()
    start, cpu = time.perf_counter(), time.process_time()
    for rcpt, message in messages:
        conn.sendmail(sender, [rcpt], message)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.quit()
    return {"messages": len(messages), "seconds": elapsed, "cpu_s": cpu}


def digest_send(settings, site) -> dict:
    from digest.delivery.send import send_edition

    first: list[tuple[float, float]] = []

    def progress(done: int, total: int, sent: int) -> None:
        if sent == 1 and not first:
            first.append((time.perf_counter(), time.process_time()))

    start = time.perf_counter()
    summary = send_edition(settings, FORUM, site=site, progress=progress)
    end, cpu = time.perf_counter(), time.process_time()
    assert summary.ok, summary.lines()
    return {  # from the first hand-over to the last: messages - 1 intervals
        "messages": summary.sent - 1,
        "seconds": end - first[0][0],
        "cpu_s": cpu - first[0][1],
        "whole_s": end - start,
    }


def main() -> None:
    import os

    from digest.content.load import load_or_fail

    pristine, first = Path(text_arg("db")), text_arg("first", "digest")
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(ready, stop), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=30)
        with project() as root:
            db = root / "var" / "digest.sqlite3"
            db.parent.mkdir()
            os.environ.update(
                DIGEST_DB=str(db),
                DIGEST_TRANSPORT="smtp",
                DIGEST_SMTP_HOST="127.0.0.1",
                DIGEST_SMTP_PORT=str(port),
                DIGEST_SMTP_SECURITY="none",
            )
            shutil.copy(pristine, db)
            settings = settings_for(root)
            site = load_or_fail(settings)
            messages = build_messages(settings, site)
            # A B B A: whatever else the machine is doing drifts over the run; both sides share it
            order = ["digest", "minimal"] if first == "digest" else ["minimal", "digest"]
            results: dict[str, list[dict]] = {"digest": [], "minimal": []}
            for name in order + order[::-1]:
                if name == "digest":
                    for leftover in db.parent.glob("digest.sqlite3*"):
                        leftover.unlink()
                    shutil.copy(pristine, db)  # a ledger with no rows: everyone is sent to again
                    results[name].append(digest_send(settings, site))
                else:
                    results[name].append(minimal(port, settings.site.sender_address, messages))
            del messages
    finally:
        stop.set()
        server.join(timeout=10)
    rate = {name: sum(r["messages"] for r in rs) / sum(r["seconds"] for r in rs) for name, rs in results.items()}
    cpu = {name: sum(r["cpu_s"] for r in rs) / sum(r["messages"] for r in rs) * 1e3 for name, rs in results.items()}
    emit(
        {
            "readers": results["digest"][0]["messages"] + 1,
            "digest_cpu_ms": cpu["digest"],
            "minimal_cpu_ms": cpu["minimal"],
            "digest_per_s": rate["digest"],
            "digest_whole_s": sum(r["whole_s"] for r in results["digest"]) / len(results["digest"]),
            "minimal_per_s": rate["minimal"],
            "ratio": rate["digest"] / rate["minimal"],
            "first": first,
        }
    )


if __name__ == "__main__":
    main()
