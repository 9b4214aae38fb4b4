"""Figures 4 and 5: wall time of `digest check`, `digest build` and `digest --help`, each
a fresh process on a copy of the example content, and what the build says of its search
index: answers indexed, the index's size, the time it took.

Both commands keep what they worked out between runs (docs/benchmarks.md): `digest check`
its last report and each edition's text part (var/cache), `digest build` a manifest in
its folder and each edition's render. So each is timed three ways:

- from nothing: no var/cache and, for the build, an empty folder (a first run);
- for the build also in full: an empty folder and no kept renders, but the templates as
  compiled and the stylesheet as read by an earlier run (var/cache/templates and
  styles.json, as Python keeps its .pyc files): every edition rendered, every file written;
- after an edit: one answer of the July forum changed since the last run (an organiser's
  everyday case: what the edit touches is done again, the rest is kept);
- nothing changed since the last run.

    python -m bench.commands --help-runs 10 --check-runs 5 --build-runs 3
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, arg, emit, environment, project

DIGEST = Path(sys.executable).parent / "digest"
FORUM = Path("content/forums/2025-07-term6.yaml")
INDEX = re.compile(r"Search index: ([\d,]+) answers?, ([\d,]+) KB in \S+, ([\d.]+) s")


def run(args: list[str], cwd: Path) -> tuple[float, str]:
    """One digest command in a fresh process, with its bytecode cached in the project's
    own folder (filled by the uncounted first runs), as an installed digest has it."""
    start = time.perf_counter()
    env = environment(cwd / "var" / "pycache")
    done = subprocess.run([str(DIGEST), *args], cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"digest {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout


def timed(args: list[str], cwd: Path) -> float:
    return run(args, cwd)[0]


def edit(root: Path, n: int) -> None:
    """Change one answer of the July forum: a new word in its first answer each time."""
    path = root / FORUM
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(\n\s+answer: )(?:Edit \d+\. )?", rf"\g<1>Edit {n}. ", text, count=1)
    path.write_text(text, encoding="utf-8")


def three_ways(root: Path, runs: int, args: list[str], fresh: Callable[[], None], name: str) -> dict[str, list]:
    """{name}_cold_s (fresh() first), {name}_edit_s (after edit()), {name}_same_s (nothing changed)."""
    samples: dict[str, list] = {f"{name}_cold_s": [], f"{name}_edit_s": [], f"{name}_same_s": []}
    for i in range(runs):
        fresh()
        samples[f"{name}_cold_s"].append(timed(args, root))
        edit(root, i)
        samples[f"{name}_edit_s"].append(timed(args, root))
        samples[f"{name}_same_s"].append(timed(args, root))
    return samples


def build(root: Path, runs: int) -> dict[str, list]:
    out = root / "build"
    args = ["build", "--out", str(out)]

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(root / "var" / "cache", ignore_errors=True)

    samples = three_ways(root, runs, args, fresh, "build")
    samples |= {"build_full_s": [], "index_s": [], "index_kb": [], "index_answers": []}
    for _ in range(runs):  # full builds, and the search index's own figures
        shutil.rmtree(out, ignore_errors=True)
        (root / "var" / "cache" / "renders.json").unlink(missing_ok=True)
        elapsed, said = run(args, root)
        samples["build_full_s"].append(elapsed)
        found = INDEX.search(said)
        if found is None:
            raise SystemExit(f"digest build said nothing of its search index:\n{said}")
        answers, kb, seconds = (float(g.replace(",", "")) for g in found.groups())
        for key, value in zip(("index_answers", "index_kb", "index_s"), (answers, kb, seconds), strict=True):
            samples[key].append(value)
    return samples


def main() -> None:
    with project() as root:
        (root / "content").unlink()  # a copy of its own, to edit
        shutil.copytree(ROOT / "content", root / "content")
        # The first runs pay for cold file caches and write the bytecode: not counted.
        timed(["--help"], root)
        timed(["check"], root)
        timed(["build", "--out", str(root / "build")], root)
        samples = {
            "help_s": [timed(["--help"], root) for _ in range(arg("help-runs", 10))],
            **three_ways(
                root,
                arg("check-runs", 5),
                ["check"],
                lambda: shutil.rmtree(root / "var" / "cache", ignore_errors=True),
                "check",
            ),
            **build(root, arg("build-runs", 3)),
        }
    emit(samples)


if __name__ == "__main__":
    main()
