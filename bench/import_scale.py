"""How `digest import` grows with the document: a synthetic Q&A document of N paragraphs
(half questions, half answers, one question in twenty repeated as a duplicate to merge),
in the seeds' bullet layout and in "Q:"/"A:" labels, imported in this process into a
throwaway copy of the example project, the draft's check included. Duplicate detection
compares a question only with the earlier ones that share its words
(digest.content.duplicates), so the time should grow about linearly.

    python -m bench.import_scale --sizes 1250,2500,5000
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, text_arg

WORDS = [
    "annual",
    "review",
    "phase",
    "transfer",
    "funding",
    "top-up",
    "EHCP",
    "needs",
    "assessment",
    "placement",
    "transport",
    "therapy",
    "speech",
    "language",
    "occupational",
    "SENCO",
    "school",
    "pupil",
    "parent",
    "consultation",
    "panel",
    "decision",
    "letter",
    "tribunal",
    "appeal",
    "provision",
    "outreach",
    "specialist",
    "resource",
    "base",
    "inclusion",
    "adviser",
    "surgery",
    "training",
    "standards",
    "mainstream",
    "primary",
    "secondary",
    "early",
    "years",
    "post-16",
    "college",
    "deadline",
    "term",
    "form",
    "evidence",
    "portal",
    "upload",
    "caseworker",
    "district",
    "Ashford",
    "Swale",
    "Thanet",
    "Dover",
    "Maidstone",
    "Sevenoaks",
    "banding",
    "descriptor",
    "moderation",
    "health",
    "plan",
    "outcome",
    "section",
    "amendment",
    "draft",
    "final",
    "notice",
    "review",
    "meeting",
    "invitation",
    "report",
    "attendance",
    "exclusion",
    "behaviour",
]


def document(n: int, layout: str, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines, questions = ["Countywide SENCO Forum Q&A, 14 May 2026", ""], []
    for k in range(n // 2):
        if k % 20 == 19 and questions:
            q = rng.choice(questions)
        else:
            q = f"How does the {' '.join(rng.sample(WORDS, 9))} work for us in case {k}?"
            questions.append(q)
        a = f"The {' '.join(rng.sample(WORDS, 14))} is explained in the guidance, item {k}."
        lines += [f"- {q}", f"   - {a}"] if layout == "bullets" else [f"Q: {q}", f"A: {a}", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    from digest.importer.run import import_document
    from digest.settings import load_settings

    sizes = [int(s) for s in text_arg("sizes", "1250,2500,5000").split(",")]
    print("| paragraphs | layout | seconds | items |")
    print("|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(ROOT / "content", root / "content")
        shutil.copy(ROOT / "digest.toml", root / "digest.toml")
        settings = load_settings(root)
        for layout in ("bullets", "labels"):
            for n in sizes:
                source = Path(tmp) / f"long-{layout}-{n}.txt"
                source.write_text(document(n, layout), encoding="utf-8")
                out = root / "content" / "forums" / "2026-05-long.yaml"
                out.unlink(missing_ok=True)
                start = time.perf_counter()
                result = import_document(settings, source, "2026-05-long", None, None, False)
                elapsed = time.perf_counter() - start
                print(f"| {n} | {layout} | {elapsed:.2f} | {len(result.draft.items)} |", flush=True)


if __name__ == "__main__":
    main()
