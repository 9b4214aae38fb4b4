"""`make bench`: every figure of issue 8, each the median of several runs, as a table
printed and written to bench/RESULTS.md with the machine it ran on.

Each run of a figure is a fresh process (bench/prepare.py, scale.py, deliver.py,
commands.py) that prints one JSON line; ratios (digest against the naive pipeline,
digest send against a minimal smtplib loop) are measured inside the same run.

    python -m bench.run                  # everything, 3 runs each (about 5 minutes on 2 cores)
    python -m bench.run --runs 1 --only prepare deliver
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT

FIGURES = ("prepare", "scale", "deliver", "commands", "imports", "preview")
PREPARE_READERS, NAIVE_SAMPLE = 10_000, 40
SCALE_READERS, SCALE_SMALL = 1_000_000, 100_000  # the ledger path runs on the smaller database
DELIVER_READERS = 2_000
# `digest build` of the example content at 0b54e36, before the archive's topic pages and
# search (issue 13): the median of 5 runs on the benchmark machine, measured before the change.
BUILD_BEFORE_S = 1.51
# `digest check` before issue 24.4 kept anything between runs (bench/RESULTS.md of 2026-12-05, 8fcdf6d).
CHECK_BEFORE_S = 0.64


def measure(module: str, *args: str) -> dict[str, Any]:
    """One run of a figure in a fresh process; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.{module} {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per key, the median over runs (lists of samples within a run are pooled)."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [v for r in runs for v in (r[key] if isinstance(r[key], list) else [r[key]])]
        numeric = all(isinstance(v, int | float) for v in values)
        out[key] = statistics.median(values) if numeric else values[0]
        out[f"{key}__n"] = len(values)
        if numeric:
            out[f"{key}__range"] = [min(values), max(values)]
    return out


def repeat(runs: int, module: str, *args: str, vary: Callable[[int], list[str]] | None = None) -> dict[str, Any]:
    results = []
    for i in range(runs):
        results.append(measure(module, *args, *(vary(i) if vary else [])))
        print(f"  {module} {' '.join(args)}: run {i + 1}/{runs} done", file=sys.stderr, flush=True)
    return median(results)


# -- the figures --------------------------------------------------------------------------------
def prepare(runs: int, tmp: Path) -> dict[str, Any]:
    return {"prepare": repeat(runs, "prepare", "--readers", str(PREPARE_READERS), "--sample", str(NAIVE_SAMPLE))}


def scale(runs: int, tmp: Path) -> dict[str, Any]:
    big, small = tmp / "1m.sqlite3", tmp / "100k.sqlite3"
    made = measure("scale", "make", "--readers", str(SCALE_READERS), "--db", str(big))
    measure("scale", "make", "--readers", str(SCALE_SMALL), "--db", str(small))

    def fresh_ledger(i: int) -> list[str]:  # every ledger run starts from a copy with no ledger rows
        copy = tmp / f"ledger-{i}.sqlite3"
        copy.write_bytes(small.read_bytes())
        return ["--db", str(copy)]

    return {
        "fill": made,
        "stream_small": repeat(runs, "scale", "stream", "--db", str(small)),
        "stream": repeat(runs, "scale", "stream", "--db", str(big)),
        "ledger": repeat(runs, "scale", "ledger", vary=fresh_ledger),
    }


def deliver(runs: int, tmp: Path) -> dict[str, Any]:
    db = tmp / "deliver.sqlite3"
    measure("scale", "make", "--readers", str(DELIVER_READERS), "--db", str(db))
    order = ["digest", "minimal"]
    return {"deliver": repeat(runs, "deliver", "--db", str(db), vary=lambda i: ["--first", order[i % 2]])}


def commands(runs: int, tmp: Path) -> dict[str, Any]:
    return {
        "commands": repeat(
            1,
            "commands",
            "--help-runs",
            str(max(10, runs * 3)),
            "--check-runs",
            str(max(5, runs)),
            "--build-runs",
            str(runs),
        )
    }


def imports(runs: int, tmp: Path) -> dict[str, Any]:
    return {"imports": repeat(1, "imports", "--runs", str(max(3, runs)))}


def preview(runs: int, tmp: Path) -> dict[str, Any]:
    return {"preview": repeat(1, "preview", "--saves", str(max(7, runs * 3)))}


# -- the table ----------------------------------------------------------------------------------
@dataclass
class Row:
    figure: str
    measured: str
    target: str = ""
    met: bool | None = None  # None: no target
    key: str = ""  # names the target for bench/targets.py

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "**missed**")


def spread(results: dict[str, Any], key: str, fmt: str) -> str:
    low, high = results[f"{key}__range"]
    return f"{fmt.format(low)} to {fmt.format(high)}"


def rows(r: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if "prepare" in r:
        p = r["prepare"]
        out += [
            Row(
                f"1. Prepare {p['readers']:,} readers over every district, phase and setting, both forums: "
                "complete MIME for each, streamed to a null sink",
                f"{p['wall_s']:.2f} s wall (runs: {spread(p, 'wall_s', '{:.2f} s')}), {p['cpu_s']:.2f} s CPU, "
                f"{p['us_per_message']:.0f} µs/message, "
                f"peak {p['peak_rss_mb']:.0f} MB",
                "< 0.5 s",
                p["wall_s"] < 0.5,
                "prepare",
            ),
            Row(
                f"   of which: prepare the {p['editions']:.0f} distinct editions once each (Jinja, inlining, MIME template)",
                f"{p['render_s']:.2f} s ({p['render_s'] / p['editions'] * 1e3:.1f} ms/edition, "
                f"on {p.get('processes', 1):.0f} processes, their CPU {p.get('workers_cpu_s', 0):.2f} s)",
            ),
            Row(
                f"   of which: assemble {p['messages']:,} messages (mean {p['mean_kb']:.0f} KB): tokens, headers, splicing",
                f"{p['assemble_s']:.2f} s ({p['assemble_us_per_message']:.0f} µs/message)",
            ),
            Row(
                "   naive: per reader select, Jinja, premailer (as published), EmailMessage "
                f"(sample of {p['naive_sample']}, scaled)",
                f"{p['naive_scaled_s']:.0f} s ({p['naive_ms_per_message']:.1f} ms/message)",
            ),
            Row(
                "   digest against naive, same run",
                f"{p['speedup']:.0f}× faster (runs: {spread(p, 'speedup', '{:.0f}×')})",
                "≥ 300×",
                p["speedup"] >= 300,
                "speedup",
            ),
            Row(
                "   (naive again with digest's own inliner, which remembers the parsed stylesheet)",
                f"{p['naive_cached_ms_per_message']:.1f} ms/message: digest {p['speedup_cached']:.0f}× faster",
            ),
        ]
    if "stream" in r:
        s, s0, f, led = r["stream"], r["stream_small"], r["fill"], r["ledger"]
        growth = s["peak_rss_mb"] - s0["peak_rss_mb"]
        out += [
            Row(
                f"2. Scale: {s['readers']:,} readers streamed from SQLite, assembled, to a null transport (no ledger)",
                f"{s['wall_s']:.1f} s ({s['editions']} editions in {s['render_s']:.1f} s, then {s['us_per_message']:.0f} µs/message), "
                f"peak {s['peak_rss_mb']:.0f} MB",
                "< 200 MB",
                s["peak_rss_mb"] < 200,
                "memory",
            ),
            Row(
                f"   the same with {s0['readers']:,} readers: is memory flat?",
                f"{s0['wall_s']:.1f} s, peak {s0['peak_rss_mb']:.0f} MB; 10× the readers: {growth:+.1f} MB",
                "flat (< 10 MB more)",
                growth < 10,
                "flat",
            ),
            Row(
                f"   with the ledger: send_edition, {led['readers']:,} readers, null transport",
                f"{led['wall_s']:.1f} s, {led['us_per_message']:.0f} µs/message after the editions are ready",
            ),
            Row(
                f"   (filling the database: {f['readers']:,} rows in one transaction)",
                f"{f['fill_s']:.1f} s, {f['db_mb']:.0f} MB",
            ),
        ]
    if "deliver" in r:
        d = r["deliver"]
        out += [
            Row(
                f"3. Deliver: `digest send` over SMTP to a discarding aiosmtpd, {d['readers']:,} readers",
                f"{d['digest_per_s']:.0f} messages/s ({d['digest_whole_s']:.1f} s with rendering)",
            ),
            Row(
                "   minimal smtplib loop, same pre-built bytes, one connection", f"{d['minimal_per_s']:.0f} messages/s"
            ),
            Row(
                "   client CPU per message (the server's is in its own process)",
                f"digest send {d['digest_cpu_ms']:.2f} ms, minimal loop {d['minimal_cpu_ms']:.2f} ms",
            ),
            Row(
                "   digest send against the minimal loop, same run",
                f"{d['ratio']:.0%} (runs: {spread(d, 'ratio', '{:.0%}')})",
                "≥ 90 %",
                d["ratio"] >= 0.9,
                "deliver",
            ),
        ]
    if "commands" in r:
        c = r["commands"]
        out += [
            Row(
                "4. `digest check` on the example content, one July answer edited since the last check",
                f"{c['check_edit_s']:.2f} s (runs: {spread(c, 'check_edit_s', '{:.2f} s')})",
                "< 0.3 s",
                c["check_edit_s"] < 0.3,
                "check",
            ),
            Row(
                "   `digest check`, nothing changed since the last check",
                f"{c['check_same_s']:.2f} s (runs: {spread(c, 'check_same_s', '{:.2f} s')})",
                "< 0.3 s",
                c["check_same_s"] < 0.3,
                "check_same",
            ),
            Row(
                "   `digest check` from nothing (no var/cache: a first run)",
                f"{c['check_cold_s']:.2f} s (runs: {spread(c, 'check_cold_s', '{:.2f} s')}; "
                f"{CHECK_BEFORE_S:.2f} s before issue 24.4)",
            ),
            Row(
                "   `digest build` in full (an empty folder, no kept renders; templates and stylesheet as read by an earlier "
                "run): "
                "every edition of both forums, the archive with its topic pages, the search index",
                f"{c['build_full_s']:.2f} s (runs: {spread(c, 'build_full_s', '{:.2f} s')}): "
                f"{c['build_full_s'] / BUILD_BEFORE_S:.2f}× the {BUILD_BEFORE_S:.2f} s before the archive's search",
                "< 1 s",
                c["build_full_s"] < 1,
                "build",
            ),
            Row(
                "   `digest build` from nothing (an empty folder, no var/cache: a first run)",
                f"{c['build_cold_s']:.2f} s (runs: {spread(c, 'build_cold_s', '{:.2f} s')})",
            ),
            Row(
                "   `digest build`, one July answer edited since the last build",
                f"{c['build_edit_s']:.2f} s (runs: {spread(c, 'build_edit_s', '{:.2f} s')})",
            ),
            Row(
                "   `digest build`, nothing changed since the last build",
                f"{c['build_same_s']:.2f} s (runs: {spread(c, 'build_same_s', '{:.2f} s')})",
                "< 0.3 s",
                c["build_same_s"] < 0.3,
                "build_same",
            ),
            Row(
                f"   of which (in full): the search index, {c['index_answers']:.0f} answers for MiniSearch",
                f"{c['index_s']:.2f} s, an index of {c['index_kb']:.0f} KB (search/index.json; the page's scripts beside it)",
            ),
            Row(
                "5. Start-up: `digest --help`", f"{c['help_s'] * 1e3:.0f} ms", "< 100 ms", c["help_s"] < 0.1, "startup"
            ),
        ]
    if "imports" in r:
        i = r["imports"]
        for n, (forum, seed) in enumerate((("2024-03-countywide", "March 2024"), ("2025-07-term6", "July 2025"))):
            txt, docx = i[f"{forum}_txt_s"], i[f"{forum}_docx_s"]
            before = ""  # the same with digest's modules compiled on every run, as the figures before 2026-12-05
            if f"{forum}_txt_nocache_s" in i:
                before = f" ({i[f'{forum}_txt_nocache_s']:.2f} s, {i[f'{forum}_docx_nocache_s']:.2f} s uncached)"
            out.append(
                Row(
                    f"{'6.' if n == 0 else '  '} `digest import` of the {seed} document with the draft's check: .txt, .docx",
                    f"{txt:.2f} s, {docx:.2f} s{before}",
                    "< 0.5 s",
                    max(txt, docx) < 0.5,
                    "imports",
                )
            )
        if isinstance(i.get("phases"), dict):
            out.append(
                Row("   of which, the July .txt import in one process (median of runs)", phase_line(i["phases"]))
            )
    if "preview" in r:
        v = r["preview"]
        out.append(
            Row(
                "7. Preview: from saving the July forum's file to the open Swale primary edition showing the change, "
                f"in chromium ({v['reload_s__n']} saves)",
                f"{v['reload_s'] * 1e3:.0f} ms (saves: {spread(v, 'reload_s', '{:.2f} s')})",
                "< 300 ms",
                v["reload_s"] < 0.3,
                "preview",
            )
        )
    return out


def phase_line(ph: dict[str, float]) -> str:
    """Figure 6's phases (bench/import_phases.py) in words."""
    check = sum(ph.get(k, 0.0) for k in ("check_modules", "check_load", "check_findings", "check_budget"))
    return (
        f"Python starting and exiting {ph['interpreter']:.2f} s, the command line {ph['command_line']:.2f} s, the settings "
        f"(pydantic) {ph['settings']:.2f} s, the importer's modules {ph['importer_modules']:.2f} s, reading "
        f"{ph['reading']:.2f} s, the draft made and written {ph['draft']:.2f} s; the draft's check {check:.2f} s: its "
        f"modules {ph['check_modules']:.2f} s, loading the content {ph['check_load']:.2f} s, the findings "
        f"{ph['check_findings']:.2f} s, the word budget {ph['check_budget']:.2f} s"
    )


def table(rs: list[Row]) -> str:
    lines = ["| figure | measured (median) | target | |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.figure} | {r.measured} | {r.target} | {r.verdict} |" for r in rs]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        ram = next(int(line.split()[1]) for line in fh if line.startswith("MemTotal")) / 1024 / 1024
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0))),
        "ram": f"{ram:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def notes(r: dict[str, Any], rs: list[Row]) -> list[str]:
    """The closing note: for each missed target, why, and what would close it."""
    from bench.targets import explain

    keys = dict.fromkeys(row.key for row in rs if row.met is False)  # one note per target, however many rows
    return [explain(key, r) for key in keys]


def load() -> str:
    with open("/proc/loadavg", encoding="utf-8") as fh:
        return fh.read().split()[0]


def report(r: dict[str, Any], runs: int, seconds: float, loads: tuple[str, str]) -> str:
    m = machine()
    rs = rows(r)
    head = [
        "# Benchmark results",
        "",
        f"`make bench` on {m['date']}, commit {m['commit']}. Each figure is the median of {runs} run(s) "
        f"(`digest --help` of {r.get('commands', {}).get('help_s__n', 0)}); the whole run took {seconds / 60:.1f} minutes.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']}, SQLite {m['sqlite']}; {m['os']}. "
        f"Load average (1 min) {loads[0]} before the run and {loads[1]} after: anything else running shares the cores.",
        "",
        table(rs),
        "",
    ]
    missed = notes(r, rs)
    if missed:
        head += ["## Targets missed", ""] + [f"- {n}" for n in missed] + [""]
    head += ["How each figure is measured: [docs/benchmarks.md](../docs/benchmarks.md).", ""]
    return "\n".join(head)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")), help="runs per figure (median)"
    )
    parser.add_argument("--only", nargs="+", choices=FIGURES, default=list(FIGURES))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md", help="where to write the results")
    opts = parser.parse_args()
    start, before = time.perf_counter(), load()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        for name in opts.only:
            print(f"{name}:", file=sys.stderr, flush=True)
            results.update(globals()[name](opts.runs, Path(tmp)))
    text = report(results, opts.runs, time.perf_counter() - start, (before, load()))
    print(text)
    opts.out.write_text(text, encoding="utf-8")
    (opts.out.with_suffix(".json")).write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"Written to {opts.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
