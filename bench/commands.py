"""Figures 4 and 5: wall time of `digest check`, `digest build` and `digest --help`, each
a fresh process on the example content (build writes to a throwaway folder).

    python -m bench.commands --help-runs 10 --check-runs 5 --build-runs 3
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.common import arg, emit, project

DIGEST = Path(sys.executable).parent / "digest"


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(DIGEST), *args], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"digest {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    with project() as root:
        timed(["--help"], root)  # the first run pays for cold file caches: not counted
        samples = {
            "help_s": [timed(["--help"], root) for _ in range(arg("help-runs", 10))],
            "check_s": [timed(["check"], root) for _ in range(arg("check-runs", 5))],
            "build_s": [timed(["build", "--out", str(root / "build")], root) for _ in range(arg("build-runs", 3))],
        }
    emit(samples)


if __name__ == "__main__":
    main()
