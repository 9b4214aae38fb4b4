"""The closing note of bench/RESULTS.md: for a missed target, why, and what would close it.

Each note is worked out from the run's own figures, so it stays true when they change.
"""

from __future__ import annotations

from typing import Any


def prepare(r: dict[str, Any]) -> str:
    p = r["prepare"]
    per_edition = p["render_s"] / p["editions"] * 1e3
    workers = p.get("workers_cpu_s", 0.0)
    processes = p.get("processes", 1)
    return (
        f"**Prepare, {p['wall_s']:.2f} s against 0.5 s.** Assembling the {p['messages']:,} messages takes "
        f"{p['assemble_s']:.2f} s ({p['assemble_us_per_message']:.0f} µs each). The rest is preparing the "
        f"{p['editions']} distinct editions that readers spread over every district, phase mix and setting of "
        f"both forums select, once each: {p['render_s']:.2f} s ({per_edition:.1f} ms an edition). That cost is "
        "per edition, not per reader: it stays the same for a million readers (figure 2). "
        f"The editions are prepared on {processes} process(es) (delivery/pool.py: spawned workers, started while "
        "the content loads, each rendering, building the MIME template and the snapshot); the sending process "
        f"spent {p['render_cpu_s']:.2f} s CPU of it (selecting each profile's edition, reading the results) and "
        f"the workers {workers:.2f} s CPU in all, {workers / max(processes, 1):.2f} s each if spread evenly. A "
        "render wall well over that means the cores were shared with other work (see the load average). What "
        "would close the rest: two cores of its own, or fewer CPU seconds an edition in the renderer (the "
        "inliner's walk and the Jinja templates are most of it: cProfile on delivery.pool._prepare_chunk)."
    )


def speedup(r: dict[str, Any]) -> str:
    p = r["prepare"]
    limit = p["naive_ms_per_message"] * 1e3 / p["assemble_us_per_message"]
    return (
        f"**{p['speedup']:.0f}× against 300×.** With {p['messages'] / p['editions']:.0f} readers per edition, "
        f"rendering {p['editions']} editions ({p['render_s']:.2f} s) is most of digest's time; the ratio grows "
        f"with readers per edition towards {limit:.0f}× (naive {p['naive_ms_per_message']:.1f} ms against "
        f"{p['assemble_us_per_message']:.0f} µs per message). What closes it is what closes the prepare target above."
    )


def memory(r: dict[str, Any]) -> str:
    s = r["stream"]
    return (
        f"**Peak memory {s['peak_rss_mb']:.0f} MB against 200 MB** ({s['rss_ready_mb']:.0f} MB with the editions "
        "ready, before the first reader): what grows is held per edition (the rendered HTML, text and MIME "
        "template), so fewer or smaller editions, or dropping each Rendered once its template is built, would close it."
    )


def flat(r: dict[str, Any]) -> str:
    s, s0 = r["stream"], r["stream_small"]
    return (
        f"**Memory grew {s['peak_rss_mb'] - s0['peak_rss_mb']:.0f} MB from {s0['readers']:,} to {s['readers']:,} "
        "readers.** Something is kept per reader: look at what compose.Plan keeps per profile and at the cursor in "
        "subscribers.confirmed."
    )


def deliver(r: dict[str, Any]) -> str:
    d = r["deliver"]
    digest_ms, minimal_ms = 1e3 / d["digest_per_s"], 1e3 / d["minimal_per_s"]
    return (
        f"**digest send at {d['ratio']:.0%} of the minimal loop against 90 %.** A message takes {minimal_ms:.2f} ms "
        f"with the minimal loop and {digest_ms:.2f} ms with digest send: {digest_ms - minimal_ms:.2f} ms more. "
        "digest's own work per message (assembly, two ledger commits, the reader's row) costs "
        f"{d['digest_cpu_ms'] - d['minimal_cpu_ms']:.2f} ms of CPU more than the loop's, done while the server "
        "waits; the rest of the gap is the client and the server competing for two cores with whatever else runs "
        "(see the load average). What would close it: commit each message's 'sent' together with the next one's "
        "'sending' (one commit a message instead of two, the same in-flight window of one), or assemble the next "
        "message while the server answers the current one; and a quiet machine."
    )


def startup(r: dict[str, Any]) -> str:
    c = r["commands"]
    return (
        f"**`digest --help` took {c['help_s'] * 1e3:.0f} ms against 100 ms.** `python -X importtime -c 'import "
        "digest.cli.main'` names the module imported at start that should move inside the command that needs it."
    )


def imports(r: dict[str, Any]) -> str:
    slowest = max((v, k) for k, v in r["imports"].items() if k.endswith("_s"))
    return (
        f"**`digest import` took {slowest[0]:.2f} s ({slowest[1][:-2]}) against 0.5 s.** `python -X importtime` and "
        "cProfile on `digest.importer.run.import_document` say whether reading, merging duplicates or the draft's check "
        "grew; the check is digest check's own code on the draft's forum."
    )


def build(r: dict[str, Any]) -> str:
    from bench.run import BUILD_BEFORE_S

    c = r["commands"]
    rest = c["build_s"] - c["index_s"]
    return (
        f"**`digest build` took {c['build_s']:.2f} s against 1 s.** The search index took "
        f"{c['index_s']:.2f} s of it and everything else {rest:.2f} s (the editions, the archive's pages and the "
        f"calendars; {BUILD_BEFORE_S:.2f} s before the archive's search). If the index is the part that grew, look "
        "at the records editions/search.py writes; if the rest did, at the topic pages, each item rendered once "
        "per topic (a page per topic could link to the items' full text rather than repeat it)."
    )


def check(r: dict[str, Any]) -> str:
    c = r["commands"]
    return (
        f"**`digest check` took {c['check_s']:.2f} s against 0.3 s.** Start-up (imports) is about "
        f"{c['help_s']:.2f} s of it (`digest --help`); the rest is loading the content (now parsed by libyaml), "
        "the coverage checks and the word budget, which renders the text part of every edition of both forums "
        "(about 150). What would close it: the budget measured from the text parts kept by the last check or build "
        "for editions whose content did not change (as the preview does), and `python -X importtime` on the check "
        "path to move imports it does not need."
    )


def preview(r: dict[str, Any]) -> str:
    v = r["preview"]
    return (
        f"**Preview reload, median {v['reload_s'] * 1e3:.0f} ms against 300 ms.** What a save costs is now: the "
        "watcher's 20 ms of quiet, loading the site again (only the changed file parsed, by libyaml), selecting the "
        "forum's editions (about 30 ms for 208 profiles), rendering the open page's edition (about 10 ms), then "
        "chromium drawing the page and its two email frames. On a quiet machine each is a few tens of ms; on a "
        "busy one every step stretches with the load average. What would close it further: draw the page before "
        "selecting every profile's edition (the page needs only its own), and keep the rest of the background work "
        "from competing with the page's own requests."
    )


def explain(key: str, r: dict[str, Any]) -> str:
    return {
        "prepare": prepare,
        "speedup": speedup,
        "memory": memory,
        "flat": flat,
        "deliver": deliver,
        "startup": startup,
        "imports": imports,
        "build": build,
        "check": check,
        "preview": preview,
    }[key](r)
