"""Figures 4 and 5: wall time of `digest check`, `digest build` and `digest --help`, each
a fresh process on the example content (build writes to a throwaway folder), and what the
build says of its search index: answers indexed, the bundle's size, the time it took.

    python -m bench.commands --help-runs 10 --check-runs 5 --build-runs 3
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from bench.common import arg, emit, project

DIGEST = Path(sys.executable).parent / "digest"


INDEX = re.compile(r"Search index: ([\d,]+) answers?, ([\d,]+) KB in \S+, ([\d.]+) s")


def run(args: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([str(DIGEST), *args], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"digest {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout


def timed(args: list[str], cwd: Path) -> float:
    return run(args, cwd)[0]


def build(root: Path, runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"build_s": [], "index_s": [], "index_kb": [], "index_answers": []}
    for _ in range(runs):
        elapsed, said = run(["build", "--out", str(root / "build")], root)
        found = INDEX.search(said)
        if found is None:
            raise SystemExit(f"digest build said nothing of its search index:\n{said}")
        answers, kb, seconds = (float(g.replace(",", "")) for g in found.groups())
        for key, value in zip(samples, (elapsed, seconds, kb, answers), strict=True):
            samples[key].append(value)
    return samples


def main() -> None:
    with project() as root:
        timed(["--help"], root)  # the first run pays for cold file caches: not counted
        samples = {
            "help_s": [timed(["--help"], root) for _ in range(arg("help-runs", 10))],
            "check_s": [timed(["check"], root) for _ in range(arg("check-runs", 5))],
            **build(root, arg("build-runs", 3)),
        }
    emit(samples)


if __name__ == "__main__":
    main()
