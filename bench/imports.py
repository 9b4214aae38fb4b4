"""Figure 6: wall time of `digest import` of each source document (content/sources/,
with the invented questioners the tests put back), as plain text and as the Word
document built from it (tests/support/seed_docx.py), each a fresh process into a
throwaway copy of the example project, with the draft's check included.

    python -m bench.imports --runs 5
"""

from __future__ import annotations

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


def timed(document: Path, forum_id: str, root: Path) -> float:
    out = root / "content" / "forums" / f"{forum_id}.yaml"
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run(
        [str(DIGEST), "import", str(document), "--id", forum_id], cwd=root, capture_output=True, text=True
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
        for document in sorted(documents.values()):
            forum_id, kind = document.stem, document.suffix.lstrip(".")  # each is named after its forum
            timed(document, forum_id, root)  # the first run pays for cold file caches: not counted
            samples[f"{forum_id}_{kind}_s"] = [timed(document, forum_id, root) for _ in range(runs)]
    emit(samples)


if __name__ == "__main__":
    main()
