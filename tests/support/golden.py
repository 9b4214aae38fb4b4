"""Golden files, as rss2email keeps its expected messages: compared byte for byte, and
rewritten by running the tests with UPDATE_GOLDEN=1 (then review the diff)."""

from __future__ import annotations

import os

from support import GOLDEN


def golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert actual == path.read_bytes().decode("utf-8"), f"{name} changed; rerun with UPDATE_GOLDEN=1 if intended"
