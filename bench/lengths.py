"""`make lengths`: how long each edition is against the Q&A document it replaces.

For every edition of both example forums: the words of the text part (all of it, footer
included) divided by the words of the source document in content/sources/, and the
estimated screens on a 375 px phone. As of today (what a send today gets) and as of the
day after each forum (when its dates are still ahead). The goal of issue 12: median at
most 0.25, maximum at most 0.35, at most 10 screens.

    python -m bench.lengths [--json]
"""

from __future__ import annotations

import json
import statistics
import sys

from bench.common import ROOT

SOURCES = ROOT / "content" / "sources"  # each forum's source document, <forum id>.txt
FORUMS = ("2024-03-countywide", "2025-07-term6")


def measure() -> list[dict]:
    from digest.content.load import load_or_fail
    from digest.editions.render import Renderer
    from digest.editions.select import day_after, editions, today
    from digest.settings import load_settings

    settings = load_settings(ROOT)
    site, renderer = load_or_fail(settings), Renderer(settings)
    rows = []
    for forum_id in FORUMS:
        forum = site.forum(forum_id)
        source = len((SOURCES / f"{forum_id}.txt").read_text(encoding="utf-8").split())
        for label, as_of in (("today", today()), ("day after", day_after(forum))):
            found = [renderer.render(e) for e in editions(site, forum, as_of, site.taxonomy.profiles())]
            ratios = sorted(len(r.text.split()) / source for r in found)
            screens = sorted(r.length.screens for r in found)
            rows.append(
                {
                    "forum": forum_id,
                    "as_of": f"{label} ({as_of})",
                    "editions": len(found),
                    "source_words": source,
                    "median": round(statistics.median(ratios), 3),
                    "max": round(ratios[-1], 3),
                    "min": round(ratios[0], 3),
                    "words_max": max(r.length.words for r in found),
                    "screens_median": round(statistics.median(screens), 1),
                    "screens_max": round(screens[-1], 1),
                }
            )
    return rows


def main() -> None:
    rows = measure()
    if "--json" in sys.argv:
        print(json.dumps(rows))
        return
    print("Edition length against the Q&A document it replaces (goal: median <= 0.25, max <= 0.35, <= 10 screens)")
    print(f"{'forum':20} {'as of':24} {'editions':>8} {'median':>7} {'max':>6} {'min':>6} {'screens':>12}")
    for r in rows:
        shown = f"{r['screens_median']}/{r['screens_max']}"
        print(
            f"{r['forum']:20} {r['as_of']:24} {r['editions']:>8} {r['median']:>7.2f} {r['max']:>6.2f} {r['min']:>6.2f}"
            f" {shown:>12}"
        )
    print("screens: median/max on a 375 px phone (estimated; tests/editions/test_phone.py checks it in chromium)")


if __name__ == "__main__":
    main()
