"""Figure 1, one run: complete MIME for N synthetic readers, beside the naive pipeline.

Readers alternate between the two example forums (half get each). digest's own path is
timed as a send runs it: a compose.Plan per forum renders every edition its readers'
distinct profiles need (and checks their sizes), then each reader's message is
assembled by compose.Personaliser and handed to a null transport, one at a time.
The naive pipeline (bench/naive.py) then runs on the first readers of the same stream
and is scaled to N: with premailer as published, then with digest's own inliner. It
runs second, so caches digest warmed (parsed Markdown) help it, not digest.

    python -m bench.prepare --readers 10000 --sample 40
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import NullTransport, arg, emit, peak_rss_mb, profiles, project, readers, settings_for


@contextmanager
def timed(module, name: str) -> Iterator[list[float]]:
    """Add up the time spent in module.name while inside; the total is the list's one item."""
    function, total = getattr(module, name), [0.0]

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - start

    setattr(module, name, wrapper)
    try:
        yield total
    finally:
        setattr(module, name, function)


def workers_cpu(workers) -> float:
    """The CPU seconds the pool's worker processes have used so far (Linux /proc; 0 without a pool)."""
    ticks = 0
    for process in list(getattr(workers, "_processes", {}).values()):
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    n, sample = arg("readers", 10_000), arg("sample", 40)
    import premailer  # noqa: F401 - imported before timing: start-up is figure 5

    from bench.naive import Naive
    from digest.content.load import load_or_fail
    from digest.delivery import pool
    from digest.delivery.compose import Personaliser, Plan
    from digest.delivery.sends import key_for
    from digest.editions import render
    from digest.editions.select import day_after

    with project() as root:
        settings = settings_for(root)
        start = time.perf_counter()
        workers = pool.start(settings)  # as `digest send` does: the workers start while the content loads
        site = load_or_fail(settings)
        load = time.perf_counter() - start
        if workers is not None and "--cold" not in sys.argv:  # a send's own loading takes longer than here
            pool.wait_warm()  # the workers' own warm-up renders (a send loads readers and content meanwhile)
        warm = time.perf_counter() - start
        forums = [site.forums[f] for f in sorted(site.forums)]
        sender = settings.site.sender_address
        distinct = sorted(set(profiles(site.taxonomy)))  # what store.receiving_profiles(conn) gives a real send

        children = workers_cpu(workers)
        wall, cpu = time.perf_counter(), time.process_time()
        plans = []
        with timed(render, "inline_css") as inlining:  # premailer's share of rendering, for the closing note
            for forum in forums:
                key = key_for(forum.id, 1)
                plan = Plan(settings, site, forum, day_after(forum), key)
                plan.add(distinct)
                plan.check_sizes()
                plans.append((plan, Personaliser(settings, key)))
        render_wall, render_cpu = time.perf_counter() - wall, time.process_time() - cpu
        children = workers_cpu(workers) - children
        sink = NullTransport()
        for sub in readers(site.taxonomy, n):
            plan, person = plans[sub.id % len(plans)]
            prepared = plan.for_profile(sub.profile)
            message = person.message(prepared.template, sub.id, sub.email, sub.name, sub.profile.describe())
            sink.send(sender, [sub.email], message)
        total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
        rss = peak_rss_mb()
        editions = sum(len(plan.prepared) for plan, _ in plans)

        naive_runs = {}
        for plain in (True, False):
            naive = [Naive(settings, site, p.forum, p.as_of, p.key, p.date, plain=plain) for p, _ in plans]
            size, start, cpu = 0, time.perf_counter(), time.process_time()
            for sub in readers(site.taxonomy, sample):
                size += len(naive[sub.id % len(naive)].message(sub))
            naive_runs[plain] = (
                (time.perf_counter() - start) / sample,
                (time.process_time() - cpu) / sample,
                size / sample,
            )
        (naive_each, naive_cpu_each, naive_size), (cached_each, _, _) = naive_runs[True], naive_runs[False]

    emit(
        {
            "readers": n,
            "messages": sink.messages,
            "editions": editions,
            "load_s": load,
            "warm_s": warm,
            "processes": pool.cores() if workers is not None else 1,
            "render_s": render_wall,
            "render_cpu_s": render_cpu,
            "workers_cpu_s": children,
            "inline_s": inlining[0],
            "assemble_s": total_wall - render_wall,
            "assemble_cpu_s": total_cpu - render_cpu,
            "wall_s": total_wall,
            "cpu_s": total_cpu,
            "us_per_message": total_wall / n * 1e6,
            "assemble_us_per_message": (total_wall - render_wall) / n * 1e6,
            "mean_kb": sink.bytes / sink.messages / 1000,
            "peak_rss_mb": round(rss, 1),
            "naive_sample": sample,
            "naive_ms_per_message": naive_each * 1e3,
            "naive_cpu_ms_per_message": naive_cpu_each * 1e3,
            "naive_mean_kb": naive_size / 1000,
            "naive_scaled_s": naive_each * n,
            "speedup": naive_each * n / total_wall,
            "naive_cached_ms_per_message": cached_each * 1e3,
            "speedup_cached": cached_each * n / total_wall,
        }
    )


if __name__ == "__main__":
    main()
