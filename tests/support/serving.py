"""A `digest serve` or `digest preview` run as the real command, for the tests that use a
server the way a person does (tests/test_first_use.py, tests/web/test_timing.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DIGEST = Path(sys.executable).parent / "digest"


def environment(**changes: str) -> dict[str, str]:
    """This process's environment with no DIGEST_ variable but the signing key, and changes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    return env | {"DIGEST_SECRET_KEY": "test-secret-key-0123456789abcdef"} | changes


@contextmanager
def running(site: Path, *args: str, env: dict[str, str], stop: float = 60) -> Iterator[tuple[str, list[str]]]:
    """`digest ARGS --port 0` until the block ends (then Ctrl+C, waiting up to `stop` seconds
    for it to finish its work): its address, and the lines it printed on standard output
    (all of them once the block has ended). Both its outputs are read as they come: a pipe
    left full (the access log) would stop the server."""
    proc = subprocess.Popen(
        [str(DIGEST), "--root", str(site), *args, "--port", "0"],
        cwd=site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []
    logged: list[str] = []
    readers = [threading.Thread(target=lambda: logged.extend(proc.stderr), daemon=True)]
    readers[0].start()
    try:
        first = proc.stdout.readline()  # printed once it listens
        readers.append(threading.Thread(target=lambda: printed.extend(proc.stdout), daemon=True))
        readers[1].start()
        found = re.match(r"(?:Previewing|Serving) at (http://127\.0\.0\.1:\d+)/ ", first)
        assert found, first + "".join(logged)
        printed.insert(0, first)
        yield found.group(1), printed
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=stop)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for reader in readers:
            reader.join(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
