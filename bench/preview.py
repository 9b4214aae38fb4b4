"""Figure 7, one run: from saving the July forum's file to the open preview page showing the
change, in chromium.

`digest preview` runs as the command, on a copy of the example project. chromium (Debian's,
driven by Playwright, as in the tests) opens the edition of a primary mainstream school in
Swale. Each save rewrites the forum file with one of that edition's questions changed (a
new word each time); the figure is from just before the write to the load event of the
first page that shows the new question (the page's own navigation timing, on the same
clock), so it holds the watcher's wait, loading the site, rendering, drawing the page and
its two email frames. Saves are a couple of seconds apart, as an organiser's are.

    python -m bench.preview --saves 7
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, arg, emit

DIGEST = Path(sys.executable).parent / "digest"
FORUM = "2025-07-term6"
CELL = "district=Swale&phase=primary&setting=mainstream"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
PAUSE = 2.5  # seconds between saves, as an organiser types


def copy_project(dest: Path) -> Path:
    shutil.copy(ROOT / "digest.toml", dest / "digest.toml")
    shutil.copytree(ROOT / "content", dest / "content", ignore=shutil.ignore_patterns("sources"))
    return dest / "content" / "forums" / f"{FORUM}.yaml"


def a_question(root: Path, text: str) -> str:
    """A question the Swale primary mainstream edition holds, written on one line of the file."""
    from digest.content.audience import Profile
    from digest.content.load import load_or_fail
    from digest.editions.select import select, today
    from digest.settings import load_settings

    site = load_or_fail(load_settings(root))
    edition = select(site, site.forum(FORUM), today(), Profile("Swale", ("primary",), "mainstream"))
    for item in edition.items:
        if f"question: {item.question}\n" in text:
            return item.question
    raise SystemExit("no question of the Swale primary edition is on one line of the forum file")


def main() -> None:
    saves = arg("saves", 7)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="digest-bench-preview-") as tmp:
        root = Path(tmp)
        forum = copy_project(root)
        original = forum.read_text(encoding="utf-8")
        question = a_question(root, original)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")} | {
            "DIGEST_SECRET_KEY": "bench-only-secret-not-for-production"
        }
        proc = subprocess.Popen(
            [str(DIGEST), "--root", str(root), "preview", "--port", "0"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            first = proc.stdout.readline()
            found = re.match(r"Previewing at (http://127\.0\.0\.1:\d+)/ ", first)
            if not found:
                raise SystemExit(f"digest preview did not start: {first}{proc.stdout.read()}")
            threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()  # keep the pipe empty
            times = measure(sync_playwright, found.group(1), forum, original, question, saves)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    emit({"reload_s": times})


def measure(sync_playwright, url: str, forum: Path, original: str, question: str, saves: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/f/{FORUM}/edition?{CELL}", wait_until="load")
        time.sleep(PAUSE)  # the preview finishes the rest of the forum in the background
        for n in range(saves + 1):  # the first save is not counted: the first reload compiles what it needs
            changed = f"{question} Edit {n} of the bench."
            saved = time.time() * 1e3
            forum.write_text(original.replace(f"question: {question}\n", f"question: {changed}\n"), encoding="utf-8")
            deadline = time.monotonic() + 60
            while True:
                page.wait_for_event("load", timeout=60_000)
                if page.evaluate("t => document.body.innerText.includes(t)", changed):
                    shown = page.evaluate(
                        "performance.timeOrigin + performance.getEntriesByType('navigation')[0].loadEventStart"
                    )
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("the page never showed the saved change")
            if n:
                times.append((shown - saved) / 1e3)
            print(f"save {n}: {(shown - saved):.0f} ms", file=sys.stderr, flush=True)
            time.sleep(PAUSE)
        browser.close()
    return times


if __name__ == "__main__":
    main()
