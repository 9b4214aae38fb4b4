"""Why a missed target was missed and what would close it (the closing note of RESULTS.md)."""

from __future__ import annotations

from typing import Any


def explain(figure: str, r: dict[str, Any]) -> str:
    return f"{figure.strip()}: missed."
