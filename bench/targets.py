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
    i = r["imports"]
    timed = [(v, k) for k, v in i.items() if k.endswith("_s") and not k.endswith("_nocache_s")]
    slowest, name = max(timed)
    out = f"**`digest import` took {slowest:.2f} s ({name[:-2]}) against 0.5 s.**"
    ph = i.get("phases")
    if not isinstance(ph, dict):
        return out
    before = ph["interpreter"] + ph["command_line"] + ph["settings"]
    check = ph["check_modules"] + ph["check_load"] + ph["check_findings"] + ph["check_budget"]
    more = i["2025-07-term6_docx_s"] - i["2025-07-term6_txt_s"]
    docx = (
        f"the July .docx took {more:.2f} s longer than the .txt: the child's own start (Python, python-docx) and "
        "reading, when the other core is not free"
        if more >= 0.01
        else "the July .docx took no longer than the .txt: the child had read it before the draft needed it"
    )
    return out + (
        f" Of the July .txt import (one process, the row above): {before:.2f} s is spent before the import "
        f"begins (Python, the command line's modules, the settings' pydantic models), as by every digest command; "
        f"{ph['importer_modules']:.2f} s loads the content models, Markdown, YAML and the importer; the import "
        f"itself (reading, the draft, writing it) takes {ph['reading'] + ph['draft']:.2f} s; and the draft's "
        f"check {check:.2f} s, which is `digest check`'s own code on the draft's forum: its modules "
        f"{ph['check_modules']:.2f} s, loading the staged content {ph['check_load']:.2f} s, the findings "
        f"{ph['check_findings']:.2f} s and the word budget {ph['check_budget']:.2f} s (the text part of every "
        "edition rendered). A Word document is read by a child process started before the settings load, beside "
        f"the rest on the other core; {docx}. What would close the rest: the start-up every command pays (a "
        "command line that imports only the command it runs, the settings' models built when first used) and "
        "the draft's check, `digest check`'s code (kept text parts help only a re-import: a new draft's editions "
        "are new). On a busy machine every phase stretches with the load average."
    )


def build(r: dict[str, Any]) -> str:
    c = r["commands"]
    rest = c["build_full_s"] - c["index_s"] - c["help_s"]
    return (
        f"**`digest build` in full took {c['build_full_s']:.2f} s against 1 s** ({c['build_cold_s']:.2f} s from "
        "nothing, compiling the templates and reading the stylesheet with premailer too). Start-up is about "
        f"{c['help_s']:.2f} s (`digest --help`) and the search index {c['index_s']:.2f} s; the other {rest:.2f} s, "
        "timed by phase in one process on 2026-12-05 (load average about 2): start-up and settings 0.16 to 0.20 s, "
        "importing what a build needs (pydantic models, Jinja, markdown-it, lxml, icalendar) 0.15 to 0.21 s, loading "
        "the content 0.02 s, rendering the 28 editions of today 0.28 to 0.44 s (before premailer's answers were kept "
        "in var/cache, 0.12 s of it importing premailer and cssutils to read the stylesheet once; then about 3 to 9 "
        "ms an edition: Jinja, then inlining), and writing the site 0.33 "
        "to 0.48 s, of which cProfile names the 23 archive pages (each answer in full on its forum's and each "
        "topic's page, 0.28 s profiled), leaving officers' addresses out of the public pages (a regular expression "
        "over each link, 0.15 s profiled), the organisers' matrix of editions and the calendars; the fsyncs of 113 "
        "files now wait together on 8 threads (they took 0.35 to 0.44 s one after another). "
        "Run again after an edit it takes "
        f"{c['build_edit_s']:.2f} s (editions whose content is the same are kept, templates stay compiled) and "
        f"{c['build_same_s']:.2f} s when nothing changed. What would close the rest of a full build: "
        "the officers' addresses left out by one pass over each page's links rather than a search per address, "
        "the archive's pages rendered only when what they show changed (kept as the editions are), and two cores "
        "not shared with other work (see the load average)."
    )


def build_same(r: dict[str, Any]) -> str:
    c = r["commands"]
    return (
        f"**`digest build` with nothing changed took {c['build_same_s']:.2f} s against 0.3 s.** It loads the "
        f"settings (pydantic), hashes every input and the files the last build wrote, and prints; start-up alone is "
        f"{c['help_s']:.2f} s. On a machine this busy (see the load average) start-up stretches most; "
        "what would close it is a settings reader that does not import pydantic for this check."
    )


def check(r: dict[str, Any]) -> str:
    c = r["commands"]
    return (
        f"**`digest check` after an edit took {c['check_edit_s']:.2f} s against 0.3 s** "
        f"({c['check_same_s']:.2f} s when nothing changed, {c['check_cold_s']:.2f} s from nothing). The bench edits "
        "the July forum's first answer, which every July edition holds, so each of the 24 is measured again; the "
        "March forum's 4 are kept. By phase, in one process on 2026-12-05 at a load average of about 1.9, five "
        "runs: start-up, click and the settings (pydantic) 0.13 to 0.16 s, importing the content models and checks "
        "0.08 s, loading 0.02 s (the changed file parsed by libyaml, every file validated), the coverage checks "
        "0.08 to 0.10 s (claims in headlines and summaries, near-duplicates, personal data), the word budget 0.16 "
        "to 0.19 s (24 text parts: cProfile gives a third of it to Markdown parsed for each answer's links, most of "
        "that linkify compiling its regular expressions on first use, the rest to Jinja and measuring) and the "
        "schedules 0.05 s. Start-up, imports and loading alone are about 0.25 s, so a fresh process cannot check an "
        "edit in 0.3 s whatever it keeps. What would close it: the preview, already running, checks each save in "
        "the background (no start-up); for the command, each item's checks and parsed links kept by its text, as "
        "the editions are, would leave about 0.35 s."
    )


def check_same(r: dict[str, Any]) -> str:
    c = r["commands"]
    return (
        f"**`digest check` with nothing changed took {c['check_same_s']:.2f} s against 0.3 s.** It loads the "
        "settings, hashes what the check reads and prints the kept report: start-up and pydantic are all of it "
        "(see the load average)."
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
        "build_same": build_same,
        "check": check,
        "check_same": check_same,
        "preview": preview,
    }[key](r)
