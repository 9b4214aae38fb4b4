"""The closing note of bench/RESULTS.md: for a missed target, why, and what would close it.

Each note is worked out from the run's own figures, so it stays true when they change.
"""

from __future__ import annotations

from typing import Any


def prepare(r: dict[str, Any]) -> str:
    p = r["prepare"]
    per_edition = p["render_s"] / p["editions"] * 1e3
    other = p["render_s"] - p["inline_s"]
    both_cores = (p["render_s"] - p["inline_s"] / 2) / 2 + p["assemble_s"]
    return (
        f"**Prepare, {p['wall_s']:.2f} s against 0.5 s.** Assembling the {p['messages']:,} messages takes "
        f"{p['assemble_s']:.2f} s ({p['assemble_us_per_message']:.0f} µs each), within the target on its own. The rest "
        f"is rendering: readers spread over every district, phase mix and setting of both forums select "
        f"{p['editions']} distinct editions, and each is rendered once at {per_edition:.1f} ms "
        f"(premailer {p['inline_s']:.2f} s, Jinja, selection and the MIME template {other:.2f} s). "
        "That cost is per edition, not per reader: it stays the same for a million readers (figure 2). "
        "What would close it: (1) render editions on both cores, since they are independent (a process pool forked "
        "once the content is loaded; not done here because forking under the scheduler's and the preview's threads "
        "is unsafe, and spawning fresh processes costs more than it saves for a small send); (2) replace premailer "
        "with an inliner that does its Python work (merging each element's styles: about half of premailer's time, "
        "the rest being lxml) once per distinct style rather than once per element; (3) fewer distinct editions, i.e. content aimed at "
        f"fewer narrow audiences. (1) and (2) together would bring this run to about {both_cores:.1f} s; reaching "
        "0.5 s with this many editions needs rendering at about 2 ms an edition per core."
    )


def speedup(r: dict[str, Any]) -> str:
    p = r["prepare"]
    limit = p["naive_ms_per_message"] * 1e3 / p["assemble_us_per_message"]
    return (
        f"**{p['speedup']:.0f}× against 100×.** With {p['messages'] / p['editions']:.0f} readers per edition, "
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
        f"**`digest --help` took {c['help_s'] * 1e3:.0f} ms against 250 ms.** `python -X importtime -c 'import "
        "digest.cli.main'` names the module imported at start that should move inside the command that needs it."
    )


def imports(r: dict[str, Any]) -> str:
    slowest = max((v, k) for k, v in r["imports"].items() if k.endswith("_s"))
    return (
        f"**`digest import` took {slowest[0]:.2f} s ({slowest[1][:-2]}) against 2 s.** `python -X importtime` and "
        "cProfile on `digest.importer.run.import_document` say whether reading, merging duplicates or the draft's check "
        "grew; the check is digest check's own code on the draft's forum."
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
    }[key](r)
