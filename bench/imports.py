"""Figure 6: wall time of `digest import` of each source document (content/sources/,
with the invented questioners the tests put back), as plain text and as the Word
document built from it (tests/support/seed_docx.py), each a fresh process into a
throwaway copy of the example project, with the draft's check included.

Python's bytecode is cached as an installed digest has it (pip compiles every module at
install): in a folder of the run's own (PYTHONPYCACHEPREFIX), filled by the uncounted
first run, whatever PYTHONDONTWRITEBYTECODE says. The figures before 2026-12-05 were
taken with PYTHONDONTWRITEBYTECODE=1 in a checkout with no __pycache__, so every one of
digest's own modules was compiled from source on every run; that is measured too
(`_nocache`, the same runs with PYTHONDONTWRITEBYTECODE=1 and no prefix), for comparison.

Where the time of the July .txt import goes is measured too (`phases`): the same import in
fresh processes, each step timed inside it (bench/import_phases.py), the median of each.

    python -m bench.imports --runs 5
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, arg, emit, environment

DIGEST = Path(sys.executable).parent / "digest"


def source_documents(folder: Path) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "tests"))  # the one builder of the Word fixtures, shared with the tests
    from support.seed_docx import build

    return build(folder)


def timed(document: Path, forum_id: str, root: Path, env: dict[str, str]) -> float:
    out = root / "content" / "forums" / f"{forum_id}.yaml"
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        [str(DIGEST), "import", str(document), "--id", forum_id], cwd=root, capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"digest import {document.name} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def where_the_time_goes(document: Path, forum_id: str, root: Path, env: dict[str, str], runs: int) -> dict[str, float]:
    """The median of each phase over `runs` fresh processes, and the interpreter's share."""
    env = {**env, "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")}
    samples: dict[str, list[float]] = {}
    for _ in range(runs + 1):
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.import_phases", str(document), forum_id],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        wall = time.perf_counter() - began
        marks = json.loads(done.stdout.strip().splitlines()[-1])
        marks["interpreter"] = wall - marks.pop("total_inside")
        for k, v in marks.items():
            samples.setdefault(k, []).append(v)
    return {k: statistics.median(v[1:]) for k, v in samples.items()}  # the first run is not counted


def main() -> None:
    runs = arg("runs", 5)
    samples: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(ROOT / "content", root / "content")
        shutil.copy(ROOT / "digest.toml", root / "digest.toml")
        documents = source_documents(Path(tmp))
        cached, uncached = environment(Path(tmp) / "pycache"), environment(None)
        for document in sorted(documents.values()):
            forum_id, kind = document.stem, document.suffix.lstrip(".")  # each is named after its forum
            timed(document, forum_id, root, cached)  # cold file caches, and the bytecode written: not counted
            with_cache, without = [], []
            for _ in range(runs):  # taken in turn, so that a change in the machine's load falls on both
                with_cache.append(timed(document, forum_id, root, cached))
                without.append(timed(document, forum_id, root, uncached))
            samples[f"{forum_id}_{kind}_s"], samples[f"{forum_id}_{kind}_nocache_s"] = with_cache, without
        july = documents["2025-07-term6.txt"]
        samples["phases"] = where_the_time_goes(july, july.stem, root, cached, runs)
    emit(samples)


if __name__ == "__main__":
    main()
