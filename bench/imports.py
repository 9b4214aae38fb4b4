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

    python -m bench.imports --runs 5
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, arg, emit

DIGEST = Path(sys.executable).parent / "digest"


def source_documents(folder: Path) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "tests"))  # the one builder of the Word fixtures, shared with the tests
    from support.seed_docx import build

    return build(folder)


def environment(cache: Path | None) -> dict[str, str]:
    """The command's environment: bytecode cached in `cache`, or (None) none written."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


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


def main() -> None:
    runs = arg("runs", 5)
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(ROOT / "content", root / "content")
        shutil.copy(ROOT / "digest.toml", root / "digest.toml")
        documents = source_documents(Path(tmp))
        cached, uncached = environment(Path(tmp) / "pycache"), environment(None)
        for document in sorted(documents.values()):
            forum_id, kind = document.stem, document.suffix.lstrip(".")  # each is named after its forum
            timed(document, forum_id, root, cached)  # cold file caches, and the bytecode written: not counted
            samples[f"{forum_id}_{kind}_s"] = [timed(document, forum_id, root, cached) for _ in range(runs)]
            samples[f"{forum_id}_{kind}_nocache_s"] = [timed(document, forum_id, root, uncached) for _ in range(runs)]
    emit(samples)


if __name__ == "__main__":
    main()
