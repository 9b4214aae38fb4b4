"""What every figure shares: the example project, synthetic readers, a null transport,
peak memory, and the one-line JSON a measuring process prints for bench/run.py.

Each measurement runs in a fresh process (`python -m bench.FIGURE ...`), so its peak
resident memory (ru_maxrss) is its own and nothing warmed by another figure helps it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import resource
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from digest.delivery.transports.base import Transport, nothing

ROOT = Path(__file__).resolve().parent.parent  # the project: digest.toml, content/, templates/
SECRET = "bench-only-secret-not-for-production"
os.environ.setdefault("DIGEST_SECRET_KEY", SECRET)

# Schools are mostly one phase; all-through, primary+nursery and 11-19 schools span several.
PHASE_MIX = [
    (("early years",), 2),
    (("primary",), 6),
    (("secondary",), 4),
    (("post-16",), 1),
    (("early years", "primary"), 2),
    (("secondary", "post-16"), 2),
    (("primary", "secondary"), 1),
    (("early years", "primary", "secondary", "post-16"), 1),
]
NAMES = ["Rachel Okafor", "Tom Hale", "Siân Ó Briain", "", "Dev Patel", "Zoë Brontë-Smith", "Priya Nair", "J. Lee"]


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict[str, Any]) -> None:
    """The measuring process's answer: one JSON line on stdout, read by bench/run.py."""
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


@contextmanager
def project(db: Path | None = None) -> Iterator[Path]:
    """A throwaway project folder using the example content and settings, with its own var/."""
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp)
        shutil.copy(ROOT / "digest.toml", root / "digest.toml")
        (root / "content").symlink_to(ROOT / "content")
        if db is not None:
            os.environ["DIGEST_DB"] = str(db)
        yield root


def settings_for(root: Path):
    from digest.settings import load_settings

    return load_settings(root)


def profiles(tax) -> list:
    """Every district x phase mix x setting, each profile repeated by its phase mix's weight."""
    from digest.content.audience import Profile

    out = []
    for district, (phases, weight), setting in itertools.product(tax.districts, PHASE_MIX, tax.settings):
        out += [Profile(district, phases, setting)] * weight
    return out


def readers(tax, n: int, seed: int = 8) -> Iterator:
    """n synthetic confirmed Subscribers, spread over every district, phase and setting.

    A generator: nothing is kept, as when readers are streamed from the database."""
    from digest.readers.store import Subscriber

    pool = profiles(tax)
    rng = random.Random(seed)
    for i in range(1, n + 1):
        profile = pool[i % len(pool)] if i <= len(pool) else rng.choice(pool)  # every profile once, then at random
        yield Subscriber(i, f"reader{i:07d}@example.org", NAMES[i % len(NAMES)], "", profile, "confirmed", False)


def rows(tax, n: int, seed: int = 8) -> Iterator[tuple]:
    """The same readers as rows for the subscribers table (bulk insert)."""
    stamp = "2025-07-01T00:00:00+00:00"
    for s in readers(tax, n, seed):
        p = s.profile
        yield (
            s.email,
            s.name,
            p.district,
            ";".join(p.phases),
            ";".join(p.settings),
            "confirmed",
            stamp,
            "import",
            stamp,
            stamp,
        )


INSERT = (
    "INSERT INTO subscribers (email, name, district, phases, settings, status, consent_at, consent_method, created_at,"
    " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


def fill_db(path: Path, tax, n: int) -> None:
    """A database with n confirmed readers, inserted in one transaction."""
    from digest.db import connect, transaction

    conn = connect(path)
    try:
        with transaction(conn):
            conn.executemany(INSERT, rows(tax, n))
    finally:
        conn.close()


class NullTransport(Transport):
    """Takes each message and keeps only its count and size."""

    name = "null"

    def __init__(self) -> None:
        self.messages = self.bytes = 0

    def send(
        self, sender: str, recipients: list[str], message: bytes, handing_over: Callable[[], None] = nothing
    ) -> str:
        handing_over()  # as a real transport does: the ledger's 'handed' is part of a message's cost
        self.messages += 1
        self.bytes += len(message)
        return "250 discarded"


def arg(name: str, default: int) -> int:
    """--name N from argv."""
    return int(text_arg(name, str(default)))


def text_arg(name: str, default: str = "") -> str:
    """--name VALUE from argv (the measuring processes take a few plain options)."""
    flag = f"--{name}"
    return sys.argv[sys.argv.index(flag) + 1] if flag in sys.argv else default


def environment(cache: Path | None) -> dict[str, str]:
    """A digest command's environment: Python's bytecode cached in `cache`, as an installed
    digest has it (pip compiles every module at install), whatever PYTHONDONTWRITEBYTECODE
    says; or (None) no bytecode written, every module compiled from source on each run."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env
